"""Train page: configure a run, start it in the background, watch it learn the graphs and the latents live.

Class mode (/train?run=<id>&mode=class, for a projector): the run's live panels and curves only, projector-sized,
with image downloads; no form and no buttons that change anything.
"""

from __future__ import annotations

import contextlib
import math

import streamlit as st

from app_state import (
    CLASS_PARAM,
    CLASS_VALUE,
    DATASET_KEY,
    GRAPHS_KEY,
    class_mode,
    device_label,
    escape_markdown,
    figure_downloads,
    graph_thumbnail,
    job_registry,
)
from mechsparse.data import dataset, synthetic
from mechsparse.figures import plots
from mechsparse.learning import expectations, methods, training
from mechsparse.learning.evaluation import duration_text
from mechsparse.runs import runner, store
from mechsparse.runs.jobs import JobLimitError
from mechsparse.runs.view import ENDED, RunView, run_view
from mechsparse.theory import graphs, identifiability

SOURCES = ("Preset", "Graphs from the Theory page", "Dataset from the Data page")
REFRESH_SECONDS = 1.0
REFERENCE_JOBS_KEY = "_train_reference_jobs"  # reference runs started from this page: refresh until they end
REFERENCE_LABELS = {"supervised": "ceiling: supervised", "random": "floor: random"}
DISK_REFRESH_SECONDS = 3.0  # a run trained by another process: re-read its folder this often
DEFAULT_MODEL_SIZE = "small"  # what the CLI and every benchmark use
CLASS_SCALE = 1.25  # class mode: the presentation panels already use 15 px type; a 2 x 2 grid stays near a screen
LAYOUTS = ("Presentation", "All panels")  # four large panels for a room / every panel at once
# On hover, each panel offers only full screen (Streamlit's button in the Plotly toolbar) and a PNG for slides.
PLOT_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "toggleSpikelines",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

CLASS = class_mode()
st.title("Train")
if not CLASS:
    st.caption(
        "Fit the sparsity-regularised VAE (or a baseline it is compared with) in the background and watch it learn "
        "the graphs and the latents, beside what the theory says can be identified. A run's link reattaches to the "
        "same live run."
    )
registry = job_registry()


def _pick_dataset(source: str, preset_name: str, n: int | None, seed: int) -> tuple[dataset.Dataset, str]:
    """The dataset a new run trains on, and a short name for it (n None: the preset's tuned sample count)."""
    if source == SOURCES[0]:
        n = training.default_samples(preset_name) if n is None else n
        return synthetic.generate(graphs.preset(preset_name), n, seed=seed, name=preset_name), preset_name
    if source == SOURCES[1]:
        spec = st.session_state.get(GRAPHS_KEY)
        if spec is None:
            raise ValueError("no graphs on the Theory page yet: open Theory and pick or edit a graph first")
        n = training.default_samples(spec) if n is None else n
        return synthetic.generate(spec, n, seed=seed, name="theory-graphs"), "theory-graphs"
    ds = st.session_state.get(DATASET_KEY)
    if ds is None:
        raise ValueError("no dataset chosen on the Data page yet: generate or upload one there first")
    return ds, ds.name


def _source_inputs() -> dict:
    """Where the data comes from, outside the form: the measured time beside it follows the chosen preset."""
    presets = list(graphs.PRESETS)
    c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    source = c1.radio("Data", SOURCES, index=0, key="train_source")
    preset = c2.selectbox(
        "Preset",
        presets,
        index=presets.index(graphs.DEFAULT_PRESET),
        key="train_preset",
        help="Used when Data is 'Preset'.",
    )
    method = methods.get(
        c2.selectbox(
            "Method",
            methods.METHOD_NAMES,
            format_func=lambda name: methods.METHODS[name].label,
            key="train_method",
            help="The sparse VAE is this project's model; the others are the baselines the paper compares it with, "
            "and the supervised (ceiling) and random (floor) references.",
        )
    )
    refusal = _refusal(method, source, preset)
    measured = expectations.describe(preset)
    if method.name != methods.SPARSE:
        c3.markdown(f"**{method.label}**")
        c3.caption(method.summary[0].upper() + method.summary[1:] + ". " + _budget_words(method, source, preset))
        if refusal:
            c3.warning(refusal)
    elif source == SOURCES[0]:
        c3.markdown("**How long it takes**")
        c3.caption(
            f"{preset} with its default settings: {measured}"
            if measured
            else f"No measured time for {preset} yet; the papers' 10-latent action presets need about 15 s "
            "and the temporal ones 3-10 min on a 2-core CPU (BENCHMARKS.md)."
        )
    spec = _source_graphs(source, preset)
    if spec is not None:
        c4.plotly_chart(graph_thumbnail(spec), key="source-graphs", config={"displayModeBar": False})
    else:
        c4.caption("This dataset carries no true graphs: the run learns them without a reference.")
    return {"source": source, "preset": preset, "method": method.name}


