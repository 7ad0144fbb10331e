"""Measuring apart from training: evaluate(), Metrics and Snapshot round trips, progress, rate and loss meters."""

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from mechsparse.learning import evaluation, metrics
from mechsparse.learning.constraint import annealed_bound
from mechsparse.learning.evaluation import (
    Evaluation,
    LossMeter,
    Metrics,
    RateMeter,
    Snapshot,
    evaluate,
    progress_fraction,
    seconds_left,
)


def test_evaluation_does_not_import_torch():
    code = "import sys, mechsparse.learning.evaluation; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def latents():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 2, 3))
    z_hat = z[..., [2, 0, 1]] * np.array([2.0, -1.0, 0.5]) + 0.01 * rng.normal(size=z.shape)  # permuted, rescaled
    return z, z_hat


def test_evaluate_matches_the_metrics_module(latents):
    z, z_hat = latents
    ga, gz = np.eye(3, dtype=int), np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    pa, pz = np.full((3, 3), 0.2), np.full((3, 3), 0.9)
    pattern = np.eye(3, dtype=bool)
    ev = evaluate(z, z_hat, pa, pz, ga=ga, gz=gz, pattern=pattern, same_dz=True)
    zf, hf = z.reshape(-1, 3), z_hat.reshape(-1, 3)
    m = metrics.match(zf, hf)
    assert m.perm.tolist() == [1, 2, 0]
    assert ev.metrics == Metrics(
        mcc=m.mcc,
        r=metrics.r(zf, hf),
        r_con=metrics.r_con(zf, hf, pattern, m.perm),
        shd_a=metrics.shd(ga, pa, m.perm, "a"),
        shd_z=metrics.shd(gz, pz, m.perm, "z"),
    )
    assert ev.metrics.mcc > 0.99 and ev.metrics.shd_a == 3 and ev.metrics.shd_z == 5
    assert type(ev.metrics.mcc) is float and type(ev.metrics.shd_a) is int  # plain values (JSON, torch checkpoints)
    np.testing.assert_array_equal(ev.corr, m.matched_corr)
    np.testing.assert_array_equal(ev.coef, metrics.regression_matrix(zf, hf, m.perm))
    np.testing.assert_array_equal(ev.matched_z, metrics.permute_graph(pz, m.perm, "z"))
    for arr in (ev.corr, ev.coef, ev.matched_a, ev.matched_z, ev.edge_probs_a, ev.edge_probs_z):
        assert not arr.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.metrics = Metrics()


def test_evaluate_without_truth_or_with_another_dz_keeps_what_it_can(latents):
    z, z_hat = latents
    pa = np.full((3, 2), 0.5)
    bare = evaluate(None, None, pa, None, ga=None, gz=None, pattern=None, same_dz=False)
    assert bare == Evaluation(Metrics(), edge_probs_a=bare.edge_probs_a) and bare.corr is None
    np.testing.assert_array_equal(bare.edge_probs_a, pa)
    wider = np.concatenate([z_hat, z_hat[..., :1] ** 2], axis=-1)  # a fourth learned latent
    ev = evaluate(z, wider, np.full((4, 2), 0.5), None, ga=np.ones((3, 2)), gz=None, pattern=None, same_dz=False)
    assert ev.metrics.mcc is not None and ev.metrics.r_con is None and ev.metrics.shd_a is None
    assert ev.corr.shape == (3, 4) and ev.matched_a is None
    nan = evaluate(z, np.full_like(z_hat, np.nan), pa, None, ga=None, gz=None, pattern=None, same_dz=True)
    assert nan.metrics == Metrics()


def _snapshot(**kw) -> Snapshot:
    arr = evaluation.frozen(np.arange(6.0).reshape(2, 3))
    fields = dict(
        step=7, max_steps=100, elapsed=1.5, steps_per_second=4.0, loss=1.0, recon=0.75, kl=0.25, elbo=-1.0,
        edge_probs_a=arr, edge_probs_z=None, matched_probs_a=arr, matched_probs_z=None, edge_count=3.5, bound=4.0,
        multiplier=0.1, metrics=Metrics(mcc=0.9, r=0.95, shd_a=2), corr=arr, coef=arr,
        pattern=evaluation.frozen(np.eye(2, dtype=bool)), history=({"step": 0, "mcc": 0.5},), device="cpu",
        finished=False,
    )  # fmt: skip
    return Snapshot(**{**fields, **kw})


def _equal(a: Snapshot, b: Snapshot) -> bool:
    for f in dataclasses.fields(Snapshot):
        x, y = getattr(a, f.name), getattr(b, f.name)
        same = np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y or (x != x and y != y)
        if not same:
            return False
    return True


