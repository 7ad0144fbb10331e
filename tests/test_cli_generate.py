"""`python -m mechsparse generate`: writes a loadable .npz; bad input exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mechsparse.cli.main import main
from mechsparse.data.dataset import load_dataset
from mechsparse.theory import graphs


def test_generate_writes_the_preset_dataset(tmp_path, capsys):
    out = tmp_path / "d.npz"
    assert main(["generate", "--preset", "action-nondiag", "--n", "300", "--seed", "4", "--out", str(out)]) == 0
    ds = load_dataset(out)
    assert ds.x.shape == (300, 1, 20) and ds.a.shape == (300, 1, 10) and ds.z.shape == (300, 1, 10)
    assert np.array_equal(ds.ga, graphs.preset("action-nondiag").ga) and ds.gz is None
    line = capsys.readouterr().out.strip()
    assert str(out) in line and "N=300" in line


def test_same_seed_same_file_bytes(tmp_path):
    paths = [tmp_path / f"{k}.npz" for k in range(3)]
    for path, seed in zip(paths, (1, 1, 2), strict=True):
        assert main(["generate", "--preset", "time-diag", "--n", "50", "--seed", str(seed), "--out", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()


def test_variant_kind_t_and_custom_graphs(tmp_path):
    out = tmp_path / "c.npz"
    argv = ["generate", "--ga", "10,11", "--gz", "10,11", "--kind", "intervention+time", "--t", "4"]
    argv += ["--variant", "k=2", "--dx", "5", "--n", "40", "--obs-share", "0.5", "--out", str(out)]
    assert main(argv) == 0
    ds = load_dataset(out)
    assert ds.x.shape == (40, 4, 5) and ds.gz.shape == (2, 2)
    assert np.isin(ds.a, (0, 1)).all() and (ds.a.sum(-1) <= 1).all()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--preset", "action-diag", "--n", "0"], "number of samples"),
        (["--preset", "action-diag", "--n", "ten"], "invalid int"),
        (["--preset", "nope"], "invalid choice"),
        (["--preset", "time-diag", "--t", "1"], "T >= 2"),
        (["--preset", "action-diag", "--kind", "temporal"], "needs a temporal graph"),
        (["--preset", "action-diag", "--variant", "k=9"], "invalid choice"),
        (["--ga", "12,01"], "0/1 digits"),
        ([], "give --preset"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, needle):
    out = tmp_path / "bad.npz"
    with pytest.raises(SystemExit) as exit_:
        code = main(["generate", *argv, "--out", str(out)])
        raise SystemExit(code)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_out_must_be_an_npz_in_an_existing_folder(tmp_path, capsys):
    assert main(["generate", "--preset", "action-diag", "--out", str(tmp_path / "d.csv")]) == 2
    assert main(["generate", "--preset", "action-diag", "--out", str(tmp_path / "no" / "d.npz")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_module_entry_point_exit_codes(tmp_path):
    out = tmp_path / "m.npz"
    ok = subprocess.run(
        [sys.executable, "-m", "mechsparse", "generate", "--preset", "teach-twins", "--n", "20", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and out.is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "mechsparse", "generate", "--preset", "teach-twins", "--n", "-1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
