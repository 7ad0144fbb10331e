"""Not a page: the Lessons page's building blocks above its replay and exercise (views/lessons.py imports them).

How a lesson figure is shown, the page's link, the recordings read once per version of their files, and "Try it":
each chapter's interactive figure with its graph controls and the theory's verdict. Widgets and layout only; what
they show is decided in mechsparse.teaching (lesson_figures draws, lesson_view chooses and words). This module is
imported once per process, so nothing is read at import time: class mode is asked on every call.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app_state import class_mode, edit_graphs, escape_markdown, figure_downloads, plain_markdown
from mechsparse.figures.graph_drawings import graph_heatmap, pattern_figure
from mechsparse.figures.replay import replay_figure
from mechsparse.figures.style import projector
from mechsparse.teaching import lesson_figures, lesson_view, lessons, recordings
from mechsparse.theory import graphs, identifiability

ss = st.session_state
PLOT_CONFIG = {"displayModeBar": False}
GRAPHS_KEY = "_lesson_graphs"  # the graphs of the chapters' figures: a FigureGraphs


def show(fig: go.Figure, key: str, name: str) -> None:
    """A lesson figure: projector-sized in class mode; PNG and SVG downloads under it for slides."""
    st.plotly_chart(projector(fig) if class_mode() else fig, key=key, config=PLOT_CONFIG)
    figure_downloads(fig, name, key=f"dl-{key}")


def bullets(lines: list[str]) -> str:
    """Our own lines (reasons) as a Markdown list."""
    return "\n".join(f"- {plain_markdown(line)}" for line in lines)


@st.cache_resource(max_entries=32, show_spinner=False)
def _recording(folder: str, name: str, stamp: float) -> recordings.Recording | None:
    """A recording read once per version of its files (stamp: record.json's mtime); shared, read-only."""
    return recordings.load_recording(name, folder)


def _stamp(name: str) -> tuple[str, str, float]:
    """Where recording ``name`` lives and the version of its files: the cache key of what is built from it."""
    return str(lessons.RECORDED_DIR), name, recordings.files_version(name, lessons.RECORDED_DIR)


def recording(name: str) -> recordings.Recording | None:
    """Recording ``name`` (None: not recorded; ValueError: damaged), read once per version of its files."""
    return _recording(*_stamp(name))


@st.cache_resource(max_entries=32, show_spinner=False)
def _replay(key: tuple[str, str, float], metric: str) -> go.Figure:
    rec = _recording(*key)
    return replay_figure(rec.timeline, rec.truth, metric=metric, height=640)


def replay(name: str, metric: str) -> go.Figure:
    """The replay of recording ``name`` drawing ``metric``, built once per version of its files; shared, read-only."""
    return _replay(_stamp(name), metric)


def set_link(**values: object) -> None:
    """Change this page's link: None removes a parameter; mode=class stays as it is."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


# ---------------------------------------------------------------- the chapter's graph (graph and parts figures)


def _figure_graphs() -> lesson_view.FigureGraphs:
    return ss.setdefault(GRAPHS_KEY, lesson_view.FigureGraphs())


def _chapter_graph(ch: lessons.Chapter) -> graphs.GraphSpec:
    """The graph the figure shows: this session's choice, else the link's ?g=, else the chapter's first preset."""
    spec, error = _figure_graphs().graph_for(ch, st.query_params.get("g"))
    if error:
        st.error(escape_markdown(error))
    return spec


def _preset_picker(ch: lessons.Chapter, spec: graphs.GraphSpec) -> None:
    """One of the chapter's presets (or '(edited graph)'); picking another preset shows it."""
    options, index = lesson_view.preset_choices(ch, spec)
    choice = st.selectbox(
        "Graph",
        options,
        index=index,
        format_func=lesson_view.preset_label,
        key=f"lesson_preset_{ch.number}_{_figure_graphs().version}",
    )
    picked = lesson_view.picked_preset(choice, spec)
    if picked is not None:
        _figure_graphs().put(ch, picked)
        st.rerun()


def _graph_toggles(ch: lessons.Chapter, spec: graphs.GraphSpec) -> None:
    """Switch Ga and Gz on and off (chapters on both graphs)."""
    c1, c2 = st.columns(2)
    use_a = c1.toggle("use Ga (actions)", value=spec.ga is not None, key=f"lesson_use_a_{ch.number}")
    use_z = c2.toggle("use Gz (time)", value=spec.gz is not None, key=f"lesson_use_z_{ch.number}")
    if not (use_a or use_z):
        st.warning("At least one graph is needed; showing both.")
        use_a = use_z = True
    wanted = lesson_view.graphs_in_use(ch, spec, use_a, use_z)
    if wanted != spec:
        _figure_graphs().put(ch, wanted)
        st.rerun()


def graph_controls(ch: lessons.Chapter) -> graphs.GraphSpec:
    """Pick one of the chapter's presets, or edit the graph; returns the graph to show (and puts it in the link)."""
    spec = _chapter_graph(ch)
    if not class_mode():
        _preset_picker(ch, spec)
        if ch.graph_kind == "both":
            _graph_toggles(ch, spec)
        with st.expander("Edit the graph"):
            edited = edit_graphs(spec, f"lesson_g{{kind}}_{ch.number}_{_figure_graphs().version}")
            if edited != spec:
                _figure_graphs().edit(ch, edited)
                spec = edited
    set_link(g=graphs.encode(spec))
    return spec


def verdict(report: identifiability.TheoryReport) -> None:
    """The theory's verdict, its conditions and the reasons, latent by latent."""
    if report.complete:
        st.success("**Complete disentanglement**: every latent is identified (C is the identity).")
    else:
        st.warning(f"**{plain_markdown(lesson_view.verdict_headline(report))}**")
    with st.expander("What 'identified' assumes"):
        st.markdown(identifiability.conditions_markdown())
    st.markdown(bullets(report.reasons))


def figure_graph(ch: lessons.Chapter) -> None:
    spec = graph_controls(ch)
    report = identifiability.analyse(spec.ga, spec.gz)
    left, right = st.columns([7, 5], gap="large")
    with left:
        h = lesson_view.heatmap_height(spec, 300, 440)
        panels = [graph_heatmap(g, k, height=h) for k, g in (("a", spec.ga), ("z", spec.gz)) if g is not None]
        panels.append(pattern_figure(report.pattern, report.twins, height=h))
        for col, fig, name in zip(st.columns(len(panels)), panels, ("graph", "graph-2", "pattern"), strict=False):
            with col:
                show(fig, f"fig-{ch.number}-{name}", f"lesson{ch.number}-{name}")
    with right:
        verdict(report)


def figure_parts(ch: lessons.Chapter) -> None:
    spec = graph_controls(ch)
    show(
        lesson_figures.pattern_parts_figure(lesson_figures.pattern_parts(spec)),
        f"fig-{ch.number}-parts",
        f"lesson{ch.number}-parts-of-C",
    )
    left, right = st.columns([5, 7], gap="large")
    with left:
        latent = 0
        if not class_mode():
            latent = st.selectbox(
                "Look at one latent",
                range(spec.dz),
                format_func=lambda i: f"z{i + 1}",
                key=f"lesson_focus_{ch.number}",
            )
        st.markdown(f"**z{latent + 1}**")
        st.markdown(bullets(lesson_figures.family_text(spec, latent)))
    with right:
        verdict(identifiability.analyse(spec.ga, spec.gz))


def figure_ambiguity(ch: lessons.Chapter) -> None:
    permute, warp, mix = True, True, 0.0
    if not class_mode():
        c1, c2, c3 = st.columns([2, 2, 3])
        permute = c1.toggle("Permute the learned latents", value=True, key="lesson_amb_permute")
        warp = c2.toggle("Element-wise invertible maps", value=True, key="lesson_amb_warp")
        mix = c3.slider("Mix z1 and z2 by an angle (degrees)", 0, 90, 0, step=5, key="lesson_amb_mix")
    example = lesson_figures.ambiguity_example(permute=permute, warp=warp, mix_degrees=mix)
    m = st.columns(3)
    m[0].metric("MCC (Pearson)", f"{example.mcc:.3f}")
    m[1].metric("MCC (Spearman, rank)", f"{example.mcc_spearman:.3f}")
    m[2].metric("identified latents", lesson_view.identified_under_mixing(mix))
    show(lesson_figures.ambiguity_figure(example), f"fig-{ch.number}-ambiguity", f"lesson{ch.number}-ambiguity")
    st.caption(lesson_view.CAPTIONS["ambiguity"])


def figure_influence(ch: lessons.Chapter) -> None:
    latent = 0
    if not class_mode():
        latent = st.selectbox(
            "Latent",
            range(lesson_figures.INFLUENCE_GRAPH.shape[0]),
            format_func=lambda i: f"z{i + 1}",
            key="lesson_influence_latent",
        )
    show(lesson_figures.influence_figure(latent), f"fig-{ch.number}-influence", f"lesson{ch.number}-influence")
    st.caption(lesson_view.CAPTIONS["influence"])


def figure_twins(ch: lessons.Chapter) -> None:
    pair, angle = "twins z1 and z2", 30.0
    if not class_mode():
        c1, c2 = st.columns([2, 3])
        pair = c1.radio("Rotate", list(lesson_figures.TWIN_PAIRS), key="lesson_twin_pair")
        angle = c2.slider("Mixing angle (degrees)", 0, 90, 30, step=5, key="lesson_twin_angle")
    left, right = st.columns([3, 2], gap="large")
    with left:
        show(lesson_figures.twin_mixing_figure(pair, angle), f"fig-{ch.number}-twins", f"lesson{ch.number}-twins")
    with right:
        twins = identifiability.analyse(lesson_figures.TWIN_SPEC.ga)
        fig = pattern_figure(twins.pattern, twins.twins, height=360)
        show(fig, f"fig-{ch.number}-twins-pattern", f"lesson{ch.number}-twins-pattern")
    st.caption(lesson_view.CAPTIONS["twins"])
    if not class_mode():
        with st.expander("Explore the chapter's block graphs"):
            spec = graph_controls(ch)
            report = identifiability.analyse(spec.ga, spec.gz)
            show(pattern_figure(report.pattern, report.twins, height=400), f"fig-{ch.number}-blocks", "C")
            verdict(report)


def figure_strength(ch: lessons.Chapter) -> None:
    points, true_edges = lesson_view.strength_points([recording(name) for name in ch.replays])
    if not points or true_edges is None:
        st.info(lesson_view.NOT_RECORDED)
        return
    show(lesson_figures.strength_figure(points, true_edges), f"fig-{ch.number}-strength", f"lesson{ch.number}-strength")


FIGURES = {
    "ambiguity": figure_ambiguity,
    "graph": figure_graph,
    "parts": figure_parts,
    "influence": figure_influence,
    "twins": figure_twins,
    "strength": figure_strength,
}
