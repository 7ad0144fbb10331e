"""Training a model one step at a time: sparsity (none | penalty | constraint), the multiplier, checkpoints that
resume the same trajectory. The model is the sparse VAE or a baseline of mechsparse.learning.methods (config.method);
all share this loop, its data tensors, metrics and checkpoints. The configuration lives in mechsparse.learning.config,
the constraint's bound and its annealing in mechsparse.learning.constraint, the checks made before a run (device,
data, config) in mechsparse.learning.preflight, and measuring in mechsparse.learning.evaluation.

Speed recipe (see BENCHMARKS.md): small networks, the whole train split as device tensors with index-draw batches,
mask logits with their own (much larger) learning rate starting near logit 3 rather than 5, and a constraint bound
annealed over a few thousand steps instead of 150k, so edges switch off within minutes on a laptop CPU.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from mechsparse.data.dataset import Dataset
from mechsparse.files.atomic import write_atomic
from mechsparse.learning import methods
from mechsparse.learning.architecture import MODEL_PRESETS, ModelSize
from mechsparse.learning.config import TrainConfig
from mechsparse.learning.constraint import annealed_bound, annealed_fraction, target_bound, true_graphs
from mechsparse.learning.evaluation import (
    Evaluation,
    LossMeter,
    RateMeter,
    Snapshot,
    evaluate,
    frozen,
    progress_fraction,
)
from mechsparse.learning.methods.base import LatentModel
from mechsparse.learning.model import SparseVAE
from mechsparse.learning.objective import Batch
from mechsparse.learning.preflight import check_trainable, resolve_device
from mechsparse.learning.timeline import Timeline
from mechsparse.theory.identifiability import consistency_pattern

CHECKPOINT_VERSION = 2  # 2: the bookkeeping as one TrainState dict; 1 (flat keys) is still read


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the trainer's parameters are those of the last good step."""


# ---------------------------------------------------------------- the trainer


@dataclass
class TrainState:
    """The bookkeeping a checkpoint restores beside the weights and the random generator."""

    step: int = 0
    elapsed: float = 0.0  # training (and evaluation) seconds, not wall-clock
    multiplier: float = 0.0  # the Lagrange multiplier of the constraint
    history: list[dict] = field(default_factory=list)  # one row per evaluation (history.csv)
    losses: LossMeter = field(default_factory=LossMeter)
    rate: RateMeter = field(default_factory=RateMeter)

    def to_dict(self) -> dict:
        plain = {"step": self.step, "elapsed": self.elapsed, "multiplier": self.multiplier}
        plain["history"] = [dict(row) for row in self.history]
        return {**plain, "losses": self.losses.to_dict(), "rate": self.rate.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> TrainState:
        history = [dict(row) for row in d["history"]]
        losses, rate = LossMeter.from_dict(d["losses"]), RateMeter.from_dict(d["rate"])
        return cls(int(d["step"]), float(d["elapsed"]), float(d["multiplier"]), history, losses, rate)

    @classmethod
    def from_v1(cls, ck: dict) -> TrainState:
        """The same from a version-1 checkpoint, which kept these as flat keys."""
        mark_step, mark_time, rate = ck["rate"]
        losses = {"sums": ck["sums"], "count": ck["sum_steps"], "ema": ck["ema"]}
        rate_d = {"mark_step": mark_step, "mark_time": mark_time, "rate": rate}
        return cls.from_dict({**ck, "losses": losses, "rate": rate_d})


def _state_attr(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.state, name), lambda self, v: setattr(self.state, name, v), doc=doc)


