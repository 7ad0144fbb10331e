"""`python -m mechsparse theory`: the same verdict on the terminal; bad input exits 2 with one line."""

import subprocess
import sys
from pathlib import Path

import pytest

from mechsparse.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def run_theory(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    try:
        code = main(["theory", *args])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_preset_prints_pattern_and_verdict(capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_theory(["--preset", "teach-nested"], capsys)
    assert code == 0 and err == ""
    assert "verdict: partial: z2 identified; z1 may mix with ẑ2" in out
    assert "identified: z2" in out
    assert "ẑ1   ẑ2" in out and "z1   1    1" in out and "z2   0    1" in out
    assert "z1 is not identified: it may mix with ẑ2, as z2 also has its action parent a1." in out
    assert "may depend on" not in out and "mix in " not in out and "{}" not in out  # one vocabulary


def test_ga_and_gz_rows(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_theory(["--ga", "1,1", "--gz", "10,11"], capsys)
    assert code == 0
    assert "verdict: complete disentanglement" in out
    assert run_theory(["--ga", "1.1", "--gz", "10.11"], capsys)[1] == out  # the dots of a ?g= link work too
    code, out, _ = run_theory(["--ga", "1,1"], capsys)
    assert "twins: {z1, z2}" in out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--ga", "12,01"], "separated by dots, e.g. 110.011"),
        (["--ga", "10,01", "--gz", "1"], "one row per latent"),
        (["--preset", "nope"], "invalid choice"),
        (["--preset", "teach-nested", "--ga", "1"], "not both"),
        ([], "give --preset"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], fragment: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_theory(args, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error:") and fragment in err


def test_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mechsparse", "theory", "--ga", "1x"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: Ga:") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
