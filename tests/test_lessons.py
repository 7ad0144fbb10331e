"""Lessons as data: the chapter files, their validation, the recipes, the recorded runs and the lesson figures."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mechsparse.cli.main import main
from mechsparse.teaching import lesson_figures, lesson_view, lessons, recordings
from mechsparse.teaching.exercises import registry
from mechsparse.theory import graphs, identifiability

HEADER = '+++\ntitle = "T"\nsummary = "S"\nfigure = "ambiguity"\n+++\nSome text.\n'


def test_built_in_chapters_load_in_order_and_name_only_known_things():
    chapters = lessons.load_chapters()
    assert [c.number for c in chapters] == list(range(1, len(chapters) + 1))
    assert len(chapters) >= 7
    for ch in chapters:
        assert ch.figure in lessons.FIGURES
        assert all(name in lessons.RECIPES for name in ch.replays)
        assert all(name in graphs.PRESETS for name in ch.graphs)
        assert ch.exercise is None or ch.exercise in registry.KINDS
        assert ch.body and ch.title and ch.summary
    assert {ch.exercise for ch in chapters} >= set(registry.KINDS)  # every kind of exercise is asked somewhere


def test_the_chapters_exercise_names_are_the_exercise_modules():
    assert tuple(registry.KINDS) == lessons.EXERCISE_KINDS


def test_chapter_text_keeps_the_theory_vocabulary():
    text = " ".join(ch.body for ch in lessons.load_chapters())
    assert "may depend on" not in text
    assert "matched to" in text and "upper bound" in text


@pytest.mark.parametrize(
    "text, words",
    [
        ("no header\n", "starts with a '+++' line"),
        ('+++\ntitle = "T"\n', "not closed"),
        ("+++\ntitle = \n+++\nx\n", "not valid TOML"),
        (HEADER.replace('figure = "ambiguity"', 'figure = "nope"'), "unknown figure 'nope'"),
        (HEADER.replace('title = "T"\n', ""), "needs a title"),
        (HEADER.replace("+++\nSome", 'colour = "red"\n+++\nSome'), "unknown key(s) colour"),
        (HEADER.replace("+++\nSome", 'graphs = ["no-such"]\n+++\nSome'), "unknown preset 'no-such'"),
        (HEADER.replace("+++\nSome", 'replays = ["x"]\n+++\nSome'), "unknown recorded run 'x'"),
        (HEADER.replace("+++\nSome", 'exercise = "essay"\n+++\nSome'), "unknown exercise 'essay'"),
        (HEADER.replace("+++\nSome", "graphs = 3\n+++\nSome"), "graphs must be a list"),
        (HEADER.replace('"ambiguity"', '"graph"'), "needs at least one preset"),
        (HEADER.replace("Some text.\n", ""), "no text after its header"),
    ],
)
def test_a_bad_chapter_is_one_line_naming_the_file(text, words):
    with pytest.raises(ValueError) as info:
        lessons.parse_chapter(text, number=1, slug="x", where="09-mine.md")
    message = str(info.value)
    assert message.startswith("09-mine.md: ") and words in message and "\n" not in message


def test_a_teacher_adds_a_chapter_by_adding_a_file(tmp_path, monkeypatch):
    (tmp_path / "01-my-graph.md").write_text(
        HEADER.replace('"ambiguity"', '"graph"').replace("+++\nSome", 'graphs = ["teach-nested"]\n+++\nSome')
    )
    monkeypatch.setenv(lessons.CHAPTERS_ENV, str(tmp_path))
    chapters = lessons.load_chapters()
    mine = chapters[-1]
    assert mine.number == len(chapters) and mine.slug == "my-graph" and mine.graphs == ("teach-nested",)
    assert lessons.find_chapter(chapters, "my-graph") is mine
    monkeypatch.setenv(lessons.CHAPTERS_ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="not a folder"):
        lessons.load_chapters()


def test_find_chapter_by_number_or_slug():
    chapters = lessons.load_chapters()
    assert lessons.find_chapter(chapters, None) is chapters[0]
    assert lessons.find_chapter(chapters, "3").number == 3
    assert lessons.find_chapter(chapters, "time-sparsity").figure == "parts"
    for bad in ("0", "99", "nope"):
        with pytest.raises(ValueError, match="no chapter"):
            lessons.find_chapter(chapters, bad)


def test_recipe_inputs_are_the_recipes_data_and_options():
    r = lessons.recipe("action-nondiag-bound-5")
    ds, config = lessons.recipe_inputs(r, seed=3)
    assert ds.graphs == graphs.preset("action-nondiag")
    assert config.bound == 5.0 and config.seed == 3 and config.max_steps == r.options["max_steps"]
    suff = lessons.recipe("action-nondiag-no-suff-var")
    assert suff.data_name == "action-nondiag:no_suff_var"
    with pytest.raises(ValueError, match="unknown recorded run"):
        lessons.recipe("nope")


def test_every_replayed_run_is_recorded_in_the_package():
    """The shipped recordings exist and load: `python -m mechsparse record-lessons` rebuilds them."""
    needed = {name for ch in lessons.load_chapters() for name in ch.replays}
    assert needed == set(lessons.RECIPES)  # no recipe is recorded for nothing
    for name in sorted(needed):
        rec = recordings.load_recording(name)
        assert rec is not None, f"{name} is not recorded"
        assert 2 <= len(rec.timeline) <= 200
        assert rec.truth == graphs.preset(rec.recipe.preset)
        assert rec.summary["steps"] == rec.recipe.options["max_steps"]
        recorded = json.loads((lessons.RECORDED_DIR / name / recordings.RECORD_FILE).read_text())["recipe"]
        current = dataclasses.asdict(rec.recipe)
        recorded.pop("title"), current.pop("title")  # words may change; data and training may not
        assert recorded == current, f"{name} was recorded from another recipe: rerun record-lessons --only {name}"
        assert 0.0 <= rec.summary["mcc"] <= 1.0


def test_record_one_trains_a_recipe_and_replaces_an_older_recording(tmp_path, monkeypatch):
    tiny = lessons.Recipe("tiny", "tiny run", "teach-nested", n=600, options={"max_steps": 30, "eval_every": 10})
    monkeypatch.setitem(lessons.RECIPES, "tiny", tiny)
    first = recordings.record_one("tiny", tmp_path)
    assert first["summary"]["steps"] == 30 and first["graphs"] == graphs.encode(graphs.preset("teach-nested"))
    rec = recordings.load_recording("tiny", tmp_path)
    assert list(rec.timeline.steps) == [0, 10, 20, 30]
    again = recordings.record_one("tiny", tmp_path, seed=1)
    assert again["config"]["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]  # no staging folder left behind
    assert recordings.load_recording("action-nondiag", tmp_path) is None  # not recorded in this folder


def test_a_damaged_recording_is_one_line(tmp_path, monkeypatch):
    folder = tmp_path / "action-nondiag"
    folder.mkdir()
    (folder / recordings.RECORD_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="recording action-nondiag cannot be read"):
        recordings.load_recording("action-nondiag", tmp_path)


def test_record_lessons_command_refuses_an_unknown_recipe(capsys):
    assert main(["record-lessons", "--only", "nope", "--out", "/tmp/unused"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown recorded run 'nope'") and "\n" not in err


# ---------------------------------------------------------------- the figures say what the text says


def test_permutation_and_element_wise_maps_keep_the_latents_and_mixing_loses_them():
    plain = lesson_figures.ambiguity_example(permute=False, warp=False, mix_degrees=0)
    assert plain.mcc == pytest.approx(1.0)
    warped = lesson_figures.ambiguity_example(permute=True, warp=True, mix_degrees=0)
    assert warped.mcc_spearman == pytest.approx(1.0) and warped.mcc < 0.999  # MCC < 1, still identified
    mixed = lesson_figures.ambiguity_example(permute=True, warp=False, mix_degrees=45)
    assert mixed.mcc < 0.9 and mixed.mcc_spearman < 0.9
    fig = lesson_figures.ambiguity_figure(mixed)
    assert len(fig.data) == 9
    with pytest.raises(ValueError, match="between 0 and 90"):
        lesson_figures.ambiguity_example(permute=False, warp=False, mix_degrees=120)


def test_mixing_twins_costs_mcc_but_not_r_con():
    angles = np.array([0.0, 30.0, 45.0])
    twins = lesson_figures.twin_mixing_scores((0, 1), angles)
    assert np.allclose(twins["r_con"], 1.0) and twins["mcc"][2] < 0.9
    across = lesson_figures.twin_mixing_scores((0, 2), angles)
    assert across["r_con"][2] < 0.9
    assert len(lesson_figures.twin_mixing_figure("twins z1 and z2", 30).data) == 4


def test_linear_mechanisms_push_the_same_at_every_value():
    curves = lesson_figures.influence_curves(1)
    for key, slope in curves["no_suff_var"].items():
        if key.startswith("slope"):
            assert np.ptp(slope) < 1e-6
    standard = [v for k, v in curves["standard"].items() if k.startswith("slope")]
    assert standard and all(np.ptp(s) > 0.1 for s in standard)
    assert len(lesson_figures.influence_figure(0).data) == 8  # 2 parents x (mean, slope) x 2 variants


def test_the_parts_of_c_and_them_together():
    spec = graphs.preset("teach-time-chain")
    parts = lesson_figures.pattern_parts(spec)
    assert [t for t, _ in parts][-1].startswith("C")
    together = np.logical_and.reduce([c for _, c in parts[:-1]])
    assert np.array_equal(together, parts[-1][1]) and identifiability.is_complete(parts[-1][1])
    assert not identifiability.is_complete(parts[0][1]) and not identifiability.is_complete(
        parts[1][1]
    )  # each alone leaves a pair
    assert lesson_figures.family_text(spec, 0) == [
        "temporal parents (z_t-1 → z1): z1",
        "temporal children (z1 → z_t+1): z1, z2",
    ]


def test_strength_figure_marks_the_true_edge_count():
    points = [
        lesson_figures.StrengthPoint("low", 5.0, 0.8, 9),
        lesson_figures.StrengthPoint("right", 20.0, 0.97, 0),
        lesson_figures.StrengthPoint("none", None, 0.95, None),
    ]
    fig = lesson_figures.strength_figure(points, 20)
    assert list(fig.data[0].x) == [5.0, 20.0]
    assert any("true edges 20" in (a.text or "") for a in fig.layout.annotations)


def test_teach_together_needs_both_graphs_as_lesson_6_says():
    spec = graphs.preset("teach-together")
    assert identifiability.identified_latents(identifiability.consistency_pattern(spec.ga, None)) == []
    assert identifiability.identified_latents(identifiability.consistency_pattern(None, spec.gz)) == [0]
    assert identifiability.is_complete(identifiability.consistency_pattern(spec.ga, spec.gz))
    combined = graphs.preset("teach-combined")  # its Gz alone already identifies both, as the lesson says
    assert identifiability.is_complete(identifiability.consistency_pattern(None, combined.gz))


def test_display_maths_stays_on_one_line():
    """Streamlit's Markdown renders a $$...$$ block that spans lines as raw red text: keep each on one line."""
    for ch in lessons.load_chapters():
        for line in ch.body.splitlines():
            assert line.count("$$") in (0, 2), f"{ch.source}: {line[:60]}"


