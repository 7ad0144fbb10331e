"""What the Data page draws: the numbers (statistics, principal components, latents against their parents) and
their figures. Pure functions, data in, tables or go.Figure out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.data.dataset import Dataset
from mechsparse.data.synthetic import KINDS

PARENT_COLOUR = "#1f4e99"
NON_PARENT_COLOUR = "#9a9aa5"
_GRID = "#e6e6ea"

# ---------------------------------------------------------------- statistics and principal components


def summary_statistics(ds: Dataset) -> pd.DataFrame:
    """Mean, std, min and max of every variable (x, a, z), over samples and steps."""
    rows = []
    for key in ("x", "a", "z"):
        arr = getattr(ds, key)
        if arr is None:
            continue
        flat = arr.reshape(-1, arr.shape[-1])
        for j in range(flat.shape[1]):
            col = flat[:, j].astype(np.float64)
            rows.append(
                {"variable": f"{key}{j + 1}", "mean": col.mean(), "std": col.std(), "min": col.min(), "max": col.max()}
            )
    return pd.DataFrame(rows)


def principal_components(x: np.ndarray, k: int = 2, max_rows: int = 1000, seed: int = 0):
    """Scores of the first k principal components on up to max_rows rows of x flattened over T, the share of
    variance each explains, and the row indices used (into x.reshape(-1, dx)).

    The components are the top eigenvectors of the dx x dx scatter matrix (numpy eigh): the same as an SVD of the
    rows, in a millisecond where a threaded SVD of the rows can take a tenth of a second on a busy machine. Signs
    are fixed (largest loading positive), so a redraw never mirrors the picture."""
    flat = x.reshape(-1, x.shape[-1])
    idx = np.arange(flat.shape[0])
    if flat.shape[0] > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(flat.shape[0], max_rows, replace=False))
    sub = flat[idx].astype(np.float64)
    sub -= sub.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(sub.T @ sub)
    order = np.argsort(eigvals)[::-1]
    eigvals, eigvecs = np.clip(eigvals[order], 0.0, None), eigvecs[:, order]
    k = min(k, eigvecs.shape[1])
    top = eigvecs[:, :k]
    top *= np.where(top[np.abs(top).argmax(axis=0), np.arange(k)] < 0, -1.0, 1.0)
    total = eigvals.sum()
    explained = eigvals[:k] / total if total > 0 else np.zeros(k)
    return sub @ top, explained, idx


# ---------------------------------------------------------------- latents against their parents


@dataclass(frozen=True)
class _Draw:
    """The samples and steps the panels show: z now, z one step before (time), which inputs are interventions."""

    ds: Dataset
    rows: np.ndarray
    step: np.ndarray
    z_now: np.ndarray
    z_prev: np.ndarray | None
    interventions: bool

    @property
    def temporal(self) -> bool:
        return self.z_prev is not None


def _interventional(ds: Dataset) -> bool:
    """Whether a is one-hot interventions: from the kind of generated data, else an uploaded one-hot-or-zero a."""
    kind = str(ds.info.get("kind", ""))
    if kind:
        return kind in KINDS and KINDS[kind].interventions
    return ds.a is not None and bool(np.isin(ds.a, (0, 1)).all() and (ds.a.sum(axis=-1) <= 1).all())


def _draw(ds: Dataset, max_points: int, seed: int) -> _Draw:
    rng = np.random.default_rng(seed)
    temporal = ds.gz is not None and ds.t >= 2
    steps = np.arange(1, ds.t) if temporal else np.arange(ds.t)
    rows = rng.choice(ds.n, min(ds.n, max_points), replace=False)
    step = rng.choice(steps, len(rows))
    z_prev = ds.z[rows, step - 1].astype(float) if temporal else None
    return _Draw(ds, rows, step, ds.z[rows, step].astype(float), z_prev, _interventional(ds))


def _intervention_panel(d: _Draw, i: int, is_parent: bool, y: np.ndarray, y_title: str, subject: str) -> dict:
    """Box plots of latent i's response by which intervention happened (0 = observational)."""
    a_now = d.ds.a[d.rows, d.step]
    which = a_now.argmax(axis=-1) + 1
    which[a_now.sum(axis=-1) == 0] = 0
    targets = [f"a{k + 1}" for k in np.flatnonzero(d.ds.ga[i])]
    return {
        "x": which,
        "y": y,
        "x_title": "intervention",
        "y_title": y_title,
        "title": f"{subject} by intervention (targeted by {', '.join(targets) or 'none'})",
        "parent": is_parent,
        "categories": ["obs"] + [f"a{k + 1}" for k in range(d.ds.da)],
        "highlight": targets,
    }


