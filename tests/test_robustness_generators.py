"""The robustness generators (benchmarks/robustness.py): valid, seeded, identifiable data whose mechanisms respect
their graphs and whose mixings are injective, so that the benchmark measures the recipe and not a broken generator."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import robustness
from mechsparse.data import dataset
from mechsparse.theory import identifiability

NAMES = list(robustness.CASES)
N = 500


@pytest.fixture(scope="module", params=NAMES)
def name(request):
    return request.param


@pytest.fixture(scope="module")
def small(name):
    return robustness.make_case(name, 0, N)


def test_the_required_cases_exist_with_both_kinds_and_varied_sizes():
    required = {
        "time-rand-tanh",
        "time-rand-mlp",
        "time-chain-sin",
        "time-hub-poly",
        "time-rand-sin-smooth-mix",
        "action-rand-tanh",
        "action-rand-mlp",
        "action-wide-sin-smooth-mix",
    }
    assert required <= set(robustness.CASES)
    specs = robustness.CASES.values()
    assert sum(s.kind == "action" and s.dz != s.da for s in specs) >= 2
    assert {s.mixing for s in specs} == {"leaky", "smooth"}
    assert {s.dx for s in specs} >= {16, 20, 30}


def test_shapes_dtypes_and_info_follow_the_data_contract(name, small):
    spec = robustness.CASES[name]
    t = 2 if spec.kind == "temporal" else 1
    assert small.x.shape == (N, t, spec.dx) and small.x.dtype == np.float32
    assert small.z.shape == (N, t, spec.dz) and small.z.dtype == np.float32
    if spec.kind == "action":
        assert small.a.shape == (N, 1, spec.da) and small.a.dtype == np.float32
        assert small.ga.shape == (spec.dz, spec.da) and small.gz is None
        assert small.a.min() >= -2.0 and small.a.max() <= 2.0
    else:
        assert small.a is None and small.ga is None and small.gz.shape == (spec.dz, spec.dz)
    arrays = {k: getattr(small, k) for k in dataset.ALLOWED_KEYS if getattr(small, k) is not None}
    dataset.validate_arrays(arrays, name)  # a second pass through the contract changes nothing
    assert small.info["case"] == name and small.info["kind"] == spec.kind and small.info["seed"] == 0
    assert small.info["description"] == spec.description
    np.testing.assert_allclose(small.x.reshape(-1, spec.dx).mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(small.x.reshape(-1, spec.dx).std(axis=0), 1.0, atol=0.01)


def test_a_seed_fixes_the_bytes_and_another_seed_changes_them(name, small):
    again = robustness.make_case(name, 0, N)
    other = robustness.make_case(name, 1, N)
    for key in ("x", "z", "a", "ga", "gz"):
        if getattr(small, key) is not None:
            np.testing.assert_array_equal(getattr(again, key), getattr(small, key))
    assert not np.array_equal(other.x, small.x) and not np.array_equal(other.z, small.z)


def test_latents_are_finite_and_of_order_one(small):
    z = small.z.astype(float)
    assert np.isfinite(z).all()
    std = z.std(axis=0)  # per step and latent
    assert (std > 0.1).all() and (std < 10).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_graph_gives_complete_disentanglement(name, seed):
    case = robustness.build_case(name, seed)
    c = identifiability.consistency_pattern(ga=case.ga, gz=case.gz)
    assert identifiability.is_complete(c)
    if case.kind == "action":  # the brief's reading: distinct, non-nested action parent sets
        rows = [set(np.flatnonzero(r)) for r in case.ga]
        assert all(not rows[i] <= rows[j] for i in range(case.dz) for j in range(case.dz) if i != j)
    else:
        assert np.diag(case.gz).all()  # every latent persists through z_0


def test_the_dataset_carries_the_cases_graph(name, small):
    case = robustness.build_case(name, 0)
    np.testing.assert_array_equal(small.ga if case.kind == "action" else small.gz, case.graph)


def test_non_parents_have_no_effect_and_parents_do(name):
    """Perturb one input at a time: the noiseless mean of its non-children stays put, every child moves."""
    case = robustness.build_case(name, 0)
    mean = robustness.case_mechanism(name, 0)
    rng = np.random.default_rng(3)
    if case.kind == "action":
        inputs = rng.uniform(-2, 2, (200, case.da))
        call = lambda v: mean(v, None)  # noqa: E731
    else:
        inputs = rng.standard_normal((200, case.dz))
        call = lambda v: mean(None, v)  # noqa: E731
    base = call(inputs)
    assert base.shape == (200, case.dz)
    g = case.graph.astype(bool)
    for j in range(g.shape[1]):
        moved = inputs.copy()
        moved[:, j] = rng.uniform(-2, 2, 200) if case.kind == "action" else rng.standard_normal(200)
        out = call(moved)
        np.testing.assert_allclose(out[:, ~g[:, j]], base[:, ~g[:, j]], rtol=0, atol=1e-12)
        assert (np.abs(out - base).max(axis=0)[g[:, j]] > 1e-3).all()


def test_the_mechanism_is_what_the_data_was_drawn_from(name, small):
    """z_t minus the noiseless mean is the latent noise, std 0.01."""
    mean = robustness.case_mechanism(name, 0)
    z = small.z.astype(float)
    if robustness.CASES[name].kind == "action":
        resid = z[:, 0] - mean(small.a[:, 0].astype(float), None)
    else:
        resid = z[:, 1] - mean(None, z[:, 0])
    assert 0.008 < resid.std() < 0.012 and abs(resid.mean()) < 0.003


def test_the_mixing_is_injective(name):
    """Full column rank Jacobian (central differences) at random points, and distinct z never collide: no pair of
    random latents is mapped much closer than is typical (the raw mixings' overall scale is arbitrary)."""
    case = robustness.build_case(name, 0)
    rng = np.random.default_rng(4)
    eps = 1e-5
    for z in rng.standard_normal((10, case.dz)) * 1.5:
        steps = np.eye(case.dz) * eps
        jac = (case.mix(z + steps) - case.mix(z - steps)).T / (2 * eps)  # (dx, dz)
        sv = np.linalg.svd(jac, compute_uv=False)
        assert jac.shape == (case.dx, case.dz) and sv[-1] > 1e-4 * sv[0]
    z1, z2 = rng.standard_normal((2, 500, case.dz))
    ratio = np.linalg.norm(case.mix(z1) - case.mix(z2), axis=1) / np.linalg.norm(z1 - z2, axis=1)
    assert ratio.min() > 0.05 * np.median(ratio)


def test_unknown_cases_and_bad_sizes_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown case"):
        robustness.make_case("no-such-case", 0, 10)
    with pytest.raises(ValueError, match="positive integer"):
        robustness.make_case("time-rand-tanh", 0, 0)


def test_default_sizes_by_kind():
    assert robustness.default_n("time-rand-tanh") == 50_000
    assert robustness.default_n("action-rand-tanh") == 20_000
