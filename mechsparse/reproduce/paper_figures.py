"""Plotly figures of a grid's results beside the paper's: pure functions, tables in, go.Figure out.

- ``comparison_bars``: per dataset, each method's headline score (ours, with its spread over seeds) beside the
  paper's number, so regularised against unregularised and ours against theirs read at a glance;
- ``strength_curve``: the sparsity-strength sweep (constraint bounds or penalty coefficients on one dataset),
  ours and the paper's points, with each side's unregularised level as a dashed line: the inverted U;
- ``runs_scatter``: every run's headline score, one point per seed, to see the spread the means hide.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from mechsparse.reproduce import grids, published, tables

OURS, PAPER = "#1f77b4", "#7f7f7f"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
FONT = 14


def _nan_to_none(values) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in values]


def _empty(text: str, height: int) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": FONT})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=height, margin={"l": 20, "r": 20, "t": 30, "b": 20}, template="plotly_white")
    return fig


def _layout(fig: go.Figure, height: int, yaxis: dict, **extra) -> go.Figure:
    """The look every grid chart shares: white template, readable font, legend below, room for the axis titles."""
    fig.update_layout(
        height=height,
        template="plotly_white",
        font={"size": FONT},
        yaxis=yaxis,
        legend={"orientation": "h", "y": extra.pop("legend_y", -0.25)},
        margin={"l": 60, "r": 20, "t": extra.pop("top", 30), "b": 40},
        **extra,
    )
    return fig


def _headline_values(table: pd.DataFrame, *, paper: bool) -> tuple[list, list]:
    """The headline score's mean and std per row of a summary table: ours, or the paper's."""
    mean, std = ("{}_paper", "{}_paper_std") if paper else ("{}_mean", "{}_std")
    rows = list(table.iterrows())
    means = [row[mean.format(row["headline"])] for _, row in rows]
    stds = [row[std.format(row["headline"])] for _, row in rows]
    return _nan_to_none(means), _nan_to_none(stds)


def comparison_bars(table: pd.DataFrame, *, height: int = 420) -> go.Figure:
    """Grouped bars: x = dataset (its headline score named), one bar per method for ours (error bar: std over
    seeds) and a hatched grey bar beside it for the paper's number where it has one."""
    if table.empty or not (table["runs"] > 0).any():
        return _empty("No finished runs yet: bars appear as runs finish.", height)
    labels = zip(table["dataset"], table["headline"], strict=True)
    table = table.assign(x=[f"{d}<br>({tables.METRIC_LABELS[h]})" for d, h in labels])
    fig = go.Figure()
    for i, method in enumerate(dict.fromkeys(table["method"])):
        rows = table[table["method"] == method]
        colour = PALETTE[i % len(PALETTE)]
        mean, std = _headline_values(rows, paper=False)
        fig.add_bar(
            x=rows["x"], y=mean, name=f"{method} (ours)", marker_color=colour, offsetgroup=f"{i}o",
            error_y={"type": "data", "array": std, "visible": True},
            hovertemplate="%{x}<br>" + f"{method}, ours: " + "%{y:.3f}<extra></extra>",
        )  # fmt: skip
        pmean, pstd = _headline_values(rows, paper=True)
        if any(v is not None for v in pmean):
            fig.add_bar(
                x=rows["x"], y=pmean, name=f"{method} (paper)", offsetgroup=f"{i}p",
                marker={"color": colour, "opacity": 0.45, "pattern": {"shape": "/"}},
                error_y={"type": "data", "array": pstd, "visible": True},
                hovertemplate="%{x}<br>" + f"{method}, paper: " + "%{y:.3f}<extra></extra>",
            )  # fmt: skip
    return _layout(fig, height, {"title": "headline score (MCC or R_con)", "range": [0, 1.05]}, barmode="group")


def sweep_entries(grid: grids.Grid) -> dict[str, list[tuple[float, grids.MethodEntry]]]:
    """The grid's strength sweeps: {'constraint bound' | 'penalty coefficient': [(strength, method), ...]} with at
    least two strengths each."""
    found: dict[str, list] = {"constraint bound": [], "penalty coefficient": []}
    for m in grid.methods:
        o = m.options
        if m.method != "sparse":
            continue
        if o.get("sparsity", "constraint") == "constraint" and o.get("bound") is not None:
            found["constraint bound"].append((float(o["bound"]), m))
        elif o.get("sparsity") == "penalty" and "penalty" in o:
            found["penalty coefficient"].append((float(o["penalty"]), m))
    return {k: sorted(v, key=lambda p: p[0]) for k, v in found.items() if len(v) >= 2}


