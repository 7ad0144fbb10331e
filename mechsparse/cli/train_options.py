"""The training options of `train`: its flags, a TOML file (--config) and --set KEY=VALUE, merged into the
overrides of default_config. Every TrainConfig field can be reached; each source is checked by the same rules
(PARAM_RULES), so a bad key or value is one line naming it.

Precedence, lowest first: the tuned defaults of the data, the --config file, explicit flags, --set.
"""

from __future__ import annotations

import argparse
import textwrap
import tomllib

from mechsparse.learning import methods
from mechsparse.learning.config import PARAM_RULES, checked_options

CONFIG_MAX_BYTES = 64 * 1024  # a config file is a few lines; a bigger one is a mistake (or not a config)

# TrainConfig fields that have a flag of their own (--max-steps for max_steps, ...)
FLAG_FIELDS = (
    "method", "sparsity", "penalty", "bound", "masks", "seed", "device", "max_steps", "max_seconds", "model_size",
    "dz", "batch_size", "lr", "mask_lr", "hard", "hetero", "eval_every", "threads", "beta", "gamma", "rate",
)  # fmt: skip

EXAMPLE = """\
example, a config file slow.toml (TrainConfig fields, key = value; none for no value):
  max_steps = 20000
  anneal_from = 0.08
  anneal_to = 0.5
  grad_clip = "none"
and a run that takes it, a flag and two --set over it:
  python -m mechsparse train --preset time-diag --config slow.toml --seed 3 --set lr=1e-3 --set hard=true"""


def epilog() -> str:
    """The train help's epilog: precedence, every field --set and --config accept, an example."""
    fields = textwrap.fill("fields: " + ", ".join(PARAM_RULES), width=100, subsequent_indent="  ")
    precedence = (
        "Precedence, lowest first: the tuned defaults of the data < --config FILE.toml < explicit flags < --set.\n"
        '--set takes TOML values (lr=1e-3, hard=true, model_size="small"; a bare word is text: model_size=small).'
    )
    return f"{precedence}\n{fields}\n\n{EXAMPLE}"


def flag(key: str) -> str:
    """The flag of a TrainConfig field: max_steps -> --max-steps."""
    return "--" + key.replace("_", "-")


def read_config_file(path: str) -> dict[str, object]:
    """The checked options of a TOML config file; one-line ValueError (exit 2: bad input) when it cannot be read,
    is too large, is not TOML, or holds an unknown key, a table or a bad value."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(CONFIG_MAX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read --config {path!r}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > CONFIG_MAX_BYTES:
        raise ValueError(f"--config {path!r} is larger than {CONFIG_MAX_BYTES // 1024} KB; a config is a few lines")
    try:
        values = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"--config {path!r} is not a TOML file ({str(exc).splitlines()[0]})") from None
    for key, value in values.items():
        if isinstance(value, dict):
            raise ValueError(f"--config {path!r}: {key!r} is a table; write TrainConfig fields as key = value lines")
    return checked_options(values, f"--config {path!r}")


def toml_value(text: str) -> object:
    """A --set value read as TOML (1e-3, true, "small"); text that is not a TOML value is taken as a bare string."""
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["value"] if list(parsed) == ["value"] else text


def parse_sets(items: list[str]) -> dict[str, object]:
    """The checked options of the --set KEY=VALUE items (a later one wins over an earlier one of the same key)."""
    values: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set takes KEY=VALUE (a TrainConfig field), got {item!r}")
        values[key.strip()] = toml_value(text.strip())
    return checked_options(values, "--set")


def refuse_foreign(method_name: str, given: dict[str, str]) -> None:
    """A one-line ValueError for an option given on the command line (flag or --set) that only another method
    reads: given with this method it would be ignored, so it is refused. ``given``: option -> how it was given."""
    method = methods.get(method_name)
    foreign = methods.foreign_options(method, given)
    if foreign:
        words = ", ".join(given[key] for key in foreign)
        owners = sorted({m.name for m in methods.METHODS.values() for key in foreign if key in m.options})
        raise ValueError(f"{words} does not apply to --method {method.name} (it applies to {', '.join(owners)})")


def train_options(args: argparse.Namespace) -> dict[str, object]:
    """The overrides of default_config from the command line: --config < flags < --set, each checked."""
    from_file = read_config_file(args.config) if args.config else {}
    flags = {key: getattr(args, key) for key in FLAG_FIELDS}
    flags = {key: value for key, value in flags.items() if value is not None and value is not False}  # 0 is given
    sets = parse_sets(args.set or [])
    options = {**from_file, **flags, **sets}
    given = {key: flag(key) for key in flags} | {key: f"--set {key}" for key in sets}
    refuse_foreign(str(options.get("method", methods.SPARSE)), given)
    return options
