"""Streamlit-side glue shared by the pages: the process-wide job registry and session keys.

The library (mechsparse/) knows nothing of Streamlit; this module is the one place that binds the two.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from mechsparse.figures import graph_drawings
from mechsparse.figures.style import latent_labels, projector
from mechsparse.learning.config import input_range
from mechsparse.reproduce.local_pool import GridRegistry
from mechsparse.runs import export, references
from mechsparse.runs.jobs import JobRegistry
from mechsparse.runs.view import RunView, all_figures, presentation_figures
from mechsparse.theory import graphs

# Session-state keys shared by pages and app.py (widget keys stay beside their widgets).
GRAPHS_KEY = "graphs"  # GraphSpec shown on the Theory page
DATASET_KEY = "dataset"  # Dataset chosen on the Data page
DATASET_CHOICE_KEY = "_data_chosen"  # where the chosen dataset came from, and a token for the preview caches
UPLOAD_KEY = "_data_upload_key"  # the uploaded file last read (so a rerun does not read it again)
UPLOAD_ERROR_KEY = "_data_upload_error"  # its one-line error, if it was refused
THEORY_ERROR_KEY = "_theory_error"  # the Theory page's last one-line error about an edited graph
THEORY_READY_KEY = "_theory_ready"  # the Theory page has read its ?g= link once this session
THEORY_VERSION_KEY = "_theory_ver"  # bumped when the graph changes, so its editor widgets are rebuilt
EXPORT_KEY = "_runs_export_zip"  # (run ids, zip bytes) prepared on the Runs page

_MARKDOWN_SPECIAL = set("\\`*_[]()<>#|~$:!{}=")

# A run's panels (Train page): on hover, each offers only full screen (Streamlit's button in the Plotly toolbar)
# and a PNG for slides.
PANEL_PLOT_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "toggleSpikelines",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

# Class mode (?mode=class): a page for a projector, without the controls. Streamlit's own ?embed=true (which it
# hides from st.query_params) additionally removes its toolbar.
CLASS_PARAM, CLASS_VALUE = "mode", "class"
# Injected as a style-only st.html, which Streamlit puts in its event container: no blank space on the page.
CLASS_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.3rem; }
[data-testid="stMarkdownContainer"] h1, h1 { font-size: 3.3rem; }
[data-testid="stMarkdownContainer"] h2, h2 { font-size: 2.7rem; }
[data-testid="stMarkdownContainer"] h3, h3 { font-size: 2.1rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3rem; line-height: 1.2; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
</style>"""


@st.cache_resource
def job_registry() -> JobRegistry:
    """One registry for every browser session of this server, so a refresh or a second browser reattaches."""
    return JobRegistry(max_concurrent=int(os.environ.get("MECHSPARSE_MAX_JOBS", "2")))


@st.cache_resource
def grid_registry() -> GridRegistry:
    """The grids this server trains (the Paper page's), shared by every browser session like the job registry."""
    return GridRegistry()


@st.cache_data(ttl=3, show_spinner=False)
def reference_scores(data_id: str) -> dict[str, float]:
    """references.reference_scores, shared by every browser and re-read every few seconds (a reference run ends)."""
    return references.reference_scores(data_id)


@st.cache_resource(max_entries=8, show_spinner=False)
def _run_figures(key: tuple, _view: RunView) -> dict[str, go.Figure]:
    presentation, scale, scores = key[1], key[2], dict(key[-1])
    figures = presentation_figures(_view, scores) if presentation else all_figures(_view, scores)
    return {name: projector(fig, scale) for name, fig in figures.items()} if scale else figures


def run_figures(view: RunView, *, presentation: bool, scale: float | None = None) -> dict[str, go.Figure]:
    """A run's panels (the four large ones, or all of them), projector-sized by ``scale``, with the reference runs'
    lines. Built once per evaluation and shared by every refresh and browser until the next one: the panels change
    at each evaluation, not at each snapshot between them."""
    last = int(view.history["step"].iloc[-1]) if len(view.history) and "step" in view.history else -1
    scores = tuple(sorted(reference_scores(view.data_id).items())) if view.data_id else ()
    key = (view.run_id, presentation, scale, view.snapshot is not None, len(view.history), last, scores)
    return _run_figures(key, view)


@st.cache_resource(max_entries=16, show_spinner=False)
def _thumbnail(graph_code: str):
    return graph_drawings.graph_thumbnail(graphs.decode(graph_code))


