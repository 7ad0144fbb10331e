"""A whole grid on this machine: wall time, the machinery's share of it, and the regularised-vs-unregularised check
(results in BENCHMARKS.md, "Grids"; not part of the tests).

Runs `python -m mechsparse reproduce` as a user would (the local pool, one worker per core by default), then reads
the grid folder back: every run's own training-and-evaluation seconds (summary.json) against the workers' wall
time gives the share of everything else (process starts, data generation, folders, saves, the pool's tail), and
the table says whether each regularised cell beats its unregularised cell on the dataset's headline score. The
pool's own work (data generation, run folders, starting runs, results files; printed by the local backend) over
the runs' time is the sweep machinery's overhead.

    .venv/bin/python benchmarks/grids.py --grid quick --workers 2 --out /tmp/quick \
        --save benchmarks/results/cpu-2core-grids.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REGULARISED, UNREGULARISED = "constraint", "none"


def check_pairs(table: pd.DataFrame) -> list[dict]:
    """Each dataset's constraint cell against its none cell on the headline score."""
    out = []
    for dataset, rows in table.groupby("dataset", sort=False):
        by_method = rows.set_index("method")
        if REGULARISED in by_method.index and UNREGULARISED in by_method.index:
            metric = by_method.loc[REGULARISED, "headline"]
            ours = float(by_method.loc[REGULARISED, f"{metric}_mean"])
            base = float(by_method.loc[UNREGULARISED, f"{metric}_mean"])
            out.append({"dataset": dataset, "metric": metric, "regularised": ours, "unregularised": base})
    return out


def project(results: pd.DataFrame, seeds: int, slots: int, overhead: float) -> float:
    """Projected wall seconds of the grid with ``seeds`` copies of each measured run on ``slots`` cores (a Ray
    cluster's CPUs): longest runs first, each to the slot that frees first, every run's time scaled by the measured
    share of everything else (``overhead``)."""
    times = sorted(pd.to_numeric(results["seconds"], errors="coerce").dropna().tolist() * seeds, reverse=True)
    free = [0.0] * slots
    for t in times:
        i = free.index(min(free))
        free[i] += t / (1 - overhead)
    return max(free)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grid", default="quick")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", required=True, help="the grid folder (must be new: the benchmark times a whole grid)")
    p.add_argument("--backend", default="local")
    p.add_argument("--seconds", type=float)
    p.add_argument("--save", help="append the JSON result line to this file")
    p.add_argument(
        "--project",
        help="with an existing --out: project its grid with --seeds copies onto these core "
        "counts (e.g. 2,32,128) instead of running",
    )
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--overhead", type=float, default=0.05, help="share of wall time outside the runs (measured)")
    args = p.parse_args()
    if args.project:
        results = pd.read_csv(Path(args.out) / "results.csv")
        for slots in (int(x) for x in args.project.split(",")):
            hours = project(results, args.seeds, slots, args.overhead) / 3600
            print(f"{args.seeds} seeds on {slots} cores: {hours:.2f} h")
        return 0
    if Path(args.out).exists():
        p.error(f"{args.out} exists: the benchmark times a whole grid from nothing")
    cmd = [sys.executable, "-m", "mechsparse", "reproduce", "--grid", args.grid, "--out", args.out]
    cmd += ["--workers", str(args.workers), "--backend", args.backend]
    if args.seconds:
        cmd += ["--seconds", str(args.seconds)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    sys.stderr.write(proc.stderr)
    own = re.search(r"the pool's own work .*: ([\d.]+) s", proc.stderr)
    results = pd.read_csv(Path(args.out) / "results.csv")
    table = pd.read_csv(Path(args.out) / "table.csv")
    run_seconds = float(pd.to_numeric(results["seconds"], errors="coerce").sum())
    slots = args.workers * wall
    pairs = check_pairs(table)
    line = {
        "grid": args.grid,
        "backend": args.backend,
        "workers": args.workers,
        "exit_code": proc.returncode,
        "runs": len(results),
        "finished": int((results["status"] == "finished").sum()),
        "wall_seconds": round(wall, 1),
        "run_seconds": round(run_seconds, 1),
        "other_share": round(1 - run_seconds / slots, 4),
        "pool_seconds": float(own.group(1)) if own else None,
        "pool_share": round(float(own.group(1)) / run_seconds, 4) if own and run_seconds else None,
        "pairs": pairs,
        "regularised_wins": sum(p["regularised"] > p["unregularised"] for p in pairs),
        "machine": f"{os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(line))
    if args.save:
        with open(args.save, "a") as fh:
            fh.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
