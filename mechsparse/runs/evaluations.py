"""A run folder's record of its evaluations: snapshot.npz (the last one's matrices and numbers) and history.csv (one
row per evaluation). Written atomically into an existing folder (never creating it), read back leniently: a file
not written yet is no error, an unreadable snapshot is a DamagedRunError.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from mechsparse.files.atomic import write_atomic, write_text_atomic
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs.schema import HISTORY_FILE, SNAPSHOT_FILE, DamagedRunError, plain_json


def write_history(run_dir: Path, rows: list[dict]) -> None:
    """history.csv, one row per evaluation; columns are the union of the rows' keys in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: plain_json(v) for k, v in row.items()})
    write_text_atomic(Path(run_dir) / HISTORY_FILE, buf.getvalue())


def read_history(run_dir: Path) -> pd.DataFrame:
    """history.csv as a table; empty before the first evaluation (no file, or no rows yet)."""
    path = Path(run_dir) / HISTORY_FILE
    if not path.exists():
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return pd.DataFrame()


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
            meta[name] = plain_json(value)
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomic(Path(run_dir) / SNAPSHOT_FILE, lambda fh: np.savez_compressed(fh, **arrays))


def load_snapshot(run_dir: Path) -> Snapshot | None:
    """The saved snapshot (without history), or None if the run has none yet; DamagedRunError if unreadable."""
    path = Path(run_dir) / SNAPSHOT_FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            fields = {k: npz[k] for k in npz.files if k != "meta"}
            fields.update(json.loads(str(npz["meta"])))
        return Snapshot.from_dict(fields)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise DamagedRunError(f"{SNAPSHOT_FILE} cannot be read ({type(exc).__name__})") from None
