"""Run folders on disk: safe run ids, the one writer that creates a folder, and reading folders back.

What a folder holds, and the typed records it reads back as, is mechsparse.runs.schema. The root is ``./runs``
unless ``MECHSPARSE_RUNS_DIR`` says otherwise. Every path is built from a validated run id, so a crafted id can never
read or write outside the root. The folder is the only truth: a reader never needs the writer's memory. Rules that
keep it trustworthy:
- ``create_run`` is the only way a folder comes into being (page, CLI and grids alike), built under a hidden name
  and renamed into place, so a folder is complete or absent;
- every later write is atomic (mechsparse.files.atomic) and never creates a folder, so a deleted run stays deleted;
- one process trains a run at a time (mechsparse.runs.lock); a folder that says "running" with a free lock was cut
  off and is shown as "interrupted".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mechsparse.data.dataset import Dataset, load_dataset, save_dataset
from mechsparse.files.atomic import write_text_atomic
from mechsparse.learning import methods, timeline
from mechsparse.learning.config import TrainConfig
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs import schema
from mechsparse.runs.evaluations import load_snapshot, read_history, save_snapshot, write_history
from mechsparse.runs.lock import RunBusyError, RunLock, is_locked
from mechsparse.runs.schema import DamagedRunError, RunMeta, RunSetup, RunSummary
from mechsparse.theory import graphs

UNFINISHED = ("created", "starting", "running", "paused")  # statuses a run folder has only while training
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")  # used with fullmatch: no trailing newline slips in
MAX_NAME = 60  # characters of a dataset name kept in labels and ids
LIST_COLUMNS = ["run", "data", "method", "mode", "seed", "steps", "mcc", "r_con", "shd_a", "shd_z", "status", "device"]


def shorten(text: object, limit: int = 40) -> str:
    """repr of text, cut to about ``limit`` characters, for one-line messages about untrusted names."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def runs_root() -> Path:
    """The folder that holds every run folder (created on demand)."""
    root = Path(os.environ.get("MECHSPARSE_RUNS_DIR", "runs")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def validate_run_id(run_id: str) -> str:
    """Return run_id if it is a plain id (letters, digits, '-' and '_'), else raise a one-line ValueError."""
    if not isinstance(run_id, str) or not RUN_ID_RE.fullmatch(run_id):
        raise ValueError(f"invalid run id {shorten(run_id)}: only letters, digits, '-' and '_' are allowed")
    return run_id


def run_path(run_id: str) -> Path:
    """The folder of a run, guaranteed to sit directly inside runs_root()."""
    root = runs_root()
    path = (root / validate_run_id(run_id)).resolve()
    if path.parent != root:
        raise ValueError(f"invalid run id {shorten(run_id)}")
    return path


# ---------------------------------------------------------------- plain files


def write_json(path: Path, obj: dict) -> None:
    """Write JSON atomically into an existing folder."""
    write_text_atomic(path, json.dumps(schema.plain_json(obj), indent=2, sort_keys=True))


def read_json(path: Path) -> dict:
    """A JSON object from path; a one-line DamagedRunError if the file is empty, not JSON or not an object."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DamagedRunError(f"{path.name} is not valid JSON") from None
    if not isinstance(value, dict):
        raise DamagedRunError(f"{path.name} does not hold a JSON object")
    return value


def write_summary(run_dir: Path, summary: dict) -> None:
    write_json(Path(run_dir) / schema.SUMMARY_FILE, summary)


def update_summary(run_dir: Path, **fields) -> dict:
    """Merge fields into summary.json (an unreadable one is replaced) and return the result."""
    path = Path(run_dir) / schema.SUMMARY_FILE
    summary = {}
    with contextlib.suppress(OSError, DamagedRunError):
        summary = read_json(path)
    summary.update(fields)
    write_summary(run_dir, summary)
    return summary


def save_progress(run_dir: Path, trainer, status: str, message: str = "", *, checkpoint: bool = True, **extra):
    """Write what a run has so far (checkpoint, snapshot, timeline, history, summary): enough to show the run and
    to resume it. Raises FileNotFoundError if the folder is gone (nothing is recreated). Returns the snapshot
    written."""
    run_dir = Path(run_dir)
    if checkpoint:
        trainer.save_checkpoint(run_dir / schema.CHECKPOINT_FILE)
    snap = trainer.snapshot()
    save_snapshot(run_dir, snap)
    recorded = getattr(trainer, "timeline", None)
    if recorded is not None and len(recorded):
        timeline.save_timeline(run_dir, recorded)
    write_history(run_dir, list(trainer.history))
    write_summary(run_dir, {**trainer.summary(), "status": status, "message": message, **extra})
    return snap


# ---------------------------------------------------------------- creating a run: the one writer


def new_run_id(label: str) -> str:
    """A sortable, unique, URL-safe id such as 20261129-051502-action-nondiag-constraint-s0-3f9a."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:48] or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}-{secrets.token_hex(2)}"


def clean_name(name: str) -> str:
    """A dataset name fit for labels: printable characters only, at most MAX_NAME of them."""
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()
    return text[:MAX_NAME] or "data"


def run_label(name: str, config: TrainConfig) -> str:
    """'action-nondiag-constraint-s0' for the sparse VAE, 'action-nondiag-ivae-s0' for a baseline."""
    kind = config.sparsity if config.method == methods.SPARSE else config.method
    return f"{clean_name(name)}-{kind}-s{config.seed}"


def create_run(
    dataset: Dataset,
    config: TrainConfig,
    name: str,
    *,
    folder: Path | None = None,
    source: str = "app",
    dataset_file: Path | None = None,
) -> Path:
    """Make a run folder, ready to train: config.json (config, meta, label), dataset.npz and a 'created' summary.

    The folder is new under runs_root() (or ``folder``, which must not exist or be empty). It is built under a
    hidden name and renamed into place, so no reader ever sees half a run and a failure leaves nothing behind.
    The dataset is stored so that any process can train or resume the run from the folder alone; ``dataset_file``
    (the same dataset, already saved: a grid's data cache) is hard-linked instead of written again where the file
    system allows, else copied. Dataset files are never rewritten, so runs sharing one stay independent."""
    config.validate()
    name = clean_name(name)
    label = run_label(name, config)
    target = run_path(new_run_id(label)) if folder is None else Path(folder).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"{str(target)!r} already exists and is not an empty folder; choose a new one")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{schema.STAGING_PREFIX}{target.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    spec = dataset.graphs
    meta = RunMeta(
        data=name,
        n=dataset.n,
        graphs=graphs.encode(spec) if spec else None,
        source=source,
        data_id=dataset_fingerprint(dataset),
    )
    try:
        if dataset_file is None:
            save_dataset(staging / schema.DATASET_FILE, dataset)
        else:
            _link_or_copy(Path(dataset_file), staging / schema.DATASET_FILE)
        write_json(staging / schema.CONFIG_FILE, RunSetup(config, meta, label).to_json())
        write_summary(staging, {"status": "created", "created": time.time(), "label": label, "data": name})
        os.replace(staging, target)  # an existing empty folder is replaced atomically
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# ---------------------------------------------------------------- reading runs back


@dataclass
class RunRecord:
    """Everything on disk about one run, read back as typed records (mechsparse.runs.schema)."""

    run_id: str
    config: TrainConfig
    meta: RunMeta
    label: str
    summary: RunSummary
    history: pd.DataFrame
    snapshot: Snapshot | None
    locked: bool = False  # some process trains it right now

    @property
    def status(self) -> str:
        """The status last written to disk."""
        return self.summary.status

    @property
    def method(self) -> methods.Method:
        return methods.get(self.config.method)

    @property
    def true_graphs(self) -> graphs.GraphSpec | None:
        """The data's true GraphSpec as recorded in config.json, or None."""
        return self.meta.true_graphs

    def shown_status(self, live: str | None = None) -> str:
        """What to tell a user: the live job's status when this app trains it; 'running elsewhere' when another
        process holds its lock; 'interrupted' (resumable) when the folder says training but nobody trains it."""
        if live is not None:
            return live
        if self.status in UNFINISHED:
            return "running elsewhere" if self.locked else "interrupted"
        return self.status


def read_setup(folder: Path) -> RunSetup:
    """config.json of the run folder as a RunSetup; a one-line DamagedRunError when it is missing or unreadable, or
    holds no valid training configuration."""
    folder = Path(folder)
    path = folder / schema.CONFIG_FILE
    if not path.exists():
        raise DamagedRunError(f"run {folder.name} is damaged: {schema.CONFIG_FILE} is missing")
    try:
        return RunSetup.from_json(read_json(path), default_label=folder.name)
    except ValueError as exc:  # DamagedRunError included
        raise DamagedRunError(f"run {folder.name} is damaged: {exc}") from None


def load_run(run_id: str, *, arrays: bool = True) -> RunRecord:
    """Read a run folder back; ``arrays=False`` skips the history and the snapshot (for tables and live runs).

    Raises ValueError for an unknown run and DamagedRunError (a ValueError) for an unreadable one."""
    folder = run_path(run_id)
    if not folder.is_dir():
        raise ValueError(f"no run named {shorten(run_id)} in {runs_root()}")
    setup = read_setup(folder)
    try:
        summary = read_json(folder / schema.SUMMARY_FILE) if (folder / schema.SUMMARY_FILE).exists() else {}
        snapshot = load_snapshot(folder) if arrays else None
    except DamagedRunError as exc:
        raise DamagedRunError(f"run {run_id} is damaged: {exc}") from None
    return RunRecord(
        run_id=run_id,
        config=setup.config,
        meta=setup.meta,
        label=setup.label,
        summary=RunSummary.from_json(summary),
        history=read_history(folder) if arrays else pd.DataFrame(),
        snapshot=snapshot,
        locked=is_locked(folder),
    )


STAMPED_FILES = (
    schema.CONFIG_FILE,
    schema.SUMMARY_FILE,
    schema.HISTORY_FILE,
    schema.SNAPSHOT_FILE,
    schema.TIMELINE_FILE,
)


def run_stamp(run_id: str) -> tuple:
    """(name, inode, mtime_ns, size) of each file load_run or load_timeline reads, (name, None, None, None) for an
    absent one.

    Every write replaces a file whole (mechsparse.files.atomic), so the stamp changes whenever what load_run would
    return changes (except the lock, which is no file content): a cache key for what is built from a run."""
    folder = run_path(run_id)
    stamp = []
    for name in STAMPED_FILES:
        try:
            st = (folder / name).stat()
        except OSError:
            stamp.append((name, None, None, None))
        else:
            stamp.append((name, st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamp)


def load_timeline(run_id: str) -> timeline.Timeline | None:
    """The run's timeline (for replay), or None when it has none (recorded before timelines existed, or not yet
    evaluated). Raises ValueError for an unknown run and DamagedRunError for an unreadable timeline.npz."""
    folder = run_path(run_id)
    if not folder.is_dir():
        raise ValueError(f"no run named {shorten(run_id)} in {runs_root()}")
    try:
        return timeline.load_timeline(folder / schema.TIMELINE_FILE)
    except timeline.TimelineError as exc:
        raise DamagedRunError(f"run {run_id} is damaged: {exc}") from None


def load_dataset_of(run_id: str) -> Dataset:
    return load_dataset(run_path(run_id) / schema.DATASET_FILE)


def dataset_fingerprint(dataset: Dataset) -> str:
    """16 hex digits that identify a dataset's arrays (x, a, z): runs on the same data share it (config.json's
    meta.data_id), which is how a run finds the reference runs trained on its data."""
    digest = hashlib.sha256()
    for key in ("x", "a", "z"):
        arr = getattr(dataset, key)
        if arr is not None:
            arr = np.ascontiguousarray(arr)
            digest.update(f"{key}{arr.shape}{arr.dtype}".encode())
            digest.update(memoryview(arr).cast("B"))
    return digest.hexdigest()[:16]


def run_folders() -> list[Path]:
    """Every run folder under runs_root(), newest first (run ids start with the time)."""
    return [f for f in sorted(runs_root().iterdir(), reverse=True) if f.is_dir() and RUN_ID_RE.fullmatch(f.name)]


def _list_row(run_id: str) -> dict:
    try:
        rec = load_run(run_id, arrays=False)
    except DamagedRunError:
        return {"run": run_id, "status": "damaged"}
    s, c = rec.summary, rec.config
    mode = c.sparsity if rec.method.name == methods.SPARSE else ""  # sparsity means nothing to a baseline
    row = {"run": run_id, "data": rec.meta.data, "method": rec.method.label, "mode": mode, "seed": c.seed}
    row |= {"steps": s.steps, "mcc": s.mcc, "r_con": s.r_con, "shd_a": s.shd_a, "shd_z": s.shd_z}
    return row | {"status": rec.shown_status(), "device": s.device}


def list_runs() -> pd.DataFrame:
    """One row per run folder, newest first: the columns of the Runs table. Damaged folders are listed with
    status 'damaged' (so they can be deleted); the page overrides the status of runs this app trains."""
    rows = []
    for folder in run_folders():
        with contextlib.suppress(OSError):
            rows.append(_list_row(folder.name))
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def is_training(run_id: str) -> bool:
    """True while some process (this app's worker, another app's, a CLI) trains the run."""
    return is_locked(run_path(run_id))


def delete_run(run_id: str) -> None:
    """Remove a run folder (damaged ones too). Refused while a process trains it: stop it first."""
    folder = run_path(run_id)
    if not folder.is_dir():
        raise ValueError(f"no run named {shorten(run_id)} in {runs_root()}")
    try:
        with RunLock(folder).acquire(timeout=1.0):
            shutil.rmtree(folder)
    except RunBusyError:
        raise ValueError(f"run {run_id} is training; stop it before deleting it") from None
    except FileNotFoundError:  # a damaged folder without room for a lock file, or already gone
        shutil.rmtree(folder, ignore_errors=True)
