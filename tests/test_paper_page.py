"""AppTest for the Paper page: picking a grid shows its size; a bad grid file is one line; a grid folder made
earlier (a restart) reopens with its table, charts and exports."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_state import grid_registry, job_registry
from mechsparse.learning.config import default_config
from mechsparse.reproduce import grid_file, sweep
from mechsparse.runs import store

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "paper.py")
SMALL = {
    "name": "small",
    "seeds": [0, 1],
    "datasets": ["action-nondiag", "time-diag"],
    "methods": ["constraint", "none"],
    "budget": {"steps": 10},
}


def _page(**params) -> AppTest:
    job_registry.clear()
    grid_registry.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _finished_grid() -> sweep.GridFolder:
    """A grid folder whose runs are written as finished (what a grid leaves behind), without training."""
    grid = grid_file.parse_grid({**SMALL, "datasets": [{"preset": "action-nondiag", "n": 200}]})
    folder = sweep.GridFolder.create(sweep.new_grid_folder(grid.name), grid)
    for i, cell in enumerate(folder.cells()):
        run_id = folder.prepare(cell)
        score = 0.9 + 0.01 * i if cell.method.name == "constraint" else 0.7
        store.update_summary(store.run_path(run_id), status="finished", mcc=score, r_con=score, shd_a=2, steps=10)
    folder.write_results()
    return folder


def test_builtin_grid_shows_its_size(runs_dir):
    at = _page()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**16 runs**: 8 datasets × 2 methods × 1 seed ·" in text and "about 14 min with 2 runs at once" in text
    at.selectbox(key="paper_builtin").set_value("baselines").run()
    assert any("2 method–dataset pairs skipped" in e.label for e in at.expander)
    at.number_input(key="paper_seconds").set_value(5.0).run()
    assert "**14 runs**" in " ".join(m.value for m in at.markdown)


def test_no_grid_yet_says_how_to_make_one(runs_dir):
    at = _page()
    assert any("No grids yet" in i.value for i in at.info)


def test_a_finished_grid_reopens_after_a_restart(runs_dir):
    folder = _finished_grid()
    at = _page()
    assert not at.exception
    assert at.selectbox(key="paper_grid").value == str(folder.path)
    assert "finished: all 4 runs" in at.get("progress")[0].proto.text
    table = at.dataframe[0].value
    assert list(table["method"]) == ["constraint", "none"] and list(table["runs"]) == [2, 2]
    assert table.loc[0, "MCC"] == "0.910 ± 0.014" and table.loc[0, "MCC (paper)"] == "0.998 ± 0.000"
    assert at.query_params["grid"] == folder.path.name
    labels = [b.label for b in at.get("download_button")]
    assert labels[:3] == ["Table (CSV)", "Table (Markdown)", "Runs (CSV)"]
    assert "paper_resume" not in [b.key for b in at.button]


def test_an_unfinished_grid_offers_resume(runs_dir):
    folder = _finished_grid()
    run_id = folder.run_ids()[folder.cells()[0].key]
    store.update_summary(store.run_path(run_id), status="stopped")
    at = _page(grid=folder.path.name)
    assert "stopped: 3 of 4 runs finished" in at.get("progress")[0].proto.text
    assert "paper_resume" in [b.key for b in at.button]


def test_bad_uploaded_grid_is_one_line(runs_dir):
    at = _page()
    at.radio(key="paper_source").set_value("From a file").run()
    assert any("Upload a grid file" in i.value for i in at.info)


def test_open_by_path_refuses_a_folder_that_is_no_grid(runs_dir, tmp_path):
    at = _page()
    at.text_input(key="paper_open_path").set_value(str(tmp_path)).run()
    at.button(key="paper_open").click().run()
    assert any("is not a readable grid folder" in e.value for e in at.error)


def test_start_runs_a_grid_in_the_background(runs_dir):
    default_config("action-nondiag")  # warm the imports the page's thread uses
    at = _page()
    at.number_input(key="paper_seconds").set_value(1.0).run()
    at.selectbox(key="paper_builtin").set_value("strength").run()
    at.button(key="paper_start").click().run()
    assert not at.exception
    live = grid_registry().live()
    assert len(live) == 1 and live[0].folder.grid.name == "strength"
    live[0].stop()
    live[0].join(120)
    assert not live[0].alive


def test_charts_export_as_png(runs_dir):
    _finished_grid()
    at = _page()
    at.button(key="paper_png").click().run(timeout=120)
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert {"Ours vs paper (PNG)", "Strength sweep (PNG)", "Per run (PNG)"} <= set(labels)


def test_charts_without_a_browser_say_so(runs_dir, no_kaleido_browser):
    _finished_grid()
    at = _page()
    at.button(key="paper_png").click().run(timeout=60)
    assert any("PNG needs a headless browser" in c.value for c in at.caption)


def test_a_grid_trained_by_a_terminal_offers_no_resume(runs_dir):
    from mechsparse.runs.lock import RunLock

    folder = _finished_grid()
    run_id = folder.run_ids()[folder.cells()[0].key]
    store.update_summary(store.run_path(run_id), status="running")
    with RunLock(store.run_path(run_id)).acquire():  # `reproduce` in a terminal trains it
        at = _page(grid=folder.path.name)
        assert "running in another process" in at.get("progress")[0].proto.text
        assert "paper_resume" not in [b.key for b in at.button]
