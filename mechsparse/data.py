"""The Dataset container every other module consumes, its validation and size limits, and .npz files.

Conventions (DESIGN.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz); ga (dz, da) and
gz (dz, dz) 0/1. Synthetic generation lives in mechsparse.synthetic, the Data page's previews in mechsparse.previews.
Files are untrusted (uploads): every member's .npy header is read and checked against the limits below before any
data is decoded, so a small file cannot make the loader allocate more than the limits allow.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import math
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from mechsparse import graphs
from mechsparse.atomic import write_atomic
from mechsparse.graphs import GraphSpec

MAX_N = 1_000_000
"""Most samples N that synthetic.generate draws (and the Data page offers); files are bounded by MAX_ROWS instead."""
MAX_T = 100
"""Longest sequence T that synthetic.generate draws; files are bounded by MAX_ROWS instead."""
MAX_ROWS = 4_000_000
"""Most rows N * T in any dataset, generated or loaded: training holds every row on the device at once."""
MAX_DX = 1000
"""Largest observation size dx: the encoder's first layer grows with dx, and the papers use dx = 20."""
MAX_DATASET_BYTES = 512 * 2**20
"""Most bytes x, a and z may take together as float32 (the graphs are tiny). The whole training set lives as
tensors on the device, the Data page caches a few datasets and a run folder keeps a copy, so one dataset must stay a
small share of an ordinary machine's memory; 512 MiB still holds 1,000,000 samples of 128 numbers each (e.g.
dx = 100 with da, dz <= 14). da and dz are bounded by graphs.MAX_DIM, like the graphs themselves."""

_FLOAT_BYTES = 4  # x, a and z are float32 in memory
_READ_BYTES = 1 << 22  # bytes decoded per read when loading a member (bounds the temporary buffer)
ALLOWED_KEYS = ("x", "a", "z", "ga", "gz")
_GRAPH_KEYS = ("ga", "gz")
_DESCRIBE = {
    "x": "observations (N, T, dx)",
    "a": "actions (N, T, da)",
    "z": "true latents (N, T, dz)",
    "ga": "action graph (dz, da)",
    "gz": "temporal graph (dz, dz)",
}


@dataclass
class Dataset:
    """Observations plus whatever ground truth is known. Arrays are float32; graphs int8 0/1 or None."""

    x: np.ndarray
    a: np.ndarray | None = None
    z: np.ndarray | None = None
    ga: np.ndarray | None = None
    gz: np.ndarray | None = None
    name: str = "custom"
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def t(self) -> int:
        return self.x.shape[1]

    @property
    def dx(self) -> int:
        return self.x.shape[2]

    @property
    def da(self) -> int:
        return 0 if self.a is None else self.a.shape[2]

    @property
    def dz(self) -> int | None:
        """Number of true latents where known (from z or the graphs), else None."""
        for arr in (self.z, self.ga, self.gz):
            if arr is not None:
                return arr.shape[-1] if arr is self.z else arr.shape[0]
        return None

    @property
    def has_ground_truth(self) -> bool:
        return self.z is not None

    @property
    def graphs(self) -> GraphSpec | None:
        if self.ga is None and self.gz is None:
            return None
        return GraphSpec(ga=self.ga, gz=self.gz)

    def split(self, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0):
        """Shuffled (train, val, test) index arrays; deterministic for a seed."""
        perm = np.random.default_rng(seed).permutation(self.n)
        n_train = int(round(fractions[0] * self.n))
        n_val = int(round(fractions[1] * self.n))
        return perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :]

    def subset(self, idx: np.ndarray) -> Dataset:
        """The samples at idx (e.g. one part of split()), same graphs and info."""
        pick = lambda arr: None if arr is None else arr[idx]  # noqa: E731
        return Dataset(
            x=self.x[idx],
            a=pick(self.a),
            z=pick(self.z),
            ga=self.ga,
            gz=self.gz,
            name=self.name,
            info={**self.info, "n": int(len(idx))},
        )


# ---------------------------------------------------------------- validation (shared by memory and files)


def _check_keys(keys) -> None:
    unknown = sorted(set(keys) - set(ALLOWED_KEYS))
    if unknown:
        raise ValueError(f"unknown array(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(ALLOWED_KEYS)}")
    if "x" not in keys:
        raise ValueError("missing array 'x' (observations, shape (N, T, dx))")


