"""Measuring a run, apart from optimising it: metrics of learned latents and graphs, loss and speed meters,
progress, and the immutable Snapshot that crosses thread and process boundaries.

Pure numpy (no torch), so pages and readers of run folders can import it cheaply. The trainer encodes x with its
model and hands the numbers here; everything after the encoder is a plain function of arrays.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from mechsparse.learning import metrics as metrics_mod


def frozen(arr) -> np.ndarray | None:
    """A read-only copy of arr (None stays None)."""
    if arr is None:
        return None
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Metrics:
    """How well the learned model matches the truth (docs/theory.md); None where the data cannot tell."""

    mcc: float | None = None
    r: float | None = None
    r_con: float | None = None
    shd_a: int | None = None
    shd_z: int | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> Metrics:
        """From a dict such as a history row or summary.json; missing or null entries are None."""
        d = d or {}
        floats = {k: None if d.get(k) is None else float(d[k]) for k in ("mcc", "r", "r_con")}
        ints = {k: None if d.get(k) is None else int(d[k]) for k in ("shd_a", "shd_z")}
        return cls(**floats, **ints)


@dataclass(frozen=True)
class Evaluation:
    """The metrics and the matrices of one evaluation. ``corr`` is |corr(z_i, ẑ_j)| with columns in matched order,
    ``coef`` the normalised regression matrix |L P|, ``matched_a`` / ``matched_z`` the learned edge probabilities in
    the true latents' order (rows, and for Gz columns, permuted); all read-only, None where not applicable."""

    metrics: Metrics
    corr: np.ndarray | None = None
    coef: np.ndarray | None = None
    matched_a: np.ndarray | None = None
    matched_z: np.ndarray | None = None
    edge_probs_a: np.ndarray | None = None
    edge_probs_z: np.ndarray | None = None


def evaluate(
    z_true: np.ndarray | None,
    z_hat: np.ndarray | None,
    edge_probs_a: np.ndarray | None,
    edge_probs_z: np.ndarray | None,
    *,
    ga: np.ndarray | None,
    gz: np.ndarray | None,
    pattern: np.ndarray | None,
    same_dz: bool,
) -> Evaluation:
    """Metrics and matrices of learned latents ``z_hat`` (N, [T,] dz_hat) against the true ``z_true``.

    Without true latents, or when ``z_hat`` is not finite, only the edge probabilities are kept. R_con and SHD need
    the learned dz to equal the true one (``same_dz``), plus the pattern C or the true graph respectively."""
    pa, pz = frozen(edge_probs_a), frozen(edge_probs_z)
    if z_true is None or z_hat is None or not np.isfinite(z_hat).all():
        return Evaluation(Metrics(), edge_probs_a=pa, edge_probs_z=pz)
    z = np.asarray(z_true, dtype=np.float64)
    z, zh = z.reshape(-1, z.shape[-1]), np.asarray(z_hat, dtype=np.float64)
    zh = zh.reshape(-1, zh.shape[-1])
    matching = metrics_mod.match(z, zh)
    perm = matching.perm
    values: dict = {"mcc": matching.mcc, "r": metrics_mod.r(z, zh)}
    matched_a = matched_z = None
    if same_dz:
        if pattern is not None:
            values["r_con"] = metrics_mod.r_con(z, zh, pattern, perm)
        if pa is not None:
            matched_a = metrics_mod.permute_graph(pa, perm, "a")
            if ga is not None:
                values["shd_a"] = metrics_mod.shd(ga, pa, perm, "a")
        if pz is not None:
            matched_z = metrics_mod.permute_graph(pz, perm, "z")
            if gz is not None:
                values["shd_z"] = metrics_mod.shd(gz, pz, perm, "z")
    return Evaluation(
        metrics=Metrics.from_dict(values),
        corr=frozen(matching.matched_corr),
        coef=frozen(metrics_mod.regression_matrix(z, zh, perm)),
        matched_a=frozen(matched_a),
        matched_z=frozen(matched_z),
        edge_probs_a=pa,
        edge_probs_z=pz,
    )


# ---------------------------------------------------------------- meters and progress


def progress_fraction(step: int, max_steps: int | None, elapsed: float, max_seconds: float | None) -> float:
    """How far a run is, in [0, 1]: the larger of steps / max_steps and elapsed / max_seconds (0 without limits)."""
    fractions = [step / max_steps if max_steps else 0.0, elapsed / max_seconds if max_seconds else 0.0]
    return min(1.0, max(0.0, *fractions))