def _budget_words(method: methods.Method, source: str, preset: str) -> str:
    """How long a baseline trains by default, in one sentence."""
    if not method.trains:
        return "Nothing to train: the untrained encoder is measured at once."
    if method.default_steps is not None:
        return f"It trains for {method.default_steps:,} steps unless you set a limit."
    if source == SOURCES[0]:
        steps = training.default_config(preset).max_steps
        return f"It trains for the sparse VAE's budget on {preset}, {steps:,} steps, unless you set a limit."
    return "It trains for the sparse VAE's budget on this data unless you set a limit."


def _refusal(method: methods.Method, source: str, preset: str) -> str | None:
    """Why ``method`` cannot train on the chosen data (None when it can, or when no data is chosen yet)."""
    if source == SOURCES[2]:
        ds = st.session_state.get(DATASET_KEY)
        if ds is None:
            return None
        return method.refusal(temporal=ds.t > 1, actions=ds.da > 0, latents=ds.z is not None)
    spec = _source_graphs(source, preset)
    if spec is None:
        return None
    return method.refusal(temporal=spec.gz is not None, actions=spec.ga is not None)


def _source_graphs(source: str, preset: str) -> graphs.GraphSpec | None:
    """The true graphs of the data a new run would train on (None when they are unknown)."""
    if source == SOURCES[0]:
        return graphs.preset(preset)
    if source == SOURCES[1]:
        return st.session_state.get(GRAPHS_KEY)
    ds = st.session_state.get(DATASET_KEY)
    return None if ds is None else ds.graphs


def _data_inputs(col) -> dict:
    return {
        "n": col.number_input(
            "Samples (preset / Theory graphs)",
            1_000,
            1_000_000,
            None,
            1_000,
            key="train_n",
            placeholder="tuned: 20,000 action, 100,000 temporal",
        ),
        "data_seed": int(
            col.number_input(
                "Data seed",
                0,
                2**31 - 1,
                0,
                key="train_data_seed",
                help="Fixes the generated data; vary the training seed on the same data to see the method's spread.",
            )
        ),
        "dz": col.number_input(
            "Learned latents dz",
            1,
            graphs.MAX_DIM,
            None,
            key="train_dz",
            placeholder="the data's true dz",
            help="Needed only for a dataset that carries neither z nor graphs.",
        ),
    }


def _method_inputs(col, method: str) -> dict:
    """The chosen method's own options (the sparsity settings for the sparse VAE), then the training seed."""
    default = training.TrainConfig()  # the library's defaults: the settings of the paper's best baseline numbers
    if method == methods.SPARSE:
        values = _sparsity_inputs(col)
    elif method == "tcvae":
        beta = col.number_input("β (weight of the total correlation)", 0.0, 100.0, default.beta, key="train_beta")
        values = {"beta": beta}
    elif method == "slowvae":
        values = {
            "gamma": col.number_input("γ (weight of the transition KL)", 0.0, 1000.0, default.gamma, key="train_gamma"),
            "rate": col.number_input("λ (rate of the Laplace prior)", 0.01, 1000.0, default.rate, key="train_rate"),
        }
    else:
        col.caption(f"{methods.get(method).label} has no options of its own.")
        values = {}
    seed = col.number_input(
        "Training seed", 0, 2**31 - 1, 0, key="train_seed", help="Fixes initialisation, batches and masks."
    )
    return values | {"seed": int(seed)}


def _sparsity_inputs(col) -> dict:
    return {
        "sparsity": col.radio(
            "Sparsity regularisation",
            training.SPARSITY_MODES[::-1],
            horizontal=True,
            key="train_sparsity",
            help="constraint: expected edge count <= bound (Lagrangian); penalty: coefficient x expected edges; "
            "none: the unregularised baseline.",
        ),
        "bound": col.number_input(
            "Constraint bound (edges)",
            0.0,
            1000.0,
            None,
            step=1.0,
            key="train_bound",
            placeholder="true edge count",
            help="Target for the expected number of edges. Empty: the true edge count of the data's graphs.",
        ),
        "penalty": col.number_input(
            "Penalty coefficient", 0.0, 1000.0, None, key="train_penalty", placeholder="tuned default"
        ),
    }


