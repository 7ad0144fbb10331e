"""The training process of one job: `python -m mechsparse.worker FD`.

It talks to its supervisor (mechsparse.jobs) over one socket, wrapped as a multiprocessing Connection: the first
message is the job (run id, config, resume flag, timings); then the supervisor may send "pause", "resume" or
"stop" at any time, and the worker sends (status, message, snapshot, device) tuples. Commands are read between
steps, so a step is never interrupted. The run folder is written as it goes, so nothing is lost if either side
dies; a closed socket (the app went away) counts as "stop".

A fresh interpreter, not multiprocessing's spawn, because spawn re-imports the parent's __main__, which inside
Streamlit (or AppTest) is the page script that pressed Start.
"""

from __future__ import annotations

import contextlib
import sys
import time
from multiprocessing.connection import Connection

import torch

from mechsparse import runs
from mechsparse.training import TrainConfig, Trainer, TrainingDiverged


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _Commands:
    """The supervisor's commands, read without blocking between steps (or blocking while paused)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.paused = False
        self.stopped = False

    def _apply(self, command: str) -> None:
        if command == "pause":
            self.paused = True
        elif command == "resume":
            self.paused = False
        elif command == "stop":
            self.stopped = True
            self.paused = False

    def poll(self) -> None:
        try:
            while self.conn.poll():
                self._apply(self.conn.recv())
        except (EOFError, OSError):  # the supervisor is gone: save and end
            self.stopped = True

    def wait_while_paused(self) -> None:
        while self.paused and not self.stopped:
            try:
                self._apply(self.conn.recv())
            except (EOFError, OSError):
                self.stopped = True


def run(conn: Connection) -> None:
    """Train one job to its end, obeying commands and publishing snapshots."""
    job = conn.recv()
    run_id = job["run_id"]
    send = conn.send
    trainer = None
    try:
        folder = runs.run_path(run_id)
        dataset = runs.load_dataset_of(run_id)
        checkpoint = folder / "checkpoint.pt"
        if job["from_checkpoint"] and checkpoint.exists():
            trainer = Trainer.load_checkpoint(checkpoint, dataset)
        else:
            trainer = Trainer(dataset, TrainConfig.from_dict(job["config"]))
        if trainer.device.type == "cpu" and job.get("cpu_threads"):
            # Small models gain little from more intra-op threads, and spinning OpenMP threads that fight the UI
            # (or a second job) for the cores slow training by orders of magnitude.
            torch.set_num_threads(job["cpu_threads"])
        if not trainer.history:
            trainer.evaluate()  # a first point for the curves, before any step
        send(("running", "", trainer.snapshot(), str(trainer.device)))
        runs.update_summary(folder, status="running", device=str(trainer.device))
        commands = _Commands(conn)
        last_publish = last_save = time.monotonic()
        while not trainer.finished:
            commands.poll()
            if commands.paused:
                send(("paused", "paused", runs.save_progress(folder, trainer, "paused", "paused"), None))
                commands.wait_while_paused()
                if not commands.stopped:
                    send(("running", "", None, None))
            if commands.stopped:
                break
            trainer.step()
            now = time.monotonic()
            if now - last_publish >= job["publish_every"]:
                send(("running", None, trainer.snapshot(), None))
                last_publish = now
            if now - last_save >= job["checkpoint_every"]:
                runs.save_progress(folder, trainer, "running", "")
                last_save = now
        final = "finished" if trainer.finished else "stopped"
        if final == "finished":
            trainer.evaluate()
        message = "stopped by user" if final == "stopped" else ""
        _send_quietly(send, (final, message, runs.save_progress(folder, trainer, final, message), None))
    except Exception as exc:  # noqa: BLE001 - every failure becomes the job's one-line message
        diverged = isinstance(exc, TrainingDiverged)
        message = f"training diverged: {exc}. The last good checkpoint is kept." if diverged else _one_line(exc)
        snap = None
        try:
            if trainer is not None:
                snap = runs.save_progress(runs.run_path(run_id), trainer, "failed", message)
            else:
                runs.update_summary(runs.run_path(run_id), status="failed", message=message)
        except Exception:  # noqa: BLE001 - saving is best effort once a job has failed
            pass
        _send_quietly(send, ("failed", message, snap, None))


def _send_quietly(send, message) -> None:
    with contextlib.suppress(OSError, EOFError):  # the supervisor is gone; the run folder has everything
        send(message)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    conn = Connection(int(argv[0]))
    try:
        run(conn)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
