"""A run replayed from its timeline (Runs page, lessons): a Plotly animation that plays in the browser, the learned
graphs and |corr| frame by frame above the metric's curve, with Play / Pause buttons and a slider by step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.figures.heatmaps import cell_text, outline_shapes
from mechsparse.figures.style import PROB_SCALE, axis_suffix, latent_labels
from mechsparse.theory.graphs import GraphSpec

if TYPE_CHECKING:
    from mechsparse.learning.timeline import Timeline

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
    return z, (cell_text(m) if m.size <= 36 else None)


def _replay_title(timeline: Timeline, k: int, metric: str | None) -> str:
    frame = timeline.frames[k]
    text = f"step {frame.step:,} · {frame.seconds:.1f} s"
    value = frame.values.get(metric, float("nan")) if metric else float("nan")
    if metric and np.isfinite(value):
        text += f" · {REPLAY_METRICS[metric]} {value:.3g}"
    return text


def _replay_grid(cells: list[_ReplayCell], curve_title: str) -> go.Figure:
    """The heatmaps in a row above the curve spanning them all; the curve alone when there is no heatmap."""
    n = len(cells)
    if not n:
        return make_subplots(rows=1, cols=1, subplot_titles=[curve_title])
    specs = [[{} for _ in cells], [{"colspan": n}] + [None] * (n - 1)]
    return make_subplots(
        rows=2, cols=n, specs=specs, row_heights=[0.62, 0.38], vertical_spacing=0.2, horizontal_spacing=0.12,
        subplot_titles=[c.title for c in cells] + [curve_title],
    )  # fmt: skip


def _add_heatmaps(fig: go.Figure, timeline: Timeline, cells: list[_ReplayCell]) -> list[dict]:
    """The first frame's heatmaps, square cells, the colour bar beside the last; the outlines of the true edges."""
    shapes: list[dict] = []
    for k, cell in enumerate(cells, start=1):
        z, text = _replay_z(timeline, cell.name, 0)
        last = k == len(cells)
        fig.add_trace(
            go.Heatmap(
                z=z, x=cell.x_labels, y=cell.y_labels, zmin=0.0, zmax=1.0, colorscale=PROB_SCALE, showscale=last,
                colorbar={"len": 0.55, "y": 1.0, "yanchor": "top", "thickness": 12} if last else None,
                text=text, texttemplate="%{text}" if text is not None else None, xgap=1, ygap=1,
                hovertemplate=f"{cell.y_title} %{{y}}, {cell.x_title} %{{x}}: %{{z:.3f}}<extra></extra>",
            ),
            row=1, col=k,
        )  # fmt: skip
        sfx = axis_suffix(fig, 1, k)
        fig.update_xaxes(title_text=cell.x_title, title_standoff=4, constrain="domain", row=1, col=k)
        fig.update_yaxes(
            title_text=cell.y_title, title_standoff=4, autorange="reversed", scaleanchor=f"x{sfx}", constrain="domain",
            row=1, col=k,
        )  # fmt: skip
        if cell.outline is not None:
            shapes += outline_shapes(cell.outline, sfx)
    return shapes


def _add_curve(fig: go.Figure, steps: np.ndarray, series: np.ndarray, label: str, shown: str | None, row: int) -> None:
    """The metric's whole curve and the marker of the shown frame (first frame here), on a padded step axis."""
    curve = {"row": row, "col": 1}
    fig.add_trace(
        go.Scatter(
            x=steps, y=series, mode="lines+markers" if len(steps) <= 30 else "lines", line={"color": "#1f4e99"},
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
    if len(steps) == 1:  # no fractional steps around the one point
        fig.update_xaxes(tickmode="array", tickvals=[int(steps[0])], **curve)
    y_range = [0.0, 1.02] if shown in UNIT_METRICS else None
    fig.update_yaxes(title_text=label, range=y_range, gridcolor="#eee", **curve)


def _replay_frames(
    timeline: Timeline, cells: list[_ReplayCell], series: np.ndarray, shown: str | None
) -> list[go.Frame]:
    """One frame per evaluation, named by its step: new heatmaps, the marker moved, the title's step and value."""
    steps = timeline.steps
    moving = [*range(len(cells)), len(cells) + 1]  # the heatmaps and the marker; the curve's full line stays as it is
    frames = []
    for k in range(len(timeline)):
        data = []
        for cell in cells:
            z, text = _replay_z(timeline, cell.name, k)
            data.append(go.Heatmap(z=z, text=text) if text is not None else go.Heatmap(z=z))
        data.append(go.Scatter(x=[int(steps[k])], y=[None if np.isnan(series[k]) else float(series[k])]))
        layout = go.Layout(title={"text": _replay_title(timeline, k, shown)})
        frames.append(go.Frame(name=str(int(steps[k])), data=data, traces=moving, layout=layout))
    return frames


def _replay_controls(steps: np.ndarray) -> dict:
    """The Play / Pause buttons and the slider by step under them, as layout properties."""
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    play = {"frame": {"duration": REPLAY_FRAME_MS, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    many = len(steps) > 12  # the slider names the shown step above it; tick labels would overlap
    return {
        "updatemenus": [
            {
                "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0, "xanchor": "left",
                "yanchor": "top", "pad": {"t": 58},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
                ],
            }
        ],
        "sliders": [
            {
                "active": 0, "x": 0.0, "len": 1.0, "y": 0.0, "yanchor": "top", "pad": {"t": 100},  # under the buttons
                "currentvalue": {"prefix": "step ", "font": {"size": 13, "color": "#333"}},
                "font": {"color": "rgba(0,0,0,0)" if many else "#444", "size": 10},
                "steps": [{"label": str(int(s)), "method": "animate", "args": [[str(int(s))], jump]} for s in steps],
            }
        ],
    }  # fmt: skip


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
    fig = _replay_grid(cells, f"{label} over steps" if shown else "no metric recorded")
    shapes = _add_heatmaps(fig, timeline, cells)
    series = timeline.series(shown) if shown else np.full(n_frames, np.nan)
    _add_curve(fig, timeline.steps, series, label, shown, row=2 if cells else 1)
    fig.frames = _replay_frames(timeline, cells, series, shown)
    fig.update_layout(
        title={"text": _replay_title(timeline, 0, shown), "x": 0.02, "y": 0.985, "yanchor": "top", "font_size": 15},
        height=height if cells else min(height, 480),
        shapes=shapes,
        plot_bgcolor="white",
        margin={"l": 60, "r": 60, "t": 90, "b": 165},  # below the curve: its axis title, buttons, slider
        modebar={"orientation": "v"},
        **_replay_controls(timeline.steps),
    )
    fig.update_annotations(font_size=13)
    return fig