def _limit_inputs(col) -> dict:
    sizes = training.MODEL_SIZES
    return {
        "model_size": col.selectbox("Model size", sizes, index=sizes.index(DEFAULT_MODEL_SIZE), key="train_model_size"),
        "max_seconds": col.number_input(
            "Time limit (s)", 1, 24 * 3600, None, step=30, key="train_max_seconds", placeholder="none"
        ),
        "max_steps": col.number_input(
            "Step limit", 1, 10_000_000, None, step=1000, key="train_max_steps", placeholder="tuned default"
        ),
        "device": col.selectbox(
            "Device", training.DEVICES, key="train_device", help=f"auto: CUDA when present. Here: {device_label()}."
        ),
    }


def _config_form() -> dict | None:
    """The New run form; returns the values when Start is pressed, else None."""
    source = _source_inputs()
    with st.form("new-run", border=True):
        c1, c2, c3 = st.columns(3)
        values = source | _data_inputs(c1) | _method_inputs(c2, source["method"]) | _limit_inputs(c3)
        started = st.form_submit_button("Start training", type="primary")
    return values if started else None


def _start(form: dict) -> str:
    """Check everything, then create the run folder and start its job; returns the run id. Nothing is written
    when a check fails, and the folder is removed again if the job cannot start."""
    n = None if form["n"] is None else int(form["n"])
    ds, name = _pick_dataset(form["source"], form["preset"], n, form["data_seed"])
    overrides = {"method": form["method"], "seed": form["seed"], "model_size": form["model_size"]}
    overrides["device"] = form["device"]
    options = (("sparsity", str), ("bound", float), ("penalty", float), ("beta", float), ("gamma", float))
    options += (("rate", float), ("max_seconds", float), ("max_steps", int), ("dz", int))
    for key, cast in options:
        if form.get(key) is not None:
            overrides[key] = cast(form[key])
    config = training.default_config(ds, **overrides)
    training.check_trainable(ds, config)  # every refusal (a missing bound, 'cuda' without a GPU) before any write
    registry.check_capacity()
    run_id = store.create_run(ds, config, name).name
    try:
        registry.start(run_id)
    except BaseException:
        with contextlib.suppress(ValueError, OSError):  # never mask why the start failed
            store.delete_run(run_id)
        raise
    return run_id


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _controls(view: RunView) -> None:
    """Status line, the buttons that apply (pause / resume / stop a live run, resume a resumable one), the layout;
    in class mode the status line alone."""
    message = escape_markdown(view.message)
    method = methods.of_config(view.config).label
    status = f"**Run** `{view.run_id}` · {method} · status **{view.status}**" + (f" · {message}" if message else "")
    if CLASS:
        st.markdown(status)
        if view.status == "failed":
            st.error(f"This run failed: {escape_markdown(view.message)}")
        return
    head = st.columns([4, 1, 1, 2], vertical_alignment="center")
    head[0].markdown(status)
    job = registry.get(view.run_id)
    if view.live and view.status != "paused" and head[1].button("Pause", key="pause"):
        job.pause()
    if view.live and view.status == "paused" and head[1].button("Resume", key="resume"):
        job.resume()
    if view.live and head[2].button("Stop", key="stop"):
        job.stop()
    if view.can_resume and head[1].button("Resume", key="resume-disk"):
        try:
            registry.start(view.run_id, resume=True)
            st.rerun()
        except (ValueError, JobLimitError, OSError) as exc:
            st.error(escape_markdown(exc))
    head[3].segmented_control(
        "Layout", LAYOUTS, default=LAYOUTS[0], key="train_layout", label_visibility="collapsed", width="stretch"
    )
    if view.status == "failed":
        st.error(f"This run failed: {escape_markdown(view.message)}")


