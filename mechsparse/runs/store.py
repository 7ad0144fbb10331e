"""Run folders on disk: safe run ids, the one writer that creates a folder, and reading folders back.

A run folder holds config.json, dataset.npz, summary.json, history.csv, snapshot.npz, timeline.npz (the bounded
record of its evaluations, for replay: mechsparse.learning.timeline) and checkpoint.pt (DESIGN.md).
The root is ``./runs`` unless ``MECHSPARSE_RUNS_DIR`` says otherwise. Every path is built from a validated run id,
so a crafted id can never read or write outside the root. The folder is the only truth: a reader never needs the
writer's memory. Rules that keep it trustworthy:
- ``create_run`` is the only way a folder comes into being (page, CLI and grids alike), built under a hidden name
  and renamed into place, so a folder is complete or absent;
- every later write is atomic (mechsparse.files.atomic) and never creates a folder, so a deleted run stays deleted;
- one process trains a run at a time (mechsparse.runs.lock); a folder that says "running" with a free lock was cut
  off and is shown as "interrupted".
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mechsparse.theory import graphs
from mechsparse.learning import methods, timeline
from mechsparse.files.atomic import write_atomic, write_text_atomic
from mechsparse.data.dataset import Dataset, load_dataset, save_dataset
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs.lock import RunBusyError, RunLock, is_locked

if TYPE_CHECKING:  # runs.py stays free of torch: pages that only list runs need not load it
    from mechsparse.learning.training import TrainConfig

UNFINISHED = ("created", "starting", "running", "paused")  # statuses a run folder has only while training
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")  # used with fullmatch: no trailing newline slips in
MAX_NAME = 60  # characters of a dataset name kept in labels and ids
LIST_COLUMNS = ["run", "data", "method", "mode", "seed", "steps", "mcc", "r_con", "shd_a", "shd_z", "status", "device"]


class DamagedRunError(ValueError):
    """A run folder exists but its config or summary cannot be read; it can still be listed and deleted."""


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


def _jsonable(value):
    """Plain JSON: numpy scalars/arrays to Python, NaN/inf to null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, obj: dict) -> None:
    """Write JSON atomically into an existing folder."""
    write_text_atomic(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True))


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
    write_json(Path(run_dir) / "summary.json", summary)


def update_summary(run_dir: Path, **fields) -> dict:
    """Merge fields into summary.json (an unreadable one is replaced) and return the result."""
    path = Path(run_dir) / "summary.json"
    summary = {}
    with contextlib.suppress(OSError, DamagedRunError):
        summary = read_json(path)
    summary.update(fields)
    write_summary(run_dir, summary)
    return summary


def write_history(run_dir: Path, rows: list[dict]) -> None:
    """history.csv, one row per evaluation; columns are the union of the rows' keys in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _jsonable(v) for k, v in row.items()})
    write_text_atomic(Path(run_dir) / "history.csv", buf.getvalue())


# ---------------------------------------------------------------- snapshots on disk


def save_snapshot(run_dir: Path, snapshot: Snapshot) -> None:
    """snapshot.npz: every array field as an array, every other field as JSON in 'meta' (no pickle).

    The history is not repeated here: history.csv holds it."""
    arrays, meta = {}, {}
    for name, value in snapshot.to_dict().items():
        if name == "history":
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = value
        else:
            meta[name] = _jsonable(value)
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomic(Path(run_dir) / "snapshot.npz", lambda fh: np.savez_compressed(fh, **arrays))


def load_snapshot(run_dir: Path) -> Snapshot | None:
    """The saved snapshot (without history), or None if the run has none yet; DamagedRunError if unreadable."""
    path = Path(run_dir) / "snapshot.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            fields = {k: npz[k] for k in npz.files if k != "meta"}
            fields.update(json.loads(str(npz["meta"])))
        return Snapshot.from_dict(fields)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise DamagedRunError(f"snapshot.npz cannot be read ({type(exc).__name__})") from None


def save_progress(run_dir: Path, trainer, status: str, message: str = "", *, checkpoint: bool = True, **extra):
    """Write what a run has so far (checkpoint, snapshot, timeline, history, summary): enough to show the run and
    to resume it. Raises FileNotFoundError if the folder is gone (nothing is recreated). Returns the snapshot
    written."""
    run_dir = Path(run_dir)
    if checkpoint:
        trainer.save_checkpoint(run_dir / "checkpoint.pt")
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
    staging = target.parent / f".creating-{target.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    spec = dataset.graphs
    meta = {"data": name, "n": dataset.n, "graphs": graphs.encode(spec) if spec else None, "source": source}
    meta["data_id"] = dataset_fingerprint(dataset)
    try:
        if dataset_file is None:
            save_dataset(staging / "dataset.npz", dataset)
        else:
            _link_or_copy(Path(dataset_file), staging / "dataset.npz")
        write_json(staging / "config.json", {"config": config.to_dict(), "meta": meta, "label": label})
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
    """Everything on disk about one run, read back."""

    run_id: str
    config: dict
    meta: dict
    label: str
    summary: dict
    history: pd.DataFrame
    snapshot: Snapshot | None
    locked: bool = False  # some process trains it right now

    @property
    def status(self) -> str:
        """The status last written to disk."""
        return self.summary.get("status", "unknown")

    @property
    def true_graphs(self) -> graphs.GraphSpec | None:
        """The data's true GraphSpec as recorded in config.json, or None."""
        text = self.meta.get("graphs")
        try:
            return graphs.decode(text) if text else None
        except ValueError:
            return None

    def shown_status(self, live: str | None = None) -> str:
        """What to tell a user: the live job's status when this app trains it; 'running elsewhere' when another
        process holds its lock; 'interrupted' (resumable) when the folder says training but nobody trains it."""
        if live is not None:
            return live
        if self.status in UNFINISHED:
            return "running elsewhere" if self.locked else "interrupted"
        return self.status


