"""Matrix heatmaps: one matrix alone, or several side by side in one figure with the truth outlined over what was
learned. Rows are children (the code's orientation) and colours are fixed to 0..1, so that live updates never
rescale and two runs side by side are comparable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.figures.style import OUTLINE, PROB_SCALE, axis_suffix, latent_labels


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


def cell_text(m: np.ndarray) -> list | None:
    """The values printed in a small matrix's cells (two decimals, no trailing zeros, blank for NaN); None when
    the matrix is too large for them to be read."""
    if m.size > 64:
        return None
    return [[("" if np.isnan(v) else f"{v:.2f}".rstrip("0").rstrip(".")) for v in row] for row in m]


def outline_shapes(outline: np.ndarray, sfx: str) -> list[dict]:
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
        sfx = axis_suffix(fig, 1, k)
        m = np.asarray(cell.matrix, dtype=float)
        text = cell_text(m) if cell.show_values else None
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
            shapes += outline_shapes(cell.outline, sfx)
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
