"""Background training: each job is a supervising thread in the app plus a training process; one registry serves
every browser session.

Why a process: the Trainer is Python glue around small torch ops, so it needs the GIL between ops; in a thread of
the Streamlit server it competed with page rendering for the GIL and ran about 3x slower while watched. In its
own process it cannot be starved, and a hard crash (even a segfault) stays inside the job.

The relaying thread passes what the worker (mechsparse.runs.worker) sends (status, immutable Snapshots) to the UI
under a lock; the UI's pause / resume / stop go to the worker over the same socket and are obeyed between steps.
The worker writes the run folder as it goes (mechsparse.runs.store), so a page refresh, a second browser or an app
restart finds the run again.
A fresh interpreter takes seconds to import torch, so the app's registry keeps one spare worker waiting
(``keep_spare``): Start hands the job to it and the first snapshot arrives that much sooner; a new spare is made a
few seconds later, once the run is under way.
Nothing here knows about Streamlit; the app keeps one JobRegistry in st.cache_resource.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs import runner, schema, store
from mechsparse.runs.lock import RunBusyError, RunLock


class JobLimitError(RuntimeError):
    """Raised when a start would exceed the cap on concurrent jobs."""


@dataclass(frozen=True)
class JobView:
    """What a page may read about a job at one instant."""

    run_id: str
    status: str  # starting | running | paused | stopped | finished | failed
    message: str
    snapshot: Snapshot | None
    device: str


# ---------------------------------------------------------------- the job, as the app sees it


def launch_worker() -> tuple[subprocess.Popen, Connection]:
    """A worker process waiting for its job, and our end of the socket to it."""
    ours, theirs = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "mechsparse.runs.worker", str(theirs.fileno())], pass_fds=(theirs.fileno(),)
        )
    finally:
        theirs.close()
    return process, Connection(ours.detach())


@dataclass
class Job:
    """One training run: a worker process that trains (mechsparse.runs.worker) and a thread here that relays its state.
    Control methods are safe to call from any thread. The worker reads config and data from the run folder."""

    run_id: str
    from_checkpoint: bool = False
    publish_every: float = runner.PUBLISH_EVERY_SECONDS
    save_every: float = runner.SAVE_EVERY_SECONDS
    status: str = "starting"
    message: str = ""
    device: str = ""
    _snapshot: Snapshot | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _conn: Connection | None = None
    _process: subprocess.Popen | None = None
    _thread: threading.Thread | None = None

    def start(self, worker: tuple[subprocess.Popen, Connection] | None = None) -> None:
        """Hand the job to a waiting worker (or launch one), and start relaying. The job names the runs folder, so
        a worker launched earlier trains in the folder that is current now."""
        self._process, self._conn = worker if worker is not None else launch_worker()
        self._send(
            {
                "run_id": self.run_id,
                "resume": self.from_checkpoint,
                "publish_every": self.publish_every,
                "save_every": self.save_every,
                "runs_dir": str(store.runs_root()),
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
            _record_failure(self.run_id, message)
        self._conn.close()


def _record_failure(run_id: str, message: str) -> None:
    """Write 'failed' into a run whose worker died silently, unless its folder is gone or another process has
    taken the run over since (its lock is held)."""
    with contextlib.suppress(OSError, RunBusyError), RunLock(store.run_path(run_id)).acquire(timeout=1.0):
        store.update_summary(store.run_path(run_id), status="failed", message=message)


class JobRegistry:
    """All training jobs of this process. The cap counts live jobs (starting, running or paused)."""

    def __init__(self, max_concurrent: int = 2, *, keep_spare: bool = False, spare_delay: float = 5.0):
        self.max_concurrent = max_concurrent
        self.keep_spare = keep_spare
        self.spare_delay = spare_delay  # seconds after a start before the next spare is made
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._spare: tuple[subprocess.Popen, Connection] | None = None

    def warm(self) -> None:
        """Make sure a spare worker is waiting (when keep_spare): it imports torch now, not when Start is pressed."""
        with self._lock:
            if self.keep_spare and (self._spare is None or self._spare[0].poll() is not None):
                self._spare = launch_worker()

    def _take_spare_locked(self) -> tuple[subprocess.Popen, Connection] | None:
        spare, self._spare = self._spare, None
        if spare is not None and spare[0].poll() is not None:
            spare[1].close()
            return None
        if self.keep_spare:
            timer = threading.Timer(self.spare_delay, self.warm)
            timer.daemon = True
            timer.start()
        return spare

    def close_spare(self) -> None:
        """End the waiting worker (it exits when its socket closes)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare[1].close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                spare[0].wait(10)

    def live_jobs(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.alive]

    def _check_capacity_locked(self) -> None:
        live = sum(job.alive for job in self._jobs.values())
        if live >= self.max_concurrent:
            raise JobLimitError(
                f"{live} runs are already training (limit {self.max_concurrent}); "
                "stop or wait for one before starting another"
            )

    def check_capacity(self) -> None:
        """Raise JobLimitError if one more job would exceed the cap (call before creating a run folder)."""
        with self._lock:
            self._check_capacity_locked()

    def start(self, run_id: str, *, resume: bool = False, **job_options) -> Job:
        """Start the run whose folder runs.create_run made (or resume it from its checkpoint); refuse beyond the
        cap, and refuse a run that some process already trains. The worker reads everything from the folder."""
        folder = store.run_path(run_id)
        if not (folder / schema.CONFIG_FILE).exists() or not (folder / schema.DATASET_FILE).exists():
            raise ValueError(f"run {run_id} has no config or dataset to train on")
        with self._lock:
            current = self._jobs.get(run_id)
            if (current is not None and current.alive) or store.is_training(run_id):
                raise JobLimitError(f"run {run_id} is already training")
            self._check_capacity_locked()
            job = Job(run_id=run_id, from_checkpoint=resume, **job_options)
            self._jobs[run_id] = job
            job.start(self._take_spare_locked())
        return job

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def trains(self, run_id: str) -> bool:
        """True while a job of this registry trains the run (starting, running or paused)."""
        job = self.get(run_id)
        return job is not None and job.alive

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def stop_all(self, timeout: float = 30.0) -> None:
        self.close_spare()
        for job in self.jobs():
            job.stop()
        for job in self.jobs():
            job.join(timeout)