# ---------------------------------------------------------------- what the page shows (lesson_view)


def _chapter(**kw) -> lessons.Chapter:
    fields = {"number": 2, "slug": "x", "title": "T", "summary": "S", "figure": "graph", "body": "B"}
    return lessons.Chapter(**{**fields, "graphs": ("teach-nested", "teach-twins"), **kw})


def test_a_figure_opens_the_links_graph_once_and_keeps_the_sessions_choice():
    ch = _chapter()
    shown = lesson_view.FigureGraphs()
    nested = graphs.preset("teach-nested")
    twins = graphs.preset("teach-twins")
    assert shown.graph_for(ch, graphs.encode(twins)) == (twins, None)
    assert shown.graph_for(ch, None) == (twins, None)  # the session's graph from now on
    spec, error = lesson_view.FigureGraphs().graph_for(ch, "not-a-graph")
    assert spec == nested and error.startswith("Cannot open the graph in this link") and "showing teach-nested" in error
    assert lesson_view.FigureGraphs().graph_for(ch, "") == (nested, None)
    shown.put(ch, nested)
    assert shown.shown[2] == nested and shown.version == 1  # the editors restart from it
    shown.edit(ch, twins)
    assert shown.shown[2] == twins and shown.version == 1  # the editors' own change: no restart


