"""AppTest of the Data page: generate, preview, theory graphs, uploads (good, without z, and faulty)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mechsparse.data import dataset, synthetic
from mechsparse.theory import graphs

PAGE = str(Path(__file__).resolve().parents[1] / "views" / "data.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _upload(app: AppTest, name: str, raw: bytes) -> AppTest:
    app.file_uploader(key="data_upload").set_value((name, raw, "application/octet-stream")).run()
    assert not app.exception
    return app


def test_first_visit_invites_a_choice(at):
    assert "dataset" not in at.session_state
    assert len(at.get("plotly_chart")) == 1  # the preset's graphs, beside the choice
    assert any("Train page" in info.value for info in at.info)
    assert any("MB" in md.value for md in at.markdown)  # the upload size limit is stated


def test_generate_stores_the_dataset_and_shows_the_preview(at):
    at.button(key="data_generate").click().run()
    assert not at.exception and not at.error
    ds = at.session_state["dataset"]
    assert isinstance(ds, dataset.Dataset)
    assert ds.info["preset"] == graphs.DEFAULT_PRESET and ds.n == 10_000 and ds.info["kind"] == "action"
    assert any("Train page will use this dataset" in s.value for s in at.success)
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # the graphs to generate from; then Ga, latents vs parents, PCA view of x
    assert len(at.dataframe) == 1
    assert at.get("download_button")
    headings = " ".join(md.value for md in at.markdown)
    for title in ("True graphs", "Latents against their parents", "Observations x", "Summary statistics"):
        assert title in headings


def test_temporal_preset_with_longer_sequences_and_a_variant(at):
    at.selectbox(key="data_preset").set_value("time-block-diag").run()
    at.number_input(key="data_t").set_value(4).run()
    at.selectbox(key="data_variant").set_value("k=2").run()
    at.select_slider(key="data_n").set_value(1_000).run()
    at.button(key="data_generate").click().run()
    ds = at.session_state["dataset"]
    assert ds.x.shape == (1_000, 4, 20) and ds.info["variant"] == "k=2" and ds.info["kind"] == "temporal"


def test_interventions_with_an_observational_share(at):
    at.selectbox(key="data_kind").set_value("intervention").run()
    at.slider(key="data_obs").set_value(0.5).run()
    at.button(key="data_generate").click().run()
    ds = at.session_state["dataset"]
    assert ds.info["kind"] == "intervention" and ds.info["obs_share"] == 0.5
    assert np.isin(ds.a, (0, 1)).all()


def test_graphs_from_the_theory_page_are_offered():
    app = AppTest.from_file(PAGE, default_timeout=60)
    spec = graphs.GraphSpec(ga=np.array([[1, 0], [1, 1], [0, 1]]))
    app.session_state["graphs"] = spec
    app.run()
    app.radio(key="data_source").set_value("Graphs from the Theory page").run()
    app.select_slider(key="data_n").set_value(1_000).run()
    app.button(key="data_generate").click().run()
    ds = app.session_state["dataset"]
    assert np.array_equal(ds.ga, spec.ga) and ds.dz == 3


def test_bad_upload_shows_its_message_and_keeps_the_dataset(at):
    at.button(key="data_generate").click().run()
    before = at.session_state["dataset"]
    _upload(at, "junk.npz", b"definitely not numpy")
    assert any("junk.npz" in e.value and "not an .npz archive" in e.value for e in at.error)
    assert at.session_state["dataset"] is before


def test_a_refused_upload_says_which_dataset_stays_chosen_without_a_success_banner(at):
    at.button(key="data_generate").click().run()
    name = at.session_state["dataset"].name
    _upload(at, "junk.npz", b"definitely not numpy")
    assert len(at.error) == 1
    line = at.error[0].value.replace("\\", "")
    assert line.startswith("Upload refused: junk.npz") and "\n" not in line
    assert f"The chosen dataset stays {name} (generated)." in line
    assert not at.success  # no green "will use this dataset" right under the refusal
    assert any("still uses this dataset" in i.value and "refused upload" in i.value for i in at.info)
    at.button(key="data_generate").click().run()  # a new choice ends the notice
    assert not at.error
    assert any("Train page will use this dataset" in s.value for s in at.success)


def test_a_refused_first_upload_says_no_dataset_is_chosen(at):
    _upload(at, "junk.npz", b"definitely not numpy")
    assert len(at.error) == 1 and at.error[0].value.endswith("No dataset is chosen.")
    assert not at.success and "dataset" not in at.session_state


def test_upload_with_a_fault_names_the_array(at):
    x = np.zeros((5, 1, 3))
    x[2, 0, 1] = np.nan
    _upload(at, "nan.npz", _npz(x=x))
    assert any("'x'" in e.value and "NaN" in e.value for e in at.error)
    assert "dataset" not in at.session_state


def test_upload_declaring_a_huge_array_shows_one_error_line(at):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000, 1000), }"
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # 236 bytes declaring 8 TB of float64
        zf.writestr("x.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1"))
    _upload(at, "huge.npz", buf.getvalue())
    assert len(at.error) == 1
    assert "huge.npz" in at.error[0].value and "too large" in at.error[0].value and "\n" not in at.error[0].value
    assert "dataset" not in at.session_state


def test_upload_without_z_is_accepted_as_no_ground_truth(at):
    x = np.random.default_rng(0).standard_normal((200, 2, 4))
    _upload(at, "mine.npz", _npz(x=x, a=np.zeros((200, 2, 1))))
    assert not at.error
    ds = at.session_state["dataset"]
    assert ds.name == "mine" and not ds.has_ground_truth and ds.x.shape == (200, 2, 4)
    assert any("no ground truth" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2  # the generate tab's graphs, and only the view of x: no latents


def test_upload_round_trip_of_a_generated_file(at):
    raw = dataset.dataset_bytes(synthetic.generate(graphs.preset("teach-nested"), 300, seed=1, name="nested"))
    _upload(at, "nested.npz", raw)
    ds = at.session_state["dataset"]
    assert ds.has_ground_truth and ds.ga.shape == (2, 2)
    assert not at.warning
    assert len(at.get("plotly_chart")) == 4


def test_changing_preset_keeps_the_kind_valid(at):
    at.selectbox(key="data_preset").set_value("teach-combined").run()
    at.selectbox(key="data_kind").set_value("intervention+time").run()
    at.selectbox(key="data_preset").set_value("action-diag").run()
    assert not at.exception
    assert at.selectbox(key="data_kind").options == ["action", "intervention"]
    at.button(key="data_generate").click().run()
    assert at.session_state["dataset"].info["kind"] in ("action", "intervention")


def test_an_uploaded_file_name_is_shown_as_text_not_markdown(at):
    x = np.random.default_rng(0).standard_normal((50, 1, 4))
    _upload(at, "**big** :red[x].npz", _npz(x=x))
    assert at.session_state["dataset"].name == "**big** :red[x]"
    assert any("\\*\\*big\\*\\* \\:red\\[x\\]" in h.value for h in at.subheader)
    _upload(at, "[link](javascript:1).npz", b"junk")
    assert any("\\[link\\]\\(javascript\\:1\\)" in e.value for e in at.error)
