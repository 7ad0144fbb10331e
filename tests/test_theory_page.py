"""AppTest for the Theory page (run through app.py, as a user opens it)."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mechsparse.figures.curves import training_curves
from mechsparse.figures.graph_drawings import graph_heatmap, node_link_figure, pattern_figure
from mechsparse.figures.style import PLOTLY_FONT_SIZE, projector
from mechsparse.runs import export
from mechsparse.theory import graphs, identifiability

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


def open_panel(at: AppTest, name: str = "Edit Ga / Gz") -> AppTest:
    """Choose a panel of controls ("Preset", "Random graph", "Edit Ga / Gz"), as a click on it does."""
    at.session_state["theory_panel"] = name
    return at.run()


def test_opens_on_default_preset() -> None:
    at = open_app()
    assert not at.exception
    assert not at.error
    default = graphs.preset(graphs.DEFAULT_PRESET)
    assert at.session_state["graphs"] == default
    assert at.query_params["g"] == graphs.encode(default)
    assert "complete disentanglement" in verdict(at)
    assert len(at.get("plotly_chart")) == 3  # Ga, C, node-link drawing


def test_only_the_chosen_panel_is_drawn() -> None:
    """The editors' table component is the page's heaviest download: a first visit must not need it."""
    at = open_app(graphs.encode(graphs.preset("teach-combined")))
    assert not at.dataframe and not at.number_input and len(at.selectbox) == 1
    assert not at.exception and "complete disentanglement" in verdict(at)
    open_panel(at)
    assert not at.exception
    assert len(at.dataframe) == 2  # Ga and Gz
    assert at.session_state["graphs"] == graphs.preset("teach-combined")  # opening the panel edits nothing
    open_panel(at, "Random graph")
    at.number_input(key="theory_rand_seed").set_value(5).run()
    open_panel(at, "Preset")
    open_panel(at, "Random graph")
    assert at.number_input(key="theory_rand_seed").value == 5  # hidden panels keep their settings


def test_preset_switch_changes_verdict_and_url() -> None:
    at = open_app()
    at.selectbox(key="theory_preset").set_value("teach-twins").run()
    assert not at.exception
    assert at.session_state["graphs"] == graphs.preset("teach-twins")
    assert "partial: no latent identified; {z1, z2} twins; {z3, z4} twins" in verdict(at)
    assert at.query_params["g"] == graphs.encode(graphs.preset("teach-twins"))
    assert any(
        "z1 is not identified: twin of z2, as both have exactly action parent a1." in m.value for m in at.markdown
    )


def test_edit_dimensions_and_cells() -> None:
    at = open_app(graphs.encode(graphs.preset("teach-complete")))
    assert "complete disentanglement" in verdict(at)
    open_panel(at)
    at.number_input(key="theory_dz").set_value(4).run()  # a new latent with no action parent
    assert "partial: z1–z3 identified; z4 may mix with ẑ1–ẑ3" in verdict(at)
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
    open_panel(at)
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
    at = open_panel(open_app("a10.01"))
    w = at.number_input(key=widget) if widget == "theory_dz" else at.toggle(key=widget)
    w.set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value and "\n" not in at.error[0].value
    assert at.query_params["g"] == "a10.01"  # the last valid graph stays


def test_switching_a_graph_off_and_on_keeps_the_edited_graph() -> None:
    """Switching "use Gz" off and on used to replace teach-combined's Gz by the identity."""
    at = open_app()
    at.selectbox(key="theory_preset").set_value("teach-combined").run()
    taught = graphs.preset("teach-combined")
    open_panel(at)
    at.toggle(key="theory_use_gz").set_value(False).run()
    assert at.session_state["graphs"].gz is None
    at.toggle(key="theory_use_gz").set_value(True).run()
    assert not at.exception
    assert at.session_state["graphs"] == taught
    assert at.query_params["g"] == graphs.encode(taught)
    assert "complete disentanglement" in verdict(at)
    assert any("Showing preset **teach-combined**" in m.value for m in at.markdown)
    # the same for Ga, and a Gz switched off while dz changes comes back resized
    at.toggle(key="theory_use_ga").set_value(False).run()
    at.toggle(key="theory_use_ga").set_value(True).run()
    assert at.session_state["graphs"] == taught
    at.toggle(key="theory_use_gz").set_value(False).run()
    at.number_input(key="theory_dz").set_value(3).run()
    at.toggle(key="theory_use_gz").set_value(True).run()
    assert at.session_state["graphs"].gz.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]


