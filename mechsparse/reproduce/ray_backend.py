"""The grid's cells as Ray tasks, for a cluster (or a local Ray instance): Ray schedules them, retries a task whose
worker died, and gives each ``num_gpus`` on a GPU cluster. Imported only by ``reproduce --backend ray``; the app
never imports it, and Ray is an optional, pinned extra (``pip install '.[ray]'`` or requirements-ray.txt).

The driver (this process) alone writes the run folders: it creates each cell's folder as usual, ships the config
and the dataset's bytes (put once per dataset into Ray's object store) to a task, which trains in a temporary
folder on its node (mechsparse.reproduce.sweep.train_cell_files, the app's loop) and sends the result files back.
Results stream back as tasks finish, so cluster nodes need no shared disk and every node needs only the package
installed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pandas as pd

from mechsparse.reproduce import grids, sweep
from mechsparse.runs import runner, store
from mechsparse.runs.lock import RunBusyError, RunLock

TASK_RETRIES = 2  # a task whose worker process died (a node lost, out of memory) runs again, at most this often


def _ray():
    try:
        import ray
    except ImportError:
        raise grids.GridError(
            "the ray backend needs Ray: pip install '.[ray]' (or -r requirements-ray.txt), or use --backend local"
        ) from None
    return ray


class RayPool:
    """Trains a grid folder's pending cells as Ray tasks. ``address``: an existing cluster ('auto', 'ray://...');
    None starts a local instance with ``num_cpus`` (no dashboard). ``stop()`` cancels what has not finished."""

    def __init__(
        self,
        folder: sweep.GridFolder,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        gpus_per_run: float = 0.0,
        on_change: Callable[[], None] | None = None,
    ):
        self.folder, self.address, self.num_cpus, self.gpus_per_run = folder, address, num_cpus, gpus_per_run
        self.on_change = on_change or (lambda: None)
        self.errors: list[str] = []
        self.stopped = False
        self._pending: dict = {}

    def stop(self) -> None:
        self.stopped = True

    def running(self) -> list[str]:
        return [run_id for run_id, _lock in self._pending.values()]

    def run(self) -> pd.DataFrame:
        ray = _ray()
        started_here = not ray.is_initialized()
        if started_here:
            options = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if self.address is None:
                ray.init(num_cpus=self.num_cpus, **options)
            else:
                ray.init(address=self.address, **options)
        try:
            self._run(ray)
        finally:
            for _run_id, lock in self._pending.values():
                lock.release()
            self._pending.clear()
            if started_here:
                ray.shutdown()
        return self.folder.write_results()

    def _submit(self, ray, task, cell: grids.Cell, data_refs: dict) -> None:
        run_id = self.folder.prepare(cell)
        folder = store.run_path(run_id)
        try:
            lock = RunLock(folder).acquire(timeout=1.0)  # shown as "running elsewhere" while the task trains it
        except RunBusyError as exc:
            self.errors.append(f"{cell.key}: {exc}")
            return
        config = store.read_setup(folder).config.to_dict()
        if cell.data.key not in data_refs:
            data_refs[cell.data.key] = ray.put(self.folder.dataset_file(cell.data).read_bytes())
        store.update_summary(folder, status="running", message="queued on Ray", device="")
        ref = task.remote(config, cell.data.key.replace(":", "-"), data_refs[cell.data.key])
        self._pending[ref] = (run_id, lock)

    def _run(self, ray) -> None:
        remote = ray.remote(num_cpus=1, num_gpus=self.gpus_per_run, max_retries=TASK_RETRIES)
        task = remote(sweep.train_cell_files)
        data_refs: dict = {}
        for cell in self.folder.pending():
            if self.stopped:
                break
            self._submit(ray, task, cell, data_refs)
        while self._pending:
            if self.stopped:
                for ref in self._pending:
                    ray.cancel(ref, force=True)
            done, _ = ray.wait(list(self._pending), num_returns=1, timeout=1.0)
            for ref in done:
                run_id, lock = self._pending.pop(ref)
                self._collect(ray, ref, run_id)
                lock.release()
                with contextlib.suppress(Exception):
                    self.folder.write_results()
                self.on_change()
            if self.stopped and not done:
                time.sleep(0.2)

    def _collect(self, ray, ref, run_id: str) -> None:
        folder = store.run_path(run_id)
        try:
            result = ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a task's failure (cancelled, crashed) becomes the run's message
            cancelled = type(exc).__name__ == "TaskCancelledError"
            message = "stopped before it finished" if cancelled else f"the Ray task failed: {runner.one_line(exc)}"
            with contextlib.suppress(OSError):
                store.update_summary(folder, status="stopped" if cancelled else "failed", message=message)
            if not cancelled:
                self.errors.append(f"{run_id}: {message}")
            return
        if not folder.is_dir():  # deleted while its task ran: a deleted run stays deleted
            return
        sweep.write_result_files(run_id, result["files"])
        if result["status"] == "failed":
            self.errors.append(f"{run_id}: {result['message']}")
