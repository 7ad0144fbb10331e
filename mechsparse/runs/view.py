"""What a page shows about one run at one instant: the live job's state when this app trains it, else the folder's.

The Train page and any other view ask ``run_view(run_id, registry)`` instead of deciding status, messages, what
can be resumed themselves (how far it has come is Snapshot.progress); the helpers below turn a RunView into the
texts, numbers and figures the page lays out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from mechsparse.figures.curves import bound_label, curve_panels, training_curves
from mechsparse.figures.panels import PANEL_CAPTIONS, presentation_panels, run_panels
from mechsparse.learning import expectations, methods
from mechsparse.learning.config import TrainConfig
from mechsparse.learning.evaluation import Snapshot, duration_text
from mechsparse.runs import store
from mechsparse.runs.jobs import JobRegistry
from mechsparse.theory import graphs, identifiability

ENDED = ("finished", "stopped", "failed")  # a run that trains no more
RESUMABLE = ("stopped", "interrupted", "failed")
MESSAGES = {
    "interrupted": "the process training this run ended without finishing it (an app restart, a killed command "
    "line); resume it from its last checkpoint",
    "running elsewhere": "another process (a second app or a command line) trains this run; this view follows "
    "its folder, which it saves every few seconds",
}


@dataclass(frozen=True)
class RunView:
    """One run as a page draws it."""

    run_id: str
    label: str
    status: str
    message: str
    snapshot: Snapshot | None
    history: pd.DataFrame
    true_graphs: graphs.GraphSpec | None
    live: bool  # this app's worker trains it: pause / resume / stop apply
    dataset: str = ""  # the data's name (a preset's name when made from one)
    config: TrainConfig = field(default_factory=TrainConfig)  # config.json's training configuration
    data_id: str = ""  # the dataset's fingerprint (store.dataset_fingerprint); "" for runs made before it existed

    @property
    def can_resume(self) -> bool:
        return not self.live and self.status in RESUMABLE

    @property
    def method(self) -> methods.Method:
        return methods.get(self.config.method)


def run_view(run_id: str, registry: JobRegistry) -> RunView:
    """The run as this app sees it now (a ValueError for an unknown or damaged run)."""
    job = registry.get(run_id)
    record = store.load_run(run_id, arrays=job is None)  # a live job's numbers come from its snapshots
    if job is not None:
        view = job.view()
        status, message, snapshot = view.status, view.message, view.snapshot
        history = pd.DataFrame(list(snapshot.history)) if snapshot is not None else pd.DataFrame()
    else:
        status, snapshot, history = record.shown_status(), record.snapshot, record.history
        message = MESSAGES.get(status, record.summary.message)
    return RunView(
        run_id=run_id,
        label=record.label,
        status=status,
        message=str(message or ""),
        snapshot=snapshot,
        history=history,
        true_graphs=record.true_graphs,
        live=job is not None and job.alive,
        dataset=record.meta.data,
        config=record.config,
        data_id=record.meta.data_id,
    )


# ---------------------------------------------------------------- texts and numbers


def number_text(value, digits: int = 3) -> str:
    """A headline number: '—' when absent, floats to ``digits`` decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def progress_text(snap: Snapshot, live: bool) -> str:
    """'step 1,200 / 40,000 · 42 s of 300 s · about 4 min 18 s left · 140 steps/s · device cpu'."""
    parts = [f"step {snap.step:,}" + (f" / {snap.max_steps:,}" if snap.max_steps else "")]
    parts.append(duration_text(snap.elapsed) + (f" of {duration_text(snap.max_seconds)}" if snap.max_seconds else ""))
    left = snap.seconds_left
    if left is not None and live and not snap.finished:
        parts.append(f"about {duration_text(left)} left")
    parts.append(f"{snap.steps_per_second:.0f} steps/s")
    return " · ".join(parts + [f"device {snap.device}"])


def expectation_text(view: RunView) -> str | None:
    """What the benchmarks measured for the run's preset with default settings (so a room knows how long to
    wait); None for other data and methods."""
    measured = expectations.describe(view.dataset)
    if measured and view.dataset in graphs.PRESETS and view.method.name == methods.SPARSE:
        return f"What to expect for {view.dataset} (default settings): {measured}"
    return None


