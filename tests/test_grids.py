"""Grids: the built-in grids, grid files (TOML and JSON) and their validation, cells and budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mechsparse.reproduce import grid_file, grids

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "grids" / "example.toml"


def _grid(**changes) -> dict:
    raw = {"seeds": [0], "datasets": ["action-nondiag"], "methods": ["constraint", "none"], "budget": {"steps": 50}}
    return {**raw, **changes}


def test_builtin_grids_have_the_issue_sizes():
    sizes = {name: len(grid_file.builtin(name).cells()) for name in grids.BUILTIN_GRIDS}
    assert sizes["quick"] == 16 and sizes["paper"] == 80 and sizes["violations"] == 24 and sizes["strength"] == 8
    quick = grid_file.builtin("quick")
    assert {d.paper_name for d in quick.datasets} == set(grids.published.PAPER_DATASETS.values())
    paper = grid_file.builtin("paper")
    assert paper.seeds == (0, 1, 2, 3, 4) and paper.budget == {} and paper.cells()[0].budget == {}
    violations = {d.key for d in grid_file.builtin("violations").datasets}
    assert violations == {
        "action-nondiag:k=2",
        "action-nondiag:no_suff_var",
        "time-nondiag:k=2",
        "time-nondiag:no_suff_var",
    }


def test_baselines_grid_skips_temporal_methods_on_action_data():
    grid = grid_file.builtin("baselines")
    keys = {c.key for c in grid.cells()}
    assert "time-block-nondiag|slowvae|s0" in keys and "action-block-nondiag|slowvae|s0" not in keys
    assert len(grid.skipped) == 2 and all("temporal" in line for line in grid.skipped)


def test_budget_by_kind_and_the_seconds_override():
    quick = grid_file.builtin("quick")
    budgets = {c.data.key: c.budget for c in quick.cells()}
    assert budgets["action-nondiag"] == {"max_seconds": 60.0} and budgets["time-nondiag"] == {"max_seconds": 150.0}
    assert {tuple(c.budget.items()) for c in quick.cells(seconds=5)} == {(("max_seconds", 5.0),)}
    assert quick.estimated_seconds(2) == pytest.approx((8 * 60 + 8 * 150) / 2)


def test_default_budget_is_the_tuned_step_count():
    cell = next(c for c in grid_file.builtin("paper").cells() if c.data.key == "time-nondiag")
    assert cell.estimated_seconds() == pytest.approx(75_000 / grids.STEPS_PER_SECOND["time"])


def test_shorthands_names_and_keys():
    grid = grid_file.parse_grid(
        _grid(
            datasets=["time-nondiag:k=2", {"preset": "teach-twins", "kind": "intervention", "n": 500}],
            methods=[{"sparsity": "constraint", "bound": 10}, {"sparsity": "penalty", "penalty": 0.8}, "tcvae"],
        )
    )
    assert [d.key for d in grid.datasets] == ["time-nondiag:k=2", "teach-twins:intervention"]
    assert [m.name for m in grid.methods] == ["constraint b=10", "penalty c=0.8", "tcvae"]
    assert grid.datasets[0].headline == "mcc" and grid.datasets[0].true_edges == 55
    assert grid_file.builtin("quick").datasets[3].headline == "r_con"  # action-block-nondiag


def test_the_readme_example_file_parses():
    grid = grid_file.load_grid(str(EXAMPLE))
    assert grid.name == "block-strength" and len(grid.cells()) == 2 * 5 * 3
    assert grid.config == {"model_size": "small"}


def test_json_and_toml_give_the_same_grid(tmp_path):
    raw = _grid(name="g", methods=["constraint", {"method": "tcvae", "beta": 0.5}])
    (tmp_path / "g.json").write_text(json.dumps(raw))
    toml = 'name = "g"\nseeds = [0]\ndatasets = ["action-nondiag"]\nbudget = {steps = 50}\n'
    toml += 'methods = ["constraint", {method = "tcvae", beta = 0.5}]\n'
    (tmp_path / "g.toml").write_text(toml)
    assert grid_file.load_grid(str(tmp_path / "g.json")) == grid_file.load_grid(str(tmp_path / "g.toml"))
    assert (
        grid_file.parse_grid(grid_file.load_grid(str(tmp_path / "g.json")).to_dict()).to_dict()
        == grid_file.load_grid(str(tmp_path / "g.json")).to_dict()
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"colour": 1}, "unknown grid key(s) colour"),
        ({"datasets": ["nope"]}, "datasets[0]: unknown preset 'nope'"),
        ({"datasets": ["action-nondiag:k=3"]}, "unknown variant"),
        ({"datasets": [{"preset": "action-nondiag", "n": 5}]}, "datasets[0].n"),
        ({"datasets": [{"preset": "action-nondiag", "size": 5}]}, "unknown key(s) size"),
        ({"datasets": [{"preset": "action-diag", "kind": "temporal"}]}, "datasets[0]: kind 'temporal' needs"),
        ({"datasets": []}, "datasets: must be a non-empty list"),
        ({"methods": ["lasso"]}, "methods[0]: unknown method 'lasso'"),
        ({"methods": [{"sparsity": "constraint", "bound": -1}]}, "methods[0]: bound must be"),
        ({"methods": [{"sparsity": "none", "beta": 2}]}, "methods[0]: beta do(es) not apply to method sparse"),
        ({"methods": [{"sparsity": "none", "seed": 2}]}, "belong to the grid"),
        ({"methods": ["none", {"sparsity": "none"}]}, "methods: none appear(s) twice"),
        ({"methods": ["slowvae"]}, "no method of the grid can train"),
        ({"seeds": [0, 0]}, "seeds: has duplicates"),
        ({"seeds": [-1]}, "seeds[0]: must be an integer"),
        ({"budget": {"minutes": 3}}, "budget: must be"),
        ({"budget": {"seconds": {"action": 5}}}, "budget.seconds: a table needs exactly the keys action and time"),
        ({"budget": {"steps": 0}}, "budget.steps: must be an integer"),
        ({"config": {"lr": -1}}, "config: lr must be"),
        ({"config": {"seed": 1}}, "config: seed cannot be set"),
    ],
)
def test_bad_grids_are_one_line_errors_naming_the_place(changes, words):
    with pytest.raises(grids.GridError) as err:
        grid_file.parse_grid(_grid(**changes))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_bad_files(tmp_path):
    (tmp_path / "bad.toml").write_text("seeds = [0,\n")
    with pytest.raises(grids.GridError, match="not valid TOML"):
        grid_file.load_grid(str(tmp_path / "bad.toml"))
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(grids.GridError, match="must be a table"):
        grid_file.load_grid(str(tmp_path / "list.json"))
    with pytest.raises(grids.GridError, match="neither a built-in grid"):
        grid_file.load_grid("quick.yaml")
    with pytest.raises(grids.GridError, match="cannot read"):
        grid_file.load_grid(str(tmp_path / "absent.toml"))
