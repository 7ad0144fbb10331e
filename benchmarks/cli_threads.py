"""Steps per second of `python -m mechsparse train` by torch thread count, alone and beside a second training run.

Why: torch's default is one intra-op thread per core; for the small models, whose ops are tiny, extra threads only
add synchronisation, and when another process (the app, a second run) wants the cores their spinning can cost far
more than they give. The CLI therefore picks threads by model size (learning.config.default_threads); this measures it.

    .venv/bin/python -m benchmarks.cli_threads [--seconds 20] [--preset action-nondiag] [--model-size small]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def _train(out: Path, preset: str, seconds: float, threads: int | None, size: str = "small") -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mechsparse", "train", "--preset", preset, "--max-seconds", str(seconds)]
    cmd += ["--device", "cpu", "--out", str(out), "--model-size", size]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _rate(out: Path) -> float:
    return json.loads((out / "summary.json").read_text())["steps_per_second"]


def measure(preset: str, size: str, seconds: float, threads: int | None, loaded: bool, tmp: Path) -> float:
    """steps/s of one CLI run; ``loaded``: a second CLI run (small model, one thread, like an app worker) trains
    meanwhile."""
    tag = f"{size}-{threads or 'default'}-{'loaded' if loaded else 'alone'}"
    other = _train(tmp / f"load-{tag}", preset, seconds + 5, 1) if loaded else None
    main = _train(tmp / f"run-{tag}", preset, seconds, threads, size)
    main.wait()
    if other is not None:
        other.wait()
    return _rate(tmp / f"run-{tag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--preset", default="action-nondiag")
    parser.add_argument("--model-size", default="small")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, torch {torch.__version__}, default intra-op threads {torch.get_num_threads()}")
    print(f"preset {args.preset}, model size {args.model_size}, {args.seconds:.0f} s of training per run")
    with tempfile.TemporaryDirectory() as tmp:
        for loaded in (False, True):
            for threads, name in ((cores, f"{cores} (torch's default)"), (1, "1")):
                rate = measure(args.preset, args.model_size, args.seconds, threads, loaded, Path(tmp))
                where = "beside a second run" if loaded else "alone"
                print(f"threads {name:32s} {where:22s} {rate:7.1f} steps/s")


if __name__ == "__main__":
    main()
