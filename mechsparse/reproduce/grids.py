"""Experiment grids: which datasets, methods, seeds and budget a reproduction runs, as data, and the cells (one
run each) they expand into; BUILTIN_GRIDS are the grids the app and the CLI offer by name.

A grid is read and validated from a TOML or JSON file (or a built-in grid) by mechsparse.reproduce.grid_file. A
method that cannot train on a dataset (SlowVAE on action data) is skipped for that dataset and listed in
``Grid.skipped``, so one grid can mix action and temporal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mechsparse.data import synthetic
from mechsparse.learning import config as config_mod
from mechsparse.learning import methods
from mechsparse.reproduce import published
from mechsparse.theory import graphs, identifiability

KIND_NAMES = ("action", "time")  # budget keys: data without and with time steps
# CPU steps per second of one run on one core (BENCHMARKS.md, 2-core VM): only for time estimates of step budgets
STEPS_PER_SECOND = {"action": 150.0, "time": 125.0}


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
        """The grid as plain data, the form grid_file.parse_grid reads (grid.json of a grid folder)."""
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
    """Why ``method`` cannot train on ``data``, in one line; None when it can."""
    return methods.get(method.method).refusal(temporal=data.temporal, actions=data.actions, latents=True)


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
