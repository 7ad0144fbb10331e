"""`python -m mechsparse generate`: write a synthetic dataset (.npz) from a preset or your graphs. numpy only."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mechsparse.cli.common import add_graph_args, spec_from_args
from mechsparse.data import dataset, mechanisms, synthetic


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_graph_args(p)
    p.add_argument("--n", type=int, default=10_000, help=f"number of samples (sequences), 1 to {dataset.MAX_N:,}")
    p.add_argument("--seed", type=int, default=0, help="one seed fixes mixing, latents and noise")
    p.add_argument("--out", required=True, help="output file, FILE.npz")
    p.add_argument("--variant", choices=list(mechanisms.VARIANTS), default="standard", help="mechanism variant")
    kinds = "; ".join(f"{k.name}: {k.description}" for k in synthetic.KINDS.values())
    p.add_argument("--kind", choices=list(synthetic.KINDS), help=f"default: from the graphs. {kinds}")
    p.add_argument("--t", type=int, help=f"sequence length T, at most {dataset.MAX_T} (default 1 without time, 2 with)")
    p.add_argument("--dx", type=int, default=20, help=f"observation size, number of latents to {dataset.MAX_DX:,}")
    p.add_argument(
        "--obs-share",
        type=float,
        default=synthetic.DEFAULT_OBS_SHARE,
        help="interventions: share of observational a = 0",
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".npz":
        raise ValueError(f"--out must name a .npz file, got {args.out!r}")
    if not out.parent.is_dir():
        raise ValueError(f"folder {str(out.parent)!r} of --out does not exist")
    spec = spec_from_args(args)
    name = args.preset or "custom"
    start = time.perf_counter()
    ds = synthetic.generate(
        spec,
        args.n,
        t=args.t,
        dx=args.dx,
        seed=args.seed,
        name=name,
        variant=args.variant,
        kind=args.kind,
        obs_share=args.obs_share,
    )
    dataset.save_dataset(out, ds)
    info = ds.info
    print(
        f"wrote {out}: N={ds.n} T={ds.t} dx={ds.dx} da={ds.da} dz={ds.dz} "
        f"({name}, {info['kind']}, {info['variant']}, seed {info['seed']}) in {time.perf_counter() - start:.2f} s"
    )
    return 0
