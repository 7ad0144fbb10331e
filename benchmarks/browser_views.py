"""First-render times of the app's pages as a presenter sees them: a fresh browser for every look, a warm server.

What: `streamlit run app.py` of a checkout (--repo, default this repository) serves headless Debian chromium
(Playwright, viewport 1500x1100). Every measurement opens a NEW browser context (empty cache, new Streamlit session:
what a fresh browser sees) while the server stays up and warm, and times from page.goto (or from the click) until the
view's condition holds, with no Streamlit spinner, "Running" status, stale element or chart skeleton left. Each
view is measured --repeat times; the table gives the median (min–max).

Views (``--views`` picks some):
  theory         /theory: the verdict text, then every Plotly chart drawn
  theory-link    /theory?g=<teach-combined's code>: the same for a shared link to a non-default graph
  train-live     /train?run=<id> of a run the checkout's CLI is training right now: its status, step and headline
                 numbers, the first chart, then all panels
  start-to-live  /train, preset teach-nested (2,000 samples, cpu), Start training: from the click to run= in the
                 URL and to the run's first chart; the run is stopped afterwards
  runs-two       /runs?run=<a>&run=<b> (two finished CLI runs): every chart drawn
  data-generate  /data, temporal data with N = 10,000 (a new seed each time, so the page's cache never answers):
                 from the click on Generate to every preview drawn
  export-png     /runs with the two runs, "Include panels as PNG images", Prepare zip: until "Download zip" shows

Why: the app is shown live to an audience, so what counts is what a first-time viewer waits for, not a warm tab.
The numbers compare checkouts (run it on an old and a new one, on a quiet machine) rather than stand alone.

How: the checkout's app.py is started with its own python (--python, default this interpreter) and
PYTHONPATH=<checkout> (checked: the checkout's mechsparse is the one imported, not an installed copy), a fresh
temporary MECHSPARSE_RUNS_DIR and OMP_NUM_THREADS=1; the runs the views need are made with the checkout's CLI
(`python -m mechsparse train`). A view that fails (a label changed, a time-out) is recorded as failed with a
one-line reason, and the other views go on. Results are appended as one JSON line per view to --out.

    .venv/bin/python benchmarks/browser_views.py --out benchmarks/results/cpu-2core-browser-views.jsonl
    .venv/bin/python benchmarks/browser_views.py --repo /tmp/before --repeat 2 --views theory,runs-two --out x.jsonl
    .venv/bin/python benchmarks/browser_views.py --table benchmarks/results/cpu-2core-browser-views.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository root importable for `benchmarks.common`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import load_results, spread  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
VIEWPORT = {"width": 1500, "height": 1100}
VIEWS = ("theory", "theory-link", "train-live", "start-to-live", "runs-two", "data-generate", "export-png")
PREPARED = (("action-nondiag", 15), ("time-block-nondiag", 15))  # finished runs for the Runs page: preset, seconds
LIVE_PRESET = "action-nondiag"  # the run the CLI trains during train-live
LINK_PRESET = "teach-combined"  # the non-default graph of theory-link
POLL_S = 0.05  # how often the page's state is read
STABLE_S = 0.6  # a "done" state must hold this long (the time reported is when it started to hold)
VIEW_TIMEOUT_S = 120.0
EXPORT_TIMEOUT_S = 180.0
READY = {"data": "generate", "train": "start training"}  # text that shows a page without charts has been drawn

# The page's state, read in the browser: Plotly charts (not stale) and how many are drawn (have their SVG), whether
# a script runs (the status widget shows only then), spinners, stale elements, skeletons (the placeholders Streamlit
# shows until a lazily loaded component such as Plotly has arrived), the URL, and which of the given regular
# expressions the main area's text matches; and the first exception the page shows, if any (the view fails at once).
STATE_JS = """(patterns) => {
  const all = (s) => [...document.querySelectorAll(s)];
  // the New run form's graph preview (.st-key-source-graphs) is not a run's panel
  const charts = all('[data-testid="stPlotlyChart"]').filter(
    (c) => !c.closest('[data-stale="true"]') && !c.closest('.st-key-source-graphs'));
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const text = main ? main.textContent : '';
  return {
    charts: charts.length,
    drawn: charts.filter((c) => c.querySelector('.main-svg')).length,
    running: all('[data-testid="stStatusWidget"]').length,
    spinners: all('[data-testid="stSpinner"]').length,
    stale: all('[data-stale="true"]').length,
    skeletons: all('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]').length,
    url: location.href,
    error: all('[data-testid="stException"]').map((e) => e.textContent.split('Traceback')[0].trim().slice(0, 160))
      .concat([''])[0],
    matches: patterns.map((p) => new RegExp(p, 'i').test(text)),
  };
}"""


class ViewFailed(Exception):
    """A view could not be measured; its message is the one-line reason recorded."""


# ---------------------------------------------------------------- waiting on the page


def idle(s: dict) -> bool:
    return not (s["running"] or s["spinners"] or s["stale"] or s["skeletons"])


def all_drawn(s: dict) -> bool:
    """Every chart on the page drawn, at least one, and nothing still running."""
    return s["charts"] > 0 and s["drawn"] == s["charts"] and idle(s)


def drawn_while_live(s: dict) -> bool:
    """all_drawn for a page that reruns by itself: the status widget may show."""
    return s["charts"] >= 2 and s["drawn"] == s["charts"] and not (s["spinners"] or s["stale"] or s["skeletons"])


def first_drawn(s: dict) -> bool:
    return s["drawn"] > 0


def _brief(s: dict) -> str:
    if not s:
        return "no page state"
    keys = ("charts", "drawn", "running", "spinners", "stale", "skeletons")
    return ", ".join(f"{k} {s[k]}" for k in keys) + f", matches {s['matches']}"


def state(page, patterns: tuple[str, ...] = ()) -> dict:
    """The page's state now, or {} while a navigation replaces the page."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return page.evaluate(STATE_JS, list(patterns))
    except PlaywrightError:
        return {}


