"""What defines a training run: TrainConfig, the declared rules for every parameter (PARAM_RULES), tuned defaults
per kind of data, and the default CPU thread count of a model size.

Every error is a one-line ValueError naming the parameter.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np

from mechsparse.data.dataset import Dataset
from mechsparse.learning.architecture import LOGVAR_MAX, LOGVAR_MIN, MASK_MODES, MODEL_PRESETS, MODEL_SIZES
from mechsparse.learning.methods import METHOD_NAMES, METHODS, SPARSE
from mechsparse.theory import graphs as graphs_mod

SPARSITY_MODES = ("none", "penalty", "constraint")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Rule:
    """What one TrainConfig field accepts: a kind ('str' with choices, 'bool', 'int' or a finite 'float'), a range
    [low, high] (low excluded when ``above``), and whether None is allowed."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    above: bool = False

    def describe(self) -> str:
        """The allowed values in words, e.g. 'a finite number above 0 and at most 100'."""
        low, high = (f"{v:g}" if self.kind == "float" else str(v) for v in (self.low, self.high))
        if self.kind == "bool":
            text = "true or false"
        elif self.above:
            text = f"a finite number above {low} and at most {high}"
        else:
            text = f"{'an integer' if self.kind == 'int' else 'a finite number'} from {low} to {high}"
        return text + (" (or None)" if self.optional else "")

    def check(self, name: str, value) -> None:
        """Raise a one-line ValueError naming the parameter unless value follows this rule."""
        if value is None and self.optional:
            return
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{name} must be one of {', '.join(self.choices)}, got {value!r}")
            return
        is_bool = isinstance(value, bool | np.bool_)
        ok = {
            "bool": is_bool,
            "int": isinstance(value, numbers.Integral) and not is_bool,
            "float": isinstance(value, numbers.Real) and not is_bool,
        }[self.kind]
        if ok and self.kind != "bool":
            low_ok = value > self.low if self.above else value >= self.low
            ok = math.isfinite(value) and low_ok and value <= self.high
        if not ok:
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")


_RATE = Rule("float", 0, 100, above=True)
_LOGVAR = Rule("float", LOGVAR_MIN, LOGVAR_MAX)  # the model clamps to this range; outside it nothing would learn
_STEPS = 10**9
PARAM_RULES: dict[str, Rule] = {
    "method": Rule("str", choices=METHOD_NAMES),
    "sparsity": Rule("str", choices=SPARSITY_MODES),
    "penalty": Rule("float", 0, 1e6),
    "bound": Rule("float", 0, 1e6, optional=True),
    "masks": Rule("str", choices=MASK_MODES),
    "seed": Rule("int", 0, 2**32 - 1),
    "device": Rule("str", choices=DEVICES),
    "max_steps": Rule("int", 1, _STEPS, optional=True),
    "max_seconds": Rule("float", 0, 1e8, optional=True, above=True),
    "model_size": Rule("str", choices=MODEL_SIZES),
    "dz": Rule("int", 1, graphs_mod.MAX_DIM, optional=True),
    "batch_size": Rule("int", 1, 65536),
    "lr": _RATE,
    "mask_lr": _RATE,
    "scale_lr": _RATE,
    "dual_lr": Rule("float", 0, 1e6),
    "init_logit": Rule("float", -30, 30),
    "logit_clip": Rule("float", 0, 30, optional=True, above=True),
    "anneal_start": Rule("int", 0, _STEPS),
    "anneal_steps": Rule("int", 0, _STEPS),
    "anneal_from": Rule("float", 0, 1, optional=True),
    "anneal_to": Rule("float", 0, 1, optional=True),
    "temperature": _RATE,
    "hard": Rule("bool"),
    "mask_per_sample": Rule("bool"),
    "hetero": Rule("bool"),
    "residual": Rule("bool"),
    "prior_logvar": _LOGVAR,
    "dec_logvar": _LOGVAR,
    "grad_clip": Rule("float", 0, 1e12, optional=True),  # None or 0: no clipping
    "eval_every": Rule("int", 1, _STEPS),
    "eval_samples": Rule("int", 2, 10**7),
    "threads": Rule("int", 1, 4096, optional=True),
    "beta": Rule("float", 0, 1e4),
    "gamma": Rule("float", 0, 1e4),
    "rate": Rule("float", 0, 1e4, above=True),
}


