"""Does watching a run live slow it down? Steps/s of the same run, headless vs watched in a real browser.

Headless: the run goes through mechsparse.runs.jobs exactly as in the app (snapshots published every 0.5 s), with no
page attached. Watched: `streamlit run app.py` serves the Train page to headless Debian chromium, the run is
started from the form and the page stays open (live refresh every second) until it ends. Both use the same
preset, seed, sample count and time limit; the two are alternated `--repeats` times.

    .venv/bin/python benchmarks/live_overhead.py --seconds 60 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def headless(preset: str, n: int, seconds: float, runs_dir: Path) -> float:
    os.environ["MECHSPARSE_RUNS_DIR"] = str(runs_dir)
    from mechsparse.data import synthetic
    from mechsparse.learning.config import default_config
    from mechsparse.runs import store
    from mechsparse.runs.jobs import JobRegistry
    from mechsparse.theory import graphs

    ds = synthetic.generate(graphs.preset(preset), n, seed=0, name=preset)
    cfg = default_config(ds, max_seconds=seconds, seed=0)
    run_id = store.create_run(ds, cfg, f"{preset}-headless").name
    job = JobRegistry().start(run_id)
    job.join()
    return store.load_run(run_id).summary.steps_per_second


def watched(preset: str, n: int, seconds: float, runs_dir: Path) -> float:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MECHSPARSE_RUNS_DIR=str(runs_dir))
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
           "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.goto(f"{base}/train")
            page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
            page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset").click()
            page.get_by_role("option", name=preset, exact=True).click()
            page.get_by_label("Samples (preset / Theory graphs)").fill(str(n))
            page.get_by_label("Time limit (s)").fill(str(int(seconds)))
            page.get_by_role("button", name="Start training").click()
            page.wait_for_url(re.compile(r".*[?&]run=[\w-]+"), timeout=120_000)
            run_id = re.search(r"run=([\w-]+)", page.url).group(1)
            page.get_by_text("status finished").wait_for(timeout=int((seconds + 180) * 1000))
            browser.close()
        summary = json.loads((runs_dir / run_id / "summary.json").read_text())
        return summary["steps_per_second"]
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="action-nondiag")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            for mode, fn in (("headless", headless), ("watched", watched)):
                folder = Path(tmp) / f"{mode}-{k}"
                folder.mkdir()
                if mode == "headless":  # a child process, so both modes start from a fresh interpreter
                    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.live_overhead import "
                            f"headless; print(headless({args.preset!r}, {args.n}, {args.seconds}, "
                            f"__import__('pathlib').Path({str(folder)!r})))")  # fmt: skip
                    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                    sps = float(out.stdout.strip().splitlines()[-1])
                else:
                    sps = fn(args.preset, args.n, args.seconds, folder)
                rows.append((mode, k, sps))
                print(f"{mode:9s} repeat {k}: {sps:7.1f} steps/s", flush=True)
    head = [s for m, _, s in rows if m == "headless"]
    live = [s for m, _, s in rows if m == "watched"]
    mean_h, mean_w = sum(head) / len(head), sum(live) / len(live)
    print(f"\n| mode | steps/s (mean of {args.repeats}) |\n|---|---|\n| headless | {mean_h:.1f} |\n"
          f"| watched live in chromium | {mean_w:.1f} |\n\nslow-down: {100 * (1 - mean_w / mean_h):.1f}%")  # fmt: skip


if __name__ == "__main__":
    main()
