"""Training the sparse VAE one step at a time: configuration, sparsity (none | penalty | constraint), evaluation,
immutable snapshots for the app, checkpoints that resume the same trajectory.

Speed recipe (see BENCHMARKS.md): small networks, the whole train split as device tensors with index-draw batches,
mask logits with their own (much larger) learning rate starting near logit 3 rather than 5, and a constraint bound
annealed over a few thousand steps instead of 150k, so edges switch off within minutes on a laptop CPU.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mechsparse import graphs as graphs_mod
from mechsparse import metrics
from mechsparse.data import Dataset
from mechsparse.model import MASK_MODES, SparseVAE
from mechsparse.theory import consistency_pattern

SPARSITY_MODES = ("none", "penalty", "constraint")
DEVICES = ("auto", "cpu", "cuda")
# name -> (encoder/decoder hidden width, their hidden layers, transition hidden width, its hidden layers)
MODEL_PRESETS: dict[str, tuple[int, int, int, int]] = {
    "tiny": (64, 2, 32, 2),
    "small": (128, 2, 64, 2),
    "medium": (256, 3, 128, 2),
    "paper": (512, 6, 512, 5),
}
MODEL_SIZES = tuple(MODEL_PRESETS)
CHECKPOINT_VERSION = 1


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the trainer's parameters are those of the last good step."""


