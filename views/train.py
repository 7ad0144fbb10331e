"""Train page: configure a run, start it in the background, watch it learn the graphs and the latents live.

Class mode (/train?run=<id>&mode=class, for a projector): the run's live panels and curves only, projector-sized,
with image downloads; no form and no buttons that change anything.
"""

from __future__ import annotations

import streamlit as st

from app_state import (
    CLASS_PARAM,
    CLASS_VALUE,
    DATASET_KEY,
    GRAPHS_KEY,
    PANEL_PLOT_CONFIG,
    class_mode,
    device_label,
    escape_markdown,
    figure_downloads,
    graph_thumbnail,
    job_registry,
    reference_scores,
    rule_input,
    run_figures,
)
from mechsparse.data.dataset import MAX_N
from mechsparse.learning import methods
from mechsparse.learning.architecture import MODEL_SIZES
from mechsparse.learning.config import DEVICES, SPARSITY_MODES, TrainConfig, default_config, form_overrides
from mechsparse.runs import references, store
from mechsparse.runs import view as shown
from mechsparse.runs.jobs import JobLimitError
from mechsparse.runs.launch import DATA, PRESET, THEORY, DataSource, launch_run
from mechsparse.runs.view import ENDED, RunView
from mechsparse.theory import graphs

SOURCES = {"Preset": PRESET, "Graphs from the Theory page": THEORY, "Dataset from the Data page": DATA}
OPTION_LABELS = {  # the baselines' own options (methods.Method.options)
    "beta": "β (weight of the total correlation)",
    "gamma": "γ (weight of the transition KL)",
    "rate": "λ (rate of the Laplace prior)",
}
DEFAULTS = TrainConfig()  # the library's defaults: the settings of the paper's best baseline numbers
REFRESH_SECONDS = 1.0
REFERENCE_JOBS_KEY = "_train_reference_jobs"  # reference runs started from this page: refresh until they end
DISK_REFRESH_SECONDS = 3.0  # a run trained by another process: re-read its folder this often
CLASS_SCALE = 1.25  # class mode: the presentation panels already use 15 px type; a 2 x 2 grid stays near a screen
LAYOUTS = ("Presentation", "All panels")  # four large panels for a room / every panel at once

CLASS = class_mode()
st.title("Train")
if not CLASS:
    st.caption(
        "Fit the sparsity-regularised VAE (or a baseline it is compared with) in the background and watch it learn "
        "the graphs and the latents, beside what the theory says can be identified. A run's link reattaches to the "
        "same live run."
    )
registry = job_registry()


def _source(label: str, preset: str) -> DataSource:
    """Where a new run's data comes from, with what the Theory and Data pages hold now."""
    return DataSource(SOURCES[label], preset, st.session_state.get(GRAPHS_KEY), st.session_state.get(DATASET_KEY))


def _source_inputs() -> dict:
    """Where the data comes from, outside the form: the measured time beside it follows the chosen preset."""
    presets = list(graphs.PRESETS)
    c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    label = c1.radio("Data", list(SOURCES), index=0, key="train_source")
    preset = c2.selectbox(
        "Preset", presets, presets.index(graphs.DEFAULT_PRESET), key="train_preset", help="Used when Data is 'Preset'."
    )
    method = methods.get(c2.selectbox(
        "Method", methods.METHOD_NAMES, methods.METHOD_NAMES.index(DEFAULTS.method), key="train_method",
        format_func=lambda name: methods.METHODS[name].label,
        help="The sparse VAE is this project's model; the others are the baselines the paper compares it with, "
        "and the supervised (ceiling) and random (floor) references.",
    ))  # fmt: skip
    source = _source(label, preset)
    if method.name != methods.SPARSE:
        c3.markdown(f"**{method.label}**")
        c3.caption(method.summary[0].upper() + method.summary[1:] + ". " + source.budget_words(method))
        if refusal := source.refusal(method):
            c3.warning(refusal)
    elif source.kind == PRESET:
        c3.markdown("**How long it takes**")
        c3.caption(source.time_words())
    if source.true_graphs is not None:
        c4.plotly_chart(graph_thumbnail(source.true_graphs), key="source-graphs", config={"displayModeBar": False})
    else:
        c4.caption("This dataset carries no true graphs: the run learns them without a reference.")
    return {"source": label, "preset": preset, "method": method.name}


