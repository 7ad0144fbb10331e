"""Synthetic data in the papers' style, the Dataset container every other module consumes, and .npz files.

Conventions (DESIGN.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz).
Action-only data has T = 1; temporal data T >= 2. One seed fixes mixing, latents and noise, byte for byte.
Formulas and constants follow the authors' generators (shared/REFERENCE.md); interventions and sequences longer
than T = 2 are ours and documented where they are built.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from mechsparse.graphs import GraphSpec

LEAKY_SLOPE = 0.2
LATENT_NOISE_STD = 1e-2  # variance 1e-4, as the papers
OBS_NOISE_STD = 1e-2
DRIFT = 0.5  # z_t = z_{t-1} + DRIFT * Delta(z_{t-1})
K2_SCALE = 0.1  # k=2 variance: K2_SCALE / d_parents * exp(sum_j G[i, j] cos(R_i p_j + S_i))
SHIFT_RANGE = (1.0, 2.0)  # interventions: |mean shift| of a target ~ U(SHIFT_RANGE), random sign (ours)
LOG_SCALE_RANGE = (-1.0, 1.0)  # interventions, k=2: std of a target multiplied by exp(U(LOG_SCALE_RANGE)) (ours)
DEFAULT_OBS_SHARE = 0.2

VARIANTS: dict[str, str] = {
    "standard": "the papers' sinusoidal mechanisms; only the mean depends on the parents",
    "no_suff_var": "linear mechanisms (A ⊙ G) p: violates sufficient influence",
    "k=2": "parents change the variance as well as the mean (heteroscedastic)",
}
KINDS: dict[str, str] = {
    "action": "i.i.d. samples (T = 1), continuous actions a ~ U(-2, 2) drive the latents through Ga",
    "intervention": "i.i.d. samples (T = 1), a is one-hot (which intervention) or zero (observational)",
    "temporal": "sequences (T >= 2), each step depends on the previous one through Gz",
    "action+time": "sequences, continuous actions (Ga) and the previous step (Gz) together",
    "intervention+time": "sequences, one-hot interventions (Ga) and the previous step (Gz) together",
}
MAX_N = 1_000_000
MAX_T = 100
MAX_ROWS = 4_000_000  # N * T, bounds memory (x alone is 4 bytes * rows * dx)
MAX_DX = 1000
_CHUNK = 131_072  # rows per block when evaluating mechanisms and the mixing


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


# ---------------------------------------------------------------- mixing


def _leaky_relu(h: np.ndarray) -> np.ndarray:
    return np.where(h > 0, h, LEAKY_SLOPE * h)


def mixing_weights(dz: int, dx: int, rng: np.random.Generator, n_layers: int = 4) -> list[np.ndarray]:
    """Weights of the authors' bias-free leaky-ReLU MLP z -> x: W1 (dz x dx) then (dx x dx) layers, each
    row-orthonormal (QR) and scaled by the leaky-ReLU gain times sqrt(2 / (fan_in + fan_out))."""
    if dx < dz:
        raise ValueError(f"observation size dx ({dx}) must be at least the number of latents dz ({dz})")
    gain = np.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2))
    weights = []
    fan_in = dz
    for _ in range(n_layers):
        q, _ = np.linalg.qr(rng.standard_normal((dx, fan_in)))  # orthonormal columns
        weights.append(q.T * gain * np.sqrt(2.0 / (fan_in + dx)))
        fan_in = dx
    return weights


def mix(z: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Apply the mixing MLP to the last axis of z (leaky-ReLU after every layer but the last)."""
    h = z
    for k, w in enumerate(weights):
        h = h @ w
        if k < len(weights) - 1:
            h = _leaky_relu(h)
    return h


# ---------------------------------------------------------------- mechanisms


def _freq_phase(dz: int) -> tuple[np.ndarray, np.ndarray]:
    """R_i = (i + 3) / pi and S_i = i for latent i (0-based), as the papers."""
    i = np.arange(dz)
    return (i + 3) / np.pi, i.astype(float)


