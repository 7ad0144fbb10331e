"""The sparse VAE: Gaussian encoder and decoder, a masked latent transition prior, and Gumbel-sigmoid edge masks.

The prior factorises over latents: z_{t,i} ~ N(g_i(M_i ⊙ [z_{t-1}, a_t]), sigma_i^2), where M is the learned
(or frozen) graph [Ĝz, Ĝa] with rows = learned latents. All dz conditionals g_i run as one batched op: masking the
inputs of g_i is the same as zeroing rows of its first weight matrix, so the first layer for every latent is a
single (B, d_in) x (d_in, dz * hidden) product and later layers are one torch.baddbmm each.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mechsparse.learning.architecture import LOGVAR_MAX, LOGVAR_MIN, MASK_MODES
from mechsparse.learning.objective import Batch, LossTerms

LEAKY_SLOPE = 0.2


def mlp(d_in: int, hidden: int, layers: int, d_out: int) -> nn.Sequential:
    """A plain leaky-ReLU MLP with ``layers`` hidden layers."""
    mods: list[nn.Module] = []
    width = d_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.LeakyReLU(LEAKY_SLOPE)]
        width = hidden
    mods.append(nn.Linear(width, d_out))
    return nn.Sequential(*mods)


class BatchedMLP(nn.Module):
    """k independent leaky-ReLU MLPs on one shared input, each seeing its own masked copy of it.

    Weights are stacked (k, fan_in, fan_out); ``forward(x, mask)`` returns (B, k, d_out) and equals running MLP i
    on ``x * mask[i]`` for every i (tests check this against a loop)."""

    def __init__(self, k: int, d_in: int, hidden: int, layers: int, d_out: int):
        super().__init__()
        self.k, self.d_in, self.d_out = k, d_in, d_out
        widths = [d_in] + [hidden] * layers + [d_out]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            bound = 1.0 / math.sqrt(fan_in)
            self.weights.append(nn.Parameter(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(k, 1, fan_out).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, d_in); mask None, one graph (k, d_in) for the whole batch, or one per example (B, k, d_in)."""
        if mask is not None and mask.dim() == 3:
            h = torch.baddbmm(self.biases[0], (x.unsqueeze(1) * mask).transpose(0, 1), self.weights[0])
        else:
            w0 = self.weights[0] if mask is None else self.weights[0] * mask.unsqueeze(-1)  # (k, d_in, h)
            h0 = w0.shape[-1]
            h = (x @ w0.permute(1, 0, 2).reshape(self.d_in, self.k * h0)).reshape(-1, self.k, h0).transpose(0, 1)
            h = h + self.biases[0]
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b, F.leaky_relu(h, LEAKY_SLOPE), w)
        return h.transpose(0, 1)  # (B, k, d_out)


def logistic_noise(shape: tuple[int, ...], generator: torch.Generator | None, device) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device).clamp_(1e-6, 1 - 1e-6)
    return torch.log(u) - torch.log1p(-u)


class EdgeMask(nn.Module):
    """A (rows x cols) graph of learned latents (rows, children) on parents (cols).

    'learned': Gumbel-sigmoid samples from learnable logits; 'full': frozen all-ones; 'oracle': frozen to a given
    graph. Frozen masks have no parameters and add nothing to the edge count."""

    def __init__(self, rows: int, cols: int, mode: str = "learned", init_logit: float = 3.0, fixed=None):
        super().__init__()
        if mode not in MASK_MODES:
            raise ValueError(f"mask mode must be one of {', '.join(MASK_MODES)}, got {mode!r}")
        self.mode = mode
        if mode == "learned":
            self.logits = nn.Parameter(torch.full((rows, cols), float(init_logit)))
        else:
            values = torch.ones(rows, cols) if mode == "full" else torch.tensor(np.asarray(fixed), dtype=torch.float32)
            if values.shape != (rows, cols):
                raise ValueError(f"oracle mask needs a {rows}x{cols} graph, got {tuple(values.shape)}")
            self.register_buffer("fixed", values.clone())

    @property
    def learned(self) -> bool:
        return self.mode == "learned"

    def probs(self) -> torch.Tensor:
        return torch.sigmoid(self.logits) if self.learned else self.fixed

    def sample(
        self, generator: torch.Generator | None = None, hard: bool = False, tau: float = 1.0, n: int | None = None
    ) -> torch.Tensor:
        """Gumbel-sigmoid draws of the whole graph (soft; straight-through 0/1 when ``hard``): one (rows, cols)
        draw, or ``n`` independent ones (n, rows, cols)."""
        if not self.learned:
            return self.fixed if n is None else self.fixed.expand(n, *self.fixed.shape)
        shape = self.logits.shape if n is None else (n, *self.logits.shape)
        soft = torch.sigmoid((self.logits + logistic_noise(shape, generator, self.logits.device)) / tau)
        if not hard:
            return soft
        return (soft > 0.5).to(soft.dtype) + soft - soft.detach()

    def expected_edges(self) -> torch.Tensor:
        """Sum of the edge probabilities; a frozen graph counts its edges (the unregularised model uses them all)."""
        return self.probs().sum()

    @torch.no_grad()
    def clip_logits(self, limit: float) -> None:
        """Keep the logits within [-limit, limit], so that a pruned edge stays within reach of its evidence."""
        if self.learned:
            self.logits.clamp_(-limit, limit)


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, e^logvar), element-wise (broadcasting)."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 * torch.exp(-logvar))


