"""SlowVAE (Klindt et al. 2021): a VAE whose temporal prior is sparse: each latent's change z_t - z_{t-1} follows a
Laplace distribution with rate λ, factorised over latents, and the transition KL is weighted by γ; z_0 has a standard
normal prior. Temporal data only.

It assumes every latent moves rarely and independently; the papers' latents have dense, nonlinear transitions, which
is where a learned sparse graph does better.
"""

from __future__ import annotations

import math

import torch

from mechsparse.learning.methods.base import Batch, GaussianVAE, LossTerms, per_example
from mechsparse.learning.model import gaussian_kl


def gaussian_laplace_kl(mu: torch.Tensor, logvar: torch.Tensor, loc: torch.Tensor, rate: float) -> torch.Tensor:
    """KL(N(mu, e^logvar) || Laplace(loc, 1 / rate)) element-wise, in closed form: minus the Gaussian's entropy,
    plus log(2 / rate), plus rate times E|z - loc| (the mean of a folded normal)."""
    sigma = torch.exp(0.5 * logvar)
    delta = mu - loc
    mean_abs = sigma * math.sqrt(2 / math.pi) * torch.exp(-0.5 * (delta / sigma) ** 2)
    mean_abs = mean_abs + delta * torch.erf(delta / (sigma * math.sqrt(2)))
    neg_entropy = -0.5 * (math.log(2 * math.pi * math.e) + logvar)
    return neg_entropy + math.log(2 / rate) + rate * mean_abs


class SlowVAE(GaussianVAE):
    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        x = batch.x
        mu, logvar = self.encode(x)
        z = self.sample(mu, logvar, generator)
        scale = x.shape[1] * self.dx
        recon = per_example(self.recon_nll(x, z), scale)
        first = gaussian_kl(mu[:, :1], logvar[:, :1], torch.zeros_like(mu[:, :1]), torch.zeros_like(mu[:, :1]))
        moves = gaussian_laplace_kl(mu[:, 1:], logvar[:, 1:], z[:, :-1], config.rate)
        kl_first, kl_moves = per_example(first, scale), per_example(moves, scale)
        return LossTerms(recon + kl_first + config.gamma * kl_moves, recon, kl_first + kl_moves)
