"""Theory explorer: set ground-truth graphs, see at once what mechanism-sparsity theory says is identifiable.

State: st.session_state["graphs"] holds the GraphSpec shown (the Data and Train pages read it); the URL's ?g=
holds graphs.encode(spec), so a link opens exactly this graph. Widgets change the graph through callbacks, so
coming back from another page never overwrites it; the matrix editors are keyed by a version that bumps on every
change, so each one starts from the current graph. The last Ga and Gz shown are kept apart, so switching a graph
off and on again brings it back as it was.

Fast first render: the verdict and the reasons are drawn before any figure, and the figures are built once per
graph; the checkbox editors, whose table component is the page's heaviest download, are drawn only while their panel
is chosen; the share link is a plain link (st.code's copy button would download a syntax highlighter first).

Class mode (?mode=class, for a projector): no controls, the graph from ?g= (or the one shown last, the default
preset in a new session); the verdict, what it assumes, the reasons and projector-sized figures with downloads.
"""

import streamlit as st

from app_state import (
    GRAPHS_KEY,
    THEORY_ERROR_KEY,
    THEORY_READY_KEY,
    THEORY_VERSION_KEY,
    class_mode,
    edit_graphs,
    escape_markdown,
    figure_downloads,
    plain_markdown,
)
from mechsparse.figures.graph_drawings import graph_heatmap, node_link_figure, pattern_figure
from mechsparse.figures.style import projector
from mechsparse.theory import graphs, identifiability

ss = st.session_state
CLASS = class_mode()
PLOT_CONFIG = {"displayModeBar": False}
LAST_GA_KEY = "_theory_last_ga"  # the last Ga shown, restored when "use Ga" is switched back on
LAST_GZ_KEY = "_theory_last_gz"  # the same for Gz
PANEL_KEY = "theory_panel"  # which controls show: only that panel's widgets are drawn
PANELS = ("Preset", "Random graph", "Edit Ga / Gz")
CLASS_HEIGHT_CAP = {2: 620, 3: 460}  # px, class mode: matrices in two or three columns of a ~1500 px page
RANDOM_DEFAULTS = {"theory_rand_dz": 4, "theory_rand_da": 3, "theory_rand_density": 0.4, "theory_rand_temporal": True}


def _set_spec(spec: graphs.GraphSpec, *, sync_widgets: bool = True) -> None:
    """Make spec the current graph; sync the editing widgets unless they are already drawn this run."""
    ss[GRAPHS_KEY] = spec
    if spec.ga is not None:
        ss[LAST_GA_KEY] = spec.ga
    if spec.gz is not None:
        ss[LAST_GZ_KEY] = spec.gz
    ss[THEORY_ERROR_KEY] = None
    ss[THEORY_VERSION_KEY] = ss.get(THEORY_VERSION_KEY, 0) + 1
    if sync_widgets:
        ss["theory_dz"] = spec.dz
        if spec.ga is not None:
            ss["theory_da"] = spec.da
        ss["theory_use_ga"] = spec.ga is not None
        ss["theory_use_gz"] = spec.gz is not None
        name = next((n for n in graphs.PRESETS if graphs.preset(n) == spec), None)
        if name is not None:
            ss["theory_preset"] = name


def _try(build) -> None:
    """Apply build() as the new graph, or keep the old one and remember the one-line reason it failed."""
    try:
        spec = build()
    except ValueError as exc:
        ss[THEORY_ERROR_KEY] = str(exc)
        return
    _set_spec(spec)


def _on_preset() -> None:
    _try(lambda: graphs.preset(ss["theory_preset"]))


def _on_random() -> None:
    _try(
        lambda: graphs.random_graph(
            int(ss["theory_rand_dz"]),
            int(ss["theory_rand_da"]),
            density=float(ss["theory_rand_density"]),
            temporal=bool(ss["theory_rand_temporal"]),
            seed=int(ss["theory_rand_seed"]),
        )
    )


