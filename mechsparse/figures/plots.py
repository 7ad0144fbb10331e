"""Plotly figure builders: pure functions, data in, go.Figure out. No Streamlit here.

Matrices are drawn with rows = children (the code's orientation) and a fixed colour scale, so that live updates
never rescale and two runs side by side are comparable.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.theory.graphs import GraphSpec

if TYPE_CHECKING:  # the figures need no scipy (evaluation imports it): the Theory page loads faster
    from mechsparse.learning.evaluation import Snapshot
    from mechsparse.learning.timeline import Timeline

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
        modebar={"orientation": "v"},
        margin={"l": 50, "r": 30, "t": 40, "b": 40},
        xaxis={"title": x_title, "side": "bottom", "constrain": "domain"},
        yaxis={"title": y_title, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        plot_bgcolor="white",
    )
    return fig


PLOTLY_FONT_SIZE = 12  # plotly's default font size (px); a title's default is 1.4 times it
PLOTLY_HEIGHT = 450  # plotly's default figure height (px)


def projector(fig: go.Figure, scale: float = 1.4) -> go.Figure:
    """A copy of fig that reads from the back of a room (class mode): every font (title, axis titles and ticks,
    annotations, legend, colour bars, cell and node text), the height and the margins that hold them scaled by
    ``scale``. A figure of fixed size (the node-link drawing, in pixel coordinates) is zoomed whole: its width
    and its markers too, so node labels stay inside their nodes. fig itself is left as it was."""
    out = go.Figure(fig)
    lay = out.layout
    base = lay.font.size or PLOTLY_FONT_SIZE

    def up(size):
        if isinstance(size, (list, tuple)):
            return [up(s) for s in size]
        return round(size * scale)

    def colorbar(bar) -> None:
        bar.title.font.size = up(bar.title.font.size or base)
        bar.tickfont.size = up(bar.tickfont.size or base)

    lay.font.size = up(base)
    lay.title.font.size = up(lay.title.font.size or round(base * 1.4))
    lay.legend.font.size = up(lay.legend.font.size or base)
    for axis in (*out.select_xaxes(), *out.select_yaxes()):
        axis.title.font.size = up(axis.title.font.size or base)
        axis.tickfont.size = up(axis.tickfont.size or base)
    for note in lay.annotations:
        note.font.size = up(note.font.size or base)
    for axis in out.select_coloraxes():
        colorbar(axis.colorbar)
    for trace in out.data:
        if "colorbar" in trace:
            colorbar(trace.colorbar)
        if "textfont" in trace:
            trace.textfont.size = up(trace.textfont.size or base)
        if lay.width and "marker" in trace and trace.marker.size is not None:  # unrounded: standoff = radius
            size = trace.marker.size
            trace.marker.size = [v * scale for v in size] if isinstance(size, (list, tuple)) else size * scale
            if "standoff" in trace.marker and trace.marker.standoff:
                trace.marker.standoff = trace.marker.standoff * scale
    lay.height = up(lay.height or PLOTLY_HEIGHT)
    if lay.width:
        lay.width = up(lay.width)
    for side in ("l", "r", "t", "b"):
        if lay.margin[side] is not None:
            lay.margin[side] = up(lay.margin[side])
    return out


# ---------------------------------------------------------------- training panels (Train and Runs pages)

# panel key -> (subplot title, y-axis title, fixed y range)
CURVES = {
    "mcc": ("MCC and R_con (rise to 1)", "score", (0.0, 1.0)),
    "shd": ("SHD: edges wrong (falls to 0)", "edges", None),
    "elbo": ("ELBO (rises)", "ELBO", None),
    "edge_count": ("Expected edges and the bound", "edges", None),
    "multiplier": ("Dual variable λ", "λ", None),
    "loss": ("Training loss", "loss", None),
}
# panel -> (history column, legend label, colour, dash); every panel has its own colours
CURVE_SERIES = {
    "mcc": [("mcc", "MCC", "#1f4e99", None), ("r_con", "R_con", "#e07b00", "dot")],
    "shd": [("shd_a", "SHD Ga", "#c0392b", None), ("shd_z", "SHD Gz", "#8e44ad", None)],
    "elbo": [("elbo", "ELBO", "#2a9d8f", None)],
    "edge_count": [("edge_count", "expected edges", "#b5651d", None), ("bound", "bound", "#222222", "dash")],
    "multiplier": [("multiplier", "λ (dual variable)", "#d81e5b", None)],
    "loss": [("loss", "loss", "#666666", None)],
}
PRESENTATION_CURVES = ("mcc", "shd", "edge_count", "elbo")  # what a room needs to follow a run
SAME_LINES = "R_con = MCC here: C = I, every latent identified"


def curve_panels(learns_graph: bool = True, has_elbo: bool = True, *, presentation: bool = False) -> tuple[str, ...]:
    """The curve panels a method fills: no SHD, edge count or dual variable without a learned graph, no ELBO
    without an ELBO; the presentation layout then shows the training loss in a freed place."""
    keys = PRESENTATION_CURVES if presentation else tuple(CURVES)
    drop = set() if learns_graph else {"shd", "edge_count", "multiplier"}
    keys = tuple(k for k in keys if k not in drop | (set() if has_elbo else {"elbo"}))
    return keys + ("loss",) if presentation and len(keys) < len(PRESENTATION_CURVES) else keys


def _col(history, name: str):
    return history[name] if history is not None and name in history and history[name].notna().any() else None


def _axis_suffix(fig: go.Figure, row: int, col: int) -> str:
    ref = fig.get_subplot(row, col).xaxis.plotly_name  # "xaxis", "xaxis2", ...
    return ref[len("xaxis") :]


def _note_in_empty_panel(fig: go.Figure, row: int, col: int, text: str) -> None:
    """An axis without traces is not drawn, so the note goes in paper coordinates at the panel's centre."""
    sfx = _axis_suffix(fig, row, col)
    xd, yd = fig.layout[f"xaxis{sfx}"].domain, fig.layout[f"yaxis{sfx}"].domain
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=sum(xd) / 2, y=sum(yd) / 2, showarrow=False, font={"color": "#888"}
    )


