"""How long a preset takes on a CPU, as measured by the benchmarks (measured_times.json, built by
benchmarks/expectations.py), so a page can say what to expect before and during a run."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("measured_times.json")


@cache
def measured() -> dict:
    """The shipped figures: {"machine": str, "presets": {name: {...}}}; empty presets when the file is missing."""
    try:
        return json.loads(DATA_FILE.read_text())
    except (OSError, ValueError):
        return {"machine": "", "presets": {}}


def _seconds(stats: dict) -> str:
    med, lo, hi = (round(stats[k]) for k in ("median", "min", "max"))
    return f"{med} s" if lo == hi else f"{med} s ({lo}–{hi} s)"


def _metric(name: str) -> str:
    return {"mcc": "MCC", "r_con": "R_con"}.get(name, name)


def describe(preset: str, data: dict | None = None) -> str | None:
    """One sentence: what this preset reached, how fast, on which machine; None when it was not measured."""
    data = measured() if data is None else data
    entry = data["presets"].get(preset)
    if entry is None:
        return None
    metric, threshold = _metric(entry["metric"]), entry["threshold"]
    final = entry["final"]
    final_text = (
        f"{final['median']:.3f}"
        if final["min"] == final["max"]
        else (f"{final['median']:.3f} ({final['min']:.3f}–{final['max']:.3f})")
    )
    budget = round(entry["budget_seconds"])
    runs = f"{entry['reached']}/{entry['runs']} seeds"
    if entry["reached"]:
        head = f"{metric} ≥ {threshold:g} after {_seconds(entry['seconds'])}, {runs}"
    else:
        head = f"{metric} did not reach {threshold:g} within {budget} s ({runs})"
    return f"{head}; {metric} {final_text} after {budget} s, measured on {data['machine']}."
