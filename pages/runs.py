"""Runs page: every saved run in a table; select several to overlay their curves, compare their final panels
side by side, export them as a zip, or delete them."""

from __future__ import annotations

import streamlit as st

from app_state import EXPORT_KEY, escape_markdown, job_registry, use_app_navigation
from mechsparse import export, figures, runs

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

use_app_navigation()
st.title("Runs")
st.caption(f"Every run is saved as it trains, in `{runs.runs_root()}`, and survives an app restart.")
registry = job_registry()

table = runs.list_runs()
live = {job.run_id: job.view().status for job in registry.jobs() if job.alive}
if len(table):
    table["status"] = [live.get(r, s) for r, s in zip(table["run"], table["status"], strict=True)]

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
    default=[r for r in st.query_params.get_all("run") if r in set(table["run"])],
    key="runs_selected",
    placeholder="choose one or more runs",
)
if not selected:
    st.info("Choose one or more runs above to overlay their curves, compare their final panels, export or delete.")
    st.stop()

records = {}
for run_id in selected:
    try:
        records[run_id] = runs.load_run(run_id)
    except ValueError as exc:  # a damaged run folder is reported (and can still be deleted below)
        st.error(escape_markdown(exc))

if records:
    links = " · ".join(f"[{r}](/train?run={r})" for r in records)
    st.markdown(f"Open on the Train page (watch live, resume): {links}")

st.subheader("Curves")
histories = {rec.label + f" ({rid[-4:]})": rec.history for rid, rec in records.items()}
present = [m for m in COMPARE_METRICS if any(m in h and h[m].notna().any() for h in histories.values())]
if not present:
    st.info("No evaluation has been recorded for these runs yet.")
metric_cols = st.columns(3)
for k, metric in enumerate(present):
    metric_cols[k % 3].plotly_chart(
        figures.compare_curves(histories, metric, title=COMPARE_METRICS[metric]),
        key=f"cmp-{metric}",
        config={"displayModeBar": False},
    )

st.subheader("Final panels side by side")
panel = st.radio("Panel", list(PANEL_CHOICES), format_func=PANEL_CHOICES.get, horizontal=True)
cols = st.columns(max(1, min(len(records), 4)))
for k, (run_id, rec) in enumerate(records.items()):
    panels = figures.run_panels(rec.snapshot, rec.true_graphs)
    col = cols[k % len(cols)]
    col.markdown(f"**{escape_markdown(rec.label)}** · {rec.shown_status(live.get(run_id))}")
    if panel in panels:
        panels[panel].update_layout(title={"text": f"{PANEL_CHOICES[panel]} · {run_id[-4:]}"})
        col.plotly_chart(panels[panel], key=f"side-{run_id}", config={"displayModeBar": False})
    else:
        col.info("Not available for this run (no snapshot yet, or no ground truth).")

st.subheader("Export and delete")
c1, c2 = st.columns(2)
with c1:
    images = st.checkbox("Include panels as PNG images (slower)", value=False)
    if st.button("Prepare zip", disabled=not records):
        try:
            with st.spinner("Exporting…"):
                st.session_state[EXPORT_KEY] = (tuple(records), export.export_zip(list(records), images=images))
        except Exception as exc:  # noqa: BLE001 - export problems are reported in one line
            st.error(escape_markdown(f"Export failed: {exc}"))
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared and prepared[0] == tuple(records):
        st.download_button("Download zip", prepared[1], file_name="mechsparse-runs.zip", mime="application/zip")
with c2:
    confirm = st.checkbox(f"Yes, delete {len(selected)} run(s) from disk")
    if st.button("Delete selected", disabled=not confirm):
        busy = [r for r in selected if r in live or runs.is_training(r)]
        if busy:
            st.error(f"Stop these runs before deleting them: {', '.join(busy)}")
        else:
            try:
                for run_id in selected:
                    runs.delete_run(run_id)
            except ValueError as exc:
                st.error(escape_markdown(exc))
            else:
                st.rerun()