def _graph_freq_phase(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The papers use plain sin(p_i) for the trivial graph G = I, and R_i, S_i otherwise."""
    if g.shape[0] == g.shape[1] and np.array_equal(g, np.eye(g.shape[0])):
        return np.ones(g.shape[0]), np.zeros(g.shape[0])
    return _freq_phase(g.shape[0])


def sinusoid_mean(g: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """mu_i(p) = sum_j g[i, j] sin(R_i p_j + S_i) for a batch of parent vectors p (..., d_parents)."""
    r, s = _freq_phase(g.shape[0])
    waves = np.sin(r[:, None] * parents[..., None, :] + s[:, None])  # (..., dz, d_parents)
    return (waves * g).sum(axis=-1)


def _edge_sum(g: np.ndarray, parents: np.ndarray, fn) -> np.ndarray:
    """sum_j g[i, j] fn(R_i p_j + S_i) for parents (n, d), evaluated on the edges only: (n, dz)."""
    rows, cols = np.nonzero(g)
    r, s = _graph_freq_phase(g)
    waves = fn(parents[:, cols] * r[rows] + s[rows])  # (n, n_edges)
    incidence = np.zeros((len(rows), g.shape[0]))
    incidence[np.arange(len(rows)), rows] = 1.0
    return waves @ incidence


@dataclass(frozen=True)
class Mechanisms:
    """p(z_t | z_{t-1}, a_t) for every latent: a Gaussian whose mean and std this object computes.

    Which inputs enter follows the graphs: latent i reads action l only if ga[i, l] = 1 and z_{t-1, j} only if
    gz[i, j] = 1, so changing a non-parent leaves its mean and std untouched (tested numerically).
    - Continuous actions: mean += sum_l Ga[i, l] sin(R_i a_l + S_i) (standard, k=2) or (A ⊙ Ga) a (no_suff_var).
      A latent without any action parent has a fixed N(0, 1) mechanism in action-only data (ours: the papers'
      graphs give every latent a parent, and a near-constant latent would carry no information).
    - Time: z_0 ~ N(0, I) (+ the action term); later steps z_{t-1} + 0.5 Delta(z_{t-1}) with the same sinusoid or
      linear form over Gz, noise std 1e-2.
    - k=2: variance 0.1 / d_parents * exp(sum_j G[i, j] cos(R_i p_j + S_i)) over the parents that vary.
    - Interventions (ours): a is one-hot or zero; intervention l shifts the mean of each target (column l of Ga)
      by +-U(1, 2) (no_suff_var: by A[i, l] ~ N(0, 1)) and, under k=2, also rescales its std by exp(U(-1, 1)).
      Observational steps (a = 0) keep the base mechanism: N(0, 1) at T = 1 and the first step, the temporal
      transition afterwards. Any function of a one-hot a is affine in a, so no_suff_var cannot break sufficient
      influence for interventions; it only changes how the shifts are drawn.
    """

    ga: np.ndarray | None
    gz: np.ndarray | None
    variant: str = "standard"
    interventions: bool = False
    coef_a: np.ndarray | None = None  # A ⊙ Ga (no_suff_var, continuous actions)
    coef_z: np.ndarray | None = None  # A ⊙ Gz (no_suff_var)
    shift: np.ndarray | None = None  # (dz, da), interventions: mean shift of target i under intervention l
    log_scale: np.ndarray | None = None  # (dz, da), interventions: log std factor (k=2)

    @property
    def dz(self) -> int:
        return (self.ga if self.ga is not None else self.gz).shape[0]

    def __call__(
        self, a: np.ndarray | None, z_prev: np.ndarray | None, n: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (each (n, dz)) of z_t given a_t (n, da) and z_{t-1} (n, dz); z_prev None = first step
        (then n gives the batch size when there are no actions either)."""
        if a is not None or z_prev is not None:
            n = (a if a is not None else z_prev).shape[0]
        if n is None:
            raise ValueError("give actions, a previous step, or the batch size n")
        dz = self.dz
        mean = np.zeros((n, dz))
        log_var = np.zeros((n, dz))
        k2_dims = 0  # parent dimensions whose cos-terms enter the k=2 variance
        if self.gz is None or z_prev is None:
            # N(0, 1): prior of the first step, observational interventions, latents without any parent
            prior = np.ones(dz, dtype=bool)
            if self.ga is not None and not self.interventions and self.gz is None:
                prior = ~self.ga.any(axis=1)
        else:
            prior = np.zeros(dz, dtype=bool)
            zp = np.asarray(z_prev, dtype=float)
            delta = zp @ self.coef_z.T if self.variant == "no_suff_var" else _edge_sum(self.gz, zp, np.sin)
            mean += zp + DRIFT * delta
            if self.variant == "k=2":
                log_var += _edge_sum(self.gz, zp, np.cos)
                k2_dims += dz
        aa = None if (self.ga is None or a is None) else np.asarray(a, dtype=float)
        if aa is not None and self.interventions:
            mean += aa @ self.shift.T
        elif aa is not None:
            mean += aa @ self.coef_a.T if self.variant == "no_suff_var" else _edge_sum(self.ga, aa, np.sin)
            if self.variant == "k=2":
                log_var += _edge_sum(self.ga, aa, np.cos)
                k2_dims += self.ga.shape[1]
        small = np.sqrt(K2_SCALE / k2_dims * np.exp(log_var)) if k2_dims else LATENT_NOISE_STD
        std = np.where(prior, 1.0, small) * np.ones((n, dz))
        if aa is not None and self.interventions and self.log_scale is not None:
            std *= np.exp(aa @ self.log_scale.T)
        return mean, std


def make_mechanisms(
    spec: GraphSpec, variant: str = "standard", interventions: bool = False, seed: int = 0
) -> Mechanisms:
    """Build the mechanisms of spec; the random parameters (A, shifts, scales) come from seed."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    rng = np.random.default_rng([seed, 1])  # separate stream: variants share the data draws of a seed
    ga = None if spec.ga is None else spec.ga.astype(float)
    gz = None if spec.gz is None else spec.gz.astype(float)
    coef_a = coef_z = shift = log_scale = None
    if ga is not None:
        draw = rng.standard_normal(ga.shape)
        if interventions:
            if variant == "no_suff_var":
                shift = draw * ga
            else:
                sign = np.where(rng.random(ga.shape) < 0.5, -1.0, 1.0)
                shift = sign * rng.uniform(*SHIFT_RANGE, size=ga.shape) * ga
            if variant == "k=2":
                log_scale = rng.uniform(*LOG_SCALE_RANGE, size=ga.shape) * ga
        elif variant == "no_suff_var":
            coef_a = draw * ga
    if gz is not None and variant == "no_suff_var":
        coef_z = rng.standard_normal(gz.shape) * gz
    return Mechanisms(
        ga=ga,
        gz=gz,
        variant=variant,
        interventions=interventions,
        coef_a=coef_a,
        coef_z=coef_z,
        shift=shift,
        log_scale=log_scale,
    )


def default_kind(spec: GraphSpec) -> str:
    """action, temporal or action+time, from which graphs spec has."""
    if spec.ga is not None and spec.gz is not None:
        return "action+time"
    return "action" if spec.ga is not None else "temporal"


def kinds_for(spec: GraphSpec) -> list[str]:
    """The kinds of data spec can generate (a kind needs the graphs it uses)."""
    out = []
    if spec.ga is not None:
        out += ["action", "intervention"]
    if spec.gz is not None:
        out.append("temporal")
        if spec.ga is not None:
            out += ["action+time", "intervention+time"]
    return out


def _check_int(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:,} and {hi:,}, got {value:,}")
    return int(value)


def generate(
    spec: GraphSpec,
    n: int = 10_000,
    *,
    t: int | None = None,
    dx: int = 20,
    seed: int = 0,
    name: str = "custom",
    variant: str = "standard",
    kind: str | None = None,
    obs_share: float = DEFAULT_OBS_SHARE,
) -> Dataset:
    """The papers' synthetic data for the graphs in spec (see Mechanisms for the formulas).

    kind (KINDS) picks which graphs are active and how actions are drawn; by default continuous actions and/or
    time, from the graphs spec has. ``t`` defaults to 1 without time and 2 with it (T >= 2 for temporal kinds).
    Interventions draw a = 0 with probability obs_share, else a uniformly chosen one-hot. x is the mixing MLP of
    z, standardised per dimension, plus N(0, 0.01^2) noise. Same arguments, same bytes.
    """
    if not isinstance(spec, GraphSpec):
        raise ValueError(f"spec must be a GraphSpec, got {type(spec).__name__}")
    kind = default_kind(spec) if kind is None else kind
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind not in kinds_for(spec):
        need = "an action graph Ga" if kind.startswith(("action", "intervention")) else "a temporal graph Gz"
        if kind.endswith("+time"):
            need = "both an action graph Ga and a temporal graph Gz"
        raise ValueError(f"kind {kind!r} needs {need}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    temporal = kind in ("temporal", "action+time", "intervention+time")
    interventions = kind.startswith("intervention")
    n = _check_int(n, "number of samples n", 1, MAX_N)
    t = _check_int(2 if temporal else 1, "T", 1, MAX_T) if t is None else _check_int(t, "sequence length T", 1, MAX_T)
    if temporal and t < 2:
        raise ValueError(f"temporal data needs sequence length T >= 2, got {t}")
    if n * t > MAX_ROWS:
        raise ValueError(f"N x T = {n * t:,} is too large; keep it at most {MAX_ROWS:,}")
    dx = _check_int(dx, "observation size dx", 1, MAX_DX)
    seed = _check_int(seed, "seed", 0, 2**32 - 1)
    if interventions and not 0.0 <= float(obs_share) <= 1.0:
        raise ValueError(f"observational share must be between 0 and 1, got {obs_share}")

    used = GraphSpec(ga=spec.ga if kind != "temporal" else None, gz=spec.gz if temporal else None)
    dz, da = used.dz, used.da
    rng = np.random.default_rng(seed)
    weights = mixing_weights(dz, dx, rng)
    mech = make_mechanisms(used, variant, interventions, seed)

    a = None
    if used.ga is not None:
        if interventions:
            which = rng.integers(0, da, size=(n, t))
            active = rng.random((n, t)) >= obs_share
            a = np.zeros((n, t, da), dtype=np.float32)
            nn, tt = np.nonzero(active)
            a[nn, tt, which[nn, tt]] = 1.0
        else:
            a = rng.uniform(-2.0, 2.0, size=(n, t, da))
    eps = rng.standard_normal((n, t, dz))
    z = np.empty((n, t, dz))
    x = np.empty((n, t, dx))
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        for step in range(t):
            mean, std = mech(
                None if a is None else a[lo:hi, step],
                z[lo:hi, step - 1] if (temporal and step > 0) else None,
                n=hi - lo,
            )
            z[lo:hi, step] = mean + std * eps[lo:hi, step]
        x[lo:hi] = mix(z[lo:hi], weights)
    if not (np.isfinite(z).all() and np.isfinite(x).all() and np.abs(z).max() < 1e30):
        raise ValueError(f"the latents diverge over T = {t} steps with variant {variant!r}; use a shorter T")
    mu, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
    x -= mu
    x /= np.where(sd > 0, sd, 1.0)
    x_out = x.astype(np.float32)
    x_out += np.float32(OBS_NOISE_STD) * rng.standard_normal(x_out.shape, dtype=np.float32)
    info = {"preset": name, "variant": variant, "n": n, "t": t, "dx": dx, "seed": seed, "kind": kind}
    if interventions:
        info["obs_share"] = float(obs_share)
    return Dataset(
        x=x_out,
        a=None if a is None else a.astype(np.float32),
        z=z.astype(np.float32),
        ga=used.ga,
        gz=used.gz,
        name=name,
        info=info,
    )


# ---------------------------------------------------------------- files

ALLOWED_KEYS = ("x", "a", "z", "ga", "gz")
_DESCRIBE = {
    "x": "observations (N, T, dx)",
    "a": "actions (N, T, da)",
    "z": "true latents (N, T, dz)",
    "ga": "action graph (dz, da)",
    "gz": "temporal graph (dz, dz)",
}


def validate_arrays(arrays: dict[str, np.ndarray], name: str = "custom") -> Dataset:
    """Check arrays against the .npz contract of DESIGN.md and build a Dataset; one-line ValueError otherwise."""
    unknown = sorted(set(arrays) - set(ALLOWED_KEYS))
    if unknown:
        raise ValueError(f"unknown array(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(ALLOWED_KEYS)}")
    if "x" not in arrays:
        raise ValueError("missing array 'x' (observations, shape (N, T, dx))")
    out: dict[str, np.ndarray] = {}
    for key in ALLOWED_KEYS:
        if key not in arrays:
            continue
        arr = np.asarray(arrays[key])
        if arr.dtype == object:
            raise ValueError(f"array {key!r} holds Python objects; only numeric arrays are allowed")
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"array {key!r} must be numeric, got dtype {arr.dtype}")
        want = 2 if key in ("ga", "gz") else 3
        if arr.ndim != want:
            hint = " (use x[:, None, :] for i.i.d. samples)" if want == 3 and arr.ndim == 2 else ""
            raise ValueError(
                f"array {key!r} must have {want} dimensions, {_DESCRIBE[key]}, got {arr.ndim} "
                f"with shape {arr.shape}{hint}"
            )
        if 0 in arr.shape:
            raise ValueError(f"array {key!r} is empty (shape {arr.shape})")
        if key in ("ga", "gz"):
            if not np.isin(arr, (0, 1)).all():
                raise ValueError(f"array {key!r} must contain only 0 and 1")
            out[key] = arr.astype(np.int8)
        else:
            as32 = arr.astype(np.float32)
            if not np.isfinite(as32).all():
                raise ValueError(f"array {key!r} contains NaN or infinite values (or values too large for float32)")
            out[key] = as32
    n, t = out["x"].shape[:2]
    for key in ("a", "z"):
        if key in out:
            if out[key].shape[0] != n:
                raise ValueError(f"array {key!r} has N = {out[key].shape[0]} samples but x has {n}")
            if out[key].shape[1] != t:
                raise ValueError(f"array {key!r} has T = {out[key].shape[1]} steps but x has {t}")
    ga, gz = out.get("ga"), out.get("gz")
    if gz is not None:
        if gz.shape[0] != gz.shape[1]:
            raise ValueError(f"array 'gz' must be square (dz, dz), got shape {gz.shape}")
        if t < 2:
            raise ValueError("array 'gz' describes dependence on the previous step, but x has T = 1")
    dz = out["z"].shape[2] if "z" in out else None
    for key, g in (("gz", gz), ("ga", ga)):
        if g is None:
            continue
        if dz is not None and g.shape[0] != dz:
            raise ValueError(f"array {key!r} has {g.shape[0]} rows but z has dz = {dz} latents")
        if dz is None:
            dz = g.shape[0]
    if gz is not None and dz != gz.shape[0]:
        raise ValueError(f"array 'ga' has {dz} rows but 'gz' has {gz.shape[0]}")
    if ga is not None:
        if "a" not in out:
            raise ValueError("array 'ga' describes actions, but the file has no actions 'a'")
        if ga.shape[1] != out["a"].shape[2]:
            raise ValueError(f"array 'ga' has {ga.shape[1]} columns but a has da = {out['a'].shape[2]} actions")
    if ga is not None or gz is not None:
        try:
            GraphSpec(ga=ga, gz=gz)
        except ValueError as exc:
            raise ValueError(f"graphs: {exc}") from None
    return Dataset(
        x=out["x"],
        a=out.get("a"),
        z=out.get("z"),
        ga=ga,
        gz=gz,
        name=name,
        info={"source": "file", "n": n, "t": t, "dx": int(out["x"].shape[2])},
    )


def save_dataset(path: str | os.PathLike | BinaryIO, ds: Dataset) -> None:
    """Write ds as the .npz of DESIGN.md (x, and a, z, ga, gz where present); the file loads back identical."""
    arrays = {k: getattr(ds, k) for k in ALLOWED_KEYS if getattr(ds, k) is not None}
    validate_arrays(arrays, ds.name)  # never write a file load_dataset would reject
    if isinstance(path, str | os.PathLike):
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            _write_npz(fh, arrays)
        os.replace(tmp, path)
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


def load_dataset(source: str | os.PathLike | bytes | BinaryIO, name: str | None = None) -> Dataset:
    """Read and validate a dataset .npz from a path, bytes or a binary file object (e.g. an uploaded file).

    Loaded with allow_pickle=False; every problem is a one-line ValueError naming the array and what is wrong.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        handle, label = io.BytesIO(bytes(source)), name or "uploaded"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"cannot read {str(path)!r}: no such file")
        handle, label = path, name or path.stem
    else:
        handle, label = source, name or Path(str(getattr(source, "name", "uploaded"))).stem
    not_npz = "file is not an .npz archive (write one with numpy.savez(file, x=..., a=..., z=...))"
    try:
        loaded = np.load(handle, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(not_npz) from exc
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(not_npz.replace("archive", "archive: it holds a single array"))
    arrays: dict[str, np.ndarray] = {}
    with loaded:
        unknown = sorted(set(loaded.files) - set(ALLOWED_KEYS))
        if unknown:
            raise ValueError(
                f"unknown array(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(ALLOWED_KEYS)}"
            )
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
                if not isinstance(arrays[key], np.ndarray):  # numpy hands back raw bytes for a non-.npy member
                    raise ValueError(f"array {key!r} cannot be read: it is not a .npy array inside the archive")
            except ValueError as exc:
                if str(exc).startswith(f"array {key!r}"):
                    raise
                if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                    raise ValueError(f"array {key!r} holds Python objects; only numeric arrays are allowed") from None
                raise ValueError(f"array {key!r} cannot be read: {exc}") from None
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(f"array {key!r} cannot be read: the archive is damaged ({exc})") from None
    return validate_arrays(arrays, label)


# ---------------------------------------------------------------- previews (numbers the Data page draws)


def summary_statistics(ds: Dataset) -> pd.DataFrame:
    """Mean, std, min and max of every variable (x, a, z), over samples and steps."""
    rows = []
    for key, prefix in (("x", "x"), ("a", "a"), ("z", "z")):
        arr = getattr(ds, key)
        if arr is None:
            continue
        flat = arr.reshape(-1, arr.shape[-1]).astype(np.float64)
        for j in range(flat.shape[1]):
            col = flat[:, j]
            rows.append(
                {
                    "variable": f"{prefix}{j + 1}",
                    "mean": col.mean(),
                    "std": col.std(),
                    "min": col.min(),
                    "max": col.max(),
                }
            )
    return pd.DataFrame(rows)


def principal_components(x: np.ndarray, k: int = 2, max_rows: int = 5000, seed: int = 0):
    """Scores of the first k principal components (numpy SVD) on up to max_rows rows of x flattened over T, the
    share of variance each explains, and the row indices used (into x.reshape(-1, dx))."""
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    idx = np.arange(flat.shape[0])
    if flat.shape[0] > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(flat.shape[0], max_rows, replace=False))
    sub = flat[idx] - flat[idx].mean(axis=0)
    _, s, vt = np.linalg.svd(sub, full_matrices=False)
    k = min(k, vt.shape[0])
    total = (s**2).sum()
    explained = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
    return sub @ vt[:k].T, explained, idx


