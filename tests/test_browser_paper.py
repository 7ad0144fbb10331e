"""A real browser runs a grid: upload a tiny grid file on the Paper page, start it, see its rows fill in beside the
paper's numbers, and open one of its runs on the Train page."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

TINY = {
    "name": "browser-tiny",
    "seeds": [0],
    "datasets": [{"preset": "time-diag", "n": 300}],
    "methods": ["constraint", "none"],
    "budget": {"steps": 40},
    "config": {"eval_every": 20, "eval_samples": 200, "batch_size": 64, "device": "cpu"},
}


def test_upload_start_and_watch_rows_appear(page, app_url, tmp_path):
    grid_file = tmp_path / "browser-tiny.json"
    grid_file.write_text(json.dumps(TINY))
    page.goto(f"{app_url}/paper")
    page.get_by_text("Start a grid").wait_for(timeout=60_000)
    page.get_by_text("From a file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(grid_file))
    page.get_by_text("2 runs").first.wait_for(timeout=30_000)  # the grid was read: its size is shown
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("finished: all 2 runs").wait_for(timeout=180_000)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    assert "0.960" in page.content()  # the paper's TimeDiag MCC beside ours (the grid's table)
    page.get_by_role("tab", name="Per run").click()
    page.get_by_role("button", name="Table (CSV)").wait_for(timeout=30_000)
    page.get_by_role("button", name="Table (Markdown)").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "paper.png"), full_page=True)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection cell
    page.wait_for_url("**/train?run=*", timeout=30_000)
    assert "browser-tiny" not in page.url and "time-diag-constraint-s0" in page.url
