"""The command line as a whole: --version, exit codes (2 bad input, 1 the environment), `theory` without heavy
imports, and record-lessons reporting on stderr."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

import mechsparse
from mechsparse.cli.main import main
from mechsparse.data import dataset as dataset_mod
from mechsparse.teaching import recordings

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "scipy", "pandas")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "argv",
    [
        ["theory", "--preset", "action-nondiag"],
        ["theory", "--ga", "10.11", "--gz", "10.01"],
        ["--version"],
        ["generate", "--help"],
    ],
)
def test_light_commands_import_no_heavy_library(argv):
    """`python -m mechsparse theory ...` as a user runs it, then a look at what it imported."""
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['mechsparse', *{argv!r}]\n"
        "try:\n"
        "    runpy.run_module('mechsparse', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print('heavy:', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "heavy: []"


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"mechsparse {mechsparse.__version__}"


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err
    return err


def test_an_output_under_a_file_is_an_os_error_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    argv = ["train", "--preset", "teach-nested", "--n", "100", "--max-steps", "2", "--out", str(blocker / "run")]
    assert main(argv) == 1
    _one_line_error(capsys)
    assert main(["reproduce", "--grid", "quick", "--out", str(blocker / "grid")]) == 1
    _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a-file"]


def test_a_full_disk_is_exit_1_and_bad_input_stays_2(tmp_path, capsys, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dataset_mod, "save_dataset", disk_full)
    out = str(tmp_path / "d.npz")
    assert main(["generate", "--preset", "teach-nested", "--n", "30", "--out", out]) == 1
    assert "No space left on device" in _one_line_error(capsys)
    assert main(["generate", "--preset", "teach-nested", "--n", "0", "--out", out]) == 2
    _one_line_error(capsys)
    assert main(["train", "--data", str(tmp_path / "missing.npz")]) == 2  # an input file that is not there
    assert "no such file" in _one_line_error(capsys)


def test_an_unreadable_input_file_is_bad_input_exit_2(tmp_path, capsys, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(dataset_mod, "load_dataset", denied)
    assert main(["train", "--data", str(tmp_path / "d.npz")]) == 2
    assert "cannot read --data" in _one_line_error(capsys)


def test_record_lessons_reports_on_stderr(tmp_path, capsys, monkeypatch):
    def record_all(out, names, *, workers, seed, report):
        summary = {"mcc": 0.91, "r_con": 0.8, "shd_a": 1, "shd_z": None, "steps": 30}
        report(names[0], {"summary": summary}, None)
        report(names[1], None, "boom")

    monkeypatch.setattr(recordings, "record_all", record_all)
    names = ["time-diag", "teach-together"]
    assert main(["record-lessons", "--only", *names, "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("recording 2 lesson run(s) into")
    assert "time-diag: mcc=0.910  r_con=0.800  shd_a=1  steps=30" in lines[1]
    assert "teach-together: failed (boom)" in lines[2]
