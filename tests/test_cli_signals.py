"""The CLI's run survives a SIGTERM or a kill: it saves as it goes, and the app lists and resumes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mechsparse.runs import store
from mechsparse.runs.jobs import JobRegistry

ROOT = Path(__file__).resolve().parent.parent


def _start_cli(runs_dir: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mechsparse", "train", "--preset", "teach-nested", "--n", "600"]
    cmd += ["--max-steps", "1000000", "--eval-every", "20", "--device", "cpu", "--save-every", "0.2"]
    env = dict(os.environ, MECHSPARSE_RUNS_DIR=str(runs_dir), OMP_NUM_THREADS="1")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_steps(runs_dir: Path, proc: subprocess.Popen, steps: int, timeout: float = 90.0) -> str:
    """The CLI's run id once its folder has saved at least ``steps`` steps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for folder in runs_dir.glob("*") if runs_dir.exists() else []:
            try:
                if json.loads((folder / "summary.json").read_text()).get("steps", 0) >= steps:
                    return folder.name
            except (OSError, ValueError):
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the CLI saved no progress in time")


def _resume_in_app(run_id: str, steps_before: int) -> None:
    """What the Train page's Resume button does: a job in the app continues the CLI's run."""
    job = JobRegistry().start(run_id, resume=True, publish_every=0.0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (job.view().snapshot is None or job.view().snapshot.step <= steps_before):
        time.sleep(0.1)
    job.stop()
    job.join(60)
    assert job.view().status == "stopped", job.view().message
    assert store.load_run(run_id).summary.steps > steps_before


def test_sigterm_saves_a_stopped_run_that_the_app_resumes(runs_dir):
    proc = _start_cli(runs_dir)
    run_id = _wait_for_steps(runs_dir, proc, 20)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "SIGTERM" in err
    rec = store.load_run(run_id)
    assert rec.status == "stopped" and rec.shown_status() == "stopped" and rec.meta.source == "cli"
    _resume_in_app(run_id, rec.summary.steps)


def test_a_killed_cli_run_is_interrupted_not_starting_forever(runs_dir):
    proc = _start_cli(runs_dir)
    run_id = _wait_for_steps(runs_dir, proc, 20)
    assert store.load_run(run_id).shown_status() == "running elsewhere"
    proc.kill()
    proc.communicate(timeout=30)
    rec = store.load_run(run_id)
    assert rec.status == "running" and rec.shown_status() == "interrupted"
    assert (store.run_path(run_id) / "checkpoint.pt").exists()
    _resume_in_app(run_id, rec.summary.steps)