def _progress_text(snap, live: bool) -> str:
    """'step 1,200 / 40,000 · 42 s of 300 s · about 4 min 18 s left · 140 steps/s · cpu'."""
    parts = [f"step {snap.step:,}" + (f" / {snap.max_steps:,}" if snap.max_steps else "")]
    parts.append(
        f"{duration_text(snap.elapsed)}" + (f" of {duration_text(snap.max_seconds)}" if snap.max_seconds else "")
    )
    left = snap.seconds_left
    if left is not None and live and not snap.finished:
        parts.append(f"about {duration_text(left)} left")
    parts.append(f"{snap.steps_per_second:.0f} steps/s")
    return " · ".join(parts + [f"device {snap.device}"])


def _expectation(view: RunView) -> None:
    """What the benchmarks measured for this run's preset, so the room knows how long to wait."""
    measured = expectations.describe(view.dataset)
    if measured and view.dataset in graphs.PRESETS and methods.of_config(view.config).name == methods.SPARSE:
        st.caption(f"What to expect for {view.dataset} (default settings): {measured}")


def render_run(run_id: str) -> None:
    """One run: controls, progress, headline numbers, then the panels in the chosen layout."""
    view = run_view(run_id, registry)
    _controls(view)
    snap = view.snapshot
    if snap is None:
        st.progress(0.0, text="Starting: building the model and its first evaluation…")
    else:
        st.progress(snap.progress, text=_progress_text(snap, view.live))
    _expectation(view)
    method = methods.of_config(view.config)
    if snap is not None:
        _headline(snap, view.history, method)
        if snap.metrics.mcc is not None and method.name not in store.REFERENCE_METHODS and view.data_id:
            _references_row(view)
        if snap.metrics.mcc is None:
            st.info(
                "This dataset has no ground-truth latents, so MCC, R_con, SHD and the matched panels are absent: "
                "the learned graphs are shown in the model's own latent order."
            )
    if st.session_state.get("train_layout") == LAYOUTS[1] and snap is not None and not CLASS:
        _all_panels(view)
    else:
        _presentation(view)
    if not view.live and view.status in ENDED and not CLASS:
        st.caption(f"Saved in {store.run_path(run_id)}")


def _headline(snap, history, method: methods.Method) -> None:
    """The run's numbers of the moment, in one row, and what the bound is doing (what a method without a graph
    has instead: its loss, and a line saying it learns no graph)."""
    m = snap.metrics
    cols = st.columns(6)
    cols[0].metric("MCC", _fmt(m.mcc))
    cols[1].metric("R_con", _fmt(m.r_con))
    if not method.learns_graph:
        cols[2].metric("ELBO", _fmt(snap.elbo, 2) if method.has_elbo else "—")
        cols[3].metric("Training loss", _fmt(snap.loss, 3))
        cols[4].metric("Method", method.label)
        st.caption(
            f"{method.label} learns no graph ({method.summary}): its graph panels stay empty, and the correlation "
            "matrix, |L P| and curves compare its latents with the truth."
        )
        return
    shd = [v for v in (m.shd_a, m.shd_z) if v is not None]
    cols[2].metric("SHD", _fmt(sum(shd)) if shd else "—")
    cols[3].metric("ELBO", _fmt(snap.elbo, 2))
    bound = snap.bound
    cols[4].metric("Expected edges", _fmt(snap.edge_count, 1) + (f" / {bound:.0f}" if bound is not None else ""))
    cols[5].metric("Dual variable λ", _fmt(snap.multiplier, 3))
    label = plots.bound_label(history if len(history) else None, snap.target_bound, snap.bound)
    if label:
        st.caption(f"Constraint: expected edges ≤ bound; {label}.")
    elif snap.bound is None and snap.multiplier is None:
        st.caption("No sparsity constraint: every edge is kept, so the expected edge count is the full graph's.")


@st.cache_data(ttl=3, show_spinner=False)
def _reference_scores(data_id: str) -> dict[str, float]:
    """{line label: final MCC} of the finished reference runs on this data (re-read every few seconds)."""
    found = store.reference_runs(data_id)
    return {REFERENCE_LABELS[m]: rec.summary["mcc"] for m, rec in found.items() if rec.summary.get("mcc") is not None}


