"""Synthetic data in the papers' style, and the Dataset container every other module consumes.

Conventions (DESIGN.md): x (N, T, dx); a (N, T, da) with a[:, t] acting on z[:, t]; z (N, T, dz).
Action-only data has T = 1; temporal data T >= 2. One seed fixes mixing, latents and noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mechsparse.graphs import GraphSpec

LEAKY_SLOPE = 0.2
LATENT_NOISE_STD = 1e-2  # variance 1e-4, as the papers
OBS_NOISE_STD = 1e-2


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


def sinusoid_mean(g: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """mu_i(p) = sum_j g[i, j] sin(R_i p_j + S_i) for a batch of parent vectors p (..., d_parents)."""
    r, s = _freq_phase(g.shape[0])
    waves = np.sin(r[:, None] * parents[..., None, :] + s[:, None])  # (..., dz, d_parents)
    return (waves * g).sum(axis=-1)


def generate(
    spec: GraphSpec,
    n: int = 10_000,
    *,
    t: int | None = None,
    dx: int = 20,
    seed: int = 0,
    name: str = "custom",
) -> Dataset:
    """The papers' synthetic data for the graphs in spec.

    Actions only: T = 1, a ~ U(-2, 2), z_i ~ N(mu_i(a), 1e-4).
    Temporal: z_0 ~ N(0, I) (plus mu(a_0) when there are actions); z_t = z_{t-1} + 0.5 Delta(z_{t-1})
    (+ mu(a_t)) + N(0, 1e-4). ``t`` defaults to 1 for action-only graphs and 2 for temporal ones.
    """
    if n < 1:
        raise ValueError(f"number of samples n must be positive, got {n}")
    t = t if t is not None else (2 if spec.gz is not None else 1)
    if spec.gz is not None and t < 2:
        raise ValueError(f"temporal data needs sequence length T >= 2, got {t}")
    rng = np.random.default_rng(seed)
    dz = spec.dz
    weights = mixing_weights(dz, dx, rng)
    a = rng.uniform(-2.0, 2.0, size=(n, t, spec.da)) if spec.ga is not None else None
    z = np.empty((n, t, dz))
    for step in range(t):
        mean = np.zeros((n, dz))
        std = LATENT_NOISE_STD
        if spec.gz is not None:
            if step == 0:
                std = 1.0
            else:
                prev = z[:, step - 1]
                mean = prev + 0.5 * sinusoid_mean(spec.gz, prev)
        if a is not None:
            mean = mean + sinusoid_mean(spec.ga, a[:, step])
        z[:, step] = mean + std * rng.standard_normal((n, dz))
    x = mix(z, weights)
    x = (x - x.mean(axis=(0, 1))) / x.std(axis=(0, 1))
    x = x + OBS_NOISE_STD * rng.standard_normal(x.shape)
    return Dataset(
        x=x.astype(np.float32),
        a=None if a is None else a.astype(np.float32),
        z=z.astype(np.float32),
        ga=spec.ga,
        gz=spec.gz,
        name=name,
        info={"n": n, "t": t, "dx": dx, "seed": seed},
    )