def _data_inputs(col) -> dict:
    return {
        "n": col.number_input(
            "Samples (preset / Theory graphs)", 1_000, MAX_N, None, 1_000, key="train_n",
            placeholder="tuned: 20,000 action, 100,000 temporal",
        ),
        "data_seed": rule_input(  # the generator takes the seeds training takes
            col, "Data seed", "seed", 0, key="train_data_seed",
            help="Fixes the generated data; vary the training seed on the same data to see the method's spread.",
        ),
        "dz": rule_input(
            col, "Learned latents dz", "dz", key="train_dz", placeholder="the data's true dz",
            help="Needed only for a dataset that carries neither z nor graphs.",
        ),
    }  # fmt: skip


def _method_inputs(col, method: methods.Method) -> dict:
    """The chosen method's own options (the sparsity settings for the sparse VAE), then the training seed."""
    if method.name == methods.SPARSE:
        values = _sparsity_inputs(col)
    else:
        values = {
            name: rule_input(col, OPTION_LABELS[name], name, getattr(DEFAULTS, name), key=f"train_{name}")
            for name in method.options
        }
        if not values:
            col.caption(f"{method.label} has no options of its own.")
    seed = rule_input(
        col, "Training seed", "seed", DEFAULTS.seed, key="train_seed", help="Fixes initialisation, batches and masks."
    )
    return values | {"seed": seed}


def _sparsity_inputs(col) -> dict:
    modes = SPARSITY_MODES[::-1]
    return {
        "sparsity": col.radio(
            "Sparsity regularisation", modes, modes.index(DEFAULTS.sparsity), horizontal=True, key="train_sparsity",
            help="constraint: expected edge count <= bound (Lagrangian); penalty: coefficient x expected edges; "
            "none: the unregularised baseline.",
        ),
        "bound": rule_input(
            col, "Constraint bound (edges)", "bound", key="train_bound", step=1.0, placeholder="true edge count",
            help="Target for the expected number of edges. Empty: the true edge count of the data's graphs.",
        ),
        "penalty": rule_input(col, "Penalty coefficient", "penalty", key="train_penalty", placeholder="tuned default"),
    }  # fmt: skip


def _limit_inputs(col) -> dict:
    return {
        "model_size": col.selectbox(
            "Model size", MODEL_SIZES, MODEL_SIZES.index(DEFAULTS.model_size), key="train_model_size"
        ),
        "max_seconds": rule_input(
            col, "Time limit (s)", "max_seconds", key="train_max_seconds", finest=1.0, step=30.0, format="%g",
            placeholder="none",
        ),
        "max_steps": rule_input(
            col, "Step limit", "max_steps", key="train_max_steps", step=1000, placeholder="tuned default"
        ),
        "device": col.selectbox(
            "Device", DEVICES, DEVICES.index(DEFAULTS.device), key="train_device",
            help=f"auto: CUDA when present. Here: {device_label()}.",
        ),
    }  # fmt: skip


def _config_form() -> dict | None:
    """The New run form; returns the values when Start is pressed, else None."""
    source = _source_inputs()
    with st.form("new-run", border=True):
        c1, c2, c3 = st.columns(3)
        method = methods.get(source["method"])
        values = source | _data_inputs(c1) | _method_inputs(c2, method) | _limit_inputs(c3)
        started = st.form_submit_button("Start training", type="primary")
    return values if started else None


def _start(form: dict) -> str:
    """Make the run's data and config from the form, then launch it; returns the run id (nothing is written when
    a check fails)."""
    n = None if form["n"] is None else int(form["n"])
    ds, name = _source(form["source"], form["preset"]).make(n, int(form["data_seed"]))
    return launch_run(registry, ds, default_config(ds, **form_overrides(form)), name)


def _controls(view: RunView) -> None:
    """Status line, the buttons that apply (pause / resume / stop a live run, resume a resumable one), the layout;
    in class mode the status line alone."""
    message = escape_markdown(view.message)
    status = f"**Run** `{view.run_id}` · {view.method.label} · status **{view.status}**"
    status += f" · {message}" if message else ""
    head = st.columns([4, 1, 1, 2], vertical_alignment="center") if not CLASS else [st.container()]
    head[0].markdown(status)
    if not CLASS:
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


