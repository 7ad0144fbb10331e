"""A real browser (headless Debian chromium) walks the Lessons against `streamlit run app.py`: every chapter, one
replay played, one exercise answered right and one wrong, and a class-mode link."""

import re

import pytest

from mechsparse.teaching import lessons
from mechsparse.teaching.exercises import common, registry

pytestmark = pytest.mark.browser


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _title(page, chapter: lessons.Chapter):
    return page.get_by_role("heading", name=f"{chapter.number}. {chapter.title}", exact=True)


def _exercise(page, kind: str) -> common.Exercise:
    """The exercise the page shows, rebuilt from the seed it prints (the grader's own expectation)."""
    label = _main(page).locator("p", has_text=registry.KINDS[kind]).filter(has_text=re.compile(r"\(exercise \d+\)"))
    label = label.first
    label.wait_for(timeout=30_000)
    seed = int(re.search(r"exercise (\d+)", label.inner_text()).group(1))
    return registry.make(kind, seed)


def _play_replay(page) -> None:
    """Press the replay's own Play button: the slider's current step moves on, with no server round trip."""
    chart = _main(page).locator("[data-testid=stPlotlyChart]").filter(has=page.locator(".updatemenu-button"))
    chart.first.wait_for(timeout=60_000)
    current = (
        "() => { const t = Array.from(document.querySelectorAll('.slider-container text'))"
        ".find(e => e.textContent.startsWith('step ')); return t ? t.textContent : null; }"
    )
    page.wait_for_function(current, timeout=30_000)
    before = page.evaluate(current)
    chart.first.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(f"([before]) => ({current})() !== before", arg=[before], timeout=30_000)


def test_walk_every_chapter_play_a_replay_and_answer_exercises(app_url: str, page) -> None:
    chapters = lessons.load_chapters()
    page.goto(f"{app_url}/lessons?chapter=1")
    _title(page, chapters[0]).wait_for(timeout=60_000)
    answered = 0
    for chapter in chapters:
        _title(page, chapter).wait_for(timeout=60_000)
        _main(page).get_by_role("heading", name="Try it").first.wait_for(timeout=30_000)
        if chapter.replays:
            _main(page).get_by_role("heading", name="See it learned").first.wait_for(timeout=30_000)
        if chapter.number == 2:
            _main(page).get_by_role("heading", name="Check yourself").first.wait_for(timeout=30_000)  # drawn after it
            page.wait_for_timeout(1_000)
            _play_replay(page)
            ex = _exercise(page, "identified")
            form = _main(page).get_by_test_id("stForm")
            for i in sorted(ex.expected):
                form.get_by_role("button", name=f"z{i + 1}", exact=True).click()
            form.get_by_role("button", name="Check my answer").click()
            _main(page).get_by_test_id("stAlertContentSuccess").wait_for(timeout=30_000)
            answered += 1
        if chapter.exercise == "consistent":
            ex = _exercise(page, "consistent")
            wrong = next(k for k in range(len(ex.option_labels)) if k != ex.expected)
            form = _main(page).get_by_test_id("stForm")
            form.get_by_text(ex.option_labels[wrong], exact=True).click()
            form.get_by_role("button", name="Check my answer").click()
            _main(page).get_by_test_id("stAlertContentError").first.wait_for(timeout=30_000)
            _main(page).get_by_text("Why, latent by latent").wait_for(timeout=30_000)
            answered += 1
        if chapter.number < len(chapters):
            nxt = page.locator(
                ".st-key-lesson_next button", has_text=f"{chapter.number + 1}. {chapters[chapter.number].title}"
            )
            nxt.wait_for(timeout=30_000)  # the button of this chapter, not the last one's while the page reruns
            nxt.click()
    assert answered == 2
    score = _main(page).get_by_test_id("stMetric").filter(has_text="Exercises right at the first try")
    assert "1 / 2" in score.inner_text()  # one right, one wrong, kept for the session


def test_a_class_mode_link_opens_a_chapter_without_controls(app_url: str, page) -> None:
    chapter = lessons.find_chapter(lessons.load_chapters(), "partial-disentanglement")
    page.goto(f"{app_url}/lessons?chapter={chapter.number}&mode=class")
    _title(page, chapter).wait_for(timeout=60_000)
    _main(page).get_by_role("heading", name="See it learned").first.wait_for(timeout=30_000)
    page.locator("[data-testid=stSidebar]").wait_for(state="hidden", timeout=30_000)
    assert page.locator("[data-testid=stSlider]").count() == 0  # the figure's controls are gone
    assert _main(page).get_by_role("button", name="Check my answer").count() == 0
    _main(page).get_by_text("Answer", exact=True).wait_for(timeout=30_000)  # the teacher reveals it


def test_train_it_yourself_opens_the_live_run_on_the_train_page(app_url: str, page) -> None:
    chapter = next(c for c in lessons.load_chapters() if "teach-together" in c.replays)
    page.goto(f"{app_url}/lessons?chapter={chapter.number}")
    _title(page, chapter).wait_for(timeout=60_000)
    _main(page).get_by_role("button", name="Train it yourself").click()
    page.wait_for_url(re.compile(r"/train\?run=.*teach-together"), timeout=60_000)
    stop = _main(page).get_by_role("button", name="Stop", exact=True)
    stop.wait_for(timeout=60_000)
    stop.click()
    _main(page).get_by_text(re.compile(r"stopped")).first.wait_for(timeout=60_000)