class Trainer:
    """Owns model, optimiser, multiplier and data tensors; ``step()`` advances one minibatch."""

    step_count = _state_attr("step", "optimisation steps taken")
    elapsed = _state_attr("elapsed", "seconds spent training and evaluating")
    multiplier = _state_attr("multiplier", "the constraint's Lagrange multiplier")
    history = _state_attr("history", "one dict per evaluation, the rows of history.csv")

    def __init__(self, dataset: Dataset, config: TrainConfig):
        check_trainable(dataset, config)
        self.config, self.dataset = config, dataset
        self.device = resolve_device(config.device)
        self.temporal = dataset.t > 1
        self.dz = config.dz or dataset.dz
        self.ga, self.gz = true_graphs(dataset)
        self.same_dz = dataset.dz == self.dz
        self.method = methods.get(config.method)
        self.regularised = self.method.learns_graph and config.masks == "learned" and config.sparsity != "none"
        # the unregularised baseline learns no graph: even unpenalised, noisy learnable masks prune inputs
        self.mask_mode = "full" if config.masks == "learned" and config.sparsity == "none" else config.masks
        self._load_data()
        self.model = self._build_model(MODEL_PRESETS[config.model_size])
        self.optimizer = torch.optim.Adam(self.model.param_groups(config.lr, config.scale_lr, config.mask_lr))
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(config.seed)
        self.n_entries = self.model.n_mask_entries
        self.target_bound = target_bound(dataset, config)
        self.pattern = None
        if self.same_dz and (self.ga is not None or self.gz is not None):
            self.pattern = frozen(consistency_pattern(self.ga if dataset.da else None, self.gz))
        self.state = TrainState()
        self._last_eval: Evaluation | None = None
        self._last_eval_step = -1
        self.timeline = Timeline()  # one frame per history row, bounded (timeline.npz; not in the checkpoint)

    def _load_data(self) -> None:
        """The whole train split as device tensors; evaluation on a fixed subsample of the test split."""
        ds, tensor = self.dataset, functools.partial(torch.as_tensor, dtype=torch.float32, device=self.device)
        train_idx, _, test_idx = ds.split(seed=self.config.seed)
        self.x_train = tensor(np.asarray(ds.x)[train_idx])
        self.a_train = None if ds.a is None else tensor(np.asarray(ds.a)[train_idx])
        eval_idx = test_idx[: self.config.eval_samples]
        self.z_train = None
        if self.method.needs == "latents":  # the supervised reference trains on the true latents
            self.z_train = tensor(np.asarray(ds.z)[train_idx])
        self.x_eval = tensor(np.asarray(ds.x)[eval_idx])
        self.z_eval = None if ds.z is None else np.asarray(ds.z, dtype=np.float64)[eval_idx]

    def _build_model(self, size: ModelSize) -> LatentModel | SparseVAE:
        c, ds = self.config, self.dataset
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(c.seed)
            if self.method.name != methods.SPARSE:
                model = methods.build(
                    c.method, dx=ds.dx, dz=self.dz, da=ds.da, temporal=self.temporal, size=size, config=c
                )
                return model.to(self.device)
            model = SparseVAE(
                ds.dx, self.dz, ds.da, temporal=self.temporal, enc_hidden=size.hidden, enc_layers=size.layers,
                tr_hidden=size.transition_hidden, tr_layers=size.transition_layers, hetero=c.hetero,
                masks=self.mask_mode, true_ga=self.ga, true_gz=self.gz, init_logit=c.init_logit,
                prior_logvar=c.prior_logvar, dec_logvar=c.dec_logvar, residual=c.residual,
            )  # fmt: skip
        return model.to(self.device)

    # ---------------------------------------------------------------- optimisation

    def current_bound(self) -> float | None:
        """The constraint bound now: annealed_fraction of the run's progress when anneal_from / anneal_to are set and
        the run has a limit, else annealed_bound of the step; None without a constraint."""
        c = self.config
        if c.anneal_from is not None and c.anneal_to is not None and (c.max_steps or c.max_seconds):
            p = progress_fraction(self.step_count, c.max_steps, self.elapsed, c.max_seconds)
            return annealed_fraction(p, self.n_entries, self.target_bound, c.anneal_from, c.anneal_to)
        return annealed_bound(self.step_count, self.n_entries, self.target_bound, c.anneal_start, c.anneal_steps)

    @property
    def finished(self) -> bool:
        c = self.config
        out_of_steps = c.max_steps is not None and self.step_count >= c.max_steps
        return not self.method.trains or out_of_steps or (c.max_seconds is not None and self.elapsed >= c.max_seconds)

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
        self.multiplier = 0.0 if edges <= bound else max(0.0, self.multiplier + self.config.dual_lr * (edges - bound))

    def step(self) -> dict:
        """One optimisation step (and an evaluation every eval_every steps). Raises TrainingDiverged on a NaN or
        infinite loss, before any parameter changes."""
        start = time.perf_counter()
        c, model = self.config, self.model
        model.train()
        idx = torch.randint(self.x_train.shape[0], (c.batch_size,), generator=self.generator, device=self.device)
        a = None if self.a_train is None else self.a_train[idx]
        z = None if self.z_train is None else self.z_train[idx]
        terms = model.loss_terms(Batch(self.x_train[idx], a, z), self.generator, c)
        loss = terms.loss.mean()
        edges = model.expected_edges().to(loss.device)
        bound = self.current_bound()
        total = loss + self.sparsity_term(edges, bound)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip if c.grad_clip else float("inf"))
        recon, kl = (loss.new_zeros(()) if t is None else t.mean() for t in (terms.recon, terms.kl))
        values = torch.stack([total.detach(), loss.detach(), recon.detach(), kl.detach(), edges.detach()])
        total_v, loss_v, recon_v, kl_v, edges_v = values.tolist()
        if not (math.isfinite(total_v) and math.isfinite(float(norm))):
            self.optimizer.zero_grad(set_to_none=True)
            self.elapsed += time.perf_counter() - start
            raise TrainingDiverged(f"loss became {total_v} at step {self.step_count + 1}; try a smaller learning rate")
        self.optimizer.step()
        if c.logit_clip is not None:
            model.clip_logits(c.logit_clip)
        if self.regularised and bound is not None:
            self.update_multiplier(edges_v, bound)
        self.step_count += 1
        self.state.losses.add(loss_v, recon_v, kl_v, edges_v)
        self.elapsed += time.perf_counter() - start
        info = {"step": self.step_count, "loss": loss_v, "recon": recon_v, "kl": kl_v, "edge_count": edges_v}
        if self.step_count % c.eval_every == 0 or self.finished:
            info["evaluated"] = self.evaluate()
        return info

    # ---------------------------------------------------------------- measuring (the numbers: evaluation.py)

    @torch.no_grad()
    def latents(self, x: np.ndarray | torch.Tensor | None = None) -> np.ndarray:
        """Encoder means for x (default: the evaluation subsample), shape (N, T, dz)."""
        self.model.eval()
        xt = self.x_eval if x is None else torch.as_tensor(x, dtype=torch.float32, device=self.device)
        mu, _ = self.model.encode(xt)
        return mu.double().cpu().numpy()

    def _edge_probs(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        with torch.no_grad():
            probs = self.model.edge_probs()
        return tuple(None if p is None else p.double().cpu().numpy() for p in probs)

    def _edge_count(self) -> float:
        """The expected edge count; NaN for a method without a graph."""
        return float(self.model.expected_edges().detach()) if self.method.learns_graph else math.nan

    def _measure(self) -> Evaluation:
        """Metrics and matrices on the evaluation subsample (no history row)."""
        pa, pz = self._edge_probs()
        z_hat = None if self.z_eval is None else self.latents()
        return evaluate(self.z_eval, z_hat, pa, pz, ga=self.ga, gz=self.gz, pattern=self.pattern, same_dz=self.same_dz)

    def _shown_multiplier(self) -> float | None:
        return self.multiplier if self.target_bound is not None else None

    def evaluate(self) -> dict:
        """Measure now and append one history row (step, seconds, losses, metrics, edges, bound, multiplier).
        Calling it again without a step in between returns the same row instead of adding a duplicate."""
        if self.history and self.history[-1]["step"] == self.step_count and self._last_eval_step == self.step_count:
            return self.history[-1]
        start = time.perf_counter()
        self._last_eval, self._last_eval_step = self._measure(), self.step_count
        means = self.state.losses.flush()
        if means is None:  # no step since the last row: the smoothed losses and the current edges
            loss, recon, kl = (self.state.losses.smoothed(k) for k in ("loss", "recon", "kl"))
            edges = self._edge_count()
        else:
            loss, recon, kl, edges = means
        rate = self.state.rate.mark(self.step_count, self.elapsed)
        if not self.method.has_elbo:
            recon = kl = None
        elbo = None if recon is None else -(recon + kl)
        row = {"step": self.step_count, "seconds": round(self.elapsed, 3), "loss": loss, "recon": recon, "kl": kl}
        edges = edges if self.method.learns_graph else None  # no graph, no edges (not zero of them)
        row |= {"elbo": elbo, **self._last_eval.metrics.to_dict(), "edge_count": edges}
        row |= {"bound": self.current_bound(), "multiplier": self._shown_multiplier(), "steps_per_second": rate}
        self.history.append(row)
        self.elapsed += time.perf_counter() - start
        self._record_frame(row)
        return row

    def _record_frame(self, row: dict) -> None:
        """The evaluation just made, as a timeline frame: only numbers evaluate() already has (no model call, no
        random draw), so recording never changes the trajectory."""
        ev = self._last_eval
        self.timeline.add(
            row["step"], row["seconds"], row, index=len(self.history) - 1, edge_probs_a=ev.edge_probs_a,
            edge_probs_z=ev.edge_probs_z, matched_probs_a=ev.matched_a, matched_probs_z=ev.matched_z, corr=ev.corr,
        )  # fmt: skip

    def snapshot(self) -> Snapshot:
        """The current state as an immutable Snapshot (metrics from the latest evaluation)."""
        if self._last_eval is None:
            self._last_eval = self._measure()
        ev, c, losses = self._last_eval, self.config, self.state.losses
        pa, pz = self._edge_probs()
        recon, kl = (losses.smoothed(k) if self.method.has_elbo else math.nan for k in ("recon", "kl"))
        return Snapshot(
            step=self.step_count, max_steps=c.max_steps, elapsed=self.elapsed,
            steps_per_second=self.steps_per_second, loss=losses.smoothed("loss"), recon=recon, kl=kl,
            elbo=-(recon + kl), edge_probs_a=frozen(pa), edge_probs_z=frozen(pz), matched_probs_a=ev.matched_a,
            matched_probs_z=ev.matched_z, edge_count=self._edge_count(), bound=self.current_bound(),
            multiplier=self._shown_multiplier(), metrics=ev.metrics, corr=ev.corr, coef=ev.coef,
            pattern=self.pattern, history=tuple(dict(r) for r in self.history), device=str(self.device),
            finished=self.finished, max_seconds=c.max_seconds, target_bound=self.target_bound,
        )  # fmt: skip

    @property
    def steps_per_second(self) -> float:
        return self.state.rate.steps_per_second(self.step_count, self.elapsed)

    def summary(self) -> dict:
        """summary.json: the final metrics (latest evaluation) and how long it took."""
        if self._last_eval is None or self._last_eval_step != self.step_count:
            self._last_eval, self._last_eval_step = self._measure(), self.step_count
        mccs = [r["mcc"] for r in self.history if r.get("mcc") is not None]
        losses, rate = self.state.losses, self.step_count / self.elapsed if self.elapsed > 0 else 0.0
        out = {**self._last_eval.metrics.to_dict(), "best_mcc": max(mccs) if mccs else None, "steps": self.step_count}
        out |= {"seconds": round(self.elapsed, 3), "steps_per_second": rate, "device": str(self.device)}
        edges = self._edge_count() if self.method.learns_graph else None
        out |= {"edge_count": edges, "bound": self.current_bound(), "target_bound": self.target_bound}
        out |= {"method": self.method.name, "sparsity": self.config.sparsity if self.regularised else "none"}
        out |= {"masks": self.mask_mode if self.method.learns_graph else None}
        elbo = -(losses.smoothed("recon") + losses.smoothed("kl"))
        out |= {"elbo": elbo if self.method.has_elbo and math.isfinite(elbo) else None}
        return out | {"n_parameters": sum(p.numel() for p in self.model.parameters()), "finished": self.finished}

    # ---------------------------------------------------------------- checkpoints

    def save_checkpoint(self, path: str | Path) -> None:
        """Everything needed to continue the same trajectory (weights, optimiser, generator, TrainState), written
        atomically into an existing folder: FileNotFoundError when it is gone, so a deleted run stays deleted."""
        state = {
            "version": CHECKPOINT_VERSION,
            "config": self.config.to_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "device": str(self.device),
            "state": self.state.to_dict(),
        }
        write_atomic(path, lambda fh: torch.save(state, fh))

    @classmethod
    def load_checkpoint(cls, path: str | Path, dataset: Dataset, **overrides) -> Trainer:
        """A trainer restored from ``save_checkpoint`` (format version 1 or 2) on the same dataset; ``overrides``
        may change limits or device (e.g. max_steps) without touching the trajectory."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}")
        ck = torch.load(path, map_location="cpu", weights_only=True)
        version = ck.get("version") if isinstance(ck, dict) else None
        if version not in (1, CHECKPOINT_VERSION):
            raise ValueError(f"{path} has checkpoint format {version!r}; this version reads 1 to {CHECKPOINT_VERSION}")
        trainer = cls(dataset, TrainConfig.from_dict({**ck["config"], **overrides}))
        trainer.model.load_state_dict(ck["model"])
        trainer.optimizer.load_state_dict(ck["optimizer"])
        trainer.state = TrainState.from_dict(ck["state"]) if version == CHECKPOINT_VERSION else TrainState.from_v1(ck)
        if ck.get("device") == str(trainer.device):
            trainer.generator.set_state(ck["generator"])
        else:  # a different device has a different generator; continue deterministically from the step count
            trainer.generator.manual_seed(trainer.config.seed * 1_000_003 + trainer.step_count)
        return trainer