def test_the_graph_picker_offers_the_chapters_presets_and_an_edited_graph():
    ch = _chapter()
    nested = graphs.preset("teach-nested")
    assert lesson_view.preset_choices(ch, graphs.preset("teach-twins")) == (["teach-nested", "teach-twins"], 1)
    edited = graphs.GraphSpec(ga=np.ones((3, 2), dtype=int))
    assert lesson_view.preset_choices(ch, edited) == (["teach-nested", "teach-twins", lesson_view.EDITED_GRAPH], 2)
    assert lesson_view.preset_label("teach-nested") == f"teach-nested: {graphs.PRESETS['teach-nested']}"
    assert lesson_view.preset_label(lesson_view.EDITED_GRAPH) == lesson_view.EDITED_GRAPH
    assert lesson_view.picked_preset("teach-nested", nested) is None
    assert lesson_view.picked_preset("teach-twins", nested) == graphs.preset("teach-twins")
    assert lesson_view.picked_preset(lesson_view.EDITED_GRAPH, nested) is None


def test_switching_a_graph_back_on_brings_the_chapters_own():
    ch = _chapter(graphs=("teach-together",), graph_kind="both")
    full = graphs.preset("teach-together")
    only_a = lesson_view.graphs_in_use(ch, full, True, False)
    assert only_a == graphs.GraphSpec(ga=full.ga)
    assert lesson_view.graphs_in_use(ch, only_a, True, True) == full
    assert lesson_view.graphs_in_use(ch, full, True, True) == full