def _panel(d: _Draw, source: str, i: int, j: int, is_parent: bool) -> dict:
    """Latent i (or its step change, with time) against input j: action a_j ('a') or z_j(t-1) ('z')."""
    if d.temporal:
        y, y_title, subject = d.z_now[:, i] - d.z_prev[:, i], f"z{i + 1}(t) - z{i + 1}(t-1)", f"step of z{i + 1}"
    else:
        y, y_title, subject = d.z_now[:, i], f"z{i + 1}", f"z{i + 1}"
    if source == "a" and d.interventions:
        return _intervention_panel(d, i, is_parent, y, y_title, subject)
    if source == "a":
        x, x_title = d.ds.a[d.rows, d.step, j].astype(float), f"a{j + 1}"
    else:
        x, x_title = d.z_prev[:, j], f"z{j + 1}(t-1)"
    tag = "parent" if is_parent else "not a parent"
    return {
        "x": x,
        "y": y,
        "x_title": x_title,
        "y_title": y_title,
        "title": f"{subject} vs {x_title} ({tag})",
        "parent": is_parent,
        "categories": None,
        "highlight": [],
    }


def _choose_edges(sources: list[tuple[str, np.ndarray]], max_panels: int, contrast: bool) -> list[tuple]:
    """(source, child i, input j, is_parent) of each panel: one parent per latent, the budget shared between the
    graphs (the first gets the remainder), then one non-parent for contrast when asked."""
    budget = max_panels - 1  # room for the contrast panel; box plots of interventions need the width anyway
    quota = {src: budget // len(sources) for src, _ in sources}
    quota[sources[0][0]] += budget - sum(quota.values())
    chosen = []
    for src, g in sources:
        with_parents = [i for i in range(g.shape[0]) if g[i].any()][: quota[src]]
        for i in with_parents:
            parents = np.flatnonzero(g[i])
            others = parents[parents != i] if src == "z" else parents  # another latent's past, when it has one
            chosen.append((src, i, int(others[0] if others.size else parents[0]), True))
    if contrast:
        src, g = sources[0]
        first = next((i for i in range(g.shape[0]) if not g[i].all()), None)
        if first is not None:
            chosen.append((src, first, int(np.flatnonzero(g[first] == 0)[0]), False))
    return chosen


def parent_panels(ds: Dataset, max_panels: int = 4, max_points: int = 500, seed: int = 0) -> list[dict]:
    """Scatter data of a few latents against one of their parents, plus one non-parent for contrast.

    y is z_i, or, when the data has time, the step change z_i(t) - z_i(t-1) (what the mechanism adds).
    x is an action a_l, a previous latent z_j(t-1) (a different latent when it has one), or, for interventions,
    which intervention happened (categorical; the ones targeting z_i highlighted).
    Each panel: x, y, x_title, y_title, title, parent (bool), categories (labels for integer x, or None),
    highlight (category labels to emphasise).
    """
    if ds.z is None or (ds.ga is None and ds.gz is None):
        return []
    d = _draw(ds, max_points, seed)
    sources = [("a", ds.ga)] if ds.ga is not None and ds.a is not None else []
    sources += [("z", ds.gz)] if d.temporal else []
    if not sources:
        return []
    contrast = not (sources[0][0] == "a" and d.interventions)
    return [_panel(d, *edge) for edge in _choose_edges(sources, max_panels, contrast)]


# ---------------------------------------------------------------- figures


def _empty(text: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(height=120, annotations=[{"text": text, "showarrow": False}])
    return fig


def _add_boxes(fig: go.Figure, p: dict, col: int) -> None:
    """One box per category; the highlighted ones (e.g. the targeting interventions) in the parent colour."""
    codes = np.asarray(p["x"], dtype=int)
    y = np.asarray(p["y"])
    for code, label in enumerate(p["categories"]):
        hot = label in p.get("highlight", ())
        box = go.Box(
            x=[label] * int((codes == code).sum()),
            y=y[codes == code],
            marker_color=PARENT_COLOUR if hot else NON_PARENT_COLOUR,
            boxpoints=False,
            name=label,
            showlegend=False,
        )
        fig.add_trace(box, row=1, col=col)
    fig.update_xaxes(categoryorder="array", categoryarray=list(p["categories"]), row=1, col=col)


def _add_points(fig: go.Figure, p: dict, col: int) -> None:
    """SVG markers, not WebGL: a few hundred points draw at once, where every WebGL context costs a browser
    without a GPU (headless, remote desktops) seconds of software rendering."""
    colour = PARENT_COLOUR if p.get("parent", True) else NON_PARENT_COLOUR
    trace = go.Scatter(
        x=p["x"],
        y=p["y"],
        mode="markers",
        marker={"size": 4, "color": colour, "opacity": 0.55},
        showlegend=False,
        hovertemplate=f"{p['x_title']} %{{x:.2f}}, {p['y_title']} %{{y:.2f}}<extra></extra>",
    )
    fig.add_trace(trace, row=1, col=col)


def parent_scatter(panels: Sequence[dict], *, height: int = 320) -> go.Figure:
    """Side-by-side scatter plots of latents against one input each (parent_panels): the mechanisms made
    visible. Parent panels in blue, non-parent panels in grey; categorical inputs (interventions) as box plots."""
    if not panels:
        return _empty("no ground-truth latents to show")
    titles = [p.get("title", "") for p in panels]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=titles, horizontal_spacing=0.06)
    for k, p in enumerate(panels, start=1):
        (_add_boxes if p.get("categories") is not None else _add_points)(fig, p, k)
        fig.update_xaxes(title_text=p["x_title"], row=1, col=k)
        if len(panels) == 1:  # side by side, the panel titles name the latent; axis titles would collide
            fig.update_yaxes(title_text=p["y_title"], row=1, col=k)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40}, plot_bgcolor="white")
    fig.update_xaxes(gridcolor=_GRID, zeroline=False)
    fig.update_yaxes(gridcolor=_GRID, zeroline=False)
    return fig


