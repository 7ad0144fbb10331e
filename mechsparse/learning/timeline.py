"""A run's timeline: a compact, bounded record of its evaluations, so any run can be replayed after the fact.

A frame is one evaluation: its step and seconds, the learned matrices then (edge probabilities raw and matched to
the true latents, |corr| between true and learned latents) and the scalar values of that history row. However long
a run, a Timeline keeps at most MAX_FRAMES frames: when full it keeps every other one and from then on records only
every 2^k-th evaluation, so the kept frames stay evenly spaced; the first and the newest are always kept. Matrices
are stored as float16 (colours need no more), so a 10-latent run's file stays well under 200 KB.

timeline.npz holds the stacked arrays and the rows as JSON; it is read without pickle and checked whole (shapes,
order, ranges), since lesson files may be edited by hand. Pure numpy, no torch.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mechsparse.files import npzfile
from mechsparse.files.atomic import write_atomic

MAX_FRAMES = 200
FILE_NAME = "timeline.npz"
FORMAT_VERSION = 1
ARRAYS = ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "corr")
SCALARS = ("mcc", "r", "r_con", "shd_a", "shd_z", "loss", "elbo", "edge_count", "bound", "multiplier")
MAX_FILE_BYTES = 32 << 20  # a full 200-frame timeline of 100 latents and actions is about 20 MB
MAX_DATA_BYTES = 128 << 20  # what the members may declare, uncompressed
MAX_SIDE = 1000  # largest matrix side accepted from a file
_STORED = np.float16


class TimelineError(ValueError):
    """timeline.npz cannot be read or does not hold a consistent timeline (one line, what is wrong)."""


def _stored(arr) -> np.ndarray | None:
    """The array as kept in a frame: float16, read-only (None stays None)."""
    if arr is None:
        return None
    out = np.array(arr, dtype=_STORED, copy=True)
    out.setflags(write=False)
    return out


def _number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


@dataclass(frozen=True)
class Frame:
    """One evaluation: where the run was, its learned matrices (float16, None where the run has none) and the scalar
    values of its history row (NaN where absent). ``index`` counts the run's evaluations from 0."""

    step: int
    seconds: float
    index: int
    values: Mapping[str, float]
    edge_probs_a: np.ndarray | None = None
    edge_probs_z: np.ndarray | None = None
    matched_probs_a: np.ndarray | None = None
    matched_probs_z: np.ndarray | None = None
    corr: np.ndarray | None = None