def parent_panels(ds: Dataset, max_panels: int = 4, max_points: int = 1500, seed: int = 0) -> list[dict]:
    """Scatter data of a few latents against one of their parents, plus one non-parent for contrast.

    y is z_i, or, when the data has time, the step change z_i(t) - z_i(t-1) (what the mechanism adds).
    x is an action a_l, a previous latent z_j(t-1) (a different latent when it has one), or, for interventions,
    which intervention happened (categorical; the ones targeting z_i highlighted).
    Each panel: x, y, x_title, y_title, title, parent (bool), categories (labels for integer x, or None),
    highlight (category labels to emphasise).
    """
    if ds.z is None or (ds.ga is None and ds.gz is None):
        return []
    rng = np.random.default_rng(seed)
    kind = str(ds.info.get("kind", ""))
    interventions = kind.startswith("intervention")
    if not kind and ds.a is not None and np.isin(ds.a, (0, 1)).all():
        interventions = bool((ds.a.sum(axis=-1) <= 1).all())  # an uploaded one-hot a
    has_a = ds.ga is not None and ds.a is not None
    has_z = ds.gz is not None and ds.t >= 2
    steps = np.arange(1, ds.t) if has_z else np.arange(ds.t)
    rows = rng.choice(ds.n, min(ds.n, max_points), replace=False)
    step = rng.choice(steps, len(rows))
    z_now = ds.z[rows, step].astype(float)
    z_prev = ds.z[rows, step - 1].astype(float) if has_z else None

    def y_of(i: int) -> tuple[np.ndarray, str]:
        if has_z:
            return z_now[:, i] - z_prev[:, i], f"z{i + 1}(t) - z{i + 1}(t-1)"
        return z_now[:, i], f"z{i + 1}"

    def panel(source: str, i: int, j: int, is_parent: bool) -> dict:
        y, y_title = y_of(i)
        tag = "parent" if is_parent else "not a parent"
        subject = f"step of z{i + 1}" if has_z else f"z{i + 1}"
        if source == "a" and interventions:
            a_now = ds.a[rows, step]
            which = a_now.argmax(axis=-1) + 1
            which[a_now.sum(axis=-1) == 0] = 0
            targets = [f"a{k + 1}" for k in np.flatnonzero(ds.ga[i])]
            return {
                "x": which,
                "y": y,
                "x_title": "intervention",
                "y_title": y_title,
                "title": f"{subject} by intervention (targeted by {', '.join(targets) or 'none'})",
                "parent": is_parent,
                "categories": ["obs"] + [f"a{k + 1}" for k in range(ds.da)],
                "highlight": targets,
            }
        x, x_title = (
            (ds.a[rows, step, j].astype(float), f"a{j + 1}") if source == "a" else (z_prev[:, j], f"z{j + 1}(t-1)")
        )
        return {
            "x": x,
            "y": y,
            "x_title": x_title,
            "y_title": y_title,
            "title": f"{subject} vs {x_title} ({tag})",
            "parent": is_parent,
            "categories": None,
            "highlight": [],
        }

    sources = [("a", ds.ga)] if has_a else []
    sources += [("z", ds.gz)] if has_z else []
    contrast = not (sources[0][0] == "a" and interventions) if sources else False
    budget = max_panels - 1  # room for the contrast panel; box plots of interventions need the width anyway
    quota = {src: budget // len(sources) for src, _ in sources}
    if sources:
        quota[sources[0][0]] += budget - sum(quota.values())  # the first graph gets the remainder
    panels: list[dict] = []
    for src, g in sources:
        count = 0
        for i in range(g.shape[0]):
            if count >= quota[src]:
                break
            parents = np.flatnonzero(g[i])
            if parents.size == 0:
                continue
            others = parents[parents != i] if src == "z" else parents
            panels.append(panel(src, i, int(others[0] if others.size else parents[0]), True))
            count += 1
    if contrast:
        src, g = sources[0]
        for i in range(g.shape[0]):
            non = np.flatnonzero(g[i] == 0)
            if non.size:
                panels.append(panel(src, i, int(non[0]), False))
                break
    return panels
