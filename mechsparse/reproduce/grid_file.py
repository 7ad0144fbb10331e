"""The grid file: a small TOML or JSON file (or one of grids.BUILTIN_GRIDS) read into a validated Grid.

    name = "my-sweep"
    seeds = [0, 1, 2]
    datasets = ["action-nondiag", "time-nondiag:k=2"]   # preset[:variant], or tables with n, kind, variant
    methods = ["constraint", "none", "ivae"]            # shorthands, or tables of TrainConfig values
    budget = {seconds = {action = 60, time = 150}}      # or {steps = 3000}, or "default" (default_config's)

Everything is checked before anything runs: unknown keys, presets, variants, methods and option values are a
one-line GridError naming where they are.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from mechsparse.data import synthetic
from mechsparse.learning import config as config_mod
from mechsparse.learning import methods
from mechsparse.reproduce.grids import BUILTIN_GRIDS, KIND_NAMES, DataEntry, Grid, GridError, MethodEntry
from mechsparse.theory import graphs

GRID_KEYS = {"name", "description", "seeds", "data_seed", "datasets", "methods", "budget", "config"}
DATASET_KEYS = {"preset", "variant", "kind", "n"}
CELL_FIELDS = {"seed", "max_steps", "max_seconds"}  # set by the grid for every cell, never by a method entry
MAX_CELLS = 10_000


def _fail(where: str, message: str) -> GridError:
    return GridError(f"{where}: {message}")


def _int(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, f"must be an integer from {low} to {high:,}, got {value!r}")
    return value


def _rule_range(name: str) -> tuple[int, int]:
    """The range TrainConfig's rule declares for ``name`` (PARAM_RULES), so a grid accepts what a run accepts."""
    rule = config_mod.PARAM_RULES[name]
    return int(rule.low), int(rule.high)


def _number(value, where: str) -> float:
    high = config_mod.PARAM_RULES["max_seconds"].high
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= high:
        raise _fail(where, f"must be a positive number, got {value!r}")
    return float(value)


def _parse_dataset(item, where: str) -> DataEntry:
    if isinstance(item, str):
        preset, _, variant = item.partition(":")
        item = {"preset": preset, "variant": variant or "standard"}
    if not isinstance(item, dict):
        raise _fail(where, f"must be a preset name or a table with preset, variant, kind, n; got {item!r}")
    unknown = sorted(set(item) - DATASET_KEYS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(DATASET_KEYS))})")
    preset = item.get("preset")
    if preset not in graphs.PRESETS:
        raise _fail(where, f"unknown preset {preset!r}; choose one of: {', '.join(graphs.PRESETS)}")
    n = item.get("n")
    entry = DataEntry(preset, item.get("variant", "standard"), item.get("kind"), n)
    if n is not None:
        _int(n, f"{where}.n", 20, 10_000_000)
    try:
        synthetic.check_kind(entry.spec, entry.kind, entry.variant)
    except ValueError as exc:
        raise _fail(where, str(exc)) from None
    return entry


SHORTHANDS = {mode: {"sparsity": mode} for mode in config_mod.SPARSITY_MODES}
SHORTHANDS |= {name: {"method": name} for name in methods.METHOD_NAMES if name != methods.SPARSE}
SHORTHANDS["sparse"] = {}


def method_name(options: dict) -> str:
    """A table label from a method's options: 'constraint', 'constraint b=10', 'penalty c=16', 'tcvae β=0.5'."""
    method = options.get("method", methods.SPARSE)
    if method != methods.SPARSE:
        shown = [f"{sym}={options[k]:g}" for k, sym in methods.OPTION_SYMBOLS.items() if k in options]
        return " ".join([method, *shown])
    name = options.get("sparsity", "constraint")
    if name == "constraint" and options.get("bound") is not None:
        name += f" b={options['bound']:g}"
    if name == "penalty" and "penalty" in options:
        name += f" c={options['penalty']:g}"
    return name


def _parse_method(item, where: str, grid_config: dict) -> MethodEntry:
    if isinstance(item, str):
        if item not in SHORTHANDS:
            raise _fail(where, f"unknown method {item!r}; choose one of: {', '.join(SHORTHANDS)}, or a table")
        item = dict(SHORTHANDS[item])
    if not isinstance(item, dict):
        raise _fail(where, f"must be a method name or a table of training options; got {item!r}")
    options = {k: v for k, v in item.items() if k != "name"}
    bad = sorted(set(options) & CELL_FIELDS)
    if bad:
        raise _fail(where, f"{', '.join(bad)} belong to the grid (seeds, budget), not to a method")
    try:
        config_mod.TrainConfig.from_dict({**grid_config, **options})
    except (ValueError, TypeError) as exc:
        raise _fail(where, str(exc).splitlines()[0]) from None
    method = methods.get(options.get("method", methods.SPARSE))
    foreign = sorted(methods.foreign_options(method, options))
    if foreign:
        raise _fail(where, f"{', '.join(foreign)} do(es) not apply to method {method.name}")
    name = item.get("name", method_name(options))
    if not isinstance(name, str) or not name.strip() or "|" in name:
        raise _fail(f"{where}.name", f"must be a non-empty text without '|', got {name!r}")
    return MethodEntry(name.strip(), options)


