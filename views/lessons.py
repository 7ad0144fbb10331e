"""Lessons: guided chapters on mechanism sparsity. Each chapter (mechsparse/chapters/*.md, data, not code) has its
text, one interactive figure, a replay of a recorded run with "train it yourself", and an auto-graded exercise.

Links: ?chapter=N opens a chapter; ?g=<code> the graph of its figure; ?exercise=KIND&seed=S one exercise (a teacher
hands out the same one); ?mode=class shows it to a room (no controls, large type; add embed=true to hide
Streamlit's toolbar too). The session's exercise score lives in st.session_state.
"""

from __future__ import annotations

import contextlib

import plotly.graph_objects as go
import streamlit as st

from app_state import (
    class_mode,
    edit_graphs,
    escape_markdown,
    figure_downloads,
    job_registry,
    plain_markdown,
)
from mechsparse.figures import plots
from mechsparse.runs import store
from mechsparse.runs.jobs import JobLimitError
from mechsparse.teaching import exercises, lesson_figures, lessons, recordings
from mechsparse.theory import graphs, identifiability

ss = st.session_state
CLASS = class_mode()
PLOT_CONFIG = {"displayModeBar": False}
SCORE_KEY = "_lesson_scores"  # (kind, seed) -> first answer right?
ANSWERS_KEY = "_lesson_answers"  # (kind, seed) -> the last Grade shown
SEEDS_KEY = "_lesson_seeds"  # chapter number -> the exercise seed shown
GRAPH_KEY = "_lesson_graphs"  # chapter number -> GraphSpec of its figure
EDIT_VERSION_KEY = "_lesson_edit_version"  # bumps on every graph change, so the editors restart from it


def show(fig: go.Figure, key: str, name: str) -> None:
    """A lesson figure: projector-sized in class mode; PNG and SVG downloads under it for slides."""
    st.plotly_chart(plots.projector(fig) if CLASS else fig, key=key, config=PLOT_CONFIG)
    figure_downloads(fig, name, key=f"dl-{key}")


@st.cache_resource(show_spinner=False)
def _chapters(extra: str | None) -> list[lessons.Chapter]:
    return lessons.load_chapters(extra)


@st.cache_resource(max_entries=32, show_spinner=False)
def _recording(folder: str, name: str, stamp: float) -> recordings.Recording | None:
    """A recording read once per version of its files (stamp: record.json's mtime); shared, read-only."""
    return recordings.load_recording(name, folder)


def _stamp(name: str) -> tuple[str, str, float]:
    """Where recording ``name`` lives and the version of its files: the cache key of what is built from it."""
    path = lessons.RECORDED_DIR / name / recordings.RECORD_FILE
    return str(lessons.RECORDED_DIR), name, path.stat().st_mtime if path.exists() else 0.0


def recording(name: str) -> recordings.Recording | None:
    return _recording(*_stamp(name))


@st.cache_resource(max_entries=32, show_spinner=False)
def _replay(key: tuple[str, str, float], metric: str) -> go.Figure:
    rec = _recording(*key)
    return plots.replay_figure(rec.timeline, rec.truth, metric=metric, height=640)


def _set_param(**values: object) -> None:
    """Change this page's link: None removes a parameter; mode=class stays as it is."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


# ---------------------------------------------------------------- the chapter's graph (graph and parts figures)


def _chapter_graph(ch: lessons.Chapter) -> graphs.GraphSpec:
    """The graph the figure shows: this session's choice, else the link's ?g=, else the chapter's first preset."""
    store = ss.setdefault(GRAPH_KEY, {})
    if ch.number not in store:
        spec = graphs.preset(ch.graphs[0])
        link = st.query_params.get("g")
        if link:
            try:
                spec = graphs.decode(link)
            except ValueError as exc:
                st.error(escape_markdown(f"Cannot open the graph in this link ({exc}); showing {ch.graphs[0]}."))
        store[ch.number] = spec
    return store[ch.number]


def _put_graph(ch: lessons.Chapter, spec: graphs.GraphSpec) -> None:
    ss.setdefault(GRAPH_KEY, {})[ch.number] = spec
    ss[EDIT_VERSION_KEY] = ss.get(EDIT_VERSION_KEY, 0) + 1