def strength_curve(table: pd.DataFrame, grid: grids.Grid, *, height: int = 420) -> go.Figure:
    """The sparsity-strength sweep of the grid's first dataset that has one: our headline score (mean ± std) and
    the paper's points against the strength, the unregularised levels as dashed lines."""
    sweeps = sweep_entries(grid)
    if not sweeps:
        return _empty("This grid has no strength sweep (two or more bounds or penalty coefficients).", height)
    axis, entries = next(iter(sweeps.items()))
    fig = go.Figure()
    dataset = next(d for d in grid.datasets if not table[table["dataset"] == d.key].empty)
    metric = dataset.headline
    rows = table[table["dataset"] == dataset.key].set_index("method")
    xs = [s for s, _ in entries]
    ours = [rows.loc[m.name, f"{metric}_mean"] if m.name in rows.index else math.nan for _, m in entries]
    spread = [rows.loc[m.name, f"{metric}_std"] if m.name in rows.index else math.nan for _, m in entries]
    fig.add_scatter(
        x=xs, y=_nan_to_none(ours), mode="lines+markers", name="ours", line={"color": OURS, "width": 3},
        error_y={"type": "data", "array": _nan_to_none(spread), "visible": True},
    )  # fmt: skip
    if dataset.paper_name:
        paper = [published.lookup(dataset.paper_name, m.options, metric, dataset.true_edges) for _, m in entries]
        px = [s for s, p in zip(xs, paper, strict=True) if p is not None]
        if px:
            fig.add_scatter(
                x=px, y=[p.mean for p in paper if p is not None], mode="markers", name="paper",
                marker={"color": PAPER, "size": 12, "symbol": "diamond"},
                error_y={"type": "data", "array": [p.std for p in paper if p is not None], "visible": True},
            )  # fmt: skip
    for is_paper, colour, who in ((False, OURS, "ours"), (True, PAPER, "paper")):
        level = _unregularised(rows, dataset, metric, paper=is_paper)
        if level is not None:
            line = {"dash": "dash", "color": colour}
            fig.add_hline(y=level, line=line, annotation_text=f"unregularised ({who})")
    if axis == "constraint bound":
        fig.add_vline(x=dataset.true_edges, line={"dash": "dot", "color": "#2ca02c"}, annotation_text="true edges")
    return _layout(
        fig,
        height,
        {"title": tables.METRIC_LABELS[metric]},
        title={"text": f"{dataset.key}: {tables.METRIC_LABELS[metric]} against the {axis}", "x": 0.01},
        xaxis={"title": axis, "type": "log" if axis == "penalty coefficient" else "linear"},
        legend_y=-0.2,
        top=50,
    )


def _unregularised(rows: pd.DataFrame, dataset: grids.DataEntry, metric: str, *, paper: bool) -> float | None:
    if paper:
        number = published.lookup(dataset.paper_name, {"sparsity": "none"}, metric) if dataset.paper_name else None
        return number.mean if number else None
    for method in rows.index:
        if method == "none" and not math.isnan(rows.loc[method, f"{metric}_mean"]):
            return float(rows.loc[method, f"{metric}_mean"])
    return None


def runs_scatter(results: pd.DataFrame, *, height: int = 420) -> go.Figure:
    """Every finished run's headline score: x = dataset, one colour per method, hover names the run and seed."""
    done = results[results["status"] == "finished"] if len(results) else results
    if done.empty:
        return _empty("No finished runs yet.", height)
    fig = go.Figure()
    for i, method in enumerate(dict.fromkeys(done["method"])):
        rows = done[done["method"] == method]
        score = [r[r["headline"]] for _, r in rows.iterrows()]
        fig.add_scatter(
            x=rows["dataset"], y=score, mode="markers", name=method, offsetgroup=str(i),
            marker={"size": 11, "color": PALETTE[i % len(PALETTE)], "line": {"width": 1, "color": "white"}},
            customdata=list(zip(rows["seed"], rows["run_id"], rows["headline"], strict=True)),
            hovertemplate="%{x}, " + method + "<br>seed %{customdata[0]}: %{customdata[2]} %{y:.3f}"
            "<br>%{customdata[1]}<extra></extra>",
        )  # fmt: skip
    yaxis = {"title": "headline score per run (MCC or R_con)", "range": [0, 1.05]}
    return _layout(fig, height, yaxis, scattermode="group")
