"""`python -m mechsparse train`: check everything, create a run folder as the app does, train it with the app's loop
(saved as it goes, resumable from the app), print a progress line on stderr and the scores on stdout."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from mechsparse.cli.common import bar, stop_on_signals
from mechsparse.cli.train_options import epilog, train_options
from mechsparse.data import dataset, synthetic
from mechsparse.learning import methods
from mechsparse.learning.architecture import MASK_MODES, MODEL_SIZES
from mechsparse.learning.config import DEVICES, SPARSITY_MODES, TrainConfig, default_config, default_samples
from mechsparse.learning.evaluation import progress_fraction
from mechsparse.learning.preflight import check_trainable, resolve_device
from mechsparse.learning.training import Trainer
from mechsparse.runs import runner, schema, store
from mechsparse.theory import graphs

EXIT_CODES = {"finished": 0, "failed": 1, "deleted": 1, "stopped": 130}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter  # the epilog's example keeps its lines
    p.epilog = epilog()
    _add_data_args(p)
    _add_option_args(p)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=list(graphs.PRESETS), help="generate the data of a named preset")
    p.add_argument("--data", help="a dataset file (.npz with x, and optionally a, z, ga, gz)")
    p.add_argument(
        "--n", type=int, help="samples to generate with --preset (default: 20000 for action data, 100000 temporal)"
    )
    p.add_argument(
        "--data-seed",
        type=int,
        help="fixes the generated data alone (with --preset; default: --seed), so training seeds vary on one dataset",
    )
    p.add_argument("--out", help="output folder (default: a new run folder under ./runs or MECHSPARSE_RUNS_DIR)")
    p.add_argument(
        "--save-every",
        type=float,
        default=runner.SAVE_EVERY_SECONDS,
        help="seconds between saves of the run folder (a kill loses at most this much; default 20)",
    )
    p.add_argument("--config", metavar="FILE.toml", help="TrainConfig fields from a TOML file (key = value lines)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="set any TrainConfig field (a TOML value; repeatable); wins over --config and the flags",
    )


def _add_option_args(p: argparse.ArgumentParser) -> None:
    """The flags of the most used TrainConfig fields (every field: --set / --config)."""
    names = ", ".join(f"{m.name}: {m.summary}" for m in methods.METHODS.values())
    p.add_argument("--method", choices=list(methods.METHOD_NAMES), help=f"default sparse. {names}")
    p.add_argument("--sparsity", choices=list(SPARSITY_MODES), help="sparse VAE: constraint (default)")
    p.add_argument("--seed", type=int, help="fixes initialisation and batches (and the data, without --data-seed)")
    p.add_argument("--max-seconds", type=float, help="stop after this many training seconds")
    p.add_argument("--max-steps", type=int, help="stop after this many steps (default: the preset's tuned budget)")
    p.add_argument("--device", choices=list(DEVICES), help="auto (default), cpu or cuda")
    p.add_argument("--penalty", type=float, help="penalty coefficient (with --sparsity penalty)")
    p.add_argument("--bound", type=float, help="constraint bound on the expected edge count (default: true count)")
    p.add_argument("--dz", type=int, help="number of learned latents (default: the data's)")
    p.add_argument("--model-size", choices=list(MODEL_SIZES))
    p.add_argument("--masks", choices=list(MASK_MODES), help="learned (default), full or oracle")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate of the networks")
    p.add_argument("--mask-lr", type=float, help="learning rate of the mask logits")
    p.add_argument("--eval-every", type=int, help="steps between evaluations")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: by model size, 1 for all but paper)")
    p.add_argument("--hard", action="store_true", help="straight-through hard mask samples")
    p.add_argument("--hetero", action="store_true", help="heteroscedastic transition noise")
    p.add_argument("--beta", type=float, help="tcvae: weight of the total correlation (default 0.25)")
    p.add_argument("--gamma", type=float, help="slowvae: weight of the transition KL (default 8)")
    p.add_argument("--rate", type=float, help="slowvae: rate of the Laplace prior on latent changes (default 10)")


def progress_line(trainer: Trainer, width: int = 24) -> str:
    """One terminal line: bar, step, steps/s, MCC, expected edges (and the bound)."""
    c = trainer.config
    frac = progress_fraction(trainer.step_count, c.max_steps, trainer.elapsed, c.max_seconds)
    last = trainer.history[-1] if trainer.history else {}
    mcc = last.get("mcc")
    edges = last.get("edge_count")
    bound = trainer.current_bound()
    parts = [
        f"{bar(frac, width)} step {trainer.step_count}",
        f"{trainer.elapsed:5.0f} s",
        f"{trainer.steps_per_second:6.1f} steps/s",
        f"MCC {mcc:.3f}" if mcc is not None else "MCC -",
    ]
    if edges is not None and trainer.method.learns_graph:
        parts.append(f"edges {edges:.1f}" + (f"/{bound:.0f}" if bound is not None else ""))
    return " | ".join(parts)


class Printer:
    """Prints the progress line: in place on a terminal, else one line per evaluation at most every 5 s."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, trainer: Trainer, info: dict) -> None:
        now = time.monotonic()
        if (self.tty and now - self.last > 0.25) or ("evaluated" in info and (self.tty or now - self.last > 5.0)):
            print("\r" + progress_line(trainer), end="" if self.tty else "\n", file=sys.stderr, flush=True)
            self.last = now


