"""A grid's folder on disk (reproduce.grids): what it runs, its cells as ordinary run folders, and their results.

A grid folder holds grid.json (the grid and the seconds override it runs with), cells.json (cell key -> run id),
data/ (each dataset generated once, hard-linked into its runs' folders) and the results: results.csv (one row per
cell), table.csv and table.md (mechsparse.reproduce.tables). The runs themselves are normal run folders under
runs_root(), so the Runs and Train pages show them. Reopening a folder resumes it: finished cells are kept, every other
cell is trained again from the start in its own folder.

The cells train on this machine's pool (mechsparse.reproduce.local_pool) or as Ray tasks
(mechsparse.reproduce.ray_backend), which run ``train_cell_files`` on a node; this module never imports Ray.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from mechsparse.data import synthetic
from mechsparse.data.dataset import Dataset, load_dataset, save_dataset
from mechsparse.files.atomic import write_atomic, write_text_atomic
from mechsparse.learning.config import TrainConfig, default_config
from mechsparse.learning.preflight import check_trainable
from mechsparse.reproduce import grid_file, grids, tables
from mechsparse.runs import runner, schema, store
from mechsparse.runs.schema import RunSummary

GRID_FILE, CELLS_FILE = "grid.json", "cells.json"
RESULTS_FILE, TABLE_CSV, TABLE_MD = "results.csv", "table.csv", "table.md"
# what a remote run sends back
RESULT_FILES = (
    schema.SUMMARY_FILE, schema.HISTORY_FILE, schema.SNAPSHOT_FILE, schema.TIMELINE_FILE, schema.CHECKPOINT_FILE,
)  # fmt: skip
RESULT_COLUMNS = [
    "cell", "dataset", "preset", "variant", "method", "seed", "run_id", "status", "mcc", "r_con", "shd",
    "edge_count", "elbo", "steps", "seconds", "headline", "paper_dataset", "true_edges",
]  # fmt: skip
GRID_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def grids_root() -> Path:
    """Where the Paper page keeps its grid folders: runs_root()/_grids (a name no run id can take)."""
    root = store.runs_root() / "_grids"
    root.mkdir(exist_ok=True)
    return root


def new_grid_folder(name: str) -> Path:
    """A fresh folder under grids_root() for a grid named ``name``."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "grid"
    return grids_root() / store.new_run_id(safe)