def headline(view: RunView, snap: Snapshot) -> tuple[list[tuple[str, str]], str | None]:
    """The run's numbers of the moment as (label, value) pairs, and one line on what the bound is doing (for a
    method without a graph: its loss instead, and a line saying it learns no graph)."""
    m, method = snap.metrics, view.method
    numbers = [("MCC", number_text(m.mcc)), ("R_con", number_text(m.r_con))]
    if not method.learns_graph:
        numbers += [("ELBO", number_text(snap.elbo, 2) if method.has_elbo else "—")]
        numbers += [("Training loss", number_text(snap.loss, 3)), ("Method", method.label)]
        return numbers, (
            f"{method.label} learns no graph ({method.summary}): its graph panels stay empty, and the correlation "
            "matrix, |L P| and curves compare its latents with the truth."
        )
    shd = [v for v in (m.shd_a, m.shd_z) if v is not None]
    edges = number_text(snap.edge_count, 1) + (f" / {snap.bound:.0f}" if snap.bound is not None else "")
    numbers += [("SHD", number_text(sum(shd)) if shd else "—"), ("ELBO", number_text(snap.elbo, 2))]
    numbers += [("Expected edges", edges), ("Dual variable λ", number_text(snap.multiplier, 3))]
    label = bound_label(view.history if len(view.history) else None, snap.target_bound, snap.bound)
    if label:
        return numbers, f"Constraint: expected edges ≤ bound; {label}."
    if snap.bound is None and snap.multiplier is None:
        return numbers, "No sparsity constraint: every edge is kept, so the expected edge count is the full graph's."
    return numbers, None


# ---------------------------------------------------------------- figures


def presentation_figures(view: RunView, references: dict[str, float]) -> dict[str, go.Figure]:
    """The four large panels (graphs, entanglement, corr, curves); before the first evaluation the truth (the true
    graphs, the theory's pattern C) stands in for the run's own."""
    method, truth = view.method, view.true_graphs
    pattern = None if truth is None else identifiability.consistency_pattern(truth.ga, truth.gz)
    return presentation_panels(
        view.snapshot, truth, view.history, pattern=pattern, no_graph=None if method.learns_graph else method.label,
        has_elbo=method.has_elbo, references=references,
    )  # fmt: skip


def all_figures(view: RunView, references: dict[str, float]) -> dict[str, go.Figure]:
    """Every panel of the run (true and learned graphs, pattern, |L P|, corr) and all its curves ('curves')."""
    method = view.method
    panels = run_panels(view.snapshot, view.true_graphs, no_graph=None if method.learns_graph else method.label)
    history = view.history if len(view.history) else None
    curves = curve_panels(method.learns_graph, method.has_elbo)
    target = view.snapshot.target_bound if view.snapshot is not None else None
    panels["curves"] = training_curves(history, panels=curves, target_bound=target, references=references)
    return panels


def presentation_captions(view: RunView) -> dict[str, str]:
    """One line under each large panel saying what to look for."""
    captions = dict(PANEL_CAPTIONS)
    if not view.method.learns_graph:
        captions["graphs"], captions["curves"] = captions["graphs_none"], captions["curves_none"]
    elif view.true_graphs is None:
        captions["graphs"] = captions["graphs_unmatched"]
    elif view.snapshot is None:
        captions["graphs"] = "The true graph: the learned edge probabilities take its place at the first evaluation."
        captions["entanglement"] = "The theory's pattern C: the learned |L P| takes its place at the first evaluation."
    return captions


def all_panels_captions(view: RunView) -> tuple[str, str]:
    """What to look for in the grid of every panel, and in the curves under it."""
    learns_graph = view.method.learns_graph
    graphs_line = "Learned graphs should come to match the true graphs" if learns_graph else "No graph is learned"
    return (
        f"{graphs_line}; |L P| should fit inside C. Colour scales are fixed: 0 (white) to 1 (dark blue), so frames "
        "and runs compare directly.",
        PANEL_CAPTIONS["curves" if learns_graph else "curves_none"],
    )
