"""What replays cost (results in BENCHMARKS.md, "Lessons"; not part of the tests).

For every recorded lesson run: its files on disk, the time to build its replay figure and the size of the figure's
JSON (what the browser receives once, then plays on its own). For a worst-case timeline (200 frames of 20 latents
and 20 actions): the time of one Timeline.add, of save_timeline and load_timeline, and the file size. And the cost
of recording on training itself: steps per second of a short action-nondiag run with the timeline on and off.

    .venv/bin/python benchmarks/replays.py --save benchmarks/results/cpu-2core-replays.jsonl
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mechsparse.data import synthetic
from mechsparse.figures.replay import replay_figure
from mechsparse.learning import timeline, training
from mechsparse.learning.config import default_config
from mechsparse.teaching import lessons, recordings
from mechsparse.theory import graphs


def _recorded() -> list[dict]:
    rows = []
    for name in lessons.RECIPES:
        rec = recordings.load_recording(name)
        if rec is None:
            continue
        start = time.perf_counter()
        fig = replay_figure(rec.timeline, rec.truth, metric="mcc")
        build = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (lessons.RECORDED_DIR / name).iterdir())
        rows.append(
            {
                "case": f"recorded:{name}",
                "frames": len(rec.timeline),
                "files_kb": round(size / 1024, 1),
                "build_ms": round(build * 1000),
                "json_kb": round(len(fig.to_json()) / 1024),
            }
        )
    return rows


def _worst_case() -> dict:
    rng = np.random.default_rng(0)
    tl = timeline.Timeline()
    adds = []
    for k in range(399):  # just under twice the cap: thinned once on the way, 200 frames at the end
        arrays = {name: rng.random((20, 20)) for name in timeline.ARRAYS}
        start = time.perf_counter()
        tl.add(k * 10, k * 0.1, {"mcc": float(rng.random())}, **arrays)
        adds.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        timeline.save_timeline(tmp, tl)
        save = time.perf_counter() - start
        size = (Path(tmp) / timeline.FILE_NAME).stat().st_size
        start = time.perf_counter()
        timeline.load_timeline(tmp)
        load = time.perf_counter() - start
    return {
        "case": f"{len(tl)} frames of 20 latents and 20 actions (399 evaluations)",
        "frames": len(tl),
        "add_us_median": round(statistics.median(adds) * 1e6, 1),
        "save_ms": round(save * 1000, 1),
        "load_ms": round(load * 1000, 1),
        "file_kb": round(size / 1024, 1),
    }


def _training_cost(steps: int) -> dict:
    """Steps per second with and without recording (eval every 50 steps: more frames than any default run)."""
    ds = synthetic.generate(graphs.preset("action-nondiag"), 20_000, seed=0, name="action-nondiag")
    out = {}
    for label, record in (("on", True), ("off", False)):
        trainer = training.Trainer(ds, default_config(ds, max_steps=steps, eval_every=50, device="cpu"))
        if not record:
            trainer._record_frame = lambda *args, **kwargs: None  # the only change: no frame kept
        start = time.perf_counter()
        while not trainer.finished:
            trainer.step()
        out[f"steps_per_s_{label}"] = round(steps / (time.perf_counter() - start), 1)
    return {"case": f"action-nondiag {steps} steps, eval every 50", **out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--save", help="append the rows as JSON lines to this file")
    args = parser.parse_args()
    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    rows = [*_recorded(), _worst_case(), _training_cost(args.steps)]
    for row in rows:
        row["machine"] = machine
        print(json.dumps(row))
    if args.save:
        with open(args.save, "a") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
