"""Metrics: exact where the definitions pin them (docs/theory.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsparse.learning import metrics
from mechsparse.theory.identifiability import consistency_pattern


def _latents(n=3000, d=4, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, size=(n, d))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_mcc_is_one_under_permutation_sign_and_affine_maps(seed):
    rng = np.random.default_rng(seed)
    z = _latents(d=5, seed=seed)
    perm = rng.permutation(5)
    scale = rng.uniform(0.5, 3, 5) * rng.choice([-1, 1], 5)
    z_hat = z[:, perm] * scale + rng.normal(size=5)
    m = metrics.match(z, z_hat)
    assert metrics.mcc(z, z_hat) == pytest.approx(1.0, abs=1e-9)
    assert np.array_equal(perm[m.perm], np.arange(5))
    assert np.allclose(np.diag(m.matched_corr), 1.0)


def test_spearman_mcc_is_one_under_monotone_maps_but_pearson_is_not():
    z = _latents()
    z_hat = np.column_stack([np.exp(z[:, 2]), z[:, 0] ** 3, -np.tanh(z[:, 3]), z[:, 1]])
    assert metrics.mcc(z, z_hat, method="spearman") == pytest.approx(1.0, abs=1e-12)
    assert metrics.mcc(z, z_hat) < 0.99


def test_mcc_of_independent_noise_is_small_and_of_mixture_is_between():
    z = _latents(n=20_000)
    noise = np.random.default_rng(1).normal(size=z.shape)
    assert metrics.mcc(z, noise) < 0.05
    rot = np.linalg.qr(np.random.default_rng(2).normal(size=(4, 4)))[0]
    assert 0.2 < metrics.mcc(z, z @ rot) < 0.95


def test_r_con_equals_mcc_when_pattern_is_identity_and_r_when_all_ones():
    z = _latents()
    rot = np.linalg.qr(np.random.default_rng(3).normal(size=(4, 4)))[0]
    z_hat = z @ rot
    m = metrics.match(z, z_hat)
    assert metrics.r_con(z, z_hat, np.eye(4, dtype=bool), m.perm) == pytest.approx(m.mcc, abs=1e-9)
    assert metrics.r_con(z, z_hat, np.ones((4, 4), dtype=bool)) == pytest.approx(metrics.r(z, z_hat), abs=1e-12)
    assert metrics.r(z, z_hat) == pytest.approx(1.0, abs=1e-9)  # a rotation is linearly invertible


def test_r_con_allows_exactly_the_pattern():
    # true z0 is mixed with learned latent matched to z1; allowed by C[0, 1] (Ga rows {a0} subset of {a0, a1})
    z = _latents(d=2)
    z_hat = np.column_stack([z[:, 0] + 0.3 * z[:, 1], z[:, 1]])
    c = consistency_pattern(ga=np.array([[1, 0], [1, 1]]))
    assert c[0, 1] and not c[1, 0]
    assert metrics.r_con(z, z_hat, c) == pytest.approx(1.0, abs=1e-9)
    assert metrics.r_con(z, z_hat, np.eye(2, dtype=bool)) < 0.999


def test_shd_zero_for_true_graph_under_matching_and_counts_errors():
    ga = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    gz = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]])
    perm = np.array([2, 0, 1])  # learned latent perm[i] is true z_i
    inv = np.argsort(perm)
    learned_a = ga[inv] * 0.9  # rows in learned order
    learned_z = gz[np.ix_(inv, inv)] * 0.8
    assert metrics.shd(ga, learned_a, perm) == 0
    assert metrics.shd(gz, learned_z, perm, graph="z") == 0
    wrong = learned_a.copy()
    wrong[0, 0] = 1 - wrong[0, 0]
    wrong[1, 2] = 0.7 if wrong[1, 2] < 0.5 else 0.2
    assert metrics.shd(ga, wrong, perm) == 2
    assert np.array_equal(metrics.permute_graph(learned_z, perm, "z") > 0.5, gz == 1)


def test_regression_matrix_is_identity_for_disentangled_latents_and_rows_max_one():
    z = _latents()
    perm = np.array([3, 1, 0, 2])
    z_hat = np.empty_like(z)
    z_hat[:, perm] = z * np.array([2.0, -1.0, 0.5, 3.0])
    coef = metrics.regression_matrix(z, z_hat)
    assert np.allclose(coef, np.eye(4), atol=1e-9)
    mixed = metrics.regression_matrix(z, z @ np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))[0])
    assert np.allclose(mixed.max(axis=1), 1.0)


def test_temporal_arrays_are_flattened_and_bad_shapes_rejected():
    z = _latents(n=1000, d=3).reshape(500, 2, 3)
    assert metrics.mcc(z, 2 * z) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.mcc(z, z[:10])
    with pytest.raises(ValueError, match="pattern C"):
        metrics.r_con(z, z, np.eye(2))
    with pytest.raises(ValueError, match="pearson"):
        metrics.mcc(z, z, method="kendall")


def test_constant_learned_latent_counts_as_zero_correlation():
    z = _latents(d=2)
    z_hat = np.column_stack([z[:, 0], np.zeros(len(z))])
    assert metrics.mcc(z, z_hat) == pytest.approx(0.5)
