"""What the Data page draws: statistics, principal components, latents against their parents, and the figures."""

from __future__ import annotations

import numpy as np

from mechsparse.data import previews
from mechsparse.data.synthetic import generate
from mechsparse.theory import graphs

SMALL = graphs.preset("teach-combined")


def _small(with_z: bool = True):
    ds = generate(SMALL, 30, t=3, dx=4, seed=0, name="small")
    if not with_z:
        ds.z = None
    return ds


def test_summary_statistics_cover_every_variable():
    ds = _small()
    table = previews.summary_statistics(ds)
    assert list(table["variable"]) == [f"x{i}" for i in range(1, 5)] + ["a1", "z1", "z2"]
    np.testing.assert_allclose(table["mean"].iloc[-1], ds.z[..., 1].mean(dtype=np.float64), rtol=1e-9)


def test_principal_components_match_the_top_directions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 1, 3)) * np.array([5.0, 2.0, 0.1])
    scores, explained, rows = previews.principal_components(x, max_rows=1000)
    assert scores.shape == (1000, 2) and len(rows) == 1000
    assert explained[0] > explained[1] > 0 and explained.sum() <= 1
    assert abs(np.corrcoef(scores[:, 0], x.reshape(-1, 3)[rows, 0])[0, 1]) > 0.99


def test_parent_panels_show_parents_and_one_non_parent():
    ds = generate(graphs.preset("action-nondiag"), 500, seed=0)
    panels = previews.parent_panels(ds)
    assert [p["parent"] for p in panels] == [True, True, True, False]
    for p in panels:
        i = int(p["y_title"][1:]) - 1
        j = int(p["x_title"][1:]) - 1
        assert ds.ga[i, j] == int(p["parent"])
    assert previews.parent_panels(_small(with_z=False)) == []


def test_principal_components_agree_with_an_svd_and_keep_their_signs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 2, 6)) @ rng.standard_normal((6, 6))
    scores, explained, rows = previews.principal_components(x)
    assert len(rows) == 1000 and scores.shape == (1000, 2)  # few enough points to draw as SVG
    sub = x.reshape(-1, 6)[rows]
    sub = sub - sub.mean(axis=0)
    _, s, vt = np.linalg.svd(sub, full_matrices=False)
    np.testing.assert_allclose(explained, s[:2] ** 2 / (s**2).sum(), rtol=1e-8)
    np.testing.assert_allclose(np.abs(scores), np.abs(sub @ vt[:2].T), rtol=1e-6, atol=1e-8)
    again, _, _ = previews.principal_components(x)
    np.testing.assert_array_equal(scores, again)


def test_preview_figures_draw_few_svg_points_not_webgl():
    """WebGL costs seconds in a browser without a GPU: the previews use SVG markers, a few hundred per panel."""
    ds = generate(graphs.preset("time-block-nondiag"), 10_000, t=2, seed=0)
    scatter = previews.parent_scatter(previews.parent_panels(ds))
    scores, explained, rows = previews.principal_components(ds.x)
    pca = previews.pca_scatter(scores, ds.z.reshape(-1, ds.dz)[rows, 0], colour_title="z1", explained=explained)
    for fig in (scatter, pca):
        assert {trace.type for trace in fig.data} <= {"scatter", "box"}
    assert max(len(trace.x) for trace in scatter.data) <= 500
    assert len(pca.data[0].x) <= 1000