def duration_text(seconds: float) -> str:
    """42 s, 3 min 05 s, 1 h 02 min: how long a run (or a grid) has taken or has left."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def seconds_left(
    step: int, max_steps: int | None, elapsed: float, max_seconds: float | None, steps_per_second: float
) -> float | None:
    """Seconds until the nearer limit ends the run: the time limit's rest, or the steps left at the current rate
    (None without a limit, or with only a step limit and no rate yet)."""
    left = []
    if max_seconds:
        left.append(max(0.0, max_seconds - elapsed))
    if max_steps and steps_per_second > 0 and math.isfinite(steps_per_second):
        left.append(max(0, max_steps - step) / steps_per_second)
    return min(left) if left else None


@dataclass
class RateMeter:
    """Steps per second between two evaluations: ``mark(step, elapsed)`` at each one."""

    mark_step: int = 0
    mark_time: float = 0.0
    rate: float = 0.0

    def mark(self, step: int, elapsed: float) -> float:
        """Record an evaluation; the rate is updated when both steps and time advanced since the previous one."""
        if elapsed > self.mark_time and step > self.mark_step:
            self.rate = (step - self.mark_step) / (elapsed - self.mark_time)
        self.mark_step, self.mark_time = step, elapsed
        return self.rate

    def steps_per_second(self, step: int, elapsed: float) -> float:
        """The rate between the last two evaluations, else the average since the start."""
        return self.rate if self.rate else (step / elapsed if elapsed > 0 else 0.0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RateMeter:
        return cls(int(d["mark_step"]), float(d["mark_time"]), float(d["rate"]))


@dataclass
class LossMeter:
    """Mean losses since the last evaluation (for history rows) and their moving average (for snapshots)."""

    sums: list[float] = field(default_factory=lambda: [0.0] * 4)  # loss, recon, kl, edges
    count: int = 0
    ema: dict[str, float] = field(default_factory=dict)

    def add(self, loss: float, recon: float, kl: float, edges: float) -> None:
        self.sums = (np.asarray(self.sums, dtype=float) + (loss, recon, kl, edges)).tolist()
        self.count += 1
        for key, v in (("loss", loss), ("recon", recon), ("kl", kl)):
            self.ema[key] = v if key not in self.ema else 0.95 * self.ema[key] + 0.05 * v
        self.ema["edges"] = edges

    def smoothed(self, key: str) -> float:
        return self.ema.get(key, float("nan"))

    def flush(self) -> tuple[float, float, float, float] | None:
        """Means of (loss, recon, kl, edges) since the last flush, then start over; None when no step was added."""
        means = None if self.count == 0 else tuple((np.asarray(self.sums, dtype=float) / self.count).tolist())
        self.sums, self.count = [0.0] * 4, 0
        return means

    def to_dict(self) -> dict:
        return {"sums": list(self.sums), "count": self.count, "ema": dict(self.ema)}

    @classmethod
    def from_dict(cls, d: dict) -> LossMeter:
        ema = {str(k): float(v) for k, v in d["ema"].items()}
        return cls([float(v) for v in d["sums"]], int(d["count"]), ema)


# ---------------------------------------------------------------- snapshots

_ARRAYS = ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "corr", "coef", "pattern")
_FLOATS = ("elapsed", "steps_per_second", "loss", "recon", "kl", "elbo", "edge_count")  # NaN when unknown
_OPTIONAL_NUMBERS = {"max_steps": int, "bound": float, "multiplier": float, "max_seconds": float}
_OPTIONAL_NUMBERS["target_bound"] = float


@dataclass(frozen=True)
class Snapshot:
    """One instant of a run, for the UI: read-only numpy arrays, numbers and Metrics; never mutated.

    ``to_dict`` / ``from_dict`` convert to and from plain values (run folders store it as snapshot.npz)."""

    step: int
    max_steps: int | None
    elapsed: float
    steps_per_second: float
    loss: float
    recon: float
    kl: float
    elbo: float
    edge_probs_a: np.ndarray | None
    edge_probs_z: np.ndarray | None
    matched_probs_a: np.ndarray | None
    matched_probs_z: np.ndarray | None
    edge_count: float
    bound: float | None
    multiplier: float | None
    metrics: Metrics
    corr: np.ndarray | None
    coef: np.ndarray | None
    pattern: np.ndarray | None
    history: tuple[dict, ...]
    device: str
    finished: bool
    max_seconds: float | None = None
    target_bound: float | None = None

    @property
    def progress(self) -> float:
        if self.finished:  # a run that ends before its limits (the untrained random reference) is complete
            return 1.0
        return progress_fraction(self.step, self.max_steps, self.elapsed, self.max_seconds)

    @property
    def seconds_left(self) -> float | None:
        return seconds_left(self.step, self.max_steps, self.elapsed, self.max_seconds, self.steps_per_second)

    def to_dict(self) -> dict:
        """Plain values: arrays stay numpy arrays, metrics a dict, history a list of dicts."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["metrics"] = self.metrics.to_dict()
        d["history"] = [dict(row) for row in self.history]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Snapshot:
        """A Snapshot from ``to_dict`` output or a run folder's snapshot.npz fields. Only ``step`` is required:
        a missing history is empty, other missing values None (NaN for losses and timings); unknown keys are
        ignored (a newer version may add fields)."""
        if d.get("step") is None:
            raise ValueError("a snapshot needs its step")
        metrics = d.get("metrics")
        values = {
            **{k: frozen(d.get(k)) for k in _ARRAYS},
            **{k: math.nan if d.get(k) is None else float(d[k]) for k in _FLOATS},
            **{k: None if d.get(k) is None else cast(d[k]) for k, cast in _OPTIONAL_NUMBERS.items()},
        }
        return cls(
            step=int(d["step"]),
            metrics=metrics if isinstance(metrics, Metrics) else Metrics.from_dict(metrics),
            history=tuple(dict(row) for row in d.get("history") or ()),
            device=str(d.get("device") or ""),
            finished=bool(d.get("finished", False)),
            **values,
        )
