"""The two references every chart needs: a supervised encoder regressed on the true latents (the ceiling: what the
encoder architecture can reach with the answer given) and a random, untrained encoder (the floor: what MCC gives
for latents that learned nothing)."""

from __future__ import annotations

from mechsparse.learning.methods.base import Batch, LossTerms, PointEncoder


class Regressor(PointEncoder):
    """An encoder x -> z with no variance: trained by mean squared error to the true z (supervised), or never
    trained (random)."""

    def loss_terms(self, batch: Batch, generator, config) -> LossTerms:
        if batch.z is None:
            raise ValueError("supervised training needs the true latents z")
        return LossTerms(((self.encoder(batch.x) - batch.z) ** 2).mean(dim=(1, 2)))
