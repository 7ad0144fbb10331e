"""Lessons: guided chapters on mechanism sparsity. Each chapter (mechsparse/teaching/chapters/*.md, data, not code)
has its text, one interactive figure, a replay of a recorded run with "train it yourself", and an auto-graded
exercise. What to show is decided in mechsparse.teaching.lesson_view; this page holds the widgets and the layout.

Links: ?chapter=N opens a chapter; ?g=<code> the graph of its figure; ?exercise=KIND&seed=S one exercise (a teacher
hands out the same one); ?mode=class shows it to a room (no controls, large type; add embed=true to hide
Streamlit's toolbar too). The session's exercise score lives in st.session_state, as a Scorecard.
"""

from __future__ import annotations

import streamlit as st

from app_state import class_mode, escape_markdown, job_registry, plain_markdown
from mechsparse.figures.graph_drawings import graph_heatmap
from mechsparse.figures.style import latent_labels
from mechsparse.runs.jobs import JobLimitError
from mechsparse.runs.launch import launch_run
from mechsparse.teaching import lesson_view, lessons, recordings
from mechsparse.teaching.exercises.common import Exercise
from mechsparse.teaching.exercises.registry import KINDS, grade, make
from mechsparse.teaching.exercises.scorecard import Scorecard
from mechsparse.theory import graphs
from views.lesson_widgets import FIGURES, PLOT_CONFIG, bullets, recording, replay, set_link, show

ss = st.session_state
CLASS = class_mode()
SCORECARD_KEY = "_lesson_scorecard"  # this session's exercise seeds, last grades and score: a Scorecard


@st.cache_resource(show_spinner=False)
def _chapters(extra: str | None) -> list[lessons.Chapter]:
    return lessons.load_chapters(extra)


# ---------------------------------------------------------------- see it learned


def _start_recipe(recipe: lessons.Recipe, seed: int) -> str:
    """Start the recipe as a live run in the app's job registry; returns its run id."""
    registry = job_registry()
    registry.check_capacity()
    ds, config = lessons.recipe_inputs(recipe, seed=seed)
    return launch_run(registry, ds, config, recipe.data_name, source="lessons")


