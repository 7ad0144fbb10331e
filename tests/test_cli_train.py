"""`python -m mechsparse train`: files written, learning happens, bad input exits 2 with one line."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from mechsparse.cli.main import main
from mechsparse.data import dataset as data_mod
from mechsparse.data import synthetic
from mechsparse.learning.config import TrainConfig, default_threads
from mechsparse.theory import graphs


def test_train_preset_writes_files_and_beats_the_starting_mcc(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--preset", "teach-complete", "--n", "2000", "--max-steps", "600", "--eval-every", "100"]
    assert main([*args, "--out", str(out), "--threads", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("mcc", "r", "r_con", "shd_a", "shd_z", "steps", "seconds", "steps_per_second", "device"):
        assert key in summary
    assert summary["steps"] == 600 and summary["device"] == "cpu" and summary["shd_z"] is None
    history = pd.read_csv(out / "history.csv")
    assert list(history["step"]) == [0, 100, 200, 300, 400, 500, 600]  # step 0: where training starts
    assert {"mcc", "r_con", "edge_count", "bound", "multiplier", "elbo"} <= set(history.columns)
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["sparsity"] == "constraint" and config["max_steps"] == 600

    start = history["mcc"][0]  # the model before any step, which is also where the unregularised run starts
    assert summary["mcc"] > start + 0.1
    err = capsys.readouterr().err
    assert "steps/s" in err and "MCC" in err and "edges" in err


def test_train_data_file_without_latents_gives_null_metrics(tmp_path):
    ds = synthetic.generate(graphs.preset("teach-nested"), 300, seed=2)
    path = tmp_path / "noz.npz"
    np.savez(path, x=ds.x, a=ds.a, ga=ds.ga)
    out = tmp_path / "run"
    assert main(["train", "--data", str(path), "--max-steps", "20", "--eval-every", "10", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mcc"] is None and summary["r_con"] is None and summary["steps"] == 20
    assert summary["target_bound"] == 3.0  # the true edge count of the file's graph


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["train", "--data", "/nonexistent/file.npz"], "no such file"),
        (["train"], "exactly one of"),
        (["train", "--preset", "teach-complete", "--data", "x.npz"], "exactly one of"),
        (["train", "--preset", "teach-complete", "--sparsity", "lasso"], "invalid choice"),
        (["train", "--preset", "nope"], "invalid choice"),
        (["train", "--preset", "teach-complete", "--max-steps", "0"], "max_steps"),
        (["train", "--preset", "teach-complete", "--max-steps", "ten"], "invalid int"),
        (["train", "--preset", "teach-complete", "--n", "5"], "--n"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
    assert fragment in _one_line_error(capsys)


def test_bad_data_files_exit_2(tmp_path, capsys):
    no_x = tmp_path / "nox.npz"
    np.savez(no_x, z=np.zeros((10, 1, 2)))
    assert main(["train", "--data", str(no_x)]) == 2
    assert "x" in _one_line_error(capsys)
    not_npz = tmp_path / "bad.npz"
    not_npz.write_text("hello")
    assert main(["train", "--data", str(not_npz)]) == 2
    _one_line_error(capsys)
    bare = tmp_path / "bare.npz"
    np.savez(bare, x=np.random.default_rng(0).normal(size=(50, 1, 4)).astype(np.float32))
    assert main(["train", "--data", str(bare)]) == 2
    assert "dz" in _one_line_error(capsys)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_gpu_exits_2(capsys):
    assert main(["train", "--preset", "teach-complete", "--n", "100", "--device", "cuda"]) == 2
    assert "CUDA" in _one_line_error(capsys)


TINY = ["train", "--preset", "teach-nested", "--n", "600", "--eval-every", "20"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--threads", "-1"], "threads"),
        (["--threads", "0"], "threads"),
        (["--max-seconds", "nan"], "max_seconds"),
        (["--max-seconds", "inf"], "max_seconds"),
        (["--penalty", "nan", "--sparsity", "penalty"], "penalty"),
        (["--penalty", "inf", "--sparsity", "penalty"], "penalty"),
        (["--bound", "inf"], "bound"),
        (["--bound", "nan"], "bound"),
        (["--batch-size", "1000000000"], "batch_size"),
        (["--lr", "nan"], "lr"),
        (["--save-every", "nan"], "--save-every"),
        (["--n", "100000000"], "--n"),
        (["--method", "slowvae"], "needs temporal data"),
        (["--method", "pcl"], "needs temporal data"),
        (["--method", "ivae", "--beta", "2"], "--beta does not apply to --method ivae (it applies to tcvae)"),
        (["--method", "tcvae", "--sparsity", "none"], "--sparsity does not apply to --method tcvae"),
        (["--method", "pcl", "--bound", "3"], "--bound does not apply"),
        (["--gamma", "2"], "--gamma does not apply to --method sparse (it applies to slowvae)"),
        (["--method", "tcvae", "--beta", "-1"], "beta must be"),
        (["--method", "slowvae", "--rate", "0"], "rate must be"),
        (["--method", "tcvae", "--batch-size", "5000"], "batch size must be at most 4096"),
        (["--method", "supervised", "--dz", "3"], "regresses on the true latents"),
    ],
)
def test_bad_values_exit_2_with_one_line_and_create_no_run(extra, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    assert main([*TINY, "--max-steps", "5", *extra]) == 2
    assert fragment in _one_line_error(capsys)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_bad_out_exits_2_and_leaves_no_temp_file(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main([*TINY, "--max-steps", "5", "--out", str(blocker)]) == 2
    assert "not an empty folder" in _one_line_error(capsys)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    assert main([*TINY, "--max-steps", "5", "--out", str(used)]) == 2
    _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a-file", "notes.txt", "used"]


def test_a_save_error_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    def disk_full(*args, **kwargs):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", disk_full)
    out = tmp_path / "run"
    assert main([*TINY, "--max-steps", "30", "--out", str(out), "--save-every", "0"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error: RuntimeError: PytorchStreamWriter failed" in err
    assert json.loads((out / "summary.json").read_text())["status"] == "failed"
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_default_threads_follow_the_model_size():
    assert default_threads(TrainConfig(model_size="small")) == 1
    assert default_threads(TrainConfig(model_size="small", threads=3)) == 3


def test_data_seed_fixes_the_data_while_the_seed_varies_training(tmp_path):
    """The authors keep one dataset and vary the training seed: --data-seed makes that a spread over the method."""
    base = ["train", "--preset", "teach-complete", "--n", "300", "--max-steps", "5", "--eval-every", "5"]
    outs = [tmp_path / f"run{seed}" for seed in (0, 1)]
    for seed, out in zip((0, 1), outs, strict=True):
        assert main([*base, "--seed", str(seed), "--data-seed", "7", "--out", str(out)]) == 0
    first, second = (data_mod.load_dataset(out / "dataset.npz") for out in outs)
    assert np.array_equal(first.x, second.x)
    expected = synthetic.generate(graphs.preset("teach-complete"), 300, seed=7, name="teach-complete")
    assert np.array_equal(first.x, expected.x)
    configs = [json.loads((out / "config.json").read_text())["config"]["seed"] for out in outs]
    assert configs == [0, 1]


def test_data_seed_with_a_data_file_is_one_line_error(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "x.npz"), "--data-seed", "3"]) == 2
    assert "--data-seed" in _one_line_error(capsys)


def test_short_temporal_run_anneals_and_learns(tmp_path):
    """Temporal data from a file, end to end with the temporal defaults: the bound holds every entry for 500 steps
    then falls toward the true count, the edges follow it, and the latents beat where training started."""
    ds = synthetic.generate(graphs.GraphSpec(gz=np.eye(3)), 3000, seed=4, name="time-3")
    path = tmp_path / "time3.npz"
    data_mod.save_dataset(path, ds)
    out = tmp_path / "run"
    args = ["train", "--data", str(path), "--max-steps", "1500", "--eval-every", "100", "--out", str(out)]
    assert main([*args, "--threads", "1"]) == 0
    history = pd.read_csv(out / "history.csv").set_index("step")
    assert history.loc[0, "bound"] == 9.0 and history.loc[500, "bound"] == 9.0
    assert history.loc[1500, "bound"] == pytest.approx(9.0 - 6.0 * 1000 / 2000)
    assert history.loc[1500, "edge_count"] < history.loc[500, "edge_count"] - 1.0
    assert history.loc[1500, "mcc"] > history.loc[0, "mcc"] + 0.1


@pytest.mark.parametrize("method", ["ivae", "tcvae", "supervised", "random"])
def test_train_method_writes_a_run_of_that_method(method, tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TINY, "--method", method, "--max-steps", "40", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == method and summary["mcc"] is not None and summary["shd_a"] is None
    assert json.loads((out / "config.json").read_text())["config"]["method"] == method
    assert summary["steps"] == (0 if method == "random" else 40)
    assert "edges" not in capsys.readouterr().err  # no graph, no edge count in the progress line
