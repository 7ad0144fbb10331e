"""How long the papers' synthetic data takes to generate (the Data page target: 100k samples of the default
preset in under 5 s on a 2-core CPU).

    .venv/bin/python benchmarks/data_generation.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mechsparse.data import synthetic  # noqa: E402
from mechsparse.theory import graphs

CASES = [  # (preset, n, kind, t)
    ("action-nondiag", 100_000, None, None),
    ("action-nondiag", 1_000_000, None, None),
    ("time-nondiag", 100_000, None, 2),
    ("action-block-nondiag", 100_000, "intervention", None),
    ("teach-combined", 100_000, "action+time", 10),
]


def main(repeats: int = 3) -> None:
    print("| preset | kind | N | T | best of 3, s | first call, s |\n|---|---|---|---|---|---|")
    for name, n, kind, t in CASES:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            ds = synthetic.generate(graphs.preset(name), n, seed=0, kind=kind, t=t, name=name)
            times.append(time.perf_counter() - start)
        print(f"| {name} | {ds.info.get('kind')} | {n:,} | {ds.t} | {min(times):.2f} | {times[0]:.2f} |")


if __name__ == "__main__":
    main()