def wait_until(
    page,
    t0: float,
    done: Callable[[dict], bool],
    what: str,
    *,
    patterns: tuple[str, ...] = (),
    timeout: float = VIEW_TIMEOUT_S,
    stable: float = STABLE_S,
) -> float:
    """Seconds from t0 until done(state) began to hold for good (held for ``stable`` seconds); ViewFailed after
    ``timeout`` seconds from now."""
    deadline = time.perf_counter() + timeout
    since, last = None, {}
    while True:
        last = state(page, patterns)
        now = time.perf_counter()
        if last.get("error"):
            raise ViewFailed(f"the page shows an exception while waiting for {what}: {' '.join(last['error'].split())}")
        if last and done(last):
            since = now if since is None else since
            if now - since >= stable:
                return since - t0
        else:
            since = None
        if now > deadline:
            raise ViewFailed(f"no {what} after {timeout:.0f} s ({_brief(last)})")
        time.sleep(POLL_S)


def settle(page, what: str, timeout: float = 60.0) -> None:
    """Wait (untimed) until the page has no script running, after a widget change."""
    time.sleep(0.3)  # let the rerun the change asked for begin
    wait_until(page, time.perf_counter(), idle, f"idle page after {what}", timeout=timeout, stable=0.5)


def goto(page, url: str) -> float:
    """Open url; returns the start time (taken before the navigation)."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=60_000)
    return t0


# ---------------------------------------------------------------- widgets, found by their labels


def widget(page, testid: str, label: str):
    """The first Streamlit widget of this kind whose label starts with ``label`` (case-insensitive)."""
    labelled = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(r"^\s*" + label, re.I))
    return page.locator(f'[data-testid="{testid}"]').filter(has=labelled).first


def select(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label``; ViewFailed when it cannot be chosen."""
    box = widget(page, "stSelectbox", label)
    try:
        box.wait_for(timeout=30_000)
        if option in _shown(box):
            return
        box.click()
        page.get_by_role("option", name=option, exact=True).first.click(timeout=10_000)
    except Exception as exc:  # noqa: BLE001 - any failure of the interaction is the view's one-line reason
        raise ViewFailed(f"cannot choose {option!r} in the {label!r} select box: {_line(exc)}") from None
    settle(page, f"choosing {option}")
    if option not in _shown(box):
        raise ViewFailed(f"the {label!r} select box shows {_shown(box)!r}, not {option!r}")


