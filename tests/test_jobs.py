"""Background training jobs: start, pause, resume, stop, crash isolation, the cap, and resume from disk."""

from __future__ import annotations

import time

import pytest

from mechsparse.data import dataset, synthetic
from mechsparse.learning.config import default_config
from mechsparse.runs import store
from mechsparse.runs.jobs import JobLimitError, JobRegistry
from mechsparse.runs.launch import launch_run
from mechsparse.theory import graphs


@pytest.fixture(scope="module")
def tiny():
    return synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")


def _config(ds, **kw):
    return default_config(ds, **{"batch_size": 64, "eval_every": 20, "eval_samples": 200, "device": "cpu", **kw})


def _new(ds, config):
    return store.create_run(ds, config, ds.name).name


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _step(job) -> int:
    snap = job.view().snapshot
    return 0 if snap is None else snap.step


def test_job_runs_to_the_end_and_saves_its_folder(runs_dir, tiny):
    cfg = _config(tiny, max_steps=60)
    run_id = _new(tiny, cfg)
    job = JobRegistry().start(run_id)
    job.join(120)
    view = job.view()
    assert view.status == "finished", view.message
    assert view.snapshot.step == 60 and view.device == "cpu"
    folder = store.run_path(run_id)
    for name in ("config.json", "summary.json", "history.csv", "checkpoint.pt", "snapshot.npz", "dataset.npz"):
        assert (folder / name).exists(), name
    rec = store.load_run(run_id)
    assert rec.status == "finished" and rec.summary.steps == 60 and rec.summary.mcc is not None
    assert len(rec.history) >= 3


def test_pause_resume_stop(runs_dir, tiny):
    cfg = _config(tiny, max_steps=1_000_000)
    run_id = _new(tiny, cfg)
    job = JobRegistry().start(run_id, publish_every=0.0)
    assert _wait(lambda: _step(job) > 5)
    job.pause()
    assert _wait(lambda: job.view().status == "paused")
    paused_at = _step(job)
    time.sleep(0.4)
    assert _step(job) == paused_at
    assert store.load_run(run_id).status == "paused"  # pausing saves the run
    job.resume()
    assert _wait(lambda: _step(job) > paused_at + 5)
    job.stop()
    job.join(30)
    assert job.view().status == "stopped"
    assert store.load_run(run_id).status == "stopped"


def test_crash_stays_inside_its_job(runs_dir, tiny):
    registry = JobRegistry(max_concurrent=2)
    no_graphs = dataset.Dataset(x=tiny.x, a=tiny.a, name="no-graphs")  # oracle masks need true graphs: fails
    bad_cfg = _config(no_graphs, masks="oracle", max_steps=50, dz=2)
    good_cfg = _config(tiny, max_steps=40)
    bad = registry.start(store.create_run(no_graphs, bad_cfg, "bad").name)
    good = registry.start(_new(tiny, good_cfg))
    bad.join(60)
    good.join(120)
    assert bad.view().status == "failed"
    assert "\n" not in bad.view().message and "oracle" in bad.view().message
    assert store.load_run(bad.run_id).status == "failed"
    assert good.view().status == "finished"


def test_cap_refuses_with_a_clear_message(runs_dir, tiny):
    registry = JobRegistry(max_concurrent=1)
    cfg = _config(tiny, max_steps=1_000_000)
    first = registry.start(_new(tiny, cfg))
    try:
        with pytest.raises(JobLimitError, match="limit 1"):
            registry.start(_new(tiny, cfg))
        with pytest.raises(JobLimitError, match="already training"):
            registry.start(first.run_id)
    finally:
        registry.stop_all()
    assert first.view().status == "stopped"


def test_stopped_run_resumes_from_disk_in_a_new_registry(runs_dir, tiny):
    cfg = _config(tiny, max_steps=1_000_000)
    run_id = _new(tiny, cfg)
    job = JobRegistry().start(run_id, publish_every=0.0)
    assert _wait(lambda: _step(job) > 10)
    job.stop()
    job.join(30)
    stopped_at = store.load_run(run_id).summary.steps
    assert stopped_at > 10
    again = JobRegistry().start(run_id, resume=True, publish_every=0.0)
    assert _wait(lambda: _step(again) > stopped_at)
    again.stop()
    again.join(30)
    assert store.load_run(run_id).summary.steps > stopped_at


