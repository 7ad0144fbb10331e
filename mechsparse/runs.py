"""Run folders on disk: where they live, safe run ids, and the files of the DESIGN.md contract.

A run folder holds config.json, history.csv, summary.json, checkpoint.pt and snapshot.npz. The root is
``./runs`` unless ``MECHSPARSE_RUNS_DIR`` says otherwise. Every path is built from a validated run id, so a
crafted id can never read or write outside the root.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

UNFINISHED = ("created", "starting", "running", "paused")  # statuses a run folder has only while training
RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def runs_root() -> Path:
    """The folder that holds every run folder (created on demand)."""
    root = Path(os.environ.get("MECHSPARSE_RUNS_DIR", "runs")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def validate_run_id(run_id: str) -> str:
    """Return run_id if it is a plain id (letters, digits, '-' and '_'), else raise a one-line ValueError."""
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise ValueError(f"invalid run id {run_id!r}: only letters, digits, '-' and '_' are allowed")
    return run_id


def run_path(run_id: str) -> Path:
    """The folder of a run, guaranteed to sit directly inside runs_root()."""
    root = runs_root()
    path = (root / validate_run_id(run_id)).resolve()
    if path.parent != root:
        raise ValueError(f"invalid run id {run_id!r}")
    return path


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
    """Write JSON atomically (temp file then rename), so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_jsonable(obj), indent=2, sort_keys=True))
    os.replace(tmp, path)


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def write_summary(run_dir: Path, summary: dict) -> None:
    write_json(Path(run_dir) / "summary.json", summary)


def write_history(run_dir: Path, rows: list[dict]) -> None:
    """history.csv, one row per evaluation; columns are the union of the rows' keys in first-seen order."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    tmp = run_dir / "history.csv.tmp"
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _jsonable(v) for k, v in row.items()})
    os.replace(tmp, run_dir / "history.csv")


def update_summary(run_dir: Path, **fields) -> dict:
    """Merge fields into summary.json (created if missing) and return the result."""
    path = Path(run_dir) / "summary.json"
    summary = read_json(path) if path.exists() else {}
    summary.update(fields)
    write_summary(run_dir, summary)
    return summary


# ---------------------------------------------------------------- snapshots on disk


def save_snapshot(run_dir: Path, snapshot) -> None:
    """snapshot.npz: every array field as an array, every other field as JSON in 'meta' (no pickle).

    The history is not repeated here: history.csv holds it."""
    arrays, meta = {}, {}
    for f in dataclasses.fields(snapshot):
        value = getattr(snapshot, f.name)
        if f.name == "history":
            continue
        if isinstance(value, np.ndarray):
            arrays[f.name] = value
        else:
            meta[f.name] = _jsonable(value)
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = Path(run_dir) / "snapshot.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, Path(run_dir) / "snapshot.npz")


def load_snapshot_fields(run_dir: Path) -> dict | None:
    """The saved snapshot as a plain dict (arrays and values), or None if the run has none yet."""
    path = Path(run_dir) / "snapshot.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as npz:
        fields = {k: npz[k] for k in npz.files if k != "meta"}
        fields.update(json.loads(str(npz["meta"])))
    return fields


def save_progress(run_dir: Path, trainer, status: str, message: str = "", *, checkpoint: bool = True, **extra):
    """Write what a run has so far (summary, history, snapshot and, unless told not to, the checkpoint): enough to
    show the run and to resume it. Returns the snapshot written."""
    run_dir = Path(run_dir)
    if checkpoint:
        trainer.save_checkpoint(run_dir / "checkpoint.pt")
    snap = trainer.snapshot()
    save_snapshot(run_dir, snap)
    write_history(run_dir, list(trainer.history))
    write_summary(run_dir, {**trainer.summary(), "status": status, "message": message, **extra})
    return snap


# ---------------------------------------------------------------- run lifecycle


def new_run_id(label: str) -> str:
    """A sortable, unique, URL-safe id such as 20261129-051502-action-nondiag-constraint-s0-3f9a."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:48] or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}-{secrets.token_hex(2)}"


def create_run(label: str, config: dict, dataset, meta: dict | None = None) -> str:
    """Make the run folder before training starts: config.json, dataset.npz and a 'created' summary.

    The dataset is stored with the run so that a stopped run can be resumed after an app restart."""
    from mechsparse.data import save_dataset

    run_id = new_run_id(label)
    folder = run_path(run_id)
    folder.mkdir(parents=True, exist_ok=False)
    write_json(folder / "config.json", {"config": config, "meta": meta or {}, "label": label})
    save_dataset(folder / "dataset.npz", dataset)
    write_summary(folder, {"status": "created", "created": time.time(), "label": label})
    return run_id


def load_dataset_of(run_id: str):
    from mechsparse.data import load_dataset

    return load_dataset(run_path(run_id) / "dataset.npz")