def _train_it_yourself(ch: lessons.Chapter, name: str, rec: recordings.Recording) -> None:
    """A seed and a button that start the recording's recipe live, on the Train page."""
    with st.container(border=True):
        c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
        seed = c1.number_input(
            "Training seed", 0, 2**31 - 1, lesson_view.train_seed(rec.recipe), key=f"lesson_seed_{ch.number}_{name}"
        )
        c2.caption(lesson_view.train_caption(rec.recipe))
        if c2.button("Train it yourself", key=f"lesson_train_{ch.number}_{name}", icon=":material/play_arrow:"):
            try:
                run_id = _start_recipe(rec.recipe, int(seed))
            except (ValueError, OSError, JobLimitError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.switch_page("views/train.py", query_params={"run": run_id})


def see_it_learned(ch: lessons.Chapter) -> None:
    if not ch.replays:
        return
    st.subheader("See it learned")
    name = ch.replays[0]
    picker = len(ch.replays) > 1 and not CLASS
    if picker:
        name = st.selectbox(
            "Recorded run",
            ch.replays,
            format_func=lambda n: lessons.RECIPES[n].title,
            key=f"lesson_replay_{ch.number}",
        )
    try:
        rec = recording(name)
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        return
    if rec is None:
        st.info(f"{name} has not been recorded yet: run `python -m mechsparse record-lessons --only {name}`.")
        return
    st.markdown(lesson_view.replay_headline(rec, with_title=not picker, escape=escape_markdown))
    figure = replay(name, lesson_view.replay_metric(rec))
    show(figure, f"replay-{ch.number}-{name}", f"lesson{ch.number}-{name}-replay")
    st.caption(lesson_view.replay_caption(rec, escape=escape_markdown))
    if not CLASS:
        _train_it_yourself(ch, name, rec)


# ---------------------------------------------------------------- check yourself (exercises)


def _scorecard() -> Scorecard:
    return ss.setdefault(SCORECARD_KEY, Scorecard())


def _exercise_seed(ch: lessons.Chapter) -> int:
    """The link's seed when it names this chapter's exercise, else this session's seed for the chapter."""
    qp = st.query_params
    seed, error = _scorecard().seed_for(ch.number, ch.exercise, qp.get("exercise"), qp.get("seed"))
    if error:
        st.error(error)
    return seed


def _truth_figures(spec: graphs.GraphSpec, key: str, *, title: str = "") -> None:
    """The exercise's true graphs, downloadable for a handout."""
    h = lesson_view.heatmap_height(spec, 260, 360)
    kinds = [(k, g) for k, g in (("a", spec.ga), ("z", spec.gz)) if g is not None]
    for col, (k, g) in zip(st.columns(max(len(kinds), 2)), kinds, strict=False):
        fig = graph_heatmap(g, k, height=h)
        if title:
            fig.update_layout(title={"text": f"{title}: {fig.layout.title.text}"})
        with col:
            show(fig, f"{key}-{k}", f"{key}-G{k}")


def _candidate_figures(ex: Exercise, key: str) -> None:
    """The learned candidates of a 'consistent' exercise, side by side (downloadable on a slide)."""
    for col, label, cand in zip(st.columns(len(ex.options)), ex.option_labels, ex.options, strict=True):
        with col:
            st.markdown(f"**{label}**")
            for k, g in (("a", cand.ga), ("z", cand.gz)):
                if g is not None:
                    fig = graph_heatmap(g, k, height=240)
                    fig.update_layout(title={"text": lesson_view.candidate_title(label, k)})
                    if CLASS:  # on a slide: downloadable
                        show(fig, f"{key}-{label}-{k}", f"exercise-{ex.seed}-{label}-G{k}")
                    else:
                        st.plotly_chart(fig, key=f"{key}-{label}-{k}", config=PLOT_CONFIG)


def _answer_form(ex: Exercise, key: str):
    """The answer widgets for this kind of exercise, in a form; returns the answer when submitted, else None."""
    with st.form(key, border=True):
        dz = ex.truth.dz
        names = latent_labels(dz)
        if ex.kind == "identified":
            picked = st.pills("Identified latents", names, selection_mode="multi", key=f"{key}-pick")
            answer = {names.index(p) for p in picked or []}
        elif ex.kind == "twins":
            st.caption("Give twins the same class; a latent with no twin gets a class of its own.")
            labels = lesson_view.class_labels(dz)
            cols = st.columns(dz)
            answer = [cols[i].selectbox(names[i], labels, index=i, key=f"{key}-class-{i}") for i in range(dz)]
        else:
            answer = st.radio(
                "Your answer",
                range(len(ex.option_labels)),
                format_func=lambda k: ex.option_labels[k],
                key=f"{key}-option",
                horizontal=ex.kind == "consistent",
                index=None,
            )
        submitted = st.form_submit_button("Check my answer", type="primary")
    if not submitted:
        return None
    if answer is None:
        st.warning("Choose an answer first.")
        return None
    return answer


def _grade_view(ex: Exercise, answer: object) -> None:
    """Grade this run's answer (if any), then show the exercise's last grade and why."""
    if answer is not None:
        try:
            _scorecard().check(ex, answer)
        except ValueError as exc:
            st.error(escape_markdown(str(exc)))
    result = _scorecard().last_grade(ex)
    if result is not None:
        (st.success if result.correct else st.error)(plain_markdown(result.summary))
        with st.expander("Why, latent by latent", expanded=not result.correct):
            if not result.correct:
                st.markdown(plain_markdown(f"The answer: {result.expected_text}"))
            st.markdown(bullets(result.reasons))


def check_yourself(ch: lessons.Chapter) -> None:
    if ch.exercise is None:
        return
    st.subheader("Check yourself")
    seed = _exercise_seed(ch)
    try:
        ex = make(ch.exercise, seed)
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        return
    set_link(exercise=ex.kind, seed=seed)
    st.markdown(f"**{KINDS[ex.kind]}** (exercise {seed})")
    st.markdown(plain_markdown(ex.question))
    _truth_figures(ex.truth, f"ex-{ch.number}-{seed}", title="truth" if ex.kind == "consistent" else "")
    if ex.kind == "consistent":
        _candidate_figures(ex, f"ex-{ch.number}-{seed}")
    if CLASS:
        with st.expander("Answer"):
            model = grade(ex, ex.expected)
            st.markdown(plain_markdown(model.expected_text))
            st.markdown(bullets(model.reasons))
        return
    _grade_view(ex, _answer_form(ex, f"ex-form-{ch.number}-{seed}"))
    c1, c2 = st.columns([1, 4], vertical_alignment="center")
    if c1.button("New exercise", key=f"ex-new-{ch.number}", icon=":material/refresh:"):
        _scorecard().choose_seed(ch.number, None)
        st.rerun()
    c2.markdown(lesson_view.hand_out_text(ch.number, ex.kind, seed))


# ---------------------------------------------------------------- page


def _go(number: int) -> None:
    """Open another chapter: its own graph and exercise, not this one's."""
    set_link(chapter=number, g=None, exercise=None, seed=None)


def _chapter_picker(chapters: list[lessons.Chapter], chapter: lessons.Chapter):
    """The chapter picker, and beside it an empty slot for the score (filled once this run's answer is graded)."""
    nav, score_col = st.columns([5, 2], vertical_alignment="bottom")
    picked = nav.selectbox(
        "Chapter",
        chapters,
        index=chapter.number - 1,
        format_func=lesson_view.chapter_label,
        key=f"lesson_chapter_{chapter.number}",
    )
    if picked.number != chapter.number:
        _go(picked.number)
        st.rerun()
    return score_col.empty()


def _chapter_footer(chapters: list[lessons.Chapter], chapter: lessons.Chapter) -> None:
    """Previous and next chapter, and the class-mode link."""
    st.divider()
    prev_col, _, next_col = st.columns([5, 1, 5])
    if chapter.number > 1 and prev_col.button(
        f"← {lesson_view.chapter_label(chapters[chapter.number - 2])}", key="lesson_prev"
    ):
        _go(chapter.number - 1)
        st.rerun()
    if chapter.number < len(chapters) and next_col.button(
        f"{lesson_view.chapter_label(chapters[chapter.number])} →", key="lesson_next", width="stretch"
    ):
        _go(chapter.number + 1)
        st.rerun()
    st.caption(lesson_view.class_mode_caption(chapter.number))


try:
    chapters = _chapters(None)
except ValueError as exc:
    st.error(escape_markdown(f"Cannot load the lessons: {exc}"))
    st.stop()

try:
    chapter = lessons.find_chapter(chapters, st.query_params.get("chapter"))
except ValueError as exc:
    st.error(escape_markdown(f"{exc}; showing chapter 1."))
    chapter = chapters[0]

if not CLASS:
    score_box = _chapter_picker(chapters, chapter)
set_link(chapter=chapter.number)

st.title(lesson_view.chapter_label(chapter))
st.markdown(f"*{plain_markdown(chapter.summary)}*")
st.markdown(chapter.body)
st.subheader("Try it")
try:
    FIGURES[chapter.figure](chapter)
except ValueError as exc:
    st.error(escape_markdown(str(exc)))
see_it_learned(chapter)
check_yourself(chapter)

if not CLASS:
    score_box.metric(
        "Exercises right at the first try",
        _scorecard().score_text(),
        help="This session's score: each exercise counts once, by its first answer.",
    )
    _chapter_footer(chapters, chapter)