def load_run(run_id: str, *, arrays: bool = True) -> RunRecord:
    """Read a run folder back; ``arrays=False`` skips the history and the snapshot (for tables and live runs).

    Raises ValueError for an unknown run and DamagedRunError (a ValueError) for an unreadable one."""
    folder = run_path(run_id)
    if not folder.is_dir():
        raise ValueError(f"no run named {shorten(run_id)} in {runs_root()}")
    if not (folder / "config.json").exists():
        raise DamagedRunError(f"run {run_id} is damaged: config.json is missing")
    try:
        cfg = read_json(folder / "config.json")
        summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
        snapshot = load_snapshot(folder) if arrays else None
    except DamagedRunError as exc:
        raise DamagedRunError(f"run {run_id} is damaged: {exc}") from None
    config, meta = cfg.get("config", {}), cfg.get("meta", {})
    if not isinstance(config, dict) or not isinstance(meta, dict):
        raise DamagedRunError(f"run {run_id} is damaged: config.json lacks its config or meta object")
    return RunRecord(
        run_id=run_id,
        config=config,
        meta=meta,
        label=str(cfg.get("label", run_id)),
        summary=summary,
        history=_read_history(folder / "history.csv") if arrays else pd.DataFrame(),
        snapshot=snapshot,
        locked=is_locked(folder),
    )


def _read_history(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):  # before the first evaluation
        return pd.DataFrame()


STAMPED_FILES = ("config.json", "summary.json", "history.csv", "snapshot.npz", timeline.FILE_NAME)


def run_stamp(run_id: str) -> tuple:
    """(name, inode, mtime_ns, size) of each file load_run or load_timeline reads, (name, None, None, None) for an
    absent one.

    Every write replaces a file whole (mechsparse.files.atomic), so the stamp changes whenever what load_run would return
    changes (except the lock, which is no file content): a cache key for what is built from a run."""
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
        return timeline.load_timeline(folder / timeline.FILE_NAME)
    except timeline.TimelineError as exc:
        raise DamagedRunError(f"run {run_id} is damaged: {exc}") from None


def load_dataset_of(run_id: str) -> Dataset:
    return load_dataset(run_path(run_id) / "dataset.npz")


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


REFERENCE_METHODS = ("supervised", "random")  # the ceiling and the floor of every chart


def reference_runs(data_id: str | None) -> dict[str, RunRecord]:
    """The newest finished supervised and random runs on the data ``data_id`` (by method; absent ones are left
    out): the ceiling and floor a run's charts draw. Unreadable folders are skipped."""
    found: dict[str, RunRecord] = {}
    if not data_id or not runs_root().is_dir():
        return found
    for folder in sorted(runs_root().iterdir(), reverse=True):  # newest first: run ids start with the time
        if not (folder.is_dir() and RUN_ID_RE.fullmatch(folder.name)):
            continue
        try:
            cfg = read_json(folder / "config.json")
            method = (cfg.get("config") or {}).get("method")
            if method not in REFERENCE_METHODS or method in found or (cfg.get("meta") or {}).get("data_id") != data_id:
                continue
            rec = load_run(folder.name, arrays=False)
        except (OSError, ValueError):
            continue
        if rec.status == "finished":
            found[method] = rec
    return found


def _list_row(run_id: str) -> dict:
    try:
        rec = load_run(run_id, arrays=False)
    except DamagedRunError:
        return {"run": run_id, "status": "damaged"}
    s, c, m = rec.summary, rec.config, rec.meta
    method = methods.of_config(c)
    mode = c.get("sparsity", "") if method.name == methods.SPARSE else ""  # sparsity means nothing to a baseline
    row = {"run": run_id, "data": m.get("data", ""), "method": method.label, "mode": mode, "seed": c.get("seed")}
    row |= {k: s.get(k) for k in ("steps", "mcc", "r_con", "shd_a", "shd_z")}
    return row | {"status": rec.shown_status(), "device": s.get("device", "")}


def list_runs() -> pd.DataFrame:
    """One row per run folder, newest first: the columns of the Runs table. Damaged folders are listed with
    status 'damaged' (so they can be deleted); the page overrides the status of runs this app trains."""
    rows = []
    for folder in sorted(runs_root().iterdir(), reverse=True):
        if folder.is_dir() and RUN_ID_RE.fullmatch(folder.name):
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
