"""The papers' synthetic data: mixing MLP, mechanisms, kinds and variants; generate() builds a data.Dataset.

Conventions (DESIGN.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz).
Action-only data has T = 1; temporal data T >= 2. One seed fixes mixing, latents and noise, byte for byte.
Formulas and constants follow the authors' generators (shared/REFERENCE.md); interventions and sequences longer
than T = 2 are ours and documented where they are built.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import numpy as np

from mechsparse.data.dataset import MAX_DX, MAX_N, MAX_ROWS, MAX_T, Dataset, check_shapes, validate_arrays
from mechsparse.theory.graphs import GraphSpec

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
