"""Running grids: cells as run folders on the local pool and on a local Ray instance (the same table), resuming an
interrupted grid, the command line, and the core never importing Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from mechsparse.cli.main import main
from mechsparse.reproduce import grid_file, grids, local_pool, sweep, tables
from mechsparse.runs import store
from mechsparse.runs.jobs import JobRegistry

TINY = {
    "name": "tiny",
    "seeds": [0],
    "datasets": [{"preset": "teach-nested", "n": 400}, {"preset": "time-diag", "n": 300}],
    "methods": ["constraint", "none"],
    "budget": {"steps": 40},
    "config": {"eval_every": 20, "eval_samples": 200, "batch_size": 64, "device": "cpu"},
}
NUMBERS = ["mcc_mean", "r_con_mean", "shd_mean"]


def _run_local(path, grid=None, workers=2) -> sweep.GridFolder:
    folder = sweep.GridFolder.create(path, grid or grid_file.parse_grid(TINY))
    pool = local_pool.LocalPool(folder, JobRegistry(max_concurrent=workers), workers)
    pool.run()
    assert pool.errors == []
    return folder


@pytest.fixture(scope="module")
def local_grid(tmp_path_factory):
    """The tiny grid trained once on the local pool (its own runs folder)."""
    root = tmp_path_factory.mktemp("grid")
    mp = pytest.MonkeyPatch()
    mp.setenv("MECHSPARSE_RUNS_DIR", str(root / "runs"))
    folder = _run_local(root / "g")
    yield folder
    mp.undo()


def test_local_pool_trains_every_cell_as_a_run_folder(local_grid):
    results = pd.read_csv(local_grid.path / sweep.RESULTS_FILE)
    assert len(results) == 4 and set(results["status"]) == {"finished"} and (results["steps"] == 40).all()
    listed = store.list_runs()
    assert set(results["run_id"]) <= set(listed["run"])  # the Runs page shows them
    ids = json.loads((local_grid.path / sweep.CELLS_FILE).read_text())
    assert set(ids) == {c.key for c in local_grid.cells()}
    data = list((local_grid.path / "data").iterdir())
    assert len(data) == 2  # each dataset generated once, shared by its runs
    first = store.run_path(results["run_id"][0]) / "dataset.npz"
    assert (
        first.stat().st_nlink >= 2 or first.stat().st_size == (local_grid.path / "data" / data[0].name).stat().st_size
    )


def test_written_table_is_the_summary_of_the_results(local_grid):
    written = pd.read_csv(local_grid.path / sweep.TABLE_CSV)
    again = tables.summarise(pd.read_csv(local_grid.path / sweep.RESULTS_FILE), local_grid.grid)
    assert list(written["method"]) == ["constraint", "none", "constraint", "none"]
    pd.testing.assert_frame_equal(written[NUMBERS], again[NUMBERS])
    assert (local_grid.path / sweep.TABLE_MD).read_text().startswith("# tiny")
    assert written.loc[2, "mcc_paper"] == pytest.approx(0.96, abs=0.01)  # time-diag beside the paper's TimeDiag


def test_resume_keeps_finished_cells_and_trains_the_rest(local_grid, tmp_path):
    ids = local_grid.run_ids()
    cells = local_grid.cells()
    kept, cut, lost = cells[0], cells[1], cells[2]
    kept_stamp = store.run_stamp(ids[kept.key])
    store.update_summary(store.run_path(ids[cut.key]), status="running")  # cut off mid-run (its lock is free)
    del ids[lost.key]  # never started: no folder yet
    store.write_json(local_grid.path / sweep.CELLS_FILE, ids)
    again = sweep.GridFolder.create(local_grid.path, grid_file.parse_grid(TINY))
    assert {c.key for c in again.pending()} == {cut.key, lost.key}
    local_pool.LocalPool(again, JobRegistry(max_concurrent=2), 2).run()
    after = again.run_ids()
    assert store.run_stamp(after[kept.key]) == kept_stamp  # untouched
    assert after[cut.key] == ids[cut.key] and again.run_status(cut) == "finished"  # trained again in its folder
    assert again.run_status(lost) == "finished" and again.pending() == []


def test_a_folder_holds_one_grid(local_grid):
    other = grid_file.parse_grid({**TINY, "seeds": [1]})
    with pytest.raises(grids.GridError, match="holds another grid"):
        sweep.GridFolder.create(local_grid.path, other)
    with pytest.raises(grids.GridError, match="holds another grid"):
        sweep.GridFolder.create(local_grid.path, grid_file.parse_grid(TINY), seconds=5)


def test_ray_backend_gives_the_same_table(local_grid, tmp_path):
    import ray

    from mechsparse.reproduce import ray_backend

    folder = sweep.GridFolder.create(tmp_path / "ray", grid_file.parse_grid(TINY))
    pool = ray_backend.RayPool(folder, num_cpus=2)
    table = pool.run()
    assert pool.errors == [] and not ray.is_initialized()  # the local instance it started is shut down
    results = folder.results()
    assert set(results["status"]) == {"finished"}
    assert set(results["run_id"]).isdisjoint(local_grid.results()["run_id"])
    local = pd.read_csv(local_grid.path / sweep.TABLE_CSV)
    pd.testing.assert_frame_equal(table[NUMBERS].reset_index(drop=True), local[NUMBERS], rtol=1e-9)
    summary = store.read_json(store.run_path(results["run_id"][0]) / "summary.json")
    assert summary["status"] == "finished" and summary["device"] == "cpu"  # written here by the driver


def test_cli_reproduce_runs_resumes_and_refuses(runs_dir, tmp_path, capsys):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({**TINY, "datasets": TINY["datasets"][:1]}))
    out = tmp_path / "out"
    assert main(["reproduce", "--grid", str(path), "--out", str(out), "--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert "| teach-nested | constraint | 1 |" in captured.out and "2/2 runs" in captured.err
    assert {p.name for p in out.iterdir()} >= {"results.csv", "table.csv", "table.md", "grid.json", "cells.json"}
    assert main(["reproduce", "--grid", str(path), "--out", str(out)]) == 0
    assert "2 already finished" in capsys.readouterr().err
    assert main(["reproduce", "--grid", "quick", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--grid", "nope"], "neither a built-in grid"),
        (["--grid", "quick", "--workers", "0"], "--workers must be"),
        (["--grid", "quick", "--seconds", "-1"], "--seconds must be"),
        (["--grid", "quick", "--ray-address", "auto"], "go with --backend ray"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(argv, words, tmp_path, capsys):
    assert main(["reproduce", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err


def test_bad_grid_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["action-nondiag"]\nmethods = ["lasso"]\n')
    assert main(["reproduce", "--grid", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: methods[0]: unknown method 'lasso'; choose one of: none, penalty, constraint, ivae, tcvae, slowvae, "
        "pcl, supervised, random, sparse, or a table"
    )
    assert not (tmp_path / "o").exists()


def test_the_core_and_the_app_never_import_ray():
    code = (
        "import sys; sys.argv = ['x']\n"
        "import mechsparse.cli.main, mechsparse.cli.reproduce, mechsparse.reproduce.sweep, mechsparse.reproduce.grids\n"
        "import mechsparse.reproduce.paper_figures, app_state\n"
        "print('ray' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.strip() == "False"


def test_a_cell_trained_elsewhere_is_reported_not_waited_for(runs_dir, tmp_path):
    from mechsparse.runs.lock import RunLock

    grid = grid_file.parse_grid({**TINY, "datasets": TINY["datasets"][:1], "methods": ["none"]})
    folder = sweep.GridFolder.create(tmp_path / "g", grid)
    run_id = folder.prepare(folder.cells()[0])
    with RunLock(store.run_path(run_id)).acquire():  # another process trains it
        pool = local_pool.LocalPool(folder, JobRegistry(max_concurrent=1), 1)
        pool.run()
    assert len(pool.errors) == 1 and "being trained by another process" in pool.errors[0]
