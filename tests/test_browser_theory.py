"""A real browser (headless Debian chromium) opens a shared Theory link against `streamlit run app.py`."""

import pytest

from mechsparse.theory import graphs

pytestmark = pytest.mark.browser


def test_shared_link_opens_that_graph(app_url: str, page) -> None:
    spec = graphs.preset("teach-nested")
    page.goto(f"{app_url}/theory?g={graphs.encode(spec)}")
    page.get_by_text("Verdict: partial: z2 identified; z1 may mix with ẑ2").wait_for(timeout=60_000)
    page.get_by_text("z1 is not identified: it may mix with ẑ2, as z2 also has its action parent a1.").wait_for(
        timeout=30_000
    )
    # app.py ran (its sidebar shows the device), even though this deep link is the fresh server's first request
    page.get_by_text("Device:").wait_for(timeout=30_000)
    assert "Page not found" not in page.content()
    assert f"g={graphs.encode(spec)}" in page.url


def test_root_opens_default_preset(app_url: str, page) -> None:
    page.goto(app_url)
    page.get_by_text("Verdict: complete disentanglement").wait_for(timeout=60_000)
    page.wait_for_url(f"**/theory?g={graphs.encode(graphs.preset(graphs.DEFAULT_PRESET))}", timeout=30_000)


def wait_for_link(page, spec: graphs.GraphSpec) -> None:
    """Wait until the address bar holds spec's link (read from location: page.url misses replaceState)."""
    page.wait_for_function("g => new URLSearchParams(location.search).get('g') === g", arg=graphs.encode(spec))


def test_switching_gz_off_and_on_keeps_the_taught_graph(app_url: str, page) -> None:
    """Switching "use Gz" off and on used to replace teach-combined's Gz by the identity."""
    spec = graphs.preset("teach-combined")
    page.goto(f"{app_url}/theory?g={graphs.encode(spec)}")
    page.get_by_text("Verdict: complete disentanglement").wait_for(timeout=60_000)
    page.get_by_role("radio", name="Edit Ga / Gz").click()
    editors = page.locator("[data-testid=stDataFrame]")
    editors.nth(1).wait_for(timeout=30_000)  # the panel is drawn: the layout stands still for the click
    use_gz = page.locator("label").filter(has=page.get_by_role("switch", name="use Gz"))  # the label takes clicks
    use_gz.click()
    page.get_by_text("Verdict: partial: no latent identified; {z1, z2} twins").wait_for(timeout=30_000)
    wait_for_link(page, graphs.GraphSpec(ga=spec.ga))
    page.wait_for_function("document.querySelectorAll('[data-testid=stDataFrame]').length === 1")
    use_gz.click()
    page.get_by_text("Verdict: complete disentanglement").wait_for(timeout=30_000)
    wait_for_link(page, spec)  # Gz as taught, not the identity (that would read a1.1~z10.01)
    page.get_by_text("Showing preset teach-combined").wait_for(timeout=30_000)
    editors.nth(1).wait_for(timeout=30_000)  # the Gz editor is back
