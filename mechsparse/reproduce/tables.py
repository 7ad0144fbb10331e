"""A grid's results as the paper's tables: mean ± std over seeds per dataset and method, the published number
beside each (mechsparse.reproduce.published), and whether ours is within the paper's spread or better.

Agreement is judged on the dataset's headline score, the one the theory promises: MCC where every latent is
identified, R_con on block graphs (where MCC is not expected to reach 1).
"""

from __future__ import annotations

import math

import pandas as pd

from mechsparse.reproduce import grids, published

METRIC_LABELS = {"mcc": "MCC", "r_con": "R_con", "shd": "SHD"}
LOWER_IS_BETTER = {"shd"}
MARKS = {"better": "✓", "within": "≈", "below": "✗", "": ""}
TABLE_COLUMNS = ["dataset", "paper_dataset", "method", "runs", "headline"]
for _m in published.METRICS:
    TABLE_COLUMNS += [f"{_m}_mean", f"{_m}_std", f"{_m}_paper", f"{_m}_paper_std"]
TABLE_COLUMNS += ["agreement"]


def _finite(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").dropna()


def summarise(results: pd.DataFrame, grid: grids.Grid) -> pd.DataFrame:
    """One row per dataset and method of ``grid`` (in the grid's order) from results.csv's rows: the finished runs'
    mean and sample std (ddof 1; 0 for one run) of MCC, R_con and SHD, the paper's mean and std for the same
    setting (NaN where it has none), and the headline score's agreement: better | within | below ('' when
    there is nothing to compare)."""
    finished = results[results["status"] == "finished"] if len(results) else results
    rows = []
    for data in grid.datasets:
        for method in grid.methods:
            if grids.refusal(data, method) is not None:
                continue
            mine = finished[(finished["dataset"] == data.key) & (finished["method"] == method.name)]
            row = {
                "dataset": data.key,
                "paper_dataset": data.paper_name or "",
                "method": method.name,
                "runs": len(mine),
                "headline": data.headline,
            }
            for metric in published.METRICS:
                values = _finite(mine[metric]) if len(mine) else pd.Series(dtype=float)
                row[f"{metric}_mean"] = values.mean() if len(values) else math.nan
                row[f"{metric}_std"] = values.std(ddof=1) if len(values) > 1 else (0.0 if len(values) else math.nan)
                paper = (
                    published.lookup(data.paper_name, method.options, metric, data.true_edges)
                    if data.paper_name
                    else None
                )
                row[f"{metric}_paper"] = paper.mean if paper else math.nan
                row[f"{metric}_paper_std"] = paper.std if paper else math.nan
            row["agreement"] = _agreement(row, data.headline)
            rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _agreement(row: dict, metric: str) -> str:
    ours, paper = row[f"{metric}_mean"], row[f"{metric}_paper"]
    if math.isnan(ours) or math.isnan(paper):
        return ""
    number = published.PaperNumber(paper, row[f"{metric}_paper_std"], 0, "", "")
    return number.agreement(ours, lower_is_better=metric in LOWER_IS_BETTER)


def cell_text(mean: float, std: float, digits: int) -> str:
    """'0.975 ± 0.010', '0.975' (one run or no spread) or '—'."""
    if mean is None or math.isnan(mean):
        return "—"
    if std is None or math.isnan(std) or std == 0:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text columns for people: ours and the paper's per metric, and the agreement mark."""
    rows = []
    for _, r in table.iterrows():
        row = {"dataset": r["dataset"], "method": r["method"], "runs": int(r["runs"])}
        for metric, label in METRIC_LABELS.items():
            digits = 1 if metric == "shd" else 3
            row[label] = cell_text(r[f"{metric}_mean"], r[f"{metric}_std"], digits)
            row[f"{label} (paper)"] = cell_text(r[f"{metric}_paper"], r[f"{metric}_paper_std"], digits)
        row["vs paper"] = f"{MARKS[r['agreement']]} {r['agreement']}" if r["agreement"] else ""
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, title: str = "") -> str:
    """table.md: a Markdown table of ``display(table)`` with a legend."""
    shown = display(table)
    lines = [f"# {title}", ""] if title else []
    if shown.empty:
        return "\n".join([*lines, "No finished runs yet.", ""])
    header = list(shown.columns)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for _, r in shown.iterrows():
        lines.append("| " + " | ".join(str(r[c]) for c in header) + " |")
    lines += [
        "",
        "Ours: mean ± sample std over the finished runs (seeds). Paper: Lachapelle et al. (arXiv 2401.04890), mean ± "
        "std over 5 seeds, the same setting (the constraint at the bound nearest the true edge count; "
        "docs/paper-numbers.md). vs paper, on the dataset's headline score (MCC; R_con on block graphs, where MCC is "
        "not expected to reach 1): ✓ better, ≈ within one paper std, ✗ below.",
        "",
    ]
    return "\n".join(lines)
