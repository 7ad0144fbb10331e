"""Time-to-threshold benchmark of the training engine (results in BENCHMARKS.md; not part of the tests).

Each (case, seed) runs in a fresh subprocess on one dataset (``--data-seed``, default 0: the spread over seeds
measures the method, not the data) with its own time budget, so peak memory (ru_maxrss) is per run.
Prints one markdown table: median and range over seeds of the time to reach the case's threshold, final metrics,
steps per second and peak memory.

    .venv/bin/python benchmarks/convergence.py --cases action-nondiag,action-nondiag-none --seeds 0,1,2
    .venv/bin/python benchmarks/convergence.py --table results/*.jsonl     # re-print saved results
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository root importable for `benchmarks.common`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import add_grid_arguments, load_results, parse_cases, run_grid, spread  # noqa: E402

# name -> preset, training overrides, metric, threshold(s), samples, default budget in seconds
CASES: dict[str, dict] = {
    "action-nondiag": {
        "preset": "action-nondiag",
        "overrides": {"sparsity": "constraint"},
        "metric": "mcc",
        "thresholds": (0.95, 0.99),
        "n": 20_000,
        "seconds": 300,
    },
    "action-nondiag-none": {
        "preset": "action-nondiag",
        "overrides": {"sparsity": "none"},
        "metric": "mcc",
        "thresholds": (0.95,),
        "n": 20_000,
        "seconds": 120,
    },
    "action-block-nondiag": {
        "preset": "action-block-nondiag",
        "overrides": {"sparsity": "constraint"},
        "metric": "r_con",
        "thresholds": (0.95,),
        "n": 20_000,
        "seconds": 300,
    },
    "time-nondiag": {
        "preset": "time-nondiag",
        "overrides": {"sparsity": "constraint"},
        "metric": "mcc",
        "thresholds": (0.85,),
        "n": 100_000,
        "seconds": 600,
    },
    "time-nondiag-penalty": {
        "preset": "time-nondiag",
        "overrides": {"sparsity": "penalty"},
        "metric": "mcc",
        "thresholds": (0.85,),
        "n": 100_000,
        "seconds": 600,
    },
}
# temporal cases of the temporal-training issue: same data (100k samples) and budget rules as time-nondiag
_TIME = {"metric": "mcc", "thresholds": (0.85,), "n": 100_000, "seconds": 600}
CASES |= {
    "time-nondiag-none": {**_TIME, "preset": "time-nondiag", "overrides": {"sparsity": "none"}},
    "time-nondiag-oracle": {**_TIME, "preset": "time-nondiag", "overrides": {"masks": "oracle"}},
    "time-nondiag-k2": {**_TIME, "preset": "time-nondiag", "variant": "k=2", "overrides": {}},
    "time-nondiag-no_suff_var": {**_TIME, "preset": "time-nondiag", "variant": "no_suff_var", "overrides": {}},
    **{
        f"time-nondiag-bound{b}": {**_TIME, "preset": "time-nondiag", "overrides": {"bound": float(b)}}
        for b in (40, 50, 55, 75)
    },
    "time-diag": {**_TIME, "preset": "time-diag", "thresholds": (0.95,), "seconds": 300, "overrides": {}},
    "time-block-diag": {
        **_TIME, "preset": "time-block-diag", "metric": "r_con", "thresholds": (0.95,), "seconds": 300, "overrides": {}
    },
    "time-block-nondiag": {
        **_TIME, "preset": "time-block-nondiag", "metric": "r_con", "thresholds": (0.95,), "seconds": 300,
        "overrides": {},
    },
}  # fmt: skip


def run_one(case: str, seed: int, seconds: float, threads: int, device: str, data_seed: int = 0) -> dict:
    """Train one case for ``seconds`` of training time and describe how it went (runs in the subprocess)."""
    import torch

    from mechsparse.data import synthetic
    from mechsparse.learning import training
    from mechsparse.learning.config import default_config
    from mechsparse.theory import graphs

    torch.set_num_threads(threads)
    spec = CASES[case]
    wall = time.perf_counter()
    variant = spec.get("variant", "standard")
    spec_graphs = graphs.preset(spec["preset"])
    ds = synthetic.generate(spec_graphs, spec["n"], seed=data_seed, name=spec["preset"], variant=variant)
    generated = time.perf_counter() - wall
    config = default_config(ds, seed=seed, max_seconds=seconds, device=device, **spec["overrides"])
    trainer = training.Trainer(ds, config)
    while not trainer.finished:
        trainer.step()
    summary = trainer.summary()
    metric = spec["metric"]
    reached = {}
    for thr in spec["thresholds"]:
        row = next((r for r in trainer.history if r.get(metric) is not None and r[metric] >= thr), None)
        reached[str(thr)] = None if row is None else {"seconds": row["seconds"], "step": row["step"]}
    return {
        "case": case,
        "seed": seed,
        "data_seed": data_seed,
        "metric": metric,
        "final": summary[metric],
        "mcc": summary["mcc"],
        "r_con": summary["r_con"],
        "shd": sum(v for v in (summary["shd_a"], summary["shd_z"]) if v is not None),
        "best": max((r[metric] for r in trainer.history if r.get(metric) is not None), default=None),
        "reached": reached,
        "steps": summary["steps"],
        "seconds": summary["seconds"],
        "steps_per_second": summary["steps_per_second"],
        "data_seconds": round(generated, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": summary["device"],
        "threads": threads,
        "config": config.to_dict(),
    }


def _when(reached: dict | None) -> str:
    return "not reached" if reached is None else f"{reached['seconds']:.0f} s"


def table(results: list[dict]) -> str:
    """Markdown: one row per case, medians with (min–max) over seeds."""
    lines = [
        "| case | seeds | metric | time to threshold, s (reached/runs) | final metric | final MCC | SHD | "
        "steps/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in dict.fromkeys(r["case"] for r in results):
        rows = [r for r in results if r["case"] == case]
        seeds = ",".join(str(r["seed"]) for r in rows)
        reach_parts = []
        for thr in rows[0]["reached"]:
            times = [r["reached"][thr]["seconds"] for r in rows if r["reached"][thr] is not None]
            reach_parts.append(f"≥{thr}: {spread(times, '{:.0f}')} ({len(times)}/{len(rows)})")
        budget = max(r["seconds"] for r in rows)
        lines.append(
            f"| {case} | {seeds} | {rows[0]['metric']} | {'; '.join(reach_parts)} (budget {budget:.0f} s) | "
            f"{spread([r['final'] for r in rows])} | {spread([r['mcc'] for r in rows])} | "
            f"{spread([r['shd'] for r in rows], '{:.0f}')} | "
            f"{spread([r['steps_per_second'] for r in rows], '{:.0f}')} | {max(r['peak_rss_mb'] for r in rows):.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_grid_arguments(parser, CASES)
    parser.add_argument("--seconds", type=float, help="training seconds per run (default: each case's budget)")
    args = parser.parse_args()

    if args.table:
        results = load_results(args.table)
        print(table(results))
        return 0
    if args.single:
        case, seed = args.single[0], int(args.single[1])
        seconds = args.seconds or CASES[case]["seconds"]
        print(json.dumps(run_one(case, seed, seconds, args.threads, args.device, args.data_seed)))
        return 0

    cases = parse_cases(parser, args.cases, CASES)

    def command(case: str, seed: int) -> list[str]:
        cmd = [__file__, "--single", case, str(seed), "--threads", str(args.threads)]
        cmd += ["--device", args.device, "--data-seed", str(args.data_seed)]
        return cmd + (["--seconds", str(args.seconds)] if args.seconds else [])

    def describe(result: dict) -> str:
        thr = ", ".join(f"≥{k}: {_when(v)}" for k, v in result["reached"].items())
        return (
            f"final {result['metric']} {result['final']:.3f}, {thr}, {result['steps_per_second']:.0f} steps/s, "
            f"{result['peak_rss_mb']:.0f} MB"
        )

    seeds = [int(s) for s in args.seeds.split(",")]
    results = run_grid(cases, seeds, command, describe, args.threads, args.save)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
