"""Theory explorer: set ground-truth graphs, see at once what mechanism-sparsity theory says is identifiable.

State: st.session_state["graphs"] holds the GraphSpec shown (the Data and Train pages read it); the URL's ?g=
holds graphs.encode(spec), so a link opens exactly this graph. Widgets change the graph through callbacks, so
coming back from another page never overwrites it; the matrix editors are keyed by a version that bumps on every
change, so each one starts from the current graph.
"""

import numpy as np
import pandas as pd
import streamlit as st

from app_state import (
    GRAPHS_KEY,
    THEORY_ERROR_KEY,
    THEORY_READY_KEY,
    THEORY_VERSION_KEY,
    escape_markdown,
    use_app_navigation,
)
from mechsparse import figures, graphs, theory

use_app_navigation()

ss = st.session_state
PLOT_CONFIG = {"displayModeBar": False}
RANDOM_DEFAULTS = {"theory_rand_dz": 4, "theory_rand_da": 3, "theory_rand_density": 0.4, "theory_rand_temporal": True}


def _md(text: str) -> str:
    """Plain text safe for st.markdown (z_t and friends must not turn into italics)."""
    return text.replace("_", "\\_")


def _set_spec(spec: graphs.GraphSpec, *, sync_widgets: bool = True) -> None:
    """Make spec the current graph; sync the editing widgets unless they are already drawn this run."""
    ss[GRAPHS_KEY] = spec
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
        )
    )


def _matrix_editor(g: np.ndarray, kind: str, ver: int) -> np.ndarray:
    """A checkbox matrix (rows = children) for Ga or Gz; returns the edited 0/1 matrix."""
    rows = figures.latent_labels(g.shape[0])
    cols = figures.latent_labels(g.shape[1], "a") if kind == "a" else [f"{r}'" for r in rows]
    df = pd.DataFrame(g.astype(bool), index=rows, columns=cols)
    config = {c: st.column_config.CheckboxColumn(c, width="small") for c in cols}
    out = st.data_editor(df, key=f"theory_g{kind}_{ver}", column_config=config, num_rows="fixed")
    return out.fillna(False).to_numpy(dtype=np.int8)


# ---------------------------------------------------------------- state: first visit reads the link

if not ss.get(THEORY_READY_KEY):
    ss[THEORY_READY_KEY] = True
    link = st.query_params.get("g")
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
}.items():
    if key not in ss:  # widget state is dropped while another page shows; restore it from the graph
        ss[key] = value

# ---------------------------------------------------------------- page

st.title("Theory explorer")
st.caption(
    "Set the ground-truth graphs (rows = child latents) and see which latents mechanism sparsity can identify: "
    "the consistency pattern C bounds what each true latent may stay entangled with (Lachapelle et al., 2024)."
)

left, right = st.columns([5, 7], gap="large")

with left:
    showing = st.empty()  # filled once the editors below have applied this run's edits
    tab_preset, tab_random, tab_edit = st.tabs(["Preset", "Random graph", "Edit Ga / Gz"])
    with tab_preset:
        st.selectbox(
            "Preset graph",
            list(graphs.PRESETS),
            key="theory_preset",
            format_func=lambda n: f"{n}: {graphs.PRESETS[n]}",
            on_change=_on_preset,
        )
        st.caption(_md(graphs.PRESETS[ss["theory_preset"]]))
        st.caption("The action-/time- presets are the papers' 10-latent graphs; teach- presets show one case each.")
    with tab_random:
        c1, c2 = st.columns(2)
        c1.number_input("latents dz", 1, graphs.MAX_DIM, key="theory_rand_dz", on_change=_on_random)
        c2.number_input("actions da (0: none)", 0, graphs.MAX_DIM, key="theory_rand_da", on_change=_on_random)
        st.slider("edge density", 0.0, 1.0, step=0.05, key="theory_rand_density", on_change=_on_random)
        c1, c2 = st.columns(2)
        c1.toggle("temporal graph Gz (keeps the diagonal)", key="theory_rand_temporal", on_change=_on_random)
        c2.number_input("seed", 0, 2**31 - 1, key="theory_rand_seed", on_change=_on_random)
        st.button("Draw this random graph", on_click=_on_random)
    with tab_edit:
        c1, c2 = st.columns(2)
        c1.number_input("latents dz", 0, 99, key="theory_dz", on_change=_on_resize)
        c2.number_input("actions da", 0, 99, key="theory_da", on_change=_on_resize)
        c1.toggle("use Ga (actions → latents)", key="theory_use_ga", on_change=_on_resize)
        c2.toggle("use Gz (z_t-1 → z_t)", key="theory_use_gz", on_change=_on_resize)
        spec = ss[GRAPHS_KEY]
        ver = ss[THEORY_VERSION_KEY]
        new_ga = new_gz = None
        if spec.ga is not None:
            st.markdown("**Ga**: tick a cell when action a_l (column) drives latent z_i (row)")
            new_ga = _matrix_editor(spec.ga, "a", ver)
        if spec.gz is not None:
            st.markdown("**Gz**: tick a cell when z_t-1,j (column, primed) drives z_t,i (row)")
            new_gz = _matrix_editor(spec.gz, "z", ver)
        edited = graphs.GraphSpec(ga=new_ga, gz=new_gz)
        if edited != spec:
            _set_spec(edited, sync_widgets=False)

