"""A real browser trains live: start a short run, watch it change in the presentation layout, reattach by link
while it trains, pause, stop; and an unregularised run counts every edge."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

STEP_RE = re.compile(r"step ([\d,]+)(?: / [\d,]+)? ·")


def _main(page):
    """The page's own content: Streamlit's header shows a "Stop" button of its own while a script reruns."""
    return page.get_by_test_id("stMainBlockContainer")


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


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _fill_form(page, app_url: str, steps: int, sparsity: str | None = None, method: str | None = None) -> None:
    """Fill the New run form for teach-nested on the CPU (with ``method``'s label: that method)."""
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    _choose(page, "Preset", "teach-nested")
    page.get_by_text("How long it takes").wait_for(timeout=30_000)  # the preset change has been applied
    if method is not None:
        _choose(page, "Method", method)
        page.locator("strong", has_text=method).first.wait_for(timeout=30_000)  # the method change is applied
    page.get_by_label("Samples (preset / Theory graphs)").fill("2000")
    page.get_by_label("Step limit").fill(str(steps))
    if sparsity is not None:
        page.locator('[data-testid="stRadio"]').filter(has_text="Sparsity").get_by_text(sparsity, exact=True).click()
    _choose(page, "Device", "cpu")


def _start(page, app_url: str, steps: int, sparsity: str | None = None, method: str | None = None) -> str:
    """Fill the form, press Start; return the run id from the URL."""
    _fill_form(page, app_url, steps, sparsity, method)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r".*[?&]run=[\w-]+"), timeout=60_000)
    return re.search(r"run=([\w-]+)", page.url).group(1)


def _charts(page, n: int, timeout: float = 60.0) -> int:
    """Wait until exactly n of the run's large panels (keyed big-*) are drawn and none is a stale copy left over
    from the previous refresh; return n."""
    panels = page.locator('[class*="st-key-big-"] [data-testid="stPlotlyChart"]')
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        stale = page.locator('[data-stale="true"] [data-testid="stPlotlyChart"]').count()
        seen = panels.filter(has=page.locator(".main-svg")).count()
        if seen == n == panels.count() and not stale:
            return n
        time.sleep(0.3)
    raise AssertionError(f"{seen} large panels drawn, expected {n}, within {timeout} s")


def test_live_run_presentation_reattach_pause_stop(app_url: str, page, browser, tmp_path) -> None:
    run_id = _start(page, app_url, 200_000)
    page.get_by_text(STEP_RE).first.wait_for(timeout=60_000)
    # the presentation layout: the form folds away, four large panels, each saying what to look for
    assert not page.get_by_role("button", name="Start training").is_visible()
    _charts(page, 4)
    page.get_by_text("orange outlines mark the true edges").wait_for(timeout=30_000)

    steps = _changes(page, lambda: _step(page), 2)
    assert len(steps) >= 3 and steps == sorted(steps), steps
    frames = _changes(page, lambda: _heatmap_values(page), 2, timeout=120.0)
    assert len(frames) >= 3, f"the correlation heatmap did not change twice: {frames}"

    # a collaborator opens the run's link while it trains: live panels at once, and they keep moving
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        second = other.new_page()
        second.goto(f"{app_url}/train?run={run_id}")
        _charts(second, 4, timeout=30.0)
        steps_there = _changes(second, lambda: _step(second), 1)
        assert len(steps_there) >= 2, steps_there
    finally:
        other.close()

    _main(page).get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text("status paused").wait_for(timeout=30_000)

    page.goto(f"{app_url}/train?run={run_id}")  # a reload, or a collaborator opening the shared link
    page.get_by_text(run_id).first.wait_for(timeout=60_000)
    page.get_by_text("status paused").wait_for(timeout=30_000)
    paused_at = _step(page)
    time.sleep(1.5)
    assert _step(page) == paused_at

    _main(page).get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("status stopped").wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "train-stopped.png"), full_page=True)
    assert (tmp_path / "train-stopped.png").stat().st_size > 10_000


def test_unregularised_run_counts_every_edge(app_url: str, page) -> None:
    """Sparsity 'none' keeps the full graph: the expected edge count is all of it (was shown as 0)."""
    _start(page, app_url, 300, sparsity="none")
    page.get_by_text("status finished").wait_for(timeout=120_000)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Expected edges")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "4.0"  # teach-nested: 2 x 2
    page.get_by_text("No sparsity constraint: every edge is kept").wait_for(timeout=10_000)


def test_ivae_run_updates_its_panels_and_an_incompatible_method_is_refused(app_url: str, page) -> None:
    """A baseline trains live with the same panels (the graph panel says it learns none); a method that cannot
    use the chosen data is named on the page and refused in one line, with no run made."""
    _fill_form(page, app_url, 200_000, method="SlowVAE")
    page.get_by_text("SlowVAE needs temporal data").first.wait_for(timeout=30_000)  # said before Start
    page.get_by_role("button", name="Start training").click()
    page.locator('[data-testid="stAlert"]').filter(has_text="needs temporal data").nth(1).wait_for(timeout=30_000)
    assert "run=" not in page.url

    run_id = _start(page, app_url, 200_000, method="iVAE")
    page.get_by_text(STEP_RE).first.wait_for(timeout=60_000)
    page.get_by_text(f"{run_id} · iVAE").first.wait_for(timeout=30_000)
    _charts(page, 4)
    page.get_by_text("This method learns no graph").wait_for(timeout=30_000)
    page.locator(".stPlotlyChart").filter(has_text="no Ga learned (iVAE)").first.wait_for(timeout=30_000)
    steps = _changes(page, lambda: _step(page), 2)
    assert len(steps) >= 3 and steps == sorted(steps), steps
    frames = _changes(page, lambda: _heatmap_values(page), 2, timeout=120.0)
    assert len(frames) >= 3, f"the correlation heatmap did not change twice: {frames}"
    _main(page).get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("status stopped").wait_for(timeout=60_000)
