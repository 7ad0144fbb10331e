"""The grid charts: ours beside the paper's per dataset, the strength sweep, every run; empty states say why."""

from __future__ import annotations

import pandas as pd
import pytest

from mechsparse.reproduce import grid_file, grids, paper_figures, sweep, tables

STRENGTH = grid_file.builtin("strength")


def _results(grid: grids.Grid, score) -> pd.DataFrame:
    rows = [
        {"dataset": c.data.key, "method": c.method.name, "seed": c.seed, "status": "finished", "mcc": score(c),
         "r_con": score(c), "shd": 1, "run_id": f"r{i}", "headline": c.data.headline}
        for i, c in enumerate(grid.cells())
    ]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=sweep.RESULT_COLUMNS)


def _u_shape(cell: grids.Cell) -> float:
    bound = cell.method.options.get("bound")
    return 0.7 if bound is None else 1 - abs(bound - 20) / 100


def test_comparison_bars_put_the_paper_beside_ours():
    table = tables.summarise(_results(grid_file.builtin("quick"), lambda c: 0.9), grid_file.builtin("quick"))
    fig = paper_figures.comparison_bars(table)
    names = [t.name for t in fig.data]
    assert names == ["constraint (ours)", "constraint (paper)", "none (ours)", "none (paper)"]
    assert fig.data[1].y[0] == pytest.approx(0.9989, abs=1e-3)  # ActionDiag at bound 10
    assert fig.data[0].x[3] == "action-block-nondiag<br>(R_con)"


def test_strength_curve_follows_the_bounds_with_the_paper_points():
    table = tables.summarise(_results(STRENGTH, _u_shape), STRENGTH)
    fig = paper_figures.strength_curve(table, STRENGTH)
    ours, paper = fig.data
    assert list(ours.x) == [5, 10, 15, 20, 25, 50, 75] and max(ours.y) == ours.y[3]
    assert list(paper.x) == list(ours.x) and paper.y[3] == pytest.approx(0.998, abs=1e-3)
    assert "unregularised (ours)" in str(fig.layout.annotations) and "true edges" in str(fig.layout.annotations)


def test_strength_curve_without_a_sweep_says_so():
    quick = grid_file.builtin("quick")
    fig = paper_figures.strength_curve(tables.summarise(_results(quick, lambda c: 0.9), quick), quick)
    assert "no strength sweep" in fig.layout.annotations[0].text


def test_runs_scatter_has_one_point_per_finished_run():
    results = _results(STRENGTH, _u_shape)
    results.loc[0, "status"] = "running"
    fig = paper_figures.runs_scatter(results)
    assert sum(len(t.y) for t in fig.data) == len(results) - 1
    assert "No finished runs" in paper_figures.runs_scatter(results.iloc[:0]).layout.annotations[0].text
    empty = tables.summarise(results.iloc[:0], STRENGTH)
    assert "No finished runs" in paper_figures.comparison_bars(empty).layout.annotations[0].text
