"""The floor and ceiling of a run's charts: the newest finished random (an untrained encoder: the floor) and
supervised (regressed on the true latents: the ceiling) runs on the same data, found by the data's fingerprint
(config.json's meta.data_id), and making the missing ones.
"""

from __future__ import annotations

from mechsparse.learning import methods
from mechsparse.learning.config import default_config
from mechsparse.learning.preflight import check_trainable
from mechsparse.runs import runner, store
from mechsparse.runs.jobs import JobRegistry
from mechsparse.runs.launch import launch_run

REFERENCE_METHODS = ("supervised", "random")  # the ceiling and the floor of every chart
REFERENCE_LABELS = {"supervised": "ceiling: supervised", "random": "floor: random"}  # their lines on a chart


def reference_runs(data_id: str | None) -> dict[str, store.RunRecord]:
    """The newest finished supervised and random runs on the data ``data_id`` (by method; absent ones are left
    out). Unreadable folders are skipped."""
    found: dict[str, store.RunRecord] = {}
    if not data_id or not store.runs_root().is_dir():
        return found
    for folder in store.run_folders():
        try:
            setup = store.read_setup(folder)
            method = setup.config.method
            if method not in REFERENCE_METHODS or method in found or setup.meta.data_id != data_id:
                continue
            rec = store.load_run(folder.name, arrays=False)
        except (OSError, ValueError):
            continue
        if rec.status == "finished":
            found[method] = rec
    return found


def reference_scores(data_id: str | None) -> dict[str, float]:
    """{line label (REFERENCE_LABELS): final MCC} of the finished reference runs on the data that have an MCC."""
    found = reference_runs(data_id)
    return {REFERENCE_LABELS[m]: rec.summary.mcc for m, rec in found.items() if rec.summary.mcc is not None}


def add_references(registry: JobRegistry, run_id: str) -> list[str]:
    """Create the reference runs missing on the data of run ``run_id``, with its seed, device and model size:
    supervised as a background job (it trains), random at once, here (nothing to train). Returns the ids of the
    jobs started."""
    record = store.load_run(run_id, arrays=False)
    dataset = store.load_dataset_of(run_id)
    present = reference_runs(record.meta.data_id)
    c = record.config
    common = {"seed": c.seed, "device": c.device, "model_size": c.model_size}
    name = record.meta.data or dataset.name
    started = []
    for method in REFERENCE_METHODS:  # supervised first: the capacity check comes before any folder is made
        if method in present:
            continue
        config = default_config(dataset, method=method, **common)
        if methods.get(method).trains:
            started.append(launch_run(registry, dataset, config, name))
        else:
            check_trainable(dataset, config)
            runner.train_run(store.create_run(dataset, config, name))
    return started