def mcc_equals_r_con(history) -> bool:
    """R_con and MCC coincide at every evaluation (C = I): one line says it, not two drawn on top of each other."""
    mcc, r_con = _col(history, "mcc"), _col(history, "r_con")
    if mcc is None or r_con is None:
        return False
    return bool(np.allclose(mcc.to_numpy(float), r_con.to_numpy(float), atol=1e-6, equal_nan=True))


def bound_label(
    history, target_bound: float | None = None, current_bound: float | None = None, *, short: bool = False
) -> str | None:
    """'bound 110 → 20, annealing (now 64)' while the bound still moves to its target, else 'bound 20'; None
    without one. ``current_bound`` is the live value when it is newer than the history's last row; ``short`` gives
    'bound → 20, now 64' (inside a small plot)."""
    bound = _col(history, "bound")
    if bound is None:
        return None
    values = bound.dropna().to_numpy(float)
    start, now = values[0], values[-1] if current_bound is None else current_bound
    target = now if target_bound is None else target_bound
    if abs(now - target) > 0.5:
        if short:
            return f"bound → {target:.0f}, now {now:.0f}"
        return f"bound {start:.0f} → {target:.0f}, annealing (now {now:.0f})"
    if short:
        return f"bound {target:.0f}"
    return f"bound {target:.0f}" + (f" (annealed from {start:.0f})" if abs(start - target) > 0.5 else "")