def test_url_opens_exactly_that_graph() -> None:
    spec = graphs.preset("teach-combined")
    at = open_app(graphs.encode(spec))
    assert at.session_state["graphs"] == spec
    assert "complete disentanglement" in verdict(at)
    assert any(f"?g={graphs.encode(spec)})" in m.value for m in at.markdown)  # the share link


def test_bad_url_falls_back_to_default_with_one_line_error() -> None:
    at = open_app("a12~zzz")
    assert not at.exception
    assert len(at.error) == 1 and "cannot open the graph in this link" in at.error[0].value
    assert "\n" not in at.error[0].value
    assert at.session_state["graphs"] == graphs.preset(graphs.DEFAULT_PRESET)


def test_random_graph_controls() -> None:
    at = open_panel(open_app(), "Random graph")
    at.number_input(key="theory_rand_seed").set_value(7).run()
    expected = graphs.random_graph(4, 3, density=0.4, temporal=True, seed=7)
    assert at.session_state["graphs"] == expected
    at.number_input(key="theory_rand_da").set_value(0).run()
    at.toggle(key="theory_rand_temporal").set_value(False).run()
    assert len(at.error) == 1 and "needs actions" in at.error[0].value
    assert at.session_state["graphs"].dz == 4  # the last valid graph stays


def test_the_verdict_comes_with_what_identified_assumes() -> None:
    """ "Identified" is a theorem with conditions: every condition is listed in an expander right under the verdict."""
    at = open_app(graphs.encode(graphs.preset("teach-nested")))
    labels = [e.label for e in at.expander]
    assert labels[0] == "What 'identified' assumes"
    text = " ".join(m.value for m in at.expander[0].markdown).replace("\\_", "_")
    for condition in identifiability.IDENTIFIED_CONDITIONS:
        assert condition in text
    assert identifiability.IDENTIFIED_MEANING in text
    assert labels[1] == "How to read this"
    assert "twins may be mixed, not that they will be" in at.expander[1].markdown[0].value


