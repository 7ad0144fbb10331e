"""Runs page: every saved run in a table; select several to overlay their curves, compare their final panels
side by side, export them as a zip, or delete them; replay any run's timeline in the browser."""

from __future__ import annotations

import dataclasses

import plotly.graph_objects as go
import streamlit as st

from app_state import EXPORT_KEY, escape_markdown, job_registry
from mechsparse.figures.curves import compare_curves
from mechsparse.figures.panels import run_panels
from mechsparse.figures.replay import REPLAY_METRICS, replay_figure
from mechsparse.learning import timeline
from mechsparse.runs import export, store

COMPARE_METRICS = {
    "mcc": "MCC",
    "r_con": "R_con",
    "shd_a": "SHD Ga",
    "shd_z": "SHD Gz",
    "elbo": "ELBO",
    "edge_count": "expected edges",
    "multiplier": "dual variable",
}
PANEL_CHOICES = {
    "learned_ga": "learned Ga",
    "learned_gz": "learned Gz",
    "coef": "|L P|",
    "corr": "|corr|",
    "pattern": "pattern C",
}
PLOT_CONFIG = {"displayModeBar": False}
# Session keys of this page (widget keys, and what must survive the rerun after a delete).
SELECTED_KEY = "runs_selected"
PANEL_KEY = "runs_panel"
CONFIRM_KEY = "runs_delete_confirm"
REPLAY_KEY = "runs_replay"
REPLAY_METRIC_KEY = "runs_replay_metric"
REPLAY_DEFAULT_KEY = "_runs_replay_default"  # the run the replay defaulted to last time (it follows until changed)
DELETED_KEY = "_runs_deleted"  # (ids deleted, error or None) by the last Delete click, shown once after the rerun

# Figures are built once per version of a run folder: runs.run_stamp changes whenever the run writes, so a
# cache keyed on it is never stale, and a page rerun (or a second browser) costs no figure building.


@st.cache_resource(max_entries=64, show_spinner=False)
def _record(run_id: str, stamp: tuple) -> store.RunRecord:
    """The run as read from disk at this stamp; shared, so treated as read-only."""
    return store.load_run(run_id)


@st.cache_resource(max_entries=64, show_spinner=False)
def _panels(run_id: str, stamp: tuple) -> dict[str, go.Figure]:
    """The run's final panels that this page offers, titled with the run id's tail."""
    rec = _record(run_id, stamp)
    method = rec.method
    panels = run_panels(rec.snapshot, rec.true_graphs, no_graph=None if method.learns_graph else method.label)
    chosen = {name: fig for name, fig in panels.items() if name in PANEL_CHOICES}
    for name, fig in chosen.items():
        fig.update_layout(title={"text": f"{PANEL_CHOICES[name]} · {run_id[-4:]}"})
    return chosen


@st.cache_resource(max_entries=16, show_spinner=False)
def _compare(keyed: tuple[tuple[str, tuple], ...]) -> list[tuple[str, go.Figure]]:
    """(metric, overlay figure) for each metric that any of the runs (run id, stamp) has recorded."""
    histories = {}
    for run_id, stamp in keyed:
        rec = _record(run_id, stamp)
        histories[f"{rec.label} ({run_id[-4:]})"] = rec.history
    present = [m for m in COMPARE_METRICS if any(m in h and h[m].notna().any() for h in histories.values())]
    return [(m, compare_curves(histories, m, title=COMPARE_METRICS[m])) for m in present]


@st.cache_resource(max_entries=32, show_spinner=False)
def _timeline(run_id: str, stamp: tuple) -> timeline.Timeline | None:
    """The run's timeline at this stamp (None: recorded before timelines existed); shared, so read-only."""
    return store.load_timeline(run_id)


@st.cache_resource(max_entries=16, show_spinner=False)
def _replay(run_id: str, stamp: tuple, metric: str) -> go.Figure:
    """The run's replay animation: every frame travels to the browser once, which then plays it on its own."""
    truth = store.load_run(run_id, arrays=False).true_graphs
    return replay_figure(_timeline(run_id, stamp), truth, metric=metric)


