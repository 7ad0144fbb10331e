"""Paper page: run a grid (the paper's tables, or a grid file) in the background and watch our numbers fill in
beside the published ones; reopen any grid after a restart, open a run on the Train page, export the table and
the charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app_state import escape_markdown, grid_registry, job_registry
from mechsparse.reproduce import grid_file, grids, paper_figures, sweep, tables
from mechsparse.runs import export, runner

PICK_KEY = "paper_grid"  # the grid folder shown (its path): the picker's value
OPENED_KEY = "_paper_opened"  # a grid folder opened by its path (outside this app's grids)
OPEN_ERROR_KEY = "_paper_open_error"
UPLOAD_KEY = "paper_upload"
PLOT_CONFIG = {"displayModeBar": False}
REFRESH_SECONDS = 2.0
TABLE_MAX_ROWS = 40  # rows of the results table shown before it scrolls
PNG_KEY = "_paper_pngs"  # (grid folder, its table's stamp, {label: png bytes})
AGREEMENT_COLOURS = {"better": "#c7e9c0", "within": "#fff2b2", "below": "#f8c4c4"}


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} min" if minutes < 90 else f"about {minutes / 60:.1f} h"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _chosen_grid(seconds: float | None) -> grids.Grid | None:
    """The grid picked in the form (built-in or uploaded), or None after showing why not (one line)."""
    source = st.radio("Grid", ["Built-in", "From a file"], horizontal=True, key="paper_source")
    if source == "Built-in":
        name = st.selectbox(
            "Built-in grid",
            list(grids.BUILTIN_GRIDS),
            format_func=lambda n: f"{n}: {grids.BUILTIN_GRIDS[n]['description']}",
            key="paper_builtin",
        )
        return grid_file.builtin(name)
    upload = st.file_uploader(
        "Grid file (.toml or .json): datasets, methods, seeds and budget; see the README for an example",
        type=["toml", "json"],
        key=UPLOAD_KEY,
    )
    if upload is None:
        st.info("Upload a grid file, or pick a built-in grid.")
        return None
    try:
        text = upload.getvalue().decode("utf-8")
        return grid_file.read_grid_text(text, Path(upload.name).suffix.lower().lstrip("."), name=Path(upload.name).stem)
    except UnicodeDecodeError:
        st.error("The grid file is not UTF-8 text.")
    except grids.GridError as exc:
        st.error(escape_markdown(f"Grid file refused: {exc}"))
    return None


def new_grid_form() -> None:
    workers = job_registry().max_concurrent
    with st.container(border=True):
        st.subheader("Start a grid")
        left, right = st.columns([3, 1])
        with right:
            override = st.number_input(
                "Seconds per run",
                min_value=0.0,
                max_value=1e6,
                value=0.0,
                step=10.0,
                help="0 keeps the grid's budget; a number replaces every run's budget (a quick look at a big grid)",
                key="paper_seconds",
            )
        seconds = float(override) if override > 0 else None
        with left:
            grid = _chosen_grid(seconds)
        if grid is None:
            return
        cells = grid.cells(seconds)
        size = " × ".join(
            _count(len(items), noun)
            for items, noun in ((grid.datasets, "dataset"), (grid.methods, "method"), (grid.seeds, "seed"))
        )
        took = _duration(grid.estimated_seconds(workers, seconds))
        st.markdown(
            f"**{len(cells)} runs**: {size} · {took} with {workers} runs at once (this app's limit, shared with the "
            "Train page)"
        )
        if grid.skipped:
            with st.expander(f"{len(grid.skipped)} method–dataset pairs skipped"):
                for line in grid.skipped:
                    st.markdown(f"- {escape_markdown(line)}")
        if st.button("Start", type="primary", key="paper_start"):
            try:
                folder = sweep.GridFolder.create(sweep.new_grid_folder(grid.name), grid, seconds)
                grid_registry().start(folder, job_registry(), workers)
            except (ValueError, OSError) as exc:
                st.error(escape_markdown(f"Could not start the grid: {runner.one_line(exc)}"))
                return
            st.session_state[PICK_KEY] = str(folder.path)


def _folder_label(folder: sweep.GridFolder) -> str:
    results = folder.results()
    done = int((results["status"] == "finished").sum())
    live = grid_registry().get(folder.path)
    state = "running" if live is not None and live.alive else ("finished" if done == len(results) else "stopped")
    return f"{folder.grid.name} · {folder.path.name[:15]} · {done}/{len(results)} runs · {state}"


def _open_typed_folder() -> None:
    """The 'Open' button's callback (runs before the page, so it may set the picker's value)."""
    typed = st.session_state.get("paper_open_path", "").strip()
    if not typed:
        return
    path = Path(typed).expanduser().resolve()
    try:
        sweep.GridFolder.open(path)
    except grids.GridError as exc:
        st.session_state[OPEN_ERROR_KEY] = str(exc)
        return
    st.session_state[OPENED_KEY] = str(path)
    st.session_state[PICK_KEY] = str(path)


def choose_folder() -> Path | None:
    """The grid folder to show: one of this app's grids (newest first; ?grid=NAME picks one), or a grid folder
    from the command line opened by its path."""
    folders = {str(f.path): f for f in sweep.list_grid_folders()}
    opened = st.session_state.get(OPENED_KEY)
    options = ([opened] if opened and opened not in folders else []) + list(folders)
    linked = st.query_params.get("grid")
    if PICK_KEY not in st.session_state and linked:
        st.session_state[PICK_KEY] = next((p for p in options if Path(p).name == linked), None)
    if st.session_state.get(PICK_KEY) not in options:
        st.session_state.pop(PICK_KEY, None)
    picked = None
    if options:
        picked = st.selectbox(
            "Grid",
            options,
            format_func=lambda p: _folder_label(folders[p]) if p in folders else f"{Path(p).name} (opened by path)",
            key=PICK_KEY,
        )
        if st.query_params.get("grid") != Path(picked).name:
            st.query_params["grid"] = Path(picked).name
    else:
        st.info(
            "No grids yet. Start one above, or run one from a terminal "
            "(`python -m mechsparse reproduce --grid quick --out grids/quick`) and open its folder below."
        )
    with st.expander("Open a grid folder by path (a grid run with `reproduce --out DIR`)"):
        st.text_input("Folder", key="paper_open_path", placeholder="/path/to/grid/folder")
        st.button("Open", key="paper_open", on_click=_open_typed_folder)
        error = st.session_state.pop(OPEN_ERROR_KEY, None)
        if error:
            st.error(escape_markdown(error))
    return Path(picked) if picked else None


def _styled(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    shown = tables.display(table)

    def colour(row: pd.Series) -> list[str]:
        agreement = table.loc[row.name, "agreement"]
        headline = tables.METRIC_LABELS[table.loc[row.name, "headline"]]
        fill = AGREEMENT_COLOURS.get(agreement)
        return [f"background-color: {fill}" if fill and col in (headline, "vs paper") else "" for col in row.index]

    return shown.style.apply(colour, axis=1)


def _open_run(run_id: str) -> None:
    if run_id:
        st.switch_page("views/train.py", query_params={"run": run_id})


def _controls(folder: sweep.GridFolder, live, results: pd.DataFrame) -> None:
    done = int((results["status"] == "finished").sum())
    total = len(results)
    training = results["status"].isin(["running", "starting", "paused"]).sum()
    elsewhere = not (live is not None and live.alive) and training > 0  # a `reproduce` in a terminal trains it
    if live is not None and live.alive:
        state = f"running: {done} of {total} runs finished, {training} training"
    elif elsewhere:
        state = (
            f"running in another process (a terminal's `reproduce`): {done} of {total} finished, {training} training"
        )
    elif done == total:
        state = f"finished: all {total} runs"
    else:
        state = f"stopped: {done} of {total} runs finished; Resume trains the rest (finished runs are kept)"
    st.progress(done / max(1, total), text=state)
    if live is not None and live.error:
        st.error(escape_markdown(f"The grid stopped: {live.error}"))
    if live is not None and live.pool.errors:
        with st.expander(f"{len(live.pool.errors)} runs failed"):
            for line in live.pool.errors:
                st.markdown(f"- {escape_markdown(line)}")
    cols = st.columns([1, 1, 6])
    if live is not None and live.alive:
        if cols[0].button("Stop", key="paper_stop", help="running runs save and stop; Resume trains them again"):
            live.stop()
            st.rerun()
    elif done < total and not elsewhere and cols[0].button("Resume", type="primary", key="paper_resume"):
        try:
            grid_registry().start(folder, job_registry(), job_registry().max_concurrent)
        except (ValueError, OSError) as exc:
            st.error(escape_markdown(f"Could not resume: {runner.one_line(exc)}"))
        else:
            st.rerun()


def _exports(folder: sweep.GridFolder, table: pd.DataFrame, figs: dict) -> None:
    stamp = tuple(table.fillna(-1).itertuples(index=False))
    cols = st.columns(4)
    name = folder.grid.name
    cols[0].download_button("Table (CSV)", table.to_csv(index=False), f"{name}-table.csv", "text/csv")
    cols[1].download_button("Table (Markdown)", tables.markdown(table, title=name), f"{name}-table.md", "text/markdown")
    results_csv = (
        (folder.path / sweep.RESULTS_FILE).read_bytes() if (folder.path / sweep.RESULTS_FILE).exists() else b""
    )
    cols[2].download_button("Runs (CSV)", results_csv, f"{name}-results.csv", "text/csv")
    prepared = st.session_state.get(PNG_KEY)
    if prepared is None or prepared[0] != str(folder.path) or prepared[1] != stamp:
        if cols[3].button("Prepare chart PNGs", key="paper_png"):
            with st.spinner("rendering the charts"):
                pngs = export.render_pngs(list(figs.items()))
            st.session_state[PNG_KEY] = (str(folder.path), stamp, pngs)
            st.rerun()
        return
    pngs = prepared[2]
    if not pngs:
        cols[3].caption("PNG needs a headless browser, which is missing here; the charts' camera icon saves them.")
    for label, data in pngs.items():
        st.download_button(f"{label} (PNG)", data, f"{name}-{label.lower().replace(' ', '-')}.png", "image/png")


def _trained_elsewhere(path: Path) -> bool:
    """Whether another process (a terminal's `reproduce`) trains some run of this grid now."""
    try:
        return bool((sweep.GridFolder.open(path).results()["status"] == "running").any())
    except grids.GridError:
        return False


def _results_table(path: Path, table: pd.DataFrame, results: pd.DataFrame) -> None:
    """The grid's table, ours beside the paper's; clicking a row opens its first run on the Train page."""
    picked = st.dataframe(
        _styled(table),
        hide_index=True,
        width="stretch",
        height=min(TABLE_MAX_ROWS, len(table) + 1) * 35 + 3,  # every row of a grid's table, without scrolling
        on_select="rerun",
        selection_mode="single-row",
        key=f"paper_table_{path.name}",
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        row = table.iloc[rows[0]]
        mine = results[(results["dataset"] == row["dataset"]) & (results["method"] == row["method"])]
        _open_run(next((r for r in mine["run_id"] if r), ""))


def _charts(folder: sweep.GridFolder, table: pd.DataFrame, results: pd.DataFrame) -> dict:
    """The grid's charts, one tab each; returns them (label -> figure) for the exports."""
    figs = {
        "Ours vs paper": paper_figures.comparison_bars(table),
        "Strength sweep": paper_figures.strength_curve(table, folder.grid),
        "Per run": paper_figures.runs_scatter(results),
    }
    for tab, (label, fig) in zip(st.tabs(list(figs)), figs.items(), strict=True):
        with tab:
            st.plotly_chart(fig, config=PLOT_CONFIG, key=f"paper_fig_{label}")
    return figs


def _every_run(path: Path, results: pd.DataFrame) -> None:
    """Every run of the grid, in an expander; clicking one opens it on the Train page."""
    with st.expander("Every run (click one to open it on the Train page)"):
        shown = results[["dataset", "method", "seed", "status", "mcc", "r_con", "shd", "steps", "run_id"]]
        picked_run = st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key=f"paper_runs_{path.name}",
        )
        if picked_run is not None and picked_run.selection.rows:
            _open_run(str(shown.iloc[picked_run.selection.rows[0]]["run_id"]))


def grid_view(path: Path) -> None:
    live = grid_registry().get(path)
    busy = (live is not None and live.alive) or _trained_elsewhere(path)

    @st.fragment(run_every=REFRESH_SECONDS if busy else None)
    def body() -> None:
        try:
            folder = sweep.GridFolder.open(path)
        except grids.GridError as exc:
            st.error(escape_markdown(str(exc)))
            return
        results = folder.results()
        table = tables.summarise(results, folder.grid)
        current = grid_registry().get(path)
        _controls(folder, current, results)
        still_busy = (current is not None and current.alive) or (results["status"] == "running").any()
        if busy and not still_busy:
            st.rerun()  # the grid just ended: redraw the whole page without the timer
        about = f": {escape_markdown(folder.grid.description)}" if folder.grid.description else ""
        st.markdown(f"**{escape_markdown(folder.grid.name)}**{about} · folder `{folder.path}`")
        st.caption(
            "Ours: mean ± std over finished runs. Paper: mean ± std over 5 seeds, same setting "
            "(docs/paper-numbers.md). Coloured on the headline score (MCC, or R_con on block graphs): green better "
            "than the paper, yellow "
            "within its spread, red below. Click a row to open its first run on the Train page."
        )
        _results_table(path, table, results)
        figs = _charts(folder, table, results)
        _every_run(path, results)
        _exports(folder, table, figs)

    body()


st.title("Paper: our numbers beside the published tables")
st.caption(
    "A grid is a set of runs (datasets × methods × seeds) that rebuilds one of the paper's tables "
    "(Lachapelle et al., arXiv 2401.04890). Runs train in the background and appear on the Runs page too."
)
new_grid_form()
st.subheader("Grids")
chosen_path = choose_folder()
if chosen_path is not None:
    grid_view(chosen_path)
