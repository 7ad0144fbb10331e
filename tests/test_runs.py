"""Run folders: safe ids, the one writer, atomic writes that never recreate a deleted folder, damaged folders,
and the per-run lock that tells 'training elsewhere' from 'interrupted'."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from mechsparse.data import synthetic
from mechsparse.learning.config import TrainConfig, default_config
from mechsparse.learning.evaluation import Metrics, Snapshot
from mechsparse.runs import evaluations, schema, store
from mechsparse.runs.lock import RunBusyError, RunLock, is_locked
from mechsparse.theory import graphs


@pytest.fixture()
def tiny_dataset():
    return synthetic.generate(graphs.preset("teach-nested"), 200, seed=1, name="teach-nested")


@pytest.fixture()
def config(tiny_dataset):
    return default_config(tiny_dataset, seed=3, max_steps=10, device="cpu")


def _leftovers(folder) -> list[str]:
    """Temp files and staging folders that a failed write could leave behind."""
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".creating")]


@pytest.mark.parametrize("bad", ["", "..", "../etc", "a/b", "/abs", "x" * 200, "run id", "ok\x00", ".hidden", "ok\n"])
def test_crafted_run_ids_are_refused(runs_dir, bad):
    with pytest.raises(ValueError, match="invalid run id"):
        store.run_path(bad)


def test_error_messages_do_not_echo_huge_ids(runs_dir):
    with pytest.raises(ValueError) as info:
        store.run_path("x" * 100_000 + "/")
    assert len(str(info.value)) < 200
    with pytest.raises(ValueError) as info:
        store.load_run("y" * 79)
    assert len(str(info.value)) < 200 + len(str(runs_dir.resolve()))


def test_run_path_stays_inside_root(runs_dir):
    assert store.run_path("abc-123_x").parent == runs_dir.resolve()


def test_create_load_list_delete(runs_dir, tiny_dataset, config):
    run_id = store.create_run(tiny_dataset, config, "teach/nested").name
    assert store.RUN_ID_RE.fullmatch(run_id) and "/" not in run_id
    rec = store.load_run(run_id)
    assert rec.status == "created" and rec.config.seed == 3 and rec.meta.data == "teach/nested"
    assert rec.meta.graphs == graphs.encode(tiny_dataset.graphs) and rec.label == "teach/nested-constraint-s3"
    assert rec.history.empty and rec.snapshot is None and not rec.locked
    np.testing.assert_array_equal(store.load_dataset_of(run_id).x, tiny_dataset.x)

    evaluations.write_history(store.run_path(run_id), [{"step": 10, "mcc": 0.5}, {"step": 20, "mcc": 0.7, "shd_a": 1}])
    store.update_summary(store.run_path(run_id), status="finished", mcc=0.7, steps=20)
    table = store.list_runs()
    assert list(table["run"]) == [run_id]
    row = table.iloc[0]
    assert row["status"] == "finished" and row["mcc"] == pytest.approx(0.7) and row["mode"] == "constraint"
    hist = store.load_run(run_id).history
    assert list(hist["step"]) == [10, 20] and np.isnan(hist["shd_a"][0])

    store.delete_run(run_id)
    assert store.list_runs().empty
    assert not _leftovers(runs_dir)


def test_create_run_into_a_given_folder_refuses_a_used_one(tmp_path, tiny_dataset, config):
    out = store.create_run(tiny_dataset, config, "x", folder=tmp_path / "mine")
    assert (out / "config.json").exists() and (out / "dataset.npz").exists()
    with pytest.raises(ValueError, match="not an empty folder"):
        store.create_run(tiny_dataset, config, "x", folder=out)
    (tmp_path / "empty").mkdir()
    assert (store.create_run(tiny_dataset, config, "x", folder=tmp_path / "empty") / "config.json").exists()


def _full_disk(fd):
    raise OSError(28, "No space left on device")


def test_a_failed_create_leaves_nothing(runs_dir, tiny_dataset, config, monkeypatch):
    monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(OSError, match="No space"):
        store.create_run(tiny_dataset, config, "doomed")
    assert list(runs_dir.iterdir()) == []


def test_writes_into_a_deleted_folder_fail_and_do_not_recreate_it(runs_dir, tiny_dataset, config):
    folder = store.create_run(tiny_dataset, config, "gone")
    store.delete_run(folder.name)
    for write in (
        lambda: store.update_summary(folder, status="running"),
        lambda: evaluations.write_history(folder, [{"step": 1}]),
        lambda: store.write_json(folder / "config.json", {}),
    ):
        with pytest.raises(FileNotFoundError):
            write()
        assert not folder.exists()


def test_a_failing_write_keeps_the_old_file_and_no_temp(runs_dir, tiny_dataset, config, monkeypatch):
    folder = store.create_run(tiny_dataset, config, "full")
    before = (folder / "summary.json").read_text()
    monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(OSError):
        store.update_summary(folder, status="running")
    assert (folder / "summary.json").read_text() == before
    assert not _leftovers(runs_dir)


def test_json_writes_plain_values(runs_dir):
    folder = store.run_path("j")
    folder.mkdir()
    store.write_summary(folder, {"mcc": np.float32(0.5), "bad": float("nan"), "arr": np.arange(2)})
    assert json.loads((folder / "summary.json").read_text()) == {"mcc": 0.5, "bad": None, "arr": [0, 1]}


def _snapshot(step=7) -> Snapshot:
    probs = np.array([[0.9, 0.1], [0.8, 0.95]])
    return Snapshot.from_dict(
        {
            "step": step,
            "metrics": {"mcc": 0.9, "shd_a": None},
            "edge_probs_a": probs,
            "matched_probs_a": probs,
            "pattern": np.array([[True, True], [False, True]]),
            "history": [{"step": step}],
            "device": "cpu",
        }
    )


def test_snapshot_round_trip(runs_dir, tiny_dataset, config):
    folder = store.create_run(tiny_dataset, config, "snap")
    evaluations.save_snapshot(folder, _snapshot())
    back = evaluations.load_snapshot(folder)
    assert isinstance(back, Snapshot) and back.step == 7 and back.history == ()
    assert back.metrics == Metrics(mcc=0.9) and back.device == "cpu"
    np.testing.assert_array_equal(back.edge_probs_a, _snapshot().edge_probs_a)


@pytest.mark.parametrize(
    ("file", "content"),
    [
        ("summary.json", ""),
        ("summary.json", "[1, 2]"),
        ("config.json", '"just a string"'),
        ("config.json", '{"config": [], "meta": {}}'),
        ("config.json", None),
        ("config.json", '{"config": {"seed": -1}, "meta": {}}'),  # no valid TrainConfig
        ("config.json", '{"config": {"from_a_newer_version": 1}, "meta": {}}'),
        ("snapshot.npz", "not a zip"),
    ],
)
def test_damaged_folders_are_listed_as_damaged_and_can_be_deleted(runs_dir, tiny_dataset, config, file, content):
    good = store.create_run(tiny_dataset, config, "good").name
    bad = store.create_run(tiny_dataset, config, "bad").name
    path = store.run_path(bad) / file
    path.unlink() if content is None else path.write_text(content)
    table = store.list_runs().set_index("run")
    assert table.loc[good, "status"] == "interrupted"  # created, never trained: startable
    if file != "snapshot.npz":  # the table does not read snapshots
        assert table.loc[bad, "status"] == "damaged"
    with pytest.raises(schema.DamagedRunError) as info:
        store.load_run(bad)
    assert "damaged" in str(info.value) and "\n" not in str(info.value)
    store.delete_run(bad)
    assert list(store.list_runs()["run"]) == [good]


def test_an_interrupted_run_shows_as_such(runs_dir, tiny_dataset, config):
    run_id = store.create_run(tiny_dataset, config, "cut").name
    store.update_summary(store.run_path(run_id), status="running")
    rec = store.load_run(run_id)
    assert rec.status == "running"
    assert rec.shown_status() == "interrupted" and rec.shown_status(live="paused") == "paused"
    assert store.list_runs().iloc[0]["status"] == "interrupted"
    store.update_summary(store.run_path(run_id), status="stopped")
    assert store.load_run(run_id).shown_status() == "stopped"


HOLD_LOCK = """
import sys, time
from mechsparse.runs.lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_a_run_trained_by_another_process_is_running_elsewhere_until_that_process_dies(runs_dir, tiny_dataset, config):
    run_id = store.create_run(tiny_dataset, config, "busy").name
    folder = store.run_path(run_id)
    store.update_summary(folder, status="running")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert is_locked(folder) and store.is_training(run_id)
        assert store.load_run(run_id).shown_status() == "running elsewhere"
        assert store.list_runs().iloc[0]["status"] == "running elsewhere"
        with pytest.raises(RunBusyError, match="already training"):
            RunLock(folder).acquire(timeout=0.2)
        with pytest.raises(ValueError, match="stop it before deleting"):
            store.delete_run(run_id)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the holder died without releasing anything: the lock is not stale, the run is simply interrupted
    assert not is_locked(folder)
    assert store.load_run(run_id).shown_status() == "interrupted"
    with RunLock(folder):
        assert is_locked(folder)
    assert not is_locked(folder)