def _parse_budget(value, where: str = "budget") -> dict:
    if value in (None, "default"):
        return {}
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("seconds", "steps"):
        raise _fail(where, f'must be "default", {{seconds = S}} or {{steps = N}}, got {value!r}')
    unit, amount = next(iter(value.items()))
    check = _number if unit == "seconds" else (lambda v, w: _int(v, w, *_rule_range("max_steps")))
    if isinstance(amount, dict):
        if set(amount) != set(KIND_NAMES):
            raise _fail(f"{where}.{unit}", f"a table needs exactly the keys action and time, got {sorted(amount)}")
        return {unit: {k: check(v, f"{where}.{unit}.{k}") for k, v in amount.items()}}
    return {unit: check(amount, f"{where}.{unit}")}


def parse_grid(raw: dict, *, default_name: str = "grid") -> Grid:
    """A Grid from plain data (a parsed TOML or JSON file); a one-line GridError for anything wrong."""
    if not isinstance(raw, dict):
        raise GridError("a grid must be a table (TOML) or an object (JSON)")
    unknown = sorted(set(raw) - GRID_KEYS)
    if unknown:
        raise GridError(f"unknown grid key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(GRID_KEYS))})")
    grid_config = raw.get("config", {})
    if not isinstance(grid_config, dict):
        raise _fail("config", "must be a table of training options")
    bad = sorted(set(grid_config) & (CELL_FIELDS | {"method"}))
    if bad:
        raise _fail("config", f"{', '.join(bad)} cannot be set for the whole grid")
    try:
        config_mod.TrainConfig.from_dict(grid_config)
    except (ValueError, TypeError) as exc:
        raise _fail("config", str(exc).splitlines()[0]) from None
    seeds = raw.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds:
        raise _fail("seeds", f"must be a non-empty list of integers, got {seeds!r}")
    seeds = tuple(_int(s, f"seeds[{i}]", *_rule_range("seed")) for i, s in enumerate(seeds))
    if len(set(seeds)) != len(seeds):
        raise _fail("seeds", "has duplicates")
    for key in ("datasets", "methods"):
        if not isinstance(raw.get(key), list) or not raw[key]:
            raise _fail(key, "must be a non-empty list")
    datasets = tuple(_parse_dataset(d, f"datasets[{i}]") for i, d in enumerate(raw["datasets"]))
    methods_ = tuple(_parse_method(m, f"methods[{i}]", grid_config) for i, m in enumerate(raw["methods"]))
    for what, keys in (("datasets", [d.key for d in datasets]), ("methods", [m.name for m in methods_])):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise _fail(what, f"{', '.join(dupes)} appear(s) twice; give each a distinct name")
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise _fail("name", f"must be a non-empty text, got {name!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _fail("description", "must be a text")
    grid = Grid(
        name=name.strip(),
        datasets=datasets,
        methods=methods_,
        seeds=seeds,
        budget=_parse_budget(raw.get("budget")),
        data_seed=_int(raw.get("data_seed", 0), "data_seed", 0, 2**32 - 1),
        config=dict(grid_config),
        description=description,
    )
    count = len(grid.cells())
    if count == 0:
        raise GridError("no method of the grid can train on any of its datasets: " + "; ".join(grid.skipped))
    if count > MAX_CELLS:
        raise GridError(f"the grid has {count:,} runs; keep it at most {MAX_CELLS:,}")
    return grid


def read_grid_text(text: str, fmt: str, name: str = "grid") -> Grid:
    """A grid from the text of a .toml or .json file."""
    try:
        raw = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise GridError(f"not valid {fmt.upper()}: {str(exc).splitlines()[0]}") from None
    return parse_grid(raw, default_name=name)


def builtin(name: str) -> Grid:
    """A grid of BUILTIN_GRIDS by name, validated as a file would be."""
    if name not in BUILTIN_GRIDS:
        raise GridError(f"unknown grid {name!r}; built-in grids are {', '.join(BUILTIN_GRIDS)}, or give a file")
    return parse_grid({"name": name, **BUILTIN_GRIDS[name]})


def load_grid(name_or_path: str) -> Grid:
    """A built-in grid by name, or a grid file (.toml or .json); a one-line GridError otherwise."""
    if name_or_path in BUILTIN_GRIDS:
        return builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() not in (".toml", ".json"):
        raise GridError(
            f"{name_or_path!r} is neither a built-in grid ({', '.join(BUILTIN_GRIDS)}) nor a .toml / .json file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GridError(f"cannot read {name_or_path!r}: {type(exc).__name__}") from None
    return read_grid_text(text, path.suffix.lower().lstrip("."), name=path.stem)