def _on_resize() -> None:
    _try(
        lambda: graphs.resize(
            ss[GRAPHS_KEY],
            int(ss["theory_dz"]),
            int(ss["theory_da"]),
            use_ga=bool(ss["theory_use_ga"]),
            use_gz=bool(ss["theory_use_gz"]),
            last_ga=ss.get(LAST_GA_KEY),
            last_gz=ss.get(LAST_GZ_KEY),
        )
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _figures(code: str) -> dict:
    """The page's figures for one graph (keyed by its link code), built once per server: a second visit, another
    browser or a rerun with the same graph only sends them. Shared read-only: st.plotly_chart does not modify them."""
    spec = graphs.decode(code)
    report = identifiability.analyse(spec.ga, spec.gz)
    h = int(min(max(60 + 28 * max(spec.dz, spec.da), 260), 400))  # a third of the page wide: no taller than that
    figs = {kind: graph_heatmap(g, kind, height=h) for kind, g in (("a", spec.ga), ("z", spec.gz)) if g is not None}
    figs["C"] = pattern_figure(report.pattern, report.twins, height=h)
    figs["drawing"] = node_link_figure(spec.ga, spec.gz)
    return figs


@st.cache_resource(max_entries=64, show_spinner=False)
def _class_figures(code: str) -> dict:
    """The same figures sized for a projector (class mode): larger type, and matrices as tall as their column is
    wide on a ~1500 px page (two or three columns), so the square plots fill it."""
    figs = {kind: projector(fig) for kind, fig in _figures(code).items()}
    spec = graphs.decode(code)
    matrices = [kind for kind in ("a", "z", "C") if kind in figs]
    height = min(CLASS_HEIGHT_CAP[len(matrices)], 300 + 30 * max(spec.dz, spec.da))
    for kind in matrices:
        figs[kind].update_layout(height=height)
    return figs


def _controls() -> object:
    """The left column: one panel of controls (preset, random graph, or the Ga / Gz editors). Returns the empty
    slot above them, filled with what is showing once the editors have applied this run's edits."""
    showing = st.empty()
    # A segmented control, not st.tabs: only the chosen panel is drawn, so a first visit never downloads the
    # checkbox editors' table component, and hidden widgets cannot send stale values (as widgets in stateful tabs
    # did). Panel widgets keep their values while hidden (persist_state); the Edit ones follow the graph anyway.
    panel = st.segmented_control("Set the graphs", PANELS, key=PANEL_KEY, required=True, label_visibility="collapsed")
    if panel == PANELS[0]:
        st.selectbox(
            "Preset graph",
            list(graphs.PRESETS),
            key="theory_preset",
            format_func=lambda n: f"{n}: {graphs.PRESETS[n]}",
            on_change=_on_preset,
            persist_state="page",
        )
        st.caption(plain_markdown(graphs.PRESETS[ss["theory_preset"]]))
        st.caption("The action-/time- presets are the papers' 10-latent graphs; teach- presets show one case each.")
    elif panel == PANELS[1]:
        keep = {"on_change": _on_random, "persist_state": "page"}
        c1, c2 = st.columns(2)
        c1.number_input("latents dz", 1, graphs.MAX_DIM, key="theory_rand_dz", **keep)
        c2.number_input("actions da (0: none)", 0, graphs.MAX_DIM, key="theory_rand_da", **keep)
        st.slider("edge density", 0.0, 1.0, step=0.05, key="theory_rand_density", **keep)
        c1, c2 = st.columns(2)
        c1.toggle("temporal graph Gz (keeps the diagonal)", key="theory_rand_temporal", **keep)
        c2.number_input("seed", 0, 2**31 - 1, key="theory_rand_seed", **keep)
        st.button("Draw this random graph", on_click=_on_random)
    else:
        c1, c2 = st.columns(2)
        c1.number_input("latents dz", 0, 99, key="theory_dz", on_change=_on_resize)
        c2.number_input("actions da", 0, 99, key="theory_da", on_change=_on_resize)
        c1.toggle("use Ga (a → z)", key="theory_use_ga", on_change=_on_resize)
        c2.toggle("use Gz (z_t-1 → z_t)", key="theory_use_gz", on_change=_on_resize)
        spec = ss[GRAPHS_KEY]
        ver = ss[THEORY_VERSION_KEY]
        edited = edit_graphs(spec, f"theory_g{{kind}}_{ver}")
        if edited != spec:
            _set_spec(edited, sync_widgets=False)
    return showing


# ---------------------------------------------------------------- state: the link opens its graph

link = st.query_params.get("g")
# A new session reads the link once; in class mode the link always rules, so a lesson's link opens its graph even
# in a session that showed another.
if not ss.get(THEORY_READY_KEY) or (CLASS and link and link != graphs.encode(ss[GRAPHS_KEY])):
    ss[THEORY_READY_KEY] = True
    url_error = None
    start = ss.get(GRAPHS_KEY) or graphs.preset(graphs.DEFAULT_PRESET)
    if link:
        try:
            start = graphs.decode(link)
        except ValueError as exc:
            url_error = f"cannot open the graph in this link ({exc}); showing the default preset instead"
            start = graphs.preset(graphs.DEFAULT_PRESET)
    _set_spec(start)
    ss[THEORY_ERROR_KEY] = url_error

ss.setdefault(THEORY_VERSION_KEY, 0)
ss.setdefault(THEORY_ERROR_KEY, None)
current: graphs.GraphSpec = ss[GRAPHS_KEY]
for key, value in {
    "theory_preset": graphs.DEFAULT_PRESET,
    "theory_dz": current.dz,
    "theory_da": current.da or 2,
    "theory_use_ga": current.ga is not None,
    "theory_use_gz": current.gz is not None,
    **RANDOM_DEFAULTS,
    "theory_rand_seed": 0,
    PANEL_KEY: PANELS[0],
}.items():
    if key not in ss:  # widget state is dropped while another page shows; restore it from the graph
        ss[key] = value

# ---------------------------------------------------------------- page

st.title("Theory explorer")
if CLASS:
    showing, right = st.empty(), st.container()
else:
    st.caption(
        "Set the ground-truth graphs (rows = child latents) and see which latents mechanism sparsity can identify: "
        "the consistency pattern C bounds which learned latents each true latent may mix with (Lachapelle et al., "
        "2024)."
    )
    left, right = st.columns([5, 7], gap="large")
    with left:
        showing = _controls()

spec: graphs.GraphSpec = ss[GRAPHS_KEY]
shown_name = next((n for n in graphs.PRESETS if graphs.preset(n) == spec), None)
if shown_name and CLASS:
    showing.markdown(plain_markdown(f"Preset **{shown_name}**: {graphs.PRESETS[shown_name]}"))
else:
    showing.markdown(
        f"Showing preset **{shown_name}**"
        if shown_name
        else f"Showing a custom graph ({spec.dz} latents, {spec.da} actions, {spec.n_edges} edges)"
    )
report = identifiability.analyse(spec.ga, spec.gz)
code = graphs.encode(spec)
if st.query_params.get("g") != code:
    st.query_params["g"] = code  # an item set: ?mode=class and the rest of the link stay

with right:
    if ss[THEORY_ERROR_KEY]:
        st.error(escape_markdown(ss[THEORY_ERROR_KEY]))
    if report.complete:
        st.success("### Verdict: complete disentanglement\nEvery latent is identified (C is the identity).")
    else:
        st.warning(f"### Verdict: {plain_markdown(report.verdict)}")
    with st.expander("What 'identified' assumes"):
        st.markdown(identifiability.conditions_markdown())
    st.markdown("**Why, latent by latent**")
    st.markdown("\n".join(f"- {plain_markdown(r)}" for r in report.reasons))
    with st.expander("How to read this"):
        st.markdown(identifiability.reading_markdown())
    if not CLASS:
        m = st.columns(4)
        m[0].metric("latents dz", spec.dz)
        m[1].metric("actions da", spec.da if spec.ga is not None else "–")
        m[2].metric("edges", spec.n_edges)
        m[3].metric("identified", f"{len(report.identified)} / {spec.dz}")
        base = (st.context.url or "").rstrip("/")
        if base and not base.endswith("/theory"):
            base += "/theory"
        st.markdown(  # a plain link: st.code's copy button would cost a 1.5 MB download before the figures
            f"Share this exact graph: [link to this graph]({base}?g={code}) (right-click to copy it); the address "
            "bar always holds it too."
        )

figs = _class_figures(code) if CLASS else _figures(code)
stem = shown_name or "graph"
file_names = {"a": "Ga", "z": "Gz", "C": "pattern-C", "drawing": "drawing"}
panels = [kind for kind in ("a", "z", "C") if kind in figs]
for col, kind in zip(st.columns(len(panels) if CLASS else 3, gap="medium"), panels, strict=False):
    col.plotly_chart(figs[kind], config=PLOT_CONFIG)
    if CLASS:
        with col:
            figure_downloads(figs[kind], f"{stem}-{file_names[kind]}", key=f"theory-dl-{kind}")
sources = [
    s
    for s, g in (("its past z_t-1 (left, blue)", spec.gz), ("the actions a_t (right, orange)", spec.ga))
    if g is not None
]
st.markdown(plain_markdown("**The graphs as a drawing**: arrows into z_t, from " + " and from ".join(sources)))
st.plotly_chart(figs["drawing"], config=PLOT_CONFIG, width="content")
if CLASS:
    figure_downloads(figs["drawing"], f"{stem}-{file_names['drawing']}", key="theory-dl-drawing")
