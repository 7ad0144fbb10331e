"""A real browser trains live: start a short run, watch it change, pause, reattach by link, stop."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

STEP_RE = re.compile(r"step ([\d,]+) ·")


def _step(page) -> int:
    text = page.get_by_text(STEP_RE).first.inner_text(timeout=30_000)
    return int(STEP_RE.search(text).group(1).replace(",", ""))


def _heatmap_values(page) -> str:
    """The numbers printed in the |corr(z, z_hat)| heatmap (2x2 for a teaching preset: values are printed); it
    changes at every evaluation. Retried while the fragment redraws it."""
    for _ in range(20):
        try:
            return page.locator(".stPlotlyChart").filter(has_text="corr(z").first.text_content(timeout=5_000)
        except Exception:  # noqa: BLE001 - the fragment replaced the element under us; read again
            time.sleep(0.2)
    raise AssertionError("the correlation heatmap never settled")


def _changes(page, read, n: int, timeout: float = 60.0) -> list:
    """Read a value until it has changed n times (or time runs out); return the distinct values seen."""
    seen = [read()]
    deadline = time.monotonic() + timeout
    while len(seen) <= n and time.monotonic() < deadline:
        time.sleep(0.7)
        value = read()
        if value != seen[-1]:
            seen.append(value)
    return seen


def test_live_run_pause_reattach_stop(app_url: str, page, tmp_path) -> None:
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset").click()
    page.get_by_role("option", name="teach-nested").click()
    page.get_by_label("Samples (preset / Theory graphs)").fill("2000")
    page.get_by_label("Step limit").fill("200000")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Device").click()
    page.get_by_role("option", name="cpu", exact=True).click()
    page.get_by_role("button", name="Start training").click()

    page.wait_for_url(re.compile(r".*[?&]run=[\w-]+"), timeout=60_000)
    run_id = re.search(r"run=([\w-]+)", page.url).group(1)
    page.get_by_text(STEP_RE).first.wait_for(timeout=60_000)

    steps = _changes(page, lambda: _step(page), 2)
    assert len(steps) >= 3 and steps == sorted(steps), steps
    frames = _changes(page, lambda: _heatmap_values(page), 2, timeout=120.0)
    assert len(frames) >= 3, f"the correlation heatmap did not change twice: {frames}"

    page.get_by_role("button", name="Pause").click()
    page.get_by_text("status paused").wait_for(timeout=30_000)

    page.goto(f"{app_url}/train?run={run_id}")  # a reload, or a collaborator opening the shared link
    page.get_by_text(run_id).first.wait_for(timeout=60_000)
    page.get_by_text("status paused").wait_for(timeout=30_000)
    paused_at = _step(page)
    time.sleep(1.5)
    assert _step(page) == paused_at

    page.get_by_role("button", name="Stop").click()
    page.get_by_text("status stopped").wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "train-stopped.png"), full_page=True)
    assert (tmp_path / "train-stopped.png").stat().st_size > 10_000
