"""Export: labelled CSVs of the learned matrices, one browser session for every PNG, HTML where no browser is,
and progress reported as it goes."""

from __future__ import annotations

import io
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from mechsparse.data import synthetic
from mechsparse.learning.config import default_config
from mechsparse.learning.evaluation import Snapshot
from mechsparse.runs import evaluations, export, store
from mechsparse.theory import graphs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _snapshot(*, temporal: bool) -> Snapshot:
    """A finished run's snapshot: 3 learned latents, 2 actions (or none, with time), matched and unmatched."""
    rng = np.random.default_rng(0)
    key = "z" if temporal else "a"
    probs = rng.uniform(size=(3, 3 if temporal else 2))
    return Snapshot.from_dict(
        {
            "step": 40,
            "metrics": {"mcc": 0.9},
            f"edge_probs_{key}": probs,
            f"matched_probs_{key}": probs[::-1],
            "corr": rng.uniform(size=(3, 3)),
            "coef": rng.uniform(size=(3, 3)),
            "pattern": np.eye(3, dtype=bool),
            "device": "cpu",
        }
    )


def _saved_run(name: str, *, temporal: bool) -> str:
    preset = "teach-combined" if temporal else "teach-nested"
    ds = synthetic.generate(graphs.preset(preset), 100, t=2 if temporal else 1, seed=0, name=name)
    folder = store.create_run(ds, default_config(ds, sparsity="constraint", device="cpu"), name)
    evaluations.save_snapshot(folder, _snapshot(temporal=temporal))
    evaluations.write_history(folder, [{"step": 20, "mcc": 0.5, "loss": 2.0}, {"step": 40, "mcc": 0.9, "loss": 1.0}])
    store.update_summary(folder, status="finished")
    return folder.name


def _csv(blob: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(blob), index_col=0, encoding="utf-8")


