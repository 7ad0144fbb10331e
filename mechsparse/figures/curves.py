"""Metric curves against the training step: one subplot per panel (MCC with R_con, SHD, ELBO, the edge count with
its bound, the dual variable, the loss), each with its own colours, and one metric of several runs overlaid."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.figures.style import axis_suffix

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


def _note_in_empty_panel(fig: go.Figure, row: int, col: int, text: str) -> None:
    """An axis without traces is not drawn, so the note goes in paper coordinates at the panel's centre."""
    sfx = axis_suffix(fig, row, col)
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


def _curve_grid(panels: tuple[str, ...], cols: int, height: int) -> tuple[go.Figure, int]:
    """The empty subplots, titled, and their number of rows."""
    rows = -(-len(panels) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[CURVES[k][0] for k in panels],
        horizontal_spacing=0.1 if cols <= 2 else 0.075,
        vertical_spacing=min(0.3, 80 / max(height - 90, 1)) if rows > 1 else 0.1,  # room for a title and ticks
    )
    return fig, rows


def _draw_series(fig: go.Figure, history, steps, key: str, row: int, col: int, same: bool) -> bool:
    """One panel's lines (MCC and R_con drawn as one when they coincide); whether any was drawn."""
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
    return drawn


def _reference_lines(fig: go.Figure, references: dict[str, float], row: int, col: int, font_size: int | None) -> None:
    """The reference runs' MCC, each a labelled dashed line across the MCC panel."""
    for label, value in references.items():
        fig.add_hline(
            y=value, row=row, col=col, line={"color": "#777777", "dash": "dash", "width": 1.5},
            annotation_text=f"{label} {value:.2f}",
            annotation_position="bottom left" if value > 0.5 else "top right",  # where curves seldom are
            annotation_font={"size": 11 if font_size is None else font_size - 2, "color": "#555"},
        )  # fmt: skip


def _panel_note(fig: go.Figure, key: str, row: int, col: int, note: str, font_size: int | None) -> None:
    """A one-line note in a panel's corner (MCC: bottom right; the edge count: top right)."""
    sfx = axis_suffix(fig, row, col)
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


def _curve_layout(fig: go.Figure, rows: int, height: int, font_size: int | None) -> None:
    """Axis titles, legend below, grid and fonts shared by every panel."""
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
    fig, rows = _curve_grid(panels, cols, height)
    steps = history["step"] if history is not None and "step" in history else None
    same = mcc_equals_r_con(history)
    for k, key in enumerate(panels):
        row, col = k // cols + 1, k % cols + 1
        _, y_title, yrange = CURVES[key]
        drawn = _draw_series(fig, history, steps, key, row, col, same)
        if key == "mcc" and references:
            _reference_lines(fig, references, row, col, font_size)
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
            _panel_note(fig, key, row, col, note, font_size)
    _curve_layout(fig, rows, height, font_size)
    return fig


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