spec: graphs.GraphSpec = ss[GRAPHS_KEY]
shown_name = next((n for n in graphs.PRESETS if graphs.preset(n) == spec), None)
showing.markdown(
    f"Showing preset **{shown_name}**"
    if shown_name
    else f"Showing a custom graph ({spec.dz} latents, {spec.da} actions, {spec.n_edges} edges)"
)
report = theory.analyse(spec.ga, spec.gz)
code = graphs.encode(spec)
if st.query_params.get("g") != code:
    st.query_params["g"] = code

with right:
    if ss[THEORY_ERROR_KEY]:
        st.error(escape_markdown(ss[THEORY_ERROR_KEY]))
    if report.complete:
        st.success("### Verdict: complete disentanglement\nEvery latent is identified (C is the identity).")
    else:
        st.warning(f"### Verdict: {report.verdict}")
    m = st.columns(4)
    m[0].metric("latents dz", spec.dz)
    m[1].metric("actions da", spec.da if spec.ga is not None else "–")
    m[2].metric("edges", spec.n_edges)
    m[3].metric("identified", f"{len(report.identified)} / {spec.dz}")
    base = (st.context.url or "").rstrip("/")
    if base and not base.endswith("/theory"):
        base += "/theory"
    st.caption("Share this exact graph: copy the link (copy button on the right).")
    st.code(f"{base}?g={code}" if base else f"?g={code}", language=None, wrap_lines=True)

panels = [(spec.ga, "a"), (spec.gz, "z")]
panels = [(g, kind) for g, kind in panels if g is not None]
for col, (g, kind) in zip(st.columns(3, gap="medium"), [*panels, (None, "C")], strict=False):
    with col:
        if kind == "C":
            st.plotly_chart(figures.pattern_figure(report.pattern, report.twins), config=PLOT_CONFIG)
        else:
            st.plotly_chart(figures.graph_heatmap(g, kind), config=PLOT_CONFIG)

d1, d2 = st.columns([7, 5], gap="large")
with d1:
    st.markdown("**The graphs as a drawing** (edges flow left to right)")
    st.plotly_chart(figures.node_link_figure(spec.ga, spec.gz), config=PLOT_CONFIG)
with d2:
    st.markdown("**Why, latent by latent**")
    st.markdown("\n".join(f"- {_md(r)}" for r in report.reasons))
    with st.expander("How to read this"):
        st.markdown(
            _md(
                "- Row i of C lists the learned latents that the true z_i may depend on; a row with only its "
                "diagonal means z_i is identified.\n"
                "- Twins (outlined, tagged T1, T2, ...) have the same parents (and, in time, the same children): "
                "sparsity cannot tell them apart, so they may be mixed freely.\n"
                "- A strict containment (z_i's parents inside z_j's) lets z_i depend on z_j but not the reverse.\n"
                "- C is a guarantee given the papers' assumptions, not a prediction of what one training run learns."
            )
        )
