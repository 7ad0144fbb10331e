"""Training figures: what the curves and the presentation panels say, read back from the figures themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mechsparse.figures.curves import SAME_LINES, bound_label, training_curves
from mechsparse.figures.panels import presentation_panels
from mechsparse.learning.evaluation import Metrics, Snapshot
from mechsparse.theory import graphs


def _history(r_con_offset: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": [0, 200, 400],
            "mcc": [0.3, 0.6, 0.9],
            "r_con": [0.3 + r_con_offset, 0.6 + r_con_offset, 0.9],
            "shd_a": [10, 5, 1],
            "elbo": [-3.0, -2.0, -1.0],
            "edge_count": [100.0, 60.0, 30.0],
            "bound": [100.0, 60.0, 30.0],
            "multiplier": [0.0, 0.1, 0.2],
            "loss": [3.0, 2.0, 1.0],
        }
    )


def test_r_con_equal_to_mcc_is_one_labelled_line():
    same = training_curves(_history())
    assert [t.name for t in same.data if t.name in ("MCC", "R_con", "MCC = R_con")] == ["MCC = R_con"]
    assert any(SAME_LINES in (a.text or "") for a in same.layout.annotations)
    apart = training_curves(_history(0.05))
    assert {"MCC", "R_con"} <= {t.name for t in apart.data}


def test_every_curve_panel_has_its_own_colour_and_a_y_title():
    fig = training_curves(_history())
    colours = {t.name: t.line.color for t in fig.data}
    assert len({colours["MCC = R_con"], colours["SHD Ga"], colours["expected edges"]}) == 3
    titles = [fig.layout[name].title.text for name in fig.layout if name.startswith("yaxis")]
    assert len(titles) == 6 and all(titles)


def test_bound_label_says_where_the_annealing_goes():
    h = _history()
    assert bound_label(h, target_bound=20.0) == "bound 100 → 20, annealing (now 30)"
    assert bound_label(h, target_bound=20.0, current_bound=25.0, short=True) == "bound → 20, now 25"
    assert bound_label(h, target_bound=30.0) == "bound 30 (annealed from 100)"
    assert bound_label(h.drop(columns="bound")) is None


def _snapshot(spec: graphs.GraphSpec) -> Snapshot:
    probs = np.clip(spec.ga + 0.1, 0, 1)
    return Snapshot.from_dict(
        {
            "step": 400,
            "edge_probs_a": probs,
            "matched_probs_a": probs,
            "corr": np.eye(spec.dz),
            "coef": np.eye(spec.dz),
            "pattern": np.eye(spec.dz, dtype=bool),
            "metrics": Metrics(mcc=0.9, r_con=0.9, shd_a=0, shd_z=None).to_dict(),
            "target_bound": 20.0,
        }
    )


def test_presentation_outlines_the_truth_on_what_was_learned():
    spec = graphs.preset("action-nondiag")
    before = presentation_panels(None, spec, None, pattern=np.eye(spec.dz, dtype=bool))
    assert set(before) == {"graphs", "entanglement", "curves"}  # the true graph and C stand in
    panels = presentation_panels(_snapshot(spec), spec, _history())
    assert set(panels) == {"graphs", "entanglement", "corr", "curves"}
    assert len(panels["graphs"].layout.shapes) == int(spec.ga.sum())  # one outline per true edge
    assert len(panels["entanglement"].layout.shapes) == spec.dz  # C = I: the diagonal outlined
