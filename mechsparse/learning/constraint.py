"""The sparsity constraint's bound: its target edge count (from the config or the data's true graphs) and how it
anneals from every mask entry down to that target, by step or by a share of the run's budget.

Plain functions of numbers and graphs (no torch), so the trainer and the checks made before a run share them.
"""

from __future__ import annotations

import numpy as np

from mechsparse.data.dataset import Dataset
from mechsparse.learning import methods
from mechsparse.learning.config import TrainConfig


def true_graphs(dataset: Dataset) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The data's (Ga, Gz) as the model sees them: Gz only for temporal data."""
    ga = None if dataset.ga is None else np.asarray(dataset.ga)
    gz = None if dataset.gz is None or dataset.t <= 1 else np.asarray(dataset.gz)
    return ga, gz


def target_bound(dataset: Dataset, config: TrainConfig) -> float | None:
    """The constraint's target edge count: config.bound, else the true graphs' edge count; None without a
    constraint on learned masks (or for a baseline method). A one-line ValueError when the data cannot give it."""
    if config.method != methods.SPARSE or config.masks != "learned" or config.sparsity != "constraint":
        return None
    if config.bound is not None:
        return float(config.bound)
    if (config.dz or dataset.dz) != dataset.dz:
        raise ValueError("the constraint needs a bound: the data's graphs do not match the model's dz")
    ga, gz = true_graphs(dataset)
    edges = 0.0
    if dataset.da > 0:
        if ga is None:
            raise ValueError("the data carries no action graph, so give the constraint bound (or use a penalty)")
        edges += float(ga.sum())
    if dataset.t > 1:
        if gz is None:
            raise ValueError("the data carries no temporal graph, so give the constraint bound (or use a penalty)")
        edges += float(gz.sum())
    return edges


def annealed_bound(
    step: int, n_entries: int, target: float | None, anneal_start: int, anneal_steps: int
) -> float | None:
    """The constraint bound at ``step``: all ``n_entries`` until anneal_start, then linear to ``target`` over
    anneal_steps (at once when 0). None without a target."""
    if target is None:
        return None
    frac = 1.0 if anneal_steps == 0 else (step - anneal_start) / anneal_steps
    frac = min(1.0, max(0.0, frac))
    return n_entries + (target - n_entries) * frac


def annealed_fraction(progress: float, n_entries: int, target: float | None, start: float, end: float) -> float | None:
    """The constraint bound at ``progress`` (a fraction of the run): all ``n_entries`` until start, then linear to
    ``target`` at end (at once when end <= start). None without a target."""
    if target is None:
        return None
    frac = 1.0 if end <= start else (progress - start) / (end - start)
    frac = min(1.0, max(0.0, frac)) if progress >= start else 0.0
    return n_entries + (target - n_entries) * frac