def test_small_texts_and_values_of_the_page():
    spec = graphs.preset("action-nondiag")  # 10 latents: as tall as allowed
    assert lesson_view.heatmap_height(spec, 300, 440) == 420 and lesson_view.heatmap_height(spec, 260, 360) == 360
    assert lesson_view.heatmap_height(graphs.preset("teach-nested"), 300, 440) == 300
    report = identifiability.analyse(graphs.preset("teach-nested").ga)
    assert lesson_view.verdict_headline(report) == report.verdict[0].upper() + report.verdict[1:]
    mixing = [lesson_view.identified_under_mixing(d) for d in (0, 0.0, 45, 90)]
    assert mixing == ["3 / 3", "3 / 3", "1 / 3 (z3)", "3 / 3"]
    assert lesson_view.class_labels(3) == ["A", "B", "C"]
    assert lesson_view.candidate_title("B", "a") == "B: Ĝa" and lesson_view.candidate_title("B", "z") == "B: Ĝz"
    assert lesson_view.exercise_link(2, "twins", 7) == "?chapter=2&exercise=twins&seed=7"
    assert "[link to exercise 7](?chapter=2&exercise=twins&seed=7)" in lesson_view.hand_out_text(2, "twins", 7)
    ch = lessons.load_chapters()[2]
    assert lesson_view.chapter_label(ch) == f"3. {ch.title}"
    assert "(?chapter=3&mode=class)" in lesson_view.class_mode_caption(3)
    assert set(lesson_view.CAPTIONS) <= set(lessons.FIGURES)


def test_what_the_page_says_about_a_recording():
    rec = recordings.load_recording("action-nondiag")
    assert lesson_view.replay_metric(rec) == "mcc"
    assert lesson_view.replay_metric(recordings.load_recording("time-block-nondiag")) == "r_con"  # twins: partial
    s = rec.summary
    headline = lesson_view.replay_headline(rec, with_title=False, escape=str)
    assert headline == f"At the end: MCC {s['mcc']:.3f} · R_con {s['r_con']:.3f} · SHD Ga {s['shd_a']}"
    titled = lesson_view.replay_headline(rec, with_title=True, escape=str.upper)
    assert titled == f"**{rec.recipe.title.upper()}**. {headline}"
    assert f"{len(rec.timeline)} recorded moments of {s['steps']} steps ({rec.built})" in lesson_view.replay_caption(
        rec, escape=str
    )
    assert lesson_view.train_seed(rec.recipe) == rec.recipe.seed + 1
    assert "(6,000 steps)" in lesson_view.train_caption(rec.recipe) and "seed 0 is the recording" in (
        lesson_view.train_caption(rec.recipe)
    )


def test_strength_points_come_from_the_recordings():
    names = ["action-nondiag-bound-5", "action-nondiag", "action-nondiag-unregularised"]
    recs = [recordings.load_recording(n) for n in names]
    points, true_edges = lesson_view.strength_points([None, *recs])  # None: not recorded, skipped
    assert [p.name for p in points] == names and true_edges == 20
    assert [p.bound for p in points] == [5.0, 20.0, None]  # no sparsity: no bound
    assert points[2].shd == recs[2].summary["shd_a"] and points[1].mcc == recs[1].final_score
    assert lesson_view.strength_points([None]) == ([], None)


def test_a_recordings_version_is_its_record_files_time(tmp_path):
    assert recordings.files_version("action-nondiag", tmp_path) == 0.0
    (tmp_path / "action-nondiag").mkdir()
    (tmp_path / "action-nondiag" / recordings.RECORD_FILE).write_text("{}")
    assert recordings.files_version("action-nondiag", tmp_path) > 0