def _check_dtype(key: str, dtype: np.dtype) -> None:
    if dtype.hasobject:
        raise ValueError(f"array {key!r} holds Python objects; only numeric arrays are allowed")
    if dtype.kind not in "biuf":
        raise ValueError(f"array {key!r} must be numeric, got dtype {dtype}")


def _check_ranks(shapes: dict[str, tuple[int, ...]]) -> None:
    for key, shape in shapes.items():
        want = 2 if key in _GRAPH_KEYS else 3
        if len(shape) != want:
            hint = " (use x[:, None, :] for i.i.d. samples)" if want == 3 and len(shape) == 2 else ""
            raise ValueError(
                f"array {key!r} must have {want} dimensions, {_DESCRIBE[key]}, got {len(shape)} "
                f"with shape {shape}{hint}"
            )
        if 0 in shape:
            raise ValueError(f"array {key!r} is empty (shape {shape})")


def _check_agreement(shapes: dict[str, tuple[int, ...]]) -> None:
    """N and T shared by x, a, z; dz shared by z and the graphs; da shared by a and ga."""
    n, t = shapes["x"][:2]
    for key in ("a", "z"):
        if key in shapes:
            if shapes[key][0] != n:
                raise ValueError(f"array {key!r} has N = {shapes[key][0]} samples but x has {n}")
            if shapes[key][1] != t:
                raise ValueError(f"array {key!r} has T = {shapes[key][1]} steps but x has {t}")
    ga, gz = shapes.get("ga"), shapes.get("gz")
    if gz is not None:
        if gz[0] != gz[1]:
            raise ValueError(f"array 'gz' must be square (dz, dz), got shape {gz}")
        if t < 2:
            raise ValueError("array 'gz' describes dependence on the previous step, but x has T = 1")
    dz, source = (shapes["z"][2], "z") if "z" in shapes else (None, "")
    for key, g in (("gz", gz), ("ga", ga)):
        if g is not None and dz is not None and g[0] != dz:
            raise ValueError(f"array {key!r} has {g[0]} rows but {source} has dz = {dz} latents")
        if g is not None and dz is None:
            dz, source = g[0], key
    if ga is not None:
        if "a" not in shapes:
            raise ValueError("array 'ga' describes actions, but the file has no actions 'a'")
        if ga[1] != shapes["a"][2]:
            raise ValueError(f"array 'ga' has {ga[1]} columns but a has da = {shapes['a'][2]} actions")


def _check_limits(shapes: dict[str, tuple[int, ...]]) -> None:
    """MAX_ROWS, MAX_DX, graphs.MAX_DIM for da and dz, MAX_DATASET_BYTES; see their docstrings."""
    rows = shapes["x"][0] * shapes["x"][1]
    if rows > MAX_ROWS:
        raise ValueError(f"array 'x' is too large: N x T = {rows:,} rows, at most {MAX_ROWS:,} are allowed")
    if shapes["x"][2] > MAX_DX:
        raise ValueError(f"array 'x' is too large: dx = {shapes['x'][2]:,} observed values, at most {MAX_DX:,}")
    for key, axis, label in (("a", 2, "da"), ("z", 2, "dz"), ("ga", 0, "dz"), ("ga", 1, "da"), ("gz", 0, "dz")):
        if key in shapes and shapes[key][axis] > graphs.MAX_DIM:
            raise ValueError(
                f"array {key!r} is too large: {label} = {shapes[key][axis]:,}, at most {graphs.MAX_DIM} are allowed"
            )
    total = sum(math.prod(shape) for key, shape in shapes.items() if key not in _GRAPH_KEYS) * _FLOAT_BYTES
    if total > MAX_DATASET_BYTES:
        raise ValueError(
            f"the dataset is too large: x, a and z take {total / 2**20:,.0f} MiB as float32, at most "
            f"{MAX_DATASET_BYTES / 2**20:,.0f} MiB are allowed (fewer samples N, steps T or a smaller dx)"
        )


