"""The lessons' recorded runs: train each recipe once, keep its timeline and final scores, read them back.

``python -m mechsparse record-lessons`` trains every recipe of mechsparse.teaching.lessons.RECIPES with the app's own
loop (runner.train_run, in a temporary run folder) and writes ``<out>/<name>/timeline.npz`` and ``record.json``
(the recipe, the true graphs, the final summary, and where and when it was trained). Runs go to a process pool,
one torch thread each, so a 2-core laptop rebuilds them all in minutes. Each recording replaces its folder
atomically: an interrupted rebuild leaves the old recording in place.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from mechsparse.learning.timeline import Timeline, load_timeline
from mechsparse.runs import runner, schema, store
from mechsparse.teaching import lessons
from mechsparse.theory import graphs

RECORD_FILE = "record.json"
TIMELINE_FILE = schema.TIMELINE_FILE  # a recording keeps its run's timeline.npz as it is
SUMMARY_KEYS = ("mcc", "r", "r_con", "shd_a", "shd_z", "edge_count", "target_bound", "steps", "seconds", "elbo")


@dataclass(frozen=True)
class Recording:
    """One recorded run as the lessons show it: its recipe, true graphs, timeline and final scores."""

    recipe: lessons.Recipe
    truth: graphs.GraphSpec | None
    timeline: Timeline
    summary: dict
    built: str  # when and where it was trained, in words

    @property
    def final_score(self) -> float | None:
        value = self.summary.get("mcc")
        return None if value is None else float(value)


def record_one(name: str, out_dir: str | os.PathLike, *, seed: int | None = None) -> dict:
    """Train recipe ``name`` (with its own training seed unless ``seed``) and write its recording into
    ``out_dir/name``, replacing an older one. Returns record.json's content. ValueError when the run does not
    finish."""
    recipe = lessons.recipe(name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset, config = lessons.recipe_inputs(recipe, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mechsparse-record-") as tmp:
        folder = store.create_run(dataset, config, recipe.data_name, folder=Path(tmp) / "run", source="lessons")
        outcome = runner.train_run(folder, save_every=1e9, publish_every=1e9)
        if outcome.status != "finished":
            raise ValueError(f"recording {name} did not finish: {outcome.status} {outcome.message}".strip())
        summary = store.read_json(folder / schema.SUMMARY_FILE)
        record = {
            "name": name,
            "recipe": dataclasses.asdict(recipe),
            "graphs": graphs.encode(dataset.graphs) if dataset.graphs is not None else None,
            "config": config.to_dict(),
            "summary": {k: summary.get(k) for k in SUMMARY_KEYS},
            "built": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
            f"{summary.get('device')}",
        }
        staging = out_dir / f".recording-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        shutil.copyfile(folder / TIMELINE_FILE, staging / TIMELINE_FILE)
        store.write_json(staging / RECORD_FILE, record)
    target = out_dir / name
    old = out_dir / f".old-{name}"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return record


def _record_in_child(name: str, out_dir: str, seed: int | None) -> dict:
    torch.set_num_threads(1)
    return record_one(name, out_dir, seed=seed)


def record_all(
    out_dir: str | os.PathLike = lessons.RECORDED_DIR,
    names: Sequence[str] | None = None,
    *,
    workers: int = 2,
    seed: int | None = None,
    report: Callable[[str, dict | None, str | None], None] | None = None,
) -> dict[str, dict]:
    """Record every recipe (or ``names``) on ``workers`` processes, longest first. ``report(name, record,
    error)`` is called as each one ends. Returns the records that finished; raises ValueError if any failed,
    after the others are done."""
    names = list(names) if names else list(lessons.RECIPES)
    for name in names:
        lessons.recipe(name)  # every name checked before anything trains
    names.sort(key=lambda n: -int(lessons.RECIPES[n].options.get("max_steps", 0)))
    done: dict[str, dict] = {}
    failed: list[str] = []
    context = multiprocessing.get_context("spawn")  # no torch state shared with the parent
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
        futures = {pool.submit(_record_in_child, n, str(out_dir), seed): n for n in names}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            try:
                done[name] = future.result()
            except Exception as exc:  # noqa: BLE001 - reported per recording; the others go on
                failed.append(f"{name}: {runner.one_line(exc)}")
                if report:
                    report(name, None, runner.one_line(exc))
            else:
                if report:
                    report(name, done[name], None)
    if failed:
        raise ValueError("some recordings failed: " + "; ".join(failed))
    return done


def files_version(name: str, folder: str | os.PathLike = lessons.RECORDED_DIR) -> float:
    """The version of recording ``name``'s files (its record.json's mtime; 0.0 when not recorded): a cache key, so
    a rebuilt recording is read again."""
    path = Path(folder) / name / RECORD_FILE
    return path.stat().st_mtime if path.exists() else 0.0


def load_recording(name: str, folder: str | os.PathLike = lessons.RECORDED_DIR) -> Recording | None:
    """The recording of recipe ``name``, or None when it has not been recorded; a one-line ValueError when its
    files are damaged."""
    recipe = lessons.recipe(name)
    path = Path(folder) / name
    if not (path / RECORD_FILE).exists():
        return None
    try:
        record = json.loads((path / RECORD_FILE).read_text(encoding="utf-8"))
        timeline = load_timeline(path / TIMELINE_FILE)
        truth = graphs.decode(record["graphs"]) if record.get("graphs") else None
        summary = dict(record.get("summary") or {})
        built = f"trained {record.get('built', '?')} on {record.get('machine', '?')}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"recording {name} cannot be read ({runner.one_line(exc)})") from None
    if timeline is None or len(timeline) == 0:
        raise ValueError(f"recording {name} has no timeline")
    return Recording(recipe=recipe, truth=truth, timeline=timeline, summary=summary, built=built)