def test_two_apps_never_train_one_run(runs_dir, tiny):
    cfg = _config(tiny, max_steps=1_000_000)
    run_id = _new(tiny, cfg)
    first = JobRegistry().start(run_id, publish_every=0.0)  # one app process
    try:
        assert _wait(lambda: _step(first) > 3)
        other_app = JobRegistry()
        assert store.load_run(run_id).shown_status() == "running elsewhere"  # not 'interrupted': no Resume offered
        with pytest.raises(JobLimitError, match="already training"):
            other_app.start(run_id, resume=True)
    finally:
        first.stop()
        first.join(30)
    assert first.view().status == "stopped"


def test_deleting_a_training_run_stops_its_worker_and_it_stays_deleted(runs_dir, tiny):
    import shutil

    cfg = _config(tiny, max_steps=1_000_000)
    run_id = _new(tiny, cfg)
    job = JobRegistry().start(run_id, publish_every=0.0)
    assert _wait(lambda: _step(job) > 3)
    with pytest.raises(ValueError, match="stop it before deleting"):
        store.delete_run(run_id)  # the library refuses while the lock is held
    shutil.rmtree(store.run_path(run_id))  # a user removes the folder by hand anyway
    job.join(30)
    assert not job.alive and "deleted" in job.view().message
    time.sleep(0.5)
    assert not store.run_path(run_id).exists() and store.list_runs().empty


def test_start_needs_a_created_run(runs_dir):
    with pytest.raises(ValueError, match="no config or dataset"):
        JobRegistry().start("never-created")
    assert not store.run_path("never-created").exists()


def test_a_spare_worker_takes_the_next_job_and_is_replaced(runs_dir, tiny, tmp_path, monkeypatch):
    registry = JobRegistry(keep_spare=True, spare_delay=0.0)
    registry.warm()
    spare_pid = registry._spare[0].pid
    # the spare was launched before this runs folder existed: the job tells it where to train
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "later-runs"))
    run_id = _new(tiny, _config(tiny, max_steps=40))
    job = registry.start(run_id)
    assert job._process.pid == spare_pid
    job.join(120)
    assert job.view().status == "finished", job.view().message
    assert store.load_run(run_id).summary.steps == 40
    assert _wait(lambda: registry._spare is not None and registry._spare[0].pid != spare_pid, 30)
    spare = registry._spare[0]
    registry.stop_all()
    assert registry._spare is None and spare.poll() is not None  # closing its socket ends a waiting worker


def test_launch_run_creates_starts_and_records_its_source(runs_dir, tiny):
    registry = JobRegistry()
    run_id = launch_run(registry, tiny, _config(tiny, max_steps=20), "tiny", source="lessons")
    job = registry.get(run_id)
    job.join(120)
    assert job.view().status == "finished", job.view().message
    rec = store.load_run(run_id, arrays=False)
    assert rec.meta.source == "lessons" and rec.meta.data == "tiny" and rec.summary.steps == 20


@pytest.mark.parametrize(
    ("options", "cap"),
    [
        ({"method": "pcl"}, 2),  # needs temporal data: refused by the same check the trainer makes
        ({}, 0),  # the registry is full
    ],
)
def test_a_refused_launch_writes_nothing(runs_dir, tiny, options, cap):
    registry = JobRegistry(max_concurrent=cap)
    with pytest.raises((ValueError, JobLimitError)):
        launch_run(registry, tiny, _config(tiny, max_steps=20, **options), "tiny")
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    assert not registry.jobs()


def test_a_launch_whose_job_cannot_start_removes_its_folder(runs_dir, tiny, monkeypatch):
    def broken_start(self, run_id, **kw):
        assert store.run_path(run_id).is_dir()  # the folder exists when the job is started
        raise OSError("no worker could be started")

    monkeypatch.setattr(JobRegistry, "start", broken_start)
    with pytest.raises(OSError, match="no worker"):
        launch_run(JobRegistry(), tiny, _config(tiny, max_steps=20), "tiny")
    assert not any(runs_dir.iterdir())