def graph_thumbnail(spec: graphs.GraphSpec):
    """graph_drawings.graph_thumbnail, built once per graph and shared by the Data and Train pages (read-only)."""
    return _thumbnail(graphs.encode(spec))


def rule_input(col, label: str, name: str, value=None, *, key: str, finest: float = 0.01, **options):
    """A number input for TrainConfig field ``name`` offering exactly what its rule in PARAM_RULES allows (see
    config.input_range for ``finest``); ``options`` go to st.number_input."""
    low, high = input_range(name, finest)
    return col.number_input(label, low, high, value, key=key, **options)


def plain_markdown(text: str) -> str:
    """Our own plain text (reasons, verdicts, questions) for st.markdown: z_t and friends must not open italics."""
    return text.replace("_", "\\_")


EDITOR_HELP = {
    "a": "**Ga**: tick a cell when action a_l (column) drives latent z_i (row)",
    "z": "**Gz**: tick a cell when z_t-1,j (column, primed) drives z_t,i (row)",
}


def _graph_editor(g: np.ndarray, kind: str, key: str) -> np.ndarray:
    """A checkbox matrix for Ga (kind 'a') or Gz ('z'), rows = child latents, under a line saying what a ticked cell
    means; returns the edited 0/1 matrix."""
    st.markdown(EDITOR_HELP[kind])
    rows = latent_labels(g.shape[0])
    cols = latent_labels(g.shape[1], "a") if kind == "a" else [f"{r}'" for r in rows]
    df = pd.DataFrame(g.astype(bool), index=rows, columns=cols)
    config = {c: st.column_config.CheckboxColumn(c, width="small") for c in cols}
    out = st.data_editor(df, key=key, column_config=config, num_rows="fixed")
    return out.fillna(False).to_numpy(dtype=np.int8)


def edit_graphs(spec: graphs.GraphSpec, key: str) -> graphs.GraphSpec:
    """A _graph_editor for each graph spec has; returns the edited graphs. ``key`` is a template with {kind}
    ('a' or 'z'), so each editor has its own widget key."""
    edited = {kind: None for kind in ("a", "z")}
    for kind, g in (("a", spec.ga), ("z", spec.gz)):
        if g is not None:
            edited[kind] = _graph_editor(g, kind, key.format(kind=kind))
    return graphs.GraphSpec(ga=edited["a"], gz=edited["z"])


def escape_markdown(text: object) -> str:
    """Untrusted text (file names, run labels, messages) for st.markdown and st.error, shown as written and never
    as markup: line breaks flattened, and every character that can open markup inside a line backslash-escaped
    (emphasis, links, HTML, code, math, Streamlit's :colour[] and :emoji: directives), plus a leading list marker."""
    flat = " ".join(str(text).split())
    escaped = "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in flat)
    escaped = re.sub(r"^(\d+)\.", r"\1\\.", escaped)  # "1. x" would open a numbered list
    return re.sub(r"^([-+])", r"\\\1", escaped)  # "- x" a bulleted one


def device_label() -> str:
    """'CUDA (<gpu name>)' when a GPU is usable, else 'CPU'."""
    if torch.cuda.is_available():
        return f"CUDA ({torch.cuda.get_device_name(0)})"
    return "CPU"


def class_mode() -> bool:
    """The page is shown to a room (?mode=class): no controls, large type, projector-sized figures."""
    return st.query_params.get(CLASS_PARAM) == CLASS_VALUE


def apply_class_mode() -> None:
    """In class mode, enlarge the type (app.py calls this before running the page; it hides the navigation and
    the sidebar itself, with st.navigation(position="hidden") and an empty sidebar)."""
    if class_mode():
        st.html(CLASS_CSS)


def figure_downloads(fig: go.Figure, name: str, key: str) -> None:
    """Two small buttons under a figure, PNG and SVG, for slides and handouts. Each image is rendered only when its
    button is clicked (Streamlit calls ``data`` then, on its own thread), so a page of figures costs nothing until
    asked. Where it cannot be rendered (no Chromium for kaleido), Streamlit shows one line under the button, "Failed
    to generate file for download", and logs render_image's one-line reason on the server."""
    row = st.container(horizontal=True, gap="small")
    for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
        row.download_button(
            fmt.upper(),
            data=lambda fmt=fmt: export.render_image(fig, fmt),
            file_name=f"{name}.{fmt}",
            mime=mime,
            key=f"{key}-{fmt}",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            icon=":material/download:",
            help=f"This figure as {fmt.upper()}, rendered when clicked by kaleido in a headless Chromium (seconds)",
        )
