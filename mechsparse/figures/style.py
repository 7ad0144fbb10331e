"""The look every figure shares: the fixed colour scales, latent names, Plotly's default sizes, the subplot axis a
panel draws on, and the projector copy of any figure (class mode)."""

from __future__ import annotations

import plotly.graph_objects as go

PROB_SCALE = "Blues"  # 0..1 quantities: edge probabilities, |corr|, |L P|
BINARY_SCALE = [[0.0, "#f4f4f6"], [1.0, "#1f4e99"]]  # 0/1 graphs and patterns
OUTLINE = "#e07b00"  # true edges / allowed cells drawn over a learned matrix
PLOTLY_FONT_SIZE = 12  # plotly's default font size (px); a title's default is 1.4 times it
PLOTLY_HEIGHT = 450  # plotly's default figure height (px)


def latent_labels(n: int, prefix: str = "z") -> list[str]:
    """1-based names: z1..zn."""
    return [f"{prefix}{i + 1}" for i in range(n)]


def axis_suffix(fig: go.Figure, row: int, col: int) -> str:
    """The suffix of a subplot's axes ('', '2', ...), for references such as 'x2 domain' or 'yaxis2'."""
    ref = fig.get_subplot(row, col).xaxis.plotly_name  # "xaxis", "xaxis2", ...
    return ref[len("xaxis") :]


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
