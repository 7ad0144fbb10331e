"""The Dataset container every other module consumes, its validation and size limits, and .npz files.

Conventions (docs/design.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz); ga (dz, da) and
gz (dz, dz) 0/1. Synthetic generation lives in mechsparse.data.synthetic, the Data page's previews in
mechsparse.data.previews. Files are untrusted (uploads): every member's .npy header is read and checked against the
limits below before any data is decoded, so a small file cannot make the loader allocate more than the limits allow.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from mechsparse.files import npzfile
from mechsparse.files.atomic import write_atomic
from mechsparse.theory import graphs
from mechsparse.theory.graphs import GraphSpec

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
    """Check arrays against the .npz contract of docs/design.md and the size limits, and build a Dataset (info defaults
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
    """Write ds as the .npz of docs/design.md (x, and a, z, ga, gz where present); the file loads back identical."""
    checked = validate_arrays({k: getattr(ds, k) for k in ALLOWED_KEYS if getattr(ds, k) is not None}, ds.name)
    arrays = {k: getattr(checked, k) for k in ALLOWED_KEYS if getattr(checked, k) is not None}  # as load gives them
    if isinstance(path, str | os.PathLike):
        write_atomic(path, lambda fh: npzfile.write_npz(fh, arrays))  # unique temp file, fsync, removed on failure
    else:
        npzfile.write_npz(path, arrays)


def dataset_bytes(ds: Dataset) -> bytes:
    """The .npz file of ds as bytes (for a download button)."""
    buf = io.BytesIO()
    save_dataset(buf, ds)
    return buf.getvalue()


def load_dataset(source: str | os.PathLike | bytes | BinaryIO, name: str | None = None) -> Dataset:
    """Read and validate a dataset .npz from a path, bytes or a binary file object (e.g. an uploaded file).

    Every member's .npy header is checked (dtype, shape, limits, size agreeing with the archive) before any data
    is decoded; then the data is decoded block by block into float32 (graphs int8), never with pickle. Every
    problem is a one-line ValueError naming the array and what is wrong.
    """
    handle, label = npzfile.open_source(source, name)
    not_npz = "file is not an .npz archive (write one with numpy.savez(file, x=..., a=..., z=...))"
    if npzfile.starts_like_npy(handle):
        raise ValueError(not_npz.replace("archive", "archive: it holds a single array"))
    listed = npzfile.directory_size(handle)
    if listed is not None and listed > npzfile.MAX_DIRECTORY_BYTES:
        raise ValueError(f"the archive lists {listed:,} bytes of entries; a dataset file has at most five arrays")
    try:
        zf = zipfile.ZipFile(handle)
    except (ValueError, *npzfile.DAMAGED) as exc:
        raise ValueError(not_npz) from exc
    with zf:
        members = npzfile.members(zf)
        _check_keys(members)
        npzfile.check_npy_members(members)
        headers = {key: npzfile.read_header(zf, key, info) for key, info in members.items()}
        for key, header in headers.items():
            _check_dtype(key, header.dtype)
        check_shapes({key: header.shape for key, header in headers.items()})
        for key, header in headers.items():
            npzfile.check_member_size(key, members[key], header)
        arrays = {}
        for key in (k for k in ALLOWED_KEYS if k in members):
            graph = key in _GRAPH_KEYS  # at most graphs.MAX_DIM squared values, checked above
            arr = npzfile.read_member(zf, key, members[key], headers[key], as_float32=not graph)
            arrays[key] = _to_graph(arr, key) if graph else _to_float32(arr, key)  # float32 already: no copy
    return _build(arrays, label, None)