class Timeline:
    """The bounded recorder (see the module's docstring); ``add`` one frame per evaluation, in step order."""

    def __init__(self, max_frames: int = MAX_FRAMES):
        if max_frames < 2:
            raise ValueError("a timeline keeps at least 2 frames (the first and the newest)")
        self.max_frames = max_frames
        self.stride = 1  # only evaluations whose index is a multiple of it stay (besides the first and the newest)
        self.seen = 0  # evaluations offered so far: the next one's default index
        self._frames: list[Frame] = []
        self._shapes: dict[str, tuple[int, ...]] = {}  # the arrays this run has, fixed by the frames so far

    # ---------------------------------------------------------------- recording

    def add(
        self,
        step: int,
        seconds: float,
        values: Mapping | None = None,
        *,
        index: int | None = None,
        edge_probs_a: np.ndarray | None = None,
        edge_probs_z: np.ndarray | None = None,
        matched_probs_a: np.ndarray | None = None,
        matched_probs_z: np.ndarray | None = None,
        corr: np.ndarray | None = None,
    ) -> None:
        """Record one evaluation. ``values`` is its history row (only SCALARS are kept); ``index`` which evaluation
        of the run it is (default: the one after the last). A step at or before the newest frame's replaces the
        frames from there on (the run went back to a checkpoint). An array this run lacked so far is filled with
        NaN in earlier frames, and one it lacks now with NaN here, so every frame has the same arrays."""
        index = self.seen if index is None else int(index)
        step = int(step)
        arrays = {"edge_probs_a": edge_probs_a, "edge_probs_z": edge_probs_z, "matched_probs_a": matched_probs_a}
        arrays |= {"matched_probs_z": matched_probs_z, "corr": corr}
        arrays = {k: _stored(v) for k, v in arrays.items()}
        for name, arr in arrays.items():
            if arr is None:
                continue
            if arr.ndim != 2:
                raise ValueError(f"timeline array {name} must be a matrix, got shape {arr.shape}")
            known = self._shapes.get(name)
            if known is not None and known != arr.shape:
                raise ValueError(f"timeline array {name} changed shape from {known} to {arr.shape}")
            if known is None:
                self._shapes[name] = arr.shape
                self._frames = [dataclasses.replace(f, **{name: _blank(arr.shape)}) for f in self._frames]
        for name, shape in self._shapes.items():
            if arrays[name] is None:
                arrays[name] = _blank(shape)
        row = values or {}
        frame = Frame(step, _number(seconds), index, {k: _number(row.get(k)) for k in SCALARS}, **arrays)
        self._frames = [f for f in self._frames if f.step < step and f.index < index]
        if len(self._frames) > 1 and self._frames[-1].index % self.stride:
            self._frames.pop()  # the newest stays only until a newer one comes
        self._frames.append(frame)
        self.seen = max(self.seen, index + 1)
        while len(self._frames) > self.max_frames:
            self._thin()

    def _thin(self) -> None:
        """Double the stride: keep the first, the newest and the frames on the new grid."""
        self.stride *= 2
        first, *middle, newest = self._frames
        self._frames = [first, *(f for f in middle if f.index % self.stride == 0), newest]

    def truncate(self, step: int) -> None:
        """Forget frames after ``step`` (resuming from a checkpoint older than the timeline)."""
        self._frames = [f for f in self._frames if f.step <= step]
        self.seen = self._frames[-1].index + 1 if self._frames else 0

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def frames(self) -> tuple[Frame, ...]:
        return tuple(self._frames)

    @property
    def steps(self) -> np.ndarray:
        """The frames' steps, strictly increasing."""
        return np.array([f.step for f in self._frames], dtype=np.int64)

    @property
    def seconds(self) -> np.ndarray:
        return np.array([f.seconds for f in self._frames], dtype=np.float64)

    @property
    def arrays(self) -> tuple[str, ...]:
        """The names (of ARRAYS) this run records, in ARRAYS order."""
        return tuple(name for name in ARRAYS if name in self._shapes)

    def has(self, name: str) -> bool:
        return name in self._shapes

    def shape(self, name: str) -> tuple[int, ...] | None:
        return self._shapes.get(name)

    def array(self, name: str, k: int) -> np.ndarray | None:
        """Frame k's matrix ``name`` as float32 (NaN where that evaluation had none); None when the run has none."""
        if name not in ARRAYS:
            raise KeyError(f"unknown timeline array {name!r}; known: {', '.join(ARRAYS)}")
        arr = getattr(self._frames[k], name)
        return None if arr is None else arr.astype(np.float32)

    def stacked(self, name: str) -> np.ndarray | None:
        """Every frame's matrix ``name`` as one (frames, rows, cols) float16 array; None when the run has none."""
        if name not in self._shapes:
            return None
        return np.stack([getattr(f, name) for f in self._frames]) if self._frames else None

    def series(self, name: str) -> np.ndarray:
        """One of SCALARS over the frames (NaN where absent)."""
        if name not in SCALARS:
            raise KeyError(f"unknown timeline value {name!r}; known: {', '.join(SCALARS)}")
        return np.array([f.values[name] for f in self._frames], dtype=np.float64)

    def metrics(self) -> tuple[str, ...]:
        """The SCALARS that some frame has a value for."""
        return tuple(name for name in SCALARS if np.isfinite(self.series(name)).any())


def _blank(shape: tuple[int, ...]) -> np.ndarray:
    out = np.full(shape, np.nan, dtype=_STORED)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------- the file


