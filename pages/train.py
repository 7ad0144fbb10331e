"""Train page: configure a run, start it in the background, watch it learn the graphs and the latents live."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from app_state import DATASET_KEY, GRAPHS_KEY, device_label, job_registry, use_app_navigation
from mechsparse import data, figures, graphs, runs
from mechsparse.jobs import JobLimitError

SOURCES = ("Preset", "Graphs from the Theory page", "Dataset from the Data page")
REFRESH_SECONDS = 1.0

use_app_navigation()
st.title("Train")
st.caption(
    "Fit the sparsity-regularised VAE in the background. The learned graphs and latents update live beside "
    "what the theory says can be identified. Share a run with its link: it reattaches to the same live run."
)
registry = job_registry()


def _pick_dataset(source: str, preset_name: str, n: int, seed: int) -> tuple[data.Dataset, str]:
    """The dataset a new run trains on, and a short name for it."""
    if source == SOURCES[0]:
        return data.generate(graphs.preset(preset_name), n, seed=seed, name=preset_name), preset_name
    if source == SOURCES[1]:
        spec = st.session_state.get(GRAPHS_KEY)
        if spec is None:
            raise ValueError("no graphs on the Theory page yet: open Theory and pick or edit a graph first")
        return data.generate(spec, n, seed=seed, name="theory-graphs"), "theory-graphs"
    ds = st.session_state.get(DATASET_KEY)
    if ds is None:
        raise ValueError("no dataset chosen on the Data page yet: generate or upload one there first")
    return ds, ds.name


def _config_form():
    """The New run form; returns the values when Start is pressed, else None."""
    from mechsparse import training

    with st.form("new-run", border=True):
        c1, c2, c3 = st.columns(3)
        source = c1.radio("Data", SOURCES, index=0, key="train_source")
        presets = list(graphs.PRESETS)
        preset_name = c1.selectbox(
            "Preset",
            presets,
            index=presets.index(graphs.DEFAULT_PRESET),
            key="train_preset",
            help="Used when Data is 'Preset'.",
        )
        n = c1.number_input("Samples (preset / Theory graphs)", 1_000, 1_000_000, 20_000, step=1_000, key="train_n")
        sparsity = c2.radio(
            "Sparsity regularisation",
            training.SPARSITY_MODES[::-1],
            horizontal=True,
            key="train_sparsity",
            help="constraint: expected edge count <= bound (Lagrangian); penalty: coefficient x expected edges; "
            "none: the unregularised baseline.",
        )
        bound = c2.number_input(
            "Constraint bound (edges)",
            0.0,
            1000.0,
            None,
            step=1.0,
            key="train_bound",
            placeholder="true edge count",
            help="Target for the expected number of edges. Empty: the true edge count of the data's graphs.",
        )
        penalty = c2.number_input(
            "Penalty coefficient",
            0.0,
            1000.0,
            None,
            key="train_penalty",
            placeholder="tuned default",
        )
        seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="train_seed")
        dz = c1.number_input(
            "Learned latents dz",
            1,
            graphs.MAX_DIM,
            None,
            key="train_dz",
            placeholder="the data's true dz",
            help="Needed only for a dataset that carries neither z nor graphs.",
        )
        model_size = c3.selectbox("Model size", training.MODEL_SIZES, index=0, key="train_model_size")
        max_seconds = c3.number_input(
            "Time limit (s)", 1, 24 * 3600, None, step=30, key="train_max_seconds", placeholder="none"
        )
        max_steps = c3.number_input(
            "Step limit", 1, 10_000_000, None, step=1000, key="train_max_steps", placeholder="tuned default"
        )
        device = c3.selectbox(
            "Device",
            training.DEVICES,
            key="train_device",
            help=f"auto picks CUDA when present. Here: {device_label()}.",
        )
        started = st.form_submit_button("Start training", type="primary")
    if not started:
        return None
    return {
        "source": source,
        "preset": preset_name,
        "n": int(n),
        "sparsity": sparsity,
        "bound": bound,
        "penalty": penalty,
        "seed": int(seed),
        "model_size": model_size,
        "max_seconds": max_seconds,
        "max_steps": max_steps,
        "device": device,
        "dz": dz,
    }


def _start(form: dict) -> str:
    """Create the run folder and start the job; returns the run id."""
    from mechsparse import training

    ds, name = _pick_dataset(form["source"], form["preset"], form["n"], form["seed"])
    overrides = {
        "sparsity": form["sparsity"],
        "seed": form["seed"],
        "model_size": form["model_size"],
        "device": form["device"],
    }
    for key, cast in (("bound", float), ("penalty", float), ("max_seconds", float), ("max_steps", int), ("dz", int)):
        if form[key] is not None:
            overrides[key] = cast(form[key])
    config = training.default_config(ds, **overrides)
    if config.sparsity == "constraint" and config.bound is None and ds.graphs is None:
        raise ValueError("this dataset has no true graphs, so the constraint needs a bound: enter one, or use penalty")
    training.resolve_device(config.device)  # refuse 'cuda' without a GPU before anything is written
    label = f"{name}-{form['sparsity']}-s{form['seed']}"
    spec = ds.graphs
    meta = {"data": name, "n": ds.n, "graphs": graphs.encode(spec) if spec is not None else None}
    run_id = runs.create_run(label, config.to_dict(), ds, meta=meta)
    registry.start(run_id, ds, config)
    return run_id


def _resume(run_id: str) -> None:
    from mechsparse import training

    record = runs.load_run(run_id)
    config = training.TrainConfig.from_dict(record.config)
    registry.start(run_id, runs.load_dataset_of(run_id), config, resume=True)


def _fields(snapshot) -> dict:
    return {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(snapshot)}


def _fmt(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def render_run(run_id: str) -> None:
    """One run: controls, progress, headline numbers, the four panels and the curves."""
    job = registry.get(run_id)
    record = runs.load_run(run_id, arrays=job is None)  # a live job's numbers come from its snapshots
    if job is not None:
        view = job.view()
        status, message = view.status, view.message
        fields = _fields(view.snapshot) if view.snapshot is not None else None
        history = list(view.snapshot.history) if view.snapshot is not None else []
    else:
        status, message = record.shown_status(), record.summary.get("message", "")
        if status == "interrupted":
            message = "the app restarted while this run was training; resume it from its checkpoint"
        fields, history = record.snapshot, record.history
    live = job is not None and job.alive

    head = st.columns([3, 1, 1, 1])
    head[0].markdown(f"**Run** `{run_id}` · status **{status}**" + (f" · {message}" if message else ""))
    if live and status != "paused" and head[1].button("Pause", key="pause"):
        job.pause()
    if live and status == "paused" and head[1].button("Resume", key="resume"):
        job.resume()
    if live and head[2].button("Stop", key="stop"):
        job.stop()
    if not live and status in ("stopped", "interrupted", "failed") and head[1].button("Resume", key="resume-disk"):
        try:
            _resume(run_id)
            st.rerun()
        except (ValueError, JobLimitError, OSError) as exc:
            st.error(str(exc))
    if status == "failed":
        st.error(f"This run failed: {message}")

    if fields is None:
        st.info("Starting: building the model and the first snapshot…")
        return
    cfg = record.config
    step, max_steps = fields.get("step", 0), cfg.get("max_steps")
    elapsed, max_seconds = fields.get("elapsed", 0.0), cfg.get("max_seconds")
    fractions = [step / max_steps if max_steps else 0.0, elapsed / max_seconds if max_seconds else 0.0]
    st.progress(
        min(1.0, max(fractions)),
        text=f"step {step:,} · {elapsed:.0f} s · "
        f"{fields.get('steps_per_second', 0.0):.1f} steps/s · device {fields.get('device', '?')}",
    )

    metrics = fields.get("metrics") or {}
    cols = st.columns(6)
    cols[0].metric("MCC", _fmt(metrics.get("mcc")))
    cols[1].metric("R_con", _fmt(metrics.get("r_con")))
    shd = [metrics.get(k) for k in ("shd_a", "shd_z") if metrics.get(k) is not None]
    cols[2].metric("SHD", _fmt(sum(shd)) if shd else "—")
    cols[3].metric("ELBO", _fmt(fields.get("elbo"), 2))
    bound = fields.get("bound")
    cols[4].metric("Expected edges", _fmt(fields.get("edge_count"), 1) + (f" / {bound:.0f}" if bound else ""))
    cols[5].metric("Multiplier", _fmt(fields.get("multiplier"), 3))

    panels = figures.run_panels(fields, record.true_graphs)
    if metrics.get("mcc") is None:
        st.info(
            "This dataset has no ground-truth latents, so MCC, R_con, SHD and the matched panels are absent: "
            "the learned graphs are shown in the model's own latent order."
        )
    order = [k for k in ("true_ga", "learned_ga", "true_gz", "learned_gz", "pattern", "coef", "corr") if k in panels]
    beside_curves = order.pop() if len(order) % 4 == 1 else None
    for start in range(0, len(order), 4):
        row = st.columns(4)
        for col, key in zip(row, order[start : start + 4], strict=False):
            col.plotly_chart(panels[key], key=f"panel-{key}", config={"displayModeBar": False})
    st.caption("Colour scales are fixed: 0 (white) to 1 (dark blue), so frames and runs compare directly.")
    hist = history if isinstance(history, pd.DataFrame) else pd.DataFrame(history)
    curves = figures.training_curves(hist if len(hist) else None)
    if beside_curves is not None:
        left, right = st.columns([1, 3])
        left.plotly_chart(panels[beside_curves], key=f"panel-{beside_curves}", config={"displayModeBar": False})
        right.plotly_chart(curves, key="curves")
    else:
        st.plotly_chart(curves, key="curves")
    if job is not None and not live and status in ("finished", "stopped", "failed"):
        st.caption(f"Saved in {runs.run_path(run_id)}")


# ---------------------------------------------------------------- page flow

form = None
run_id = st.query_params.get("run")
with st.expander("New run", expanded=run_id is None):
    try:
        form = _config_form()
    except Exception as exc:  # noqa: BLE001 - configuration must never show a traceback
        st.error(f"Cannot build the form: {exc}")
if form is not None:
    try:
        run_id = _start(form)
        st.query_params["run"] = run_id
    except (ValueError, JobLimitError, OSError) as exc:
        st.error(str(exc))

if run_id:
    try:
        runs.load_run(run_id, arrays=False)
    except ValueError as exc:
        st.error(str(exc))
        run_id = None
if run_id:
    job = registry.get(run_id)
    is_live = job is not None and job.alive

    @st.fragment(run_every=REFRESH_SECONDS if is_live else None)
    def live_view() -> None:
        try:
            render_run(run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged run folder must not show a traceback
            st.error(f"Cannot show run {run_id}: {exc}")
        still_live = registry.get(run_id) is not None and registry.get(run_id).alive
        if is_live and not still_live:
            st.rerun()  # the run ended: redraw once without the timer

    live_view()
else:
    st.info(f"Configure a run above and press Start. Training runs on {device_label()}.")
