"""Plotly figure builders: pure functions, data in, go.Figure out. No Streamlit here.

Matrices are drawn with rows = children (the code's orientation) and a fixed colour scale, so that live updates
never rescale and two runs side by side are comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

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