@dataclass
class TrainConfig:
    """Everything that defines a run. Plain values only, so it round-trips through JSON (to_dict / from_dict)."""

    sparsity: str = "constraint"  # none | penalty | constraint
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
    anneal_start: int = 500  # steps before the bound starts to shrink (latents form first)
    anneal_steps: int = 2000  # steps over which the bound goes from all entries to its target
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
    threads: int | None = None  # torch.set_num_threads for this process, when set

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown training option(s): {', '.join(unknown)}")
        return cls(**d)

    def validate(self) -> None:
        """One-line ValueError for any value a run cannot use."""
        if self.sparsity not in SPARSITY_MODES:
            raise ValueError(f"sparsity must be one of {', '.join(SPARSITY_MODES)}, got {self.sparsity!r}")
        if self.masks not in MASK_MODES:
            raise ValueError(f"masks must be one of {', '.join(MASK_MODES)}, got {self.masks!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.model_size not in MODEL_PRESETS:
            raise ValueError(f"model size must be one of {', '.join(MODEL_SIZES)}, got {self.model_size!r}")
        positive = {"batch_size": self.batch_size, "eval_every": self.eval_every, "eval_samples": self.eval_samples}
        positive |= {"lr": self.lr, "mask_lr": self.mask_lr, "scale_lr": self.scale_lr}
        positive["temperature"] = self.temperature
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        for name in ("penalty", "dual_lr", "anneal_start", "anneal_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.bound is not None and self.bound < 0:
            raise ValueError(f"the constraint bound must not be negative, got {self.bound}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {self.max_seconds}")
        if self.dz is not None and not 1 <= self.dz <= graphs_mod.MAX_DIM:
            raise ValueError(f"dz must be between 1 and {graphs_mod.MAX_DIM}, got {self.dz}")


# Tuned per kind of data (see BENCHMARKS.md); presets may refine further.
_KIND_DEFAULTS: dict[str, dict] = {
    "action": {"max_steps": 10_000, "penalty": 16.0},
    "time": {"max_steps": 20_000, "penalty": 0.2},
}
_PRESET_DEFAULTS: dict[str, dict] = {
    name: {"max_steps": 3000} for name in graphs_mod.PRESETS if name.startswith("teach")
}


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
    if "max_steps" in overrides or "max_seconds" in overrides:
        values.pop("max_steps", None)  # an explicit limit replaces the tuned step budget
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown training option(s): {', '.join(unknown)}")
    config = TrainConfig(**{**values, **overrides})
    config.validate()
    return config


@dataclass(frozen=True)
class Snapshot:
    """One instant of a run, for the UI: plain numpy arrays and numbers only, never mutated."""

    step: int
    max_steps: int | None
    elapsed: float
    steps_per_second: float
    loss: float
    recon: float
    kl: float
    elbo: float
    edge_probs_a: np.ndarray | None
    edge_probs_z: np.ndarray | None
    matched_probs_a: np.ndarray | None
    matched_probs_z: np.ndarray | None
    edge_count: float
    bound: float | None
    multiplier: float | None
    metrics: dict
    corr: np.ndarray | None
    coef: np.ndarray | None
    pattern: np.ndarray | None
    history: tuple[dict, ...]
    device: str
    finished: bool


def resolve_device(name: str) -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cuda' without a GPU is a one-line ValueError."""
    if name not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available (use --device cpu or auto)")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _frozen(arr: np.ndarray | None) -> np.ndarray | None:
    if arr is None:
        return None
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return arr


class Trainer:
    """Owns model, optimiser, multiplier and data tensors; ``step()`` advances one minibatch."""

    def __init__(self, dataset: Dataset, config: TrainConfig):
        config.validate()
        self.config = config
        self.dataset = dataset
        if dataset.x is None or np.asarray(dataset.x).ndim != 3:
            raise ValueError("the dataset needs observations x of shape (N, T, dx)")
        if config.threads:
            torch.set_num_threads(int(config.threads))
        self.device = resolve_device(config.device)
        self.temporal = dataset.t > 1
        true_dz = dataset.dz
        self.dz = config.dz or true_dz
        if self.dz is None:
            raise ValueError("the data carries neither latents z nor graphs, so give the number of latents (dz)")
        self.ga = None if dataset.ga is None else np.asarray(dataset.ga)
        self.gz = None if dataset.gz is None else np.asarray(dataset.gz) if self.temporal else None
        self.same_dz = true_dz == self.dz
        missing_truth = not self.same_dz or (dataset.da and self.ga is None) or (self.temporal and self.gz is None)
        if config.masks == "oracle" and missing_truth:
            raise ValueError("oracle masks need the data's true graphs, with the model's dz equal to the true dz")
        self.regularised = config.masks == "learned" and config.sparsity != "none"
        # the unregularised baseline learns no graph: even unpenalised, noisy learnable masks prune inputs
        self.mask_mode = "full" if config.masks == "learned" and config.sparsity == "none" else config.masks

        # data: the whole train split as tensors; evaluation on a fixed subsample of the test split
        train_idx, _, test_idx = dataset.split(seed=config.seed)
        if len(train_idx) < 1 or len(test_idx) < 2:
            raise ValueError(f"the dataset has {dataset.n} samples; at least 20 are needed to train and evaluate")
        self.x_train = torch.as_tensor(np.asarray(dataset.x)[train_idx], dtype=torch.float32, device=self.device)
        self.a_train = (
            None
            if dataset.a is None
            else torch.as_tensor(np.asarray(dataset.a)[train_idx], dtype=torch.float32, device=self.device)
        )
        eval_idx = test_idx[: config.eval_samples]
        self.x_eval = torch.as_tensor(np.asarray(dataset.x)[eval_idx], dtype=torch.float32, device=self.device)
        self.z_eval = None if dataset.z is None else np.asarray(dataset.z, dtype=np.float64)[eval_idx]

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            enc_h, enc_l, tr_h, tr_l = MODEL_PRESETS[config.model_size]
            self.model = SparseVAE(
                dataset.dx,
                self.dz,
                dataset.da,
                temporal=self.temporal,
                enc_hidden=enc_h,
                enc_layers=enc_l,
                tr_hidden=tr_h,
                tr_layers=tr_l,
                hetero=config.hetero,
                masks=self.mask_mode,
                true_ga=self.ga,
                true_gz=self.gz,
                init_logit=config.init_logit,
                prior_logvar=config.prior_logvar,
                dec_logvar=config.dec_logvar,
                residual=config.residual,
            ).to(self.device)
        groups = [
            {"params": self.model.net_parameters(), "lr": config.lr},
            {"params": self.model.scale_parameters(), "lr": config.scale_lr},
        ]
        if self.model.mask_parameters():
            groups.append({"params": self.model.mask_parameters(), "lr": config.mask_lr})
        self.optimizer = torch.optim.Adam(groups)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(config.seed)

        self.n_entries = self.model.n_mask_entries
        self.target_bound = self._target_bound()
        self.pattern = None
        if self.same_dz and (self.ga is not None or self.gz is not None):
            self.pattern = consistency_pattern(self.ga if dataset.da else None, self.gz)
        self.multiplier = 0.0
        self.step_count = 0
        self.elapsed = 0.0
        self.history: list[dict] = []
        self._sums = np.zeros(4)  # loss, recon, kl, edges since the last evaluation
        self._sum_steps = 0
        self._ema: dict[str, float] = {}
        self._last_eval: dict | None = None
        self._last_eval_step = -1
        self._rate_mark = (0, 0.0)  # (step, elapsed) at the previous evaluation
        self._rate = 0.0

    # ---------------------------------------------------------------- schedule

    def _target_bound(self) -> float | None:
        if not self.regularised or self.config.sparsity != "constraint":
            return None
        if self.config.bound is not None:
            return float(self.config.bound)
        if not self.same_dz:
            raise ValueError("the constraint needs a bound: the data's graphs do not match the model's dz")
        edges = 0.0
        if self.model.mask_a is not None:
            if self.ga is None:
                raise ValueError("the data carries no action graph, so give the constraint bound (or use a penalty)")
            edges += float(self.ga.sum())
        if self.model.mask_z is not None:
            if self.gz is None:
                raise ValueError("the data carries no temporal graph, so give the constraint bound (or use a penalty)")
            edges += float(self.gz.sum())
        return edges

    def current_bound(self) -> float | None:
        """The annealed bound: all entries until anneal_start, then linear to the target over anneal_steps."""
        if self.target_bound is None:
            return None
        c = self.config
        frac = 1.0 if c.anneal_steps == 0 else (self.step_count - c.anneal_start) / c.anneal_steps
        frac = min(1.0, max(0.0, frac))
        return self.n_entries + (self.target_bound - self.n_entries) * frac

    @property
    def finished(self) -> bool:
        c = self.config
        return (c.max_steps is not None and self.step_count >= c.max_steps) or (
            c.max_seconds is not None and self.elapsed >= c.max_seconds
        )

    # ---------------------------------------------------------------- optimisation

    def sparsity_term(self, edges: torch.Tensor, bound: float | None) -> torch.Tensor:
        """What the sparsity adds to the loss: penalty * edges / dx, or the Lagrangian multiplier * (edges - bound)
        / dx (the multiplier is held fixed here and updated by ascent after the step); zero without sparsity."""
        if self.regularised and self.config.sparsity == "penalty":
            return self.config.penalty * edges / self.model.dx
        if self.regularised and bound is not None:
            return self.multiplier * (edges - bound) / self.model.dx
        return torch.zeros((), device=edges.device)

    def update_multiplier(self, edges: float, bound: float) -> None:
        """Gradient ascent on the multiplier, projected to >= 0, and reset to 0 when the constraint holds."""
        if edges <= bound:
            self.multiplier = 0.0
        else:
            self.multiplier = max(0.0, self.multiplier + self.config.dual_lr * (edges - bound))

    def step(self) -> dict:
        """One optimisation step (and an evaluation every eval_every steps). Raises TrainingDiverged on a NaN or
        infinite loss, before any parameter changes."""
        start = time.perf_counter()
        c, model = self.config, self.model
        model.train()
        idx = torch.randint(self.x_train.shape[0], (c.batch_size,), generator=self.generator, device=self.device)
        x = self.x_train[idx]
        a = None if self.a_train is None else self.a_train[idx]
        recon, kl = model(x, a, self.generator, c.hard, c.temperature, c.mask_per_sample)
        loss = (recon + kl).mean()
        edges = model.expected_edges()
        bound = self.current_bound()
        total = loss + self.sparsity_term(edges, bound)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip if c.grad_clip else float("inf"))
        values = torch.stack([total.detach(), loss.detach(), recon.mean().detach(), kl.mean().detach(), edges.detach()])
        total_v, loss_v, recon_v, kl_v, edges_v = values.tolist()
        if not (math.isfinite(total_v) and math.isfinite(float(norm))):
            self.optimizer.zero_grad(set_to_none=True)
            self.elapsed += time.perf_counter() - start
            raise TrainingDiverged(f"loss became {total_v} at step {self.step_count + 1}; try a smaller learning rate")
        self.optimizer.step()
        if self.regularised and bound is not None:
            self.update_multiplier(edges_v, bound)
        self.step_count += 1
        self._sums += (loss_v, recon_v, kl_v, edges_v)
        self._sum_steps += 1
        for key, v in (("loss", loss_v), ("recon", recon_v), ("kl", kl_v)):
            self._ema[key] = v if key not in self._ema else 0.95 * self._ema[key] + 0.05 * v
        self._ema["edges"] = edges_v
        self.elapsed += time.perf_counter() - start
        info = {"step": self.step_count, "loss": loss_v, "recon": recon_v, "kl": kl_v, "edge_count": edges_v}
        if self.step_count % c.eval_every == 0 or self.finished:
            info["evaluated"] = self.evaluate()
        return info

    # ---------------------------------------------------------------- evaluation

    @torch.no_grad()
    def latents(self, x: np.ndarray | torch.Tensor | None = None) -> np.ndarray:
        """Encoder means for x (default: the evaluation subsample), shape (N, T, dz)."""
        self.model.eval()
        xt = self.x_eval if x is None else torch.as_tensor(x, dtype=torch.float32, device=self.device)
        mu, _ = self.model.encode(xt)
        return mu.double().cpu().numpy()

    def _edge_probs(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        with torch.no_grad():
            pa, pz = self.model.edge_probs()
        return (None if pa is None else pa.double().cpu().numpy(), None if pz is None else pz.double().cpu().numpy())

    def _measure(self) -> dict:
        """Metrics and matrices on the evaluation subsample (no history row)."""
        out: dict = {"mcc": None, "r": None, "r_con": None, "shd_a": None, "shd_z": None}
        arrays: dict = {"corr": None, "coef": None, "matched_a": None, "matched_z": None}
        pa, pz = self._edge_probs()
        if self.z_eval is not None:
            z_hat = self.latents()
            if np.isfinite(z_hat).all():
                z, zh = self.z_eval.reshape(-1, self.z_eval.shape[-1]), z_hat.reshape(-1, self.dz)
                matching = metrics.match(z, zh)
                out["mcc"] = matching.mcc
                out["r"] = metrics.r(z, zh)
                arrays["corr"] = matching.matched_corr
                arrays["coef"] = metrics.regression_matrix(z, zh, matching.perm)
                if self.same_dz:
                    perm = matching.perm
                    if self.pattern is not None:
                        out["r_con"] = metrics.r_con(z, zh, self.pattern, perm)
                    if pa is not None:
                        arrays["matched_a"] = metrics.permute_graph(pa, perm, "a")
                        if self.ga is not None:
                            out["shd_a"] = metrics.shd(self.ga, pa, perm, "a")
                    if pz is not None:
                        arrays["matched_z"] = metrics.permute_graph(pz, perm, "z")
                        if self.gz is not None:
                            out["shd_z"] = metrics.shd(self.gz, pz, perm, "z")
        return {"metrics": out, "arrays": arrays, "pa": pa, "pz": pz}

    def evaluate(self) -> dict:
        """Measure now and append one history row (step, seconds, losses, metrics, edges, bound, multiplier).
        Calling it again without a step in between returns the same row instead of adding a duplicate."""
        if self.history and self.history[-1]["step"] == self.step_count and self._last_eval_step == self.step_count:
            return self.history[-1]
        start = time.perf_counter()
        result = self._measure()
        self._last_eval, self._last_eval_step = result, self.step_count
        n = max(self._sum_steps, 1)
        loss, recon, kl, edges = (self._sums / n).tolist()
        if self._sum_steps == 0:
            loss, recon, kl = (self._ema.get(k, float("nan")) for k in ("loss", "recon", "kl"))
            edges = float(self.model.expected_edges().detach())
        self._sums[:] = 0
        self._sum_steps = 0
        mark_step, mark_time = self._rate_mark
        if self.elapsed > mark_time and self.step_count > mark_step:
            self._rate = (self.step_count - mark_step) / (self.elapsed - mark_time)
        self._rate_mark = (self.step_count, self.elapsed)
        bound = self.current_bound()
        row = {
            "step": self.step_count,
            "seconds": round(self.elapsed, 3),
            "loss": loss,
            "recon": recon,
            "kl": kl,
            "elbo": -(recon + kl),
            **result["metrics"],
            "edge_count": edges,
            "bound": bound,
            "multiplier": self.multiplier if self.target_bound is not None else None,
            "steps_per_second": self._rate,
        }
        self.history.append(row)
        self.elapsed += time.perf_counter() - start
        return row

    def snapshot(self) -> Snapshot:
        """The current state as an immutable Snapshot (metrics from the latest evaluation)."""
        if self._last_eval is None:
            self._last_eval = self._measure()
        ev = self._last_eval
        pa, pz = self._edge_probs()
        loss = self._ema.get("loss", float("nan"))
        recon, kl = self._ema.get("recon", float("nan")), self._ema.get("kl", float("nan"))
        return Snapshot(
            step=self.step_count,
            max_steps=self.config.max_steps,
            elapsed=self.elapsed,
            steps_per_second=self.steps_per_second,
            loss=loss,
            recon=recon,
            kl=kl,
            elbo=-(recon + kl),
            edge_probs_a=_frozen(pa),
            edge_probs_z=_frozen(pz),
            matched_probs_a=_frozen(ev["arrays"]["matched_a"]),
            matched_probs_z=_frozen(ev["arrays"]["matched_z"]),
            edge_count=float(self.model.expected_edges().detach()),
            bound=self.current_bound(),
            multiplier=self.multiplier if self.target_bound is not None else None,
            metrics=dict(ev["metrics"]),
            corr=_frozen(ev["arrays"]["corr"]),
            coef=_frozen(ev["arrays"]["coef"]),
            pattern=_frozen(self.pattern),
            history=tuple(dict(r) for r in self.history),
            device=str(self.device),
            finished=self.finished,
        )

    @property
    def steps_per_second(self) -> float:
        return self._rate if self._rate else (self.step_count / self.elapsed if self.elapsed > 0 else 0.0)

    def summary(self) -> dict:
        """summary.json: the final metrics (latest evaluation) and how long it took."""
        if self._last_eval is None or self._last_eval_step != self.step_count:
            self._last_eval, self._last_eval_step = self._measure(), self.step_count
        m = self._last_eval["metrics"]
        mccs = [r["mcc"] for r in self.history if r.get("mcc") is not None]
        return {
            **m,
            "best_mcc": max(mccs) if mccs else None,
            "steps": self.step_count,
            "seconds": round(self.elapsed, 3),
            "steps_per_second": self.step_count / self.elapsed if self.elapsed > 0 else 0.0,
            "device": str(self.device),
            "edge_count": float(self.model.expected_edges().detach()),
            "bound": self.current_bound(),
            "target_bound": self.target_bound,
            "sparsity": self.config.sparsity if self.regularised else "none",
            "masks": self.mask_mode,
            "elbo": -(self._ema.get("recon", float("nan")) + self._ema.get("kl", float("nan"))),
            "n_parameters": sum(p.numel() for p in self.model.parameters()),
            "finished": self.finished,
        }

    # ---------------------------------------------------------------- checkpoints

    def save_checkpoint(self, path: str | Path) -> None:
        """Everything needed to continue the same trajectory: model, optimiser, multiplier, step, RNG, history."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "version": CHECKPOINT_VERSION,
            "config": self.config.to_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "multiplier": self.multiplier,
            "step": self.step_count,
            "elapsed": self.elapsed,
            "history": list(self.history),
            "generator": self.generator.get_state(),
            "device": str(self.device),
            "sums": self._sums.tolist(),
            "sum_steps": self._sum_steps,
            "ema": dict(self._ema),
            "rate": [self._rate_mark[0], self._rate_mark[1], self._rate],
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    @classmethod
    def load_checkpoint(cls, path: str | Path, dataset: Dataset, **overrides) -> Trainer:
        """A trainer restored from ``save_checkpoint`` on the same dataset; ``overrides`` may change limits or
        device (e.g. max_steps) without touching the trajectory."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        config = TrainConfig.from_dict({**state["config"], **overrides})
        trainer = cls(dataset, config)
        trainer.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.multiplier = float(state["multiplier"])
        trainer.step_count = int(state["step"])
        trainer.elapsed = float(state["elapsed"])
        trainer.history = [dict(r) for r in state["history"]]
        if state.get("device") == str(trainer.device):
            trainer.generator.set_state(state["generator"])
        else:  # a different device has a different generator; continue deterministically from the step count
            trainer.generator.manual_seed(config.seed * 1_000_003 + trainer.step_count)
        trainer._sums = np.asarray(state["sums"], dtype=float)
        trainer._sum_steps = int(state["sum_steps"])
        trainer._ema = {k: float(v) for k, v in state["ema"].items()}
        mark_step, mark_time, rate = state["rate"]
        trainer._rate_mark, trainer._rate = (int(mark_step), float(mark_time)), float(rate)
        return trainer
