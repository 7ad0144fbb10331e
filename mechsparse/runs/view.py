"""What a page shows about one run at one instant: the live job's state when this app trains it, else the folder's.

The Train page and any other view ask ``run_view(run_id, registry)`` instead of deciding status, messages, what
can be resumed themselves (how far it has come is Snapshot.progress).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mechsparse.theory import graphs
from mechsparse.runs import store
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs.jobs import JobRegistry

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
    config: dict = field(default_factory=dict)  # config.json's training configuration
    data_id: str = ""  # the dataset's fingerprint (runs.dataset_fingerprint); "" for runs made before it existed

    @property
    def can_resume(self) -> bool:
        return not self.live and self.status in RESUMABLE


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
        message = MESSAGES.get(status, record.summary.get("message", ""))
    return RunView(
        run_id=run_id,
        label=record.label,
        status=status,
        message=str(message or ""),
        snapshot=snapshot,
        history=history,
        true_graphs=record.true_graphs,
        live=job is not None and job.alive,
        dataset=str(record.meta.get("data") or ""),
        config=dict(record.config),
        data_id=str(record.meta.get("data_id") or ""),
    )