@dataclass
class TrainConfig:
    """Everything that defines a run. Plain values only, so it round-trips through JSON (to_dict / from_dict).
    What each field accepts is declared in PARAM_RULES."""

    method: str = SPARSE  # sparse (this project's model) or a baseline: mechsparse.learning.methods.METHODS
    sparsity: str = "constraint"  # none | penalty | constraint (the sparse VAE only)
    penalty: float = 16.0  # coefficient on (expected edge count / dx) for "penalty"
    bound: float | None = None  # constraint target; None: the true edge count of the data's graphs
    masks: str = "learned"  # learned | full (frozen all-ones) | oracle (frozen to the true graphs)
    seed: int = 0
    device: str = "auto"
    max_steps: int | None = None
    max_seconds: float | None = None
    model_size: str = "small"
    dz: int | None = None  # learned latents; None: the data's true dz
    batch_size: int = 256
    lr: float = 5e-3  # encoder, decoder, transition
    mask_lr: float = 0.05  # mask logits (Adam moves a logit about this much per step)
    scale_lr: float = 0.03  # the free log-variances (decoder, transition noise)
    dual_lr: float = 0.05  # gradient ascent on the multiplier, per edge of violation
    init_logit: float = 3.0  # initial mask logit (edge probability 0.95)
    logit_clip: float | None = None  # keep mask logits within +-this after each step; None: unbounded
    anneal_start: int = 500  # steps before the bound starts to shrink (latents form first)
    anneal_steps: int = 2000  # steps over which the bound goes from all entries to its target
    # the same as fractions of the run's budget (max_steps or max_seconds, whichever is nearer): used instead of
    # anneal_start / anneal_steps when both are set and the run has a limit, so a longer run anneals more slowly
    anneal_from: float | None = None
    anneal_to: float | None = None
    temperature: float = 1.0  # Gumbel-sigmoid temperature
    hard: bool = False  # straight-through 0/1 mask samples
    mask_per_sample: bool = True  # an independent mask draw per example (else one per minibatch, as the authors)
    hetero: bool = False  # heteroscedastic transition (learned variance per latent and input)
    residual: bool = False  # temporal data: the transition predicts the change z_t - z_{t-1} (self-edge gated)
    prior_logvar: float = -4.0  # initial log-variance of the transition noise
    dec_logvar: float = -4.0  # initial decoder log-variance
    grad_clip: float | None = 100.0
    eval_every: int = 200
    eval_samples: int = 4000
    threads: int | None = None  # torch CPU threads (apply_threads); None: the model size's default
    # baselines' options; defaults are the settings of the paper's best baseline numbers (docs/paper-numbers.md)
    beta: float = 0.25  # β-TCVAE: weight of the total correlation
    gamma: float = 8.0  # SlowVAE: weight of the transition KL
    rate: float = 10.0  # SlowVAE: rate λ of the Laplace prior on z_t - z_{t-1}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """A validated config; unknown keys or bad values are a one-line ValueError."""
        unknown = sorted(set(d) - set(PARAM_RULES))
        if unknown:
            raise ValueError(f"unknown training option(s): {', '.join(unknown)}")
        config = cls(**d)
        config.validate()
        return config

    def validate(self) -> None:
        """One-line ValueError, naming the parameter, for any value a run cannot use."""
        for name, rule in PARAM_RULES.items():
            rule.check(name, getattr(self, name))


NONE_WORDS = ("none", "null")  # how a text format without null (TOML, --set) writes None


def checked_options(values: dict[str, object], source: str) -> dict[str, object]:
    """TrainConfig fields written in a text format (a TOML file, the CLI's --set KEY=VALUE), checked one by one
    against PARAM_RULES so the first problem is one line naming the key and ``source``: an unknown key, a bad type,
    a value out of range. An integer becomes a float where the field is a float (as a float flag gives it), and the
    word none is None where the field allows None (TOML has no null)."""
    checked: dict[str, object] = {}
    for key, value in values.items():
        rule = PARAM_RULES.get(key)
        if rule is None:
            hint = f" (write {key.replace('-', '_')})" if key.replace("-", "_") in PARAM_RULES else ""
            known = ", ".join(PARAM_RULES)
            raise ValueError(f"{source}: unknown training option {key!r}{hint}; the options are {known}")
        if rule.optional and rule.kind != "str" and isinstance(value, str) and value.lower() in NONE_WORDS:
            value = None
        elif rule.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        try:
            rule.check(key, value)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        checked[key] = value
    return checked


