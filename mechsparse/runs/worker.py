"""The training process of one job: `python -m mechsparse.runs.worker FD`.

It talks to its supervisor (mechsparse.runs.jobs) over one socket, wrapped as a multiprocessing Connection: the first
message is the job ({"run_id", "resume", "publish_every", "save_every", "runs_dir"}); then the supervisor may send
"pause", "resume" or "stop" at any time, and the worker sends (status, message, snapshot, device) tuples. Everything
else (config, dataset, checkpoint) the worker reads from the run folder, through mechsparse.runs.runner, which also
writes the folder as it goes. A closed socket (the app went away) counts as "stop".

A fresh interpreter, not multiprocessing's spawn, because spawn re-imports the parent's __main__, which inside
Streamlit (or AppTest) is the page script that pressed Start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from multiprocessing.connection import Connection

import torch

from mechsparse.runs import runner, store
from mechsparse.runs.lock import RunBusyError


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


def _warm_up() -> None:
    """Pay torch's one-time costs before the job arrives (a spare worker waits with them paid): the first optimiser
    built imports torch._dynamo, seconds on a small CPU."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def run(conn: Connection) -> None:
    """Wait for a job (a spare worker waits before it is needed), then train it to its end, obeying commands and
    publishing snapshots. A supervisor that goes away before sending a job ends the worker quietly."""
    try:
        job = conn.recv()
    except (EOFError, OSError):
        return
    if job.get("runs_dir"):
        os.environ["MECHSPARSE_RUNS_DIR"] = job["runs_dir"]

    def publish(status, message, snapshot, device) -> None:
        with contextlib.suppress(OSError, EOFError):  # the supervisor is gone; the run folder has everything
            conn.send((status, message, snapshot, device))

    try:
        folder = store.run_path(job["run_id"])
        runner.train_run(
            folder,
            resume=job["resume"],
            control=_Commands(conn),
            publish=publish,
            save_every=job["save_every"],
            publish_every=job["publish_every"],
        )
    except RunBusyError as exc:  # another process trains this run: leave its folder alone
        publish("failed", str(exc), None, None)
    except Exception as exc:  # noqa: BLE001 - the supervisor always gets a last word
        publish("failed", runner.one_line(exc), None, None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Ctrl-C in a terminal reaches the whole process group: the supervisor (a grid on the command line) stops its
    # jobs through the socket, so each saves first; a supervisor that dies closes the socket, which stops us too
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(argv[0]))
    _warm_up()
    try:
        run(conn)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
