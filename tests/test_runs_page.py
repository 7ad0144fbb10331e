"""AppTest for the Runs page: the table lists saved runs; selecting two compares them; export; delete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_state import job_registry
from mechsparse.data import synthetic
from mechsparse.learning.config import default_config
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs import evaluations, store
from mechsparse.runs.jobs import JobRegistry
from mechsparse.theory import graphs

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "runs.py")


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
        run_id = store.create_run(ds, cfg, ds.name).name
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
    doomed = store.create_run(ds, default_config(ds, sparsity="none"), "doomed").name
    at = _page(run=doomed)
    delete = [b for b in at.button if b.label == "Delete selected"][0]
    assert delete.disabled
    at.checkbox[1].check().run()
    [b for b in at.button if b.label == "Delete selected"][0].click().run()
    assert not at.exception
    assert doomed not in set(store.list_runs()["run"])
    assert set(saved_runs) <= set(store.list_runs()["run"])


def test_damaged_runs_are_listed_and_can_be_deleted(saved_runs):
    ds = synthetic.generate(graphs.preset("teach-complete"), 100, seed=0)
    broken = store.create_run(ds, default_config(ds, sparsity="none"), "broken").name
    (store.run_path(broken) / "summary.json").write_text("[]")
    at = _page(run=broken)
    assert not at.exception
    table = at.dataframe[0].value.set_index("run")
    assert table.loc[broken, "status"] == "damaged"
    assert len(at.error) == 1 and "damaged" in at.error[0].value
    at.checkbox[1].check().run()
    [b for b in at.button if b.label == "Delete selected"][0].click().run()
    assert not at.exception
    assert broken not in set(store.list_runs()["run"])


def test_uploaded_names_are_shown_as_text_not_markdown(saved_runs):
    ds = synthetic.generate(graphs.preset("teach-complete"), 100, seed=0)
    hostile = "**big** [click](javascript:alert(1)) :red[x]"
    run_id = store.create_run(ds, default_config(ds, sparsity="none"), hostile).name
    at = _page(run=run_id)
    assert not at.exception
    header = [m.value for m in at.markdown if "big\\*" in m.value][0]
    assert "\\*\\*big\\*\\*" in header and "\\[click\\]" in header and "\\:red\\[x\\]" in header
    store.delete_run(run_id)


# ---------------------------------------------------------------- final panels: only what the runs have, and why not


def _fake_run(name: str, *, temporal: bool, snapshot: bool = True, truth: bool = True) -> str:
    """A finished run folder without training: a snapshot (Ga for action data, Gz for temporal data; the matched
    panels only with ground truth) and a short history."""
    spec = graphs.GraphSpec(gz=np.eye(2, dtype=int)) if temporal else graphs.GraphSpec(ga=np.eye(2, dtype=int))
    ds = synthetic.generate(spec, 100, t=2 if temporal else 1, seed=0, name=name)
    folder = store.create_run(ds, default_config(ds, sparsity="none", device="cpu"), name)
    if snapshot:
        key = "z" if temporal else "a"
        probs = np.array([[0.9, 0.1], [0.2, 0.8]])
        fields = {"step": 20, "metrics": {}, f"edge_probs_{key}": probs, "device": "cpu"}
        if truth:
            fields |= {f"matched_probs_{key}": probs, "corr": probs, "coef": probs, "pattern": np.eye(2, dtype=bool)}
            fields["metrics"] = {"mcc": 0.85}
        evaluations.save_snapshot(folder, Snapshot.from_dict(fields))
        evaluations.write_history(
            folder, [{"step": 10, "loss": 2.0, "elbo": -2.0}, {"step": 20, "loss": 1.0, "elbo": -1.0}]
        )
    store.update_summary(folder, status="finished")
    return folder.name


def _column_texts(at: AppTest) -> str:
    return " | ".join(i.value for i in at.info)


def test_panels_offered_are_the_ones_the_runs_have(runs_dir):
    action, temporal = _fake_run("act", temporal=False), _fake_run("tmp", temporal=True)
    at = _page(run=[action, temporal])
    assert not at.exception and not at.error
    radio = at.radio(key="runs_panel")
    assert radio.options == ["learned Ga", "learned Gz", "|L P|", "|corr|", "pattern C"]
    assert radio.value == "coef"  # the first panel both runs have, not learned Ga
    radio.set_value("learned_ga").run()
    assert "This run has no Ga: temporal data" in _column_texts(at)
    at.radio(key="runs_panel").set_value("learned_gz").run()
    assert "This run has no Gz: action data" in _column_texts(at)


def test_a_single_temporal_run_defaults_to_its_learned_gz(runs_dir):
    at = _page(run=_fake_run("tmp", temporal=True))
    radio = at.radio(key="runs_panel")
    assert "learned Ga" not in radio.options and radio.value == "learned_gz"
    assert not at.info  # nothing missing


def test_missing_panels_say_why(runs_dir):
    fresh = _fake_run("fresh", temporal=False, snapshot=False)
    blind = _fake_run("blind", temporal=False, truth=False)
    full = _fake_run("full", temporal=False)
    at = _page(run=[fresh, blind, full])
    assert not at.exception
    at.radio(key="runs_panel").set_value("corr").run()
    texts = _column_texts(at)
    assert "No snapshot yet" in texts
    assert "No ground truth (true latents) for this run, so no matched panel" in texts


def test_no_panel_at_all_is_said_per_run(runs_dir):
    at = _page(run=_fake_run("fresh", temporal=True, snapshot=False))
    assert not at.exception and not at.radio
    assert "No snapshot yet: this run has not been evaluated" in _column_texts(at)


# ---------------------------------------------------------------- delete: confirmation, and the URL forgets


def test_delete_confirms_and_forgets_the_runs(runs_dir):
    keep, doomed_a, doomed_b = (_fake_run(n, temporal=False) for n in ("keep", "doomed-a", "doomed-b"))
    at = _page(run=[keep, doomed_a, doomed_b])
    at.multiselect(key="runs_selected").set_value([doomed_a, doomed_b]).run()
    at.checkbox(key="runs_delete_confirm").check().run()
    [b for b in at.button if b.label == "Delete selected"][0].click().run()
    assert not at.exception and not at.error
    assert set(store.list_runs()["run"]) == {keep}
    success = " ".join(s.value for s in at.success).replace("\\", "")
    assert f"Deleted 2 runs: {doomed_a}, {doomed_b}" in success
    assert at.query_params.get("run") in (keep, [keep])
    assert at.multiselect(key="runs_selected").value == []
    at.multiselect(key="runs_selected").set_value([keep]).run()
    assert at.checkbox(key="runs_delete_confirm").value is False  # the next delete is confirmed afresh
    assert not at.success  # the confirmation is said once


def test_a_link_to_a_deleted_run_is_dropped_from_the_url(runs_dir):
    keep = _fake_run("keep", temporal=False)
    at = _page(run=[keep, "20200101-000000-gone-0000"])
    assert not at.exception
    assert at.multiselect(key="runs_selected").value == [keep]
    assert at.query_params.get("run") in (keep, [keep])


def test_export_without_a_browser_says_the_panels_are_html(runs_dir, no_kaleido_browser):
    at = _page(run=_fake_run("png", temporal=False))
    at.checkbox[0].check().run()
    [b for b in at.button if b.label == "Prepare zip"][0].click().run()
    assert not at.exception and not at.error
    assert any("panels as HTML" in i.value for i in at.info)
    assert at.get("download_button")


def test_a_baseline_run_is_listed_and_compared_by_its_method(tmp_path, monkeypatch):
    from mechsparse.runs import runner

    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    ds = synthetic.generate(graphs.preset("teach-nested"), 300, seed=0, name="teach-nested")
    folder = store.create_run(ds, default_config(ds, method="random", eval_samples=100, device="cpu"), ds.name)
    assert runner.train_run(folder).status == "finished"
    at = _page(run=folder.name)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["method"]) == ["Random"] and list(table["mode"]) == [""]
    assert any("Random · finished" in m.value for m in at.markdown)
    assert at.radio(key="runs_panel").value == "learned_ga"  # offered, and it says no graph was learned
    texts = [a.text for c in at.get("plotly_chart") for a in _figure(c).layout.annotations]
    assert any("Random has no graph of mechanisms" in t for t in texts)


def _figure(chart):
    import json

    import plotly.graph_objects as go

    return go.Figure(json.loads(chart.proto.spec))


# ---------------------------------------------------------------- replay: any run's timeline, played in the browser


def _replay_chart(at: AppTest):
    charts = [c for c in at.get("plotly_chart") if c.key == "replay"]
    return _figure(charts[0]) if charts else None


def test_replay_plays_the_first_selected_run(saved_runs):
    at = _page(run=saved_runs[1])
    assert not at.exception and not at.error
    assert at.selectbox(key="runs_replay").value == saved_runs[1]
    fig = _replay_chart(at)
    steps = [str(s) for s in store.load_timeline(saved_runs[1]).steps]
    assert [f.name for f in fig.frames] == steps and [s.label for s in fig.layout.sliders[0].steps] == steps
    assert fig.layout.annotations[-1].text == "MCC over steps"
    at.radio(key="runs_replay_metric").set_value("shd_a").run()
    assert _replay_chart(at).layout.annotations[-1].text == "SHD Ga over steps"


def test_replay_follows_the_selection_until_another_run_is_chosen(saved_runs):
    first, second = saved_runs
    at = _page(run=first)
    at.multiselect(key="runs_selected").set_value([second]).run()
    assert at.selectbox(key="runs_replay").value == second  # followed the selection
    at.selectbox(key="runs_replay").set_value(first).run()
    at.multiselect(key="runs_selected").set_value([second, first]).run()
    assert at.selectbox(key="runs_replay").value == first  # chosen by hand: kept
    assert not at.exception and _replay_chart(at) is not None


def test_replay_defaults_to_the_newest_run_without_a_selection(saved_runs):
    at = _page()
    assert not at.exception
    newest = str(store.list_runs()["run"].iloc[0])
    assert at.selectbox(key="runs_replay").value == newest


def test_a_run_without_a_timeline_gets_a_note(runs_dir):
    at = _page(run=_fake_run("old", temporal=False))  # written without training: like a run from before timelines
    assert not at.exception and not at.error
    assert _replay_chart(at) is None
    assert any("No replay for this run: it has no timeline.npz" in c.value for c in at.caption)
