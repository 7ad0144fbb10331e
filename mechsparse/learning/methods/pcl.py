"""PCL, permutation-contrastive learning (Hyvärinen & Morioka 2017): a feature extractor h is trained, with a
regression function r(y, y') = sum_i psi_i(h_i(y), h_i(y')) + b, to tell real consecutive pairs (x_{t-1}, x_t)
from pairs whose x_t was taken from another sequence. With each psi_i a small MLP of its two inputs (the general
form), the learned h recovers the latents of a temporally dependent source up to element-wise maps. No decoder, no
ELBO. Temporal data only.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from mechsparse.learning.methods.base import Batch, LossTerms, PointEncoder
from mechsparse.learning.model import BatchedMLP


class PCL(PointEncoder):
    def __init__(self, dx: int, dz: int, *, hidden: int, layers: int, psi_hidden: int, psi_layers: int):
        super().__init__(dx, dz, hidden=hidden, layers=layers)
        # psi_i reads only (h_i(x_t), h_i(x_{t-1})): dz MLPs on the shared input [h_t | h_{t-1}], each masked to
        # its own two columns
        self.psi = BatchedMLP(dz, 2 * dz, psi_hidden, psi_layers, 1)
        eye = torch.eye(dz)
        self.register_buffer("psi_mask", torch.cat([eye, eye], dim=1))
        self.bias = torch.nn.Parameter(torch.zeros(()))

    def logits(self, h_next: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """r for pairs of features (..., dz): the sum of the per-latent psi_i, plus a bias."""
        shape = h_next.shape[:-1]
        pairs = torch.cat([h_next, h_prev], dim=-1).reshape(-1, 2 * self.dz)
        return self.psi(pairs, self.psi_mask).sum(dim=(1, 2)).reshape(shape) + self.bias

    def pair_logits(self, x: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits of the real pairs (x_{t-1}, x_t) and of shuffled ones (x_{t-1}, x'_t from another sequence),
        both (B, T - 1)."""
        h = self.encoder(x)
        b = h.shape[0]
        shift = int(torch.randint(1, max(b, 2), (1,), generator=generator, device=x.device)) if b > 1 else 0
        fake_next = torch.roll(h[:, 1:], shifts=shift, dims=0)  # another sequence's x_t, same time step
        return self.logits(h[:, 1:], h[:, :-1]), self.logits(fake_next, h[:, :-1])

    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        real, fake = self.pair_logits(batch.x, generator)
        loss = F.softplus(-real) + F.softplus(fake)  # logistic regression: real 1, shuffled 0
        return LossTerms(loss.mean(dim=1))
