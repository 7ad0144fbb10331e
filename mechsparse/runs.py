"""Run folders on disk: where they live, safe run ids, and the files of the DESIGN.md contract.

A run folder holds config.json, history.csv, summary.json, checkpoint.pt and snapshot.npz. The root is
``./runs`` unless ``MECHSPARSE_RUNS_DIR`` says otherwise. Every path is built from a validated run id, so a
crafted id can never read or write outside the root.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path

import numpy as np

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