def training_curves(
    history,
    *,
    height: int = 430,
    cols: int = 3,
    panels: tuple[str, ...] = tuple(CURVES),
    target_bound: float | None = None,
    current_bound: float | None = None,
    font_size: int | None = None,
    references: dict[str, float] | None = None,
) -> go.Figure:
    """The metric curves against the training step, one subplot per panel key (default: MCC with R_con, SHD, ELBO,
    edge count with its annealing bound, the dual variable, the loss), each with its y-axis title and colours.
    Empty panels say why. ``target_bound`` names where an annealing bound is heading; ``references`` maps a label
    ('ceiling: supervised') to an MCC drawn across the MCC panel (the reference runs on the same data)."""
    rows = -(-len(panels) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[CURVES[k][0] for k in panels],
        horizontal_spacing=0.1 if cols <= 2 else 0.075,
        vertical_spacing=min(0.3, 80 / max(height - 90, 1)) if rows > 1 else 0.1,  # room for a title and ticks
    )
    steps = history["step"] if history is not None and "step" in history else None
    same = mcc_equals_r_con(history)
    for k, key in enumerate(panels):
        row, col = k // cols + 1, k % cols + 1
        _, y_title, yrange = CURVES[key]
        drawn = False
        for name, label, colour, dash in CURVE_SERIES[key]:
            y = _col(history, name) if steps is not None else None
            if y is None or (same and name == "r_con"):
                continue
            if same and name == "mcc":
                label = "MCC = R_con"
            line = {"color": colour, "dash": dash, "width": 2.5}
            trace = go.Scatter(x=steps, y=y, name=label, mode="lines", line=line, legendgroup=label)
            fig.add_trace(trace, row=row, col=col)
            drawn = True
        if key == "mcc" and references:
            for label, value in references.items():
                fig.add_hline(
                    y=value, row=row, col=col, line={"color": "#777777", "dash": "dash", "width": 1.5},
                    annotation_text=f"{label} {value:.2f}",
                    annotation_position="bottom left" if value > 0.5 else "top right",  # where curves seldom are
                    annotation_font={"size": 11 if font_size is None else font_size - 2, "color": "#555"},
                )  # fmt: skip
        if not drawn:
            _note_in_empty_panel(fig, row, col, "not available" if steps is not None else "no evaluation yet")
        if yrange is not None:
            fig.update_yaxes(range=[yrange[0], yrange[1] + 0.02], row=row, col=col)
        fig.update_yaxes(title_text=y_title, title_standoff=4, row=row, col=col)
        note = {
            "mcc": SAME_LINES if same else None,
            "edge_count": bound_label(history, target_bound, current_bound, short=True),
        }.get(key)
        if note and drawn:
            sfx = _axis_suffix(fig, row, col)
            fig.add_annotation(
                text=note,
                xref=f"x{sfx} domain",
                yref=f"y{sfx} domain",
                x=0.98,
                y=0.04 if key == "mcc" else 0.96,
                xanchor="right",
                yanchor="bottom" if key == "mcc" else "top",
                showarrow=False,
                font={"size": 11 if font_size is None else font_size - 2, "color": "#444"},
                bgcolor="rgba(255,255,255,0.8)",
            )
    fig.update_xaxes(title_text="step", title_standoff=2, row=rows)
    fig.update_annotations(yshift=4, selector={"xref": "paper"})  # subplot titles clear of the axis above
    fig.update_layout(
        height=height,
        modebar={"orientation": "v"},  # on the right edge: it never covers a subplot title
        margin={"l": 60, "r": 36, "t": 50, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.08 - 0.08 / rows, "yanchor": "top"},
        hovermode="x unified",
    )
    if font_size is not None:
        fig.update_layout(font={"size": font_size})
        fig.update_annotations(font_size=font_size + 1, selector={"xref": "paper", "showarrow": False})
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def no_graph_figure(method_label: str, graph: str = "graph", *, height: int = 300) -> go.Figure:
    """The panel of a learned graph for a method that learns none: it says so where the graph would be."""
    fig = go.Figure()
    fig.add_annotation(
        text=f"No {graph} learned:<br>{html.escape(method_label)} has no graph of mechanisms",
        xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": 14, "color": "#666"},
    )  # fmt: skip
    fig.update_layout(
        title={"text": f"learned {graph}", "x": 0.02, "font": {"size": 14}},
        height=height,
        margin={"l": 20, "r": 20, "t": 40, "b": 20},
        xaxis={"visible": False},
        yaxis={"visible": False},
        plot_bgcolor="white",
    )
    return fig