def pca_scatter(
    scores: np.ndarray,
    colour: np.ndarray | None = None,
    *,
    colour_title: str = "",
    explained: Sequence[float] | None = None,
    height: int = 420,
) -> go.Figure:
    """x projected on its first two principal components, coloured by one variable (e.g. a true latent). SVG
    markers (see _add_points): principal_components keeps the points few enough for them."""
    scores = np.asarray(scores, dtype=float)
    pct = list(explained) if explained is not None else []
    axis = lambda k: f"PC{k + 1}" + (f" ({100 * pct[k]:.0f}% of variance)" if k < len(pct) else "")  # noqa: E731
    marker = {"size": 4, "opacity": 0.7}
    if colour is not None:
        marker.update(color=np.asarray(colour, dtype=float), colorscale="Viridis", showscale=True)
        marker["colorbar"] = {"title": {"text": colour_title}}
    fig = go.Figure(
        go.Scatter(
            x=scores[:, 0],
            y=scores[:, 1] if scores.shape[1] > 1 else np.zeros(len(scores)),
            mode="markers",
            marker=marker,
            hovertemplate="PC1 %{x:.2f}, PC2 %{y:.2f}<extra></extra>",
        )
    )
    title = "x on its first two principal components" + (f", coloured by {colour_title}" if colour_title else "")
    fig.update_layout(
        title={"text": title, "x": 0.02, "font": {"size": 14}},
        height=height,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        xaxis={"title": axis(0), "gridcolor": _GRID},
        yaxis={"title": axis(1), "gridcolor": _GRID},
        plot_bgcolor="white",
    )
    return fig
