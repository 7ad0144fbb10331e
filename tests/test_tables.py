"""The published numbers (package data) and the results table: means and stds by hand, the paper beside them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mechsparse.reproduce import grid_file, published, sweep, tables


def test_published_numbers_ship_with_the_package():
    t = published.table()
    assert list(t.columns) == ["dataset", "method", "setting", "metric", "mean", "std", "n_seeds", "source"]
    assert len(t) > 1000 and set(published.PAPER_DATASETS.values()) <= set(t["dataset"])


@pytest.mark.parametrize(
    ("dataset", "config", "metric", "edges", "mean", "setting"),
    [
        ("ActionNonDiag", {"sparsity": "constraint"}, "mcc", 20, 0.99815, "bound=20"),
        ("TimeNonDiag", {"sparsity": "constraint"}, "mcc", 55, 0.824796, "bound=50"),  # 55 was not swept
        ("ActionBlockNonDiag", {"sparsity": "constraint"}, "r_con", 12, 0.972879, "bound=10"),
        ("ActionNonDiag", {"sparsity": "constraint", "bound": 75}, "shd", 20, 55.0, "bound=75"),
        ("ActionNonDiag", {"sparsity": "none"}, "mcc", None, 0.757549, "none_mask_frozen_full"),
        ("ActionBlockDiag", {"sparsity": "penalty", "penalty": 16}, "mcc", None, 0.878002, "coeff=16"),
        ("TimeBlockNonDiag", {"method": "slowvae"}, "mcc", None, 0.619401, "gamma=8;rate_prior=10"),
        ("ActionBlockNonDiag", {"method": "tcvae", "beta": 0.25}, "r_con", None, 0.678045, "beta=0.25"),
        ("ActionNonDiag_k=2", {"sparsity": "constraint"}, "mcc", 20, 0.9825, "bound=gt(20)"),
    ],
)
def test_lookup_finds_the_published_setting(dataset, config, metric, edges, mean, setting):
    number = published.lookup(dataset, config, metric, edges)
    assert number is not None and number.mean == pytest.approx(mean, abs=1e-6) and number.setting == setting


def test_lookup_without_a_number():
    assert published.lookup("ActionNonDiag", {"method": "ivae"}, "mcc") is None  # the CLeaR log is missing
    assert published.lookup("ActionNonDiag", {"sparsity": "penalty", "penalty": 3}, "mcc") is None
    assert published.paper_dataset("teach-twins") is None and published.paper_dataset("time-diag", "k=2") is None
    assert published.paper_dataset("time-nondiag", "no_suff_var") == "TimeNonDiag_NoSuffVar"


def test_agreement():
    number = published.PaperNumber(0.80, 0.05, 5, "", "")
    assert number.agreement(0.81) == "better" and number.agreement(0.76) == "within"
    assert number.agreement(0.70) == "below" and number.agreement(0.5, lower_is_better=True) == "better"


def _results(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["dataset", "method", "seed", "status", "mcc", "r_con", "shd"])
    return frame.reindex(columns=sweep.RESULT_COLUMNS)


GRID = grid_file.parse_grid(
    {"seeds": [0, 1, 2], "datasets": ["action-nondiag", "action-block-nondiag"], "methods": ["constraint", "none"]}
)


def test_table_against_hand_computed_means():
    results = _results(
        [
            ("action-nondiag", "constraint", 0, "finished", 0.90, 0.90, 2),
            ("action-nondiag", "constraint", 1, "finished", 1.00, 1.00, 0),
            ("action-nondiag", "constraint", 2, "running", 0.10, 0.10, 50),  # unfinished: left out
            ("action-nondiag", "none", 0, "finished", 0.72, 0.72, 80),
            ("action-block-nondiag", "constraint", 0, "finished", 0.70, 0.96, 4),
            ("action-block-nondiag", "constraint", 1, "finished", 0.80, 0.98, 6),
            ("action-block-nondiag", "constraint", 2, "finished", 0.90, 1.00, 8),
        ]
    )
    table = tables.summarise(results, GRID).set_index(["dataset", "method"])
    row = table.loc[("action-nondiag", "constraint")]
    assert row["runs"] == 2 and row["mcc_mean"] == pytest.approx(0.95)
    assert row["mcc_std"] == pytest.approx(math.sqrt(0.005))  # sample std of 0.9 and 1.0
    assert row["shd_mean"] == pytest.approx(1.0) and row["mcc_paper"] == pytest.approx(0.99815, abs=1e-6)
    assert row["agreement"] == "below"  # 0.95 against 0.998 ± 0.0004
    none = table.loc[("action-nondiag", "none")]
    assert none["runs"] == 1 and none["mcc_std"] == 0.0 and none["agreement"] == "within"  # 0.72 against 0.758 ± 0.044
    block = table.loc[("action-block-nondiag", "constraint")]
    assert block["headline"] == "r_con" and block["r_con_mean"] == pytest.approx(0.98)
    assert block["r_con_std"] == pytest.approx(0.02) and block["agreement"] == "better"  # against 0.973
    empty = table.loc[("action-block-nondiag", "none")]
    assert empty["runs"] == 0 and math.isnan(empty["mcc_mean"]) and empty["agreement"] == ""


def test_markdown_shows_mean_std_and_the_paper():
    results = _results(
        [
            ("action-nondiag", "constraint", 0, "finished", 0.9, 0.9, 2),
            ("action-nondiag", "constraint", 1, "finished", 1.0, 1.0, 0),
        ]
    )
    text = tables.markdown(tables.summarise(results, GRID), title="t")
    assert text.startswith("# t") and "| action-nondiag | constraint | 2 | 0.950 ± 0.071 | 0.998 ± 0.000 |" in text
    assert "✗ below |" in text and "| action-nondiag | none | 0 | — |" in text
