"""A real browser (headless Debian chromium) opens a Theory link in class mode against `streamlit run app.py`."""

import pytest

from mechsparse.theory import graphs

pytestmark = pytest.mark.browser


def test_class_mode_hides_the_sidebar_and_offers_image_downloads(app_url: str, page) -> None:
    spec = graphs.preset("teach-nested")
    page.goto(f"{app_url}/theory?g={graphs.encode(spec)}&mode=class")
    page.get_by_text("Verdict: partial: z2 identified; z1 may mix with ẑ2").wait_for(timeout=60_000)
    page.get_by_text("What 'identified' assumes").wait_for(timeout=30_000)
    assert page.locator("[data-testid=stSidebar]").is_hidden()
    assert page.locator("[data-testid=stExpandSidebarButton]").count() == 0 or (
        page.locator("[data-testid=stExpandSidebarButton]").is_hidden()
    )
    assert page.locator("[data-testid=stSidebarNav]").is_hidden()
    assert page.get_by_text("Device:").is_hidden()  # the sidebar's contents too
    assert page.locator("[data-testid=stSelectbox]").count() == 0  # no controls
    body = page.locator("[data-testid=stMarkdownContainer] p").first
    assert float(body.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")) >= 20  # 1.3 x 16 px
    png = page.locator("[data-testid=stDownloadButton] button:visible").filter(has_text="PNG")
    png.first.wait_for(timeout=30_000)
    assert png.count() == 3  # Ga, C and the drawing
    with page.expect_download(timeout=90_000) as download:  # rendered on click, in one headless browser
        png.first.click()
    assert download.value.suggested_filename == "teach-nested-Ga.png"
    with open(download.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    params = "new URLSearchParams(location.search)"
    page.wait_for_function(f"{params}.get('mode') === 'class' && {params}.get('g') === '{graphs.encode(spec)}'")