def _replay_section(run_ids: list[str], default: str) -> None:
    """Choose a run (the default follows the selection until another is chosen) and play its timeline."""
    st.subheader("Replay")
    chosen = st.session_state.get(REPLAY_KEY)
    if chosen not in run_ids or chosen == st.session_state.get(REPLAY_DEFAULT_KEY):
        st.session_state[REPLAY_KEY] = default
    st.session_state[REPLAY_DEFAULT_KEY] = default
    run_id = st.selectbox("Run to replay", run_ids, key=REPLAY_KEY)
    try:
        stamp = store.run_stamp(run_id)
        recorded = _timeline(run_id, stamp)
    except ValueError as exc:  # the run vanished, or its timeline.npz is damaged
        st.error(escape_markdown(exc))
        return
    if recorded is None:
        st.caption("No replay for this run: it has no timeline.npz (runs recorded before replays existed have none).")
        return
    metrics = [m for m in REPLAY_METRICS if m in recorded.metrics()] or ["mcc"]
    if st.session_state.get(REPLAY_METRIC_KEY) not in metrics:
        st.session_state[REPLAY_METRIC_KEY] = "mcc" if "mcc" in metrics else metrics[0]
    metric = st.radio("Metric", metrics, format_func=REPLAY_METRICS.get, horizontal=True, key=REPLAY_METRIC_KEY)
    try:
        fig = _replay(run_id, stamp, metric)
    except ValueError as exc:
        st.error(escape_markdown(exc))
        return
    st.caption(f"{len(recorded)} snapshots of the run; ▶ Play runs in your browser, the slider scrubs by step.")
    st.plotly_chart(fig, key="replay", config=PLOT_CONFIG)


def _missing_reason(rec: store.RunRecord, panel: str | None) -> str:
    """Why a run has no such panel (None: no panel at all), as one sentence a user can act on."""
    snap = rec.snapshot
    if snap is None or not len(rec.history):
        return "No snapshot yet: this run has not been evaluated."
    truth = rec.true_graphs
    if panel == "learned_ga":
        temporal = truth is not None and truth.ga is None and truth.gz is not None
        return "This run has no Ga: " + ("temporal data, without actions." if temporal else "its data has no actions.")
    if panel == "learned_gz":
        action = truth is not None and truth.gz is None and truth.ga is not None
        return "This run has no Gz: " + ("action data, without time steps." if action else "its data has no time.")
    if panel == "pattern":
        return "No pattern C: this run's data has no true graphs."
    return "No ground truth (true latents) for this run, so no matched panel."


def _forget_deleted(known: set[str]) -> tuple[list[str], str | None]:
    """Drop runs that no longer exist from the selection and the URL's ?run=, before the widgets are made; return
    what the last Delete click removed (and its error), to say once."""
    deleted, error = st.session_state.pop(DELETED_KEY, None) or ([], None)
    if deleted:
        st.session_state[CONFIRM_KEY] = False  # the next delete needs a fresh confirmation
    if SELECTED_KEY in st.session_state:
        kept = [r for r in st.session_state[SELECTED_KEY] if r in known]
        if kept != list(st.session_state[SELECTED_KEY]):
            st.session_state[SELECTED_KEY] = kept
    linked = st.query_params.get_all("run")
    if any(r not in known for r in linked):
        remaining = [r for r in linked if r in known]
        if remaining:
            st.query_params["run"] = remaining
        else:
            del st.query_params["run"]
    return deleted, error


def _delete(selected: list[str], live: dict[str, str]) -> None:
    """Delete the selected runs (none while one trains) and rerun, so the table and the URL forget them."""
    busy = [r for r in selected if r in live or store.is_training(r)]
    if busy:
        st.error(f"Stop these runs before deleting them: {escape_markdown(', '.join(busy))}")
        return
    deleted, error = [], None
    for run_id in selected:
        try:
            store.delete_run(run_id)
        except ValueError as exc:
            error = str(exc)
            break
        deleted.append(run_id)
    st.session_state[DELETED_KEY] = (deleted, error)
    st.rerun()


st.title("Runs")
st.caption(f"Every run is saved as it trains, in `{store.runs_root()}`, and survives an app restart.")
registry = job_registry()

table = store.list_runs()
live = {job.run_id: job.view().status for job in registry.jobs() if job.alive}
if len(table):
    table["status"] = [live.get(r, s) for r, s in zip(table["run"], table["status"], strict=True)]
deleted, delete_error = _forget_deleted(set(table["run"]))
if deleted:
    message = f"Deleted {len(deleted)} run{'s' if len(deleted) > 1 else ''}: {', '.join(deleted)}"
    st.success(escape_markdown(message))
if delete_error:
    st.error(escape_markdown(delete_error))

