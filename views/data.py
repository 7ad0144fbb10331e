"""Data page: generate the papers' synthetic data or upload a .npz, preview it; the chosen dataset goes to Train."""

import uuid

import streamlit as st

from app_state import (
    DATASET_CHOICE_KEY,
    DATASET_KEY,
    GRAPHS_KEY,
    UPLOAD_ERROR_KEY,
    UPLOAD_KEY,
    escape_markdown,
    graph_thumbnail,
)
from mechsparse.data import dataset, mechanisms, previews, synthetic
from mechsparse.figures.graph_drawings import graph_heatmap
from mechsparse.theory import graphs

SIZES = [1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000]
THEORY = "Graphs from the Theory page"
PRESET = "A preset"


@st.cache_data(max_entries=3, show_spinner=False)
def _generate(graph_text: str, name: str, kind: str, variant: str, n: int, t: int, dx: int, seed: int, obs: float):
    """Cached on the parameters: the same choice twice costs nothing."""
    spec = graphs.decode(graph_text)
    return synthetic.generate(spec, n, t=t, dx=dx, seed=seed, name=name, variant=variant, kind=kind, obs_share=obs)


@st.cache_data(max_entries=4, show_spinner=False)
def _stats(token: str, _ds: dataset.Dataset):
    """Summary table of the chosen dataset (token identifies it; the dataset itself is not hashed)."""
    return previews.summary_statistics(_ds)


@st.cache_data(max_entries=4, show_spinner=False)
def _pca(token: str, _ds: dataset.Dataset):
    return previews.principal_components(_ds.x)


# The preview figures are built once per chosen dataset (token) and shared read-only, so a rerun for another
# widget (the colour, the next generation's settings) costs no figure building.


@st.cache_resource(max_entries=4, show_spinner=False)
def _parents_figure(token: str, _ds: dataset.Dataset):
    panels = previews.parent_panels(_ds)
    return previews.parent_scatter(panels) if panels else None


@st.cache_resource(max_entries=8, show_spinner=False)
def _pca_figure(token: str, colour_title: str, _ds: dataset.Dataset):
    scores, explained, rows = _pca(token, _ds)
    colour = None
    if colour_title:
        arr = _ds.z if colour_title.startswith("z") else _ds.a
        colour = arr.reshape(-1, arr.shape[-1])[rows, int(colour_title[1:]) - 1]
    return previews.pca_scatter(scores, colour, colour_title=colour_title, explained=explained)


def _choose(ds: dataset.Dataset, source: str) -> None:
    """Make ds the dataset every page uses; a new choice also ends the notice about a refused upload."""
    st.session_state[DATASET_KEY] = ds
    st.session_state[DATASET_CHOICE_KEY] = {"id": id(ds), "token": uuid.uuid4().hex, "source": source}
    st.session_state[UPLOAD_ERROR_KEY] = None


def _refusal(error: str) -> str:
    """One line: the upload was refused and why, and which dataset stays chosen (or that none is)."""
    ds = st.session_state.get(DATASET_KEY)
    source = (st.session_state.get(DATASET_CHOICE_KEY) or {}).get("source", "")
    if isinstance(ds, dataset.Dataset):
        kept = f"The chosen dataset stays {ds.name}" + (f" ({source})." if source else ".")
    else:
        kept = "No dataset is chosen."
    return f"Upload refused: {error.rstrip('.')}. {kept}"


def _file_name(ds: dataset.Dataset) -> str:
    info = ds.info
    if "kind" not in info:
        return f"{ds.name}.npz"
    variant = info["variant"].replace("=", "")
    return f"{ds.name}-{info['kind'].replace('+', '-')}-{variant}-n{info['n']}-t{info['t']}-seed{info['seed']}.npz"


st.title("Data")
st.caption(
    "Synthetic data in the style of the papers: latents z follow sparse mechanisms (the graphs Ga and Gz), "
    "and a random injective network mixes them into observations x. Or bring your own .npz."
)

gen_tab, up_tab = st.tabs(["Generate", "Upload"])

