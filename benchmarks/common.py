"""What the benchmark scripts share: one run per subprocess with its JSON line saved, saved results read back, and
the median (min–max) cells of their tables."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
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


def add_grid_arguments(parser: argparse.ArgumentParser, cases: Iterable[str]) -> None:
    """The options every benchmark grid shares: which cases and seeds, the data seed, threads, device, where to save,
    --table to re-print saved results, and the hidden --single CASE SEED that runs one cell in a subprocess."""
    names = list(cases)
    parser.add_argument("--cases", default=",".join(names), help=f"comma-separated, from: {', '.join(names)}")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds")
    parser.add_argument("--data-seed", type=int, default=0, help="one dataset per case, shared by the training seeds")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save", help="append each run's JSON line to this file")
    parser.add_argument("--table", nargs="+", help="print the table of saved .jsonl results and exit")
    parser.add_argument("--single", nargs=2, metavar=("CASE", "SEED"), help=argparse.SUPPRESS)


def parse_cases(parser: argparse.ArgumentParser, text: str, known: Iterable[str]) -> list[str]:
    """The comma-separated case names of ``text``; an unknown one is the parser's one-line error."""
    cases = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in cases if c not in set(known)]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    return cases


def run_grid(
    cases: list[str],
    seeds: list[int],
    command: Callable[[str, int], list[str]],
    describe: Callable[[dict], str],
    threads: int,
    save: str | None,
) -> list[dict]:
    """Run every (case, seed) cell in its own subprocess (``command`` builds its argument list), print a line per
    finished cell on stderr (``describe``), and return the results of the cells that finished."""
    results = []
    for case in cases:
        for seed in seeds:
            result = run_single(command(case, seed), threads, f"{case} seed {seed}", save)
            if result is None:
                continue
            results.append(result)
            print(f"{case} seed {seed}: {describe(result)}", file=sys.stderr, flush=True)
    return results