def _shown(box) -> str:
    inputs = box.locator("input")
    return box.inner_text(timeout=5_000) + (inputs.first.input_value(timeout=5_000) if inputs.count() else "")


def fill_number(page, label: str, value: int, notes: list[str]) -> None:
    """Type value into the number input labelled ``label`` (leaving it with Tab: Enter would submit a form); a
    missing input is noted, not fatal."""
    field = widget(page, "stNumberInput", label).locator("input").first
    try:
        field.fill(str(value), timeout=10_000)
        field.press("Tab")
    except Exception as exc:  # noqa: BLE001
        notes.append(f"could not set {label!r} to {value}: {_line(exc)}")


def set_select_slider(page, label: str, value: str) -> None:
    """Move the select slider labelled ``label`` to the option shown as ``value`` with the keyboard."""
    thumb = widget(page, "stSlider", label).locator('input[type="range"]').first
    try:
        thumb.wait_for(state="attached", timeout=30_000)
        if thumb.get_attribute("aria-valuetext") == value:
            return
        thumb.focus()
        thumb.press("Home")
        for _ in range(30):
            if thumb.get_attribute("aria-valuetext") == value:
                break
            thumb.press("ArrowRight")
    except Exception as exc:  # noqa: BLE001
        raise ViewFailed(f"cannot move the {label!r} slider: {_line(exc)}") from None
    settle(page, f"moving {label}")
    if thumb.get_attribute("aria-valuetext") != value:
        raise ViewFailed(f"the {label!r} slider shows {thumb.get_attribute('aria-valuetext')!r}, not {value!r}")


def tick(page, label: str) -> None:
    """Tick the checkbox whose text matches ``label``."""
    box = page.locator('[data-testid="stCheckbox"]').filter(has_text=re.compile(label, re.I)).first
    try:
        box.wait_for(timeout=30_000)
        if not box.locator('input[type="checkbox"]').first.is_checked():
            box.locator("label").first.click()
    except Exception as exc:  # noqa: BLE001
        raise ViewFailed(f"cannot tick the checkbox {label!r}: {_line(exc)}") from None
    settle(page, f"ticking {label}")
    if not box.locator('input[type="checkbox"]').first.is_checked():
        raise ViewFailed(f"the checkbox {label!r} did not stay ticked")


def button(page, name: str):
    """The first button in the main area whose name matches ``name`` (the header's own Stop button is not one)."""
    return page.locator('[data-testid="stMain"]').get_by_role("button", name=re.compile(name, re.I)).first


def click(page, name: str, timeout: float = 60.0) -> None:
    try:
        button(page, name).click(timeout=timeout * 1000)
    except Exception as exc:  # noqa: BLE001
        raise ViewFailed(f"cannot click the button {name!r}: {_line(exc)}") from None


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# ---------------------------------------------------------------- the checkout: its python, CLI and server