def train_dataset(args: argparse.Namespace, seed: int) -> tuple[dataset.Dataset, str]:
    """The dataset to train on: read from --data, or generated from --preset with --data-seed (default: ``seed``,
    the training seed)."""
    if bool(args.preset) == bool(args.data):
        raise ValueError("give exactly one of --preset NAME or --data FILE.npz")
    if args.data and args.data_seed is not None:
        raise ValueError("--data-seed generates data, so it goes with --preset, not --data")
    if args.data:
        try:
            ds = dataset.load_dataset(args.data)
        except OSError as exc:  # an input that cannot be read is bad input (exit 2), not the environment (1)
            raise ValueError(f"cannot read --data {args.data!r}: {exc.strerror or type(exc).__name__}") from None
        return ds, ds.name
    n = default_samples(args.preset) if args.n is None else args.n
    if not 20 <= n <= dataset.MAX_N:
        raise ValueError(f"--n must be between 20 and {dataset.MAX_N:,}, got {n:,}")
    data_seed = seed if args.data_seed is None else args.data_seed
    return synthetic.generate(graphs.preset(args.preset), n, seed=data_seed, name=args.preset), args.preset


def method_words(config: TrainConfig) -> str:
    """'the sparse VAE (constraint sparsity)', 'β-TCVAE (β = 0.25)', 'PCL'."""
    if config.method == methods.SPARSE:
        return f"the sparse VAE ({config.sparsity} sparsity)"
    method = methods.get(config.method)
    options = ", ".join(f"{methods.OPTION_SYMBOLS[k]} = {getattr(config, k):g}" for k in method.options)
    return method.label + (f" ({options})" if options else "")


def prepare(args: argparse.Namespace) -> tuple[dataset.Dataset, str, TrainConfig]:
    """Everything checked before anything is written: the dataset, its name and the run's config."""
    if not (math.isfinite(args.save_every) and 0 <= args.save_every <= 24 * 3600):
        raise ValueError(f"--save-every must be between 0 and 86400 seconds, got {args.save_every}")
    options = train_options(args)
    ds, name = train_dataset(args, int(options.get("seed", TrainConfig.seed)))
    config = default_config(ds, **options)
    check_trainable(ds, config)  # also refuses 'cuda' without a GPU
    return ds, name, config


def run(args: argparse.Namespace) -> int:
    """Check everything, create the run folder (store.create_run, as the app does), train it with the app's loop."""
    ds, name, config = prepare(args)
    folder = store.create_run(ds, config, name, folder=Path(args.out) if args.out else None, source="cli")
    print(
        f"training on {name} (N={ds.n}, T={ds.t}, dx={ds.dx}, da={ds.da}, dz={config.dz or ds.dz}) with "
        f"{method_words(config)}, seed {config.seed}, device {resolve_device(config.device)} -> {folder}",
        file=sys.stderr,
    )
    del ds  # the loop reads the dataset back from the run folder, like any process that resumes it
    flag, printer = runner.StopFlag(), Printer()
    with stop_on_signals(flag) as caught:
        outcome = runner.train_run(folder, control=flag, on_step=printer, save_every=args.save_every)
    if outcome.status == "deleted" or not (folder / schema.SUMMARY_FILE).exists():
        print(f"error: {outcome.message}", file=sys.stderr)
        return 1
    if printer.tty:
        print(file=sys.stderr)  # end the in-place progress line
    summary = store.read_json(folder / schema.SUMMARY_FILE)
    fmt = lambda v: "null" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
    keys = ("mcc", "r", "r_con", "shd_a", "shd_z")
    print("  ".join(f"{k}={fmt(summary.get(k))}" for k in keys) + f"  -> {folder}")
    if outcome.status == "failed":
        print(f"error: {outcome.message}", file=sys.stderr)
    if outcome.status == "stopped":
        print(f"{outcome.message}; resume it from the Train page or Runs page", file=sys.stderr)
        return caught.get("exit_code", EXIT_CODES["stopped"])
    return EXIT_CODES[outcome.status]