def timeline_path(path_or_dir: str | os.PathLike) -> Path:
    """The timeline file of a run folder, or the path itself when it names a file."""
    path = Path(path_or_dir)
    return path / FILE_NAME if path.is_dir() else path


def save_timeline(run_dir: str | os.PathLike, timeline: Timeline) -> None:
    """Write run_dir/timeline.npz atomically (FileNotFoundError when the folder is gone: nothing is recreated)."""
    rows = [{"index": f.index, "seconds": _json_number(f.seconds)} | _json_values(f.values) for f in timeline.frames]
    meta = {"version": FORMAT_VERSION, "stride": timeline.stride, "seen": timeline.seen, "rows": rows}
    meta["max_frames"] = timeline.max_frames
    arrays = {"steps": timeline.steps, "meta": np.array(json.dumps(meta))}
    for name in timeline.arrays:
        arrays[name] = timeline.stacked(name)
    write_atomic(Path(run_dir) / FILE_NAME, lambda fh: np.savez_compressed(fh, **arrays))


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _json_values(values: Mapping[str, float]) -> dict:
    return {k: _json_number(v) for k, v in values.items()}


def load_timeline(path_or_dir: str | os.PathLike) -> Timeline | None:
    """The timeline in a run folder (or a timeline file); None when there is none. A one-line TimelineError when
    the file cannot be read or does not hold a consistent timeline."""
    path = timeline_path(path_or_dir)
    if not path.exists():
        return None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TimelineError(f"is larger than {MAX_FILE_BYTES >> 20} MB")
        members = _read_members(path)
        unknown = sorted(set(members) - {"steps", "meta", *ARRAYS})
        if unknown:
            raise TimelineError(f"holds unknown arrays: {', '.join(unknown)}")
        if not {"steps", "meta"} <= set(members):
            raise TimelineError("lacks its steps or meta")
        return _build(members.pop("steps"), members.pop("meta"), members)
    except TimelineError as exc:
        raise TimelineError(f"{path.name} {exc}") from None
    except (*npzfile.DAMAGED, ValueError, KeyError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise TimelineError(f"{path.name} cannot be read ({reason})") from None


def _read_members(path: Path) -> dict[str, np.ndarray]:
    """Every .npy member, each header checked before its data is read (nothing unpickled, sizes bounded)."""
    with zipfile.ZipFile(path) as zf:
        found = npzfile.members(zf)
        npzfile.check_npy_members(found)
        headers = {key: npzfile.read_header(zf, key, info) for key, info in found.items()}
        total = 0
        for key, header in headers.items():
            if header.dtype.hasobject:
                raise TimelineError(f"holds {key} of Python objects")
            npzfile.check_member_size(key, found[key], header)
            total += math.prod(header.shape) * header.dtype.itemsize
        if total > MAX_DATA_BYTES:
            raise TimelineError(f"declares more than {MAX_DATA_BYTES >> 20} MB of data")
        return {key: npzfile.read_member(zf, key, found[key], h, as_float32=False) for key, h in headers.items()}


def _build(steps: np.ndarray, meta_arr: np.ndarray, arrays: dict[str, np.ndarray]) -> Timeline:
    """A Timeline from the file's members, every one checked."""
    if meta_arr.shape != () or meta_arr.dtype.kind != "U":
        raise TimelineError("has a meta entry that is not one JSON string")
    try:
        meta = json.loads(str(meta_arr))
    except json.JSONDecodeError:
        raise TimelineError("has meta that is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("version") != FORMAT_VERSION:
        raise TimelineError(f"has format {meta.get('version') if isinstance(meta, dict) else None!r}, not 1")
    rows, stride, seen = meta.get("rows"), meta.get("stride"), meta.get("seen")
    max_frames = meta.get("max_frames", MAX_FRAMES)
    if steps.ndim != 1 or steps.dtype.kind not in "iu":
        raise TimelineError("has steps that are not a list of integers")
    n = len(steps)
    if not isinstance(max_frames, int) or not 2 <= max_frames <= MAX_FRAMES:
        raise TimelineError(f"has max_frames {max_frames!r}, not 2 to {MAX_FRAMES}")
    if not 1 <= n <= MAX_FRAMES:
        raise TimelineError(f"must hold 1 to {MAX_FRAMES} frames, not {n}")
    if n > max_frames:
        raise TimelineError(f"holds {n} frames, more than its max_frames {max_frames}")
    if steps[0] < 0 or np.any(np.diff(steps) <= 0):
        raise TimelineError("has steps that are not strictly increasing from 0 or more")
    if not isinstance(rows, list) or len(rows) != n or not all(isinstance(r, dict) for r in rows):
        raise TimelineError(f"has {len(rows) if isinstance(rows, list) else 'no'} rows for {n} steps")
    if not isinstance(stride, int) or stride < 1 or stride & (stride - 1):
        raise TimelineError("has a stride that is not a power of two")
    indices = [r.get("index") for r in rows]
    if not all(isinstance(i, int) and i >= 0 for i in indices) or any(b <= a for a, b in itertools.pairwise(indices)):
        raise TimelineError("has evaluation indices that are not strictly increasing")
    if not isinstance(seen, int) or seen <= indices[-1]:
        raise TimelineError("has a count of evaluations below its last frame's")
    for r in rows:
        bad = [k for k in ("seconds", *SCALARS) if r.get(k) is not None and not isinstance(r[k], int | float)]
        if bad:
            raise TimelineError(f"has a row whose {bad[0]} is not a number")
    shapes = {name: _check_array(name, arr, n) for name, arr in arrays.items()}
    _check_shapes(shapes)
    timeline = Timeline(max_frames)
    timeline.stride, timeline.seen, timeline._shapes = stride, seen, shapes
    timeline._frames = [
        Frame(
            int(steps[k]),
            _number(rows[k].get("seconds")),
            indices[k],
            {name: _number(rows[k].get(name)) for name in SCALARS},
            **{name: _readonly(arr[k]) for name, arr in arrays.items()},
        )
        for k in range(n)
    ]
    return timeline


def _readonly(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, dtype=_STORED, copy=True)
    out.setflags(write=False)
    return out


def _check_array(name: str, arr: np.ndarray, n: int) -> tuple[int, int]:
    if arr.dtype.kind != "f" or arr.ndim != 3 or arr.shape[0] != n:
        raise TimelineError(f"has {name} of shape {arr.shape} ({arr.dtype}), not ({n}, rows, cols) floats")
    if not (1 <= arr.shape[1] <= MAX_SIDE and 1 <= arr.shape[2] <= MAX_SIDE):
        raise TimelineError(f"has {name} of shape {arr.shape}: each side must be 1 to {MAX_SIDE}")
    finite = arr[np.isfinite(arr)]
    if np.isinf(arr).any() or (finite.size and (finite.min() < 0 or finite.max() > 1)):
        raise TimelineError(f"has {name} values outside 0..1")
    return arr.shape[1], arr.shape[2]


def _check_shapes(shapes: dict[str, tuple[int, int]]) -> None:
    """Raw and matched graphs agree; Gz is square; every matrix has the same number of latent rows."""
    for key in ("a", "z"):
        raw, matched = shapes.get(f"edge_probs_{key}"), shapes.get(f"matched_probs_{key}")
        if raw and matched and raw != matched:
            raise TimelineError(f"has edge_probs_{key} {raw} and matched_probs_{key} {matched} of different shapes")
        for name, shape in ((f"edge_probs_{key}", raw), (f"matched_probs_{key}", matched)):
            if key == "z" and shape and shape[0] != shape[1]:
                raise TimelineError(f"has {name} of shape {shape}, not square")
    rows = {name: shape[0] for name, shape in shapes.items() if name != "corr"}
    if len(set(rows.values())) > 1:
        raise TimelineError("has graphs with different numbers of latents")
    corr = shapes.get("corr")
    matched = [s[0] for name, s in shapes.items() if name.startswith("matched")]
    if corr and matched and corr[0] != matched[0]:
        raise TimelineError(f"has corr of shape {corr} for {matched[0]} matched latents")