def check_shapes(shapes: dict[str, tuple[int, ...]]) -> None:
    """Check array shapes against the .npz contract and the size limits, before any data exists or is read.

    One-line ValueError naming the array: unknown or missing arrays, ranks, empty arrays, N, T, dz and da
    agreeing across arrays, and MAX_ROWS, MAX_DX, graphs.MAX_DIM (da, dz) and MAX_DATASET_BYTES.
    """
    _check_keys(shapes)
    shapes = {key: tuple(int(s) for s in shape) for key, shape in shapes.items()}
    _check_ranks(shapes)
    _check_agreement(shapes)
    _check_limits(shapes)


def _check_finite(arr: np.ndarray, key: str) -> None:
    """Every value finite, checked in blocks of rows so no second full-size array is made."""
    step = max(1, (1 << 24) // max(1, arr[:1].size))
    for lo in range(0, arr.shape[0], step):
        if not np.isfinite(arr[lo : lo + step]).all():
            raise ValueError(f"array {key!r} contains NaN or infinite values (or values too large for float32)")


def _to_float32(arr: np.ndarray, key: str) -> np.ndarray:
    """arr as float32: float32 as is, anything else converted once; then the finiteness check."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, refused just below
        out = arr.astype(np.float32, copy=False)
    _check_finite(out, key)
    return out


def _to_graph(arr: np.ndarray, key: str) -> np.ndarray:
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"array {key!r} must contain only 0 and 1")
    return arr.astype(np.int8)


def _build(out: dict[str, np.ndarray], name: str, info: dict | None) -> Dataset:
    """The Dataset of checked arrays (x, a, z float32; graphs int8), after the graphs' own validation."""
    ga, gz = out.get("ga"), out.get("gz")
    if ga is not None or gz is not None:
        try:
            GraphSpec(ga=ga, gz=gz)
        except ValueError as exc:
            raise ValueError(f"graphs: {exc}") from None
    n, t, dx = out["x"].shape
    info = {"source": "file", "n": n, "t": t, "dx": dx} if info is None else info
    return Dataset(x=out["x"], a=out.get("a"), z=out.get("z"), ga=ga, gz=gz, name=name, info=info)


def validate_arrays(arrays: dict[str, np.ndarray], name: str = "custom", info: dict | None = None) -> Dataset:
    """Check arrays against the .npz contract of DESIGN.md and the size limits, and build a Dataset (info defaults
    to a file's); one-line ValueError otherwise. float32 arrays are used as they are, not copied."""
    _check_keys(arrays)
    given = {key: np.asarray(arrays[key]) for key in ALLOWED_KEYS if key in arrays}
    for key, arr in given.items():
        _check_dtype(key, arr.dtype)
    check_shapes({key: arr.shape for key, arr in given.items()})
    out = {key: _to_graph(arr, key) if key in _GRAPH_KEYS else _to_float32(arr, key) for key, arr in given.items()}
    return _build(out, name, info)


# ---------------------------------------------------------------- files


def save_dataset(path: str | os.PathLike | BinaryIO, ds: Dataset) -> None:
    """Write ds as the .npz of DESIGN.md (x, and a, z, ga, gz where present); the file loads back identical."""
    checked = validate_arrays({k: getattr(ds, k) for k in ALLOWED_KEYS if getattr(ds, k) is not None}, ds.name)
    arrays = {k: getattr(checked, k) for k in ALLOWED_KEYS if getattr(checked, k) is not None}  # as load gives them
    if isinstance(path, str | os.PathLike):
        write_atomic(path, lambda fh: _write_npz(fh, arrays))  # unique temp file, fsync, removed on failure
    else:
        _write_npz(path, arrays)


def _write_npz(fh: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """The same archive numpy.savez writes, but with a fixed timestamp: same dataset, same file bytes."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(entry, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(arr), allow_pickle=False)


def dataset_bytes(ds: Dataset) -> bytes:
    """The .npz file of ds as bytes (for a download button)."""
    buf = io.BytesIO()
    save_dataset(buf, ds)
    return buf.getvalue()


class _Header(NamedTuple):
    """What a member's .npy header declares, read before any of its data; offset: where the data starts."""

    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    offset: int


# what a damaged, encrypted or oddly compressed archive raises while a member is read
_DAMAGED = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error, lzma.LZMAError)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Archive members by array name ('x' for x.npy); unknown, repeated or non-.npy members are refused."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        key = info.filename.removesuffix(".npy")
        if key in members:
            raise ValueError(f"array {key!r} appears twice in the archive")
        members[key] = info
    _check_keys(members)
    for key, info in members.items():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"array {key!r} cannot be read: it is not a .npy array inside the archive")
    return members


