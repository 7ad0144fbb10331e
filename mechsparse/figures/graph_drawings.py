"""Drawings of the ground-truth graphs and what the theory makes of them: a graph as a 0/1 heatmap, both graphs as
a small thumbnail or as a node-link drawing, and the consistency pattern C with its twin classes outlined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from mechsparse.figures.heatmaps import MatrixCell, heatmap, matrix_grid
from mechsparse.figures.style import BINARY_SCALE, latent_labels
from mechsparse.theory.graphs import GraphSpec

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


def graph_thumbnail(spec: GraphSpec, *, height: int = 230) -> go.Figure:
    """The graphs a run is about to learn, small: Ga and/or Gz side by side (rows = children)."""
    cells = []
    for key, name in (("a", "Ga"), ("z", "Gz")):
        g = getattr(spec, f"g{key}")
        if g is not None:
            parents = latent_labels(g.shape[1], "a") if key == "a" else [f"{s}'" for s in latent_labels(g.shape[0])]
            cells.append(
                MatrixCell(
                    g, f"{name} ({int(np.sum(g))} edges)", parents, latent_labels(g.shape[0]), colorscale=BINARY_SCALE
                )
            )
    fig = matrix_grid(cells, height=height, font_size=11)
    fig.update_layout(margin={"l": 30, "r": 10, "t": 30, "b": 20})
    return fig


# ---------------------------------------------------------------- node-link drawing

NODE_RADIUS = 14  # px; node markers are 2 * NODE_RADIUS wide
NODE_STEP = 34  # px between neighbouring nodes of a column
_CLEARANCE = NODE_RADIUS + 3  # px an edge keeps from every node it does not touch


@dataclass(frozen=True)
class _NodeColumn:
    """One column of nodes of the node-link drawing: where it stands, its nodes' labels and hover texts, its
    header and its colours."""

    x: float
    ys: np.ndarray
    labels: list[str]
    hover: list[str]
    header: str
    fill: str
    outline: str


def _name_list(idx, prefix: str = "z") -> str:
    """'z1, z3' (1-based), '' when empty: hover texts of the node-link drawing."""
    return ", ".join(f"{prefix}{k + 1}" for k in idx)


def _column_y(n: int) -> np.ndarray:
    """Vertical positions (px) of n nodes, first at the top, centred on 0, NODE_STEP apart."""
    return ((n - 1) / 2 - np.arange(n, dtype=float)) * NODE_STEP


def _gap(drops: list[float]) -> float:
    """Horizontal px between two columns so that no straight edge between them comes within _CLEARANCE of a node
    beside one of its ends. An edge dropping dy px over a gap w passes the neighbour of its end at
    NODE_STEP * w / hypot(w, dy), so w >= _CLEARANCE * dy / sqrt(NODE_STEP**2 - _CLEARANCE**2); 170 px at least."""
    steepest = max(drops, default=0.0)
    return max(170.0, float(np.ceil(_CLEARANCE * steepest / np.sqrt(NODE_STEP**2 - _CLEARANCE**2))) + 6)


def _edge_trace(edges: list[tuple[float, float, float, float]], colour: str, name: str) -> go.Scatter:
    """All edges of one kind as one straight-line trace, each ending in an arrowhead marker that points along the
    edge (angleref 'previous') and stops at the target node's border (standoff), whatever size the chart is drawn."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[int] = []
    for x0, y0, x1, y1 in edges:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        sizes += [0, 11, 0]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        line={"color": colour, "width": 1.5},
        marker={"symbol": "arrow", "size": sizes, "color": colour, "angleref": "previous", "standoff": NODE_RADIUS},
        opacity=0.7,
        name=name,
        hoverinfo="skip",
    )


def _past_column(gz: np.ndarray, x: float, yz: np.ndarray, names: list[str]) -> tuple[_NodeColumn, go.Scatter, float]:
    """The z_{t-1} column at x, Gz's edges from it, and where the z_t column goes."""
    dz = len(names)
    ch = [np.flatnonzero(gz[:, j]) for j in range(dz)]
    hover = [f"{names[j]} at t-1 → " + (_name_list(ch[j]) or "no latent") + " at t" for j in range(dz)]
    column = _NodeColumn(x, yz, [f"{s}'" for s in names], hover, "z<sub>t-1</sub> (past)", "#dce6f5", TIME_EDGE)
    pairs = list(zip(*np.nonzero(gz), strict=True))
    xz = x + _gap([abs(yz[j] - yz[i]) for i, j in pairs])
    trace = _edge_trace([(x, yz[j], xz, yz[i]) for i, j in pairs], TIME_EDGE, "Gz: z<sub>t-1</sub> → z<sub>t</sub>")
    return column, trace, xz


def _present_hover(ga: np.ndarray | None, gz: np.ndarray | None, names: list[str]) -> list[str]:
    """Each z_t node's parents, in words."""
    hover = []
    for i in range(len(names)):
        parts = []
        if ga is not None:
            parts.append("actions " + (_name_list(np.flatnonzero(ga[i]), "a") or "none"))
        if gz is not None:
            parts.append("past " + (_name_list(np.flatnonzero(gz[i])) or "none"))
        hover.append(f"{names[i]} at t ← " + "; ".join(parts))
    return hover


