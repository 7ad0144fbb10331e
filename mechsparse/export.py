"""Exporting runs: one zip with, per run, its files, its learned matrices as CSV and its panels as images."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import plotly.graph_objects as go

from mechsparse import figures, runs

MATRICES = ("edge_probs_a", "edge_probs_z", "matched_probs_a", "matched_probs_z", "corr", "coef")


def _figure_files(name: str, fig: go.Figure, images: bool) -> dict[str, bytes]:
    """A panel as PNG through Plotly's own export (kaleido), or as standalone HTML where no browser is there."""
    if images:
        try:
            return {f"{name}.png": fig.to_image(format="png", scale=2)}
        except Exception:  # noqa: BLE001 - kaleido needs a Chrome; fall back to Plotly's HTML export
            pass
    return {f"{name}.html": fig.to_html(include_plotlyjs="cdn", full_html=True).encode()}


def export_files(run_id: str, *, images: bool = True) -> dict[str, bytes]:
    """The files of one run's export: config, summary, history, learned matrices (CSV) and the panels."""
    rec = runs.load_run(run_id)
    folder = runs.run_path(run_id)
    files = {
        name: (folder / name).read_bytes()
        for name in ("config.json", "summary.json", "history.csv")
        if (folder / name).exists()
    }
    snap = rec.snapshot
    for key in MATRICES:
        matrix = getattr(snap, key, None)
        if matrix is not None:
            buf = io.StringIO()
            np.savetxt(buf, np.asarray(matrix), delimiter=",", fmt="%.5f")
            files[f"{key}.csv"] = buf.getvalue().encode()
    panels = figures.run_panels(snap, rec.true_graphs)
    if len(rec.history):
        panels["curves"] = figures.training_curves(rec.history)
    for name, fig in panels.items():
        for fname, blob in _figure_files(name, fig, images).items():
            files[f"panels/{fname}"] = blob
    return files


def export_zip(run_ids: list[str], *, images: bool = True) -> bytes:
    """A zip with one folder per run (see export_files)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for run_id in run_ids:
            for name, blob in export_files(run_id, images=images).items():
                zf.writestr(f"{run_id}/{name}", blob)
    return buf.getvalue()
