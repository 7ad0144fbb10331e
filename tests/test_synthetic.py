"""Generators (shapes, seeds, kinds, the papers' formulas, mechanisms that respect the graphs, injective mixing)."""

from __future__ import annotations

import numpy as np
import pytest

from mechsparse.data import dataset, mechanisms, synthetic
from mechsparse.data.synthetic import generate
from mechsparse.theory import graphs

SMALL = graphs.preset("teach-combined")  # 2 latents, 1 action, a temporal graph: every kind is possible


# ---------------------------------------------------------------- generators: shapes and seeds


def test_kinds_are_one_table_of_flags_with_the_names_written_into_files():
    assert list(synthetic.KINDS) == ["action", "intervention", "temporal", "action+time", "intervention+time"]
    flags = {k.name: (k.actions, k.interventions, k.temporal) for k in synthetic.KINDS.values()}
    assert flags == {
        "action": (True, False, False),
        "intervention": (True, True, False),
        "temporal": (False, False, True),
        "action+time": (True, False, True),
        "intervention+time": (True, True, True),
    }
    assert all(k.description for k in synthetic.KINDS.values())
    assert synthetic.kinds_for(graphs.preset("time-diag")) == ["temporal"]
    assert synthetic.kinds_for(graphs.preset("action-diag")) == ["action", "intervention"]
    assert synthetic.kinds_for(SMALL) == list(synthetic.KINDS)


@pytest.mark.parametrize("kind", list(synthetic.KINDS.values()), ids=list(synthetic.KINDS))
def test_every_kind_has_the_contract_shapes(kind):
    t = 3 if kind.temporal else None
    ds = generate(SMALL, 50, t=t, dx=6, seed=1, kind=kind.name, name="teach-combined")
    want_t = 3 if t else 1
    assert ds.x.shape == (50, want_t, 6) and ds.x.dtype == np.float32
    assert ds.z.shape == (50, want_t, 2) and ds.z.dtype == np.float32
    if not kind.actions:
        assert ds.a is None and ds.ga is None and ds.gz is not None
    else:
        assert ds.a.shape == (50, want_t, 1) and ds.ga.shape == (2, 1)
    assert (ds.gz is not None) == kind.temporal
    assert ds.info == {
        "preset": "teach-combined",
        "variant": "standard",
        "n": 50,
        "t": want_t,
        "dx": 6,
        "seed": 1,
        "kind": kind.name,
        **({"obs_share": synthetic.DEFAULT_OBS_SHARE} if kind.interventions else {}),
    }


def test_default_kind_and_t_follow_the_graphs():
    assert generate(graphs.preset("action-diag"), 10).info["kind"] == "action"
    temporal = generate(graphs.preset("time-diag"), 10)
    assert temporal.info["kind"] == "temporal" and temporal.t == 2
    assert generate(SMALL, 10).info["kind"] == "action+time"


@pytest.mark.parametrize("variant", list(mechanisms.VARIANTS))
@pytest.mark.parametrize("kind", ["action", "intervention", "action+time"])
def test_same_seed_same_bytes_other_seed_other_data(variant, kind):
    spec = graphs.preset("teach-combined")
    make = lambda seed: generate(spec, 200, seed=seed, variant=variant, kind=kind)  # noqa: E731
    one, two, other = make(5), make(5), make(6)
    for key in ("x", "a", "z"):
        assert getattr(one, key).tobytes() == getattr(two, key).tobytes()
    assert not np.array_equal(one.x, other.x)
    assert dataset.dataset_bytes(one) == dataset.dataset_bytes(two)


def test_variants_share_the_seeds_draws_of_actions():
    spec = graphs.preset("action-nondiag")
    runs = [generate(spec, 100, seed=3, variant=v) for v in mechanisms.VARIANTS]
    assert all(np.array_equal(runs[0].a, r.a) for r in runs[1:])
    assert not np.allclose(runs[0].z, runs[1].z)


def test_x_is_standardised_per_dimension():
    ds = generate(graphs.preset("time-nondiag"), 2000, t=3, seed=2)
    flat = ds.x.reshape(-1, ds.dx)
    np.testing.assert_allclose(flat.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(flat.std(axis=0), 1.0, atol=1e-3)  # std 1, plus 0.01 noise


def test_split_is_a_partition_and_subset_keeps_graphs():
    ds = generate(graphs.preset("action-diag"), 1000, seed=0)
    train, val, test = ds.split()
    assert (len(train), len(val), len(test)) == (800, 100, 100)
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(1000))
    part = ds.subset(val)
    assert part.n == 100 and part.ga is ds.ga and np.array_equal(part.x, ds.x[val])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, "number of samples"),
        ({"n": dataset.MAX_N + 1}, "number of samples"),
        ({"variant": "k=3"}, "unknown variant"),
        ({"kind": "teleport"}, "unknown kind"),
        ({"kind": "temporal"}, "needs a temporal graph"),
        ({"kind": "action+time"}, "needs both"),
        ({"dx": 5}, "at least the number of latents"),
        ({"seed": -1}, "seed"),
        ({"kind": "intervention", "obs_share": 1.5}, "observational share"),
    ],
)
def test_bad_generator_arguments_raise_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        generate(graphs.preset("action-diag"), **{"n": 10, **kwargs})
    assert "\n" not in str(err.value)