def _class_mode(g: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if g is not None:
        at.query_params["g"] = g
    at.query_params["mode"] = "class"
    return at.run()


def test_class_mode_shows_the_verdict_and_projector_figures_without_controls(monkeypatch) -> None:
    rendered = []
    monkeypatch.setattr(export, "render_image", lambda fig, fmt: rendered.append(fmt) or b"")
    spec = graphs.preset("teach-nested")
    at = _class_mode(graphs.encode(spec))
    assert not at.exception and not at.error
    assert not at.selectbox and not at.number_input and not at.get("button_group") and not at.dataframe
    assert not at.button and not at.toggle and not at.slider
    assert "partial: z2 identified; z1 may mix with ẑ2" in verdict(at)
    assert [e.label for e in at.expander][0] == "What 'identified' assumes"
    assert any("z1 is not identified" in m.value for m in at.markdown)
    assert not any("Share this exact graph" in m.value for m in at.markdown)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # Ga, C, drawing
    sizes = [json.loads(c.proto.spec)["layout"]["font"]["size"] for c in charts]
    assert all(size > PLOTLY_FONT_SIZE for size in sizes)  # projector-sized
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["PNG", "SVG"] * 3
    assert not rendered  # images are rendered on click only
    assert at.query_params["mode"] == "class" and at.query_params["g"] == graphs.encode(spec)
    assert any(h.proto.body.startswith("<style>") for h in at.get("html"))  # the sidebar is hidden, fonts enlarged


def test_class_mode_without_a_link_shows_the_default_preset_and_writes_its_link() -> None:
    at = _class_mode()
    assert not at.exception
    default = graphs.preset(graphs.DEFAULT_PRESET)
    assert at.session_state["graphs"] == default
    assert at.query_params["g"] == graphs.encode(default) and at.query_params["mode"] == "class"
    assert "complete disentanglement" in verdict(at)


def test_class_mode_follows_the_link_within_a_session() -> None:
    """A lesson that links to another graph in class mode shows that graph, even after the page showed another."""
    at = _class_mode("a1.1")
    assert "{z1, z2} twins" in verdict(at)
    at.query_params["g"] = graphs.encode(graphs.preset("teach-complete"))
    at.run()
    assert "complete disentanglement" in verdict(at)


def test_normal_mode_has_no_style_and_no_downloads() -> None:
    at = open_app()
    assert not at.get("html") and not at.get("download_button")


def test_graph_survives_a_visit_to_another_page() -> None:
    at = open_app("a1.1")
    at.switch_page("views/data.py").run()
    at.switch_page("views/theory.py").run()
    assert not at.exception
    assert at.session_state["graphs"] == graphs.decode("a1.1")


# ---------------------------------------------------------------- the node-link drawing


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Distance from point p to the segment a-b."""
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)
    return float(np.linalg.norm(p - (a + t * ab)))


def _drawing(fig) -> tuple[dict[str, tuple[np.ndarray, float]], list[tuple[np.ndarray, np.ndarray, dict]]]:
    """Nodes (label -> pixel centre, radius) and edges (pixel start, pixel end, arrowhead) read off the figure, in
    the pixels of its own fixed size (the margins may not grow, so the plot area is exactly known)."""
    lay = fig.layout
    assert lay.margin.autoexpand is False
    w, h = lay.width - lay.margin.l - lay.margin.r, lay.height - lay.margin.t - lay.margin.b
    (x0, x1), (y0, y1) = lay.xaxis.range, lay.yaxis.range

    def px(x: float, y: float) -> np.ndarray:
        return np.array([(x - x0) / (x1 - x0) * w, (y1 - y) / (y1 - y0) * h])

    nodes, edges = {}, []
    for tr in fig.data:
        if tr.mode == "markers+text":
            nodes.update(
                {label: (px(x, y), tr.marker.size / 2) for label, x, y in zip(tr.text, tr.x, tr.y, strict=True)}
            )
        elif tr.mode == "lines+markers":
            m = tr.marker
            for k in range(0, len(tr.x), 3):
                assert tr.x[k + 2] is None and tr.y[k + 2] is None  # one segment per edge
                head = {"size": m.size[k + 1], "start_size": m.size[k], "symbol": m.symbol, "angleref": m.angleref}
                head["standoff"] = m.standoff
                edges.append((px(tr.x[k], tr.y[k]), px(tr.x[k + 1], tr.y[k + 1]), head))
    return nodes, edges


def test_segment_distance_sees_a_node_on_the_line() -> None:
    a, b = np.array([0.0, 0.0]), np.array([100.0, 0.0])
    assert _segment_distance(np.array([50.0, 3.0]), a, b) == 3.0
    assert _segment_distance(np.array([130.0, 40.0]), a, b) == 50.0


CASES = [
    (dz, da, density, seed)
    for dz, da in [(2, 1), (5, 3), (12, 7), (20, 20), (3, 20), (20, 2)]
    for density, seed in [(0.3, 0), (0.6, 1), (1.0, 2)]
]


@pytest.mark.parametrize("dz,da,density,seed", CASES)
def test_no_edge_passes_through_a_node_and_every_edge_has_an_arrowhead(dz, da, density, seed) -> None:
    """Both graphs at once: the action edges once ran straight through the z_t-1 nodes (a1 -> z1 read as a1 -> z1')."""
    spec = graphs.random_graph(dz, da, density=density, temporal=True, seed=seed)
    nodes, edges = _drawing(node_link_figure(spec.ga, spec.gz))
    at = {tuple(np.round(c, 6)): label for label, (c, _) in nodes.items()}
    drawn = set()
    for start, end, head in edges:
        source, target = at[tuple(np.round(start, 6))], at[tuple(np.round(end, 6))]  # edges run centre to centre
        drawn.add((source, target))
        radius = nodes[target][1]
        assert head["symbol"] == "arrow" and head["angleref"] == "previous" and head["size"] >= 8
        assert head["start_size"] == 0 and head["standoff"] == radius  # the tip stops at the target's border
        for label, (centre, r) in nodes.items():
            if label not in (source, target):
                assert _segment_distance(centre, start, end) > r + 1, f"{source} -> {target} grazes {label}"
    expected = {(f"a{ell + 1}", f"z{i + 1}") for i, ell in zip(*np.nonzero(spec.ga), strict=True)}
    expected |= {(f"z{j + 1}'", f"z{i + 1}") for i, j in zip(*np.nonzero(spec.gz), strict=True)}
    assert drawn == expected and len(edges) == spec.n_edges
    headers = " ".join(a.text for a in node_link_figure(spec.ga, spec.gz).layout.annotations)
    assert "actions" in headers and "past" in headers


@pytest.mark.parametrize("name", ["teach-combined", "action-nondiag", "time-nondiag"])
def test_drawing_of_presets_names_its_edge_kinds(name: str) -> None:
    spec = graphs.preset(name)
    fig = node_link_figure(spec.ga, spec.gz)
    legend = {tr.name for tr in fig.data if tr.mode == "lines+markers"}
    assert legend == {
        n
        for n, g in (("Ga: a<sub>t</sub> → z<sub>t</sub>", spec.ga), ("Gz: z<sub>t-1</sub> → z<sub>t</sub>", spec.gz))
        if g is not None
    }
    nodes, edges = _drawing(fig)
    assert len(edges) == spec.n_edges


# ---------------------------------------------------------------- class mode: figures for a projector


@pytest.mark.parametrize("name", ["teach-combined", "action-nondiag"])
def test_projector_scales_fonts_and_height_and_leaves_its_input_alone(name: str) -> None:
    spec = graphs.preset(name)
    report = identifiability.analyse(spec.ga, spec.gz)
    for fig in (pattern_figure(report.pattern, report.twins), graph_heatmap(spec.ga, "a")):
        before = json.loads(fig.to_json())
        big = projector(fig, scale=1.5)
        assert json.loads(fig.to_json()) == before  # a copy: the cached original is shared
        assert big.layout.title.font.size == round(fig.layout.title.font.size * 1.5)
        assert big.layout.font.size == round(PLOTLY_FONT_SIZE * 1.5)
        assert big.layout.xaxis.title.font.size > PLOTLY_FONT_SIZE
        assert big.layout.yaxis.tickfont.size > (fig.layout.yaxis.tickfont.size or PLOTLY_FONT_SIZE)
        assert big.layout.height == round(fig.layout.height * 1.5)
    curves = training_curves(None)
    big = projector(curves)
    expected = [round((a.font.size or PLOTLY_FONT_SIZE) * 1.4) for a in curves.layout.annotations]
    assert [a.font.size for a in big.layout.annotations] == expected


def test_projector_zooms_the_drawing_whole() -> None:
    """The node-link drawing has a fixed size in pixel coordinates: zoomed whole, its geometry still holds (no edge
    through a node, arrowheads at the node borders) and the larger labels stay inside the larger nodes."""
    spec = graphs.random_graph(12, 7, density=0.6, temporal=True, seed=1)
    fig = node_link_figure(spec.ga, spec.gz)
    big = projector(fig)
    assert big.layout.width == round(fig.layout.width * 1.4) and big.layout.height == round(fig.layout.height * 1.4)
    nodes, edges = _drawing(big)
    for start, end, head in edges:
        target = next(r for c, r in nodes.values() if np.allclose(c, end))
        assert head["standoff"] == pytest.approx(target)
        for centre, r in nodes.values():
            if not (np.allclose(centre, start) or np.allclose(centre, end)):
                assert _segment_distance(centre, start, end) > r + 1
    label_size = next(tr.textfont.size for tr in big.data if tr.mode == "markers+text")
    assert label_size == round(11 * 1.4) and next(r for _, r in nodes.values()) >= 1.2 * label_size
