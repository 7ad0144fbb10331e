"""The papers' synthetic data: kinds, the mixing MLP, and generate(), which draws latents through the mechanisms
of mechsparse.data.mechanisms (formulas and variants) and builds a data.Dataset.

Conventions (docs/design.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz).
Action-only data has T = 1; temporal data T >= 2. One seed fixes mixing, latents and noise, byte for byte.
Formulas and constants follow the authors' generators (docs/paper-numbers.md); interventions and sequences longer
than T = 2 are ours and documented where they are built.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import numpy as np

from mechsparse.data.dataset import MAX_DX, MAX_N, MAX_ROWS, MAX_T, Dataset, check_shapes, validate_arrays
from mechsparse.data.mechanisms import VARIANTS, Mechanisms, make_mechanisms
from mechsparse.theory.graphs import GraphSpec

LEAKY_SLOPE = 0.2
OBS_NOISE_STD = 1e-2
DEFAULT_OBS_SHARE = 0.2

_CHUNK = 131_072  # rows per block when evaluating mechanisms and the mixing


@dataclass(frozen=True)
class Kind:
    """One kind of data: which graphs it uses and how actions are drawn. The name is written into dataset info.

    actions: a exists and drives z through Ga (continuous actions, or interventions when ``interventions``);
    interventions: a is one-hot (which intervention) or zero (observational);
    temporal: sequences (T >= 2) whose steps depend on the previous one through Gz.
    """

    name: str
    description: str
    _: KW_ONLY
    actions: bool = False
    interventions: bool = False
    temporal: bool = False

    def fits(self, spec: GraphSpec) -> bool:
        """Whether spec has every graph this kind uses."""
        return (not self.actions or spec.ga is not None) and (not self.temporal or spec.gz is not None)

    @property
    def needs(self) -> str:
        """The graphs this kind needs, in words."""
        if self.actions and self.temporal:
            return "both an action graph Ga and a temporal graph Gz"
        return "an action graph Ga" if self.actions else "a temporal graph Gz"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "action",
            "i.i.d. samples (T = 1), continuous actions a ~ U(-2, 2) drive the latents through Ga",
            actions=True,
        ),
        Kind(
            "intervention",
            "i.i.d. samples (T = 1), a is one-hot (which intervention) or zero (observational)",
            actions=True,
            interventions=True,
        ),
        Kind("temporal", "sequences (T >= 2), each step depends on the previous one through Gz", temporal=True),
        Kind(
            "action+time",
            "sequences, continuous actions (Ga) and the previous step (Gz) together",
            actions=True,
            temporal=True,
        ),
        Kind(
            "intervention+time",
            "sequences, one-hot interventions (Ga) and the previous step (Gz) together",
            actions=True,
            interventions=True,
            temporal=True,
        ),
    )
}


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


def default_kind(spec: GraphSpec) -> str:
    """The name of the kind with continuous actions and/or time, from which graphs spec has."""
    actions, temporal = spec.ga is not None, spec.gz is not None
    return next(
        k.name for k in KINDS.values() if (k.actions, k.temporal) == (actions, temporal) and not k.interventions
    )


def kinds_for(spec: GraphSpec) -> list[str]:
    """The names of the kinds of data spec can generate (a kind needs the graphs it uses)."""
    return [k.name for k in KINDS.values() if k.fits(spec)]


def _check_int(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:,} and {hi:,}, got {value:,}")
    return int(value)


def check_kind(spec: GraphSpec, kind: str | None, variant: str) -> Kind:
    """The Kind that ``generate`` would use for these graphs (the default from the graphs when kind is None); a
    one-line ValueError for an unknown kind or variant, or a kind whose graphs spec lacks."""
    if not isinstance(spec, GraphSpec):
        raise ValueError(f"spec must be a GraphSpec, got {type(spec).__name__}")
    kind = default_kind(spec) if kind is None else kind
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if not KINDS[kind].fits(spec):
        raise ValueError(f"kind {kind!r} needs {KINDS[kind].needs}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    return KINDS[kind]


def _check_sizes(used: GraphSpec, kind: Kind, n: object, t: object, dx: object) -> tuple[int, int, int]:
    """n, T and dx as ints within data's limits, checked before anything is allocated."""
    n = _check_int(n, "number of samples n", 1, MAX_N)
    t = _check_int((2 if kind.temporal else 1) if t is None else t, "sequence length T", 1, MAX_T)
    if kind.temporal and t < 2:
        raise ValueError(f"temporal data needs sequence length T >= 2, got {t}")
    if n * t > MAX_ROWS:
        raise ValueError(f"N x T = {n * t:,} is too large; keep it at most {MAX_ROWS:,}")
    dx = _check_int(dx, "observation size dx", 1, MAX_DX)
    shapes = {"x": (n, t, dx), "z": (n, t, used.dz)}
    if used.ga is not None:
        shapes |= {"a": (n, t, used.da), "ga": used.ga.shape}
    if used.gz is not None:
        shapes["gz"] = used.gz.shape
    check_shapes(shapes)
    return n, t, dx


