"""AppTest for the Theory page (run through app.py, as a user opens it)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mechsparse import graphs

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_app(g: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if g is not None:
        at.query_params["g"] = g
    return at.run()


def verdict(at: AppTest) -> str:
    boxes = [b.body for b in (*at.success, *at.warning) if "Verdict" in b.body]
    assert len(boxes) == 1
    return boxes[0]


def test_opens_on_default_preset() -> None:
    at = open_app()
    assert not at.exception
    assert not at.error
    default = graphs.preset(graphs.DEFAULT_PRESET)
    assert at.session_state["graphs"] == default
    assert at.query_params["g"] == graphs.encode(default)
    assert "complete disentanglement" in verdict(at)
    assert len(at.get("plotly_chart")) == 3  # Ga, C, node-link drawing


def test_preset_switch_changes_verdict_and_url() -> None:
    at = open_app()
    at.selectbox(key="theory_preset").set_value("teach-twins").run()
    assert not at.exception
    assert at.session_state["graphs"] == graphs.preset("teach-twins")
    assert "partial: no latent identified; {z1, z2} twins; {z3, z4} twins" in verdict(at)
    assert at.query_params["g"] == graphs.encode(graphs.preset("teach-twins"))
    assert any("z1 stays entangled with z2" in m.value for m in at.markdown)


def test_edit_dimensions_and_cells() -> None:
    at = open_app(graphs.encode(graphs.preset("teach-complete")))
    assert "complete disentanglement" in verdict(at)
    at.number_input(key="theory_dz").set_value(4).run()  # a new latent with no action parent
    assert "partial: z1, z2, z3 identified; z4 may mix in z1, z2, z3" in verdict(at)
    assert at.query_params["g"] == "a100.010.001.000"
    # tick a4 -> z4 in the Ga checkbox editor (AppTest seeds the editor's edit state)
    at.number_input(key="theory_da").set_value(4).run()
    ver = at.session_state["_theory_ver"]
    at.session_state[f"theory_ga_{ver}"] = {"edited_rows": {3: {"a4": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert at.query_params["g"] == "a1000.0100.0010.0001"
    assert "complete disentanglement" in verdict(at)


def test_toggle_gz_on_combines_graphs() -> None:
    at = open_app("a1.1")
    assert "{z1, z2} twins" in verdict(at)
    at.toggle(key="theory_use_gz").set_value(True).run()
    assert at.session_state["graphs"].gz is not None
    ver = at.session_state["_theory_ver"]
    at.session_state[f"theory_gz_{ver}"] = {"edited_rows": {1: {"z1'": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.query_params["g"] == "a1.1~z10.11"
    assert "complete disentanglement" in verdict(at)


@pytest.mark.parametrize(
    "widget,value,message",
    [
        ("theory_dz", 0, "dz must be between 1 and 20, got 0"),
        ("theory_use_ga", False, "at least one graph"),
    ],
)
def test_invalid_edit_shows_one_line_error(widget: str, value, message: str) -> None:
    at = open_app("a10.01")
    w = at.number_input(key=widget) if widget == "theory_dz" else at.toggle(key=widget)
    w.set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value and "\n" not in at.error[0].value
    assert at.query_params["g"] == "a10.01"  # the last valid graph stays


def test_url_opens_exactly_that_graph() -> None:
    spec = graphs.preset("teach-combined")
    at = open_app(graphs.encode(spec))
    assert at.session_state["graphs"] == spec
    assert "complete disentanglement" in verdict(at)
    assert any(f"?g={graphs.encode(spec)}" in c.value for c in at.code)


def test_bad_url_falls_back_to_default_with_one_line_error() -> None:
    at = open_app("a12~zzz")
    assert not at.exception
    assert len(at.error) == 1 and "cannot open the graph in this link" in at.error[0].value
    assert "\n" not in at.error[0].value
    assert at.session_state["graphs"] == graphs.preset(graphs.DEFAULT_PRESET)


def test_random_graph_controls() -> None:
    at = open_app()
    at.number_input(key="theory_rand_seed").set_value(7).run()
    expected = graphs.random_graph(4, 3, density=0.4, temporal=True, seed=7)
    assert at.session_state["graphs"] == expected
    at.number_input(key="theory_rand_da").set_value(0).run()
    at.toggle(key="theory_rand_temporal").set_value(False).run()
    assert len(at.error) == 1 and "needs actions" in at.error[0].value
    assert at.session_state["graphs"].dz == 4  # the last valid graph stays


def test_graph_survives_a_visit_to_another_page() -> None:
    at = open_app("a1.1")
    at.switch_page("pages/data.py").run()
    at.switch_page("pages/theory.py").run()
    assert not at.exception
    assert at.session_state["graphs"] == graphs.decode("a1.1")
