"""The mechanisms of the papers' synthetic data, p(z_t | z_{t-1}, a_t) for every latent: the sinusoidal
formulas over the graphs, the variants that break an assumption on purpose, and the random parameters they draw.

Formulas and constants follow the authors' generators; interventions and their parameters are ours and documented
where they are built. mechsparse.data.synthetic draws the latents from these and mixes them into observations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechsparse.theory.graphs import GraphSpec

LATENT_NOISE_STD = 1e-2  # variance 1e-4, as the papers
DRIFT = 0.5  # z_t = z_{t-1} + DRIFT * Delta(z_{t-1})
K2_SCALE = 0.1  # k=2 variance: K2_SCALE / d_parents * exp(sum_j G[i, j] cos(R_i p_j + S_i))
SHIFT_RANGE = (1.0, 2.0)  # interventions: |mean shift| of a target ~ U(SHIFT_RANGE), random sign (ours)
LOG_SCALE_RANGE = (-1.0, 1.0)  # interventions, k=2: std of a target multiplied by exp(U(LOG_SCALE_RANGE)) (ours)

VARIANTS: dict[str, str] = {
    "standard": "the papers' sinusoidal mechanisms; only the mean depends on the parents",
    "no_suff_var": "linear mechanisms (A ⊙ G) p: violates sufficient influence",
    "k=2": "parents change the variance as well as the mean (heteroscedastic)",
}


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