def _zip(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.mark.parametrize(
    ("key", "shape", "rows", "cols", "corner"),
    [
        ("edge_probs_a", (3, 2), ["ẑ1", "ẑ2", "ẑ3"], ["a1", "a2"], "child/parent"),
        ("matched_probs_a", (3, 2), ["z1", "z2", "z3"], ["a1", "a2"], "child/parent"),
        ("edge_probs_z", (2, 2), ["ẑ1", "ẑ2"], ["ẑ1'", "ẑ2'"], "child/parent"),
        ("matched_probs_z", (2, 2), ["z1", "z2"], ["z1'", "z2'"], "child/parent"),
        ("coef", (2, 2), ["z1", "z2"], ["ẑ1", "ẑ2"], "true/learned"),
        ("corr", (2, 3), ["z1", "z2"], ["ẑ1", "ẑ2", "ẑ3"], "true/learned"),
        ("pattern", (2, 2), ["z1", "z2"], ["ẑ1", "ẑ2"], "true/learned"),
    ],
)
def test_matrix_labels_follow_the_figures(key, shape, rows, cols, corner):
    assert export.matrix_labels(key, shape) == (rows, cols, corner)


def test_matrix_csv_has_a_header_row_and_an_index_column():
    m = np.array([[0.123456, 1.0], [0.0, 0.5]])
    table = _csv(export.matrix_csv("matched_probs_z", m))
    assert table.index.name == "child/parent"
    assert list(table.index) == ["z1", "z2"] and list(table.columns) == ["z1'", "z2'"]
    np.testing.assert_allclose(table.to_numpy(), m, atol=1e-5)
    pattern = _csv(export.matrix_csv("pattern", np.eye(2, dtype=bool)))
    assert pattern.to_numpy().tolist() == [[1, 0], [0, 1]]


def test_zip_without_images_holds_labelled_csvs_and_html_panels(runs_dir):
    run_id = _saved_run("action", temporal=False)
    files = _zip(export.export_zip([run_id], images=False))
    names = {n.split("/", 1)[1] for n in files if n.startswith(f"{run_id}/")}
    assert {"config.json", "summary.json", "history.csv"} <= names
    assert {"edge_probs_a.csv", "matched_probs_a.csv", "coef.csv", "corr.csv", "pattern.csv"} <= names
    assert "edge_probs_z.csv" not in names  # action data: no Gz
    assert {"panels/learned_ga.html", "panels/coef.html", "panels/curves.html"} <= names
    coef = _csv(files[f"{run_id}/coef.csv"])
    assert list(coef.index) == ["z1", "z2", "z3"] and list(coef.columns) == ["ẑ1", "ẑ2", "ẑ3"]
    learned = _csv(files[f"{run_id}/matched_probs_a.csv"])
    assert list(learned.columns) == ["a1", "a2"] and learned.index.name == "child/parent"


def test_progress_names_each_run_and_panel(runs_dir, monkeypatch):
    ids = [_saved_run("one", temporal=False), _saved_run("two", temporal=True)]
    monkeypatch.setattr(export, "render_pngs", lambda figs, progress, start=0.0: {})  # no browser needed here
    calls = []
    files = export.export_runs(ids, images=True, progress=lambda f, text: calls.append((f, text)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)
    assert any("run 2/2" in text for _, text in calls)
    assert "panels/learned_gz.html" in files[ids[1]]  # not rendered: falls back to HTML


def test_no_browser_falls_back_to_html(runs_dir, no_kaleido_browser):
    run_id = _saved_run("nobrowser", temporal=True)
    files = export.export_runs([run_id], images=True)[run_id]
    panels = [n for n in files if n.startswith("panels/")]
    assert panels and all(n.endswith(".html") for n in panels)
    assert "edge_probs_z.csv" in files and "matched_probs_z.csv" in files
    assert len(export.html_panels(export.export_zip([run_id], images=True))) == len(panels)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("google-chrome") is None, reason="no browser")
def test_images_of_two_runs_come_from_one_browser_session(runs_dir, monkeypatch):
    import kaleido

    sessions = []
    real = kaleido.Kaleido

    def counting(*args, **kwargs):
        sessions.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(kaleido, "Kaleido", counting)
    ids = [_saved_run("png-a", temporal=False), _saved_run("png-b", temporal=True)]
    texts = []
    files = _zip(export.export_zip(ids, images=True, progress=lambda f, text: texts.append(text)))
    pngs = [n for n in files if n.endswith(".png")]
    assert len(sessions) == 1
    assert f"{ids[0]}/panels/learned_ga.png" in pngs and f"{ids[1]}/panels/learned_gz.png" in pngs
    assert not [n for n in files if n.endswith(".html")]
    assert all(files[n].startswith(PNG_MAGIC) for n in pngs)
    assert any(text.startswith("run 1/2, panel") for text in texts)


# ---------------------------------------------------------------- one figure on click (class mode downloads)


def _small_figure():
    from mechsparse.figures.graph_drawings import pattern_figure
    from mechsparse.figures.style import projector

    return projector(pattern_figure(np.eye(3, dtype=bool)))


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("google-chrome") is None, reason="no browser")
def test_render_image_draws_one_figure_as_png_and_svg():
    assert export.render_image(_small_figure(), "png").startswith(PNG_MAGIC)
    assert b"<svg" in export.render_image(_small_figure(), "svg")[:200]


def test_render_image_says_in_one_line_why_it_cannot(no_kaleido_browser):
    pytest.importorskip("kaleido.errors")  # the fixture's error class lives there; `import kaleido` does not load it
    with pytest.raises(ValueError, match="cannot render the figure as PNG: no browser here") as err:
        export.render_image(_small_figure(), "png")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="png, svg"):
        export.render_image(_small_figure(), "jpeg")


def test_a_run_with_a_timeline_exports_it(runs_dir):
    from mechsparse.learning.timeline import Timeline, save_timeline

    run_id = _saved_run("replayable", temporal=False)
    recorded = Timeline()
    recorded.add(20, 1.0, {"mcc": 0.5}, edge_probs_a=np.full((3, 2), 0.5))
    save_timeline(store.run_path(run_id), recorded)
    files = export.export_runs([run_id], images=False)[run_id]
    assert files["timeline.npz"] == (store.run_path(run_id) / "timeline.npz").read_bytes()
    old = _saved_run("old", temporal=False)
    assert "timeline.npz" not in export.export_runs([old], images=False)[old]
