"""`train --config FILE.toml` and `--set KEY=VALUE`: every TrainConfig field is reachable, checked by the same rules
(one line naming the key), and the sources stack: tuned defaults < --config < flags < --set."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mechsparse.cli import train
from mechsparse.cli.main import build_parser, main
from mechsparse.cli.train_options import CONFIG_MAX_BYTES
from mechsparse.data import synthetic
from mechsparse.learning import methods
from mechsparse.learning.config import PARAM_RULES, Rule, TrainConfig, default_config
from mechsparse.theory import graphs

PRESET = "teach-combined"  # actions and time steps: every method can train on it
BASE = ["train", "--preset", PRESET, "--n", "100"]


def _prepare(argv: list[str]) -> tuple[str, TrainConfig]:
    """The dataset name and config `train` would run with, without training."""
    _, name, config = train.prepare(build_parser().parse_args([*BASE, *argv]))
    return name, config


def _other_value(name: str, rule: Rule, default: object) -> object:
    """A valid value of a field that differs from its default."""
    if rule.choices:
        return next(choice for choice in rule.choices if choice != default)
    if rule.kind == "bool":
        return not default
    if rule.kind == "int":
        return int(rule.low) + 1
    return float(rule.low) + 0.5


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _owner(name: str) -> list[str]:
    """--set method=... for an option only a baseline reads (it is refused with the sparse VAE)."""
    owners = [m.name for m in methods.METHODS.values() if name in m.options]
    return [] if not owners or methods.SPARSE in owners else ["--set", f'method="{owners[0]}"']


def test_the_rules_cover_every_field():
    assert [f.name for f in dataclasses.fields(TrainConfig)] == list(PARAM_RULES)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(TrainConfig)])
def test_every_field_is_settable_with_set(field):
    default = getattr(TrainConfig(), field)
    value = _other_value(field, PARAM_RULES[field], default)
    _, config = _prepare(["--set", f"{field}={_toml(value)}", *_owner(field)])
    assert getattr(config, field) == value and type(getattr(config, field)) is type(value)


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("lr=1e-3", "lr", 1e-3),
        ("hard=true", "hard", True),
        ('model_size="tiny"', "model_size", "tiny"),
        ("model_size=tiny", "model_size", "tiny"),  # a bare word is text
        ("bound=5", "bound", 5.0),  # an integer where the field is a float becomes a float, as --bound 5 gives
        ("grad_clip=none", "grad_clip", None),  # TOML has no null
        (" max_steps = 7 ", "max_steps", 7),
    ],
)
def test_set_values_are_toml(text, field, expected):
    _, config = _prepare(["--set", text])
    assert getattr(config, field) == expected and type(getattr(config, field)) is type(expected)


def test_a_toml_file_sets_fields(tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text('# a comment\nmax_steps = 30\nanneal_from = 0.08\nanneal_to = 0.5\ngrad_clip = "none"\n')
    _, config = _prepare(["--config", str(path)])
    assert (config.max_steps, config.anneal_from, config.anneal_to, config.grad_clip) == (30, 0.08, 0.5, None)
    assert config.logit_clip == default_config(PRESET).logit_clip  # the tuned defaults stay under the file


def test_a_whole_config_round_trips_through_a_file(tmp_path):
    """A file may hold every field (options of other methods too): the run gets exactly that config."""
    wanted = TrainConfig(method="sparse", max_steps=40, seed=3, beta=0.5, grad_clip=None, device="cpu")
    lines = [f"{k} = {_toml('none' if v is None else v)}" for k, v in wanted.to_dict().items()]
    path = tmp_path / "all.toml"
    path.write_text("\n".join(lines))
    assert _prepare(["--config", str(path)])[1] == wanted


def test_precedence_defaults_file_flags_set(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("lr = 0.01\nseed = 5\nmax_steps = 7\n")
    tuned = default_config(PRESET)
    assert _prepare([])[1].lr == tuned.lr
    _, config = _prepare(["--config", str(path)])
    assert (config.lr, config.seed, config.max_steps) == (0.01, 5, 7)
    assert _prepare(["--config", str(path), "--lr", "0.02"])[1].lr == 0.02
    assert _prepare(["--config", str(path), "--lr", "0.02", "--set", "lr=0.03"])[1].lr == 0.03
    assert _prepare(["--set", "lr=0.03", "--lr", "0.02"])[1].lr == 0.03  # --set wins wherever it is written


def test_the_seed_of_a_file_also_seeds_the_generated_data(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("seed = 5\n")
    args = build_parser().parse_args([*BASE, "--config", str(path)])
    ds, _, _ = train.prepare(args)
    assert np.array_equal(ds.x, synthetic.generate(graphs.preset(PRESET), 100, seed=5, name=PRESET).x)


def test_a_run_records_the_config_it_was_given(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("max_steps = 4\neval_every = 2\ntemperature = 0.5\n")
    out = tmp_path / "run"
    argv = [*BASE, "--config", str(path), "--set", "residual=true", "--set", "eval_samples=50", "--out", str(out)]
    assert main(argv) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert (config["max_steps"], config["temperature"], config["residual"], config["eval_samples"]) == (
        4,
        0.5,
        True,
        50,
    )


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--set", "foo=1"], "--set: unknown training option 'foo'"),
        (["--set", "max-steps=3"], "(write max_steps)"),
        (["--set", "lr=abc"], "--set: lr must be a finite number"),
        (["--set", "lr=0"], "--set: lr must be a finite number above 0"),
        (["--set", "hard=yes"], "hard must be true or false"),
        (["--set", "max_steps=2.5"], "max_steps must be an integer"),
        (["--set", "model_size=huge"], "model_size must be one of"),
        (["--set", "lr"], "--set takes KEY=VALUE"),
        (["--set", "beta=2"], "--set beta does not apply to --method sparse (it applies to tcvae)"),
        (["--set", 'method="ivae"', "--penalty", "3"], "--penalty does not apply to --method ivae"),
    ],
)
def test_bad_set_is_one_line_exit_2(extra, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    assert main([*BASE, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and fragment in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("foo = 1\n", "unknown training option 'foo'"),
        ("lr = -1\n", "lr must be"),
        ('max_steps = "many"\n', "max_steps must be an integer"),
        ("[train]\nlr = 0.1\n", "'train' is a table"),
        ("lr = \n", "is not a TOML file"),
        (b"\xff\xfe", "is not a TOML file"),
        ("x" * (CONFIG_MAX_BYTES + 1), "larger than 64 KB"),
    ],
)
def test_bad_config_file_is_one_line_exit_2(content, fragment, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main([*BASE, "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and fragment in err


def test_a_missing_config_file_is_bad_input(tmp_path, capsys):
    assert main([*BASE, "--config", str(tmp_path / "none.toml")]) == 2
    assert "cannot read --config" in capsys.readouterr().err


def test_the_help_shows_precedence_and_an_example(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--config FILE.toml < explicit flags < --set" in out
    assert "  python -m mechsparse train --preset time-diag --config slow.toml" in out  # its lines kept
    assert all(name in out for name in PARAM_RULES)