def test_temporal_data_needs_two_steps_and_allows_more():
    with pytest.raises(ValueError, match="T >= 2"):
        generate(graphs.preset("time-diag"), 10, t=1)
    assert generate(graphs.preset("time-diag"), 10, t=7).z.shape == (10, 7, 10)


def test_the_dataset_size_limit_is_checked_before_allocating():
    with pytest.raises(ValueError, match="MiB") as err:  # 1,000,000 x (200 + 10 + 10) float32 > 512 MiB
        generate(graphs.preset("action-diag"), dataset.MAX_N, dx=200)
    assert "too large" in str(err.value) and "\n" not in str(err.value)


def test_a_million_rows_limit_is_checked_before_allocating():
    with pytest.raises(ValueError, match="too large"):
        generate(graphs.preset("time-diag"), dataset.MAX_N, t=10)


# ---------------------------------------------------------------- the papers' formulas (docs/paper-numbers.md)


def test_action_data_follows_the_sinusoid_formula():
    spec = graphs.preset("action-nondiag")
    ds = generate(spec, 500, seed=4)
    a, z = ds.a[:, 0].astype(float), ds.z[:, 0].astype(float)
    i = np.arange(10)
    r, s = (i + 3) / np.pi, i.astype(float)
    mu = np.sin(r * a + s) + np.sin(r * a[:, (i - 1) % 10] + s)  # row i: columns i and i-1
    resid = z - mu
    assert np.abs(a).max() <= 2.0
    assert 0.005 < resid.std() < 0.02  # N(mu, 1e-4)


def test_trivial_graph_uses_plain_sine():
    ds = generate(graphs.preset("action-diag"), 500, seed=4)
    resid = ds.z[:, 0] - np.sin(ds.a[:, 0].astype(float))
    assert resid.std() < 0.02


def test_temporal_step_follows_the_drift_formula():
    spec = graphs.preset("time-nondiag")
    ds = generate(spec, 500, seed=4)
    z0, z1 = ds.z[:, 0].astype(float), ds.z[:, 1].astype(float)
    assert 0.9 < z0.std() < 1.1  # z_0 ~ N(0, I)
    i = np.arange(10)
    r, s = (i + 3) / np.pi, i.astype(float)
    delta = (np.tril(np.ones((10, 10))) * np.sin(r[:, None] * z0[:, None, :] + s[:, None])).sum(-1)
    assert (z1 - z0 - 0.5 * delta).std() < 0.02


def test_k2_variance_formula():
    spec = graphs.preset("action-nondiag")
    mech = mechanisms.make_mechanisms(spec, "k=2")
    a = np.random.default_rng(0).uniform(-2, 2, (20, 10))
    _, std = mech(a, None)
    i = np.arange(10)
    r, s = (i + 3) / np.pi, i.astype(float)
    ga = spec.ga.astype(float)
    want = 0.1 / 10 * np.exp((ga * np.cos(r[:, None] * a[:, None, :] + s[:, None])).sum(-1))
    np.testing.assert_allclose(std**2, want, rtol=1e-12)


def test_no_suff_var_is_linear_in_the_parents():
    mech = mechanisms.make_mechanisms(graphs.preset("action-block-nondiag"), "no_suff_var")
    a = np.random.default_rng(0).uniform(-2, 2, (30, 5))
    m1, _ = mech(a, None)
    m2, _ = mech(2.5 * a, None)
    np.testing.assert_allclose(m2, 2.5 * m1, atol=1e-12)
    standard = mechanisms.make_mechanisms(graphs.preset("action-block-nondiag"))
    s1, _ = standard(a, None)
    s2, _ = standard(2.5 * a, None)
    assert not np.allclose(s2, 2.5 * s1)


def test_only_k2_lets_parents_change_the_variance():
    spec = graphs.preset("time-block-diag")
    z = np.random.default_rng(1).standard_normal((40, 10))
    for variant in mechanisms.VARIANTS:
        _, std = mechanisms.make_mechanisms(spec, variant)(None, z)
        assert (np.ptp(std, axis=0) > 1e-3).all() == (variant == "k=2")


# ---------------------------------------------------------------- mechanisms respect the graph


def _perturb(x: np.ndarray, col: int, rng: np.random.Generator) -> np.ndarray:
    out = x.copy()
    out[:, col] = rng.uniform(-2, 2, len(x))
    return out


@pytest.mark.parametrize("variant", list(mechanisms.VARIANTS))
@pytest.mark.parametrize("name", ["action-nondiag", "action-block-nondiag", "teach-nested", "teach-no-parent"])
def test_latents_ignore_non_parent_actions(name, variant):
    spec = graphs.preset(name)
    mech = mechanisms.make_mechanisms(spec, variant, seed=7)
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, (64, spec.da))
    m0, s0 = mech(a, None)
    for col in range(spec.da):
        m1, s1 = mech(_perturb(a, col, rng), None)
        children = spec.ga[:, col].astype(bool)
        np.testing.assert_array_equal(m1[:, ~children], m0[:, ~children])
        np.testing.assert_array_equal(s1[:, ~children], s0[:, ~children])
        assert (np.abs(m1 - m0).max(axis=0)[children] > 1e-6).all()  # and parents do move their children


