"""iVAE (Khemakhem et al. 2020): a VAE whose prior is factorised given an observed auxiliary variable u,
p(z | u) = prod_i N(z_i; m_i(u), s_i^2(u)), with mean and variance both functions of u.

u is what the data offers: the actions a_t, and on temporal data the previous observation x_{t-1} (the paper's
comparison), both when there are both. Temporal sequences are scored from t = 1, where x_{t-1} exists. It learns no
graph: every latent may depend on all of u, which is what mechanism sparsity adds.
"""

from __future__ import annotations

import torch

from mechsparse.learning.architecture import LOGVAR_MAX, LOGVAR_MIN
from mechsparse.learning.methods.base import Batch, GaussianVAE, LossTerms, per_example
from mechsparse.learning.model import gaussian_kl, mlp


class IVAE(GaussianVAE):
    def __init__(
        self, dx: int, dz: int, da: int, *, temporal: bool, hidden: int, layers: int, prior_hidden: int,
        prior_layers: int, dec_logvar: float = -4.0,
    ):  # fmt: skip
        super().__init__(dx, dz, hidden=hidden, layers=layers, dec_logvar=dec_logvar)
        self.da, self.temporal = da, temporal
        self.du = da + (dx if temporal else 0)
        if self.du == 0:
            raise ValueError("iVAE needs an auxiliary variable: actions, or time steps (T >= 2)")
        self.prior_net = mlp(self.du, prior_hidden, prior_layers, 2 * dz)

    def auxiliary(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(x, u) aligned step by step: on temporal data x_t and u_t = [x_{t-1}, a_t] for t >= 1."""
        x, a = batch.x, batch.a
        if not self.temporal:
            return x, a
        parts = [x[:, :-1]] + ([a[:, 1:]] if self.da else [])
        return x[:, 1:], torch.cat(parts, dim=-1)

    def prior(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.prior_net(u).chunk(2, dim=-1)
        return mean, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        x, u = self.auxiliary(batch)
        mu, logvar = self.encode(x)
        z = self.sample(mu, logvar, generator)
        scale = x.shape[1] * self.dx
        recon = per_example(self.recon_nll(x, z), scale)
        kl = per_example(gaussian_kl(mu, logvar, *self.prior(u)), scale)
        return LossTerms(recon + kl, recon, kl)
