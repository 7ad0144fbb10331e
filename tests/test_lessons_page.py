"""AppTest for the Lessons page: every chapter renders, exercises are graded from their link's seed, the score is
kept, class mode has no controls, and bad links or damaged recordings are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_state import job_registry
from mechsparse.runs import export
from mechsparse.teaching import lessons, recordings
from mechsparse.teaching.exercises import registry

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "lessons.py")


def _page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = str(value)
    return at.run()


def _submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Check my answer").click()
    return at.run()


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.fixture(autouse=True)
def _no_rendering(monkeypatch):
    """Downloads render on click only; a render here would mean the page built images it was not asked for."""
    monkeypatch.setattr(export, "render_image", lambda fig, fmt: pytest.fail("rendered an image unasked"))


@pytest.mark.parametrize("chapter", lessons.load_chapters(), ids=lambda c: c.slug)
def test_every_chapter_renders_its_text_figure_replay_and_exercise(chapter, runs_dir):
    at = _page(chapter=chapter.number)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == f"{chapter.number}. {chapter.title}"
    headers = [h.value for h in at.subheader]
    assert "Try it" in headers
    assert ("See it learned" in headers) == bool(chapter.replays)
    assert ("Check yourself" in headers) == (chapter.exercise is not None)
    assert at.get("plotly_chart")
    assert not any("has not been recorded yet" in i.value for i in at.info)  # the package ships every recording
    assert at.query_params["chapter"] == str(chapter.number)


def test_an_exercise_link_opens_that_exercise_and_grades_it(runs_dir):
    ex = registry.make("consistent", 123)
    chapter = next(c for c in lessons.load_chapters() if c.exercise == "consistent")
    at = _page(chapter=chapter.number, exercise="consistent", seed=123)
    assert "(exercise 123)" in _text(at)
    radio = at.radio(key=f"ex-form-{chapter.number}-123-option")
    radio.set_value(ex.expected)
    _submit(at)
    assert at.success and not at.error
    assert at.metric[0].value == "1 / 1"
    wrong = (ex.expected + 1) % len(ex.option_labels)
    at.radio(key=f"ex-form-{chapter.number}-123-option").set_value(wrong)
    _submit(at)
    assert at.error  # graded wrong this time ...
    assert at.metric[0].value == "1 / 1"  # ... but an exercise counts once, by its first answer
    assert any(e.label == "Why, latent by latent" for e in at.expander)


def test_a_wrong_first_answer_scores_zero_and_explains(runs_dir):
    ex = registry.make("twins", 7)
    chapter = next(c for c in lessons.load_chapters() if c.exercise == "twins")
    at = _page(chapter=chapter.number, exercise="twins", seed=7)
    for i in range(ex.truth.dz):  # every latent in its own class: wrong, since this graph has twins
        at.selectbox(key=f"ex-form-{chapter.number}-7-class-{i}").set_value(chr(ord("A") + i))
    _submit(at)
    assert at.error and at.metric[0].value == "0 / 1"
    assert "The answer:" in _text(at)


def test_class_mode_has_no_controls_and_keeps_the_answer_behind_an_expander(runs_dir):
    chapter = next(c for c in lessons.load_chapters() if c.figure == "twins")
    at = _page(chapter=chapter.number, mode="class")
    assert not at.exception and not at.error
    assert not at.selectbox and not at.slider and not at.radio and not at.toggle and not at.button
    assert any(e.label == "Answer" for e in at.expander)
    assert [d.proto.label for d in at.get("download_button")][:2] == ["PNG", "SVG"]
    assert at.query_params["mode"] == "class"


def test_bad_links_are_one_line_and_show_something_useful(runs_dir):
    at = _page(chapter=99)
    assert "there is no chapter 99" in at.error[0].value and at.title[0].value.startswith("1. ")
    at = _page(chapter=2, exercise="identified", seed=-4)
    assert any("seed must be between 0 and" in e.value for e in at.error)
    assert not at.exception
    at = _page(chapter=2, g="not-a-graph")
    assert any("Cannot open the graph in this link" in e.value for e in at.error)


def test_a_graph_link_opens_that_graph(runs_dir):
    at = _page(chapter=2, g="a10.11")  # teach-nested
    assert "z2 identified; z1 may mix with ẑ2" in " ".join(w.value for w in at.warning)


def test_a_missing_or_damaged_recording_is_one_line(runs_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(lessons, "RECORDED_DIR", tmp_path)
    at = _page(chapter=1)
    assert any("has not been recorded yet" in i.value for i in at.info)
    (tmp_path / "action-nondiag").mkdir()
    (tmp_path / "action-nondiag" / recordings.RECORD_FILE).write_text("{not json")
    at = _page(chapter=1)
    assert any("recording action-nondiag cannot be read" in e.value for e in at.error)
    assert not at.exception


def test_train_it_yourself_starts_the_recipe_as_a_live_run(runs_dir, monkeypatch):
    job_registry.clear()
    started, opened = [], []
    monkeypatch.setattr(type(job_registry()), "start", lambda self, run_id: started.append(run_id))
    monkeypatch.setattr(st, "switch_page", lambda page, query_params=None: opened.append((page, query_params)))
    chapter = next(c for c in lessons.load_chapters() if "teach-together" in c.replays)
    at = _page(chapter=chapter.number)
    at.number_input(key=f"lesson_seed_{chapter.number}_teach-together").set_value(4)
    next(b for b in at.button if b.label == "Train it yourself").click()
    at.run()
    assert len(started) == 1 and opened == [("views/train.py", {"run": started[0]})]
    config = __import__("json").loads((runs_dir / started[0] / "config.json").read_text())
    assert config["config"]["seed"] == 4 and config["meta"]["source"] == "lessons"
    assert config["config"]["max_steps"] == lessons.RECIPES["teach-together"].options["max_steps"]
