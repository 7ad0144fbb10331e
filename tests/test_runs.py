"""Run folders: safe ids, the files of the contract, listing, export and deletion."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from mechsparse import data, graphs, runs


@pytest.fixture()
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture()
def tiny_dataset():
    return data.generate(graphs.preset("teach-nested"), 200, seed=1, name="teach-nested")


@pytest.mark.parametrize("bad", ["", "..", "../etc", "a/b", "/abs", "x" * 200, "run id", "ok\x00", ".hidden"])
def test_crafted_run_ids_are_refused(runs_dir, bad):
    with pytest.raises(ValueError, match="invalid run id"):
        runs.run_path(bad)


def test_run_path_stays_inside_root(runs_dir):
    path = runs.run_path("abc-123_x")
    assert path.parent == runs_dir.resolve()


def test_create_load_list_delete(runs_dir, tiny_dataset):
    run_id = runs.create_run(
        "teach/nested constraint",
        {"sparsity": "constraint", "seed": 3},
        tiny_dataset,
        meta={"data": "teach-nested", "graphs": "a10.11"},
    )
    assert runs.RUN_ID_RE.match(run_id) and "/" not in run_id
    rec = runs.load_run(run_id)
    assert rec.status == "created" and rec.config["seed"] == 3 and rec.meta["data"] == "teach-nested"
    assert rec.history.empty and rec.snapshot is None
    back = runs.load_dataset_of(run_id)
    np.testing.assert_array_equal(back.x, tiny_dataset.x)

    runs.write_history(runs.run_path(run_id), [{"step": 10, "mcc": 0.5}, {"step": 20, "mcc": 0.7, "shd_a": 1}])
    runs.update_summary(runs.run_path(run_id), status="finished", mcc=0.7, steps=20)
    table = runs.list_runs()
    assert list(table["run"]) == [run_id]
    row = table.iloc[0]
    assert row["status"] == "finished" and row["mcc"] == pytest.approx(0.7) and row["mode"] == "constraint"
    hist = runs.load_run(run_id).history
    assert list(hist["step"]) == [10, 20] and np.isnan(hist["shd_a"][0])

    runs.delete_run(run_id)
    assert runs.list_runs().empty


def test_json_writes_plain_values(runs_dir):
    folder = runs.run_path("j")
    runs.write_summary(folder, {"mcc": np.float32(0.5), "bad": float("nan"), "arr": np.arange(2)})
    summary = json.loads((folder / "summary.json").read_text())
    assert summary == {"mcc": 0.5, "bad": None, "arr": [0, 1]}


def test_snapshot_round_trip_and_export(runs_dir, tiny_dataset):
    from dataclasses import make_dataclass

    snap_cls = make_dataclass("Snap", ["step", "metrics", "edge_probs_a", "matched_probs_a", "pattern", "history"])
    probs = np.array([[0.9, 0.1], [0.8, 0.95]])
    snap = snap_cls(
        step=7,
        metrics={"mcc": 0.9, "shd_a": None},
        edge_probs_a=probs,
        matched_probs_a=probs,
        pattern=np.array([[True, True], [False, True]]),
        history=({"step": 7},),
    )
    run_id = runs.create_run("snap", {"sparsity": "none"}, tiny_dataset, meta={"graphs": "a10.11"})
    runs.save_snapshot(runs.run_path(run_id), snap)
    fields = runs.load_snapshot_fields(runs.run_path(run_id))
    assert fields["step"] == 7 and fields["metrics"] == {"mcc": 0.9, "shd_a": None}
    np.testing.assert_array_equal(fields["edge_probs_a"], probs)
    assert "history" not in fields

    runs.write_history(runs.run_path(run_id), [{"step": 7, "mcc": 0.9}])
    blob = runs.export_zip([run_id], images=False)
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    for expected in (
        "config.json",
        "summary.json",
        "history.csv",
        "edge_probs_a.csv",
        "panels/learned_ga.html",
        "panels/true_ga.html",
        "panels/pattern.html",
        "panels/curves.html",
    ):
        assert f"{run_id}/{expected}" in names


def test_load_unknown_run_is_one_line_error(runs_dir):
    with pytest.raises(ValueError, match="no run named"):
        runs.load_run("does-not-exist")


def test_a_run_cut_off_while_training_shows_as_interrupted(runs_dir, tiny_dataset):
    run_id = runs.create_run("cut", {"sparsity": "none"}, tiny_dataset)
    runs.update_summary(runs.run_path(run_id), status="running")
    rec = runs.load_run(run_id)
    assert rec.status == "running"
    assert rec.shown_status() == "interrupted" and rec.shown_status(live="paused") == "paused"
    assert runs.list_runs().iloc[0]["status"] == "interrupted"
    runs.update_summary(runs.run_path(run_id), status="stopped")
    assert runs.load_run(run_id).shown_status() == "stopped"
