"""The two references every chart needs: a supervised encoder regressed on the true latents (the ceiling: what the
encoder architecture can reach with the answer given) and a random, untrained encoder (the floor: what MCC gives
for latents that learned nothing)."""

from __future__ import annotations

import torch

from mechsparse.methods.base import Batch, LatentModel, LossTerms
from mechsparse.model import mlp


class Regressor(LatentModel):
    """An encoder x -> z with no variance: trained by mean squared error to the true z (supervised), or never
    trained (random)."""

    def __init__(self, dx: int, dz: int, *, hidden: int, layers: int):
        super().__init__()
        self.dx, self.dz = dx, dz
        self.encoder = mlp(dx, hidden, layers, dz)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return h, torch.zeros_like(h)

    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        if batch.z is None:
            raise ValueError("supervised training needs the true latents z")
        return LossTerms(((self.encoder(batch.x) - batch.z) ** 2).mean(dim=(1, 2)))