def render_run(run_id: str) -> None:
    """One run: controls, progress, headline numbers, then the panels in the chosen layout."""
    view = shown.run_view(run_id, registry)
    _controls(view)
    snap = view.snapshot
    if snap is None:
        st.progress(0.0, text="Starting: building the model and its first evaluation…")
    else:
        st.progress(snap.progress, text=shown.progress_text(snap, view.live))
    if expected := shown.expectation_text(view):
        st.caption(expected)
    if snap is not None:
        numbers, caption = shown.headline(view, snap)
        for col, (label, value) in zip(st.columns(6), numbers, strict=False):
            col.metric(label, value)
        if caption:
            st.caption(caption)
        if snap.metrics.mcc is not None and view.method.name not in references.REFERENCE_METHODS and view.data_id:
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


def _references_row(view: RunView) -> None:
    """The floor and ceiling of this run's charts: their MCC when they exist, else one click to make them."""
    scores = reference_scores(view.data_id)
    if len(scores) == len(references.REFERENCE_METHODS):
        text = " · ".join(f"{label.split(': ')[1]} {value:.3f}" for label, value in scores.items())
        st.caption(f"Floor and ceiling on this data (dashed on the MCC curve): {text}.")
        return
    if CLASS:  # no buttons for the room
        return
    left, right = st.columns([3, 2], vertical_alignment="center")
    if _references_pending():
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
            st.session_state[REFERENCE_JOBS_KEY] = references.add_references(registry, view.run_id)
        except (ValueError, JobLimitError, OSError) as exc:
            st.error(escape_markdown(str(exc)))
        else:
            reference_scores.clear()
            st.rerun()


def _references_pending() -> bool:
    """A reference run started from this page still trains."""
    return any(registry.trains(r) for r in st.session_state.get(REFERENCE_JOBS_KEY, []))


def _presentation(view: RunView) -> None:
    """Four large panels in a 2 x 2 grid, each with one line saying what to look for (class mode: projector-sized,
    with image downloads)."""
    panels = run_figures(view, presentation=True, scale=CLASS_SCALE if CLASS else None)
    order = [k for k in ("graphs", "entanglement", "corr", "curves") if k in panels]
    captions = shown.presentation_captions(view)
    for start in range(0, len(order), 2):
        for col, key in zip(st.columns(2, gap="medium"), order[start : start + 2], strict=False):
            col.plotly_chart(panels[key], key=f"big-{key}", config=PANEL_PLOT_CONFIG)
            col.caption(captions[key])
            if CLASS:
                with col:
                    figure_downloads(panels[key], f"{view.run_id}-{key}", key=f"train-dl-{key}")


def _all_panels(view: RunView) -> None:
    """Every panel at once: graphs, pattern, |L P| and correlations in rows of four, then all the curves."""
    panels = run_figures(view, presentation=False)
    order = [k for k in ("true_ga", "learned_ga", "true_gz", "learned_gz", "pattern", "coef", "corr") if k in panels]
    beside_curves = order.pop() if len(order) % 4 == 1 else None
    for start in range(0, len(order), 4):
        for col, key in zip(st.columns(4), order[start : start + 4], strict=False):
            col.plotly_chart(panels[key], key=f"panel-{key}", config=PANEL_PLOT_CONFIG)
    panels_caption, curves_caption = shown.all_panels_captions(view)
    st.caption(panels_caption)
    curves_box = st
    if beside_curves is not None:
        left, curves_box = st.columns([1, 3])
        left.plotly_chart(panels[beside_curves], key=f"panel-{beside_curves}", config=PANEL_PLOT_CONFIG)
    curves_box.plotly_chart(panels["curves"], key="curves", config=PANEL_PLOT_CONFIG)
    st.caption(curves_caption)


run_id = st.query_params.get("run")
new_run_box = st.container()  # at the top, but filled after the live view: a run's link shows the run first
if run_id:
    try:
        store.load_run(run_id, arrays=False)
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        run_id = None
if run_id:
    followed = store.is_training(run_id) or _references_pending()  # other processes write what is shown
    refresh = REFRESH_SECONDS if registry.trains(run_id) else DISK_REFRESH_SECONDS if followed else None

    @st.fragment(run_every=refresh)
    def live_view() -> None:
        try:
            render_run(run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged run folder must not show a traceback
            st.error(escape_markdown(f"Cannot show run {run_id}: {exc}"))
        if refresh and not (registry.trains(run_id) or store.is_training(run_id) or _references_pending()):
            reference_scores.clear()  # a reference run may have just ended: its line shows in the last redraw
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