def test_a_lock_is_never_taken_on_a_missing_folder(runs_dir):
    with pytest.raises(FileNotFoundError):
        RunLock(runs_dir / "nope").acquire()
    assert not (runs_dir / "nope").exists() and not is_locked(runs_dir / "nope")


def test_run_stamp_changes_with_every_write_a_reader_sees(runs_dir, tiny_dataset, config):
    run_id = store.create_run(tiny_dataset, config, "stamp").name
    first = store.run_stamp(run_id)
    assert store.run_stamp(run_id) == first  # reading changes nothing
    assert dict((name, size) for name, _, _, size in first)["snapshot.npz"] is None  # absent until saved
    evaluations.save_snapshot(store.run_path(run_id), _snapshot())
    second = store.run_stamp(run_id)
    assert second != first
    store.update_summary(store.run_path(run_id), status="finished")
    assert store.run_stamp(run_id) != second
    with pytest.raises(ValueError, match="invalid run id"):
        store.run_stamp("../x")


def test_a_run_folder_holds_the_files_its_schema_names(runs_dir, tiny_dataset, config):
    folder = store.create_run(tiny_dataset, config, "named", source="cli")
    assert {p.name for p in folder.iterdir()} == {schema.CONFIG_FILE, schema.DATASET_FILE, schema.SUMMARY_FILE}
    content = json.loads((folder / schema.CONFIG_FILE).read_text())
    setup = schema.RunSetup.from_json(content, default_label="")
    assert setup.config == config and setup.meta.source == "cli" and setup.label == "named-constraint-s3"
    assert setup.to_json() == content  # the reader loses nothing the writer wrote
    assert setup.meta.data_id == store.dataset_fingerprint(tiny_dataset)
    assert [name for name, *_ in store.run_stamp(folder.name)] == list(store.STAMPED_FILES)
    assert schema.TIMELINE_FILE in store.STAMPED_FILES