def _read_header(zf: zipfile.ZipFile, key: str, info: zipfile.ZipInfo) -> _Header:
    """The member's .npy header; its dtype is checked here, its shape by check_shapes, its size against the zip."""
    try:
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
            header = _Header(tuple(shape), bool(fortran), np.dtype(dtype), fh.tell())
    except ValueError as exc:
        raise ValueError(f"array {key!r} cannot be read: {_one_line(exc)}") from None
    except _DAMAGED as exc:
        raise ValueError(f"array {key!r} cannot be read: the archive is damaged ({_one_line(exc)})") from None
    _check_dtype(key, header.dtype)
    return header


def _check_member_size(key: str, info: zipfile.ZipInfo, header: _Header) -> None:
    declared = math.prod(header.shape) * header.dtype.itemsize
    if info.file_size != header.offset + declared:
        raise ValueError(
            f"array {key!r} is damaged: its header declares {declared:,} bytes of data but the archive holds "
            f"{max(0, info.file_size - header.offset):,}"
        )


def _read_floats(fh: BinaryIO, key: str, header: _Header) -> np.ndarray:
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
    _check_finite(out, key)
    return out


def _read_member(zf: zipfile.ZipFile, key: str, info: zipfile.ZipInfo, header: _Header) -> np.ndarray:
    try:
        with zf.open(info) as fh:
            fh.read(header.offset)
            if key in _GRAPH_KEYS:  # at most graphs.MAX_DIM squared values, checked before
                count = math.prod(header.shape)
                flat = np.frombuffer(fh.read(count * header.dtype.itemsize), dtype=header.dtype, count=count)
                order = "F" if header.fortran else "C"
                return _to_graph(flat.reshape(header.shape, order=order), key)
            return _read_floats(fh, key, header)
    except _DAMAGED as exc:
        raise ValueError(f"array {key!r} cannot be read: the archive is damaged ({_one_line(exc)})") from None


def _open(source: str | os.PathLike | bytes | BinaryIO, name: str | None) -> tuple[BinaryIO | Path, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), name or "uploaded"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"cannot read {str(path)!r}: no such file")
        return path, name or path.stem
    return source, name or Path(str(getattr(source, "name", "uploaded"))).stem


def _starts_like_npy(handle: BinaryIO | Path) -> bool:
    """Whether the source is one .npy array rather than an archive (for a clearer message)."""
    try:
        with open(handle, "rb") if isinstance(handle, Path) else contextlib.nullcontext(handle) as fh:
            start = fh.tell()
            head = fh.read(6)
            fh.seek(start)
        return head == b"\x93NUMPY"
    except (OSError, ValueError):
        return False


def load_dataset(source: str | os.PathLike | bytes | BinaryIO, name: str | None = None) -> Dataset:
    """Read and validate a dataset .npz from a path, bytes or a binary file object (e.g. an uploaded file).

    Every member's .npy header is checked (dtype, shape, limits, size agreeing with the archive) before any data
    is decoded; then the data is decoded block by block into float32 (graphs int8), never with pickle. Every
    problem is a one-line ValueError naming the array and what is wrong.
    """
    handle, label = _open(source, name)
    not_npz = "file is not an .npz archive (write one with numpy.savez(file, x=..., a=..., z=...))"
    if _starts_like_npy(handle):
        raise ValueError(not_npz.replace("archive", "archive: it holds a single array"))
    try:
        zf = zipfile.ZipFile(handle)
    except (ValueError, *_DAMAGED) as exc:
        raise ValueError(not_npz) from exc
    with zf:
        members = _members(zf)
        headers = {key: _read_header(zf, key, info) for key, info in members.items()}
        check_shapes({key: header.shape for key, header in headers.items()})
        for key, header in headers.items():
            _check_member_size(key, members[key], header)
        arrays = {key: _read_member(zf, key, members[key], headers[key]) for key in ALLOWED_KEYS if key in members}
    return _build(arrays, label, None)
