"""What the Data page draws: statistics, principal components, latents against their parents, and the figures."""

from __future__ import annotations

import numpy as np

from mechsparse import graphs, previews
from mechsparse.synthetic import generate

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
