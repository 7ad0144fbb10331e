"""Exporting runs: one zip with, per run, its files, its learned matrices as labelled CSV and its panels as images.

PNGs come from Plotly's kaleido, which drives a headless Chromium. Starting that browser costs seconds, so one
browser session renders every panel of an export (``fig.to_image`` starts one per image: 41 s for two runs).
Where no browser is found, or a panel fails to render, that panel is written as standalone HTML instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import zipfile
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mechsparse.figures.curves import curve_panels, training_curves
from mechsparse.figures.panels import run_panels
from mechsparse.figures.style import latent_labels
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs import schema, store

MATRICES = ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "pattern", "coef", "corr")
IMAGE_SCALE = 2
IMAGE_WIDTH = 700  # Plotly's default export width; the height is the figure's own
WIDE_IMAGE_WIDTH = 1100  # the grid of training curves (2 x 3 panels) needs a page's width
RENDER_TABS = 2  # browser tabs rendering at once: one renders while the other reloads
RENDER_TIMEOUT_S = 60  # per panel
START_TIMEOUT_S = 60  # for the browser to start; with the panels' share, a bound on the whole session

# progress(fraction done in [0, 1], what happens now), e.g. st.progress(...).progress
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, text: str) -> None:
    """The default progress callback: nothing to show."""


# ---------------------------------------------------------------- learned matrices as labelled CSV


def matrix_labels(key: str, shape: tuple[int, ...]) -> tuple[list[str], list[str], str]:
    """Row labels, column labels and the corner label of an exported matrix, as the figures name them: rows are
    children (z1.. in the true latents' order once matched, ẑ1.. in the model's own order), parents are actions
    a1.. or previous latents z1'.. (ẑ1'..); for pattern C, |L P| and |corr| rows are true z and columns the
    matched learned ẑ."""
    n_rows, n_cols = shape
    if key in ("pattern", "coef", "corr"):
        return latent_labels(n_rows), latent_labels(n_cols, "ẑ"), "true/learned"
    child = "z" if key.startswith("matched") else "ẑ"
    parents = latent_labels(n_cols, "a") if key.endswith("_a") else [f"{s}'" for s in latent_labels(n_cols, child)]
    return latent_labels(n_rows, child), parents, "child/parent"


def matrix_csv(key: str, matrix: np.ndarray) -> bytes:
    """One learned matrix as CSV (UTF-8) with a header row and an index column (see matrix_labels)."""
    m = np.asarray(matrix)
    rows, cols, corner = matrix_labels(key, m.shape)
    frame = pd.DataFrame(m, index=pd.Index(rows, name=corner), columns=cols)
    if m.dtype == bool:
        frame = frame.astype(int)
    return frame.to_csv(float_format="%.5f", lineterminator="\n").encode("utf-8")


def matrix_files(snapshot: Snapshot | None) -> dict[str, bytes]:
    """'<field>.csv' for every learned matrix the snapshot holds."""
    files = {}
    for key in MATRICES:
        matrix = getattr(snapshot, key, None)
        if matrix is not None and np.ndim(matrix) == 2:
            files[f"{key}.csv"] = matrix_csv(key, matrix)
    return files


# ---------------------------------------------------------------- panels as PNG (one browser) or HTML


def _html(fig: go.Figure) -> bytes:
    return fig.to_html(include_plotlyjs="cdn", full_html=True).encode()


def _image_opts(fig: go.Figure) -> dict:
    wide = sum(1 for key in fig.layout if key.startswith("xaxis")) > 2  # a grid of panels
    return {
        "format": "png",
        "width": fig.layout.width or (WIDE_IMAGE_WIDTH if wide else IMAGE_WIDTH),
        "height": fig.layout.height or 500,
        "scale": IMAGE_SCALE,
    }


def _run_coroutine(make_coro: Callable[[], object]):
    """Run a coroutine to completion from synchronous code: in this thread (a Streamlit script thread has no
    event loop, and progress callbacks must come from it), or on a helper thread inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


def render_pngs(
    figs: Sequence[tuple[str, go.Figure]], progress: Progress = _no_progress, *, start: float = 0.0
) -> dict[str, bytes]:
    """PNG bytes of each (label, figure), all rendered in one headless browser session; a label is missing from
    the result where its panel could not be rendered (no browser, kaleido absent, a timeout), so the caller
    falls back to HTML. ``progress`` gets fractions from ``start`` to 1 and 'label' texts as panels finish."""
    if not figs:
        return {}
    try:
        import kaleido
    except ImportError:
        return {}
    out: dict[str, bytes] = {}
    total, span = len(figs), 1.0 - start
    progress(start, "starting the image renderer (a headless browser)")

    async def render_all() -> None:
        async with kaleido.Kaleido(n=min(RENDER_TABS, total), timeout=RENDER_TIMEOUT_S, mathjax=False) as k:
            done = 0

            async def one(label: str, fig: go.Figure) -> None:
                nonlocal done
                with contextlib.suppress(Exception):  # this panel falls back to HTML
                    out[label] = await k.calc_fig(fig.to_dict(), opts=_image_opts(fig))
                done += 1
                progress(start + span * done / total, label)

            await asyncio.gather(*(one(label, fig) for label, fig in figs))

    async def bounded() -> None:  # a browser that hangs must not hang the export: the rest becomes HTML
        await asyncio.wait_for(render_all(), timeout=START_TIMEOUT_S + RENDER_TIMEOUT_S * total / RENDER_TABS)

    with contextlib.suppress(Exception):  # no browser, or it died: what was rendered is kept, the rest is HTML
        _run_coroutine(bounded)
    return out


