"""The .npz archive format of dataset files, read with no trust and written reproducibly.

Reading: a member's .npy header is read on its own (shape, order, dtype, where the data starts), so the caller can
refuse an array before any of its data is decoded, and the data is then decoded block by block straight into one
float32 array (the only full-size allocation). Nothing is ever unpickled. What an array may be (names, shapes,
limits) is mechsparse.data.dataset's business, not this module's.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

_READ_BYTES = 1 << 22  # bytes decoded per read when loading a member (bounds the temporary buffer)
MAX_DIRECTORY_BYTES = 1 << 16
"""Largest central directory (the archive's table of contents) read. zipfile reads it whole into Python objects
before anything else, so a crafted upload with millions of entries could take gigabytes; a dataset file has at
most five entries of about a hundred bytes each."""
_EOCD = b"PK\x05\x06"  # end of central directory record
_ZIP64_LOCATOR = b"PK\x06\x07"


class NpyHeader(NamedTuple):
    """What a member's .npy header declares, read before any of its data; offset: where the data starts."""

    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    offset: int


# what a damaged, encrypted or oddly compressed archive raises while a member is read
DAMAGED = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error, lzma.LZMAError)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Archive members by array name ('x' for x.npy); a repeated name is refused."""
    found: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        key = info.filename.removesuffix(".npy")
        if key in found:
            raise ValueError(f"array {key!r} appears twice in the archive")
        found[key] = info
    return found


def check_npy_members(found: dict[str, zipfile.ZipInfo]) -> None:
    """Every member must be a .npy file."""
    for key, info in found.items():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"array {key!r} cannot be read: it is not a .npy array inside the archive")


def read_header(zf: zipfile.ZipFile, key: str, info: zipfile.ZipInfo) -> NpyHeader:
    """The member's .npy header, read without its data (shape, order, dtype and where the data starts)."""
    try:
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
            header = NpyHeader(tuple(shape), bool(fortran), np.dtype(dtype), fh.tell())
    except ValueError as exc:
        raise ValueError(f"array {key!r} cannot be read: {_one_line(exc)}") from None
    except DAMAGED as exc:
        raise ValueError(f"array {key!r} cannot be read: the archive is damaged ({_one_line(exc)})") from None
    return header


def check_member_size(key: str, info: zipfile.ZipInfo, header: NpyHeader) -> None:
    declared = math.prod(header.shape) * header.dtype.itemsize
    if info.file_size != header.offset + declared:
        raise ValueError(
            f"array {key!r} is damaged: its header declares {declared:,} bytes of data but the archive holds "
            f"{max(0, info.file_size - header.offset):,}"
        )


def _read_floats(fh: BinaryIO, key: str, header: NpyHeader) -> np.ndarray:
    """Decode the member's data block by block straight into one float32 array (the only full-size allocation)."""
    out = np.empty(header.shape, dtype=np.float32)
    # Fortran order stores out.T in C order; .flat fills that view without a copy
    target = out.T.flat if header.fortran else out.reshape(-1)
    itemsize = header.dtype.itemsize
    per_read = max(1, _READ_BYTES // itemsize)
    for lo in range(0, out.size, per_read):
        count = min(per_read, out.size - lo)
        raw = fh.read(count * itemsize)
        if len(raw) != count * itemsize:
            raise ValueError(f"array {key!r} is damaged: its data ends before the size its header declares")
        with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, refused by the check below
            target[lo : lo + count] = np.frombuffer(raw, dtype=header.dtype)
    return out


def read_member(
    zf: zipfile.ZipFile, key: str, info: zipfile.ZipInfo, header: NpyHeader, *, as_float32: bool
) -> np.ndarray:
    """The member's data, whose size the caller has bounded from its header: decoded block by block into float32
    (``as_float32``), or read as stored (small arrays such as graphs)."""
    try:
        with zf.open(info) as fh:
            fh.read(header.offset)
            if as_float32:
                return _read_floats(fh, key, header)
            count = math.prod(header.shape)
            flat = np.frombuffer(fh.read(count * header.dtype.itemsize), dtype=header.dtype, count=count)
            if flat.size != count:
                raise ValueError(f"array {key!r} is damaged: its data ends before the size its header declares")
            return flat.reshape(header.shape, order="F" if header.fortran else "C")
    except DAMAGED as exc:
        raise ValueError(f"array {key!r} cannot be read: the archive is damaged ({_one_line(exc)})") from None


def open_source(source: str | os.PathLike | bytes | BinaryIO, name: str | None) -> tuple[BinaryIO | Path, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), name or "uploaded"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"cannot read {str(path)!r}: no such file")
        return path, name or path.stem
    return source, name or Path(str(getattr(source, "name", "uploaded"))).stem


def _tail(fh: BinaryIO, size: int) -> bytes:
    fh.seek(0, os.SEEK_END)
    fh.seek(max(0, fh.tell() - size))
    return fh.read()


def directory_size(handle: BinaryIO | Path) -> int | None:
    """The size the archive declares for its central directory (from the end record, zip64 too), or None when
    no end record is found (then zipfile refuses the file anyway). The file position is left where it was."""
    with open(handle, "rb") if isinstance(handle, Path) else contextlib.nullcontext(handle) as fh:
        start = fh.tell()
        try:
            tail = _tail(fh, 22 + 65535 + 20)  # the end record, its longest comment, a zip64 locator
            at = tail.rfind(_EOCD)
            if at < 0 or len(tail) < at + 22:
                return None
            size = int.from_bytes(tail[at + 12 : at + 16], "little")
            locator = at - 20
            if size == 0xFFFFFFFF and locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
                fh.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
                record = fh.read(56)
                size = int.from_bytes(record[40:48], "little") if len(record) == 56 else size
            return size
        finally:
            fh.seek(start)


def starts_like_npy(handle: BinaryIO | Path) -> bool:
    """Whether the source is one .npy array rather than an archive (for a clearer message)."""
    try:
        with open(handle, "rb") if isinstance(handle, Path) else contextlib.nullcontext(handle) as fh:
            start = fh.tell()
            head = fh.read(6)
            fh.seek(start)
        return head == b"\x93NUMPY"
    except (OSError, ValueError):
        return False


def write_npz(fh: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """The same archive numpy.savez writes, but with a fixed timestamp: same dataset, same file bytes."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(entry, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(arr), allow_pickle=False)
