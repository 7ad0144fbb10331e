"""A real browser (headless Debian chromium) opens a shared Theory link against `streamlit run app.py`."""

import pytest

from mechsparse import graphs

pytestmark = pytest.mark.browser


def test_shared_link_opens_that_graph(app_url: str, page) -> None:
    spec = graphs.preset("teach-nested")
    page.goto(f"{app_url}/theory?g={graphs.encode(spec)}")
    page.get_by_text("Verdict: partial: z2 identified; z1 may mix in z2").wait_for(timeout=60_000)
    page.get_by_text("z1 may also depend on z2: {a1} drives both, {a2} only z2.").wait_for(timeout=30_000)
    # app.py ran (its sidebar shows the device), even though this deep link is the fresh server's first request
    page.get_by_text("Device:").wait_for(timeout=30_000)
    assert "Page not found" not in page.content()
    assert f"g={graphs.encode(spec)}" in page.url


def test_root_opens_default_preset(app_url: str, page) -> None:
    page.goto(app_url)
    page.get_by_text("Verdict: complete disentanglement").wait_for(timeout=60_000)
    page.wait_for_url(f"**/theory?g={graphs.encode(graphs.preset(graphs.DEFAULT_PRESET))}", timeout=30_000)