def graph_controls(ch: lessons.Chapter) -> graphs.GraphSpec:
    """Pick one of the chapter's presets, or edit the graph; returns the graph to show (and puts it in the link)."""
    spec = _chapter_graph(ch)
    if not CLASS:
        names = list(ch.graphs)
        shown = next((n for n in names if graphs.preset(n) == spec), None)
        options = names if shown else [*names, "(edited graph)"]
        choice = st.selectbox(
            "Graph",
            options,
            index=options.index(shown or "(edited graph)"),
            format_func=lambda n: n if n not in graphs.PRESETS else f"{n}: {graphs.PRESETS[n]}",
            key=f"lesson_preset_{ch.number}_{ss.get(EDIT_VERSION_KEY, 0)}",
        )
        if choice in graphs.PRESETS and graphs.preset(choice) != spec:
            spec = graphs.preset(choice)
            _put_graph(ch, spec)
            st.rerun()
        if ch.graph_kind == "both":
            c1, c2 = st.columns(2)
            full = graphs.preset(ch.graphs[0])
            use_a = c1.toggle("use Ga (actions)", value=spec.ga is not None, key=f"lesson_use_a_{ch.number}")
            use_z = c2.toggle("use Gz (time)", value=spec.gz is not None, key=f"lesson_use_z_{ch.number}")
            if not (use_a or use_z):
                st.warning("At least one graph is needed; showing both.")
                use_a = use_z = True
            wanted = graphs.GraphSpec(
                ga=(spec.ga if spec.ga is not None else full.ga) if use_a else None,
                gz=(spec.gz if spec.gz is not None else full.gz) if use_z else None,
            )
            if wanted != spec:
                _put_graph(ch, wanted)
                st.rerun()
        with st.expander("Edit the graph"):
            edited = edit_graphs(spec, f"lesson_g{{kind}}_{ch.number}_{ss.get(EDIT_VERSION_KEY, 0)}")
            if edited != spec:
                ss.setdefault(GRAPH_KEY, {})[ch.number] = edited  # no version bump: keep the editor's own state
                spec = edited
    _set_param(g=graphs.encode(spec))
    return spec


def verdict(report: identifiability.TheoryReport) -> None:
    """The theory's verdict, its conditions and the reasons, latent by latent."""
    if report.complete:
        st.success("**Complete disentanglement**: every latent is identified (C is the identity).")
    else:
        st.warning(f"**{plain_markdown(report.verdict[0].upper() + report.verdict[1:])}**")
    with st.expander("What 'identified' assumes"):
        st.markdown(identifiability.conditions_markdown())
    st.markdown("\n".join(f"- {plain_markdown(r)}" for r in report.reasons))


def figure_graph(ch: lessons.Chapter) -> None:
    spec = graph_controls(ch)
    report = identifiability.analyse(spec.ga, spec.gz)
    left, right = st.columns([7, 5], gap="large")
    with left:
        h = int(min(max(120 + 30 * max(spec.dz, spec.da), 300), 440))
        panels = [plots.graph_heatmap(g, k, height=h) for k, g in (("a", spec.ga), ("z", spec.gz)) if g is not None]
        panels.append(plots.pattern_figure(report.pattern, report.twins, height=h))
        for col, fig, name in zip(st.columns(len(panels)), panels, ("graph", "graph-2", "pattern"), strict=False):
            with col:
                show(fig, f"fig-{ch.number}-{name}", f"lesson{ch.number}-{name}")
    with right:
        verdict(report)


def figure_parts(ch: lessons.Chapter) -> None:
    spec = graph_controls(ch)
    show(
        lesson_figures.pattern_parts_figure(lesson_figures.pattern_parts(spec)),
        f"fig-{ch.number}-parts",
        f"lesson{ch.number}-parts-of-C",
    )
    left, right = st.columns([5, 7], gap="large")
    with left:
        latent = 0
        if not CLASS:
            latent = st.selectbox(
                "Look at one latent",
                range(spec.dz),
                format_func=lambda i: f"z{i + 1}",
                key=f"lesson_focus_{ch.number}",
            )
        st.markdown(f"**z{latent + 1}**")
        st.markdown("\n".join(f"- {plain_markdown(t)}" for t in lesson_figures.family_text(spec, latent)))
    with right:
        verdict(identifiability.analyse(spec.ga, spec.gz))


