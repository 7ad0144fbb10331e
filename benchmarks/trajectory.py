"""Is training's trajectory unchanged? Fingerprints of run folders, for a refactor that must not change what is
learned: the history without its timing columns and every snapshot array (timings dropped from its meta).

Train the reference runs before and after the change, then compare the fingerprints (equal = identical
trajectories):

    .venv/bin/python benchmarks/trajectory.py --train /tmp/before      # on the old commit
    .venv/bin/python benchmarks/trajectory.py --train /tmp/after       # on the new one
    .venv/bin/python benchmarks/trajectory.py /tmp/before /tmp/after   # one JSON line per run folder
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

# The reference runs: the action preset for 600 steps, the temporal block preset for 400, one thread.
REFERENCE_RUNS = {"action-nondiag": 600, "time-block-nondiag": 400}
TIMING = ("seconds", "steps_per_second", "elapsed")


def train(out: Path) -> None:
    """Train every reference run into out/<preset> with the command line, seed 0, one thread."""
    for preset, steps in REFERENCE_RUNS.items():
        cmd = [sys.executable, "-m", "mechsparse", "train", "--preset", preset, "--max-steps", str(steps)]
        cmd += ["--seed", "0", "--threads", "1", "--out", str(out / preset)]
        subprocess.run(cmd, check=True, capture_output=True)


def fingerprint(folder: Path) -> dict:
    """sha256 of the history (timing columns dropped) and of the snapshot's arrays (timings dropped from its meta)."""
    history = pd.read_csv(folder / "history.csv").drop(columns=[c for c in TIMING if c], errors="ignore")
    snapshot = hashlib.sha256()
    with np.load(folder / "snapshot.npz") as arrays:
        for key in sorted(arrays.files):
            value = arrays[key]
            if key == "meta":
                meta = {k: v for k, v in json.loads(str(value)).items() if k not in TIMING}
                value = np.array(json.dumps(meta, sort_keys=True))
            snapshot.update(key.encode() + value.tobytes())
    return {
        "run": folder.name,
        "rows": len(history),
        "history_sha256": hashlib.sha256(history.to_csv(index=False).encode()).hexdigest()[:16],
        "snapshot_sha256": snapshot.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="folders holding one run folder per reference preset")
    parser.add_argument("--train", type=Path, help="train the reference runs into this folder first")
    args = parser.parse_args()
    if args.train:
        train(args.train)
    for root in [*([args.train] if args.train else []), *args.folders]:
        for preset in REFERENCE_RUNS:
            print(json.dumps({"folder": str(root), **fingerprint(root / preset)}))


if __name__ == "__main__":
    main()
