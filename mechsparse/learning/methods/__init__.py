"""The methods a run can train: the sparse VAE (this project's model) and the baselines the paper compares it with,
iVAE, β-TCVAE, SlowVAE and PCL, plus a supervised and a random encoder as the ceiling and floor of every chart.

Each method declares what data it accepts and which options it reads, so a front end can refuse a bad combination
with one line before anything is written. Models share the encoder / decoder widths of the chosen model size, the
data pipeline, metrics, checkpoints and snapshots of the trainer (mechsparse.learning.training).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry itself needs no torch: pages that only read run folders load faster
    from mechsparse.data.dataset import Dataset
    from mechsparse.learning.methods.base import LatentModel

__all__ = ["METHODS", "METHOD_NAMES", "OPTION_SYMBOLS", "Method", "build", "foreign_options", "get"]

SPARSE = "sparse"
# TrainConfig fields only one method reads: given with another method they are a mistake (the CLI refuses them)
SPARSE_OPTIONS = ("sparsity", "penalty", "bound", "masks", "mask_lr", "hard", "hetero")
OPTION_SYMBOLS = {"beta": "β", "gamma": "γ", "rate": "λ"}  # how the baselines' options are written for people
TCVAE_MAX_BATCH = 4096  # β-TCVAE compares all pairs of examples in a minibatch: memory grows with their square


@dataclass(frozen=True)
class Method:
    """A method: its name (CLI and config), label (pages), what it assumes in one line, the data it needs
    ('any', 'auxiliary': actions or time, 'temporal', 'latents': true z), the options it reads, and what it
    produces (a graph, an ELBO) or whether it trains at all."""

    name: str
    label: str
    summary: str
    needs: str = "any"
    options: tuple[str, ...] = ()
    learns_graph: bool = False
    has_elbo: bool = True
    trains: bool = True
    default_steps: int | None = None  # None: the data's tuned step budget, as for the sparse VAE

    def refusal(self, *, temporal: bool, actions: bool, latents: bool = True) -> str | None:
        """Why this method cannot train on data of this kind (time steps, actions, true latents z with the learned
        dz equal to the true dz), in one line; None when it can."""
        if self.needs == "auxiliary" and not (actions or temporal):
            return f"{self.label} needs an auxiliary variable, actions or time steps (T >= 2); this data has neither"
        if self.needs == "temporal" and not temporal:
            return (
                f"{self.label} needs temporal data (T >= 2) and this data has T = 1: on action data use the sparse "
                "VAE, iVAE or β-TCVAE"
            )
        if self.needs == "latents" and not latents:
            return f"{self.label} regresses on the true latents: it needs data with z, and dz equal to its true dz"
        return None

    def check(self, dataset: Dataset, dz: int | None, batch_size: int) -> None:
        """A one-line ValueError when this method cannot train on ``dataset`` with ``dz`` learned latents."""
        latents = dataset.z is not None and (dz or dataset.dz) == dataset.dz
        reason = self.refusal(temporal=dataset.t > 1, actions=dataset.da > 0, latents=latents)
        if reason:
            raise ValueError(reason)
        if self.name == "tcvae" and batch_size > TCVAE_MAX_BATCH:
            raise ValueError(
                f"β-TCVAE compares every pair of examples in a minibatch: batch size must be at most "
                f"{TCVAE_MAX_BATCH}, got {batch_size}"
            )


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            SPARSE,
            "Sparse VAE",
            "mechanism sparsity: a learned sparse graph of actions and past latents onto latents",
            options=SPARSE_OPTIONS,
            learns_graph=True,
        ),
        Method(
            "ivae",
            "iVAE",
            "a prior factorised given an auxiliary variable (actions, or the previous observation), no graph",
            needs="auxiliary",
        ),
        Method(
            "tcvae",
            "β-TCVAE",
            "independent latents: penalises the total correlation of the aggregate posterior (weight β)",
            options=("beta",),
        ),
        Method(
            "slowvae",
            "SlowVAE",
            "slow latents: each latent's change over one step is sparse (Laplace, rate λ, weight γ)",
            needs="temporal",
            options=("gamma", "rate"),
        ),
        Method(
            "pcl",
            "PCL",
            "temporally dependent, independent sources: contrast real consecutive pairs with shuffled ones",
            needs="temporal",
            has_elbo=False,
        ),
        Method(
            "supervised",
            "Supervised",
            "the ceiling: the encoder regressed on the true latents",
            needs="latents",
            has_elbo=False,
            default_steps=3000,
        ),
        Method(
            "random",
            "Random",
            "the floor: an untrained encoder",
            has_elbo=False,
            trains=False,
        ),
    )
}
METHOD_NAMES = tuple(METHODS)


def get(name: str) -> Method:
    """The method called ``name``; a one-line ValueError listing the names otherwise."""
    if name not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHOD_NAMES)}, got {name!r}")
    return METHODS[name]


def foreign_options(method: Method, keys: Iterable[str]) -> list[str]:
    """The keys, in their order, that only other methods read: given with ``method`` they would be ignored, so
    front ends refuse them (each in its own words)."""
    owned = {option for m in METHODS.values() for option in m.options}
    return [key for key in keys if key in owned and key not in method.options]


def build(name: str, *, dx: int, dz: int, da: int, temporal: bool, size, config) -> LatentModel:
    """The model of a baseline method (the sparse VAE is built by the trainer): networks of the model size
    ``size`` (mechsparse.learning.architecture.ModelSize), options from ``config``."""
    from mechsparse.learning.methods import ivae, pcl, references, slowvae, tcvae

    nets = {"hidden": size.hidden, "layers": size.layers}
    if name == "ivae":
        return ivae.IVAE(
            dx, dz, da, temporal=temporal, prior_hidden=size.transition_hidden, prior_layers=size.transition_layers,
            dec_logvar=config.dec_logvar, **nets,
        )  # fmt: skip
    if name == "tcvae":
        return tcvae.TCVAE(dx, dz, dec_logvar=config.dec_logvar, **nets)
    if name == "slowvae":
        return slowvae.SlowVAE(dx, dz, dec_logvar=config.dec_logvar, **nets)
    if name == "pcl":
        return pcl.PCL(dx, dz, psi_hidden=size.transition_hidden, psi_layers=size.transition_layers, **nets)
    if name in ("supervised", "random"):
        return references.Regressor(dx, dz, **nets)
    raise ValueError(f"no baseline model named {name!r}")
