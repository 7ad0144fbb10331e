"""AppTest for the Train page: start a short run from the form, see it finish, reattach with ?run=, bad ids."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_state import job_registry

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "train.py")


@pytest.fixture()
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    job_registry.clear()
    yield tmp_path / "runs"
    job_registry().stop_all()
    job_registry.clear()


def _start_tiny_run(at: AppTest, **fields) -> AppTest:
    at.selectbox(key="train_preset").set_value("teach-nested")
    at.number_input(key="train_n").set_value(1_000)
    at.number_input(key="train_max_steps").set_value(fields.get("max_steps", 40))
    at.selectbox(key="train_device").set_value(fields.get("device", "cpu"))
    at.button[0].click()
    return at.run(timeout=60)


def test_form_starts_a_run_that_finishes_and_shows_its_panels(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    at = _start_tiny_run(at)
    assert not at.exception and not at.error
    run_id = at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"]
    job = job_registry().get(run_id)
    assert job is not None
    job.join(120)
    assert job.view().status == "finished"

    again = AppTest.from_file(PAGE, default_timeout=60)
    again.query_params["run"] = run_id
    again.run()
    assert not again.exception
    text = " ".join(m.value for m in again.markdown)
    assert run_id in text and "finished" in text
    labels = [m.label for m in again.metric]
    assert {"MCC", "R_con", "SHD", "ELBO"} <= set(labels)
    charts = {c.key for c in again.get("plotly_chart")} - {"source-graphs"}  # minus the New run form's preview
    assert charts == {"big-graphs", "big-entanglement", "big-corr", "big-curves"}  # the presentation layout
    assert len(again.caption) >= 4  # each large panel says what to look for
    again.button_group(key="train_layout").set_value("All panels").run()
    assert not again.exception
    assert len(again.get("plotly_chart")) >= 6  # true Ga, learned Ga, C, |L P|, corr, curves


def test_cuda_without_gpu_is_a_one_line_error(runs_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    at = _start_tiny_run(AppTest.from_file(PAGE, default_timeout=60).run(), device="cuda")
    assert not at.exception
    assert len(at.error) == 1 and "cuda" in at.error[0].value.lower() and "\n" not in at.error[0].value
    assert "run" not in at.query_params


@pytest.mark.parametrize("bad", ["../../etc/passwd", "nope"])
def test_bad_run_ids_in_the_url_show_an_error(runs_dir, bad):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["run"] = bad
    at.run()
    assert not at.exception
    assert len(at.error) == 1


def test_theory_graphs_source_without_theory_graphs_explains(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="train_source").set_value("Graphs from the Theory page")
    at.number_input(key="train_max_steps").set_value(20)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "Theory page" in at.error[0].value
    time.sleep(0)  # nothing started
    assert not job_registry().jobs()


def test_dataset_without_ground_truth_trains_and_says_what_is_missing(runs_dir):
    from mechsparse.data import dataset, synthetic
    from mechsparse.theory import graphs

    full = synthetic.generate(graphs.preset("teach-nested"), 800, seed=0)
    bare = dataset.Dataset(x=full.x, a=full.a, name="uploaded")  # no z, no graphs: what a user's file may hold
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["dataset"] = bare
    at.run()
    at.radio(key="train_source").set_value("Dataset from the Data page")
    at.number_input(key="train_dz").set_value(2)
    at.number_input(key="train_max_steps").set_value(30)
    at.button[0].click()
    at.run()
    assert "needs a bound" in at.error[0].value  # constraint without true graphs: the bound must be given
    at.radio(key="train_sparsity").set_value("penalty")
    at.selectbox(key="train_device").set_value("cpu")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error
    run_id = at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"]
    job = job_registry().get(run_id)
    job.join(120)
    assert job.view().status == "finished", job.view().message
    at.run()
    assert not at.exception
    assert any("no ground-truth latents" in i.value for i in at.info)
    assert [m.value for m in at.metric if m.label == "MCC"] == ["—"]
    assert len(at.get("plotly_chart")) >= 2  # learned Ga in the model's own order, and the curves


def test_stopped_run_resumes_after_an_app_restart(runs_dir):
    from mechsparse.data import synthetic
    from mechsparse.learning.config import default_config
    from mechsparse.runs import store
    from mechsparse.theory import graphs

    ds = synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")
    cfg = default_config(ds, max_steps=1_000_000, batch_size=64, eval_every=20, eval_samples=200, device="cpu")
    run_id = store.create_run(ds, cfg, "restart").name
    job = job_registry().start(run_id, publish_every=0.0)
    deadline = time.monotonic() + 60
    while (job.view().snapshot is None or job.view().snapshot.step < 10) and time.monotonic() < deadline:
        time.sleep(0.1)
    job.stop()
    job.join(60)
    stopped_at = store.load_run(run_id).summary.steps
    job_registry.clear()  # the app restarted: no job in memory, only the run folder

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["run"] = run_id
    at.run()
    assert "status **stopped**" in " ".join(m.value for m in at.markdown)
    [b for b in at.button if b.label == "Resume"][0].click()
    at.run()
    assert not at.exception and not at.error
    resumed = job_registry().get(run_id)
    assert resumed is not None
    deadline = time.monotonic() + 60
    while (resumed.view().snapshot is None or resumed.view().snapshot.step <= stopped_at) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert resumed.view().snapshot.step > stopped_at


def test_damaged_run_folder_shows_one_line(runs_dir):
    from mechsparse.data import synthetic
    from mechsparse.learning.config import default_config
    from mechsparse.runs import store
    from mechsparse.theory import graphs

    ds = synthetic.generate(graphs.preset("teach-nested"), 100, seed=0)
    run_id = store.create_run(ds, default_config(ds, sparsity="none"), "damaged").name
    (store.run_path(run_id) / "snapshot.npz").write_bytes(b"not a zip")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and run_id in at.error[0].value


def test_default_model_size_is_the_benchmarked_one(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.selectbox(key="train_model_size").value == "small"


def test_a_refused_start_leaves_no_run_folder(runs_dir, monkeypatch):
    monkeypatch.setenv("MECHSPARSE_MAX_JOBS", "1")
    job_registry.clear()
    at = _start_tiny_run(AppTest.from_file(PAGE, default_timeout=60).run(), max_steps=1_000_000)
    assert not at.exception and not at.error
    assert len(list(runs_dir.iterdir())) == 1
    at = _start_tiny_run(at, max_steps=1_000_000)
    assert not at.exception
    assert len(at.error) == 1 and "limit 1" in at.error[0].value
    assert len(list(runs_dir.iterdir())) == 1  # the refused run wrote nothing, not even its dataset


def test_a_run_trained_elsewhere_offers_no_resume(runs_dir):
    from mechsparse.data import synthetic
    from mechsparse.learning.config import default_config
    from mechsparse.runs import store
    from mechsparse.runs.lock import RunLock
    from mechsparse.theory import graphs

    ds = synthetic.generate(graphs.preset("teach-nested"), 100, seed=0)
    folder = store.create_run(ds, default_config(ds, sparsity="none"), "elsewhere")
    store.update_summary(folder, status="running")
    with RunLock(folder):  # as if a second app or a CLI trained it
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.query_params["run"] = folder.name
        at.run()
        assert not at.exception
        assert "running elsewhere" in " ".join(m.value for m in at.markdown)
        assert not [b for b in at.button if b.label == "Resume"]
    at.run()
    assert "interrupted" in " ".join(m.value for m in at.markdown)
    assert [b for b in at.button if b.label == "Resume"]


def test_data_seed_fixes_the_generated_data_apart_from_the_training_seed(runs_dir):
    import numpy as np

    from mechsparse.data import dataset, synthetic
    from mechsparse.runs import store
    from mechsparse.theory import graphs

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.number_input(key="train_data_seed").set_value(5)
    at.number_input(key="train_seed").set_value(2)
    at = _start_tiny_run(at)
    assert not at.exception and not at.error
    run_id = at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"]
    job_registry().get(run_id).join(120)
    folder = store.run_path(run_id)
    expected = synthetic.generate(graphs.preset("teach-nested"), 1_000, seed=5, name="teach-nested")
    assert np.array_equal(dataset.load_dataset(folder / "dataset.npz").x, expected.x)
    assert store.read_json(folder / "config.json")["config"]["seed"] == 2


def test_a_baseline_run_takes_its_own_options_and_shows_what_it_learns(runs_dir):
    """Choosing β-TCVAE swaps the sparsity settings for β; the run is saved with the method and its β, and its page
    shows the numbers a method without a graph has."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_method").set_value("tcvae").run()
    assert not at.exception
    keys = {w.key for w in at.number_input}
    assert "train_beta" in keys and "train_bound" not in keys and "train_penalty" not in keys
    assert not [r for r in at.radio if r.key == "train_sparsity"]
    at.number_input(key="train_beta").set_value(0.5)
    at = _start_tiny_run(at, max_steps=30)
    assert not at.exception and not at.error
    run_id = at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"]
    job_registry().get(run_id).join(120)
    config = json.loads((runs_dir / run_id / "config.json").read_text())["config"]
    assert config["method"] == "tcvae" and config["beta"] == 0.5 and "tcvae" in run_id

    again = AppTest.from_file(PAGE, default_timeout=60)
    again.query_params["run"] = run_id
    again.run()
    assert not again.exception
    labels = {m.label for m in again.metric}
    assert {"MCC", "R_con", "ELBO", "Method"} <= labels and not {"SHD", "Dual variable λ"} & labels
    assert any("learns no graph" in c.value for c in again.caption)


