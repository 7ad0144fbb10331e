"""What the benchmark scripts share: one run per subprocess with its JSON line saved, saved results read back, and
the median (min–max) cells of their tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def spread(values: list, fmt: str = "{:.3f}") -> str:
    """The median of the values that are not None, with (min–max) when there are several; '—' when none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return "—"
    med = fmt.format(float(np.median(vals)))
    return med if len(vals) == 1 else f"{med} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"


def load_results(paths: list[str]) -> list[dict]:
    """Every JSON line of the saved result files, in order."""
    return [json.loads(line) for path in paths for line in Path(path).read_text().splitlines() if line]


def run_single(cmd: list[str], threads: int, label: str, save: str | None) -> dict | None:
    """Run one benchmark subprocess (``threads`` OpenMP threads) whose last stdout line is its JSON result; append
    that line to ``save``. A failed run is reported on stderr and gives None."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        print(f"{label} failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if save:
        with open(save, "a") as fh:
            fh.write(json.dumps(result) + "\n")
    return result
