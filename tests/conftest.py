"""Shared fixtures: a real `streamlit run app.py` server and a headless Debian chromium (Playwright).

Both are session-scoped and general, so every browser test reuses one server and one browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# In-process app tests make many short-lived registries: no spare worker for each (tests/test_jobs.py pins the
# spare; the browser tests' server keeps one, as the app does).
os.environ.setdefault("MECHSPARSE_SPARE_WORKER", "0")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_LIMIT_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture()
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MECHSPARSE_RUNS_DIR for one test (runs are never written to ./runs)."""
    monkeypatch.setenv("MECHSPARSE_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture()
def no_kaleido_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kaleido as on a machine without a browser for it: every session fails to start (export falls back to HTML)."""
    kaleido = pytest.importorskip("kaleido")

    class NoBrowser:
        def __init__(self, *args, **kwargs):
            raise kaleido.errors.ChromeNotFoundError("no browser here")

    monkeypatch.setattr(kaleido, "Kaleido", NoBrowser)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `streamlit run app.py` headless on a free loopback port; yield its base URL; stop it afterwards.

    Runs are written to a temporary MECHSPARSE_RUNS_DIR so tests never touch ./runs.
    """
    port = _free_port()
    env = dict(os.environ, MECHSPARSE_RUNS_DIR=str(tmp_path_factory.mktemp("runs")), OMP_NUM_THREADS="1")
    env["MECHSPARSE_SPARE_WORKER"] = "1"
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("w")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not _answers(f"{base}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer within {STARTUP_LIMIT_S} s; see {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Debian chromium driven by Playwright; skipped where chromium is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (make test installs Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh browser page (own context, 1400 x 1000) per test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
