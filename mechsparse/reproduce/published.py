"""The paper's published numbers (Lachapelle et al., arXiv 2401.04890), shipped as package data, and how a grid
cell finds the number it is compared with.

paper_results.csv is docs/paper-numbers.md's table as data (facts only): one row per dataset, method, setting
and metric with the mean, the sample std and the number of seeds over the authors' runs, and the log file it came
from. The paper's dataset names (ActionNonDiag, TimeBlockDiag_k=2, ...) map to our presets and variants; its
"unregularized" column is our sparsity "none", and its constraint at the true edge count is our default bound.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd

METRICS = ("mcc", "r_con", "shd")  # what the tables compare; the CSV also has r, r_con_T, n_edges, elbo, udr
# our preset -> the paper's dataset name; variants append a suffix
PAPER_DATASETS = {
    "action-diag": "ActionDiag",
    "action-nondiag": "ActionNonDiag",
    "action-block-diag": "ActionBlockDiag",
    "action-block-nondiag": "ActionBlockNonDiag",
    "time-diag": "TimeDiag",
    "time-nondiag": "TimeNonDiag",
    "time-block-diag": "TimeBlockDiag",
    "time-block-nondiag": "TimeBlockNonDiag",
}
VARIANT_SUFFIX = {"standard": "", "k=2": "_k=2", "no_suff_var": "_NoSuffVar"}
# our method name -> the paper's, for the methods the paper ran
PAPER_METHODS = {"ivae": "iVAE", "tcvae": "TCVAE", "slowvae": "SlowVAE", "pcl": "PCL"}
PAPER_METHODS |= {"supervised": "supervised", "random": "random"}


@dataclass(frozen=True)
class PaperNumber:
    """One published figure: mean and sample std over n seeds, the setting it belongs to and its source."""

    mean: float
    std: float
    n: int
    setting: str
    source: str

    def agreement(self, ours: float, *, lower_is_better: bool = False) -> str:
        """'better' (ours at least the paper's mean), 'within' (within one paper std of it), or 'below'."""
        gap = (self.mean - ours) if lower_is_better else (ours - self.mean)
        if gap >= 0:
            return "better"
        return "within" if -gap <= self.std + 1e-9 else "below"


@functools.cache
def table() -> pd.DataFrame:
    """Every published number (columns dataset, method, setting, metric, mean, std, n_seeds, source)."""
    with resources.files("mechsparse.reproduce").joinpath("paper_results.csv").open("r") as fh:
        return pd.read_csv(fh)


def paper_dataset(preset: str, variant: str = "standard") -> str | None:
    """The paper's name for a preset and variant ('ActionNonDiag_k=2'), or None if the paper has no such data."""
    base = PAPER_DATASETS.get(preset)
    if base is None or variant not in VARIANT_SUFFIX:
        return None
    name = base + VARIANT_SUFFIX[variant]
    return name if (table()["dataset"] == name).any() else None


def _number(rows: pd.DataFrame) -> PaperNumber | None:
    if rows.empty:
        return None
    row = rows.iloc[0]  # the constraint file's run before the penalty file's where both logged one (caveat 5)
    std = float(row["std"]) if pd.notna(row["std"]) else 0.0
    return PaperNumber(float(row["mean"]), std, int(row["n_seeds"]), str(row["setting"]), str(row["source"]))


def _setting_rows(dataset: str, method: str, metric: str) -> pd.DataFrame:
    t = table()
    rows = t[(t["dataset"] == dataset) & (t["method"] == method) & (t["metric"] == metric)]
    return rows.sort_values("source", key=lambda s: ~s.str.contains("/constraint/"), kind="stable")


def _bound_of(setting: str) -> float | None:
    """10.0 for 'bound=10' and 20.0 for 'bound=gt(20)'."""
    text = setting.removeprefix("bound=").removeprefix("gt(").removesuffix(")")
    try:
        return float(text)
    except ValueError:
        return None


def lookup(
    dataset: str,
    config: dict,
    metric: str,
    true_edges: int | None = None,
) -> PaperNumber | None:
    """The paper's number for a cell: ``dataset`` is the paper's name, ``config`` the cell's TrainConfig values
    (method, sparsity, bound, penalty, beta, gamma, rate). A constraint with no bound (ours: the true edge count)
    takes the paper's bound nearest to ``true_edges``, as docs/paper-numbers.md's headline table does. None when the
    paper has no such number."""
    method = config.get("method", "sparse")
    if method != "sparse":
        name = PAPER_METHODS.get(method)
        if name is None:
            return None
        rows = _setting_rows(dataset, name, metric)
        if method == "tcvae":
            rows = rows[rows["setting"] == f"beta={config.get('beta', 0.25):g}"]
        elif method == "slowvae":
            rows = rows[
                rows["setting"] == f"gamma={config.get('gamma', 8.0):g};rate_prior={config.get('rate', 10.0):g}"
            ]
        return _number(rows)
    sparsity = config.get("sparsity", "constraint")
    if sparsity == "none" or config.get("masks") == "full":
        return _number(_setting_rows(dataset, "unregularized", metric))
    if sparsity == "penalty":
        rows = _setting_rows(dataset, "penalty", metric)
        return _number(rows[rows["setting"] == f"coeff={config.get('penalty', 16.0):g}"])
    rows = _setting_rows(dataset, "constraint", metric)
    bounds = rows["setting"].map(_bound_of)
    target = config.get("bound")
    if target is None:
        if true_edges is None or bounds.isna().all():
            return None
        nearest = (bounds - true_edges).abs()
        return _number(rows[nearest == nearest.min()].iloc[:1])
    return _number(rows[bounds == float(target)])