def test_an_old_folder_loads_with_defaults_for_what_it_lacks(runs_dir, tiny_dataset, config):
    """A folder written before some fields existed: its config becomes a TrainConfig with today's defaults, its
    meta and summary typed records with absent fields empty."""
    folder = store.create_run(tiny_dataset, config, "old")
    store.write_json(folder / schema.CONFIG_FILE, {"config": {"seed": 4}, "meta": {"data": "old"}})
    store.write_summary(folder, {"status": "finished", "mcc": 0.5, "steps": 20})
    rec = store.load_run(folder.name)
    assert rec.config == TrainConfig(seed=4) and rec.method.name == "sparse"
    assert rec.meta == schema.RunMeta(data="old") and rec.true_graphs is None and rec.label == folder.name
    assert rec.summary == schema.RunSummary(status="finished", mcc=0.5, steps=20)
    row = store.list_runs().iloc[0]
    assert row["seed"] == 4 and row["mcc"] == pytest.approx(0.5) and row["status"] == "finished"


def test_summary_values_of_the_wrong_type_read_as_absent(runs_dir, tiny_dataset, config):
    folder = store.create_run(tiny_dataset, config, "odd")
    store.write_summary(folder, {"status": 3, "mcc": "high", "steps": 2.5, "shd_a": 2.0, "seconds": 7, "new": 1})
    summary = store.load_run(folder.name).summary
    assert summary.status == "unknown" and summary.mcc is None and summary.steps is None
    assert summary.shd_a == 2 and isinstance(summary.shd_a, int) and summary.seconds == 7.0
    assert store.list_runs().iloc[0]["run"] == folder.name
