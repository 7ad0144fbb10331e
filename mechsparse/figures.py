"""Plotly figure builders: pure functions, data in, go.Figure out. No Streamlit here.

Matrices are drawn with rows = children (the code's orientation) and a fixed colour scale, so that live updates
never rescale and two runs side by side are comparable.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.evaluation import Snapshot
from mechsparse.graphs import GraphSpec

PROB_SCALE = "Blues"  # 0..1 quantities: edge probabilities, |corr|, |L P|
BINARY_SCALE = [[0.0, "#f4f4f6"], [1.0, "#1f4e99"]]  # 0/1 graphs and patterns


def latent_labels(n: int, prefix: str = "z") -> list[str]:
    """1-based names: z1..zn."""
    return [f"{prefix}{i + 1}" for i in range(n)]


def heatmap(
    matrix: np.ndarray,
    *,
    title: str = "",
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    x_title: str = "",
    y_title: str = "",
    zmin: float = 0.0,
    zmax: float = 1.0,
    colorscale=PROB_SCALE,
    show_values: bool = True,
    show_scale: bool = True,
    height: int | None = None,
) -> go.Figure:
    """A matrix heatmap with row 0 at the top, fixed colour range, and values printed in small matrices."""
    m = np.asarray(matrix, dtype=float)
    x_labels = list(x_labels) if x_labels is not None else latent_labels(m.shape[1])
    y_labels = list(y_labels) if y_labels is not None else latent_labels(m.shape[0])
    text = None
    if show_values and m.size <= 225:
        text = [[("" if np.isnan(v) else f"{v:.2f}".rstrip("0").rstrip(".")) for v in row] for row in m]
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=x_labels,
            y=y_labels,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=show_scale,
            text=text,
            texttemplate="%{text}" if text is not None else None,
            hovertemplate=f"{y_title or 'row'} %{{y}}, {x_title or 'col'} %{{x}}: %{{z:.3f}}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    side = 60 + 28 * max(m.shape)
    fig.update_layout(
        title={"text": title, "x": 0.02, "font": {"size": 14}},
        height=height or int(min(max(side, 260), 520)),
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        xaxis={"title": x_title, "side": "bottom", "constrain": "domain"},
        yaxis={"title": y_title, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        plot_bgcolor="white",
    )
    return fig


# ---------------------------------------------------------------- training panels (Train and Runs pages)

CURVES = (
    ("mcc", "MCC / R_con", (0.0, 1.0)),
    ("shd", "SHD (edges wrong)", None),
    ("elbo", "ELBO", None),
    ("edge_count", "expected edges vs bound", None),
    ("multiplier", "dual variable", None),
    ("loss", "loss", None),
)


def _col(history, name: str):
    return history[name] if name in history and history[name].notna().any() else None


CURVE_SERIES = {  # panel -> (history column, legend label, colour, dash)
    "mcc": [("mcc", "MCC", "#1f4e99", None), ("r_con", "R_con", "#e07b00", "dot")],
    "shd": [("shd_a", "SHD Ga", "#1f4e99", None), ("shd_z", "SHD Gz", "#2a9d8f", None)],
    "elbo": [("elbo", "ELBO", "#1f4e99", None)],
    "edge_count": [("edge_count", "expected edges", "#1f4e99", None), ("bound", "bound", "#c0392b", "dash")],
    "multiplier": [("multiplier", "multiplier", "#6a3d9a", None)],
    "loss": [("loss", "loss", "#555555", None)],
}


def _note_in_empty_panel(fig: go.Figure, k: int, text: str) -> None:
    """An axis without traces is not drawn, so the note goes in paper coordinates at the panel's centre."""
    sfx = "" if k == 0 else str(k + 1)
    xd, yd = fig.layout[f"xaxis{sfx}"].domain, fig.layout[f"yaxis{sfx}"].domain
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=sum(xd) / 2, y=sum(yd) / 2, showarrow=False, font={"color": "#888"}
    )


