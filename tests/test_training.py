"""Trainer: schedule, dual update, penalty, checkpoints, divergence, snapshots, configs and their rules."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from mechsparse.data import synthetic
from mechsparse.learning import architecture, config, constraint, preflight, training
from mechsparse.learning.config import TrainConfig
from mechsparse.learning.evaluation import Metrics, Snapshot
from mechsparse.learning.training import Trainer, TrainingDiverged
from mechsparse.theory import graphs


@pytest.fixture(scope="module")
def tiny():
    return synthetic.generate(graphs.preset("teach-complete"), 400, seed=0, name="teach-complete")


@pytest.fixture(scope="module")
def tiny_time():
    return synthetic.generate(graphs.preset("teach-combined"), 300, seed=1, name="teach-combined")


def _cfg(**kw):
    base = {"model_size": "tiny", "batch_size": 32, "eval_every": 5, "eval_samples": 100, "max_steps": 50}
    return TrainConfig(**{**base, **kw})


def test_config_round_trips_through_json_and_rejects_bad_values():
    cfg = config.default_config("action-nondiag", seed=3, bound=12.0)
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    with pytest.raises(ValueError, match="unknown training option"):
        TrainConfig.from_dict({**cfg.to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match="unknown training option"):
        config.default_config("action-nondiag", colour="red")
    for bad in ({"sparsity": "lasso"}, {"masks": "half"}, {"lr": 0.0}, {"device": "tpu"}, {"model_size": "huge"}):
        with pytest.raises(ValueError):
            TrainConfig(**bad).validate()


def test_default_config_is_tuned_per_kind_and_explicit_limits_replace_the_budget(tiny_time):
    action, time_cfg = config.default_config("action-nondiag"), config.default_config(tiny_time)
    assert action.max_steps and time_cfg.max_steps
    assert action.penalty != time_cfg.penalty  # temporal data has its own tuned penalty
    assert action.logit_clip == 5.0 and time_cfg.logit_clip is None  # measured to help action data only
    limited = config.default_config("action-nondiag", max_seconds=5.0)
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


def test_temporal_bound_anneals_over_a_share_of_the_run(tiny_time):
    """anneal_from / anneal_to are fractions of the budget, by steps or by seconds, whichever is nearer."""
    tr = Trainer(tiny_time, _cfg(max_steps=100, anneal_from=0.1, anneal_to=0.5))
    full, target = tr.n_entries, tr.target_bound
    assert (full, target) == (6, 5.0)  # Ga 2x1 and Gz 2x2 entries; 2 + 3 true edges
    for step, expected in ((0, full), (10, full), (30, (full + target) / 2), (50, target), (100, target)):
        tr.step_count = step
        assert tr.current_bound() == pytest.approx(expected)
    timed = Trainer(tiny_time, _cfg(max_steps=None, max_seconds=10.0, anneal_from=0.1, anneal_to=0.5))
    timed.elapsed = 3.0
    assert timed.current_bound() == pytest.approx((full + target) / 2)
    unlimited = Trainer(tiny_time, _cfg(max_steps=None, anneal_from=0.1, anneal_to=0.5, anneal_start=0, anneal_steps=0))
    assert unlimited.current_bound() == target  # no budget: the step schedule applies
    assert constraint.annealed_fraction(0.4, 6, 5.0, 0.5, 0.5) == 6.0
    assert constraint.annealed_fraction(0.5, 6, 5.0, 0.5, 0.5) == 5.0
    assert constraint.annealed_fraction(0.9, 6, None, 0.1, 0.5) is None


def test_temporal_presets_anneal_by_fractions_and_generate_more_samples(tiny_time):
    cfg = config.default_config("time-nondiag")
    assert (cfg.anneal_from, cfg.anneal_to) == (0.08, 0.5) and cfg.max_steps == 75_000
    assert config.default_config("time-diag").max_steps == 40_000
    assert config.default_config("time-block-nondiag").anneal_to == 0.5
    other = config.default_config(tiny_time)  # other temporal data keeps the step schedule (BENCHMARKS.md)
    assert other.anneal_from is None and (other.anneal_start, other.anneal_steps) == (500, 2000)
    action = config.default_config("action-nondiag")
    assert action.anneal_from is None and (action.anneal_start, action.anneal_steps) == (500, 2000)
    assert config.default_samples("time-block-diag") == 100_000
    assert config.default_samples("action-diag") == config.default_samples("teach-combined") == 20_000
    assert config.default_samples(graphs.preset("teach-combined")) == 100_000  # graphs with Gz: temporal data
    with pytest.raises(ValueError, match="unknown preset"):
        config.default_samples("nope")


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
        full.step()
        assert full.snapshot().edge_count == 9.0  # every edge is used: the count is the full graph's, not 0
    oracle = Trainer(tiny, _cfg(masks="oracle"))
    np.testing.assert_array_equal(oracle.snapshot().edge_probs_a, tiny.ga)
    assert oracle.snapshot().edge_count == tiny.ga.sum()
    no_graphs = dataclasses.replace(tiny, ga=None)
    with pytest.raises(ValueError, match="oracle"):
        Trainer(no_graphs, _cfg(masks="oracle"))


def test_logit_clip_keeps_every_edge_within_reach_of_its_evidence(tiny):
    """A pruned logit far below the clip would never come back (its sigmoid gradient vanishes); clipped, it can."""
    clipped, free = Trainer(tiny, _cfg(logit_clip=4.0)), Trainer(tiny, _cfg(logit_clip=None))
    for tr in (clipped, free):
        with torch.no_grad():
            tr.model.mask_a.logits.copy_(torch.tensor([[-30.0, 30.0, 0.0]] * 3))
        tr.step()
    logits = clipped.model.mask_a.logits.detach()
    assert float(logits.min()) >= -4.0 and float(logits.max()) <= 4.0
    assert float(logits[:, 0].max()) <= -3.9 and float(logits[:, 1].min()) >= 3.9
    assert float(free.model.mask_a.logits.detach().min()) < -29.0  # without a clip the logit stays out of reach
    with pytest.raises(ValueError, match="logit_clip"):
        TrainConfig(logit_clip=0.0).validate()


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
    assert first.step == 0 and isinstance(first.metrics, Metrics) and first.metrics.mcc is not None
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
    columns = "step seconds loss recon kl elbo mcc r r_con shd_a shd_z edge_count bound multiplier steps_per_second"
    assert list(snap.history[0]) == columns.split()  # the columns of history.csv, in order
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
    assert snap.metrics == Metrics()
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


# ---------------------------------------------------------------- parameter rules

DEFAULTS = {
    "sparsity": "constraint", "penalty": 16.0, "bound": None, "masks": "learned", "seed": 0, "device": "auto",
    "max_steps": None, "max_seconds": None, "model_size": "small", "dz": None, "batch_size": 256, "lr": 5e-3,
    "mask_lr": 0.05, "scale_lr": 0.03, "dual_lr": 0.05, "init_logit": 3.0, "anneal_start": 500, "anneal_steps": 2000,
    "temperature": 1.0, "hard": False, "mask_per_sample": True, "hetero": False, "residual": False,
    "prior_logvar": -4.0, "dec_logvar": -4.0, "grad_clip": 100.0, "eval_every": 200, "eval_samples": 4000,
    "threads": None, "anneal_from": None, "anneal_to": None, "logit_clip": None, "method": "sparse", "beta": 0.25,
    "gamma": 8.0, "rate": 10.0,
}  # fmt: skip
FLOATS = [name for name, rule in config.PARAM_RULES.items() if rule.kind == "float"]


def test_every_field_has_one_declared_rule_and_the_defaults_are_unchanged():
    assert set(config.PARAM_RULES) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert TrainConfig().to_dict() == DEFAULTS
    TrainConfig().validate()
    assert {"max_seconds", "penalty", "bound", "lr", "mask_lr", "scale_lr", "dual_lr", "temperature"} <= set(FLOATS)
    assert {"init_logit", "prior_logvar", "dec_logvar", "grad_clip"} <= set(FLOATS)


def _rejected(name, value, message=None):
    """The one-line ValueError naming ``name``, both from validate() and from from_dict()."""
    for build in (lambda: TrainConfig(**{name: value}).validate(), lambda: TrainConfig.from_dict({name: value})):
        with pytest.raises(ValueError, match=message or name) as err:
            build()
        text = str(err.value)
        assert "\n" not in text and text.startswith(name), text


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_for_every_float(name, value):
    _rejected(name, value, "finite")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("penalty", -1.0), ("bound", -0.5), ("lr", 0.0), ("lr", -1e-3), ("mask_lr", 0), ("dual_lr", -0.1),
        ("temperature", 0.0), ("max_seconds", 0.0), ("max_seconds", -5), ("grad_clip", -1.0),
        ("threads", 0), ("threads", -2), ("batch_size", 0), ("batch_size", 10**6), ("max_steps", 0),
        ("eval_every", 0), ("eval_samples", 1), ("seed", -1), ("seed", 2**32), ("anneal_start", -1),
        ("anneal_steps", -10), ("dz", 0), ("prior_logvar", 50.0), ("init_logit", 1e9),
    ],
)  # fmt: skip
def test_values_out_of_range_are_refused(name, value):
    _rejected(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lr", "0.01"), ("seed", "3"), ("batch_size", 32.0), ("batch_size", True), ("max_steps", False),
        ("threads", 2.5), ("seed", 1.0), ("hard", 1), ("hetero", "yes"), ("penalty", True), ("bound", "5"),
        ("sparsity", "lasso"), ("sparsity", None), ("device", "tpu"), ("masks", 3), ("model_size", "huge"),
        ("lr", None), ("batch_size", None),
    ],
)  # fmt: skip
def test_wrong_types_and_choices_are_refused(name, value):
    _rejected(name, value)


def test_accepted_edge_values():
    ok = {"threads": None, "seed": 2**32 - 1, "batch_size": 65536, "bound": 0.0, "grad_clip": None, "dz": 1}
    TrainConfig.from_dict({**ok, "max_steps": np.int64(5), "lr": np.float32(0.01), "penalty": 0, "hard": np.True_})


def test_model_sizes_are_named_and_threads_default_per_size(monkeypatch):
    assert architecture.MODEL_SIZES == ("tiny", "small", "medium", "paper")
    small = architecture.MODEL_PRESETS["small"]
    assert (small.hidden, small.layers, small.transition_hidden, small.transition_layers) == (128, 2, 64, 2)
    assert [config.default_threads(TrainConfig(model_size=m)) for m in architecture.MODEL_SIZES] == [1, 1, 1, None]
    assert config.default_threads(TrainConfig(model_size="paper", threads=3)) == 3
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    assert preflight.apply_threads(TrainConfig(model_size="medium", device="cpu", threads=2)) == 2
    assert preflight.apply_threads(TrainConfig(model_size="paper", device="cpu")) is None
    assert calls == [2]


def test_the_trainer_leaves_the_thread_count_to_the_process_owner(tiny, monkeypatch):
    def refuse(n):
        raise AssertionError("Trainer must not set torch's thread count")

    monkeypatch.setattr(torch, "set_num_threads", refuse)
    Trainer(tiny, _cfg(threads=3)).step()


def _error_of(build) -> str | None:
    try:
        build()
    except ValueError as exc:
        return str(exc)
    return None


def test_check_trainable_raises_what_the_trainer_would(tiny, tiny_time, monkeypatch):
    bare = dataclasses.replace(tiny, z=None, ga=None)
    cases = [
        (bare, _cfg(sparsity="penalty")),  # dz unknown
        (bare, _cfg(dz=2)),  # constraint without a graph: needs a bound
        (tiny, _cfg(dz=2)),  # dz differs from the data's: needs a bound
        (dataclasses.replace(tiny_time, gz=None), _cfg()),  # temporal data without Gz
        (dataclasses.replace(tiny, ga=None), _cfg(masks="oracle")),
        (tiny.subset(np.arange(10)), _cfg()),  # too few samples
        (dataclasses.replace(tiny, x=np.zeros((40, 20))), _cfg()),  # x without a time axis
        (tiny, _cfg(lr=math.nan)),
    ]
    expected = [_error_of(lambda ds=ds, cfg=cfg: Trainer(ds, cfg)) for ds, cfg in cases]
    assert all(e is not None and "\n" not in e for e in expected), expected
    assert "dz" in expected[0] and "bound" in expected[1] and "bound" in expected[2] and "temporal" in expected[3]

    def no_model(*args, **kwargs):
        raise AssertionError("check_trainable must not build a model")

    monkeypatch.setattr(training, "SparseVAE", no_model)
    assert [_error_of(lambda ds=ds, cfg=cfg: preflight.check_trainable(ds, cfg)) for ds, cfg in cases] == expected
    preflight.check_trainable(tiny, _cfg())  # fine input: no error, nothing built
    preflight.check_trainable(bare, _cfg(dz=2, bound=2.0))


# ---------------------------------------------------------------- checkpoints on disk


def test_checkpoint_into_a_deleted_folder_fails_and_recreates_nothing(tmp_path, tiny):
    tr = Trainer(tiny, _cfg())
    tr.step()
    gone = tmp_path / "run"
    with pytest.raises(FileNotFoundError):
        tr.save_checkpoint(gone / "checkpoint.pt")
    assert not gone.exists() and list(tmp_path.iterdir()) == []


def test_a_failing_save_keeps_the_previous_checkpoint_and_leaves_no_temp_file(tmp_path, tiny, monkeypatch):
    tr = Trainer(tiny, _cfg())
    tr.step()
    path = tmp_path / "checkpoint.pt"
    tr.save_checkpoint(path)
    before = path.read_bytes()
    tr.step()

    def broken_save(obj, fh):
        fh.write(b"half a checkpoint")
        raise RuntimeError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        tr.save_checkpoint(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
    monkeypatch.undo()
    assert Trainer.load_checkpoint(path, tiny).step_count == 1


def _untimed(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in ("seconds", "steps_per_second")} for row in rows]


def test_version_1_checkpoints_still_resume_and_unknown_versions_are_refused(tmp_path, tiny_time):
    tr = Trainer(tiny_time, _cfg(anneal_start=0, anneal_steps=10, dual_lr=0.5))
    for _ in range(12):
        tr.step()
    tr.save_checkpoint(tmp_path / "v2.pt")
    ck = torch.load(tmp_path / "v2.pt", weights_only=True)
    state = ck.pop("state")
    losses, rate = state["losses"], state["rate"]
    v1 = {**ck, "version": 1, "multiplier": state["multiplier"], "step": state["step"], "elapsed": state["elapsed"]}
    v1 |= {"history": state["history"], "sums": losses["sums"], "sum_steps": losses["count"], "ema": losses["ema"]}
    v1["rate"] = [rate["mark_step"], rate["mark_time"], rate["rate"]]
    torch.save(v1, tmp_path / "v1.pt")
    expected = [tr.step()["loss"] for _ in range(3)]
    resumed = Trainer.load_checkpoint(tmp_path / "v1.pt", tiny_time)
    assert [resumed.step()["loss"] for _ in range(3)] == expected
    assert _untimed(resumed.history) == _untimed(tr.history)
    torch.save({**v1, "version": 99}, tmp_path / "v99.pt")
    with pytest.raises(ValueError, match="format 99") as err:
        Trainer.load_checkpoint(tmp_path / "v99.pt", tiny_time)
    assert "\n" not in str(err.value)