def figure_ambiguity(ch: lessons.Chapter) -> None:
    permute, warp, mix = True, True, 0.0
    if not CLASS:
        c1, c2, c3 = st.columns([2, 2, 3])
        permute = c1.toggle("Permute the learned latents", value=True, key="lesson_amb_permute")
        warp = c2.toggle("Element-wise invertible maps", value=True, key="lesson_amb_warp")
        mix = c3.slider("Mix z1 and z2 by an angle (degrees)", 0, 90, 0, step=5, key="lesson_amb_mix")
    example = lesson_figures.ambiguity_example(permute=permute, warp=warp, mix_degrees=mix)
    m = st.columns(3)
    m[0].metric("MCC (Pearson)", f"{example.mcc:.3f}")
    m[1].metric("MCC (Spearman, rank)", f"{example.mcc_spearman:.3f}")
    m[2].metric("identified latents", "3 / 3" if mix in (0, 90) else "1 / 3 (z3)")
    show(lesson_figures.ambiguity_figure(example), f"fig-{ch.number}-ambiguity", f"lesson{ch.number}-ambiguity")
    st.caption(
        "Rows: true latents; columns: the learned latents in the model's own order; |ρ| is the rank correlation. "
        "Identified: each row has one panel with a clean curve, whatever its column or shape. At 90° the rotation "
        "is a swap (a permutation with a sign): identified again."
    )


def figure_influence(ch: lessons.Chapter) -> None:
    latent = 0
    if not CLASS:
        latent = st.selectbox(
            "Latent",
            range(lesson_figures.INFLUENCE_GRAPH.shape[0]),
            format_func=lambda i: f"z{i + 1}",
            key="lesson_influence_latent",
        )
    show(lesson_figures.influence_figure(latent), f"fig-{ch.number}-influence", f"lesson{ch.number}-influence")
    st.caption(
        "A 3-latent, 3-action cyclic graph (the shape of action-nondiag), each action swept over [-2, 2] with the "
        "others at 0, through the data generator's own mechanisms. Top: sinusoids, whose slope changes with the "
        "action; bottom: linear mechanisms, whose slope never changes."
    )


def figure_twins(ch: lessons.Chapter) -> None:
    pair, angle = "twins z1 and z2", 30.0
    if not CLASS:
        c1, c2 = st.columns([2, 3])
        pair = c1.radio("Rotate", list(lesson_figures.TWIN_PAIRS), key="lesson_twin_pair")
        angle = c2.slider("Mixing angle (degrees)", 0, 90, 30, step=5, key="lesson_twin_angle")
    left, right = st.columns([3, 2], gap="large")
    with left:
        show(lesson_figures.twin_mixing_figure(pair, angle), f"fig-{ch.number}-twins", f"lesson{ch.number}-twins")
    with right:
        c = identifiability.consistency_pattern(lesson_figures.TWIN_SPEC.ga)
        fig = plots.pattern_figure(c, identifiability.twin_classes(c), height=360)
        show(fig, f"fig-{ch.number}-twins-pattern", f"lesson{ch.number}-twins-pattern")
    st.caption(
        "teach-twins: a1 drives z1 and z2, a2 drives z3 and z4. The learned latents are the true ones with the chosen "
        "pair rotated; R_con regresses each z_i on the learned latents C allows."
    )
    if not CLASS:
        with st.expander("Explore the chapter's block graphs"):
            spec = graph_controls(ch)
            report = identifiability.analyse(spec.ga, spec.gz)
            show(plots.pattern_figure(report.pattern, report.twins, height=400), f"fig-{ch.number}-blocks", "C")
            verdict(report)


def figure_strength(ch: lessons.Chapter) -> None:
    points, true_edges = [], None
    for name in ch.replays:
        rec = recording(name)
        if rec is None:
            continue
        bound = rec.summary.get("target_bound")
        sparse = rec.recipe.options.get("sparsity", "constraint") != "none"
        shd = sum(v for v in (rec.summary.get("shd_a"), rec.summary.get("shd_z")) if v is not None)
        points.append(
            lesson_figures.StrengthPoint(name, float(bound) if sparse and bound else None, rec.final_score, shd)
        )
        if rec.truth is not None:
            true_edges = rec.truth.n_edges
    if not points or true_edges is None:
        st.info("This chapter's runs have not been recorded yet: run `python -m mechsparse record-lessons`.")
        return
    show(lesson_figures.strength_figure(points, true_edges), f"fig-{ch.number}-strength", f"lesson{ch.number}-strength")


FIGURES = {
    "ambiguity": figure_ambiguity,
    "graph": figure_graph,
    "parts": figure_parts,
    "influence": figure_influence,
    "twins": figure_twins,
    "strength": figure_strength,
}


# ---------------------------------------------------------------- see it learned


def _start_recipe(recipe: lessons.Recipe, seed: int) -> str:
    """Start the recipe as a live run in the app's job registry; returns its run id."""
    registry = job_registry()
    registry.check_capacity()
    ds, config = lessons.recipe_inputs(recipe, seed=seed)
    run_id = store.create_run(ds, config, recipe.data_name, source="lessons").name
    try:
        registry.start(run_id)
    except BaseException:
        with contextlib.suppress(ValueError, OSError):
            store.delete_run(run_id)
        raise
    return run_id


