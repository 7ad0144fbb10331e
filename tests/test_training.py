"""Trainer: schedule, dual update, penalty, checkpoints, divergence, snapshots, configs."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from mechsparse import data, graphs, training
from mechsparse.training import Snapshot, TrainConfig, Trainer, TrainingDiverged


@pytest.fixture(scope="module")
def tiny():
    return data.generate(graphs.preset("teach-complete"), 400, seed=0, name="teach-complete")


@pytest.fixture(scope="module")
def tiny_time():
    return data.generate(graphs.preset("teach-combined"), 300, seed=1, name="teach-combined")


def _cfg(**kw):
    base = {"model_size": "tiny", "batch_size": 32, "eval_every": 5, "eval_samples": 100, "max_steps": 50}
    return TrainConfig(**{**base, **kw})


def test_config_round_trips_through_json_and_rejects_bad_values():
    cfg = training.default_config("action-nondiag", seed=3, bound=12.0)
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    with pytest.raises(ValueError, match="unknown training option"):
        TrainConfig.from_dict({**cfg.to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match="unknown training option"):
        training.default_config("action-nondiag", colour="red")
    for bad in ({"sparsity": "lasso"}, {"masks": "half"}, {"lr": 0.0}, {"device": "tpu"}, {"model_size": "huge"}):
        with pytest.raises(ValueError):
            TrainConfig(**bad).validate()


def test_default_config_is_tuned_per_kind_and_explicit_limits_replace_the_budget(tiny_time):
    action, time_cfg = training.default_config("action-nondiag"), training.default_config(tiny_time)
    assert action.max_steps and time_cfg.max_steps
    assert action.penalty != time_cfg.penalty  # temporal data has its own tuned penalty
    limited = training.default_config("action-nondiag", max_seconds=5.0)
    assert limited.max_steps is None and limited.max_seconds == 5.0


def test_bound_defaults_to_true_edge_count_and_anneals(tiny):
    tr = Trainer(tiny, _cfg(anneal_start=10, anneal_steps=20))
    assert tr.target_bound == 3.0 and tr.n_entries == 9
    assert tr.current_bound() == 9.0
    tr.step_count = 20
    assert tr.current_bound() == pytest.approx(6.0)
    tr.step_count = 1000
    assert tr.current_bound() == 3.0
    assert Trainer(tiny, _cfg(bound=5.0)).target_bound == 5.0
    assert Trainer(tiny, _cfg(sparsity="penalty")).current_bound() is None


def test_dual_ascent_and_restart(tiny):
    tr = Trainer(tiny, _cfg(dual_lr=0.5))
    tr.update_multiplier(edges=7.0, bound=3.0)
    assert tr.multiplier == pytest.approx(2.0)
    tr.update_multiplier(edges=5.0, bound=3.0)
    assert tr.multiplier == pytest.approx(3.0)
    tr.update_multiplier(edges=2.9, bound=3.0)  # the constraint holds: restart
    assert tr.multiplier == 0.0
    # in a real step the multiplier grows while the annealed bound is violated
    tr2 = Trainer(tiny, _cfg(anneal_start=0, anneal_steps=0, dual_lr=0.1))
    tr2.step()
    assert tr2.multiplier > 0.0
    edges = torch.tensor(8.0)
    assert float(tr2.sparsity_term(edges, 3.0)) == pytest.approx(tr2.multiplier * 5.0 / tiny.dx)


def test_penalty_term_and_no_term_without_sparsity(tiny):
    tr = Trainer(tiny, _cfg(sparsity="penalty", penalty=4.0))
    edges = tr.model.expected_edges().detach()
    assert float(tr.sparsity_term(edges, None)) == pytest.approx(4.0 * float(edges) / tiny.dx)
    for cfg in (_cfg(sparsity="none"), _cfg(masks="full"), _cfg(masks="oracle")):
        t = Trainer(tiny, cfg)
        assert float(t.sparsity_term(torch.tensor(5.0), 1.0)) == 0.0
    # with a large penalty the edge probabilities fall quickly
    strong = Trainer(tiny, _cfg(sparsity="penalty", penalty=200.0, mask_lr=0.1))
    before = float(strong.model.expected_edges().detach())
    for _ in range(20):
        strong.step()
    assert float(strong.model.expected_edges().detach()) < before - 1.0


def test_frozen_masks_have_no_learnable_logits(tiny):
    for cfg in (_cfg(masks="full"), _cfg(sparsity="none")):  # the unregularised baseline learns no graph
        full = Trainer(tiny, cfg)
        assert full.model.mask_parameters() == [] and full.model.n_mask_entries == 0
        np.testing.assert_array_equal(full.snapshot().edge_probs_a, np.ones((3, 3)))
    oracle = Trainer(tiny, _cfg(masks="oracle"))
    np.testing.assert_array_equal(oracle.snapshot().edge_probs_a, tiny.ga)
    no_graphs = dataclasses.replace(tiny, ga=None)
    with pytest.raises(ValueError, match="oracle"):
        Trainer(no_graphs, _cfg(masks="oracle"))


@pytest.mark.parametrize("kind", ["action", "time"])
def test_checkpoint_resume_continues_the_same_trajectory(tmp_path, tiny, tiny_time, kind):
    ds = tiny if kind == "action" else tiny_time
    tr = Trainer(ds, _cfg(anneal_start=0, anneal_steps=10, dual_lr=0.5))
    for _ in range(12):
        tr.step()
    assert tr.multiplier > 0.0  # the checkpoint must carry a live dual state
    tr.save_checkpoint(tmp_path / "ck.pt")
    expected = [tr.step()["loss"] for _ in range(3)]
    resumed = Trainer.load_checkpoint(tmp_path / "ck.pt", ds)
    assert resumed.step_count == 12
    assert [resumed.step()["loss"] for _ in range(3)] == expected
    assert resumed.multiplier == tr.multiplier
    assert len(resumed.history) == len(tr.history)


def test_divergence_raises_and_keeps_the_last_good_state(tiny):
    tr = Trainer(tiny, _cfg())
    for _ in range(3):
        tr.step()
    before = {k: v.clone() for k, v in tr.model.state_dict().items()}
    tr.x_train[0:] = float("nan")
    with pytest.raises(TrainingDiverged, match="step 4"):
        tr.step()
    assert tr.step_count == 3
    for k, v in tr.model.state_dict().items():
        torch.testing.assert_close(v, before[k], equal_nan=True)


def test_snapshot_is_plain_and_immutable(tiny):
    tr = Trainer(tiny, _cfg(max_steps=10))
    first = tr.snapshot()  # before any step: metrics of the initial model
    assert first.step == 0 and first.metrics["mcc"] is not None
    while not tr.finished:
        tr.step()
    snap = tr.snapshot()
    assert isinstance(snap, Snapshot) and snap.finished and snap.step == 10
    assert tr.evaluate() == snap.history[-1]  # no duplicate row when nothing changed (e.g. after a finished run)
    assert (
        len(tr.history) == 2
        and len(snap.history) == 2
        and {"step", "seconds", "mcc", "r_con", "edge_count", "bound"} <= set(snap.history[0])
    )
    assert snap.matched_probs_a.shape == (3, 3) and snap.corr.shape == (3, 3) and snap.coef.shape == (3, 3)
    np.testing.assert_array_equal(snap.pattern, np.eye(3, dtype=bool))
    with pytest.raises(ValueError):
        snap.edge_probs_a[0, 0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.step = 3
    assert snap.device == "cpu" and snap.bound is not None
    summary = tr.summary()
    for key in ("mcc", "r", "r_con", "shd_a", "shd_z", "steps", "seconds", "steps_per_second", "device"):
        assert key in summary
    assert summary["shd_z"] is None and summary["steps"] == 10


def test_data_without_latents_trains_with_null_metrics(tiny):
    no_z = dataclasses.replace(tiny, z=None)
    tr = Trainer(no_z, _cfg(max_steps=5))
    while not tr.finished:
        tr.step()
    snap = tr.snapshot()
    assert all(v is None for v in snap.metrics.values())
    assert snap.matched_probs_a is None and snap.edge_probs_a.shape == (3, 3)
    bare = dataclasses.replace(tiny, z=None, ga=None)
    with pytest.raises(ValueError, match="dz"):
        Trainer(bare, _cfg(sparsity="penalty"))
    with pytest.raises(ValueError, match="bound"):
        Trainer(bare, _cfg(dz=2))
    Trainer(bare, _cfg(sparsity="penalty", dz=2)).step()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        Trainer(tiny, _cfg(device="cuda"))
