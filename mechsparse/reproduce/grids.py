"""Experiment grids: which datasets, methods, seeds and budget a reproduction runs, as data.

A grid is a small TOML or JSON file (or one of BUILTIN_GRIDS) that expands into cells, one run each:

    name = "my-sweep"
    seeds = [0, 1, 2]
    datasets = ["action-nondiag", "time-nondiag:k=2"]   # preset[:variant], or tables with n, kind, variant
    methods = ["constraint", "none", "ivae"]            # shorthands, or tables of TrainConfig values
    budget = {seconds = {action = 60, time = 150}}      # or {steps = 3000}, or "default" (default_config's)

Everything is checked before anything runs: unknown keys, presets, variants, methods and option values are a
one-line GridError naming where they are. A method that cannot train on a dataset (SlowVAE on action data) is
skipped for that dataset and listed in ``Grid.skipped``, so one grid can mix action and temporal data.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mechsparse.data import synthetic
from mechsparse.learning import config as config_mod
from mechsparse.learning import methods
from mechsparse.reproduce import published
from mechsparse.theory import graphs, identifiability

GRID_KEYS = {"name", "description", "seeds", "data_seed", "datasets", "methods", "budget", "config"}
DATASET_KEYS = {"preset", "variant", "kind", "n"}
CELL_FIELDS = {"seed", "max_steps", "max_seconds"}  # set by the grid for every cell, never by a method entry
KIND_NAMES = ("action", "time")  # budget keys: data without and with time steps
# CPU steps per second of one run on one core (BENCHMARKS.md, 2-core VM): only for time estimates of step budgets
STEPS_PER_SECOND = {"action": 150.0, "time": 125.0}
MAX_CELLS = 10_000


class GridError(ValueError):
    """A grid that cannot run, with a one-line reason."""


@dataclass(frozen=True)
class DataEntry:
    """One dataset of a grid: a preset's graphs, a mechanism variant, a kind of data and a sample count."""

    preset: str
    variant: str = "standard"
    kind: str | None = None
    n: int | None = None

    @property
    def key(self) -> str:
        """'time-nondiag', 'time-nondiag:k=2', 'teach-twins:intervention': unique within a grid."""
        parts = [self.preset] + [p for p in (self.variant if self.variant != "standard" else "", self.kind) if p]
        return ":".join(parts)

    @property
    def spec(self) -> graphs.GraphSpec:
        return graphs.preset(self.preset)

    @property
    def data_kind(self) -> synthetic.Kind:
        """The kind of data generated (from the graphs when ``kind`` is None): which graphs it uses."""
        return synthetic.check_kind(self.spec, self.kind, self.variant)

    @property
    def temporal(self) -> bool:
        return self.data_kind.temporal

    @property
    def actions(self) -> bool:
        return self.data_kind.actions

    @property
    def samples(self) -> int:
        return self.n if self.n is not None else config_mod.default_samples(self.preset)

    @property
    def kind_name(self) -> str:
        """'time' for data with time steps, else 'action' (the budget's and the tuned defaults' kinds)."""
        return "time" if self.temporal else "action"

    @property
    def paper_name(self) -> str | None:
        return published.paper_dataset(self.preset, self.variant)

    @property
    def true_edges(self) -> int:
        """Edges of the graphs this data uses (the constraint's default bound)."""
        spec = self.spec
        return int((spec.ga.sum() if self.actions else 0) + (spec.gz.sum() if self.temporal else 0))

    @property
    def headline(self) -> str:
        """The score the theory promises: MCC when every latent is identified, else R_con (block graphs)."""
        spec = self.spec
        pattern = identifiability.consistency_pattern(
            spec.ga if self.actions else None, spec.gz if self.temporal else None
        )
        return "mcc" if (pattern.sum(axis=1) == 1).all() else "r_con"


@dataclass(frozen=True)
class MethodEntry:
    """One method column of a grid: a name for tables and the TrainConfig values that define it."""

    name: str
    options: dict = field(default_factory=dict, hash=False)

    @property
    def method(self) -> str:
        return self.options.get("method", methods.SPARSE)


@dataclass(frozen=True)
class Cell:
    """One run of a grid: a dataset, a method and a seed, with the budget already resolved."""

    data: DataEntry
    method: MethodEntry
    seed: int
    budget: dict  # {"max_steps": N} or {"max_seconds": S} or {} (default_config's steps)

    @property
    def key(self) -> str:
        return f"{self.data.key}|{self.method.name}|s{self.seed}"

    def overrides(self, grid_config: dict) -> dict:
        """TrainConfig overrides of this cell, for config.default_config on its dataset."""
        return {**grid_config, **self.method.options, **self.budget, "seed": self.seed}

    def estimated_seconds(self) -> float:
        """Training time this cell should take on one CPU core (its seconds, or steps at a measured rate)."""
        if "max_seconds" in self.budget:
            return float(self.budget["max_seconds"])
        method = methods.get(self.method.method)
        if not method.trains:
            return 1.0
        steps = self.budget.get("max_steps")
        if steps is None:
            steps = config_mod.default_config(self.data.preset, **self.method.options).max_steps or 0
        return steps / STEPS_PER_SECOND[self.data.kind_name]


