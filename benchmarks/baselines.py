"""The baselines beside the sparse VAE on the papers' datasets (results in BENCHMARKS.md; not part of the tests).

Every (dataset, method, seed) cell trains in its own subprocess on one dataset per preset (``--data-seed``), with
the same training-time budget for every method of a dataset, and reports the final MCC and R_con. ``--jobs`` cells
run at once (one torch thread each). The table puts the median (min–max) over seeds beside the paper's number
(docs/paper-numbers.md; the paper has baselines on the block datasets only).

    .venv/bin/python benchmarks/baselines.py --jobs 2 --save benchmarks/results/cpu-2core-baselines.jsonl
    .venv/bin/python benchmarks/baselines.py --table benchmarks/results/cpu-2core-baselines.jsonl
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository root importable for `benchmarks.common`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import load_results, run_single, spread  # noqa: E402

# dataset -> headline metric, samples, training seconds per run (every method of the dataset gets the same)
DATASETS = {
    "action-nondiag": ("mcc", 20_000, 60),
    "action-block-nondiag": ("r_con", 20_000, 60),
    "time-nondiag": ("mcc", 100_000, 150),
    "time-block-nondiag": ("r_con", 100_000, 150),
}
METHODS = ("sparse", "none", "ivae", "tcvae", "slowvae", "pcl", "supervised", "random")
# "none" is the sparse VAE without its sparsity (the paper's unregularised column); the others are --method names
OVERRIDES = {"none": {"method": "sparse", "sparsity": "none"}}


def paper_numbers(dataset: str, method: str) -> tuple[float | None, float | None] | None:
    """The paper's MCC and R_con (mean over 5 seeds; mechsparse.reproduce.published, from docs/paper-numbers.md) for a
    cell: the constraint at the bound nearest the true edge count, the unregularised model, or a baseline at its
    defaults."""
    from mechsparse.reproduce import published
    from mechsparse.theory import graphs

    name = published.paper_dataset(dataset)
    if name is None:
        return None
    options = {"sparse": {"sparsity": "constraint"}, "none": {"sparsity": "none"}}.get(method, {"method": method})
    spec = graphs.preset(dataset)
    edges = int(sum(g.sum() for g in (spec.ga, spec.gz) if g is not None))
    found = [published.lookup(name, options, metric, edges) for metric in ("mcc", "r_con")]
    if found[0] is None:
        return None
    mcc, r_con = (n.mean if n else None for n in found)
    return mcc, (r_con if r_con is not None and abs(r_con - mcc) > 1e-9 else None)


def run_one(dataset: str, method: str, seed: int, data_seed: int, seconds: float | None) -> dict:
    """Train one cell in this process and describe it (the subprocess side)."""
    import torch

    from mechsparse.data import synthetic
    from mechsparse.learning import training
    from mechsparse.learning.config import default_config
    from mechsparse.theory import graphs

    torch.set_num_threads(1)
    metric, n, budget = DATASETS[dataset]
    ds = synthetic.generate(graphs.preset(dataset), n, seed=data_seed, name=dataset)
    budget = seconds or budget
    limits = {"max_seconds": budget} if method not in ("supervised", "random") else {}
    choice = OVERRIDES.get(method, {"method": method})
    config = default_config(ds, seed=seed, device="cpu", **choice, **limits)
    wall = time.perf_counter()
    trainer = training.Trainer(ds, config)
    while not trainer.finished:
        trainer.step()
    summary = trainer.summary()
    return {
        "dataset": dataset,
        "method": method,
        "seed": seed,
        "data_seed": data_seed,
        "metric": metric,
        "mcc": summary["mcc"],
        "r_con": summary["r_con"],
        "best": max((r[metric] for r in trainer.history if r.get(metric) is not None), default=None),
        "steps": summary["steps"],
        "seconds": summary["seconds"],
        "budget": budget if limits else None,
        "steps_per_second": summary["steps_per_second"],
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "config": config.to_dict(),
    }


def compatible(dataset: str, method: str) -> bool:
    return not (method in ("slowvae", "pcl") and dataset.startswith("action"))


def table(results: list[dict]) -> str:
    """Markdown: one row per dataset and method, ours (median, range over seeds) beside the paper's mean."""
    lines = [
        "| dataset | method | seeds | budget | steps | MCC | R_con | paper MCC / R_con |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for dataset in DATASETS:
        for method in METHODS:
            cell = [r for r in results if r["dataset"] == dataset and r["method"] == method]
            budgets = sorted({r["budget"] for r in cell}, key=lambda b: -1 if b is None else b)
            for budget in budgets:  # one row per budget: a longer run is its own row
                rows = [r for r in cell if r["budget"] == budget]
                paper = paper_numbers(dataset, method)
                paper_text = "—" if paper is None else " / ".join("—" if v is None else f"{v:.3f}" for v in paper)
                lines.append(
                    f"| {dataset} | {method} | {len(rows)} | {'—' if budget is None else f'{budget:.0f} s'} | "
                    f"{spread([r['steps'] for r in rows], '{:.0f}')} | {spread([r['mcc'] for r in rows])} | "
                    f"{spread([r['r_con'] for r in rows])} | {paper_text} |"
                )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, help="training seconds per run (default: the dataset's budget)")
    parser.add_argument("--jobs", type=int, default=1, help="cells run at once")
    parser.add_argument("--save", help="append each run's JSON line to this file")
    parser.add_argument("--table", nargs="+", help="print the table of saved .jsonl results and exit")
    parser.add_argument("--single", nargs=3, metavar=("DATASET", "METHOD", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.table:
        print(table(load_results(args.table)))
        return 0
    if args.single:
        dataset, method, seed = args.single[0], args.single[1], int(args.single[2])
        print(json.dumps(run_one(dataset, method, seed, args.data_seed, args.seconds)))
        return 0
    datasets, methods = args.datasets.split(","), args.methods.split(",")
    bad = [d for d in datasets if d not in DATASETS] + [m for m in methods if m not in METHODS]
    if bad:
        parser.error(f"unknown dataset(s) or method(s): {', '.join(bad)}")
    cells = [(d, m, int(s)) for d in datasets for m in methods for s in args.seeds.split(",") if compatible(d, m)]

    def run(cell: tuple[str, str, int]) -> dict | None:
        d, m, s = cell
        cmd = [__file__, "--single", d, m, str(s), "--data-seed", str(args.data_seed)]
        cmd += ["--seconds", str(args.seconds)] if args.seconds else []
        result = run_single(cmd, 1, f"{d} {m} seed {s}", args.save)
        if result is not None:
            print(f"{d} {m} seed {s}: MCC {result['mcc']:.3f} R_con {result['r_con']:.3f}", file=sys.stderr, flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = [r for r in pool.map(run, cells) if r is not None]
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
