"""One trainer per run folder: an exclusive lock held by the process that trains the run.

The lock is ``flock`` on ``<run folder>/.lock``. The kernel drops it when its process ends in any way (finished,
killed, crashed), so a lock can never go stale: a folder whose status still says "running" but whose lock is free
was cut off and may be resumed; one whose lock is held trains right now, in this app, another app or a CLI.
The holder writes its pid into the file, for people reading the folder; nothing relies on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from mechsparse.runs.schema import LOCK_FILE


class RunBusyError(RuntimeError):
    """The run is already being trained by another process."""


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class RunLock:
    """The training process's hold on one run folder; use as a context manager or acquire()/release()."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._fd: int | None = None

    def acquire(self, timeout: float = 5.0) -> RunLock:
        """Take the lock, waiting up to ``timeout`` s (a reader's brief probe may hold it for an instant).

        Raises RunBusyError if another process trains the run, FileNotFoundError if the folder is gone (the lock
        file is created, never the folder)."""
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while not _try_flock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise RunBusyError(f"run {self.folder.name} is already training in another process")
            time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire() if self._fd is None else self

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(folder: str | os.PathLike) -> bool:
    """True while some process (this one included) holds the run's lock, i.e. trains it right now."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY)
    except OSError:  # no lock file (never trained, or the folder is gone): nobody trains it
        return False
    try:
        if _try_flock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)