def training_curves(history, *, height: int = 430) -> go.Figure:
    """The live metric curves in a 2 x 3 grid: MCC with R_con, SHD, ELBO, edge count with the bound, the dual
    variable, and the loss, each against the training step. Empty panels say why."""
    fig = make_subplots(
        rows=2, cols=3, subplot_titles=[c[1] for c in CURVES], horizontal_spacing=0.07, vertical_spacing=0.16
    )
    steps = history["step"] if history is not None and "step" in history else None
    for k, (key, _, yrange) in enumerate(CURVES):
        row, col = k // 3 + 1, k % 3 + 1
        drawn = False
        for name, label, colour, dash in CURVE_SERIES[key]:
            y = _col(history, name) if steps is not None else None
            if y is None:
                continue
            line = {"color": colour, "dash": dash, "width": 2}
            multi = len(CURVE_SERIES[key]) > 1
            trace = go.Scatter(x=steps, y=y, name=label, mode="lines", line=line, legendgroup=label, showlegend=multi)
            fig.add_trace(trace, row=row, col=col)
            drawn = True
        if not drawn:
            _note_in_empty_panel(fig, k, "not available" if steps is not None else "no evaluation yet")
        if yrange is not None:
            fig.update_yaxes(range=[yrange[0], yrange[1] + 0.02], row=row, col=col)
    fig.update_xaxes(title_text="step", row=2)
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.18},
        hovermode="x unified",
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def run_panels(snapshot: Snapshot | None, truth: GraphSpec | None = None) -> dict[str, go.Figure]:
    """The authors' figure, live: true graphs, learned edge probabilities matched to the true latents, the theory's
    pattern C, the normalised |L P| (what actually got entangled) and the latent correlation matrix.

    ``snapshot`` is live or read back from snapshot.npz (None: only the true graphs); ``truth`` is the data's
    true GraphSpec where known. Absent panels are skipped.
    """
    panels: dict[str, go.Figure] = {}
    get = lambda name: getattr(snapshot, name, None)  # noqa: E731 - every field is optional here
    ga, gz = (truth.ga, truth.gz) if truth is not None else (None, None)
    dims = [np.shape(v) for v in (get("edge_probs_a"), get("edge_probs_z"), ga, gz) if v is not None]
    small = max((max(d) for d in dims), default=0) <= 5
    style = {"show_scale": False, "show_values": small, "height": 300}
    matched = get("matched_probs_a") is not None or get("matched_probs_z") is not None
    for key, title, cols in (("a", "Ga", "a"), ("z", "Gz", "z")):
        true_g = ga if key == "a" else gz
        if true_g is not None:
            panels[f"true_g{key}"] = graph_heatmap(true_g, key, height=style["height"])
        probs = get(f"matched_probs_{key}") if matched else get(f"edge_probs_{key}")
        if probs is not None:
            row_prefix = "z" if matched else "ẑ"
            col_prefix = cols if key == "a" or matched else "ẑ"
            panels[f"learned_g{key}"] = heatmap(
                probs,
                title=f"learned {title} (edge prob.{', matched' if matched else ''})",
                x_labels=latent_labels(probs.shape[1], col_prefix),
                y_labels=latent_labels(probs.shape[0], row_prefix),
                y_title="child",
                x_title="parent",
                **style,
            )
    if get("pattern") is not None:
        panels["pattern"] = heatmap(
            get("pattern").astype(float),
            title="theory: pattern C",
            colorscale=BINARY_SCALE,
            y_title="true z",
            x_title="learned",
            **style,
        )
    if get("coef") is not None:
        panels["coef"] = heatmap(
            get("coef"), title="learned: normalised |L P|", y_title="true z", x_title="learned (matched)", **style
        )
    if get("corr") is not None:
        panels["corr"] = heatmap(
            get("corr"), title="|corr(z, ẑ)| (matched)", y_title="true z", x_title="learned (matched)", **style
        )
    return panels