class GridFolder:
    """One grid's folder: what it runs, which run folder each cell has, and its results. Safe to share between
    the threads of a pool (cells.json and the result files are written under one lock, atomically)."""

    def __init__(self, path: Path, grid: grids.Grid, seconds: float | None):
        self.path, self.grid, self.seconds = Path(path), grid, seconds
        self._lock = threading.Lock()
        self._datasets: dict[str, Path] = {}

    # ---- creating and opening
    @classmethod
    def create(cls, path: Path, grid: grids.Grid, seconds: float | None = None) -> GridFolder:
        """Start a grid in ``path``, or resume the same grid there. Another grid (or another --seconds) in the
        folder is a one-line GridError: its results would mix."""
        path = Path(path)
        if (path / GRID_FILE).exists():
            found = cls.open(path)
            if found.grid.to_dict() != grid.to_dict() or found.seconds != seconds:
                raise grids.GridError(
                    f"{str(path)!r} holds another grid ({found.grid.name!r}, other settings); "
                    "choose a new --out folder, or the same grid and --seconds to resume it"
                )
            return found
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise grids.GridError(f"{str(path)!r} exists and is not an empty folder or a grid folder")
        path.mkdir(parents=True, exist_ok=True)
        store.write_json(path / GRID_FILE, {"grid": grid.to_dict(), "seconds": seconds, "created": time.time()})
        store.write_json(path / CELLS_FILE, {})
        folder = cls(path, grid, seconds)
        folder.write_results()
        return folder

    @classmethod
    def open(cls, path: Path) -> GridFolder:
        """A grid folder made by ``create``; a one-line GridError if it is not one."""
        path = Path(path)
        try:
            raw = store.read_json(path / GRID_FILE)
            grid = grid_file.parse_grid(raw["grid"])
            seconds = raw.get("seconds")
        except (OSError, KeyError, ValueError) as exc:
            raise grids.GridError(f"{str(path)!r} is not a readable grid folder ({runner.one_line(exc)})") from None
        return cls(path, grid, seconds)

    # ---- cells and their runs
    def cells(self) -> list[grids.Cell]:
        return self.grid.cells(self.seconds)

    def run_ids(self) -> dict[str, str]:
        """cell key -> run id of the cells that have a run folder."""
        with contextlib.suppress(OSError, ValueError):
            return {str(k): str(v) for k, v in store.read_json(self.path / CELLS_FILE).items()}
        return {}

    def _record(self, cell: grids.Cell, run_id: str) -> None:
        with self._lock:
            ids = self.run_ids()
            ids[cell.key] = run_id
            store.write_json(self.path / CELLS_FILE, ids)

    def run_status(self, cell: grids.Cell) -> str:
        """The status in the cell's run folder ('missing' when it has none yet)."""
        run_id = self.run_ids().get(cell.key)
        if run_id is None:
            return "missing"
        try:
            return store.load_run(run_id, arrays=False).status
        except ValueError:
            return "missing"

    def pending(self) -> list[grids.Cell]:
        """The cells still to train (everything not finished), longest first, so a pool ends with short runs."""
        results = self.results()
        finished = set(results.loc[results["status"] == "finished", "cell"])
        todo = [c for c in self.cells() if c.key not in finished]
        return sorted(todo, key=lambda c: -c.estimated_seconds())

    def dataset_file(self, data: grids.DataEntry) -> Path:
        """The dataset of an entry, generated once into data/ (the same bytes for every cell and every resume)."""
        with self._lock:
            if data.key in self._datasets:
                return self._datasets[data.key]
            safe = re.sub(r"[^A-Za-z0-9_-]+", "_", data.key)
            path = self.path / "data" / f"{safe}-d{self.grid.data_seed}.npz"
            if not path.exists():
                path.parent.mkdir(exist_ok=True)
                ds = self._generate(data)
                save_dataset(path, ds)
            self._datasets[data.key] = path
            return path

    def _generate(self, data: grids.DataEntry) -> Dataset:
        return synthetic.generate(
            data.spec,
            data.samples,
            seed=self.grid.data_seed,
            name=data.preset,
            variant=data.variant,
            kind=data.kind,
        )

    def config(self, cell: grids.Cell, dataset: Dataset) -> TrainConfig:
        """The cell's TrainConfig: the dataset's tuned defaults, the grid's and the method's values, its budget."""
        return default_config(dataset, **cell.overrides(self.grid.config))

    def prepare(self, cell: grids.Cell) -> str:
        """The run id that trains ``cell``: its existing folder (to be trained again from the start) or a new one,
        made by runs.create_run and recorded in cells.json."""
        run_id = self.run_ids().get(cell.key)
        if run_id is not None and store.run_path(run_id).is_dir():
            return run_id
        path = self.dataset_file(cell.data)
        dataset = load_dataset(path, name=cell.data.preset)
        config = self.config(cell, dataset)
        check_trainable(dataset, config)  # a one-line refusal before any folder is made
        name = cell.data.key.replace(":", "-")
        folder = store.create_run(dataset, config, name, source=f"grid:{self.path.name}", dataset_file=path)
        self._record(cell, folder.name)
        return folder.name

    # ---- results
    def results(self) -> pd.DataFrame:
        """One row per cell (RESULT_COLUMNS): its run and, once it has them, its final metrics."""
        ids = self.run_ids()
        rows = []
        for cell in self.cells():
            run_id = ids.get(cell.key)
            summary, status = RunSummary(), "pending"
            if run_id is not None:
                try:
                    rec = store.load_run(run_id, arrays=False)
                    summary = rec.summary
                    # a grid's runs train in other processes: 'running', or 'interrupted' when nobody trains them
                    status = "running" if rec.locked and rec.status in store.UNFINISHED else rec.shown_status()
                except ValueError:
                    status = "missing"
            shd = [v for v in (summary.shd_a, summary.shd_z) if v is not None]
            rows.append(
                {
                    "cell": cell.key,
                    "dataset": cell.data.key,
                    "preset": cell.data.preset,
                    "variant": cell.data.variant,
                    "method": cell.method.name,
                    "seed": cell.seed,
                    "run_id": run_id or "",
                    "status": status,
                    **{k: getattr(summary, k) for k in ("mcc", "r_con", "edge_count", "elbo", "steps", "seconds")},
                    "shd": sum(shd) if shd else None,
                    "headline": cell.data.headline,
                    "paper_dataset": cell.data.paper_name or "",
                    "true_edges": cell.data.true_edges,
                }
            )
        return pd.DataFrame(rows, columns=RESULT_COLUMNS)

    def write_results(self) -> pd.DataFrame:
        """results.csv, table.csv and table.md from the run folders as they are now; returns the table."""
        results = self.results()
        table = tables.summarise(results, self.grid)
        with self._lock:
            write_text_atomic(self.path / RESULTS_FILE, results.to_csv(index=False))
            write_text_atomic(self.path / TABLE_CSV, table.to_csv(index=False))
            write_text_atomic(self.path / TABLE_MD, tables.markdown(table, title=self.grid.name))
        return table


def list_grid_folders(root: Path | None = None) -> list[GridFolder]:
    """The grid folders under ``root`` (default grids_root()), newest first; unreadable ones are skipped."""
    root = grids_root() if root is None else Path(root)
    found = []
    for path in sorted(root.iterdir(), reverse=True) if root.is_dir() else []:
        if path.is_dir() and GRID_ID_RE.fullmatch(path.name) and (path / GRID_FILE).exists():
            with contextlib.suppress(grids.GridError):
                found.append(GridFolder.open(path))
    return found


# ---------------------------------------------------------------- one cell anywhere (Ray tasks)


def train_cell_files(config: dict, name: str, dataset_npz: bytes) -> dict:
    """Train one cell in a temporary folder of this machine and return its result files' bytes and its outcome:
    what a Ray task runs, so a cluster node needs no shared disk (the driver writes the run folder). The loop is
    the app's (runner.train_run)."""
    dataset = load_dataset(dataset_npz, name=name)
    with tempfile.TemporaryDirectory(prefix="mechsparse-cell-") as tmp:
        folder = store.create_run(dataset, TrainConfig.from_dict(config), name, folder=Path(tmp) / "run", source="ray")
        outcome = runner.train_run(folder, save_every=1e9, publish_every=1e9)
        files = {f: (folder / f).read_bytes() for f in RESULT_FILES if (folder / f).exists()}
    return {"status": outcome.status, "message": outcome.message, "files": files}


def write_result_files(run_id: str, files: dict[str, bytes]) -> None:
    """Put a remote run's result files into its folder here, each atomically (results first, summary last)."""
    folder = store.run_path(run_id)
    for name in sorted(files, key=lambda f: f == schema.SUMMARY_FILE):
        if name in RESULT_FILES:
            data = files[name]
            write_atomic(folder / name, lambda fh, data=data: fh.write(data))
