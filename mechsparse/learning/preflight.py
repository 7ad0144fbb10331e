"""What the machine, a dataset and a config allow, checked before anything is built: the torch device a name
resolves to, the CPU thread count a training process sets, and check_trainable, the refusal a front end gives
before it creates a run folder (the same one-line ValueError the Trainer would raise).
"""

from __future__ import annotations

import numpy as np
import torch

from mechsparse.data.dataset import Dataset
from mechsparse.learning import methods
from mechsparse.learning.config import DEVICES, TrainConfig, default_threads
from mechsparse.learning.constraint import target_bound, true_graphs


def resolve_device(name: str) -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cuda' without a GPU is a one-line ValueError."""
    if name not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available (use --device cpu or auto)")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def apply_threads(config: TrainConfig) -> int | None:
    """For the process that trains (worker, CLI): set torch's thread count to default_threads(config) on a
    CPU run. Returns the count set, or None when torch was left alone."""
    threads = default_threads(config)
    if threads is None or resolve_device(config.device).type != "cpu":
        return None
    torch.set_num_threads(threads)
    return threads


def check_trainable(dataset: Dataset, config: TrainConfig) -> None:
    """Raise the one-line ValueError that Trainer(dataset, config) would raise, without building a model or
    tensors, so that a front end can refuse bad input before it creates a run folder."""
    config.validate()
    if dataset.x is None or np.asarray(dataset.x).ndim != 3:
        raise ValueError("the dataset needs observations x of shape (N, T, dx)")
    resolve_device(config.device)
    dz = config.dz or dataset.dz
    if dz is None:
        raise ValueError("the data carries neither latents z nor graphs, so give the number of latents (dz)")
    methods.get(config.method).check(dataset, dz, config.batch_size)
    ga, gz = true_graphs(dataset)
    missing_truth = dz != dataset.dz or (dataset.da and ga is None) or (dataset.t > 1 and gz is None)
    if config.method == methods.SPARSE and config.masks == "oracle" and missing_truth:
        raise ValueError("oracle masks need the data's true graphs, with the model's dz equal to the true dz")
    train_idx, _, test_idx = dataset.split(seed=config.seed)
    if len(train_idx) < 1 or len(test_idx) < 2:
        raise ValueError(f"the dataset has {dataset.n} samples; at least 20 are needed to train and evaluate")
    target_bound(dataset, config)