def _action_column(ga: np.ndarray, x: float, yz: np.ndarray, ya: np.ndarray) -> tuple[_NodeColumn, go.Scatter]:
    """The a_t column right of the z_t column at x, and Ga's edges from it."""
    da = ga.shape[1]
    pairs = list(zip(*np.nonzero(ga), strict=True))
    xa = x + _gap([abs(ya[ell] - yz[i]) for i, ell in pairs])
    trace = _edge_trace([(xa, ya[ell], x, yz[i]) for i, ell in pairs], ACTION_EDGE, "Ga: a<sub>t</sub> → z<sub>t</sub>")
    hover_a = [f"a{ell + 1} → " + (_name_list(np.flatnonzero(ga[:, ell])) or "no latent") for ell in range(da)]
    column = _NodeColumn(xa, ya, latent_labels(da, "a"), hover_a, "a<sub>t</sub> (actions)", "#fde7cc", ACTION_EDGE)
    return column, trace


def _node_trace(column: _NodeColumn) -> go.Scatter:
    """A column's nodes: labelled circles, their parents or children in the hover."""
    return go.Scatter(
        x=[column.x] * len(column.ys),
        y=column.ys,
        mode="markers+text",
        text=column.labels,
        textposition="middle center",
        textfont={"size": 11, "color": "#111"},
        marker={
            "size": 2 * NODE_RADIUS,
            "color": column.fill,
            "opacity": 1,
            "line": {"color": column.outline, "width": 1.5},
        },
        hovertext=column.hover,
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
    )


def node_link_figure(ga: np.ndarray | None, gz: np.ndarray | None) -> go.Figure:
    """The graphs as a node-link drawing: z_{t-1} on the left, z_t in the middle, actions a_t on the right, every
    edge a straight arrow into z_t.

    Only two adjacent columns ever hold an edge's ends, so no edge crosses a node, and the gaps widen with the
    steepest edge so that none grazes a node beside its ends. Data coordinates are pixels: the figure has a fixed
    size (show it at its own width) and the geometry can be checked from the figure alone.
    """
    if ga is None and gz is None:
        raise ValueError("node_link_figure needs Ga, Gz or both")
    dz = (ga if ga is not None else gz).shape[0]
    da = 0 if ga is None else ga.shape[1]
    yz, ya = _column_y(dz), _column_y(da)
    names = latent_labels(dz)
    pad = NODE_RADIUS + 40  # px beside the outer columns (room for the headers)
    x = pad
    columns: list[_NodeColumn] = []
    traces = []
    if gz is not None:
        column, trace, x = _past_column(gz, x, yz, names)
        columns.append(column)
        traces.append(trace)
    columns.append(_NodeColumn(x, yz, names, _present_hover(ga, gz, names), "z<sub>t</sub>", "#dce6f5", TIME_EDGE))
    if ga is not None:
        column, trace = _action_column(ga, x, yz, ya)
        columns.append(column)
        traces.append(trace)
        x = column.x
    width = x + pad
    half = (max(dz, da) - 1) / 2 * NODE_STEP + NODE_RADIUS + 6
    top = half + 30  # room for the column headers
    fig = go.Figure(traces)
    for column in columns:
        fig.add_trace(_node_trace(column))
        fig.add_annotation(x=column.x, y=top - 12, text=f"<b>{column.header}</b>", showarrow=False, font={"size": 13})
    margin = {"l": 0, "r": 0, "t": 34, "b": 0, "autoexpand": False}
    fig.update_layout(
        width=int(width),
        height=int(top + half + margin["t"]),
        margin=margin,
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        xaxis={"visible": False, "range": [0, width], "fixedrange": True},
        yaxis={"visible": False, "range": [-half, top], "fixedrange": True},
    )
    return fig


# ---------------------------------------------------------------- the consistency pattern C


def _pattern_hover(c: np.ndarray, i: int, j: int) -> str:
    """One cell of C in the page's words: may / cannot mix with ẑ_j, the learned latent matched to z_j."""
    if i == j:
        return f"true z{i + 1} and ẑ{i + 1}, the learned latent matched to it"
    verb = "may" if c[i, j] else "cannot"
    twins = " (twins)" if c[i, j] and c[j, i] else ""
    return f"true z{i + 1} {verb} mix with ẑ{j + 1}, the learned latent matched to z{j + 1}{twins}"


def pattern_figure(c: np.ndarray, twins: Sequence[Sequence[int]] = (), *, height: int | None = None) -> go.Figure:
    """The consistency pattern C (row i: the learned latents ẑ_j that true z_i may mix with), each twin class
    outlined in its own colour and tagged on the row labels, so twins stand out."""
    c = np.asarray(c, dtype=bool)
    dz = c.shape[0]
    labels = latent_labels(dz)
    hats = latent_labels(dz, "ẑ")
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
        x_labels=hats,
        x_title="learned latent ẑ_j (matched to z_j)",
        y_title="true latent z_i",
        colorscale=BINARY_SCALE,
        show_values=False,
        show_scale=False,
        height=height,
    )
    # numeric axes under the category labels so the outline boxes sit on cell borders
    dense = dz > 12  # a third of the page is ~10 px a cell: name every other column, upright, in a smaller font
    x_text = [h if not dense or j % 2 == 0 else "" for j, h in enumerate(hats)]
    small = {"size": 10} if dense else {}
    fig.update_xaxes(tickmode="array", tickvals=list(range(dz)), ticktext=x_text, tickangle=0, tickfont=small)
    fig.update_yaxes(tickmode="array", tickvals=list(range(dz)), ticktext=y_labels, tickfont=small)
    hover = [[_pattern_hover(c, i, j) for j in range(dz)] for i in range(dz)]
    fig.data[0].update(x=list(range(dz)), y=list(range(dz)), customdata=hover)
    fig.data[0].update(hovertemplate="%{customdata}<extra></extra>")
    fig.update_layout(shapes=shapes, margin={"l": 70 if n_twin else 50})
    return fig