def _draw_actions(used: GraphSpec, kind: Kind, n: int, t: int, obs_share: float, rng) -> np.ndarray | None:
    """a (n, t, da): one-hot or zero for interventions (zero with probability obs_share), else U(-2, 2)."""
    if used.ga is None:
        return None
    if not kind.interventions:
        return rng.uniform(-2.0, 2.0, size=(n, t, used.da))
    which = rng.integers(0, used.da, size=(n, t))
    active = rng.random((n, t)) >= obs_share
    a = np.zeros((n, t, used.da), dtype=np.float32)
    nn, tt = np.nonzero(active)
    a[nn, tt, which[nn, tt]] = 1.0
    return a


def _simulate(mech: Mechanisms, weights: list[np.ndarray], a, eps: np.ndarray, dx: int, temporal: bool):
    """Latents z step by step and their mixing x (float64), in blocks of _CHUNK samples."""
    n, t, dz = eps.shape
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
    return z, x


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

    kind (a name in KINDS) picks which graphs are active and how actions are drawn; by default continuous actions
    and/or time, from the graphs spec has. ``t`` defaults to 1 without time and 2 with it (T >= 2 for temporal
    kinds). Interventions draw a = 0 with probability obs_share, else a uniformly chosen one-hot. x is the mixing
    MLP of z, standardised per dimension, plus N(0, 0.01^2) noise. Same arguments, same bytes. The sizes obey
    data's limits (checked before anything is drawn) and the result goes through data.validate_arrays.
    """
    k = check_kind(spec, kind, variant)
    used = GraphSpec(ga=spec.ga if k.actions else None, gz=spec.gz if k.temporal else None)
    n, t, dx = _check_sizes(used, k, n, t, dx)
    seed = _check_int(seed, "seed", 0, 2**32 - 1)
    if k.interventions and not 0.0 <= float(obs_share) <= 1.0:
        raise ValueError(f"observational share must be between 0 and 1, got {obs_share}")

    rng = np.random.default_rng(seed)
    weights = mixing_weights(used.dz, dx, rng)
    mech = make_mechanisms(used, variant, k.interventions, seed)
    a = _draw_actions(used, k, n, t, obs_share, rng)
    z, x = _simulate(mech, weights, a, rng.standard_normal((n, t, used.dz)), dx, k.temporal)
    if not (np.isfinite(z).all() and np.isfinite(x).all() and np.abs(z).max() < 1e30):
        raise ValueError(f"the latents diverge over T = {t} steps with variant {variant!r}; use a shorter T")
    mu, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
    x -= mu
    x /= np.where(sd > 0, sd, 1.0)
    x_out = x.astype(np.float32)
    del x
    x_out += np.float32(OBS_NOISE_STD) * rng.standard_normal(x_out.shape, dtype=np.float32)
    info = {"preset": name, "variant": variant, "n": n, "t": t, "dx": dx, "seed": seed, "kind": k.name}
    if k.interventions:
        info["obs_share"] = float(obs_share)
    arrays = {"x": x_out, "z": z.astype(np.float32), "ga": used.ga, "gz": used.gz}
    if a is not None:
        arrays["a"] = a.astype(np.float32, copy=False)
    return validate_arrays({key: v for key, v in arrays.items() if v is not None}, name, info=info)