@dataclass
class RunRecord:
    """Everything on disk about one run, read back."""

    run_id: str
    config: dict
    meta: dict
    label: str
    summary: dict
    history: pd.DataFrame
    snapshot: dict | None

    @property
    def status(self) -> str:
        """The status last written to disk."""
        return self.summary.get("status", "unknown")

    @property
    def true_graphs(self):
        """The data's true GraphSpec as recorded in config.json, or None."""
        from mechsparse import graphs

        text = self.meta.get("graphs")
        return graphs.decode(text) if text else None

    def shown_status(self, live: str | None = None) -> str:
        """What to tell a user: the live job's status when there is one; otherwise a run whose folder still says it
        is training was cut off (an app restart) and is 'interrupted', resumable from its checkpoint."""
        if live is not None:
            return live
        return "interrupted" if self.status in UNFINISHED else self.status


def load_run(run_id: str, *, arrays: bool = True) -> RunRecord:
    """Read a run folder back; ``arrays=False`` skips the history and the snapshot (for tables and live runs,
    whose numbers come from elsewhere)."""
    folder = run_path(run_id)
    if not (folder / "config.json").exists():
        raise ValueError(f"no run named {run_id!r} in {runs_root()}")
    cfg = read_json(folder / "config.json")
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    hist_path = folder / "history.csv"
    try:
        history = pd.read_csv(hist_path) if arrays and hist_path.exists() else pd.DataFrame()
    except pd.errors.EmptyDataError:  # written before the first evaluation
        history = pd.DataFrame()
    return RunRecord(
        run_id=run_id,
        config=cfg.get("config", {}),
        meta=cfg.get("meta", {}),
        label=cfg.get("label", run_id),
        summary=summary,
        history=history,
        snapshot=load_snapshot_fields(folder) if arrays else None,
    )


def list_runs() -> pd.DataFrame:
    """One row per run folder, newest first: the columns of the Runs table (status as shown_status() without a
    live job; the page overrides it for live ones)."""
    rows = []
    for folder in sorted(runs_root().iterdir(), reverse=True):
        if not folder.is_dir() or not RUN_ID_RE.match(folder.name) or not (folder / "config.json").exists():
            continue
        try:
            rec = load_run(folder.name, arrays=False)
        except (ValueError, OSError, json.JSONDecodeError):
            continue
        s, c, m = rec.summary, rec.config, rec.meta
        rows.append(
            {
                "run": rec.run_id,
                "data": m.get("data", ""),
                "mode": c.get("sparsity", ""),
                "seed": c.get("seed"),
                "steps": s.get("steps"),
                "mcc": s.get("mcc"),
                "r_con": s.get("r_con"),
                "shd_a": s.get("shd_a"),
                "shd_z": s.get("shd_z"),
                "status": rec.shown_status(),
                "device": s.get("device", ""),
            }
        )
    return pd.DataFrame(
        rows, columns=["run", "data", "mode", "seed", "steps", "mcc", "r_con", "shd_a", "shd_z", "status", "device"]
    )


def delete_run(run_id: str) -> None:
    shutil.rmtree(run_path(run_id))


# ---------------------------------------------------------------- export


def _figure_files(name: str, fig, images: bool) -> dict[str, bytes]:
    """A panel as PNG through Plotly's own export (kaleido), or as standalone HTML where no browser is there."""
    if images:
        try:
            return {f"{name}.png": fig.to_image(format="png", scale=2)}
        except Exception:  # noqa: BLE001 - kaleido needs a Chrome; fall back to Plotly's HTML export
            pass
    return {f"{name}.html": fig.to_html(include_plotlyjs="cdn", full_html=True).encode()}


def export_files(run_id: str, *, images: bool = True) -> dict[str, bytes]:
    """The files of one run's export: config, summary, history, learned graphs (CSV) and the panels."""
    from mechsparse import figures

    rec = load_run(run_id)
    folder = run_path(run_id)
    files = {
        name: (folder / name).read_bytes()
        for name in ("config.json", "summary.json", "history.csv")
        if (folder / name).exists()
    }
    snap = rec.snapshot or {}
    for key in ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "corr", "coef"):
        if snap.get(key) is not None:
            buf = io.StringIO()
            np.savetxt(buf, np.asarray(snap[key]), delimiter=",", fmt="%.5f")
            files[f"{key}.csv"] = buf.getvalue().encode()
    panels = figures.run_panels(snap, rec.true_graphs)
    if len(rec.history):
        panels["curves"] = figures.training_curves(rec.history)
    for name, fig in panels.items():
        for fname, blob in _figure_files(name, fig, images).items():
            files[f"panels/{fname}"] = blob
    return files


def export_zip(run_ids: list[str], *, images: bool = True) -> bytes:
    """A zip with one folder per run (see export_files)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for run_id in run_ids:
            for name, blob in export_files(run_id, images=images).items():
                zf.writestr(f"{run_id}/{name}", blob)
    return buf.getvalue()
