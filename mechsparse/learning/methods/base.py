"""What every method's model offers the trainer, and the Gaussian VAE pieces the VAE baselines share.

The trainer only needs: ``encode`` (the learned latents are the encoder means), ``loss_terms`` (the loss of a
minibatch per example, and the ELBO's reconstruction and KL where the method has an ELBO), parameter groups, and
the graph hooks (edge probabilities, expected edges), which methods without a graph answer with None and zero.
"""

from __future__ import annotations

import torch
from torch import nn

from mechsparse.learning.architecture import LOGVAR_MAX, LOGVAR_MIN
from mechsparse.learning.model import gaussian_log_density, mlp
from mechsparse.learning.objective import Batch, LossTerms


class LatentModel(nn.Module):
    """A model the trainer can fit and measure; subclasses set dx, dz and implement encode and loss_terms."""

    dx: int
    dz: int

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of the learned latents of x (..., dx)."""
        raise NotImplementedError

    def loss_terms(self, batch: Batch, generator: torch.Generator | None, config) -> LossTerms:
        raise NotImplementedError

    # ---- graph hooks: a method without a graph learns none
    n_mask_entries = 0

    def edge_probs(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        return None, None

    def expected_edges(self) -> torch.Tensor:
        return torch.zeros(())

    def clip_logits(self, limit: float) -> None:
        pass

    # ---- optimiser groups
    def scale_parameters(self) -> list[nn.Parameter]:
        """Free log-variances, worth a faster learning rate than the network weights (see SparseVAE)."""
        return []

    def param_groups(self, lr: float, scale_lr: float, mask_lr: float) -> list[dict]:
        scales = self.scale_parameters()
        ids = {id(p) for p in scales}
        groups = [{"params": [p for p in self.parameters() if id(p) not in ids], "lr": lr}]
        return groups + ([{"params": scales, "lr": scale_lr}] if scales else [])


class PointEncoder(LatentModel):
    """A deterministic encoder x -> h (dz features, no variance): the model of the methods without a decoder."""

    def __init__(self, dx: int, dz: int, *, hidden: int, layers: int):
        super().__init__()
        self.dx, self.dz = dx, dz
        self.encoder = mlp(dx, hidden, layers, dz)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return h, torch.zeros_like(h)


class GaussianVAE(LatentModel):
    """Encoder q(z|x) = N(mu(x), diag e^logvar(x)) and decoder p(x|z) = N(f(z), e^dec_logvar I), the same
    networks and scales as the sparse VAE, so that methods differ only in their prior and loss."""

    def __init__(self, dx: int, dz: int, *, hidden: int, layers: int, dec_logvar: float = -4.0):
        super().__init__()
        self.dx, self.dz = dx, dz
        self.encoder = mlp(dx, hidden, layers, 2 * dz)
        self.decoder = mlp(dz, hidden, layers, dx)
        self.dec_logvar = nn.Parameter(torch.tensor(float(dec_logvar)))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def scale_parameters(self) -> list[nn.Parameter]:
        return [self.dec_logvar]

    def sample(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + eps * torch.exp(0.5 * logvar)

    def recon_nll(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) element-wise, shape of x."""
        dec_logvar = self.dec_logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)
        return -gaussian_log_density(x, self.decoder(z), dec_logvar)


def per_example(values: torch.Tensor, scale: float) -> torch.Tensor:
    """Sum (B, T, d) element-wise terms over time and dimensions, divided by ``scale`` (T * dx: the authors'
    per-observed-dimension scale, the same as the sparse VAE's), giving (B,)."""
    return values.sum(dim=(1, 2)) / scale
