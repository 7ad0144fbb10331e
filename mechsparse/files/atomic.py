"""Atomic file writes: a reader sees the old file or the new one, never half of one, and no temp file survives.

Every file of a run folder and every dataset file is written here: to a uniquely named temp file beside the target
(two writers never share one), flushed and fsync'ed, then renamed over the target. Any failure (a full disk, a
torch error, a folder deleted meanwhile) removes the temp file and re-raises. The parent folder is never created:
a writer whose folder is gone gets FileNotFoundError, so a deleted run folder stays deleted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(fh)`` on a fresh temp file in path's folder, fsync it, and rename it to path."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike, blob: bytes) -> None:
    """Atomically replace path's content with blob."""
    write_atomic(path, lambda fh: fh.write(blob))


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Atomically replace path's content with text (UTF-8)."""
    write_bytes_atomic(path, text.encode("utf-8"))
