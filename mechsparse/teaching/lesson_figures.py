"""The Lessons page's interactive figures, one idea each: pure functions, parameters in, numbers and go.Figure out.

Each example is computed, never drawn by hand: the ambiguity and twin-mixing examples sample latents and measure
them with mechsparse.learning.metrics, the influence curves evaluate the data generator's own mechanisms, and the
pattern parts come from mechsparse.theory.identifiability. So what a lesson shows is what the library does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mechsparse.data import mechanisms
from mechsparse.figures.heatmaps import MatrixCell, matrix_grid
from mechsparse.figures.style import BINARY_SCALE, latent_labels
from mechsparse.learning import metrics
from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec

TRUE_COLOUR = "#1f4e99"
WARN_COLOUR = "#e07b00"
GREY = "#8a8f98"

# ---------------------------------------------------------------- 1. what identified means: the ambiguity


@dataclass(frozen=True)
class AmbiguityExample:
    """Three true latents and a 'learned' representation made from them by the chosen transformations."""

    z: np.ndarray  # (n, 3)
    z_hat: np.ndarray  # (n, 3), in the learned model's own order
    mcc: float  # Pearson, after the Hungarian matching (as the authors)
    mcc_spearman: float  # rank correlation: blind to any monotone element-wise map


def _warp(z: np.ndarray) -> np.ndarray:
    """Three invertible element-wise maps: a cubic, an exponential and a sign flip."""
    return np.stack([z[:, 0] ** 3 + z[:, 0], np.exp(0.8 * z[:, 1]), -z[:, 2]], axis=1)


def ambiguity_example(
    *, permute: bool, warp: bool, mix_degrees: float, n: int = 600, seed: int = 0
) -> AmbiguityExample:
    """ẑ = P h(R_θ z): R_θ rotates z1 and z2 into each other (mixing), h is element-wise and invertible, P
    reorders. Permutation and element-wise maps keep every latent identified; only mixing destroys it."""
    if not 0.0 <= float(mix_degrees) <= 90.0:
        raise ValueError(f"the mixing angle must be between 0 and 90 degrees, got {mix_degrees}")
    z = np.random.default_rng(seed).uniform(-1.5, 1.5, size=(n, 3))
    t = np.deg2rad(float(mix_degrees))
    rot = np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])
    u = z @ rot.T
    if warp:
        u = _warp(u)
    if permute:
        u = u[:, [2, 0, 1]]
    return AmbiguityExample(z, u, metrics.mcc(z, u), metrics.mcc(z, u, method="spearman"))


def ambiguity_figure(example: AmbiguityExample, *, height: int = 560) -> go.Figure:
    """Every true latent (rows) against every learned one (columns), |corr| in each panel's corner: identified
    means each row has exactly one panel that is a clean curve, whatever its column or shape."""
    z, u = example.z, example.z_hat
    dz = z.shape[1]
    corr = metrics.abs_correlation(z, u, method="spearman")
    fig = make_subplots(
        rows=dz,
        cols=dz,
        shared_xaxes=False,
        shared_yaxes=False,
        horizontal_spacing=0.04,
        vertical_spacing=0.05,
        column_titles=[f"learned ẑ({j + 1})" for j in range(dz)],
        row_titles=latent_labels(dz),
    )
    for i in range(dz):
        for j in range(dz):
            strong = corr[i, j] > 0.9
            fig.add_trace(
                go.Scattergl(
                    x=u[:, j],
                    y=z[:, i],
                    mode="markers",
                    marker={"size": 3, "color": TRUE_COLOUR if strong else GREY, "opacity": 0.6},
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=i + 1,
                col=j + 1,
            )
            fig.add_annotation(
                text=f"|ρ| {corr[i, j]:.2f}",
                xref="x domain" if i == j == 0 else f"x{i * dz + j + 1} domain",
                yref="y domain" if i == j == 0 else f"y{i * dz + j + 1} domain",
                x=0.02,
                y=0.98,
                xanchor="left",
                yanchor="top",
                showarrow=False,
                font={"size": 12, "color": TRUE_COLOUR if strong else GREY},
                bgcolor="rgba(255,255,255,0.7)",
            )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(height=height, margin={"l": 20, "r": 50, "t": 40, "b": 20}, plot_bgcolor="#fafbfc")
    return fig


# ---------------------------------------------------------------- 3. sufficient influence (variability)

INFLUENCE_GRAPH = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]])  # 3 latents, 3 actions, cyclic (action-nondiag's shape)
VARIANT_NAMES = {"standard": "the papers' sinusoidal mechanisms", "no_suff_var": "linear mechanisms (no_suff_var)"}


def influence_curves(latent: int, *, seed: int = 0, points: int = 121) -> dict[str, dict[str, np.ndarray]]:
    """For each variant and each action parent a_l of z_latent: the mean of z_latent as a_l sweeps [-2, 2] (other
    actions at 0), and its slope, the push a_l gives z_latent at each value, from the generator's own mechanisms."""
    if not 0 <= latent < INFLUENCE_GRAPH.shape[0]:
        raise ValueError(f"latent must be between 1 and {INFLUENCE_GRAPH.shape[0]}")
    spec = GraphSpec(ga=INFLUENCE_GRAPH)
    grid = np.linspace(-2.0, 2.0, points)
    out: dict[str, dict[str, np.ndarray]] = {}
    for variant in VARIANT_NAMES:
        mech = mechanisms.make_mechanisms(spec, variant, seed=seed)
        curves: dict[str, np.ndarray] = {"a": grid}
        for ell in np.flatnonzero(INFLUENCE_GRAPH[latent]):
            a = np.zeros((points, INFLUENCE_GRAPH.shape[1]))
            a[:, ell] = grid
            mean, _ = mech(a, None)
            curves[f"mean a{ell + 1}"] = mean[:, latent]
            curves[f"slope a{ell + 1}"] = np.gradient(mean[:, latent], grid)
        out[variant] = curves
    return out