def run_panels(
    snapshot: Snapshot | None, truth: GraphSpec | None = None, *, no_graph: str | None = None
) -> dict[str, go.Figure]:
    """The authors' figure, live: true graphs, learned edge probabilities matched to the true latents, the theory's
    pattern C, the normalised |L P| (what actually got entangled) and the latent correlation matrix.

    ``snapshot`` is live or read back from snapshot.npz (None: only the true graphs); ``truth`` is the data's
    true GraphSpec where known; ``no_graph`` names a method that learns no graph (its learned-graph panels say
    so). Absent panels are skipped.
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
            if no_graph is not None:
                panels[f"learned_g{key}"] = no_graph_figure(no_graph, title, height=style["height"])
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


# ---------------------------------------------------------------- presentation layout (Train page, large 2 x 2)

PANEL_CAPTIONS = {
    "graphs": "Learned edge probabilities, rows matched to the true latents; orange outlines mark the true edges. "
    "The dark cells should come to fill the outlines and nothing else.",
    "graphs_unmatched": "The learned edge probabilities in the model's own latent order (no ground truth to match).",
    "entanglement": "Normalised |L P|: row z_i shows which learned latents ẑ_j the true z_i mixes with. It should "
    "fit inside the pattern C (orange outlines): dark cells only where the theory allows them.",
    "corr": "|corr(z_i, ẑ_j)| after matching: a dark diagonal means each true latent is recovered by one learned "
    "latent (MCC is the diagonal's mean).",
    "curves": "MCC and R_con should rise to 1 and SHD fall to 0, while the expected edge count follows the bound "
    "down to the true edge count.",
    "graphs_none": "This method learns no graph, so the matrix stays empty; the orange outlines are the true edges "
    "that the sparse VAE learns.",
    "curves_none": "MCC and R_con rise as far as the method's assumptions identify the latents; the training loss "
    "(and the ELBO, where the method has one) shows how the fit goes.",
}
OUTLINE = "#e07b00"  # true edges / allowed cells drawn over a learned matrix


@dataclass(frozen=True)
class MatrixCell:
    """One heatmap of a matrix_grid: the matrix, its title, axis labels and colours, and optionally a 0/1 matrix of
    cells to outline (the truth drawn over what was learned)."""

    matrix: np.ndarray
    title: str
    x_labels: Sequence[str]
    y_labels: Sequence[str]
    x_title: str = ""
    y_title: str = ""
    colorscale: object = PROB_SCALE
    outline: np.ndarray | None = None
    show_values: bool = True  # print the values in small matrices


def _cell_text(m: np.ndarray) -> list | None:
    if m.size > 64:
        return None
    return [[("" if np.isnan(v) else f"{v:.2f}".rstrip("0").rstrip(".")) for v in row] for row in m]


def _outline_shapes(outline: np.ndarray, sfx: str) -> list[dict]:
    """One orange square around every marked cell (categorical axes: cell k sits at position k)."""
    return [
        {
            "type": "rect",
            "xref": f"x{sfx}",
            "yref": f"y{sfx}",
            "x0": j - 0.5,
            "x1": j + 0.5,
            "y0": i - 0.5,
            "y1": i + 0.5,
            "line": {"color": OUTLINE, "width": 2.5},
            "fillcolor": "rgba(0,0,0,0)",
        }
        for i, j in zip(*np.nonzero(np.asarray(outline)), strict=True)
    ]


def matrix_grid(cells: list[MatrixCell], *, height: int = 470, font_size: int = 15) -> go.Figure:
    """Heatmaps side by side in one figure, square cells, fixed 0..1 colours: one panel that goes full screen as
    a whole. Outlined cells show the truth over the learned matrix."""
    fig = make_subplots(rows=1, cols=len(cells), subplot_titles=[c.title for c in cells], horizontal_spacing=0.12)
    shapes: list[dict] = []
    for k, cell in enumerate(cells, start=1):
        sfx = _axis_suffix(fig, 1, k)
        m = np.asarray(cell.matrix, dtype=float)
        text = _cell_text(m) if cell.show_values else None
        fig.add_trace(
            go.Heatmap(
                z=m,
                x=list(cell.x_labels),
                y=list(cell.y_labels),
                zmin=0.0,
                zmax=1.0,
                colorscale=cell.colorscale,
                showscale=False,
                text=text,
                texttemplate="%{text}" if text is not None else None,
                hovertemplate=f"{cell.y_title or 'row'} %{{y}}, {cell.x_title or 'col'} %{{x}}: %{{z:.3f}}"
                "<extra></extra>",
                xgap=1,
                ygap=1,
            ),
            row=1,
            col=k,
        )
        fig.update_xaxes(title_text=cell.x_title, title_standoff=4, constrain="domain", row=1, col=k)
        fig.update_yaxes(
            title_text=cell.y_title,
            title_standoff=4,
            autorange="reversed",
            scaleanchor=f"x{sfx}",
            constrain="domain",
            row=1,
            col=k,
        )
        if cell.outline is not None:
            shapes += _outline_shapes(cell.outline, sfx)
    fig.update_layout(
        height=height,
        shapes=shapes,
        modebar={"orientation": "v"},
        margin={"l": 60, "r": 36, "t": 44, "b": 50},
        plot_bgcolor="white",
        font={"size": font_size},
    )
    fig.update_annotations(font_size=font_size + 1)
    return fig


def _graph_cells(snapshot: Snapshot | None, truth: GraphSpec | None, no_graph: str | None = None) -> list[MatrixCell]:
    """One heatmap per graph the data has: the learned edge probabilities with the true edges outlined (before the
    first evaluation: the true graph itself; for a method without a graph, an empty matrix with the truth
    outlined, titled to say so)."""
    get = lambda name: getattr(snapshot, name, None)  # noqa: E731 - every field is optional here
    cells = []
    for key, name in (("a", "Ga"), ("z", "Gz")):
        true_g = getattr(truth, f"g{key}", None) if truth is not None else None
        matched = get(f"matched_probs_{key}")
        learned = matched if matched is not None else get(f"edge_probs_{key}")
        if no_graph is not None:  # nothing learned: empty cells (no numbers) in the true latents' order, truth outlined
            matched = learned = None if true_g is None else np.zeros(np.shape(true_g))
        if true_g is None and learned is None:
            continue
        shape = np.shape(learned if learned is not None else true_g)
        children = latent_labels(shape[0], "z" if matched is not None or learned is None else "ẑ")
        if key == "a":
            parents, x_title = latent_labels(shape[1], "a"), "action (parent)"
        else:
            parents, x_title = [f"{s}'" for s in children], "z_t-1 (parent)"
        if learned is None:
            title = f"true {name} ({int(np.sum(true_g))} edges)"
            cells.append(MatrixCell(true_g, title, parents, children, x_title, "child", BINARY_SCALE))
        elif matched is not None and true_g is not None:
            title = f"learned {name} vs true (outlined)"
            if no_graph is not None:
                title = f"no {name} learned ({no_graph}); true edges outlined"
            show = no_graph is None  # an empty matrix needs no zeros printed in it
            cells.append(
                MatrixCell(learned, title, parents, children, x_title, "child", outline=true_g, show_values=show)
            )
        else:
            cells.append(MatrixCell(learned, f"learned {name}", parents, children, x_title, "child"))
    return cells


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


def presentation_panels(
    snapshot: Snapshot | None,
    truth: GraphSpec | None = None,
    history=None,
    *,
    pattern: np.ndarray | None = None,
    font_size: int = 15,
    no_graph: str | None = None,
    has_elbo: bool = True,
    references: dict[str, float] | None = None,
) -> dict[str, go.Figure]:
    """The Train page's presentation layout: four large panels for a projector, each one figure: 'graphs' (learned
    with the truth outlined), 'entanglement' (|L P| inside C), 'corr', and 'curves'. Panels that cannot be drawn
    yet are left out; before the first snapshot the true graphs and ``pattern`` (C from the true graphs) stand in.
    ``no_graph`` names a method that learns no graph, ``has_elbo`` whether it has an ELBO (the curves adapt);
    ``references`` are the MCC lines of the reference runs on the same data (see training_curves)."""
    panels: dict[str, go.Figure] = {}
    get = lambda name: getattr(snapshot, name, None)  # noqa: E731 - every field is optional here
    graph_cells = _graph_cells(snapshot, truth, no_graph)
    if graph_cells:
        panels["graphs"] = matrix_grid(graph_cells, font_size=font_size)
    elif no_graph is not None:
        panels["graphs"] = no_graph_figure(no_graph, height=470)
    c = get("pattern") if get("pattern") is not None else pattern
    if c is not None:
        dz = np.shape(c)[0]
        labels = (latent_labels(dz, "ẑ"), latent_labels(dz), "learned (matched)", "true latent")
        coef = get("coef")
        if coef is None:
            cell = MatrixCell(np.asarray(c, dtype=float), "theory: pattern C", *labels, BINARY_SCALE)
        else:
            cell = MatrixCell(coef, "|L P| inside C (outlined)", *labels, outline=np.asarray(c, dtype=bool))
        panels["entanglement"] = matrix_grid([cell], font_size=font_size)
    if get("corr") is not None:
        dz = np.shape(get("corr"))[0]
        labels = (latent_labels(dz, "ẑ"), latent_labels(dz), "learned (matched)", "true latent")
        panels["corr"] = matrix_grid([MatrixCell(get("corr"), "|corr(z, ẑ)| after matching", *labels)])
    has_history = history is not None and len(history)
    panels["curves"] = training_curves(
        history if has_history else None,
        cols=2,
        panels=curve_panels(no_graph is None, has_elbo, presentation=True),
        height=470,
        target_bound=get("target_bound"),
        current_bound=get("bound"),
        font_size=font_size - 2,
        references=references,
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

# ---------------------------------------------------------------- replay of a run's timeline (Runs page, lessons)

REPLAY_METRICS = {
    "mcc": "MCC",
    "r_con": "R_con",
    "r": "R",
    "shd_a": "SHD Ga",
    "shd_z": "SHD Gz",
    "elbo": "ELBO",
    "edge_count": "expected edges",
    "bound": "constraint bound",
    "multiplier": "dual variable λ",
    "loss": "training loss",
}
UNIT_METRICS = ("mcc", "r", "r_con")  # drawn on a fixed 0..1 axis
REPLAY_FRAME_MS = 150  # per frame while playing: 200 frames in 30 s
NOW_COLOUR = "#e07b00"


@dataclass(frozen=True)
class _ReplayCell:
    """One heatmap of a replay: which timeline array it shows and how it is labelled."""

    name: str
    title: str
    x_labels: list[str]
    y_labels: list[str]
    x_title: str
    y_title: str
    outline: np.ndarray | None = None


def _replay_cells(timeline: Timeline, truth: GraphSpec | None) -> list[_ReplayCell]:
    """Learned Ga, learned Gz (matched to the true latents where the run has them, else in the model's order, the
    truth outlined when it fits) and |corr|, for the arrays the timeline has."""
    cells = []
    for key, graph in (("a", "Ga"), ("z", "Gz")):
        matched = timeline.has(f"matched_probs_{key}")
        name = f"matched_probs_{key}" if matched else f"edge_probs_{key}"
        shape = timeline.shape(name)
        if shape is None:
            continue
        children = latent_labels(shape[0], "z" if matched else "ẑ")
        if key == "a":
            parents, x_title = latent_labels(shape[1], "a"), "action (parent)"
        else:
            parents, x_title = [f"{c}'" for c in children], "previous latent (parent)"
        true_g = getattr(truth, f"g{key}", None) if truth is not None else None
        outline = np.asarray(true_g) if matched and true_g is not None and np.shape(true_g) == shape else None
        title = f"learned {graph}" + (", true outlined" if outline is not None else "" if matched else " (model order)")
        cells.append(_ReplayCell(name, title, parents, children, x_title, "child", outline))
    shape = timeline.shape("corr")
    if shape is not None:
        labels = latent_labels(shape[1], "ẑ"), latent_labels(shape[0])
        cells.append(_ReplayCell("corr", "|corr(z, ẑ)|, matched", *labels, "learned (matched)", "true latent"))
    return cells


def _replay_metric(timeline: Timeline, metric: str) -> str | None:
    """The metric to draw: the one asked for when the run recorded it, else MCC, else the loss; None when none."""
    if metric not in REPLAY_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(REPLAY_METRICS)}")
    recorded = timeline.metrics()
    return next((m for m in (metric, "mcc", "loss", *REPLAY_METRICS) if m in recorded), None)


def _replay_z(timeline: Timeline, name: str, k: int) -> tuple[list, list | None]:
    """Frame k's matrix as nested lists rounded to the 3 decimals the hover shows (None where that evaluation had
    none), and its printed values (small matrices). Plain lists, not numpy: Plotly would send numpy as typed arrays,
    which the plotly.js that Streamlit bundles does not decode inside animation frames (the heatmaps went blank)."""
    m = timeline.array(name, k).astype(np.float64)
    z = [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in m]
    return z, (_cell_text(m) if m.size <= 36 else None)


def _replay_title(timeline: Timeline, k: int, metric: str | None) -> str:
    frame = timeline.frames[k]
    text = f"step {frame.step:,} · {frame.seconds:.1f} s"
    value = frame.values.get(metric, float("nan")) if metric else float("nan")
    if metric and np.isfinite(value):
        text += f" · {REPLAY_METRICS[metric]} {value:.3g}"
    return text


def replay_figure(timeline: Timeline, truth: GraphSpec | None, *, metric: str = "mcc", height: int = 700) -> go.Figure:
    """A run replayed from its timeline as a Plotly animation that plays in the browser (no server round trip):
    learned Ga and Gz edge probabilities (matched to the true latents where the run has ground truth, the true
    edges outlined), |corr| between true and learned latents, and ``metric`` over steps with a marker at the shown
    frame. Play / Pause buttons and a slider labelled by step; frames are named by their step. Colours are fixed
    to 0..1 so frames compare. Panels the run lacks are left out (a baseline: |corr| and the curve only)."""
    n_frames = len(timeline)
    if n_frames == 0:
        raise ValueError("the timeline holds no frames")
    cells = _replay_cells(timeline, truth)
    shown = _replay_metric(timeline, metric)
    label = REPLAY_METRICS[shown] if shown else REPLAY_METRICS[metric]
    curve_title = f"{label} over steps" if shown else "no metric recorded"
    n = len(cells)
    if n:
        specs = [[{} for _ in cells], [{"colspan": n}] + [None] * (n - 1)]
        fig = make_subplots(
            rows=2, cols=n, specs=specs, row_heights=[0.62, 0.38], vertical_spacing=0.2, horizontal_spacing=0.12,
            subplot_titles=[c.title for c in cells] + [curve_title],
        )  # fmt: skip
    else:
        fig = make_subplots(rows=1, cols=1, subplot_titles=[curve_title])
    steps = timeline.steps
    shapes: list[dict] = []
    for k, cell in enumerate(cells, start=1):
        z, text = _replay_z(timeline, cell.name, 0)
        last = k == n
        fig.add_trace(
            go.Heatmap(
                z=z, x=cell.x_labels, y=cell.y_labels, zmin=0.0, zmax=1.0, colorscale=PROB_SCALE, showscale=last,
                colorbar={"len": 0.55, "y": 1.0, "yanchor": "top", "thickness": 12} if last else None,
                text=text, texttemplate="%{text}" if text is not None else None, xgap=1, ygap=1,
                hovertemplate=f"{cell.y_title} %{{y}}, {cell.x_title} %{{x}}: %{{z:.3f}}<extra></extra>",
            ),
            row=1, col=k,
        )  # fmt: skip
        sfx = _axis_suffix(fig, 1, k)
        fig.update_xaxes(title_text=cell.x_title, title_standoff=4, constrain="domain", row=1, col=k)
        fig.update_yaxes(
            title_text=cell.y_title, title_standoff=4, autorange="reversed", scaleanchor=f"x{sfx}", constrain="domain",
            row=1, col=k,
        )  # fmt: skip
        if cell.outline is not None:
            shapes += _outline_shapes(cell.outline, sfx)
    series = timeline.series(shown) if shown else np.full(n_frames, np.nan)
    curve = {"row": 2 if n else 1, "col": 1}
    fig.add_trace(
        go.Scatter(
            x=steps, y=series, mode="lines+markers" if n_frames <= 30 else "lines", line={"color": "#1f4e99"},
            name=label, showlegend=False, connectgaps=True, hovertemplate="step %{x}: %{y:.3g}<extra></extra>",
        ),
        **curve,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[int(steps[0])], y=[None if np.isnan(series[0]) else float(series[0])], mode="markers",
            marker={"size": 13, "color": NOW_COLOUR}, name="shown frame",
            showlegend=False, hovertemplate="step %{x}: %{y:.3g}<extra>shown</extra>",
        ),
        **curve,
    )  # fmt: skip
    pad = max(1.0, 0.02 * float(steps[-1] - steps[0]))
    fig.update_xaxes(title_text="step", range=[steps[0] - pad, steps[-1] + pad], gridcolor="#eee", **curve)
    if n_frames == 1:  # no fractional steps around the one point
        fig.update_xaxes(tickmode="array", tickvals=[int(steps[0])], **curve)
    y_range = [0.0, 1.02] if shown in UNIT_METRICS else None
    fig.update_yaxes(title_text=label, range=y_range, gridcolor="#eee", **curve)
    moving = [*range(n), n + 1]  # the heatmaps and the marker; the curve's full line stays as it is
    frames = []
    for k in range(n_frames):
        data = []
        for cell in cells:
            z, text = _replay_z(timeline, cell.name, k)
            data.append(go.Heatmap(z=z, text=text) if text is not None else go.Heatmap(z=z))
        data.append(go.Scatter(x=[int(steps[k])], y=[None if np.isnan(series[k]) else float(series[k])]))
        layout = go.Layout(title={"text": _replay_title(timeline, k, shown)})
        frames.append(go.Frame(name=str(int(steps[k])), data=data, traces=moving, layout=layout))
    fig.frames = frames
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    play = {"frame": {"duration": REPLAY_FRAME_MS, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    many = n_frames > 12  # the slider names the shown step above it; tick labels would overlap
    fig.update_layout(
        title={"text": _replay_title(timeline, 0, shown), "x": 0.02, "y": 0.985, "yanchor": "top", "font_size": 15},
        height=height if n else min(height, 480),
        shapes=shapes,
        plot_bgcolor="white",
        margin={"l": 60, "r": 60, "t": 90, "b": 165},  # below the curve: its axis title, buttons, slider
        modebar={"orientation": "v"},
        updatemenus=[
            {
                "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0, "xanchor": "left",
                "yanchor": "top", "pad": {"t": 58},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
                ],
            }
        ],
        sliders=[
            {
                "active": 0, "x": 0.0, "len": 1.0, "y": 0.0, "yanchor": "top", "pad": {"t": 100},  # under the buttons
                "currentvalue": {"prefix": "step ", "font": {"size": 13, "color": "#333"}},
                "font": {"color": "rgba(0,0,0,0)" if many else "#444", "size": 10},
                "steps": [{"label": str(int(s)), "method": "animate", "args": [[str(int(s))], jump]} for s in steps],
            }
        ],
    )  # fmt: skip
    fig.update_annotations(font_size=13)
    return fig


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


def _name_list(idx, prefix: str = "z") -> str:
    """'z1, z3' (1-based), '' when empty: hover texts of the node-link drawing."""
    return ", ".join(f"{prefix}{k + 1}" for k in idx)


NODE_RADIUS = 14  # px; node markers are 2 * NODE_RADIUS wide
NODE_STEP = 34  # px between neighbouring nodes of a column
_CLEARANCE = NODE_RADIUS + 3  # px an edge keeps from every node it does not touch


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
    columns = []  # (x, ys, labels, hover texts, header, fill, outline)
    traces = []
    if gz is not None:
        ch = [np.flatnonzero(gz[:, j]) for j in range(dz)]
        hover = [f"{names[j]} at t-1 → " + (_name_list(ch[j]) or "no latent") + " at t" for j in range(dz)]
        columns.append((x, yz, [f"{s}'" for s in names], hover, "z<sub>t-1</sub> (past)", "#dce6f5", TIME_EDGE))
        pairs = list(zip(*np.nonzero(gz), strict=True))
        xz = x + _gap([abs(yz[j] - yz[i]) for i, j in pairs])
        traces.append(
            _edge_trace([(x, yz[j], xz, yz[i]) for i, j in pairs], TIME_EDGE, "Gz: z<sub>t-1</sub> → z<sub>t</sub>")
        )
        x = xz
    hover = []
    for i in range(dz):
        parts = []
        if ga is not None:
            parts.append("actions " + (_name_list(np.flatnonzero(ga[i]), "a") or "none"))
        if gz is not None:
            parts.append("past " + (_name_list(np.flatnonzero(gz[i])) or "none"))
        hover.append(f"{names[i]} at t ← " + "; ".join(parts))
    columns.append((x, yz, names, hover, "z<sub>t</sub>", "#dce6f5", TIME_EDGE))
    if ga is not None:
        pairs = list(zip(*np.nonzero(ga), strict=True))
        xa = x + _gap([abs(ya[ell] - yz[i]) for i, ell in pairs])
        traces.append(
            _edge_trace([(xa, ya[ell], x, yz[i]) for i, ell in pairs], ACTION_EDGE, "Ga: a<sub>t</sub> → z<sub>t</sub>")
        )
        hover_a = [f"a{ell + 1} → " + (_name_list(np.flatnonzero(ga[:, ell])) or "no latent") for ell in range(da)]
        columns.append((xa, ya, latent_labels(da, "a"), hover_a, "a<sub>t</sub> (actions)", "#fde7cc", ACTION_EDGE))
        x = xa
    width = x + pad
    half = (max(dz, da) - 1) / 2 * NODE_STEP + NODE_RADIUS + 6
    top = half + 30  # room for the column headers
    fig = go.Figure(traces)
    for cx, ys, labels, hover, header, fill, outline in columns:
        fig.add_trace(
            go.Scatter(
                x=[cx] * len(ys),
                y=ys,
                mode="markers+text",
                text=labels,
                textposition="middle center",
                textfont={"size": 11, "color": "#111"},
                marker={"size": 2 * NODE_RADIUS, "color": fill, "opacity": 1, "line": {"color": outline, "width": 1.5}},
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                showlegend=False,
            )
        )
        fig.add_annotation(x=cx, y=top - 12, text=f"<b>{header}</b>", showarrow=False, font={"size": 13})
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
