"""Train one run folder to its end: the loop the app's worker process and the command line share (and grids next).

Everything comes from the folder (config.json, dataset.npz, checkpoint.pt when resuming), and the loop writes its
progress back there every ``save_every`` seconds, on pause and at the end, so a kill loses at most that much and
any process can resume the run. The loop holds the run's lock (mechsparse.runs.lock) from before its first write to
after its last, so two processes never train one run. If the folder disappears (the run was deleted), the loop
stops without writing anything: a deleted run stays deleted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mechsparse.data.dataset import load_dataset
from mechsparse.learning.evaluation import Snapshot
from mechsparse.learning.preflight import apply_threads
from mechsparse.learning.timeline import TimelineError, load_timeline
from mechsparse.learning.training import Trainer, TrainingDiverged
from mechsparse.runs import schema, store
from mechsparse.runs.lock import RunLock

SAVE_EVERY_SECONDS = 20.0
PUBLISH_EVERY_SECONDS = 0.5
DELETED = "deleted"  # the outcome when the folder vanished while training

# status, message (None: unchanged), snapshot (None: unchanged), device (None: unchanged)
Publish = Callable[[str, str | None, Snapshot | None, str | None], None]


class Control(Protocol):
    """Where stop and pause requests come from (the app's socket, a signal handler); read between steps."""

    paused: bool
    stopped: bool

    def poll(self) -> None: ...

    def wait_while_paused(self) -> None: ...


class StopFlag:
    """The simplest Control: no pausing; ``stopped`` is set by whoever wants the run to end (a signal handler)."""

    def __init__(self) -> None:
        self.paused = False
        self.stopped = False
        self.reason = ""

    def stop(self, reason: str = "stopped") -> None:
        self.stopped, self.reason = True, reason

    def poll(self) -> None:
        pass

    def wait_while_paused(self) -> None:
        pass


@dataclass(frozen=True)
class Outcome:
    """How a run ended: finished | stopped | failed | deleted, with a one-line message."""

    status: str
    message: str = ""


class _FolderGone(Exception):
    pass


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _no_publish(status, message, snapshot, device) -> None:
    pass


def build_trainer(folder: Path, resume: bool) -> Trainer:
    """The run's trainer from its folder: from the checkpoint when resuming and there is one (with the frames of its
    timeline.npz up to the checkpoint's step, so a replay covers the whole run), else fresh."""
    config = store.read_setup(folder).config
    dataset = load_dataset(folder / schema.DATASET_FILE)
    checkpoint = folder / schema.CHECKPOINT_FILE
    if resume and checkpoint.exists():
        trainer = Trainer.load_checkpoint(checkpoint, dataset)
        with contextlib.suppress(TimelineError):  # an unreadable timeline is started afresh: the run matters more
            earlier = load_timeline(folder)
            if earlier is not None:
                earlier.truncate(trainer.step_count)
                trainer.timeline = earlier
        return trainer
    return Trainer(dataset, config)


class _Loop:
    """The state of one training loop: its trainer, folder, clocks and what it tells its caller."""

    def __init__(self, folder: Path, trainer: Trainer, publish: Publish, save_every: float, publish_every: float):
        self.folder, self.trainer, self.publish = folder, trainer, publish
        self.save_every, self.publish_every = save_every, publish_every
        self.last_save = self.last_publish = time.monotonic()

    def save(self, status: str, message: str = "") -> Snapshot:
        if not self.folder.is_dir():
            raise _FolderGone
        try:
            return store.save_progress(self.folder, self.trainer, status, message)
        except FileNotFoundError:
            if not self.folder.is_dir():
                raise _FolderGone from None
            raise

    def pause(self, control: Control) -> None:
        self.publish("paused", "paused", self.save("paused", "paused"), None)
        control.wait_while_paused()
        if not control.stopped:
            self.publish("running", "", None, None)

    def tick(self, on_step: Callable[[Trainer, dict], None] | None) -> None:
        info = self.trainer.step()
        if on_step is not None:
            on_step(self.trainer, info)
        now = time.monotonic()
        if now - self.last_publish >= self.publish_every:
            if not self.folder.is_dir():
                raise _FolderGone
            self.publish("running", None, self.trainer.snapshot(), None)
            self.last_publish = now
        if now - self.last_save >= self.save_every:
            self.save("running")
            self.last_save = now


def train_run(
    folder: Path,
    *,
    resume: bool = False,
    control: Control | None = None,
    publish: Publish | None = None,
    on_step: Callable[[Trainer, dict], None] | None = None,
    save_every: float = SAVE_EVERY_SECONDS,
    publish_every: float = PUBLISH_EVERY_SECONDS,
) -> Outcome:
    """Train the run in ``folder`` until its limits, a stop request, a failure or the folder's deletion.

    Raises RunBusyError (before writing anything) if another process trains the run. Every other failure ends the
    run as 'failed' with a one-line message, saved to the folder when possible."""
    folder = Path(folder)
    control = control or StopFlag()
    publish = publish or _no_publish
    lock = RunLock(folder).acquire()
    loop = None
    try:
        trainer = build_trainer(folder, resume)
        apply_threads(trainer.config)
        loop = _Loop(folder, trainer, publish, save_every, publish_every)
        if not trainer.history:
            trainer.evaluate()  # a first point for the curves, before any step
        store.update_summary(folder, status="running", message="", device=str(trainer.device))
        publish("running", "", trainer.snapshot(), str(trainer.device))
        while not trainer.finished:
            control.poll()
            if control.paused:
                loop.pause(control)
            if control.stopped:
                break
            loop.tick(on_step)
        trainer.evaluate()  # final metrics at the last step (no duplicate row if it just evaluated)
        status = "finished" if trainer.finished else "stopped"
        message = "" if status == "finished" else getattr(control, "reason", "") or "stopped by user"
        publish(status, message, loop.save(status, message), None)
        return Outcome(status, message)
    except _FolderGone:
        message = "the run folder was deleted while training; training stopped"
        publish("stopped", message, None, None)
        return Outcome(DELETED, message)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the run's one-line message
        return _fail(folder, loop, publish, exc)
    finally:
        lock.release()


def _fail(folder: Path, loop: _Loop | None, publish: Publish, exc: Exception) -> Outcome:
    """Record a failure: the parameters of the last good step are saved when possible (a diverged step changes
    nothing), else just the status and message."""
    if isinstance(exc, TrainingDiverged):
        message = f"training diverged: {exc}. The last good checkpoint is kept."
    else:
        message = one_line(exc)
    snap = None
    if loop is not None:
        with contextlib.suppress(Exception):  # saving is best effort once a run has failed
            snap = loop.save("failed", message)
    if snap is None and folder.is_dir():
        with contextlib.suppress(Exception):
            store.update_summary(folder, status="failed", message=message)
    publish("failed", message, snap, None)
    return Outcome("failed", message)