# Tuned per kind of data (see BENCHMARKS.md); presets may refine further. The papers' temporal presets anneal the
# bound over a share of the run (8% to 50% of its budget) instead of steps 500-2500: their sinusoidal latents form
# slowly, and a graph pruned before they have formed is pruned wrong (a pruned logit never comes back). Measured on
# other temporal mechanisms (benchmarks/robustness.py) the slow anneal lost 0.12-0.15 MCC, so other temporal data
# keeps the step schedule.
# Action data clips the mask logits to +-5: unclipped, a pruned logit sinks until its sigmoid gradient vanishes, so
# a graph pruned wrong early (a latent left with no parents, its actions spread over the others) stays wrong; clipped,
# the ELBO can bring a wrong prune back while the multiplier rests (dual restarts). On generated action cases every
# run ended above MCC 0.9 (6/6, unclipped 4/6, worst 0.695); on temporal data it was not clearly better (BENCHMARKS.md).
_KIND_DEFAULTS: dict[str, dict] = {
    "action": {"max_steps": 10_000, "penalty": 16.0, "logit_clip": 5.0},
    "time": {"max_steps": 20_000, "penalty": 0.2},
}
_SLOW_ANNEAL = {"anneal_from": 0.08, "anneal_to": 0.5}
_PRESET_DEFAULTS: dict[str, dict] = {
    **{name: {"max_steps": 3000} for name in graphs_mod.PRESETS if name.startswith("teach")},
    **{name: {"max_steps": 40_000, **_SLOW_ANNEAL} for name in ("time-diag", "time-block-diag", "time-block-nondiag")},
    "time-nondiag": {"max_steps": 75_000, **_SLOW_ANNEAL},  # many parents, high frequencies: ~600 s on one core
}
DEFAULT_SAMPLES = {"action": 20_000, "time": 100_000}  # temporal latents need more data (BENCHMARKS.md)


def default_samples(preset: str | graphs_mod.GraphSpec) -> int:
    """How many samples to generate by default for a preset (by name) or for graphs: what the benchmarks use."""
    if isinstance(preset, str):
        if preset.startswith("teach"):  # small graphs, short demo runs
            return DEFAULT_SAMPLES["action"]
        preset = graphs_mod.preset(preset)
    return DEFAULT_SAMPLES[_kind_of(preset, False)]


def _kind_of(spec: graphs_mod.GraphSpec | None, temporal: bool) -> str:
    return "time" if temporal or (spec is not None and spec.gz is not None) else "action"


def default_config(dataset_or_preset: Dataset | str, **overrides) -> TrainConfig:
    """Tuned defaults for a preset name or a dataset (by its name, else by its kind), then ``overrides``.

    Unknown override names raise a one-line ValueError."""
    if isinstance(dataset_or_preset, Dataset):
        name, temporal = dataset_or_preset.name, dataset_or_preset.t > 1
        spec = dataset_or_preset.graphs
    else:
        name, temporal = dataset_or_preset, False
        spec = graphs_mod.preset(name)
    values = {**_KIND_DEFAULTS[_kind_of(spec, temporal)], **_PRESET_DEFAULTS.get(name, {})}
    method = METHODS.get(overrides.get("method", SPARSE))
    if method is not None and method.name != SPARSE:  # a baseline: no graph to regularise, its own budget
        steps = {"max_steps": method.default_steps or values["max_steps"]} if method.trains else {}
        values = {**steps, "sparsity": "none"}
    if "max_steps" in overrides or "max_seconds" in overrides:
        values.pop("max_steps", None)  # an explicit limit replaces the tuned step budget
    return TrainConfig.from_dict({**values, **overrides})


def default_threads(config: TrainConfig) -> int | None:
    """config.threads when set, else the model size's CPU default (None: leave torch's default)."""
    return config.threads if config.threads is not None else MODEL_PRESETS[config.model_size].cpu_threads


def input_range(name: str, finest: float = 0.01) -> tuple[int, int] | tuple[float, float]:
    """(min, max) for a number input of TrainConfig field ``name``, from its rule in PARAM_RULES: ints for an int
    field, floats for a float one (a widget wants both of one type). A low the rule excludes (``above``) is raised
    by ``finest``, the smallest step the input offers, so the input never offers a value the rule refuses."""
    rule = PARAM_RULES[name]
    if rule.kind == "int":
        return int(rule.low), int(rule.high)
    return float(rule.low + finest if rule.above else rule.low), float(rule.high)


def form_overrides(values: dict[str, object]) -> dict[str, object]:
    """The TrainConfig fields among a form's ``values`` that are set, as default_config overrides: None (left
    empty: the tuned default) is dropped, and each number is cast to its rule's kind (a number input gives 3.0
    for an int field, or 300 for a float one)."""
    casts = {"int": int, "float": float, "str": str, "bool": bool}
    return {k: casts[rule.kind](values[k]) for k, rule in PARAM_RULES.items() if values.get(k) is not None}