if table.empty:
    st.info("No runs yet. Start one on the Train page.")
    st.stop()

st.dataframe(
    table,
    hide_index=True,
    column_config={
        "mcc": st.column_config.NumberColumn("MCC", format="%.3f"),
        "r_con": st.column_config.NumberColumn("R_con", format="%.3f"),
        "shd_a": st.column_config.NumberColumn("SHD Ga", format="%d"),
        "shd_z": st.column_config.NumberColumn("SHD Gz", format="%d"),
    },
)
selected = st.multiselect(
    "Runs to compare, export or delete",
    list(table["run"]),
    default=None if SELECTED_KEY in st.session_state else list(dict.fromkeys(st.query_params.get_all("run"))),
    key=SELECTED_KEY,
    placeholder="choose one or more runs",
)
if not selected:
    st.info("Choose one or more runs above to overlay their curves, compare their final panels, export or delete.")
    _replay_section(list(table["run"]), str(table["run"].iloc[0]))  # the newest run
    st.stop()

records: dict[str, store.RunRecord] = {}
stamps: dict[str, tuple] = {}
for run_id in selected:
    try:
        stamps[run_id] = store.run_stamp(run_id)
        # the lock is no file content: ask it afresh, so a run whose process died shows as interrupted
        records[run_id] = dataclasses.replace(_record(run_id, stamps[run_id]), locked=store.is_training(run_id))
    except ValueError as exc:  # a damaged run folder is reported (and can still be deleted below)
        st.error(escape_markdown(exc))

if records:
    links = " · ".join(f"[{r}](/train?run={r})" for r in records)
    st.markdown(f"Open on the Train page (watch live, resume): {links}")

st.subheader("Curves")
curves = _compare(tuple((r, stamps[r]) for r in records))
if not curves:
    st.info("No evaluation has been recorded for these runs yet.")
metric_cols = st.columns(3)
for k, (metric, fig) in enumerate(curves):
    metric_cols[k % 3].plotly_chart(fig, key=f"cmp-{metric}", config=PLOT_CONFIG)

st.subheader("Final panels side by side")
have = {run_id: _panels(run_id, stamps[run_id]) for run_id in records}
offered = [p for p in PANEL_CHOICES if any(p in h for h in have.values())]
panel = None
if offered:
    if st.session_state.get(PANEL_KEY) not in offered:  # default: the first panel every run has, else any has
        common = [p for p in offered if all(p in h for h in have.values())]
        st.session_state[PANEL_KEY] = (common or offered)[0]
    panel = st.radio("Panel", offered, format_func=PANEL_CHOICES.get, horizontal=True, key=PANEL_KEY)
cols = st.columns(max(1, min(len(records), 4)))
for k, (run_id, rec) in enumerate(records.items()):
    col = cols[k % len(cols)]
    method = rec.method.label
    col.markdown(f"**{escape_markdown(rec.label)}** · {method} · {rec.shown_status(live.get(run_id))}")
    if panel is not None and panel in have[run_id]:
        col.plotly_chart(have[run_id][panel], key=f"side-{run_id}", config=PLOT_CONFIG)
    else:
        col.info(_missing_reason(rec, panel))

_replay_section(list(table["run"]), selected[0])

st.subheader("Export and delete")
c1, c2 = st.columns(2)
with c1:
    images = st.checkbox(
        "Include panels as PNG images (slower)",
        value=False,
        help="Rendered in a headless browser; where none is installed the panels are saved as HTML.",
    )
    if st.button("Prepare zip", disabled=not records):
        bar = st.progress(0.0, text="Reading the runs")
        try:
            blob = export.export_zip(
                list(records), images=images, progress=lambda done, text: bar.progress(min(1.0, done), text=text)
            )
        except Exception as exc:  # noqa: BLE001 - export problems are reported in one line
            st.error(escape_markdown(f"Export failed: {exc}"))
        else:
            st.session_state[EXPORT_KEY] = (tuple(records), blob)
            if images and export.html_panels(blob):
                st.info("No headless browser could draw PNG images here, so the zip holds the panels as HTML.")
        finally:
            bar.empty()
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared and prepared[0] == tuple(records):
        st.download_button("Download zip", prepared[1], file_name="mechsparse-runs.zip", mime="application/zip")
with c2:
    confirm = st.checkbox(f"Yes, delete {len(selected)} run(s) from disk", key=CONFIRM_KEY)
    if st.button("Delete selected", disabled=not confirm):
        _delete(selected, live)
