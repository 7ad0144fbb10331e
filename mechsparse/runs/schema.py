"""The run folder's schema: the name of every file in it, and the typed records its JSON files become when read.

A run folder (made by mechsparse.runs.store.create_run, the one writer that creates one) holds:
- config.json: what the run was made from, written once: {"config": TrainConfig, "meta": RunMeta, "label": str};
- dataset.npz: the data it trains on (mechsparse.data.dataset's format), never rewritten;
- summary.json: where it stands (RunSummary): its status and message, then the last evaluation's numbers;
- history.csv: one row per evaluation; snapshot.npz: the last evaluation's matrices (mechsparse.runs.evaluations);
- timeline.npz: the bounded record of its evaluations, for replay (mechsparse.learning.timeline owns the format);
- checkpoint.pt: what resuming needs (the trainer's format);
- .lock: held by the process that trains it (mechsparse.runs.lock).
Writers write plain JSON (``plain_json``); readers turn it into these records at the edge, so nothing above reads a
key by its string. A config that is no valid TrainConfig makes the folder damaged (DamagedRunError: it is listed
and can be deleted, never trained); a summary value of the wrong type reads as absent.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import types
import typing
from dataclasses import dataclass

import numpy as np

from mechsparse.learning import timeline
from mechsparse.learning.config import TrainConfig
from mechsparse.theory.graphs import GraphSpec, decode

CONFIG_FILE = "config.json"
DATASET_FILE = "dataset.npz"
SUMMARY_FILE = "summary.json"
HISTORY_FILE = "history.csv"
SNAPSHOT_FILE = "snapshot.npz"
TIMELINE_FILE = timeline.FILE_NAME
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = ".lock"
STAGING_PREFIX = ".creating-"  # a folder being created, renamed into place when complete


class DamagedRunError(ValueError):
    """A run folder exists but its config or summary cannot be read; it can still be listed and deleted."""


def plain_json(value):
    """The value as plain JSON, as every file of the folder holds it: numpy scalars and arrays as Python values,
    NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _kind(hint) -> type:
    """The one type a field holds (str, bool, int or float), from its annotation, None allowed or not."""
    if isinstance(hint, types.UnionType):
        (hint,) = [t for t in typing.get_args(hint) if t is not type(None)]
    return hint


def _typed(value, kind: type, default):
    """value if it is of the field's kind (an integral number for an int, any finite number for a float), else the
    default: a hand-edited or older file never makes a reader fail on one value."""
    if kind is str or kind is bool:
        return value if isinstance(value, kind) else default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return default
    if kind is int:
        return int(value) if float(value).is_integer() else default
    return float(value)


@functools.cache
def _fields(cls) -> tuple[tuple[str, type, object], ...]:
    """(name, kind, default) of each field of a record class."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _kind(hints[f.name]), f.default) for f in dataclasses.fields(cls))


def _from_json(cls, content: dict):
    """An instance of the record class ``cls`` from a JSON object: its fields typed, unknown keys ignored."""
    return cls(
        **{name: _typed(content[name], kind, default) for name, kind, default in _fields(cls) if name in content}
    )


@dataclass(frozen=True)
class RunMeta:
    """config.json's "meta": where the run's data came from."""

    data: str = ""  # the data's name (a preset's when made from one)
    n: int | None = None  # its number of samples (sequences)
    graphs: str | None = None  # its true graphs (mechsparse.theory.graphs.encode); None when unknown
    source: str = ""  # what made the run: app, cli, lessons, grid:<name>
    data_id: str = ""  # the data's fingerprint (store.dataset_fingerprint); "" for runs made before it existed

    @classmethod
    def from_json(cls, content: dict) -> RunMeta:
        return _from_json(cls, content)

    @property
    def true_graphs(self) -> GraphSpec | None:
        """The data's true graphs, or None when unknown or unreadable."""
        try:
            return decode(self.graphs) if self.graphs else None
        except ValueError:
            return None


@dataclass(frozen=True)
class RunSetup:
    """config.json: what a run was made from: its training configuration, its data's origin and its label."""

    config: TrainConfig
    meta: RunMeta
    label: str

    def to_json(self) -> dict:
        return {"config": self.config.to_dict(), "meta": dataclasses.asdict(self.meta), "label": self.label}

    @classmethod
    def from_json(cls, content: dict, default_label: str) -> RunSetup:
        """The setup in config.json's content (the label defaults to ``default_label``); a one-line ValueError
        when its config or meta is not an object or its config is no valid TrainConfig."""
        config, meta = content.get("config", {}), content.get("meta", {})
        if not isinstance(config, dict) or not isinstance(meta, dict):
            raise ValueError(f"{CONFIG_FILE} lacks its config or meta object")
        try:
            train_config = TrainConfig.from_dict(config)
        except (TypeError, ValueError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ValueError(f"{CONFIG_FILE} holds no valid training configuration ({reason})") from None
        return cls(train_config, RunMeta.from_json(meta), str(content.get("label", default_label)))


@dataclass(frozen=True)
class RunSummary:
    """summary.json: where the run stands (status, message), then the numbers of its last evaluation (absent ones
    None). The trainer writes the numbers (Trainer.summary), create_run the first status, the runner the rest."""

    status: str = "unknown"  # created | starting | running | paused | finished | stopped | failed
    message: str = ""  # why it stopped or failed, in one line
    label: str = ""
    data: str = ""
    created: float | None = None  # when the folder was made (seconds since the epoch)
    device: str = ""
    steps: int | None = None
    seconds: float | None = None
    steps_per_second: float | None = None
    finished: bool = False  # it reached its step or time limit
    mcc: float | None = None
    best_mcc: float | None = None
    r: float | None = None
    r_con: float | None = None
    shd_a: int | None = None
    shd_z: int | None = None
    elbo: float | None = None
    edge_count: float | None = None
    bound: float | None = None
    target_bound: float | None = None
    method: str | None = None
    sparsity: str | None = None
    masks: str | None = None
    n_parameters: int | None = None

    @classmethod
    def from_json(cls, content: dict) -> RunSummary:
        return _from_json(cls, content)

    def to_dict(self) -> dict:
        """The fields as a plain dict (for a table's row)."""
        return dataclasses.asdict(self)
