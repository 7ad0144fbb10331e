"""`python -m mechsparse reproduce`: run every cell of a grid (the paper's tables) on a local process pool or on
Ray, resuming the grid's folder, then write and print its table."""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from mechsparse.cli.common import bar, stop_on_signals
from mechsparse.learning.evaluation import duration_text
from mechsparse.reproduce import grid_file, grids, local_pool, sweep, tables
from mechsparse.runs import runner


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--grid", required=True, help=f"a built-in grid ({', '.join(grids.BUILTIN_GRIDS)}) or a .toml / .json file"
    )
    p.add_argument(
        "--out", required=True, help="the grid's folder (results.csv, table.csv, table.md); reused to resume"
    )
    p.add_argument("--workers", type=int, help="runs at once (default: one per CPU core; local Ray: its CPUs)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="local process pool (default) or Ray")
    p.add_argument("--ray-address", help="join this Ray cluster ('auto', 'ray://HOST:10001'); default: start one here")
    p.add_argument("--gpus-per-run", type=float, default=0.0, help="Ray: GPUs each run asks for (e.g. 0.25)")
    p.add_argument("--seconds", type=float, help="every run's budget in seconds (a quick smoke run of a grid)")


class GridProgress:
    """The grid's progress line on stderr (in place on a terminal): bar, runs done, training, elapsed, ETA. The ETA
    scales the remaining cells' budgets by how long the finished ones took."""

    def __init__(self, folder: sweep.GridFolder, pool, workers: int) -> None:
        self.folder, self.pool, self.workers = folder, pool, workers
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.todo = {c.key: c.estimated_seconds() for c in folder.pending()}
        self.total = len(folder.cells())
        self._lock = threading.Lock()
        self.last = ""

    def line(self, width: int = 24) -> str:
        results = self.folder.results()
        ended = results["status"].isin(["finished", "failed", "stopped"])
        done = int(ended.sum())
        spent = pd.to_numeric(results["seconds"], errors="coerce").fillna(0.0)
        estimate = results["cell"].map(self.todo).fillna(0.0)
        # the remaining training time (running cells count what they have left), at the pace finished cells took
        left = (estimate - spent).clip(lower=0)[~ended].sum()
        pace = 1.1
        if (ended & (estimate > 0)).any():
            pace = max(1.0, float(spent[ended].sum() / estimate[ended].sum()))
        elapsed = time.monotonic() - self.start
        eta = left * pace / max(1, self.workers)
        failed = int((results["status"] == "failed").sum())
        parts = [f"{bar(done / max(1, self.total), width)} {done}/{self.total} runs"]
        parts += [f"{len(self.pool.running())} training", f"{duration_text(elapsed)} elapsed"]
        parts += [f"ETA {duration_text(eta)}" if done < self.total else "done"]
        return " | ".join(parts + ([f"{failed} failed"] if failed else []))

    def __call__(self) -> None:
        with self._lock:
            line = self.line()
            if self.tty or line != self.last:  # a log gets each state once
                print("\r" + line, end="" if self.tty else "\n", file=sys.stderr, flush=True)
            self.last = line

    def watch(self, flag: runner.StopFlag, done: threading.Event, every: float = 2.0) -> None:
        """Until ``done``: redraw the line every ``every`` seconds on a terminal, and stop the pool once a signal
        has set ``flag`` (a signal handler must not wait on the pool's locks)."""
        last = time.monotonic()
        while not done.wait(0.2):
            if flag.stopped:
                self.pool.stop()
                return
            if self.tty and time.monotonic() - last >= every:
                self()
                last = time.monotonic()


def make_pool(args: argparse.Namespace, folder: sweep.GridFolder, workers: int):
    """The pool that trains the grid's cells: Ray's, or local worker processes (with a spare that starts warm)."""
    if args.backend == "ray":
        from mechsparse.reproduce import ray_backend  # only here: the core never imports Ray

        return ray_backend.RayPool(
            folder, address=args.ray_address, num_cpus=args.workers, gpus_per_run=args.gpus_per_run
        )
    from mechsparse.runs.jobs import JobRegistry

    # a spare worker imports torch while the runs train, so the next cell starts without waiting for it
    registry = JobRegistry(max_concurrent=workers, keep_spare=True)
    registry.warm()
    return local_pool.LocalPool(folder, registry, workers)


def check_args(args: argparse.Namespace) -> int:
    """The number of workers, once every flag is checked (a one-line ValueError otherwise)."""
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if not 1 <= workers <= 1024:
        raise ValueError(f"--workers must be from 1 to 1024, got {workers}")
    if args.seconds is not None and not (math.isfinite(args.seconds) and 0 < args.seconds <= 1e7):
        raise ValueError(f"--seconds must be a positive number of seconds, got {args.seconds}")
    if not 0 <= args.gpus_per_run <= 64:
        raise ValueError(f"--gpus-per-run must be from 0 to 64, got {args.gpus_per_run}")
    if args.backend != "ray" and (args.ray_address or args.gpus_per_run):
        raise ValueError("--ray-address and --gpus-per-run go with --backend ray")
    return workers


def run(args: argparse.Namespace) -> int:
    """Run every cell of a grid (resuming the folder when it holds the same grid), then write and print its table."""
    workers = check_args(args)
    grid = grid_file.load_grid(args.grid)
    folder = sweep.GridFolder.create(Path(args.out), grid, args.seconds)
    cells, pending = folder.cells(), folder.pending()
    for line in grid.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    print(
        f"grid {grid.name!r}: {len(cells)} runs ({len(grid.datasets)} datasets x {len(grid.methods)} methods x "
        f"{len(grid.seeds)} seeds), {len(cells) - len(pending)} already finished; backend {args.backend}, "
        f"{workers} workers; estimated {duration_text(sum(c.estimated_seconds() for c in pending) / workers)} "
        f"-> {folder.path}",
        file=sys.stderr,
    )
    pool = make_pool(args, folder, workers)
    progress = GridProgress(folder, pool, workers)
    pool.on_change = progress
    flag, done = runner.StopFlag(), threading.Event()
    with stop_on_signals(flag) as caught:
        threading.Thread(target=progress.watch, args=(flag, done), daemon=True).start()
        try:
            table = pool.run()
        finally:
            done.set()
            if isinstance(pool, local_pool.LocalPool):
                pool.registry.close_spare()
    if progress.tty:
        print(file=sys.stderr)
    print(tables.markdown(table, title=grid.name))
    return report(pool, folder, flag, caught)


def report(pool, folder: sweep.GridFolder, flag: runner.StopFlag, caught: dict[str, int]) -> int:
    """After the grid: its failures, the pool's own cost and the files written on stderr; the exit code."""
    for error in pool.errors:
        print(f"failed: {error}", file=sys.stderr)
    if isinstance(pool, local_pool.LocalPool):
        print(
            f"the pool's own work (data, run folders, starting runs, results files): {pool.machinery_seconds:.1f} s",
            file=sys.stderr,
        )
    print(f"wrote {folder.path / sweep.RESULTS_FILE}, {sweep.TABLE_CSV} and {sweep.TABLE_MD}", file=sys.stderr)
    if flag.stopped:
        print(f"{flag.reason}: the same command resumes the grid (finished runs are kept)", file=sys.stderr)
        return caught.get("exit_code", 130)
    return 1 if pool.errors else 0