def test_snapshot_round_trips_through_plain_values():
    snap = _snapshot(max_seconds=60.0, target_bound=3.0)
    d = snap.to_dict()
    assert d["metrics"] == {"mcc": 0.9, "r": 0.95, "r_con": None, "shd_a": 2, "shd_z": None}
    assert d["history"] == [{"step": 0, "mcc": 0.5}] and isinstance(d["corr"], np.ndarray)
    back = Snapshot.from_dict(d)
    assert _equal(back, snap) and not back.corr.flags.writeable
    # what a run folder stores: arrays apart, the rest as JSON, no history
    meta = json.loads(json.dumps({k: v for k, v in d.items() if not isinstance(v, np.ndarray) and k != "history"}))
    arrays = {k: np.array(v) for k, v in d.items() if isinstance(v, np.ndarray)}
    disk = Snapshot.from_dict({**arrays, **meta})
    assert _equal(disk, dataclasses.replace(snap, history=())) and not disk.coef.flags.writeable
    assert disk.progress == pytest.approx(0.07)


def test_snapshot_from_an_older_or_partial_dict_fills_in_defaults():
    old = {k: v for k, v in _snapshot().to_dict().items() if k not in ("history", "max_seconds", "target_bound")}
    old |= {"loss": None, "multiplier": None}  # NaN was written as null
    old.pop("corr")
    snap = Snapshot.from_dict(old)
    assert snap.history == () and snap.max_seconds is None and snap.target_bound is None and snap.corr is None
    assert math.isnan(snap.loss) and snap.multiplier is None and snap.metrics.mcc == 0.9
    minimal = Snapshot.from_dict({"step": 3})
    assert minimal.step == 3 and minimal.metrics == Metrics() and not minimal.finished and math.isnan(minimal.elapsed)
    with pytest.raises(ValueError, match="step"):
        Snapshot.from_dict({"loss": 1.0})


def test_progress_fraction_takes_the_larger_limit_and_stays_in_0_1():
    assert progress_fraction(0, None, 0.0, None) == 0.0
    assert progress_fraction(50, 100, 1.0, None) == 0.5
    assert progress_fraction(50, 100, 30.0, 40.0) == 0.75
    assert progress_fraction(10, None, 30.0, 20.0) == 1.0
    assert progress_fraction(500, 100, 0.0, None) == 1.0


def test_rate_meter_measures_between_evaluations_and_round_trips():
    meter = RateMeter()
    assert meter.steps_per_second(10, 2.0) == 5.0  # no evaluation yet: the average since the start
    assert meter.mark(100, 2.0) == 50.0
    assert meter.mark(100, 3.0) == 50.0  # no steps since: the rate stays
    assert meter.mark(300, 5.0) == 100.0
    assert meter.steps_per_second(301, 5.1) == 100.0
    assert RateMeter.from_dict(json.loads(json.dumps(meter.to_dict()))) == meter
    assert RateMeter().steps_per_second(0, 0.0) == 0.0


def test_loss_meter_averages_since_the_last_flush_and_smooths():
    meter = LossMeter()
    assert meter.flush() is None and math.isnan(meter.smoothed("loss"))
    meter.add(2.0, 1.5, 0.5, 9.0)
    meter.add(4.0, 3.5, 0.5, 7.0)
    assert LossMeter.from_dict(json.loads(json.dumps(meter.to_dict()))) == meter
    assert meter.flush() == (3.0, 2.5, 0.5, 8.0) and meter.flush() is None
    assert meter.smoothed("loss") == pytest.approx(0.95 * 2.0 + 0.05 * 4.0) and meter.smoothed("edges") == 7.0


def test_annealed_bound_is_a_plain_function_of_the_step():
    assert annealed_bound(0, 9, None, 10, 20) is None
    assert [annealed_bound(s, 9, 3.0, 10, 20) for s in (0, 10, 20, 30, 1000)] == [9.0, 9.0, 6.0, 3.0, 3.0]
    assert annealed_bound(0, 9, 3.0, 10, 0) == 3.0  # no annealing: the target at once


def test_seconds_left_takes_the_nearer_limit():
    assert seconds_left(0, None, 5.0, None, 100.0) is None
    assert seconds_left(100, 1000, 5.0, None, 0.0) is None  # a step limit without a rate yet
    assert seconds_left(100, 1000, 5.0, None, 100.0) == pytest.approx(9.0)
    assert seconds_left(100, 1000, 5.0, 8.0, 100.0) == pytest.approx(3.0)
    assert seconds_left(100, None, 12.0, 8.0, 100.0) == 0.0
