"""AppTest for the Runs page: the table lists saved runs; selecting two compares them; export; delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_state import job_registry
from mechsparse import graphs, runs, synthetic
from mechsparse.jobs import JobRegistry
from mechsparse.training import default_config

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "runs.py")


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    """Two finished tiny runs (constraint and none on the same data), trained for real."""
    root = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    mp.setenv("MECHSPARSE_RUNS_DIR", str(root))
    ds = synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")
    registry = JobRegistry()
    ids = []
    for mode in ("constraint", "none"):
        cfg = default_config(
            ds, sparsity=mode, max_steps=40, batch_size=64, eval_every=20, eval_samples=200, device="cpu"
        )
        run_id = runs.create_run(ds, cfg, ds.name).name
        registry.start(run_id)
        ids.append(run_id)
    for job in registry.jobs():
        job.join(120)
    yield ids
    mp.undo()


def _page(**params) -> AppTest:
    job_registry.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_table_lists_every_run(saved_runs):
    at = _page()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(saved_runs) <= set(table["run"])
    assert set(table["status"]) == {"finished"}
    assert set(table["mode"]) == {"constraint", "none"}


def test_selecting_two_runs_compares_them(saved_runs):
    at = _page()
    at.multiselect(key="runs_selected").set_value(saved_runs).run()
    assert not at.exception and not at.error
    charts = at.get("plotly_chart")
    assert len(charts) >= 6 + 2  # six overlaid metrics, one final panel per run
    assert any("teach-nested-none" in m.value.replace("\\", "") for m in at.markdown)


def test_export_prepares_a_zip(saved_runs):
    at = _page(run=saved_runs[0])
    assert at.multiselect(key="runs_selected").value == [saved_runs[0]]
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.get("download_button")


def test_delete_needs_confirmation_then_removes_the_run(saved_runs):
    ds = synthetic.generate(graphs.preset("teach-complete"), 100, seed=0)
    doomed = runs.create_run(ds, default_config(ds, sparsity="none"), "doomed").name
    at = _page(run=doomed)
    delete = [b for b in at.button if b.label == "Delete selected"][0]
    assert delete.disabled
    at.checkbox[1].check().run()
    [b for b in at.button if b.label == "Delete selected"][0].click().run()
    assert not at.exception
    assert doomed not in set(runs.list_runs()["run"])
    assert set(saved_runs) <= set(runs.list_runs()["run"])


def test_damaged_runs_are_listed_and_can_be_deleted(saved_runs):
    ds = synthetic.generate(graphs.preset("teach-complete"), 100, seed=0)
    broken = runs.create_run(ds, default_config(ds, sparsity="none"), "broken").name
    (runs.run_path(broken) / "summary.json").write_text("[]")
    at = _page(run=broken)
    assert not at.exception
    table = at.dataframe[0].value.set_index("run")
    assert table.loc[broken, "status"] == "damaged"
    assert len(at.error) == 1 and "damaged" in at.error[0].value
    at.checkbox[1].check().run()
    [b for b in at.button if b.label == "Delete selected"][0].click().run()
    assert not at.exception
    assert broken not in set(runs.list_runs()["run"])


def test_uploaded_names_are_shown_as_text_not_markdown(saved_runs):
    ds = synthetic.generate(graphs.preset("teach-complete"), 100, seed=0)
    hostile = "**big** [click](javascript:alert(1)) :red[x]"
    run_id = runs.create_run(ds, default_config(ds, sparsity="none"), hostile).name
    at = _page(run=run_id)
    assert not at.exception
    header = [m.value for m in at.markdown if "big\\*" in m.value][0]
    assert "\\*\\*big\\*\\*" in header and "\\[click\\]" in header and "\\:red\\[x\\]" in header
    runs.delete_run(run_id)