def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p) -> torch.Tensor:
    """KL(N(mu_q, e^logvar_q) || N(mu_p, e^logvar_p)) element-wise."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) * torch.exp(-logvar_p) - 1.0)


class SparseVAE(nn.Module):
    """VAE whose latent prior is a sparse, factorised transition p(z_t | z_{t-1}, a_t).

    x: (B, T, dx); a: (B, T, da) or None. With T = 1 (action data) the prior of z is g(a). With temporal data
    (``temporal``) z_0 gets a learned per-latent Gaussian (plus the action part when there are actions), and
    z_t for t >= 1 gets g(z_{t-1}, a_t), plus z_{t-1} itself (gated by the self-edge) when ``residual``.
    Without actions or time the prior is N(0, I).
    """

    def __init__(
        self,
        dx: int,
        dz: int,
        da: int = 0,
        *,
        temporal: bool = False,
        enc_hidden: int = 128,
        enc_layers: int = 2,
        tr_hidden: int = 64,
        tr_layers: int = 2,
        hetero: bool = False,
        masks: str = "learned",
        true_ga=None,
        true_gz=None,
        init_logit: float = 3.0,
        prior_logvar: float = -4.0,
        dec_logvar: float = -4.0,
        residual: bool = False,
    ):
        super().__init__()
        self.dx, self.dz, self.da, self.temporal, self.hetero = dx, dz, da, temporal, hetero
        self.residual = residual and temporal
        self.encoder = mlp(dx, enc_hidden, enc_layers, 2 * dz)
        self.decoder = mlp(dz, enc_hidden, enc_layers, dx)
        self.dec_logvar = nn.Parameter(torch.tensor(float(dec_logvar)))
        self.mask_a = EdgeMask(dz, da, masks, init_logit, true_ga) if da > 0 else None
        self.mask_z = EdgeMask(dz, dz, masks, init_logit, true_gz) if temporal else None
        self.d_in = (dz if temporal else 0) + da
        self.transition = BatchedMLP(dz, self.d_in, tr_hidden, tr_layers, 2 if hetero else 1) if self.d_in else None
        self.prior_logvar = nn.Parameter(torch.full((dz,), float(prior_logvar)))
        if temporal:
            self.init_mean = nn.Parameter(torch.zeros(dz))
            self.init_logvar = nn.Parameter(torch.zeros(dz))

    # ---- parameters by role (the mask logits get their own learning rate)
    def mask_parameters(self) -> list[nn.Parameter]:
        return [m.logits for m in (self.mask_z, self.mask_a) if m is not None and m.learned]

    def scale_parameters(self) -> list[nn.Parameter]:
        """The free log-variances (decoder, transition noise, first-step prior): a few scalars that set the balance
        of the ELBO terms, worth a faster learning rate than the network weights."""
        params = [self.dec_logvar, self.prior_logvar]
        if self.temporal:
            params += [self.init_mean, self.init_logvar]
        return params

    def net_parameters(self) -> list[nn.Parameter]:
        ids = {id(p) for p in self.mask_parameters() + self.scale_parameters()}
        return [p for p in self.parameters() if id(p) not in ids]

    def param_groups(self, lr: float, scale_lr: float, mask_lr: float) -> list[dict]:
        """Optimiser groups by role: networks, free scales, and (when learned) mask logits, each at its own rate."""
        groups = [{"params": self.net_parameters(), "lr": lr}, {"params": self.scale_parameters(), "lr": scale_lr}]
        if self.mask_parameters():
            groups.append({"params": self.mask_parameters(), "lr": mask_lr})
        return groups

    def edge_probs(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(Ĝa, Ĝz) edge probabilities, rows = learned latents."""
        return (
            None if self.mask_a is None else self.mask_a.probs(),
            None if self.mask_z is None else self.mask_z.probs(),
        )

    def clip_logits(self, limit: float) -> None:
        """Clip every learned mask's logits to [-limit, limit] (see EdgeMask.clip_logits)."""
        for m in (self.mask_a, self.mask_z):
            if m is not None:
                m.clip_logits(limit)

    def expected_edges(self) -> torch.Tensor:
        total = self.prior_logvar.new_zeros(())
        for m in (self.mask_a, self.mask_z):
            if m is not None:
                total = total + m.expected_edges()
        return total

    @property
    def n_mask_entries(self) -> int:
        return sum(m.logits.numel() for m in (self.mask_a, self.mask_z) if m is not None and m.learned)

    def sample_mask(self, generator=None, hard: bool = False, tau: float = 1.0, n: int | None = None):
        """The transition's input mask (dz, d_in), columns [z_{t-1} | a_t]: one draw per minibatch, or one per
        row (n, dz, d_in) when ``n`` is given (less noisy gradients for the logits, same cost)."""
        parts = [m.sample(generator, hard, tau, n) for m in (self.mask_z, self.mask_a) if m is not None]
        return torch.cat(parts, dim=-1) if parts else None

    # ---- pieces
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def prior(self, z: torch.Tensor, a: torch.Tensor | None, mask: torch.Tensor | None):
        """Prior mean and log-variance of every z_t, both (B, T, dz), given the transition's latent inputs z
        (B, T, dz; step t feeds step t + 1) and actions."""
        b, t, dz = z.shape
        if self.transition is None:
            zeros = z.new_zeros(b, t, dz)
            return zeros, zeros
        inputs = []
        if self.temporal:
            inputs.append(torch.cat([z.new_zeros(b, 1, dz), z[:, :-1]], dim=1))
        if self.da:
            inputs.append(a)
        x_in = torch.cat(inputs, dim=-1).reshape(b * t, self.d_in)
        out = self.transition(x_in, mask).reshape(b, t, dz, -1)
        mean = out[..., 0]
        if self.residual:  # z_{t,i} = (self-edge) * z_{t-1,i} + g_i(...): g only models the change
            keep = torch.diagonal(mask[..., :dz], dim1=-2, dim2=-1) if mask is not None else 1.0
            mean = mean + (x_in[:, :dz] * keep).reshape(b, t, dz)
        if self.hetero:
            logvar = out[..., 1].clamp(LOGVAR_MIN, LOGVAR_MAX)
        else:
            logvar = self.prior_logvar.clamp(LOGVAR_MIN, LOGVAR_MAX).expand(b, t, dz)
        if self.temporal:
            first_mean = self.init_mean + mean[:, 0] if self.da else self.init_mean.expand(b, dz)
            first_logvar = self.init_logvar.clamp(LOGVAR_MIN, LOGVAR_MAX).expand(b, dz)
            mean = torch.cat([first_mean.unsqueeze(1), mean[:, 1:]], dim=1)
            logvar = torch.cat([first_logvar.unsqueeze(1), logvar[:, 1:]], dim=1)
        return mean, logvar

    def forward(
        self,
        x: torch.Tensor,
        a: torch.Tensor | None,
        generator=None,
        hard: bool = False,
        tau: float = 1.0,
        per_sample: bool = False,
    ):
        """Negative ELBO terms per example, each divided by T * dx (the authors' scale): (recon, kl) of shape (B,).
        ``per_sample`` draws an independent mask for every row instead of one per minibatch."""
        mu_q, logvar_q = self.encode(x)
        eps = torch.randn(mu_q.shape, generator=generator, device=mu_q.device, dtype=mu_q.dtype)
        z = mu_q + eps * torch.exp(0.5 * logvar_q)
        x_hat = self.decode(z)
        dec_logvar = self.dec_logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)
        nll = -gaussian_log_density(x, x_hat, dec_logvar)
        n = x.shape[0] * x.shape[1] if per_sample else None
        mu_p, logvar_p = self.prior(z, a, self.sample_mask(generator, hard, tau, n))
        kl = gaussian_kl(mu_q, logvar_q, mu_p, logvar_p)
        scale = x.shape[1] * self.dx
        return nll.sum(dim=(1, 2)) / scale, kl.sum(dim=(1, 2)) / scale

    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        """The negative ELBO per example (the trainer adds the sparsity term): mask draws as the config says."""
        recon, kl = self(batch.x, batch.a, generator, config.hard, config.temperature, config.mask_per_sample)
        return LossTerms(recon + kl, recon, kl)