IMAGE_FORMATS = ("png", "svg")


def render_image(fig: go.Figure, fmt: str) -> bytes:
    """One figure as PNG or SVG bytes, from one headless browser session (a download button's click). Raises a
    one-line ValueError saying why when it cannot: an unknown format, kaleido or its browser missing, a timeout."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, got {fmt!r}")
    try:
        import kaleido
    except ImportError:
        raise ValueError("cannot render images: kaleido is not installed") from None
    opts = _image_opts(fig) | {"format": fmt}

    async def render() -> bytes:
        async with kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, mathjax=False) as k:
            return await k.calc_fig(fig.to_dict(), opts=opts)

    async def bounded() -> bytes:  # a browser that hangs must not hang the click
        return await asyncio.wait_for(render(), timeout=START_TIMEOUT_S + RENDER_TIMEOUT_S)

    try:
        image = _run_coroutine(bounded)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the page
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[0][:200] if lines else type(exc).__name__
        raise ValueError(f"cannot render the figure as {fmt.upper()}: {reason}") from None
    if not isinstance(image, bytes):
        image = str(image).encode()
    return image


# ---------------------------------------------------------------- the zip


def _run_contents(run_id: str) -> tuple[dict[str, bytes], dict[str, go.Figure]]:
    """The plain files of one run (config, summary, history, timeline, labelled matrices) and its panels."""
    rec = store.load_run(run_id)
    folder = store.run_path(run_id)
    files = {
        name: (folder / name).read_bytes()
        for name in (schema.CONFIG_FILE, schema.SUMMARY_FILE, schema.HISTORY_FILE, schema.TIMELINE_FILE)
        if (folder / name).exists()
    }
    files |= matrix_files(rec.snapshot)
    panels = run_panels(rec.snapshot, rec.true_graphs)  # a method without a graph: no learned-graph panel
    if len(rec.history):
        curves = curve_panels(rec.method.learns_graph, rec.method.has_elbo)
        panels["curves"] = training_curves(rec.history, panels=curves)
    return files, panels


def export_runs(
    run_ids: Sequence[str], *, images: bool = True, progress: Progress = _no_progress
) -> dict[str, dict[str, bytes]]:
    """run id -> {file name: bytes} of each run's export: config, summary, history, timeline (where recorded),
    learned matrices (labelled CSV) and the panels (PNG, or HTML where no browser renders them).
    ``progress(fraction, text)`` is called as runs are read and panels rendered, with texts such as 'run 1/2, panel
    coef'."""
    n = len(run_ids)
    contents = {}
    for k, run_id in enumerate(run_ids, start=1):
        progress(0.1 * (k - 1) / max(n, 1), f"run {k}/{n}: reading its files")
        contents[run_id] = _run_contents(run_id)
    labelled = {
        f"run {k}/{n}, panel {name}": (run_id, name, fig)
        for k, (run_id, (_, panels)) in enumerate(contents.items(), start=1)
        for name, fig in panels.items()
    }
    pngs = render_pngs([(label, fig) for label, (_, _, fig) in labelled.items()], progress, start=0.1) if images else {}
    result = {run_id: dict(files) for run_id, (files, _) in contents.items()}
    for label, (run_id, name, fig) in labelled.items():
        if label in pngs:
            result[run_id][f"panels/{name}.png"] = pngs[label]
        else:
            result[run_id][f"panels/{name}.html"] = _html(fig)
    progress(1.0, f"{n} run{'s' if n != 1 else ''} exported")
    return result


def html_panels(zip_bytes: bytes) -> list[str]:
    """The panels of an export zip that are HTML, not PNG (no browser could draw them)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return [name for name in zf.namelist() if "/panels/" in name and name.endswith(".html")]


def export_zip(run_ids: Sequence[str], *, images: bool = True, progress: Progress = _no_progress) -> bytes:
    """A zip with one folder per run (see export_runs); every panel of every run is rendered in one browser
    session. ``progress(fraction, text)`` reports how far it is (e.g. to st.progress)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for run_id, files in export_runs(run_ids, images=images, progress=progress).items():
            for name, blob in files.items():
                zf.writestr(f"{run_id}/{name}", blob)
    return buf.getvalue()
