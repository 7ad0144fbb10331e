"""Background training: each job is a supervising thread in the app plus a training process; one registry serves
every browser session.

Why a process: the Trainer is Python glue around small torch ops, so it needs the GIL between ops; in a thread of
the Streamlit server it competed with page rendering for the GIL and ran about 3x slower while watched. In its
own process it cannot be starved, and a hard crash (even a segfault) stays inside the job.

The relaying thread passes what the worker (mechsparse.worker) sends (status, immutable Snapshots) to the UI under a
lock; the UI's pause / resume / stop go to the worker over the same socket and are obeyed between steps. The
worker writes the run folder as it goes (mechsparse.runs), so a page refresh, a second browser or an app restart
finds the run again.
Nothing here knows about Streamlit; the app keeps one JobRegistry in st.cache_resource.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from mechsparse import runs
from mechsparse.data import Dataset


class JobLimitError(RuntimeError):
    """Raised when a start would exceed the cap on concurrent jobs."""


@dataclass(frozen=True)
class JobView:
    """What a page may read about a job at one instant."""

    run_id: str
    status: str  # starting | running | paused | stopped | finished | failed
    message: str
    snapshot: object | None  # mechsparse.training.Snapshot
    device: str


# ---------------------------------------------------------------- the job, as the app sees it


@dataclass
class Job:
    """One training run: a worker process that trains (mechsparse.worker) and a thread here that relays its state.
    Control methods are safe to call from any thread."""

    run_id: str
    config: object  # mechsparse.training.TrainConfig
    from_checkpoint: bool = False
    publish_every: float = 0.5
    checkpoint_every: float = 20.0
    cpu_threads: int | None = 1
    status: str = "starting"
    message: str = ""
    device: str = ""
    _snapshot: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _conn: Connection | None = None
    _process: subprocess.Popen | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Launch the worker with one end of a socket pair, hand it the job, and start relaying."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ, MECHSPARSE_RUNS_DIR=str(runs.runs_root()))
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "mechsparse.worker", str(theirs.fileno())], pass_fds=(theirs.fileno(),), env=env
            )
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._send(
            {
                "run_id": self.run_id,
                "config": self.config.to_dict(),
                "from_checkpoint": self.from_checkpoint,
                "publish_every": self.publish_every,
                "checkpoint_every": self.checkpoint_every,
                "cpu_threads": self.cpu_threads,
            }
        )
        self._thread = threading.Thread(target=self._relay, name=f"job-{self.run_id}", daemon=True)
        self._thread.start()

    # ---- control (any thread)
    def _send(self, message) -> None:
        with self._send_lock, contextlib.suppress(OSError, EOFError):  # the worker has already ended
            self._conn.send(message)

    def pause(self) -> None:
        if self.status in ("starting", "running"):
            self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def view(self) -> JobView:
        with self._lock:
            return JobView(self.run_id, self.status, self.message, self._snapshot, self.device)

    # ---- relaying thread
    def _apply(self, status: str, message: str | None, snapshot, device: str | None) -> None:
        with self._lock:
            self.status = status
            if message is not None:
                self.message = message
            if snapshot is not None:
                self._snapshot = snapshot
            if device is not None:
                self.device = device

    def _relay(self) -> None:
        ended = False
        while not ended:
            try:
                if not self._conn.poll(0.5):
                    continue
                status, message, snapshot, device = self._conn.recv()
            except (EOFError, OSError):
                break
            self._apply(status, message, snapshot, device)
            ended = status in ("finished", "stopped", "failed")
        code = self._process.wait()
        if not ended:  # the worker died without a last word (killed, out of memory, a hard crash)
            message = f"the training process died (exit code {code}); the last checkpoint is kept"
            self._apply("failed", message, None, None)
            runs.update_summary(runs.run_path(self.run_id), status="failed", message=message)
        self._conn.close()


class JobRegistry:
    """All training jobs of this process. The cap counts live jobs (starting, running or paused)."""

    def __init__(self, max_concurrent: int = 2):
        self.max_concurrent = max_concurrent
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def live_jobs(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.alive]

    def start(self, run_id: str, dataset: Dataset | None, config, *, resume: bool = False, **job_options) -> Job:
        """Start (or resume from its checkpoint) the run; refuse beyond the cap.

        The training process reads the dataset from the run folder (runs.create_run stores it); a dataset given
        here is stored first if the folder has none."""
        runs.validate_run_id(run_id)
        with self._lock:
            current = self._jobs.get(run_id)
            if current is not None and current.alive:
                raise JobLimitError(f"run {run_id} is already running")
            live = [j for j in self._jobs.values() if j.alive]
            if len(live) >= self.max_concurrent:
                raise JobLimitError(
                    f"{len(live)} runs are already training (limit {self.max_concurrent}); "
                    "stop or wait for one before starting another"
                )
            stored = runs.run_path(run_id) / "dataset.npz"
            if not stored.exists():
                if dataset is None:
                    raise ValueError(f"run {run_id} has no stored dataset to train on")
                from mechsparse.data import save_dataset

                stored.parent.mkdir(parents=True, exist_ok=True)
                save_dataset(stored, dataset)
            job = Job(run_id=run_id, config=config, from_checkpoint=resume, **job_options)
            self._jobs[run_id] = job
            job.start()
        return job

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def stop_all(self, timeout: float = 30.0) -> None:
        for job in self.jobs():
            job.stop()
        for job in self.jobs():
            job.join(timeout)