def influence_figure(latent: int, *, seed: int = 0, height: int = 460) -> go.Figure:
    """Mean and slope of one latent's mechanism against each of its action parents, standard (top) against
    linear (bottom): a slope that never changes is the failure of sufficient influence."""
    curves = influence_curves(latent, seed=seed)
    titles = []
    for words in VARIANT_NAMES.values():
        titles += [f"{words}: mean of z{latent + 1}", f"{words}: slope d mean / d a"]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.1)
    colours = [TRUE_COLOUR, WARN_COLOUR, "#17a398"]
    for row, variant in enumerate(VARIANT_NAMES, start=1):
        c = curves[variant]
        parents = [k.split()[1] for k in c if k.startswith("mean ")]
        for k, name in enumerate(parents):
            style = {"color": colours[k % len(colours)], "width": 2.5}
            for col, what in ((1, "mean"), (2, "slope")):
                fig.add_trace(
                    go.Scatter(
                        x=c["a"],
                        y=c[f"{what} {name}"],
                        mode="lines",
                        line=style,
                        name=f"action {name}",
                        legendgroup=name,
                        showlegend=row == 1 and col == 1,
                        hovertemplate=f"{name} = %{{x:.2f}}: %{{y:.3f}}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
    fig.update_xaxes(title_text="value of the action", title_standoff=2, row=2)
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": 1.12, "x": 0.0},
        plot_bgcolor="#fafbfc",
    )
    fig.update_annotations(font_size=13)
    return fig


# ---------------------------------------------------------------- 4, 6: the parts of C


def pattern_parts(spec: GraphSpec) -> list[tuple[str, np.ndarray]]:
    """The pieces C is the AND of, each as a pattern: from Ga; from Gz's parents (rows) and children (columns);
    and C itself. A piece that the graphs do not have is left out."""
    parts: list[tuple[str, np.ndarray]] = []
    if spec.ga is not None:
        parts.append(("from Ga: action parents", identifiability.subset_pattern(spec.ga)))
    if spec.gz is not None:
        parts.append(("from Gz: parents only", identifiability.subset_pattern(spec.gz)))
        parts.append(("from Gz: children only", identifiability.subset_pattern(spec.gz.T)))
    parts.append(("C: all of them (AND)", identifiability.consistency_pattern(spec.ga, spec.gz)))
    return parts


def pattern_parts_figure(parts: Sequence[tuple[str, np.ndarray]], *, height: int = 380) -> go.Figure:
    """The pieces of C side by side: a cell survives in C only where every piece has it."""
    cells = []
    for title, c in parts:
        dz = c.shape[0]
        cells.append(
            MatrixCell(
                matrix=np.asarray(c, dtype=float),
                title=title,
                x_labels=latent_labels(dz, "ẑ"),
                y_labels=latent_labels(dz),
                x_title="learned ẑ_j",
                y_title="true z_i",
                colorscale=BINARY_SCALE,
                show_values=False,
            )
        )
    return matrix_grid(cells, height=height, font_size=13)


def family_text(spec: GraphSpec, latent: int) -> list[str]:
    """z_latent's parents and children in each graph, in words, for the latent the student picked."""
    i = latent
    lines = []
    if spec.ga is not None:
        parents = np.flatnonzero(spec.ga[i])
        lines.append(f"action parents: {identifiability.latent_list(parents, 'a') or 'none'}")
    if spec.gz is not None:
        lines.append(
            f"temporal parents (z_t-1 → z{i + 1}): {identifiability.latent_list(np.flatnonzero(spec.gz[i])) or 'none'}"
        )
        children = identifiability.latent_list(np.flatnonzero(spec.gz[:, i])) or "none"
        lines.append(f"temporal children (z{i + 1} → z_t+1): {children}")
    return lines


# ---------------------------------------------------------------- 5. twins: MCC against R_con

TWIN_SPEC = GraphSpec(ga=np.kron(np.eye(2), np.ones((2, 1))))  # teach-twins: {z1, z2} and {z3, z4} twins
TWIN_PAIRS = {"twins z1 and z2": (0, 1), "non-twins z1 and z3": (0, 2)}


def twin_mixing_scores(pair: tuple[int, int], degrees: np.ndarray, *, n: int = 2000, seed: int = 0) -> dict:
    """MCC and R_con (C of teach-twins) when the learned latents rotate the given pair of true latents by each
    angle: mixing twins costs MCC but not R_con; mixing across classes costs both."""
    z = np.random.default_rng(seed).standard_normal((n, 4))
    pattern = identifiability.consistency_pattern(TWIN_SPEC.ga)
    i, j = pair
    mcc, rcon = [], []
    for d in np.asarray(degrees, dtype=float):
        t = np.deg2rad(d)
        u = z.copy()
        u[:, i] = np.cos(t) * z[:, i] - np.sin(t) * z[:, j]
        u[:, j] = np.sin(t) * z[:, i] + np.cos(t) * z[:, j]
        mcc.append(metrics.mcc(z, u))
        rcon.append(metrics.r_con(z, u, pattern))
    return {"degrees": np.asarray(degrees, dtype=float), "mcc": np.array(mcc), "r_con": np.array(rcon)}


def twin_mixing_figure(pair_name: str, degrees: float, *, height: int = 380) -> go.Figure:
    """MCC and R_con against the mixing angle, the chosen angle marked."""
    if pair_name not in TWIN_PAIRS:
        raise ValueError(f"pair must be one of: {', '.join(TWIN_PAIRS)}")
    sweep = twin_mixing_scores(TWIN_PAIRS[pair_name], np.linspace(0, 90, 31))
    now = twin_mixing_scores(TWIN_PAIRS[pair_name], np.array([degrees]))
    fig = go.Figure()
    for key, name, colour, where in (
        ("mcc", "MCC", WARN_COLOUR, "bottom right"),
        ("r_con", "R_con", TRUE_COLOUR, "top right"),
    ):
        fig.add_trace(go.Scatter(x=sweep["degrees"], y=sweep[key], mode="lines", name=name, line={"color": colour}))
        fig.add_trace(
            go.Scatter(
                x=now["degrees"],
                y=now[key],
                mode="markers+text",
                marker={"size": 13, "color": colour},
                text=[f"{name} {now[key][0]:.2f}"],
                textposition=where,
                showlegend=False,
            )
        )
    fig.update_layout(
        title=f"Mixing {pair_name} by an angle",
        height=height,
        xaxis={"title": "mixing angle (degrees)", "range": [0, 100]},
        yaxis={"title": "score", "range": [0.45, 1.04]},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
        plot_bgcolor="#fafbfc",
    )
    return fig


# ---------------------------------------------------------------- 7. sparsity strength


@dataclass(frozen=True)
class StrengthPoint:
    """One recorded run of the strength lesson: its constraint bound (None: unregularised) and final scores."""

    name: str
    bound: float | None
    mcc: float
    shd: float | None


def strength_figure(points: Sequence[StrengthPoint], true_edges: int, *, height: int = 380) -> go.Figure:
    """Final MCC and SHD of each recorded bound, the true edge count marked: too tight a bound forces the model to
    drop true edges; too loose a bound lets it keep wrong ones."""
    pts = sorted((p for p in points if p.bound is not None), key=lambda p: p.bound)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [p.bound for p in pts]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[p.mcc for p in pts],
            mode="lines+markers",
            name="MCC",
            line={"color": TRUE_COLOUR},
            marker={"size": 10},
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=[p.shd for p in pts],
            width=[max(1.0, 0.04 * (max(x) - min(x) if len(x) > 1 else 20))] * len(x),
            name="SHD (wrong edges)",
            marker={"color": WARN_COLOUR},
            opacity=0.45,
        ),
        secondary_y=True,
    )
    for p in points:
        if p.bound is None:
            fig.add_hline(
                y=p.mcc,
                line={"dash": "dot", "color": GREY},
                annotation_text=f"no sparsity: MCC {p.mcc:.2f}",
                annotation_position="bottom left",
            )
    fig.add_vline(x=true_edges, line={"dash": "dash", "color": "#17a398"}, annotation_text=f"true edges {true_edges}")
    fig.update_xaxes(title_text="constraint bound (expected edges allowed)")
    fig.update_yaxes(title_text="MCC", range=[0.5, 1.02], secondary_y=False)
    fig.update_yaxes(title_text="SHD", rangemode="tozero", secondary_y=True, showgrid=False, tickformat="d")
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 60, "t": 30, "b": 50},
        legend={"orientation": "h", "y": -0.25},
        plot_bgcolor="#fafbfc",
    )
    return fig