class Checkout:
    """A checkout's app and CLI, run with its own mechsparse, a temporary runs folder and one OpenMP thread."""

    def __init__(self, repo: Path, python: str, runs_dir: Path, logs: Path):
        self.repo, self.python, self.runs_dir, self.logs = repo, python, runs_dir, logs
        self.env = {
            **os.environ,
            "PYTHONPATH": str(repo),
            "MECHSPARSE_RUNS_DIR": str(runs_dir),
            "OMP_NUM_THREADS": "1",
        }
        self.server: subprocess.Popen | None = None
        self.base = ""

    def python_out(self, code: str) -> str:
        proc = subprocess.run(
            [self.python, "-c", code], cwd=self.repo, env=self.env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{self.python} -c {code!r} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return proc.stdout.strip()

    def check_import(self) -> str:
        """The folder mechsparse is imported from; SystemExit unless it is the checkout's own."""
        where = self.python_out("import mechsparse, pathlib; print(pathlib.Path(mechsparse.__file__).resolve().parent)")
        if Path(where) != (self.repo / "mechsparse").resolve():
            raise SystemExit(f"the checkout's python imports mechsparse from {where}, not from {self.repo}")
        return where

    def train_options(self) -> str:
        return subprocess.run(
            [self.python, "-m", "mechsparse", "train", "--help"],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def train(self, preset: str, seconds: float, extra: tuple[str, ...] = ()) -> subprocess.Popen:
        """Start `python -m mechsparse train` in the background (its stdout piped: the last line names the run)."""
        cmd = [self.python, "-m", "mechsparse", "train", "--preset", preset, "--max-seconds", str(seconds)]
        cmd += ["--device", "cpu", *extra]
        log = (self.logs / f"cli-{preset}-{time.monotonic_ns()}.log").open("w")
        return subprocess.Popen(cmd, cwd=self.repo, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True)

    def run_ids(self) -> set[str]:
        return {p.name for p in self.runs_dir.iterdir() if p.is_dir()} if self.runs_dir.is_dir() else set()

    def start_server(self, limit: float = 180.0) -> float:
        """Start streamlit on a free loopback port; returns the seconds until it answered its health check."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [self.python, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
               "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
        log = (self.logs / "server.log").open("w")
        t0 = time.perf_counter()
        self.server = subprocess.Popen(cmd, cwd=self.repo, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2):
                return time.perf_counter() - t0
            if self.server.poll() is not None or time.perf_counter() - t0 > limit:
                raise SystemExit(f"streamlit did not start; see {self.logs / 'server.log'}")
            time.sleep(0.2)

    def stop_server(self) -> None:
        if self.server is None:
            return
        stop(self.server, signal.SIGTERM, 15)
        time.sleep(2)  # the app's training workers see their socket close and save before the folder goes


def stop(proc: subprocess.Popen, sig: int, wait: float) -> int | None:
    """Send sig, wait up to ``wait`` seconds, then kill; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def prepare_runs(co: Checkout, presets=PREPARED) -> list[str]:
    """Train the finished runs the Runs page views need, side by side; returns their ids in order."""
    procs = [co.train(preset, seconds) for preset, seconds in presets]
    ids = []
    for (preset, _), proc in zip(presets, procs, strict=True):
        out, _ = proc.communicate(timeout=600)
        found = re.findall(r"->\s*(\S+)\s*$", out, re.M)
        if proc.returncode != 0 or not found:
            raise SystemExit(f"the CLI run of {preset} failed (exit {proc.returncode}); see {co.logs}")
        ids.append(Path(found[-1]).name)
    return ids


def graph_code(co: Checkout) -> str:
    """The link code of LINK_PRESET (or of another non-default preset, if this checkout lacks it)."""
    return co.python_out(
        "from mechsparse import graphs\n"
        f"name = {LINK_PRESET!r} if {LINK_PRESET!r} in graphs.PRESETS else "
        "next(n for n in graphs.PRESETS if n != graphs.DEFAULT_PRESET)\n"
        "print(graphs.encode(graphs.preset(name)))"
    )


# ---------------------------------------------------------------- the views


class Bench:
    """One browser, one warm server; each measurement in a new browser context."""

    def __init__(self, browser, co: Checkout, shots: Path | None):
        self.browser, self.co, self.shots = browser, co, shots
        self.run_ids: list[str] = []
        self.code = ""
        self.live_id = ""

    @contextlib.contextmanager
    def page(self, name: str):
        context = self.browser.new_context(viewport=VIEWPORT)
        try:
            yield context.new_page()
        except BaseException:
            if self.shots is not None:
                with contextlib.suppress(Exception):
                    self.shots.mkdir(parents=True, exist_ok=True)
                    context.pages[0].screenshot(path=str(self.shots / f"{name}-failed.png"), full_page=True)
            raise
        finally:
            context.close()

    def url(self, path: str) -> str:
        return self.co.base + path

    def runs_url(self) -> str:
        if len(self.run_ids) < 2:
            raise ViewFailed("the two prepared runs are missing")
        return self.url("/runs?" + "&".join(f"run={r}" for r in self.run_ids))

    # -- views: each returns ({metric: seconds}, info) for one measurement

    def theory(self, page, k: int, path: str = "/theory") -> tuple[dict, dict]:
        t0 = goto(page, self.url(path))
        verdict = wait_until(page, t0, lambda s: s["matches"][0], "verdict", patterns=("verdict",), stable=0)
        charts = wait_until(page, t0, all_drawn, "drawn charts")
        return {"verdict_s": verdict, "charts_s": charts}, {"charts": state(page)["charts"]}

    def theory_link(self, page, k: int) -> tuple[dict, dict]:
        times, info = self.theory(page, k, f"/theory?g={self.code}")
        info["link_kept"] = f"g={self.code}" in page.url
        return times, info

    def train_live(self, page, k: int) -> tuple[dict, dict]:
        t0 = goto(page, self.url(f"/train?run={self.live_id}"))
        numbers = wait_until(page, t0, lambda s: s["matches"][0], "the run's status, step and numbers",
                             patterns=(r"status\W+\w+[\s\S]*step [\d,]+[\s\S]*MCC",), stable=0)  # fmt: skip
        first = wait_until(page, t0, first_drawn, "drawn chart", stable=0)
        # a followed run redraws every few seconds (the status widget comes and goes), so the panels count as drawn
        # once every chart is drawn and none is stale or still a skeleton
        panels = wait_until(page, t0, drawn_while_live, "drawn panels")
        return {"numbers_s": numbers, "chart_s": first, "panels_s": panels}, {"charts": state(page)["charts"]}

    def start_to_live(self, page, k: int) -> tuple[dict, dict]:
        notes: list[str] = []
        goto(page, self.url("/train"))
        button(page, "start training").wait_for(timeout=VIEW_TIMEOUT_S * 1000)
        settle(page, "opening /train")
        select(page, "Preset", "teach-nested")
        fill_number(page, "Samples", 2000, notes)
        fill_number(page, "Time limit", 120, notes)  # a run left behind ends by itself
        try:
            select(page, "Device", "cpu")
        except ViewFailed as exc:
            notes.append(str(exc))
        before = self.co.run_ids()
        t0 = time.perf_counter()
        click(page, "start training")
        url = wait_until(page, t0, lambda s: re.search(r"[?&]run=[\w-]+", s["url"]) is not None, "run= in the URL",
                         stable=0)  # fmt: skip
        chart = wait_until(page, t0, first_drawn, "drawn chart of the run", stable=0)
        # stop it (the Stop button, else the time limit) so the next start finds a free job slot
        try:
            click(page, r"^stop$", timeout=10)
            wait_until(page, time.perf_counter(), lambda s: s["matches"][0], "stopped run",
                       patterns=(r"status\W*(stopped|finished|failed)",), timeout=90, stable=0)  # fmt: skip
        except ViewFailed as exc:
            notes.append(f"stopping the run: {exc}")
        return {"url_s": url, "chart_s": chart}, {"run": sorted(self.co.run_ids() - before), "notes": notes}

    def runs_two(self, page, k: int) -> tuple[dict, dict]:
        t0 = goto(page, self.runs_url())
        charts = wait_until(page, t0, all_drawn, "drawn charts")
        return {"charts_s": charts}, {"charts": state(page)["charts"]}

    def data_generate(self, page, k: int) -> tuple[dict, dict]:
        notes: list[str] = []
        goto(page, self.url("/data"))
        button(page, "^generate").wait_for(timeout=VIEW_TIMEOUT_S * 1000)
        settle(page, "opening /data")
        try:
            select(page, "Preset", "time-nondiag")
        except ViewFailed as exc:
            notes.append(str(exc))
        select(page, "Kind", "temporal")
        set_select_slider(page, "Samples", "10,000")
        fill_number(page, "Seed", 1 + k, notes)  # a new seed each time: Generate is cached on its parameters
        settle(page, "setting the seed")
        t0 = time.perf_counter()
        click(page, "^generate")
        previews = wait_until(page, t0, all_drawn, "drawn previews")
        return {"previews_s": previews}, {"charts": state(page)["charts"], "notes": notes}

    def export_png(self, page, k: int) -> tuple[dict, dict]:
        goto(page, self.runs_url())
        wait_until(page, time.perf_counter(), all_drawn, "drawn charts")
        tick(page, "PNG")
        t0 = time.perf_counter()
        click(page, "prepare zip")
        done = lambda s: s["matches"][0] and not s["spinners"] and not s["running"]
        zipped = wait_until(page, t0, done, "Download zip button", patterns=("download zip",), timeout=EXPORT_TIMEOUT_S,
                            stable=0)  # fmt: skip
        return {"zip_s": zipped}, {}

    # -- warming the server up (its first page pays the imports), timed once for the record

    def warm_up(self) -> dict:
        times = {}
        paths = {"theory": "/theory", "data": "/data", "train": "/train"}  # data and train: idle with their button
        if len(self.run_ids) >= 2:
            paths["runs"] = self.runs_url()[len(self.co.base) :]
        for name, path in paths.items():
            with self.page(f"warmup-{name}") as page:
                t0 = goto(page, self.url(path))
                done = all_drawn if name in ("theory", "runs") else lambda s: idle(s) and s["matches"][0]
                try:
                    times[f"{name}_s"] = wait_until(page, t0, done, f"{name} page", patterns=(READY.get(name, "."),))
                except ViewFailed as exc:
                    print(f"warm-up of {path}: {exc}", file=sys.stderr)
        return times


def measure(bench: Bench, view: str, repeat: int) -> dict:
    """Measure one view ``repeat`` times; stops at the first failure, keeping what was measured."""
    fn = getattr(bench, view.replace("-", "_"))
    times: dict[str, list] = {}
    infos, failed = [], None
    for k in range(repeat):
        try:
            with bench.page(f"{view}-{k}") as page:
                got, info = fn(page, k)
        except Exception as exc:  # noqa: BLE001 - a view that fails is recorded and the others go on
            failed = f"repeat {k + 1}: {_line(exc)}"
            print(f"{view}: failed, {failed}", file=sys.stderr, flush=True)
            break
        for key, value in got.items():
            times.setdefault(key, []).append(round(value, 3))
        infos.append(info)
        print(f"{view} {k + 1}/{repeat}: " + ", ".join(f"{m} {v:.2f}" for m, v in got.items()), file=sys.stderr,
              flush=True)  # fmt: skip
    return {"times": times, "info": infos, "failed": failed}


def start_live_run(co: Checkout, help_text: str, limit: float = 180.0) -> tuple[subprocess.Popen, str]:
    """A CLI run that trains for the whole view (saved every 2 s where the CLI allows it), once its folder has a
    snapshot; returns the process and the run id."""
    before = co.run_ids()
    extra = ("--save-every", "2") if "--save-every" in help_text else ()
    proc = co.train(LIVE_PRESET, 3600, extra)
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        new = sorted(r for r in co.run_ids() - before if (co.runs_dir / r / "snapshot.npz").exists())
        if new:
            return proc, new[0]
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    stop(proc, signal.SIGINT, 60)
    raise ViewFailed(f"the CLI run wrote no snapshot within {limit:.0f} s (exit {proc.returncode})")


# ---------------------------------------------------------------- main and the table


def table(results: list[dict]) -> str:
    """One row per checkout, view and metric: median (min–max) over the measurements."""
    lines = [
        "| checkout | view | metric | seconds: median (min–max) | ok | load 1 min | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        load = "–".join(f"{v:.1f}" for v in r.get("load", []))
        metrics = r["times"] or {"—": []}
        for metric, values in metrics.items():
            ok = f"{len(values)}/{r['repeat']}"
            note = r["failed"] or ""
            lines.append(
                f"| {r['label']} | {r['view']} | {metric} | {spread(values, '{:.2f}')} | {ok} | {load} | {note} |"
            )
    return "\n".join(lines)


def commit_of(repo: Path) -> str | None:
    if not (repo / ".git").exists():
        return None
    git = ["git", "-C", str(repo)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return (head + ("-dirty" if dirty.stdout.strip() else "")) or None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="the checkout whose app.py is served (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the python that runs it (default: this one)")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per view, each in a fresh browser")
    parser.add_argument("--views", default=",".join(VIEWS), help=f"comma-separated, from: {', '.join(VIEWS)}")
    parser.add_argument("--label", help="the checkout's name in the table (default: folder name and commit)")
    parser.add_argument("--out", help="append each view's JSON line to this file")
    parser.add_argument("--shots", help="save a screenshot of each failed view in this folder")
    parser.add_argument("--table", nargs="+", help="print the table of saved .jsonl results and exit")
    args = parser.parse_args()
    if args.table:
        print(table(load_results(args.table)))
        return
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        parser.error(f"unknown view(s): {', '.join(unknown)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    repo = Path(args.repo).resolve()
    if not (repo / "app.py").is_file():
        parser.error(f"{repo} has no app.py")
    commit = commit_of(repo)
    label = args.label or (f"{repo.name}@{commit}" if commit else repo.name)

    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory(prefix="browser-views-", ignore_cleanup_errors=True) as tmp:
        co = Checkout(repo, args.python, Path(tmp) / "runs", Path(tmp))
        print(f"mechsparse from {co.check_import()}; logs in {tmp}", file=sys.stderr, flush=True)
        help_text = co.train_options()
        versions = {"streamlit": co.python_out("import streamlit; print(streamlit.__version__)")}
        code = graph_code(co) if "theory-link" in views else ""
        need_runs = {"runs-two", "export-png"} & set(views)
        live = None
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            versions["chromium"] = browser.version
            try:
                t0 = time.perf_counter()
                prepared = prepare_runs(co) if need_runs else []
                prepare_s = time.perf_counter() - t0
                server_s = co.start_server()
                bench = Bench(browser, co, Path(args.shots) if args.shots else None)
                bench.run_ids, bench.code = prepared, code
                warm = bench.warm_up()
                print(f"runs prepared in {prepare_s:.1f} s {prepared}; server up in {server_s:.1f} s; first page "
                      f"loads {warm}", file=sys.stderr, flush=True)  # fmt: skip
                for view in views:
                    load_before = os.getloadavg()[0]
                    if view == "train-live":
                        try:
                            live, bench.live_id = start_live_run(co, help_text)
                        except ViewFailed as exc:
                            got = {"times": {}, "info": [], "failed": str(exc)}
                        else:
                            got = measure(bench, view, args.repeat)
                            code_ = stop(live, signal.SIGINT, 60)
                            got["info"].append({"cli_exit_on_sigint": code_})
                    else:
                        got = measure(bench, view, args.repeat)
                    result = {
                        "benchmark": "browser_views",
                        "label": label,
                        "repo": str(repo),
                        "commit": commit,
                        "view": view,
                        "repeat": args.repeat,
                        **got,
                        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                        "cpus": os.cpu_count(),
                        "versions": versions,
                        "server_start_s": round(server_s, 2),
                        "warm_up_s": {k: round(v, 2) for k, v in warm.items()},
                        "date": datetime.datetime.now().isoformat(timespec="seconds"),
                    }
                    results.append(result)
                    if args.out:
                        with open(args.out, "a") as fh:
                            fh.write(json.dumps(result) + "\n")
            finally:
                if live is not None:
                    stop(live, signal.SIGINT, 60)
                co.stop_server()
                browser.close()
    print(table(results))


if __name__ == "__main__":
    main()