@pytest.mark.parametrize("variant", list(mechanisms.VARIANTS))
@pytest.mark.parametrize("name", ["time-nondiag", "time-block-nondiag", "teach-combined"])
def test_latents_ignore_non_parent_previous_latents(name, variant):
    spec = graphs.preset(name)
    mech = mechanisms.make_mechanisms(spec, variant, seed=7)
    rng = np.random.default_rng(0)
    z_prev = rng.standard_normal((64, spec.dz))
    a = rng.uniform(-2, 2, (64, spec.da)) if spec.da else None
    m0, s0 = mech(a, z_prev)
    for col in range(spec.dz):
        m1, s1 = mech(a, _perturb(z_prev, col, rng))
        children = spec.gz[:, col].astype(bool)
        np.testing.assert_array_equal(m1[:, ~children], m0[:, ~children])
        np.testing.assert_array_equal(s1[:, ~children], s0[:, ~children])
        assert (np.abs(m1 - m0).max(axis=0)[children] > 1e-6).all()


@pytest.mark.parametrize("variant", list(mechanisms.VARIANTS))
def test_an_intervention_changes_only_its_targets(variant):
    spec = graphs.preset("teach-interventions")
    mech = mechanisms.make_mechanisms(spec, variant, interventions=True, seed=2)
    observational = np.zeros((1, spec.da))
    m0, s0 = mech(observational, None)
    np.testing.assert_array_equal(m0, 0.0)
    np.testing.assert_array_equal(s0, 1.0)
    for col in range(spec.da):
        one_hot = np.eye(spec.da)[[col]]
        m1, s1 = mech(one_hot, None)
        targets = spec.ga[:, col].astype(bool)
        changed = (np.abs(m1 - m0) > 1e-9) | (np.abs(s1 - s0) > 1e-9)
        np.testing.assert_array_equal(changed[0], targets)


def test_intervention_actions_are_one_hot_or_zero_with_the_observational_share():
    spec = graphs.preset("action-nondiag")
    ds = generate(spec, 20_000, seed=0, kind="intervention", obs_share=0.3)
    assert np.isin(ds.a, (0.0, 1.0)).all()
    per_row = ds.a.sum(axis=-1)
    assert per_row.max() == 1
    assert abs((per_row == 0).mean() - 0.3) < 0.02
    counts = ds.a[:, 0].sum(axis=0)
    assert counts.min() > 0.8 * counts.mean()  # interventions drawn uniformly
    assert (generate(spec, 200, kind="intervention", obs_share=0.0).a.sum(axis=-1) == 1).all()
    assert (generate(spec, 200, kind="intervention", obs_share=1.0).a == 0).all()


# ---------------------------------------------------------------- the mixing is injective


def test_mixing_is_injective_on_samples():
    rng = np.random.default_rng(0)
    weights = synthetic.mixing_weights(10, 20, rng)
    z = rng.standard_normal((400, 10))
    x = synthetic.mix(z, weights)
    dz_pair = np.linalg.norm(z[:, None] - z[None], axis=-1)
    dx_pair = np.linalg.norm(x[:, None] - x[None], axis=-1)
    off = ~np.eye(len(z), dtype=bool)
    # full-rank layers and leaky-ReLU (slope 0.2) give |f(z) - f(z')| >= prod(sigma_min(W_k)) 0.2^3 |z - z'|
    bound = np.prod([np.linalg.svd(w, compute_uv=False).min() for w in weights]) * synthetic.LEAKY_SLOPE**3
    assert bound > 0
    assert (dx_pair[off] / dz_pair[off]).min() >= bound * (1 - 1e-9)


def test_mixing_jacobian_has_full_rank():
    rng = np.random.default_rng(1)
    weights = synthetic.mixing_weights(10, 20, rng)
    bound = np.prod([np.linalg.svd(w, compute_uv=False).min() for w in weights]) * synthetic.LEAKY_SLOPE**3
    eps = 1e-6
    for z in rng.standard_normal((20, 10)):
        jac = np.stack(
            [
                (synthetic.mix(z + eps * e, weights) - synthetic.mix(z - eps * e, weights)) / (2 * eps)
                for e in np.eye(10)
            ]
        )
        assert np.linalg.svd(jac, compute_uv=False).min() >= 0.99 * bound


def test_mixing_weights_are_row_orthonormal_up_to_scale():
    weights = synthetic.mixing_weights(10, 20, np.random.default_rng(0))
    assert [w.shape for w in weights] == [(10, 20), (20, 20), (20, 20), (20, 20)]
    for w in weights:
        gram = w @ w.T
        np.testing.assert_allclose(gram, gram[0, 0] * np.eye(len(w)), atol=1e-12)
