"""Ship what the presets need on a CPU as data: mechsparse/measured_times.json, built from saved convergence results.

The Train page shows these figures beside the time limit, so a presenter knows how long a preset takes before
starting it. Rebuild after re-running benchmarks/convergence.py:

    .venv/bin/python benchmarks/expectations.py benchmarks/results/cpu-2core-temporal.jsonl \
        benchmarks/results/cpu-2core-action-clip-convergence.jsonl

Later files win for a preset they also cover; only cases named exactly like a preset are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import load_results  # noqa: E402
from mechsparse.learning import expectations  # noqa: E402
from mechsparse.theory import graphs  # noqa: E402

DEFAULT_FILES = [
    "benchmarks/results/cpu-2core-temporal.jsonl",
    "benchmarks/results/cpu-2core-action-clip-convergence.jsonl",
]
MACHINE = "a 2-core Intel Xeon VM, one torch thread per run (torch 2.13.0, CPU)"


def _stats(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"median": float(np.median(values)), "min": float(min(values)), "max": float(max(values))}


def summarise(lines: list[dict], source: str) -> dict:
    """One preset's runs -> metric, threshold, time to it over the runs that reached it, final value, budget."""
    metric = lines[0]["metric"]
    threshold = min(float(t) for t in lines[0]["reached"])
    key = next(t for t in lines[0]["reached"] if float(t) == threshold)
    times = [r["reached"][key]["seconds"] for r in lines if r["reached"].get(key)]
    return {
        "metric": metric,
        "threshold": threshold,
        "runs": len(lines),
        "reached": len(times),
        "seconds": _stats(times),
        "final": _stats([r["final"] for r in lines]),
        "budget_seconds": float(np.median([r["seconds"] for r in lines])),
        "source": source,
    }


def build(paths: list[str]) -> dict:
    presets: dict[str, dict] = {}
    for path in paths:
        by_case: dict[str, list[dict]] = {}
        for line in load_results([path]):
            if line["case"] in graphs.PRESETS:
                by_case.setdefault(line["case"], []).append(line)
        for case, lines in by_case.items():
            presets[case] = summarise(lines, Path(path).name)
    return {"machine": MACHINE, "presets": dict(sorted(presets.items()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=DEFAULT_FILES, help="convergence.py result files (.jsonl)")
    parser.add_argument("--out", default=str(expectations.DATA_FILE))
    args = parser.parse_args()
    data = build([str(ROOT / f) if not Path(f).is_absolute() else f for f in args.files])
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n")
    for name in data["presets"]:
        print(f"{name}: {expectations.describe(name, data)}")


if __name__ == "__main__":
    main()
