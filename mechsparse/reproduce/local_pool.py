"""Training a grid folder's cells on this machine: the local pool, and grids training in the background of the app.

``LocalPool`` trains the pending cells of a GridFolder (mechsparse.reproduce.sweep) on a JobRegistry (the app's
worker processes, one torch thread each), ``workers`` at a time, through a thread pool that waits on each job; the
Paper page passes the app's registry, so grids and Train-page runs share one cap. ``GridRegistry`` holds the grids
this process trains in background threads, at most one per folder. The Ray backend (mechsparse.reproduce.ray_backend)
trains the same cells as Ray tasks instead.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from mechsparse.reproduce import grids
from mechsparse.reproduce.sweep import GridFolder
from mechsparse.runs import runner, store
from mechsparse.runs.jobs import JobLimitError, JobRegistry
from mechsparse.runs.lock import RunBusyError


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
        todo = self.folder.pending()
        if todo:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(todo)), thread_name_prefix="grid") as pool:
                list(pool.map(self._run_cell, todo))
        return self.folder.write_results()


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
