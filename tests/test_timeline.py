"""Timelines: bounded and evenly spaced however long the run, saved and read back exactly, refused in one line when
damaged; recorded by every run (resumed ones too) without changing its trajectory; replayed as a browser animation."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsparse.data import synthetic
from mechsparse.figures.replay import replay_figure
from mechsparse.learning import timeline
from mechsparse.learning.config import default_config
from mechsparse.learning.timeline import MAX_FRAMES, Timeline, TimelineError, load_timeline, save_timeline
from mechsparse.learning.training import Trainer
from mechsparse.runs import runner, store
from mechsparse.runs.schema import DamagedRunError
from mechsparse.theory import graphs

RNG = np.random.default_rng(0)


def _add(t: Timeline, k: int, *, dz: int = 3, da: int = 2, temporal: bool = False, truth: bool = True) -> None:
    """Evaluation k at step 10 k: random matrices of a run with actions (and time); with ground truth, the matched
    graphs, |corr| and a rising MCC."""
    raw = {"a": RNG.uniform(size=(dz, da))} | ({"z": RNG.uniform(size=(dz, dz))} if temporal else {})
    arrays = {f"edge_probs_{key}": m for key, m in raw.items()}
    values = {"loss": 1 / (k + 1), "shd_a": 3}
    if truth:
        arrays |= {f"matched_probs_{key}": m[::-1] for key, m in raw.items()} | {"corr": RNG.uniform(size=(dz, dz))}
        values["mcc"] = k / (k + 10)
    t.add(10 * k, 0.5 * k, values, **arrays)


def _filled(n: int, **kw) -> Timeline:
    t = Timeline()
    for k in range(n):
        _add(t, k, **kw)
    return t


# ---------------------------------------------------------------- bounded, evenly spaced, deterministic


def test_a_long_run_keeps_at_most_max_frames_evenly_spaced_first_and_newest():
    t = _filled(1_000)
    steps = t.steps
    assert 2 <= len(t) <= MAX_FRAMES and len(t) >= MAX_FRAMES // 2
    assert steps[0] == 0 and steps[-1] == 9_990  # the first and the newest
    assert np.all(np.diff(steps) > 0)
    gaps = np.diff(steps[:-1])  # every gap but the newest frame's is one stride
    assert set(gaps) == {10 * t.stride} and np.diff(steps)[-1] <= 10 * t.stride
    assert np.array_equal(_filled(1_000).steps, steps)  # deterministic


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 700), cap=st.integers(2, 40))
def test_any_length_stays_bounded_and_even(n, cap):
    t = Timeline(cap)
    for k in range(n):
        t.add(3 * k, k, {"mcc": 0.5})
    steps = t.steps
    assert len(t) <= cap and steps[0] == 0 and steps[-1] == 3 * (n - 1)
    assert np.all(np.diff(steps) > 0)
    if len(steps) > 2:
        assert set(np.diff(steps[:-1])) == {3 * t.stride}


def test_few_evaluations_are_all_kept():
    t = _filled(7)
    assert list(t.steps) == [0, 10, 20, 30, 40, 50, 60] and t.stride == 1


def test_arrays_have_the_same_presence_in_every_frame():
    t = Timeline()
    t.add(0, 0.0, {"mcc": 0.1}, edge_probs_a=np.full((2, 2), 0.5))  # e.g. the first evaluation had no finite latents
    t.add(10, 1.0, {"mcc": 0.2}, edge_probs_a=np.full((2, 2), 0.6), corr=np.eye(2))
    t.add(20, 2.0, {"mcc": 0.3}, corr=np.eye(2))
    assert t.arrays == ("edge_probs_a", "corr")
    assert np.isnan(t.array("corr", 0)).all() and np.isnan(t.array("edge_probs_a", 2)).all()
    assert t.array("corr", 1)[0, 0] == 1.0 and t.array("edge_probs_z", 1) is None
    with pytest.raises(ValueError, match="changed shape"):
        t.add(30, 3.0, corr=np.eye(3))


def test_going_back_to_an_earlier_step_replaces_what_came_after():
    t = _filled(5)
    t.add(25, 9.0, {"mcc": 0.9}, index=3)
    assert list(t.steps) == [0, 10, 20, 25]
    assert t.series("mcc")[-1] == pytest.approx(0.9)


def test_series_are_nan_where_absent_and_metrics_lists_the_recorded_ones():
    t = _filled(3)
    assert np.isnan(t.series("elbo")).all()
    assert t.metrics() == ("mcc", "shd_a", "loss")
    assert _filled(2, truth=False).metrics() == ("shd_a", "loss")
    with pytest.raises(KeyError):
        t.series("nope")


# ---------------------------------------------------------------- the file


def test_save_and_load_round_trip_exactly(tmp_path):
    t = _filled(450, temporal=True)
    save_timeline(tmp_path, t)
    back = load_timeline(tmp_path)
    assert back is not None and len(back) == len(t) and back.stride == t.stride and back.seen == t.seen
    assert np.array_equal(back.steps, t.steps) and np.array_equal(back.seconds, t.seconds)
    assert back.arrays == t.arrays == ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "corr")
    for name in t.arrays:
        for k in (0, len(t) // 2, len(t) - 1):
            assert np.array_equal(back.array(name, k), t.array(name, k))
    for name in ("mcc", "loss", "elbo"):
        np.testing.assert_array_equal(back.series(name), t.series(name))
    # a loaded timeline goes on exactly as the one that never left memory
    for k in range(450, 900):
        _add(back, k, temporal=True)
        _add(t, k, temporal=True)
    assert np.array_equal(back.steps, t.steps) and back.stride == t.stride
    assert load_timeline(tmp_path / "elsewhere") is None and load_timeline(tmp_path / "none.npz") is None


def test_a_full_timeline_of_ten_latents_is_compact(tmp_path):
    t = Timeline()
    for k in range(MAX_FRAMES):
        arrays = {name: RNG.uniform(size=(10, 10)) for name in ("edge_probs_a", "matched_probs_a", "corr")}
        t.add(k, k, {"mcc": 0.5}, **arrays)
    save_timeline(tmp_path, t)
    assert len(t) == MAX_FRAMES and (tmp_path / "timeline.npz").stat().st_size < 200_000


def _write(path, **members) -> None:
    np.savez(path, **members)


def _members(tmp_path) -> dict:
    save_timeline(tmp_path, _filled(4))
    with np.load(tmp_path / "timeline.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _meta(members: dict) -> dict:
    return json.loads(str(members["meta"]))


def _damage(tmp_path, kind: str):
    good = _members(tmp_path)
    path = tmp_path / "bad.npz"
    meta = _meta(good)
    if kind == "not a zip":
        path.write_bytes(b"not a zip")
        return path
    if kind == "truncated":
        path.write_bytes((tmp_path / "timeline.npz").read_bytes()[:200])
        return path
    if kind == "pickled":
        _write(path, **good, extra=np.array([{"a": 1}], dtype=object))
        return path
    if kind == "unknown member":
        good["coef"] = good["corr"]
    elif kind == "no meta":
        del good["meta"]
    elif kind == "steps not increasing":
        good["steps"] = good["steps"][::-1].copy()
    elif kind == "shape":
        good["corr"] = good["corr"][:, :2]
    elif kind == "frames":
        good["corr"] = good["corr"][:3]
    elif kind == "range":
        good["corr"] = good["corr"] * 3
    elif kind == "rows":
        meta["rows"] = meta["rows"][:2]
    elif kind == "stride":
        meta["stride"] = 3
    elif kind == "version":
        meta["version"] = 99
    elif kind == "meta json":
        good["meta"] = np.array("{not json")
    elif kind == "value type":
        meta["rows"][1]["mcc"] = "high"
    elif kind == "matched vs raw":
        good["matched_probs_a"] = good["matched_probs_a"][:, :, :1]
    if kind in ("rows", "stride", "version", "value type"):
        good["meta"] = np.array(json.dumps(meta))
    _write(path, **good)
    return path


DAMAGES = [
    "not a zip", "truncated", "pickled", "unknown member", "no meta", "steps not increasing", "shape", "frames",
    "range", "rows", "stride", "version", "meta json", "value type", "matched vs raw",
]  # fmt: skip


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_or_inconsistent_file_is_one_line_error(tmp_path, kind):
    path = _damage(tmp_path, kind)
    with pytest.raises(TimelineError) as info:
        load_timeline(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in message and message.startswith("bad.npz ")


def test_a_run_with_a_damaged_timeline_says_so(runs_dir):
    ds = synthetic.generate(graphs.preset("teach-nested"), 100, seed=0, name="damaged")
    folder = store.create_run(ds, default_config(ds, device="cpu"), ds.name)
    assert store.load_timeline(folder.name) is None
    (folder / "timeline.npz").write_bytes(b"garbage")
    with pytest.raises(DamagedRunError, match=f"run {folder.name} is damaged: timeline.npz cannot be read"):
        store.load_timeline(folder.name)


# ---------------------------------------------------------------- recorded by real runs


@pytest.fixture(scope="module")
def tiny():
    return synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")


def _folder(ds, **kw):
    cfg = {"batch_size": 64, "eval_every": 10, "eval_samples": 200, "device": "cpu", "max_steps": 60, **kw}
    return store.create_run(ds, default_config(ds, **cfg), ds.name)


def test_a_run_records_one_frame_per_history_row(runs_dir, tiny):
    folder = _folder(tiny)
    assert runner.train_run(folder).status == "finished"
    rec, t = store.load_run(folder.name), store.load_timeline(folder.name)
    assert list(t.steps) == list(rec.history["step"]) == [0, 10, 20, 30, 40, 50, 60]
    assert t.arrays == ("edge_probs_a", "matched_probs_a", "corr")
    np.testing.assert_allclose(t.series("mcc"), rec.history["mcc"], atol=1e-12)
    np.testing.assert_allclose(t.series("edge_count"), rec.history["edge_count"], rtol=1e-6)
    np.testing.assert_allclose(t.array("matched_probs_a", -1), rec.snapshot.matched_probs_a, atol=1e-3)
    np.testing.assert_allclose(t.array("corr", -1), rec.snapshot.corr, atol=1e-3)
    assert timeline.FILE_NAME in {n for n, *_ in store.run_stamp(folder.name)}


def test_a_resumed_run_keeps_its_earlier_frames(runs_dir, tiny):
    folder = _folder(tiny, max_steps=1_000_000)
    flag = runner.StopFlag()
    runner.train_run(folder, control=flag, on_step=lambda t, i: t.step_count >= 25 and flag.stop())
    assert list(store.load_timeline(folder.name).steps) == [0, 10, 20, 25]
    again = runner.StopFlag()
    runner.train_run(folder, resume=True, control=again, on_step=lambda t, i: t.step_count >= 42 and again.stop())
    history = store.load_run(folder.name).history
    t = store.load_timeline(folder.name)
    assert list(t.steps) == list(history["step"]) == [0, 10, 20, 25, 30, 40, 42]
    assert list(f.index for f in t.frames) == list(range(7))


def test_recording_does_not_change_the_trajectory(tiny, monkeypatch):
    cfg = default_config(tiny, batch_size=64, eval_every=5, eval_samples=200, device="cpu", max_steps=30)

    def train() -> tuple[list[dict], dict]:
        trainer = Trainer(tiny, cfg)
        trainer.evaluate()
        while not trainer.finished:
            trainer.step()
        rows = [{k: v for k, v in r.items() if k not in ("seconds", "steps_per_second")} for r in trainer.history]
        return rows, trainer.model.state_dict()

    with_frames, weights = train()
    monkeypatch.setattr(Trainer, "_record_frame", lambda self, row: None)
    without, weights_without = train()
    np.testing.assert_equal(with_frames, without)  # NaN where a row has none, in both
    assert all(np.array_equal(weights[k].numpy(), weights_without[k].numpy()) for k in weights)


def test_a_baseline_records_only_its_latents(runs_dir, tiny):
    folder = _folder(tiny, method="random")
    assert runner.train_run(folder).status == "finished"
    t = store.load_timeline(folder.name)
    assert len(t) == 1 and t.arrays == ("corr",)
    fig = replay_figure(t, graphs.preset("teach-nested"))
    assert [d.type for d in fig.data] == ["heatmap", "scatter", "scatter"] and len(fig.frames) == 1


# ---------------------------------------------------------------- the replay figure


def _heatmaps(fig) -> list[str]:
    return [d.type for d in fig.data if d.type == "heatmap"]


def test_replay_has_one_frame_per_timeline_frame_and_a_slider_by_step():
    t = _filled(260, temporal=True)
    truth = graphs.GraphSpec(ga=np.eye(3, 2, dtype=int), gz=np.eye(3, dtype=int))
    fig = replay_figure(t, truth)
    names = [str(s) for s in t.steps]
    assert [f.name for f in fig.frames] == names
    assert [s.label for s in fig.layout.sliders[0].steps] == names
    assert [list(s.args[0]) for s in fig.layout.sliders[0].steps] == [[n] for n in names]
    assert all(s.args[1]["frame"]["redraw"] for s in fig.layout.sliders[0].steps)
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == "animate" and play.args[1]["frame"]["redraw"] and list(pause.args[0]) == [None]
    assert len(_heatmaps(fig)) == 3 and all(d.zmin == 0 and d.zmax == 1 for d in fig.data if d.type == "heatmap")
    cells = ("matched_probs_a", "matched_probs_z", "corr")
    for k in (0, 1, len(t) // 2, len(t) - 1):
        for trace, name in zip(fig.frames[k].data[:3], cells, strict=True):
            shown = np.array(trace.z, dtype=float)  # to the 3 decimals the hover shows
            np.testing.assert_allclose(shown, t.array(name, k), atol=5e-4, rtol=0)
        assert list(fig.frames[k].data[3].x) == [t.steps[k]]
    # frames travel as plain numbers: Streamlit's plotly.js leaves heatmaps blank for typed arrays inside frames
    assert "bdata" not in json.dumps(json.loads(fig.to_json())["frames"])
    line = fig.data[3]  # the curve: all of it, in every frame
    np.testing.assert_array_equal(line.y, t.series("mcc"))
    assert 3 not in fig.frames[5].traces
    assert len(fig.layout.shapes) == 2 + 3  # the true edges outlined over the matched graphs


def test_replay_of_an_action_run_with_truth():
    fig = replay_figure(_filled(3), graphs.GraphSpec(ga=np.eye(3, 2, dtype=int)))
    assert [a.text for a in fig.layout.annotations] == [
        "learned Ga, true outlined", "|corr(z, ẑ)|, matched", "MCC over steps"
    ]  # fmt: skip
    assert list(fig.data[0].y) == ["z1", "z2", "z3"] and list(fig.data[0].x) == ["a1", "a2"]
    assert list(fig.data[1].y) == ["z1", "z2", "z3"] and list(fig.data[1].x) == ["ẑ1", "ẑ2", "ẑ3"]


def test_replay_of_a_run_without_truth_shows_raw_graphs_and_the_loss():
    fig = replay_figure(_filled(3, temporal=True, truth=False), None)  # no MCC: the loss instead
    assert [a.text for a in fig.layout.annotations] == [
        "learned Ga (model order)", "learned Gz (model order)", "training loss over steps"
    ]  # fmt: skip
    assert list(fig.data[1].y) == ["ẑ1", "ẑ2", "ẑ3"] and list(fig.data[1].x) == ["ẑ1'", "ẑ2'", "ẑ3'"]
    assert not fig.layout.shapes


def test_replay_of_temporal_only_and_curve_only_runs():
    t = Timeline()
    t.add(0, 0.0, {"mcc": 0.4}, edge_probs_z=np.full((2, 2), 0.5), matched_probs_z=np.eye(2), corr=np.eye(2))
    fig = replay_figure(t, graphs.GraphSpec(gz=np.eye(2, dtype=int)), metric="shd_z")  # absent: MCC
    assert _heatmaps(fig) == ["heatmap", "heatmap"] and len(fig.frames) == 1
    assert fig.layout.annotations[0].text == "learned Gz, true outlined"
    assert fig.layout.annotations[-1].text == "MCC over steps"
    bare = Timeline()
    bare.add(0, 0.0, {"loss": 2.0})
    bare.add(5, 1.0, {"loss": 1.0})
    fig = replay_figure(bare, None)
    assert not _heatmaps(fig) and len(fig.frames) == 2 and fig.layout.annotations[0].text == "training loss over steps"
    with pytest.raises(ValueError, match="unknown metric"):
        replay_figure(bare, None, metric="nope")
    with pytest.raises(ValueError, match="no frames"):
        replay_figure(Timeline(), None)


def test_replay_truth_of_another_shape_is_not_outlined():
    t = _filled(2)
    fig = replay_figure(t, graphs.GraphSpec(ga=np.eye(4, dtype=int)))
    assert not fig.layout.shapes and fig.layout.annotations[0].text == "learned Ga"


def test_replay_file_members_are_plain_arrays(tmp_path):
    save_timeline(tmp_path, _filled(3))
    with zipfile.ZipFile(tmp_path / "timeline.npz") as zf:
        assert sorted(zf.namelist()) == ["corr.npy", "edge_probs_a.npy", "matched_probs_a.npy", "meta.npy", "steps.npy"]
    with np.load(tmp_path / "timeline.npz", allow_pickle=False) as npz:
        assert npz["corr"].dtype == np.float16 and npz["corr"].shape == (3, 3, 3)


def test_a_remote_cell_sends_its_timeline_back(runs_dir, tiny, tmp_path):
    from mechsparse.data.dataset import save_dataset
    from mechsparse.reproduce import sweep

    save_dataset(tmp_path / "data.npz", tiny)
    cfg = default_config(tiny, batch_size=64, eval_every=10, eval_samples=200, device="cpu", max_steps=20)
    result = sweep.train_cell_files(cfg.to_dict(), tiny.name, (tmp_path / "data.npz").read_bytes())
    assert result["status"] == "finished" and "timeline.npz" in result["files"]
    run_id = store.create_run(tiny, cfg, tiny.name).name
    sweep.write_result_files(run_id, result["files"])
    assert list(store.load_timeline(run_id).steps) == [0, 10, 20]
