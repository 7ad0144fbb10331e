"""The training loop shared by the app's worker and the CLI: it trains a run from its folder alone, saves as it
goes, stops when its folder is deleted (without recreating it), refuses a run another process trains, and turns
any failure into a one-line 'failed' with no temp files left."""

from __future__ import annotations

import shutil

import pytest
import torch

from mechsparse.data import synthetic
from mechsparse.learning.config import default_config
from mechsparse.runs import runner, store
from mechsparse.runs.lock import RunBusyError, RunLock
from mechsparse.theory import graphs


@pytest.fixture(scope="module")
def tiny():
    return synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")


def _folder(ds, **kw):
    cfg = {"batch_size": 64, "eval_every": 20, "eval_samples": 200, "device": "cpu", "max_steps": 60, **kw}
    return store.create_run(ds, default_config(ds, **cfg), ds.name)


def _temp_files(folder) -> list[str]:
    return [p.name for p in folder.parent.rglob("*") if p.name.endswith(".tmp")]


def test_trains_a_folder_to_its_end(runs_dir, tiny):
    folder = _folder(tiny)
    published = []
    outcome = runner.train_run(folder, publish=lambda *msg: published.append(msg))
    assert outcome == runner.Outcome("finished")
    rec = store.load_run(folder.name)
    assert rec.status == "finished" and rec.summary.steps == 60 and list(rec.history["step"])[-1] == 60
    assert rec.snapshot.step == 60 and (folder / "checkpoint.pt").exists()
    assert published[0][0] == "running" and published[-1][0] == "finished" and published[-1][2].step == 60
    assert not rec.locked and not _temp_files(folder)


def test_saves_periodically_and_a_stopped_run_resumes(runs_dir, tiny):
    folder = _folder(tiny, max_steps=1_000_000)
    flag = runner.StopFlag()
    saved_steps = []

    def on_step(trainer, info):
        summary = store.read_json(folder / "summary.json")
        saved_steps.append(summary.get("steps"))
        if trainer.step_count >= 30:
            flag.stop("enough")

    assert runner.train_run(folder, control=flag, on_step=on_step, save_every=0.0).status == "stopped"
    assert saved_steps[-1] == 29  # saved at every step: a kill would have lost at most one step
    rec = store.load_run(folder.name)
    assert rec.status == "stopped" and rec.summary.message == "enough" and rec.summary.steps == 30

    again = runner.StopFlag()
    resumed = runner.train_run(
        folder, resume=True, control=again, on_step=lambda t, i: t.step_count >= 40 and again.stop()
    )
    assert resumed.status == "stopped" and store.load_run(folder.name).summary.steps == 40


def test_a_deleted_folder_stops_training_and_stays_deleted(runs_dir, tiny):
    folder = _folder(tiny, max_steps=1_000_000)

    def delete_midway(trainer, info):
        if trainer.step_count == 5:
            shutil.rmtree(folder)

    outcome = runner.train_run(folder, on_step=delete_midway, publish_every=0.0, save_every=0.0)
    assert outcome.status == runner.DELETED and "deleted" in outcome.message
    assert not folder.exists() and list(runs_dir.iterdir()) == []


def test_a_run_another_process_trains_is_refused_before_any_write(runs_dir, tiny):
    folder = _folder(tiny)
    before = (folder / "summary.json").read_bytes()
    with RunLock(folder), pytest.raises(RunBusyError, match="already training"):
        runner.train_run(folder)
    assert (folder / "summary.json").read_bytes() == before
    assert not (folder / "checkpoint.pt").exists()


def test_a_failing_save_is_one_line_and_leaves_no_temp_file(runs_dir, tiny, monkeypatch):
    folder = _folder(tiny)

    def disk_full(*args, **kwargs):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed\nmore detail")

    monkeypatch.setattr(torch, "save", disk_full)
    outcome = runner.train_run(folder, save_every=0.0)
    assert outcome.status == "failed" and "\n" not in outcome.message and "failed writing" in outcome.message
    assert store.load_run(folder.name).status == "failed"
    assert not _temp_files(folder) and not (folder / "checkpoint.pt").exists()


def test_a_bad_config_fails_as_the_run_status(runs_dir, tiny):
    no_graphs = tiny.__class__(x=tiny.x, a=tiny.a, name="no-graphs")
    folder = _folder(no_graphs, masks="oracle", dz=2)
    outcome = runner.train_run(folder)
    assert outcome.status == "failed" and "oracle" in outcome.message
    assert store.load_run(folder.name).summary.message == outcome.message
