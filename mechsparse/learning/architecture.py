"""The model's shape as declared facts, without torch: the named model sizes (widths and the CPU thread count a run
of each gets by default), the mask modes, and the log-variance range the networks clamp to.

The configuration's rules and the front ends read these, so they need not load torch to offer or check a choice;
mechsparse.learning.model builds the networks from them.
"""

from __future__ import annotations

from dataclasses import dataclass

LOGVAR_MIN, LOGVAR_MAX = -14.0, 6.0
MASK_MODES = ("learned", "full", "oracle")


@dataclass(frozen=True)
class ModelSize:
    """The widths of a named model size, and how many torch threads a CPU run of it gets by default."""

    hidden: int  # encoder and decoder hidden width
    layers: int  # their hidden layers
    transition_hidden: int  # hidden width of each latent's transition MLP
    transition_layers: int  # its hidden layers
    cpu_threads: int | None  # default torch thread count on CPU; None: torch's own default (all cores)


# Small networks gain little from more intra-op threads, and spinning threads that fight the UI (or a second job)
# for the cores slow training down a lot; only the paper's size is worth the whole machine.
MODEL_PRESETS: dict[str, ModelSize] = {
    "tiny": ModelSize(64, 2, 32, 2, cpu_threads=1),
    "small": ModelSize(128, 2, 64, 2, cpu_threads=1),
    "medium": ModelSize(256, 3, 128, 2, cpu_threads=1),  # 2 threads: +33% alone, -82% beside a second run
    "paper": ModelSize(512, 6, 512, 5, cpu_threads=None),
}
MODEL_SIZES = tuple(MODEL_PRESETS)