with gen_tab:
    pick, preview = st.columns([3, 2])
    with pick:
        theory_spec = st.session_state.get(GRAPHS_KEY)
        sources = [PRESET] + ([THEORY] if isinstance(theory_spec, graphs.GraphSpec) else [])
        source = st.radio("Graphs", sources, horizontal=True, key="data_source") if len(sources) > 1 else PRESET
        if source == THEORY:
            spec, name = theory_spec, "theory-graphs"
            st.caption(f"The graphs set on the Theory page: `{graphs.encode(spec)}` (dz = {spec.dz}, da = {spec.da}).")
        else:
            names = list(graphs.PRESETS)
            name = st.selectbox(
                "Preset",
                names,
                index=names.index(graphs.DEFAULT_PRESET),
                key="data_preset",
                help="graphs of the papers",
            )
            spec = graphs.preset(name)
            st.caption(graphs.PRESETS[name])
            if len(sources) == 1:
                st.caption("Graphs you set on the Theory page will also be offered here.")
    # The graphs to generate from, as the Train page shows them. Drawn on arrival, so the browser has loaded the
    # chart library before Generate is pressed and the previews then appear at once.
    preview.plotly_chart(graph_thumbnail(spec), key="source-graphs", config={"displayModeBar": False})

    kinds = synthetic.kinds_for(spec)
    c1, c2 = st.columns(2)
    kind = c1.selectbox(
        "Kind of data",
        kinds,
        index=kinds.index(synthetic.default_kind(spec)),
        key="data_kind",
        help="\n".join(f"- **{k}**: {synthetic.KINDS[k].description}" for k in kinds),
    )
    variant = c2.selectbox(
        "Variant",
        list(mechanisms.VARIANTS),
        key="data_variant",
        help="\n".join(f"- **{k}**: {v}" for k, v in mechanisms.VARIANTS.items()),
    )
    st.caption(f"**{kind}**: {synthetic.KINDS[kind].description}. **{variant}**: {mechanisms.VARIANTS[variant]}.")
    c1, c2, c3 = st.columns(3)
    n = c1.select_slider("Samples N", SIZES, value=10_000, format_func=lambda v: f"{v:,}", key="data_n")
    temporal = synthetic.KINDS[kind].temporal
    t = (
        c2.number_input("Sequence length T", min_value=2, max_value=dataset.MAX_T, value=2, key="data_t")
        if temporal
        else 1
    )
    if not temporal:
        c2.caption("Sequence length T = 1 (i.i.d. samples).")
    seed = c3.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="data_seed")
    obs = synthetic.DEFAULT_OBS_SHARE
    if synthetic.KINDS[kind].interventions:
        obs = st.slider(
            "Share of observational samples (a = 0)", 0.0, 0.9, synthetic.DEFAULT_OBS_SHARE, 0.05, key="data_obs"
        )
    with st.expander("More"):
        dx = st.number_input(
            "Observation size dx", min_value=spec.dz, max_value=200, value=max(20, spec.dz), key="data_dx"
        )
    if st.button("Generate", type="primary", key="data_generate"):
        try:
            with st.spinner("Generating..."):
                ds = _generate(graphs.encode(spec), name, kind, variant, int(n), int(t), int(dx), int(seed), float(obs))
            _choose(ds, "generated")
        except ValueError as exc:
            st.error(escape_markdown(exc))
        except MemoryError:  # last resort: generate's limits should refuse such a size first
            st.error("not enough memory to generate this dataset: choose fewer samples N, steps T or a smaller dx")

with up_tab:
    limit_mb = st.get_option("server.maxUploadSize")
    st.markdown(
        f"Upload a `.npz` file of **at most {limit_mb} MB** holding `x` (N, T, dx), and optionally `a` (N, T, da), "
        "`z` (N, T, dz), `ga` (dz, da) and `gz` (dz, dz) 0/1. Nothing else is allowed; it is read without pickle. "
        "Without `z` the data is accepted but there is no ground truth to score against."
    )
    uploaded = st.file_uploader("Dataset file (.npz)", type=["npz"], key="data_upload")
    if uploaded is not None:
        upload_key = getattr(uploaded, "file_id", None) or f"{uploaded.name}:{uploaded.size}"
        if st.session_state.get(UPLOAD_KEY) != upload_key:
            st.session_state[UPLOAD_KEY] = upload_key
            st.session_state[UPLOAD_ERROR_KEY] = None
            try:
                stem = uploaded.name.rsplit(".", 1)[0]
                _choose(dataset.load_dataset(uploaded.getvalue(), name=stem), f"uploaded file {uploaded.name}")
            except ValueError as exc:
                st.session_state[UPLOAD_ERROR_KEY] = f"{uploaded.name}: {exc}"
            except MemoryError:  # last resort: the loader's limits should refuse such a file first
                st.session_state[UPLOAD_ERROR_KEY] = f"{uploaded.name}: not enough memory to load this file"
        if st.session_state.get(UPLOAD_ERROR_KEY):
            st.error(escape_markdown(_refusal(st.session_state[UPLOAD_ERROR_KEY])))
    else:
        st.session_state[UPLOAD_KEY] = None
        st.session_state[UPLOAD_ERROR_KEY] = None