@dataclass(frozen=True)
class Grid:
    """A validated grid: datasets x methods x seeds, each dataset generated once with ``data_seed``."""

    name: str
    datasets: tuple[DataEntry, ...]
    methods: tuple[MethodEntry, ...]
    seeds: tuple[int, ...]
    budget: dict  # {"seconds" | "steps": number or {"action": x, "time": y}} or {} for the tuned defaults
    data_seed: int = 0
    config: dict = field(default_factory=dict, hash=False)  # TrainConfig values for every cell
    description: str = ""

    def cells(self, seconds: float | None = None) -> list[Cell]:
        """Every runnable cell, by seed, dataset and method; ``seconds`` replaces every cell's budget (a smoke run
        of a whole grid)."""
        out = []
        for seed in self.seeds:
            for data in self.datasets:
                for method in self.methods:
                    if refusal(data, method) is None:
                        out.append(Cell(data, method, seed, self._cell_budget(data, seconds)))
        return out

    @property
    def skipped(self) -> list[str]:
        """'slowvae on action-nondiag: <why>' for each dataset-method pair that cannot run."""
        return [
            f"{m.name} on {d.key}: {reason}"
            for d in self.datasets
            for m in self.methods
            if (reason := refusal(d, m)) is not None
        ]

    def _cell_budget(self, data: DataEntry, seconds: float | None) -> dict:
        if seconds is not None:
            return {"max_seconds": float(seconds)}
        for unit, key in (("seconds", "max_seconds"), ("steps", "max_steps")):
            if unit in self.budget:
                value = self.budget[unit]
                value = value[data.kind_name] if isinstance(value, dict) else value
                return {key: float(value) if unit == "seconds" else int(value)}
        return {}

    def estimated_seconds(self, workers: int, seconds: float | None = None) -> float:
        """Wall time on ``workers`` cores: the cells' training time over the workers (a lower bound: it leaves out
        process start, data generation and evaluation)."""
        total = sum(c.estimated_seconds() for c in self.cells(seconds))
        return total / max(1, workers)

    def to_dict(self) -> dict:
        """The grid as plain data, the form parse_grid reads (grid.json of a grid folder)."""
        datasets = [{k: v for k, v in vars(d).items() if v is not None} for d in self.datasets]
        return {
            "name": self.name,
            "description": self.description,
            "seeds": list(self.seeds),
            "data_seed": self.data_seed,
            "datasets": datasets,
            "methods": [{"name": m.name, **m.options} for m in self.methods],
            "budget": self.budget or "default",
            "config": dict(self.config),
        }


def refusal(data: DataEntry, method: MethodEntry) -> str | None:
    return methods.get(method.method).refusal(temporal=data.temporal, actions=data.actions, latents=True)


# ---------------------------------------------------------------- parsing and validation


def _fail(where: str, message: str) -> GridError:
    return GridError(f"{where}: {message}")


def _int(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, f"must be an integer from {low} to {high:,}, got {value!r}")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1e8:
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
    foreign = sorted(k for k in options if k in _ALL_METHOD_OPTIONS and k not in method.options)
    if foreign:
        raise _fail(where, f"{', '.join(foreign)} do(es) not apply to method {method.name}")
    name = item.get("name", method_name(options))
    if not isinstance(name, str) or not name.strip() or "|" in name:
        raise _fail(f"{where}.name", f"must be a non-empty text without '|', got {name!r}")
    return MethodEntry(name.strip(), options)


_ALL_METHOD_OPTIONS = {opt for m in methods.METHODS.values() for opt in m.options}


def _parse_budget(value, where: str = "budget") -> dict:
    if value in (None, "default"):
        return {}
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("seconds", "steps"):
        raise _fail(where, f'must be "default", {{seconds = S}} or {{steps = N}}, got {value!r}')
    unit, amount = next(iter(value.items()))
    check = _number if unit == "seconds" else (lambda v, w: _int(v, w, 1, 10**9))
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
    seeds = tuple(_int(s, f"seeds[{i}]", 0, 2**32 - 1) for i, s in enumerate(seeds))
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


# ---------------------------------------------------------------- the built-in grids

PAPER_PRESETS = list(published.PAPER_DATASETS)
_QUICK_SECONDS = {"seconds": {"action": 60, "time": 150}}  # temporal latents form slowly (BENCHMARKS.md)
BUILTIN_GRIDS: dict[str, dict] = {
    "quick": {
        "description": "the paper's 8 datasets, constraint against none, 1 seed, 60 s a run (150 s with time)",
        "datasets": PAPER_PRESETS,
        "methods": ["constraint", "none"],
        "seeds": [0],
        "budget": _QUICK_SECONDS,
    },
    "paper": {
        "description": "the paper's main table: 8 datasets, constraint against none, 5 seeds, the tuned budgets",
        "datasets": PAPER_PRESETS,
        "methods": ["constraint", "none"],
        "seeds": [0, 1, 2, 3, 4],
        "budget": "default",
    },
    "violations": {
        "description": "assumptions broken: k=2 (variance moves too) and no sufficient variability, 3 seeds",
        "datasets": [f"{p}:{v}" for p in ("action-nondiag", "time-nondiag") for v in ("k=2", "no_suff_var")],
        "methods": ["constraint", "none"],
        "seeds": [0, 1, 2],
        "budget": _QUICK_SECONDS,
    },
    "strength": {
        "description": "the sparsity-strength sweep on action-nondiag (20 true edges): bounds 5 to 75 and none",
        "datasets": ["action-nondiag"],
        "methods": [{"sparsity": "constraint", "bound": b} for b in (5, 10, 15, 20, 25, 50, 75)] + ["none"],
        "seeds": [0],
        "budget": {"seconds": 60},
    },
    "baselines": {
        "description": "the block datasets with every method: sparse, unregularised, iVAE, β-TCVAE, SlowVAE, PCL, "
        "supervised and random, 1 seed",
        "datasets": ["action-block-nondiag", "time-block-nondiag"],
        "methods": ["constraint", "none", "ivae", "tcvae", "slowvae", "pcl", "supervised", "random"],
        "seeds": [0],
        "budget": _QUICK_SECONDS,
    },
}


def builtin(name: str) -> Grid:
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