def _references_row(view: RunView) -> None:
    """The floor and ceiling of this run's charts: their MCC when they exist, else one click to make them."""
    scores = _reference_scores(view.data_id)
    pending = _references_pending()
    if len(scores) == len(store.REFERENCE_METHODS):
        text = " · ".join(f"{label.split(': ')[1]} {value:.3f}" for label, value in scores.items())
        st.caption(f"Floor and ceiling on this data (dashed on the MCC curve): {text}.")
        return
    if CLASS:  # no buttons for the room
        return
    left, right = st.columns([3, 2], vertical_alignment="center")
    if pending:
        left.caption(
            "The supervised reference trains in the background; its line appears on the MCC curve when it ends."
        )
        return
    left.caption(
        "Every chart needs its floor and ceiling: an untrained encoder (random) and one regressed on the true "
        "latents (supervised), on this run's data."
    )
    if right.button("Add the floor and ceiling", key="add-references"):
        try:
            st.session_state[REFERENCE_JOBS_KEY] = _add_references(view)
        except (ValueError, JobLimitError, OSError) as exc:
            st.error(escape_markdown(str(exc)))
        else:
            _reference_scores.clear()
            st.rerun()


def _references_pending() -> bool:
    """A reference run started from this page still trains."""
    return any(
        registry.get(r) is not None and registry.get(r).alive for r in st.session_state.get(REFERENCE_JOBS_KEY, [])
    )


def _add_references(view: RunView) -> list[str]:
    """Create the missing reference runs on this run's data and start them: supervised as a background job (it
    trains), random at once, here (nothing to train). Returns the ids of the jobs started."""
    dataset = store.load_dataset_of(view.run_id)
    present = store.reference_runs(view.data_id)
    c = view.config
    common = {"seed": int(c.get("seed", 0)), "device": c.get("device", "auto"), "model_size": c.get("model_size")}
    started = []
    for name in store.REFERENCE_METHODS:  # supervised first: the capacity check comes before any folder is made
        if name in present:
            continue
        config = training.default_config(dataset, method=name, **{k: v for k, v in common.items() if v is not None})
        training.check_trainable(dataset, config)
        if methods.get(name).trains:
            registry.check_capacity()
        folder = store.create_run(dataset, config, view.dataset or dataset.name)
        if not methods.get(name).trains:
            runner.train_run(folder)
            continue
        try:
            registry.start(folder.name)
        except BaseException:
            with contextlib.suppress(ValueError, OSError):
                store.delete_run(folder.name)
            raise
        started.append(folder.name)
    return started


def _truth_pattern(view: RunView):
    """C from the data's true graphs, to show before the first evaluation brings the run's own."""
    truth = view.true_graphs
    if truth is None:
        return None
    return identifiability.consistency_pattern(truth.ga, truth.gz)


def _evaluation_key(view: RunView, layout: str) -> tuple:
    """What the panels depend on: the panels change at each evaluation, not at each snapshot between them."""
    last = int(view.history["step"].iloc[-1]) if len(view.history) and "step" in view.history else -1
    references = tuple(sorted(_reference_scores(view.data_id).items())) if view.data_id else ()
    return (view.run_id, layout, view.snapshot is not None, len(view.history), last, references)


@st.cache_resource(max_entries=8, show_spinner=False)
def _figures(key: tuple, _view: RunView) -> dict:
    """The figures of one evaluation, built once and shared by every refresh and browser until the next one."""
    view = _view
    method = methods.of_config(view.config)
    no_graph = None if method.learns_graph else method.label
    references = dict(key[-1])
    if key[1] == LAYOUTS[0]:
        return plots.presentation_panels(
            view.snapshot, view.true_graphs, view.history, pattern=_truth_pattern(view), no_graph=no_graph,
            has_elbo=method.has_elbo, references=references,
        )  # fmt: skip
    panels = plots.run_panels(view.snapshot, view.true_graphs, no_graph=no_graph)
    history = view.history if len(view.history) else None
    curves = plots.curve_panels(method.learns_graph, method.has_elbo)
    panels["curves"] = plots.training_curves(
        history, panels=curves, target_bound=view.snapshot.target_bound, references=references
    )
    return panels


@st.cache_resource(max_entries=8, show_spinner=False)
def _class_figures(key: tuple, _view: RunView) -> dict:
    """The presentation panels of one evaluation sized for a projector (class mode)."""
    return {name: plots.projector(fig, CLASS_SCALE) for name, fig in _figures(key, _view).items()}


