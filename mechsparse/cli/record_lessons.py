"""`python -m mechsparse record-lessons`: rebuild the small recorded runs the Lessons page replays, reporting each
on stderr as it ends (stdout stays free for results)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mechsparse.learning.evaluation import duration_text
from mechsparse.teaching import lessons, recordings


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="folder of the recordings (default: the package's mechsparse/recorded)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="record only these recipes (default: all)")
    p.add_argument("--workers", type=int, default=2, help="recordings trained at once (default 2)")
    p.add_argument("--seed", type=int, help="training seed of every recording (default: each recipe's own)")


def run(args: argparse.Namespace) -> int:
    """Rebuild the lessons' recorded runs (mechsparse/recorded by default), reporting each as it ends."""
    names = args.only or list(lessons.RECIPES)
    for name in names:
        lessons.recipe(name)  # an unknown name is one line of bad input, before anything is said or trained
    out = Path(args.out) if args.out else lessons.RECORDED_DIR
    print(f"recording {len(names)} lesson run(s) into {out} on {args.workers} worker(s)", file=sys.stderr, flush=True)
    start = time.monotonic()

    def report(name: str, record: dict | None, error: str | None) -> None:
        took = duration_text(time.monotonic() - start)
        if error:
            print(f"  {name}: failed ({error}) [{took}]", file=sys.stderr, flush=True)
            return
        s = record["summary"]
        scores = "  ".join(f"{k}={s[k]:.3f}" for k in ("mcc", "r_con") if s.get(k) is not None)
        shd = "  ".join(f"{k}={s[k]}" for k in ("shd_a", "shd_z") if s.get(k) is not None)
        print(f"  {name}: {scores}  {shd}  steps={s.get('steps')} [{took}]", file=sys.stderr, flush=True)

    recordings.record_all(out, names, workers=args.workers, seed=args.seed, report=report)
    return 0
