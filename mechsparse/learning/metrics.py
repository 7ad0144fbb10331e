"""How well learned latents and graphs match the truth: MCC, R, R_con, SHD and the matrices the app draws.

Definitions follow docs/theory.md (as the authors compute them). Arrays of latents may be (N, d) or (N, T, d); leading
axes are flattened, so temporal data counts every time step as a sample. ``perm[i]`` is always the index of the
learned latent matched to the true latent z_i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import rankdata


def _flat(z: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(z, dtype=np.float64)
    if arr.ndim < 2:
        raise ValueError(f"{name} must have shape (N, d) or (N, T, d), got {arr.shape}")
    return arr.reshape(-1, arr.shape[-1])


def _pair(z: np.ndarray, z_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z, z_hat = _flat(z, "z"), _flat(z_hat, "z_hat")
    if z.shape[0] != z_hat.shape[0]:
        raise ValueError(f"z and z_hat need the same number of samples, got {z.shape[0]} and {z_hat.shape[0]}")
    if z.shape[0] < 2:
        raise ValueError("metrics need at least two samples")
    return z, z_hat


def _standardise(m: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column; constant columns become zeros (they carry no information)."""
    centred = m - m.mean(axis=0)
    std = centred.std(axis=0)
    return np.divide(centred, std, out=np.zeros_like(centred), where=std > 1e-12)


def abs_correlation(z: np.ndarray, z_hat: np.ndarray, method: str = "pearson") -> np.ndarray:
    """|corr(z_i, z_hat_j)| as a (d, d_hat) matrix; ``method`` 'pearson' or 'spearman' (rank correlation)."""
    z, z_hat = _pair(z, z_hat)
    if method == "spearman":
        z, z_hat = rankdata(z, axis=0), rankdata(z_hat, axis=0)
    elif method != "pearson":
        raise ValueError(f"correlation method must be 'pearson' or 'spearman', got {method!r}")
    zs, hs = _standardise(z), _standardise(z_hat)
    return np.abs(zs.T @ hs) / z.shape[0]


@dataclass(frozen=True)
class Matching:
    """The Hungarian matching of true to learned latents on |corr|."""

    perm: np.ndarray  # (d,) learned index matched to each true latent (-1 where d_hat < d leaves one unmatched)
    corr: np.ndarray  # (d, d_hat) |corr| in the learned latents' own order

    @property
    def matched_corr(self) -> np.ndarray:
        """|corr| with columns reordered so column i is the learned latent matched to z_i (unmatched last)."""
        return self.corr[:, column_order(self.perm, self.corr.shape[1])]

    @property
    def mcc(self) -> float:
        ok = self.perm >= 0
        return float(self.corr[np.flatnonzero(ok), self.perm[ok]].mean())


def column_order(perm: np.ndarray, d_hat: int) -> np.ndarray:
    """Learned indices in matched order, followed by any unmatched learned latents."""
    matched = [int(p) for p in perm if p >= 0]
    return np.array(matched + [j for j in range(d_hat) if j not in set(matched)], dtype=int)


def match(z: np.ndarray, z_hat: np.ndarray, method: str = "pearson") -> Matching:
    """Match each true latent to one learned latent maximising the total |corr| (linear_sum_assignment)."""
    corr = abs_correlation(z, z_hat, method)
    rows, cols = linear_sum_assignment(corr, maximize=True)
    perm = np.full(corr.shape[0], -1, dtype=int)
    perm[rows] = cols
    return Matching(perm=perm, corr=corr)


def mcc(z: np.ndarray, z_hat: np.ndarray, method: str = "pearson") -> float:
    """Mean absolute correlation of matched pairs: 1 means every true latent is recovered up to an affine
    (Pearson) or monotone (Spearman) element-wise map."""
    return match(z, z_hat, method).mcc


def _fit_r(target: np.ndarray, regressors: np.ndarray) -> float:
    """sqrt(R^2) of an OLS fit with intercept (0 when there is nothing to regress on)."""
    t = target - target.mean()
    tss = float(t @ t)
    if tss <= 1e-300 or regressors.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(t)), _standardise(regressors)])
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    r2 = 1.0 - float(resid @ resid) / tss
    return float(np.sqrt(min(1.0, max(0.0, r2))))


def r(z: np.ndarray, z_hat: np.ndarray) -> float:
    """Mean over true latents of sqrt(R^2) regressing z_i on all learned latents: how much of z is linearly
    recoverable at all, ignoring disentanglement."""
    z, z_hat = _pair(z, z_hat)
    return float(np.mean([_fit_r(z[:, i], z_hat) for i in range(z.shape[1])]))


def r_con(z: np.ndarray, z_hat: np.ndarray, pattern: np.ndarray, perm: np.ndarray | None = None) -> float:
    """Like R, but z_i may only use the learned latents that pattern C allows (C[i, j]: the learned latent
    matched to z_j). Measures whether the entanglement stays within what the theory permits."""
    z, z_hat = _pair(z, z_hat)
    c = np.asarray(pattern, dtype=bool)
    d = z.shape[1]
    if c.shape != (d, d):
        raise ValueError(f"pattern C must be {d}x{d} for {d} true latents, got shape {c.shape}")
    if perm is None:
        perm = match(z, z_hat).perm
    perm = np.asarray(perm, dtype=int)
    if perm.shape != (d,) or (perm < 0).any():
        raise ValueError("r_con needs every true latent matched to a learned one")
    return float(np.mean([_fit_r(z[:, i], z_hat[:, perm[c[i]]]) for i in range(d)]))


def permute_graph(g_prob: np.ndarray, perm: np.ndarray, graph: str = "a") -> np.ndarray:
    """Learned graph in the true latents' order: rows P^T G_a (graph 'a'), rows and columns P^T G_z P ('z')."""
    g = np.asarray(g_prob)
    perm = np.asarray(perm, dtype=int)
    if graph == "a":
        return g[perm]
    if graph == "z":
        return g[np.ix_(perm, perm)]
    raise ValueError(f"graph must be 'a' or 'z', got {graph!r}")


def shd(g_true: np.ndarray, g_prob: np.ndarray, perm: np.ndarray, graph: str = "a", threshold: float = 0.5) -> int:
    """Structural Hamming distance: threshold the learned edge probabilities, permute them with the MCC matching,
    count false negatives plus false positives. ``graph`` 'a' permutes rows (Ga), 'z' rows and columns (Gz)."""
    g_true = np.asarray(g_true)
    matched = permute_graph(g_prob, perm, graph) > threshold
    if matched.shape != g_true.shape:
        raise ValueError(f"learned graph shape {matched.shape} differs from the true graph's {g_true.shape}")
    return int((matched != (g_true > 0.5)).sum())


def regression_matrix(z: np.ndarray, z_hat: np.ndarray, perm: np.ndarray | None = None) -> np.ndarray:
    """Normalised |L P|: OLS coefficients of each standardised z_i on all standardised learned latents, columns in
    matched order, each row divided by its largest entry. Shows which learned latents each true one mixes in."""
    z, z_hat = _pair(z, z_hat)
    if perm is None:
        perm = match(z, z_hat).perm
    zs, hs = _standardise(z), _standardise(z_hat)
    design = np.column_stack([np.ones(len(hs)), hs])
    coef, *_ = np.linalg.lstsq(design, zs, rcond=None)
    lp = np.abs(coef[1:].T)[:, column_order(np.asarray(perm), z_hat.shape[1])]
    top = lp.max(axis=1, keepdims=True)
    return np.divide(lp, top, out=np.zeros_like(lp), where=top > 0)
