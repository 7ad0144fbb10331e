"""What flows between the trainer and any method's model: a minibatch in, per-example losses out.

Kept apart (torch only) so that the sparse VAE (mechsparse.learning.model) and the baselines
(mechsparse.learning.methods) share it without importing each other.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Batch(NamedTuple):
    """One minibatch of sequences: x (B, T, dx), a (B, T, da) or None, z (B, T, dz) or None (true latents, given
    only to methods that train on them)."""

    x: torch.Tensor
    a: torch.Tensor | None = None
    z: torch.Tensor | None = None


class LossTerms(NamedTuple):
    """Per-example losses, each (B,): ``loss`` is what the optimiser minimises; ``recon`` and ``kl`` are the
    negative ELBO's two terms (None for methods without an ELBO, such as PCL or supervised regression)."""

    loss: torch.Tensor
    recon: torch.Tensor | None = None
    kl: torch.Tensor | None = None