def compare_curves(histories: dict, metric: str, *, title: str | None = None, height: int = 320) -> go.Figure:
    """One metric of several runs overlaid: label -> history DataFrame."""
    fig = go.Figure()
    for label, history in histories.items():
        y = _col(history, metric)
        if y is not None and "step" in history:
            fig.add_trace(go.Scatter(x=history["step"], y=y, mode="lines", name=html.escape(label)))
    if not fig.data:
        fig.add_annotation(text=f"no run has {metric}", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    fig.update_layout(
        title={"text": title or metric, "x": 0.02},
        height=height,
        xaxis_title="step",
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


# ---------------------------------------------------------------- theory page: graphs, node-link drawing, pattern C

ACTION_EDGE = "#e07b00"  # a_l -> z_i edges
TIME_EDGE = "#1f4e99"  # z_{t-1, j} -> z_{t, i} edges
TWIN_COLOURS = ["#e4572e", "#17a398", "#f3a712", "#8e44ad", "#29335c", "#a8c256", "#d81e5b", "#3c91e6"]


def graph_heatmap(g: np.ndarray, kind: str, *, height: int | None = None) -> go.Figure:
    """A ground-truth graph as a 0/1 heatmap, rows = children; kind 'a' (Ga, dz x da) or 'z' (Gz, dz x dz)."""
    g = np.asarray(g)
    if kind == "a":
        return heatmap(
            g,
            title=f"Ga: actions → latents ({int(g.sum())} edges)",
            x_labels=latent_labels(g.shape[1], "a"),
            x_title="action (parent)",
            y_title="latent z_t (child)",
            colorscale=BINARY_SCALE,
            show_values=False,
            show_scale=False,
            height=height,
        )
    if kind == "z":
        return heatmap(
            g,
            title=f"Gz: z_t-1 → z_t ({int(g.sum())} edges)",
            x_title="z_t-1 (parent)",
            y_title="z_t (child)",
            colorscale=BINARY_SCALE,
            show_values=False,
            show_scale=False,
            height=height,
        )
    raise ValueError(f"graph kind must be 'a' or 'z', got {kind!r}")


def _column_y(n: int) -> np.ndarray:
    """Vertical positions of n nodes, first at the top, centred on 0, one unit apart."""
    return (n - 1) / 2 - np.arange(n, dtype=float)


def _edge_trace(xy_pairs: list[tuple[float, float, float, float]], colour: str, name: str, bend: float) -> go.Scatter:
    """All edges of one kind as a single line trace (None-separated); bend > 0 draws quadratic Bezier curves."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    t = np.linspace(0.0, 1.0, 13 if bend else 2)
    for x0, y0, x1, y1 in xy_pairs:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + bend
        xs.extend(((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1).tolist() + [None])
        ys.extend(((1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1).tolist() + [None])
    return go.Scatter(
        x=xs, y=ys, mode="lines", line={"color": colour, "width": 1.6}, opacity=0.55, name=name, hoverinfo="skip"
    )


def node_link_figure(ga: np.ndarray | None, gz: np.ndarray | None) -> go.Figure:
    """The graphs as a node-link drawing in three columns: actions | z_{t-1} | z_t (edges flow left to right).

    Action edges skip over the z_{t-1} column, so they are drawn as orange curves; temporal edges are blue lines.
    """
    if ga is None and gz is None:
        raise ValueError("node_link_figure needs Ga, Gz or both")
    dz = (ga if ga is not None else gz).shape[0]
    da = 0 if ga is None else ga.shape[1]
    xa, xp, xz = 0.0, 1.0, 2.0
    yz = _column_y(dz)
    fig = go.Figure()
    if ga is not None:
        ya = _column_y(da)
        pairs = [(xa, ya[ell], xz, yz[i]) for i, ell in zip(*np.nonzero(ga), strict=True)]
        fig.add_trace(_edge_trace(pairs, ACTION_EDGE, "a → z_t", bend=0.45 if gz is not None else 0.0))
    if gz is not None:
        pairs = [(xp, yz[j], xz, yz[i]) for i, j in zip(*np.nonzero(gz), strict=True)]
        fig.add_trace(_edge_trace(pairs, TIME_EDGE, "z_t-1 → z_t", bend=0.0))
    columns = [(xz, yz, latent_labels(dz), "z_t", "#dce6f5", TIME_EDGE)]
    if gz is not None:
        columns.insert(0, (xp, yz, [f"{s}'" for s in latent_labels(dz)], "z_t-1", "#dce6f5", TIME_EDGE))
    if ga is not None:
        columns.insert(0, (xa, _column_y(da), latent_labels(da, "a"), "actions", "#fde7cc", ACTION_EDGE))
    top = max(dz, da) / 2
    for x, ys, labels, header, fill, line in columns:
        fig.add_trace(
            go.Scatter(
                x=[x] * len(ys),
                y=ys,
                mode="markers+text",
                text=labels,
                textposition="middle center",
                textfont={"size": 11, "color": "#111"},
                marker={"size": 28, "color": fill, "line": {"color": line, "width": 1.5}},
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
            )
        )
        fig.add_annotation(x=x, y=top + 0.3, text=f"<b>{header}</b>", showarrow=False, font={"size": 13})
    fig.update_layout(
        height=int(min(max(120 + 34 * max(dz, da), 260), 820)),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
        xaxis={"visible": False, "range": [-0.35, 2.35]},
        yaxis={"visible": False, "range": [-top - 0.1, top + 0.6]},
    )
    return fig


def pattern_figure(c: np.ndarray, twins: Sequence[Sequence[int]] = ()) -> go.Figure:
    """The consistency pattern C (row i: learned latents true z_i may depend on), each twin class outlined in its
    own colour and tagged on the row labels, so entangled groups stand out."""
    c = np.asarray(c, dtype=bool)
    dz = c.shape[0]
    labels = latent_labels(dz)
    y_labels = list(labels)
    classes = [list(cls) for cls in twins if len(cls) > 1]
    shapes = []
    for k, cls in enumerate(classes):
        colour = TWIN_COLOURS[k % len(TWIN_COLOURS)]
        for i in cls:
            y_labels[i] = f"{labels[i]} (T{k + 1})"
        runs: list[list[int]] = []  # contiguous stretches of the class, each outlined as one box
        for i in sorted(cls):
            if runs and i == runs[-1][-1] + 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        for rows in runs:
            for cols in runs:
                shapes.append(
                    {
                        "type": "rect",
                        "x0": cols[0] - 0.5,
                        "x1": cols[-1] + 0.5,
                        "y0": rows[0] - 0.5,
                        "y1": rows[-1] + 0.5,
                        "line": {"color": colour, "width": 3},
                        "fillcolor": "rgba(0,0,0,0)",
                    }
                )
    n_twin = sum(len(cls) for cls in classes)
    subtitle = f"{len(classes)} twin class{'es' if len(classes) > 1 else ''} outlined" if classes else "no twins"
    fig = heatmap(
        c.astype(float),
        title=f"Pattern C: {subtitle}",
        y_labels=y_labels,
        x_labels=labels,
        x_title="learned latent (matched to z_j)",
        y_title="true latent z_i",
        colorscale=BINARY_SCALE,
        show_values=False,
        show_scale=False,
    )
    # numeric axes under the category labels so the outline boxes sit on cell borders
    fig.update_xaxes(tickmode="array", tickvals=list(range(dz)), ticktext=labels)
    fig.update_yaxes(tickmode="array", tickvals=list(range(dz)), ticktext=y_labels)
    hover = [
        [f"true {labels[i]} {'may' if c[i, j] else 'cannot'} depend on learned {labels[j]}" for j in range(dz)]
        for i in range(dz)
    ]
    fig.data[0].update(x=list(range(dz)), y=list(range(dz)), customdata=hover)
    fig.data[0].update(hovertemplate="%{customdata}<extra></extra>")
    fig.update_layout(shapes=shapes, margin={"l": 70 if n_twin else 50})
    return fig
