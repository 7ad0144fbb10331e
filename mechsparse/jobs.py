"""Background training: one thread per job, a registry shared by every browser session.

The training thread owns its Trainer; the UI only ever reads the latest published Snapshot (immutable) under a
lock, and asks for pause / resume / stop through events checked between steps. Every job writes its run folder
as it goes (mechsparse.runs), so a page refresh, a second browser or an app restart finds the run again.
Nothing here knows about Streamlit; the app keeps one JobRegistry in st.cache_resource.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass
class Job:
    """One training run in its own thread. Control methods are safe to call from any thread."""

    run_id: str
    dataset: Dataset
    config: object  # mechsparse.training.TrainConfig
    from_checkpoint: bool = False
    publish_every: float = 0.5
    checkpoint_every: float = 20.0
    cpu_threads: int | None = 1
    on_exit: Callable[[Job], None] | None = None
    status: str = "starting"
    message: str = ""
    device: str = ""
    _snapshot: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _run: threading.Event = field(default_factory=threading.Event)  # set = running, clear = paused
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._run.set()
        self._thread = threading.Thread(target=self._main, name=f"train-{self.run_id}", daemon=True)
        self._thread.start()

    # ---- control (any thread)
    def pause(self) -> None:
        if self.status in ("starting", "running"):
            self._run.clear()

    def resume(self) -> None:
        self._run.set()

    def stop(self) -> None:
        self._stop.set()
        self._run.set()  # wake a paused thread so it can finish

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def view(self) -> JobView:
        with self._lock:
            return JobView(self.run_id, self.status, self.message, self._snapshot, self.device)

    # ---- training thread
    def _set(self, status: str | None = None, message: str | None = None, snapshot: object | None = None) -> None:
        with self._lock:
            if status is not None:
                self.status = status
            if message is not None:
                self.message = message
            if snapshot is not None:
                self._snapshot = snapshot

    def _save(self, trainer, status: str) -> None:
        """Write checkpoint, history, summary and snapshot: enough to show and to resume the run."""
        folder = runs.run_path(self.run_id)
        trainer.save_checkpoint(folder / "checkpoint.pt")
        snap = trainer.snapshot()
        runs.save_snapshot(folder, snap)
        runs.write_history(folder, list(trainer.history))
        runs.write_summary(folder, {**trainer.summary(), "status": status, "message": self.message})
        self._set(snapshot=snap)

    def _main(self) -> None:
        import torch

        from mechsparse.training import Trainer, TrainingDiverged  # heavy imports, off the UI thread

        trainer = None
        try:
            folder = runs.run_path(self.run_id)
            checkpoint = folder / "checkpoint.pt"
            if self.from_checkpoint and checkpoint.exists():
                trainer = Trainer.load_checkpoint(checkpoint, self.dataset)
            else:
                trainer = Trainer(self.dataset, self.config)
            self.device = str(trainer.device)
            if trainer.device.type == "cpu" and self.cpu_threads:
                # One intra-op thread per job: small models gain little from more, and spinning OpenMP threads
                # fighting the UI (or a second job) for the cores slow training by orders of magnitude.
                torch.set_num_threads(self.cpu_threads)
            if not trainer.history:
                trainer.evaluate()  # a first point for the curves, before any step
            self._set(status="running", snapshot=trainer.snapshot())
            runs.update_summary(folder, status="running", device=self.device)
            last_publish = last_save = time.monotonic()
            while not self._stop.is_set() and not trainer.finished:
                if not self._run.is_set():
                    self._set(status="paused", message="paused")
                    self._save(trainer, "paused")
                    self._run.wait()
                    if self._stop.is_set():
                        break
                    self._set(status="running", message="")
                trainer.step()
                now = time.monotonic()
                if now - last_publish >= self.publish_every:
                    self._set(snapshot=trainer.snapshot())
                    last_publish = now
                if now - last_save >= self.checkpoint_every:
                    self._save(trainer, "running")
                    last_save = now
            final = "stopped" if self._stop.is_set() and not trainer.finished else "finished"
            if final == "finished":
                trainer.evaluate()
            self._set(status=final, message="stopped by user" if final == "stopped" else "")
            self._save(trainer, final)
        except TrainingDiverged as exc:
            self._fail(trainer, f"training diverged: {exc}. The last good checkpoint is kept.")
        except Exception as exc:  # a crash must stay inside its job
            self._fail(trainer, _one_line(exc))
        finally:
            if self.on_exit is not None:
                self.on_exit(self)

    def _fail(self, trainer, message: str) -> None:
        self._set(status="failed", message=message)
        try:
            if trainer is not None:
                self._save(trainer, "failed")
            else:
                runs.update_summary(runs.run_path(self.run_id), status="failed", message=message)
        except Exception:  # noqa: BLE001 - saving is best effort once a job has failed
            pass


class JobRegistry:
    """All training jobs of this process. The cap counts live jobs (starting, running or paused)."""

    def __init__(self, max_concurrent: int = 2):
        self.max_concurrent = max_concurrent
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def live_jobs(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.alive]

    def start(self, run_id: str, dataset: Dataset, config, *, resume: bool = False, **job_options) -> Job:
        """Start (or resume from its checkpoint) the run in a new thread; refuse beyond the cap."""
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
            job = Job(run_id=run_id, dataset=dataset, config=config, from_checkpoint=resume, **job_options)
            self._jobs[run_id] = job
            job.start()
        return job

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def stop_all(self, timeout: float = 10.0) -> None:
        for job in self.jobs():
            job.stop()
        for job in self.jobs():
            job.join(timeout)