ds = st.session_state.get(DATASET_KEY)
st.divider()
if not isinstance(ds, dataset.Dataset):
    st.info("No dataset chosen yet: generate one or upload a file. The Train page will use the dataset chosen here.")
    st.stop()

chosen = st.session_state.get(DATASET_CHOICE_KEY) or {}
if chosen.get("id") != id(ds):  # set elsewhere: give it a fresh identity for the caches
    chosen = {"id": id(ds), "token": uuid.uuid4().hex, "source": "set elsewhere"}
    st.session_state[DATASET_CHOICE_KEY] = chosen
token = chosen["token"]

st.subheader(f"Chosen dataset: {escape_markdown(ds.name)}")
if st.session_state.get(UPLOAD_ERROR_KEY):  # the last upload was refused: this is still the earlier choice
    st.info(
        f"The Train page still uses this dataset ({escape_markdown(chosen['source'])}); "
        "the refused upload did not replace it."
    )
else:
    st.success(f"The Train page will use this dataset ({escape_markdown(chosen['source'])}).")
info = ds.info
if "kind" in info:
    extra = f", observational share {info['obs_share']:.2f}" if "obs_share" in info else ""
    st.caption(
        f"Made from preset **{info['preset']}**, kind **{info['kind']}**, variant **{info['variant']}**, "
        f"N = {info['n']:,}, T = {info['t']}, dx = {info['dx']}, seed {info['seed']}{extra}."
    )
cols = st.columns(6)
for col, (label, value) in zip(
    cols,
    [
        ("samples N", f"{ds.n:,}"),
        ("steps T", ds.t),
        ("dx", ds.dx),
        ("da", ds.da),
        ("dz", ds.dz if ds.dz is not None else "?"),
        ("ground truth", "yes" if ds.has_ground_truth else "no"),
    ],
    strict=True,
):
    col.metric(label, value)
if not ds.has_ground_truth:
    st.warning(
        "no ground truth: this dataset has no true latents z, so MCC and R_con cannot be computed. "
        "Training still works."
    )

st.download_button(
    "Download as .npz",
    data=lambda: dataset.dataset_bytes(ds),
    file_name=_file_name(ds),
    mime="application/octet-stream",
    key="data_download",
)

st.markdown("#### True graphs")
if ds.ga is None and ds.gz is None:
    st.caption("This dataset carries no true graphs.")
else:
    gcols = st.columns(2)
    if ds.ga is not None:
        gcols[0].plotly_chart(graph_heatmap(ds.ga, "a"), key="data_ga")
    if ds.gz is not None:
        gcols[1 if ds.ga is not None else 0].plotly_chart(graph_heatmap(ds.gz, "z"), key="data_gz")

parents_figure = _parents_figure(token, ds)
if parents_figure is not None:
    st.markdown("#### Latents against their parents")
    st.caption(
        "Each latent moves with its parents (blue) and not with the other inputs (grey): that is the sparsity "
        "the model is meant to recover."
    )
    st.plotly_chart(parents_figure, key="data_parents")

st.markdown("#### Observations x")
_, _, rows = _pca(token, ds)
options = []
if ds.z is not None:
    options += [f"z{i + 1}" for i in range(ds.z.shape[2])]
if ds.a is not None:
    options += [f"a{i + 1}" for i in range(ds.a.shape[2])]
colour_title = st.selectbox("Colour by", options, key="data_colour") if options else ""
st.plotly_chart(_pca_figure(token, colour_title, ds), key="data_pca")
st.caption(
    f"First two principal components of x (computed on {len(rows):,} of {ds.n * ds.t:,} rows). "
    "A smooth colour gradient means the latent is visible in x; the mixing is nonlinear, so PCA alone cannot "
    "undo it."
)

st.markdown("#### Summary statistics")
stats = _stats(token, ds).copy()
numeric = ["mean", "std", "min", "max"]
stats[numeric] = stats[numeric].round(3) + 0.0  # + 0.0 turns -0.0 into 0.0
st.dataframe(
    stats,
    hide_index=True,
    height=300,
    column_config={c: st.column_config.NumberColumn(format="%.3f") for c in numeric},
)
