"""Running a grid (reproduce.grids): its folder on disk, its cells as ordinary run folders, and the local pool.

A grid folder holds grid.json (the grid and the seconds override it runs with), cells.json (cell key -> run id),
data/ (each dataset generated once, hard-linked into its runs' folders) and the results: results.csv (one row per
cell), table.csv and table.md (mechsparse.reproduce.tables). The runs themselves are normal run folders under
runs_root(), so the Runs and Train pages show them. Reopening a folder resumes it: finished cells are kept, every other
cell is trained again from the start in its own folder.

Execution: ``run_local`` trains the cells on a JobRegistry (the app's worker processes, one torch thread each),
``workers`` at a time, through a thread pool that waits on each job; the Paper page passes the app's registry, so
grids and Train-page runs share one cap. The Ray backend (mechsparse.reproduce.ray_backend) trains the same cells as Ray
tasks with ``train_cell_files``; this module never imports Ray.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from mechsparse.data import synthetic
from mechsparse.data.dataset import Dataset, load_dataset, save_dataset
from mechsparse.files.atomic import write_atomic, write_text_atomic
from mechsparse.learning.config import TrainConfig, default_config
from mechsparse.learning.training import check_trainable
from mechsparse.reproduce import grids, tables
from mechsparse.runs import runner, store
from mechsparse.runs.jobs import JobLimitError, JobRegistry
from mechsparse.runs.lock import RunBusyError

GRID_FILE, CELLS_FILE = "grid.json", "cells.json"
RESULTS_FILE, TABLE_CSV, TABLE_MD = "results.csv", "table.csv", "table.md"
# what a remote run sends back
RESULT_FILES = ("summary.json", "history.csv", "snapshot.npz", "timeline.npz", "checkpoint.pt")
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
            grid = grids.parse_grid(raw["grid"])
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
            summary, status = {}, "pending"
            if run_id is not None:
                try:
                    rec = store.load_run(run_id, arrays=False)
                    summary = rec.summary
                    # a grid's runs train in other processes: 'running', or 'interrupted' when nobody trains them
                    status = "running" if rec.locked and rec.status in store.UNFINISHED else rec.shown_status()
                except ValueError:
                    status = "missing"
            shd = [summary.get(k) for k in ("shd_a", "shd_z") if summary.get(k) is not None]
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
                    **{k: summary.get(k) for k in ("mcc", "r_con", "edge_count", "elbo", "steps", "seconds")},
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


# ---------------------------------------------------------------- the local pool


class LocalPool:
    """Trains a grid folder's pending cells on a JobRegistry, ``workers`` at a time (never more than the registry's
    cap, which other runs may share). ``on_change`` is called after every finished cell; ``stop`` ends the grid:
    running cells save and stop, waiting cells never start, and a later run of the folder resumes it."""

    def __init__(
        self,
        folder: GridFolder,
        registry: JobRegistry,
        workers: int,
        *,
        on_change: Callable[[], None] | None = None,
        poll: float = 0.5,
    ):
        self.folder, self.registry, self.workers = folder, registry, max(1, int(workers))
        self.on_change = on_change or (lambda: None)
        self.poll = poll
        self.stopped = threading.Event()
        self._jobs: dict[str, object] = {}
        self._lock = threading.Lock()
        self.errors: list[str] = []
        self.started_at = self.ended_at = None
        self.machinery_seconds = 0.0  # this pool's own work: data, folders, starting jobs, results files

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop()

    def running(self) -> list[str]:
        """Run ids of the cells training now."""
        with self._lock:
            return list(self._jobs)

    def _start(self, run_id: str):
        while not self.stopped.is_set():
            if store.is_training(run_id):
                raise RunBusyError(f"run {run_id} is being trained by another process; stop it there first")
            try:
                return self.registry.start(run_id)
            except JobLimitError:  # the cap is shared: wait for a slot
                time.sleep(self.poll)
        return None

    def _run_cell(self, cell: grids.Cell) -> None:
        if self.stopped.is_set():
            return
        try:
            while not self.stopped.is_set():  # create the folder only once a slot is free
                try:
                    self.registry.check_capacity()
                    break
                except JobLimitError:
                    time.sleep(self.poll)
            if self.stopped.is_set():
                return
            began = time.perf_counter()
            run_id = self.folder.prepare(cell)
            job = self._start(run_id)
            self._add_machinery(time.perf_counter() - began)
            if job is None:
                return
            with self._lock:
                self._jobs[run_id] = job
            if self.stopped.is_set():
                job.stop()
            job.join()
            with self._lock:
                self._jobs.pop(run_id, None)
            view = job.view()
            if view.status == "failed":
                self.errors.append(f"{cell.key}: {view.message}")
        except (ValueError, OSError, RunBusyError) as exc:
            self.errors.append(f"{cell.key}: {runner.one_line(exc)}")
        finally:
            began = time.perf_counter()
            with contextlib.suppress(Exception):  # results are rebuilt from the folders at the end anyway
                self.folder.write_results()
            self._add_machinery(time.perf_counter() - began)
            self.on_change()

    def _add_machinery(self, seconds: float) -> None:
        with self._lock:
            self.machinery_seconds += seconds

    def run(self) -> pd.DataFrame:
        """Train every pending cell (blocking) and return the final table."""
        self.started_at = time.monotonic()
        todo = self.folder.pending()
        if todo:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(todo)), thread_name_prefix="grid") as pool:
                list(pool.map(self._run_cell, todo))
        self.ended_at = time.monotonic()
        return self.folder.write_results()


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
    for name in sorted(files, key=lambda f: f == "summary.json"):
        if name in RESULT_FILES:
            data = files[name]
            write_atomic(folder / name, lambda fh, data=data: fh.write(data))


# ---------------------------------------------------------------- grids training in the background (the app)


class BackgroundGrid:
    """A grid training in a thread of this process on a shared JobRegistry (the Paper page's): its pool, and
    the one-line error that ended it, if any."""

    def __init__(self, folder: GridFolder, registry: JobRegistry, workers: int):
        self.folder = folder
        self.pool = LocalPool(folder, registry, workers)
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"grid-{folder.path.name}", daemon=True)

    def _run(self) -> None:
        try:
            self.pool.run()
        except Exception as exc:  # noqa: BLE001 - shown on the page as one line; the folder keeps what finished
            self.error = runner.one_line(exc)

    def start(self) -> BackgroundGrid:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.pool.stop()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


class GridRegistry:
    """The grids this process trains, by folder: at most one pool per folder (a second Start is refused)."""

    def __init__(self) -> None:
        self._grids: dict[Path, BackgroundGrid] = {}
        self._lock = threading.Lock()

    def start(self, folder: GridFolder, registry: JobRegistry, workers: int) -> BackgroundGrid:
        with self._lock:
            current = self._grids.get(folder.path.resolve())
            if current is not None and current.alive:
                raise grids.GridError(f"grid {folder.path.name} is already running")
            grid = BackgroundGrid(folder, registry, workers).start()
            self._grids[folder.path.resolve()] = grid
            return grid

    def get(self, path: Path) -> BackgroundGrid | None:
        with self._lock:
            return self._grids.get(Path(path).resolve())

    def live(self) -> list[BackgroundGrid]:
        with self._lock:
            return [g for g in self._grids.values() if g.alive]