def _presentation(view: RunView) -> None:
    """Four large panels in a 2 x 2 grid, each with one line saying what to look for (class mode: projector-sized,
    with image downloads)."""
    key = _evaluation_key(view, LAYOUTS[0])
    panels = _class_figures(key, view) if CLASS else _figures(key, view)
    order = [k for k in ("graphs", "entanglement", "corr", "curves") if k in panels]
    captions = dict(plots.PANEL_CAPTIONS)
    if not methods.of_config(view.config).learns_graph:
        captions["graphs"], captions["curves"] = captions["graphs_none"], captions["curves_none"]
    elif view.true_graphs is None:
        captions["graphs"] = captions["graphs_unmatched"]
    elif view.snapshot is None:
        captions["graphs"] = "The true graph: the learned edge probabilities take its place at the first evaluation."
        captions["entanglement"] = "The theory's pattern C: the learned |L P| takes its place at the first evaluation."
    for start in range(0, len(order), 2):
        for col, key in zip(st.columns(2, gap="medium"), order[start : start + 2], strict=False):
            col.plotly_chart(panels[key], key=f"big-{key}", config=PLOT_CONFIG)
            col.caption(captions[key])
            if CLASS:
                with col:
                    figure_downloads(panels[key], f"{view.run_id}-{key}", key=f"train-dl-{key}")


def _all_panels(view: RunView) -> None:
    """Every panel at once: graphs, pattern, |L P| and correlations in rows of four, then all the curves."""
    panels = _figures(_evaluation_key(view, LAYOUTS[1]), view)
    order = [k for k in ("true_ga", "learned_ga", "true_gz", "learned_gz", "pattern", "coef", "corr") if k in panels]
    beside_curves = order.pop() if len(order) % 4 == 1 else None
    for start in range(0, len(order), 4):
        row = st.columns(4)
        for col, key in zip(row, order[start : start + 4], strict=False):
            col.plotly_chart(panels[key], key=f"panel-{key}", config=PLOT_CONFIG)
    learns_graph = methods.of_config(view.config).learns_graph
    graphs_line = "Learned graphs should come to match the true graphs" if learns_graph else "No graph is learned"
    st.caption(
        f"{graphs_line}; |L P| should fit inside C. Colour scales are fixed: 0 (white) to 1 (dark blue), so frames "
        "and runs compare directly."
    )
    curves = panels["curves"]
    if beside_curves is not None:
        left, right = st.columns([1, 3])
        left.plotly_chart(panels[beside_curves], key=f"panel-{beside_curves}", config=PLOT_CONFIG)
        right.plotly_chart(curves, key="curves", config=PLOT_CONFIG)
    else:
        st.plotly_chart(curves, key="curves", config=PLOT_CONFIG)
    st.caption(plots.PANEL_CAPTIONS["curves" if learns_graph else "curves_none"])


# ---------------------------------------------------------------- page flow

run_id = st.query_params.get("run")
new_run_box = st.container()  # at the top, but filled after the live view: a run's link shows the run first
if run_id:
    try:
        store.load_run(run_id, arrays=False)
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        run_id = None
if run_id:
    job = registry.get(run_id)
    is_live = job is not None and job.alive
    refresh = REFRESH_SECONDS if is_live else DISK_REFRESH_SECONDS if store.is_training(run_id) else None
    refresh = refresh or (DISK_REFRESH_SECONDS if _references_pending() else None)

    @st.fragment(run_every=refresh)
    def live_view() -> None:
        try:
            render_run(run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged run folder must not show a traceback
            st.error(escape_markdown(f"Cannot show run {run_id}: {exc}"))
        still = registry.get(run_id) is not None and registry.get(run_id).alive or store.is_training(run_id)
        if refresh and not still and not _references_pending():
            _reference_scores.clear()  # a reference run may have just ended: its line shows in the last redraw
            st.rerun()  # the run ended: redraw once without the timer

    live_view()
elif CLASS:
    st.info(f"Class mode shows one run: open `/train?run=<run id>&{CLASS_PARAM}={CLASS_VALUE}` (ids: Runs page).")
else:
    st.info(f"Configure a run above and press Start. Training runs on {device_label()}.")

if not CLASS:  # class mode: the run only, no form
    with new_run_box:
        form = None
        with st.expander("New run", expanded=run_id is None):
            try:
                form = _config_form()
            except Exception as exc:  # noqa: BLE001 - configuration must never show a traceback
                st.error(escape_markdown(f"Cannot build the form: {exc}"))
        if form is not None:
            try:
                new_id = _start(form)
            except (ValueError, JobLimitError, OSError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.query_params["run"] = new_id
                st.rerun()  # redraw with the form folded away: the live view starts at the top of the page