def test_a_method_that_cannot_use_the_data_is_named_and_refused(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_preset").set_value("teach-nested")
    at.selectbox(key="train_method").set_value("pcl").run()
    assert any("needs temporal data" in w.value for w in at.warning)
    at.button[0].click()
    at.run(timeout=60)
    assert any("needs temporal data" in e.value for e in at.error)
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_one_click_adds_the_floor_and_ceiling_to_a_runs_charts(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at = _start_tiny_run(at, max_steps=20)
    run_id = at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"]
    job_registry().get(run_id).join(120)

    page = AppTest.from_file(PAGE, default_timeout=60)
    page.query_params["run"] = run_id
    page.run()
    page.button(key="add-references").click().run(timeout=60)
    assert not page.exception and not page.error
    made = {p.name for p in runs_dir.iterdir()} - {run_id}
    assert {name.split("-")[-3] for name in made} == {"supervised", "random"}
    for job in job_registry().jobs():
        job.join(180)

    again = AppTest.from_file(PAGE, default_timeout=60)
    again.query_params["run"] = run_id
    again.run()
    assert any("Floor and ceiling on this data" in c.value for c in again.caption)
    assert not [b for b in again.button if b.key == "add-references"]


def _finished_run(name: str) -> str:
    """A short run trained here, to completion, in the test's runs folder."""
    from mechsparse.data import synthetic
    from mechsparse.learning.config import default_config
    from mechsparse.runs import runner, store
    from mechsparse.theory import graphs

    ds = synthetic.generate(graphs.preset("teach-nested"), 600, seed=0, name="teach-nested")
    cfg = default_config(ds, max_steps=20, batch_size=64, eval_every=10, eval_samples=200, device="cpu")
    folder = store.create_run(ds, cfg, name)
    runner.train_run(folder)
    return folder.name


def test_class_mode_shows_the_runs_panels_and_nothing_to_press(runs_dir, monkeypatch):
    from mechsparse.runs import export

    rendered = []
    monkeypatch.setattr(export, "render_image", lambda fig, fmt: rendered.append(fmt) or b"")
    run_id = _finished_run("class")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["run"] = run_id
    at.query_params["mode"] = "class"
    at.run()
    assert not at.exception and not at.error
    assert run_id in " ".join(m.value for m in at.markdown)
    charts = {c.key for c in at.get("plotly_chart")}
    assert charts == {"big-graphs", "big-entanglement", "big-corr", "big-curves"}
    sizes = [json.loads(c.proto.spec)["layout"]["font"]["size"] for c in at.get("plotly_chart")]
    assert all(size > 15 for size in sizes)  # projector-sized (the presentation panels use 15)
    assert {"MCC", "R_con", "SHD"} <= {m.label for m in at.metric}
    assert not at.button and not at.get("button_group") and not at.selectbox and not at.number_input
    assert not at.expander  # no New run form
    assert [d.proto.label for d in at.get("download_button")] == ["PNG", "SVG"] * 4
    assert not rendered  # nothing is rendered until a download is clicked


def test_class_mode_without_a_run_says_which_link_to_use(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["mode"] = "class"
    at.run()
    assert not at.exception and not at.expander and not at.button
    assert len(at.info) == 1 and "/train?run=<run id>&mode=class" in at.info[0].value


def test_number_inputs_offer_what_the_parameter_rules_allow(runs_dir):
    """Every number input for a TrainConfig field (whichever method shows it) takes its range from PARAM_RULES and
    its default from TrainConfig; the data seed takes the training seed's range (the generator's)."""
    from mechsparse.learning.config import PARAM_RULES, TrainConfig

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    inputs = {}
    for method in ("sparse", "tcvae", "slowvae"):
        at.selectbox(key="train_method").set_value(method).run()
        assert not at.exception
        inputs |= {w.key: (w.min, w.max, w.value) for w in at.number_input}
    fields = {f"train_{name}": name for name in PARAM_RULES} | {"train_data_seed": "seed"}
    checked = {key: fields[key] for key in inputs if key in fields}
    assert set(checked.values()) == {
        "seed",
        "dz",
        "bound",
        "penalty",
        "max_seconds",
        "max_steps",
        "beta",
        "gamma",
        "rate",
    }
    defaults = TrainConfig()
    for key, name in checked.items():
        low, high, value = inputs[key]
        rule = PARAM_RULES[name]
        assert high == rule.high, key
        assert rule.low < low <= rule.low + 1 if rule.above else low == rule.low, key
        assert value is None or key == "train_data_seed" or value == getattr(defaults, name), key
