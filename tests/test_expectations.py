"""The shipped measured times: built from real benchmark lines, read back as one sentence per preset."""

from __future__ import annotations

import json

from mechsparse.learning import expectations
from mechsparse.theory import graphs


def test_shipped_figures_name_real_presets_and_their_sources():
    data = expectations.measured()
    assert data["machine"] and {"action-nondiag", "time-diag", "time-nondiag"} <= set(data["presets"])
    for name, entry in data["presets"].items():
        assert name in graphs.PRESETS
        assert entry["reached"] <= entry["runs"] and entry["source"].endswith(".jsonl")


def test_describe_says_reached_or_not():
    entry = {"metric": "mcc", "threshold": 0.95, "runs": 3, "budget_seconds": 300.0, "source": "x.jsonl"}
    data = {
        "machine": "a test box",
        "presets": {
            "fast": entry
            | {
                "reached": 3,
                "seconds": {"median": 14.2, "min": 12.1, "max": 15.0},
                "final": dict.fromkeys(("median", "min", "max"), 0.98),
            },
            "slow": entry | {"reached": 0, "seconds": None, "final": {"median": 0.7, "min": 0.69, "max": 0.77}},
        },
    }
    assert expectations.describe("fast", data) == (
        "MCC ≥ 0.95 after 14 s (12–15 s), 3/3 seeds; MCC 0.980 after 300 s, measured on a test box."
    )
    assert expectations.describe("slow", data).startswith(
        "MCC did not reach 0.95 within 300 s (0/3 seeds); MCC 0.700 ("
    )
    assert expectations.describe("unknown", data) is None


def test_builder_keeps_preset_cases_only(tmp_path):
    from benchmarks.expectations import build

    line = {
        "case": "time-diag",
        "metric": "mcc",
        "final": 0.96,
        "seconds": 300.0,
        "reached": {"0.95": {"seconds": 9.0}},
    }
    other = dict(line, case="time-nondiag-k2")
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (line, other)) + "\n")
    data = build([str(path)])
    assert list(data["presets"]) == ["time-diag"]
    assert data["presets"]["time-diag"]["seconds"]["median"] == 9.0