def see_it_learned(ch: lessons.Chapter) -> None:
    if not ch.replays:
        return
    st.subheader("See it learned")
    name = ch.replays[0]
    if len(ch.replays) > 1 and not CLASS:
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
    partial = rec.truth is not None and not identifiability.is_complete(
        identifiability.consistency_pattern(rec.truth.ga, rec.truth.gz)
    )
    metric = "r_con" if partial else "mcc"
    s = rec.summary
    scores = [f"{label} {s[k]:.3f}" for k, label in (("mcc", "MCC"), ("r_con", "R_con")) if s.get(k) is not None]
    scores += [f"{label} {s[k]}" for k, label in (("shd_a", "SHD Ga"), ("shd_z", "SHD Gz")) if s.get(k) is not None]
    title = "" if len(ch.replays) > 1 and not CLASS else f"**{escape_markdown(rec.recipe.title)}**. "
    st.markdown(title + "At the end: " + " · ".join(scores))
    show(_replay(_stamp(name), metric), f"replay-{ch.number}-{name}", f"lesson{ch.number}-{name}-replay")
    st.caption(
        f"Press ▶ to replay, or drag the slider: {len(rec.timeline)} recorded moments of {s.get('steps') or '?'} "
        f"steps ({escape_markdown(rec.built)}). Learned graphs are matched to the true latents; outlined cells are "
        "the true edges."
    )
    if CLASS:
        return
    with st.container(border=True):
        c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
        recorded_seed = rec.recipe.seed
        seed = c1.number_input("Training seed", 0, 2**31 - 1, recorded_seed + 1, key=f"lesson_seed_{ch.number}_{name}")
        steps = rec.recipe.options.get("max_steps")
        c2.caption(
            f"Train it yourself: the same data and settings ({steps:,} steps), live on the Train page, with a seed of "
            f"your choice (seed {recorded_seed} is the recording)."
        )
        if c2.button("Train it yourself", key=f"lesson_train_{ch.number}_{name}", icon=":material/play_arrow:"):
            try:
                run_id = _start_recipe(rec.recipe, int(seed))
            except (ValueError, OSError, JobLimitError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.switch_page("views/train.py", query_params={"run": run_id})


# ---------------------------------------------------------------- check yourself (exercises)


def _exercise_seed(ch: lessons.Chapter) -> int:
    """The link's seed when it names this chapter's exercise, else this session's seed for the chapter."""
    seeds = ss.setdefault(SEEDS_KEY, {})
    if ch.number not in seeds:
        seed = None
        if st.query_params.get("exercise") == ch.exercise:
            with contextlib.suppress(TypeError, ValueError):
                seed = int(st.query_params.get("seed"))
            if seed is not None and not 0 <= seed <= exercises.MAX_SEED:
                st.error(f"The link's exercise seed must be between 0 and {exercises.MAX_SEED}; here is a new one.")
                seed = None
        seeds[ch.number] = exercises.random_seed() if seed is None else seed
    return seeds[ch.number]


def _truth_figures(spec: graphs.GraphSpec, key: str, *, title: str = "") -> None:
    """The exercise's true graphs, downloadable for a handout."""
    h = int(min(max(120 + 30 * max(spec.dz, spec.da), 260), 360))
    kinds = [(k, g) for k, g in (("a", spec.ga), ("z", spec.gz)) if g is not None]
    for col, (k, g) in zip(st.columns(max(len(kinds), 2)), kinds, strict=False):
        fig = plots.graph_heatmap(g, k, height=h)
        if title:
            fig.update_layout(title={"text": f"{title}: {fig.layout.title.text}"})
        with col:
            show(fig, f"{key}-{k}", f"{key}-G{k}")


def _answer_form(ex: exercises.Exercise, key: str):
    """The answer widgets for this kind of exercise, in a form; returns the answer when submitted, else None."""
    with st.form(key, border=True):
        dz = ex.truth.dz
        names = plots.latent_labels(dz)
        if ex.kind == "identified":
            picked = st.pills("Identified latents", names, selection_mode="multi", key=f"{key}-pick")
            answer = {names.index(p) for p in picked or []}
        elif ex.kind == "twins":
            st.caption("Give twins the same class; a latent with no twin gets a class of its own.")
            labels = [chr(ord("A") + k) for k in range(dz)]
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


def check_yourself(ch: lessons.Chapter) -> None:
    if ch.exercise is None:
        return
    st.subheader("Check yourself")
    seed = _exercise_seed(ch)
    try:
        ex = exercises.make(ch.exercise, seed)
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        return
    _set_param(exercise=ex.kind, seed=seed)
    st.markdown(f"**{exercises.KINDS[ex.kind]}** (exercise {seed})")
    st.markdown(plain_markdown(ex.question))
    _truth_figures(ex.truth, f"ex-{ch.number}-{seed}", title="truth" if ex.kind == "consistent" else "")
    if ex.kind == "consistent":
        cols = st.columns(len(ex.options))
        for col, label, cand in zip(cols, ex.option_labels, ex.options, strict=True):
            with col:
                st.markdown(f"**{label}**")
                for k, g in (("a", cand.ga), ("z", cand.gz)):
                    if g is not None:
                        fig = plots.graph_heatmap(g, k, height=240)
                        fig.update_layout(title={"text": f"{label}: {'Ĝa' if k == 'a' else 'Ĝz'}"})
                        if CLASS:  # on a slide: downloadable
                            show(fig, f"ex-{ch.number}-{seed}-{label}-{k}", f"exercise-{seed}-{label}-G{k}")
                        else:
                            st.plotly_chart(fig, key=f"ex-{ch.number}-{seed}-{label}-{k}", config=PLOT_CONFIG)
    if CLASS:
        with st.expander("Answer"):
            g = exercises.grade(ex, ex.expected)
            st.markdown(plain_markdown(g.expected_text))
            st.markdown("\n".join(f"- {plain_markdown(r)}" for r in g.reasons))
        return
    answers = ss.setdefault(ANSWERS_KEY, {})
    answer = _answer_form(ex, f"ex-form-{ch.number}-{seed}")
    if answer is not None:
        try:
            result = exercises.grade(ex, answer)
        except ValueError as exc:
            st.error(escape_markdown(str(exc)))
        else:
            answers[(ex.kind, seed)] = result
            ss.setdefault(SCORE_KEY, {}).setdefault((ex.kind, seed), result.correct)
    result = answers.get((ex.kind, seed))
    if result is not None:
        (st.success if result.correct else st.error)(plain_markdown(result.summary))
        with st.expander("Why, latent by latent", expanded=not result.correct):
            if not result.correct:
                st.markdown(plain_markdown(f"The answer: {result.expected_text}"))
            st.markdown("\n".join(f"- {plain_markdown(r)}" for r in result.reasons))
    c1, c2 = st.columns([1, 4], vertical_alignment="center")
    if c1.button("New exercise", key=f"ex-new-{ch.number}", icon=":material/refresh:"):
        ss[SEEDS_KEY][ch.number] = exercises.random_seed()
        st.rerun()
    link = f"?chapter={ch.number}&exercise={ex.kind}&seed={seed}"
    c2.markdown(f"Hand out this exercise: [link to exercise {seed}]({link}) (the same graph for everyone).")


# ---------------------------------------------------------------- page

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


def _go(number: int) -> None:
    """Open another chapter: its own graph and exercise, not this one's."""
    _set_param(chapter=number, g=None, exercise=None, seed=None)


if not CLASS:
    nav, score_col = st.columns([5, 2], vertical_alignment="bottom")
    picked = nav.selectbox(
        "Chapter",
        chapters,
        index=chapter.number - 1,
        format_func=lambda c: f"{c.number}. {c.title}",
        key=f"lesson_chapter_{chapter.number}",
    )
    if picked.number != chapter.number:
        _go(picked.number)
        st.rerun()
    score_box = score_col.empty()  # filled at the end, once this run's answer is graded
_set_param(chapter=chapter.number)

st.title(f"{chapter.number}. {chapter.title}")
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
    scores = ss.get(SCORE_KEY, {})
    score_box.metric(
        "Exercises right at the first try",
        f"{sum(scores.values())} / {len(scores)}" if scores else "none yet",
        help="This session's score: each exercise counts once, by its first answer.",
    )
    st.divider()
    prev_col, _, next_col = st.columns([5, 1, 5])
    if chapter.number > 1 and prev_col.button(
        f"← {chapter.number - 1}. {chapters[chapter.number - 2].title}", key="lesson_prev"
    ):
        _go(chapter.number - 1)
        st.rerun()
    if chapter.number < len(chapters) and next_col.button(
        f"{chapter.number + 1}. {chapters[chapter.number].title} →", key="lesson_next", width="stretch"
    ):
        _go(chapter.number + 1)
        st.rerun()
    st.caption(
        f"Show this chapter to a room: [class mode](?chapter={chapter.number}&mode=class) (no controls, large type; "
        "add &embed=true to hide Streamlit's toolbar too). Chapters are Markdown files in mechsparse/chapters/."
    )
