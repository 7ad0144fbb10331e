"""A run's panels (Train and Runs pages): the authors' figure live, one heatmap each (true and learned graphs,
pattern C, |L P|, |corr|), and the presentation layout, four large panels for a projector with the truth outlined
over what was learned and the curves."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from mechsparse.figures.curves import curve_panels, training_curves
from mechsparse.figures.graph_drawings import graph_heatmap
from mechsparse.figures.heatmaps import MatrixCell, heatmap, matrix_grid
from mechsparse.figures.style import BINARY_SCALE, latent_labels
from mechsparse.theory.graphs import GraphSpec

if TYPE_CHECKING:  # the figures need no scipy (evaluation imports it): the Theory page loads faster
    from mechsparse.learning.evaluation import Snapshot

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
