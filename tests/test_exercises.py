"""teaching.exercises (registry, common, one module per kind): same (kind, seed) -> same exercise; the expected
answers are what theory says; grading."""

import re
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsparse.teaching.exercises import breaking, common, registry, scorecard
from mechsparse.teaching.exercises.common import Exercise
from mechsparse.teaching.exercises.registry import grade, make
from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec

SEEDS = st.integers(0, registry.MAX_SEED)
KINDS = st.sampled_from(list(registry.KINDS))
FAST = settings(max_examples=25, deadline=None)


def _identified(spec: GraphSpec) -> set[int]:
    return set(identifiability.identified_latents(identifiability.consistency_pattern(spec.ga, spec.gz)))


def _same_up_to_latents(truth: GraphSpec, g: GraphSpec) -> bool:
    """Independent brute force: some permutation P of the latents gives Ĝa = P·Ga and Ĝz = P·Gz·Pᵀ."""
    for perm in permutations(range(truth.dz)):
        p = np.eye(truth.dz, dtype=int)[list(perm)]
        ok_a = (truth.ga is None and g.ga is None) or (
            truth.ga is not None and g.ga is not None and np.array_equal(p @ truth.ga, g.ga)
        )
        ok_z = (truth.gz is None and g.gz is None) or (
            truth.gz is not None and g.gz is not None and np.array_equal(p @ truth.gz @ p.T, g.gz)
        )
        if ok_a and ok_z:
            return True
    return False


def _partition(labels) -> set[frozenset[int]]:
    groups: dict = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def _with_edge(spec: GraphSpec, label: str) -> GraphSpec:
    """Parse an option label ('a2 → z3', 'z1(t-1) → z3') and add that edge, independently of the module."""
    m = re.fullmatch(r"([az])(\d+)(\(t-1\))? → z(\d+)", label)
    assert m, label
    ga = None if spec.ga is None else spec.ga.copy()
    gz = None if spec.gz is None else spec.gz.copy()
    g = ga if m[1] == "a" else gz
    assert (m[3] is not None) == (m[1] == "z")
    assert g[int(m[4]) - 1, int(m[2]) - 1] == 0, f"{label} is already an edge"
    g[int(m[4]) - 1, int(m[2]) - 1] = 1
    return GraphSpec(ga=ga, gz=gz)


# ---------------------------------------------------------------- every kind


@FAST
@given(KINDS, SEEDS)
def test_same_kind_and_seed_give_the_same_exercise(kind: str, seed: int) -> None:
    ex = make(kind, seed)
    assert ex == make(kind, seed)
    assert ex.kind == kind and ex.seed == seed


@FAST
@given(KINDS, SEEDS)
def test_graph_shapes_and_expected_answer_grades_right(kind: str, seed: int) -> None:
    ex = make(kind, seed)
    truth = ex.truth
    assert 3 <= truth.dz <= 5
    assert truth.ga is None or 2 <= truth.da <= 4
    assert truth.gz is None or np.all(np.diag(truth.gz) == 1)
    g = grade(ex, ex.expected)
    assert g.correct
    assert g.summary.startswith("Right:") and "\n" not in g.summary
    assert g.expected_text and g.reasons


def test_seeds_choose_every_kind_of_graph() -> None:
    for kind in registry.KINDS:
        modes = {(make(kind, s).truth.ga is not None, make(kind, s).truth.gz is not None) for s in range(40)}
        assert modes == {(True, False), (False, True), (True, True)}, kind


@pytest.mark.parametrize(
    "kind, seed",
    [("nope", 1), (None, 1), ("twins", -1), ("twins", 2**31), ("twins", 1.5), ("twins", "3"), ("twins", True)],
)
def test_make_rejects_bad_kind_or_seed_in_one_line(kind, seed) -> None:
    with pytest.raises(ValueError) as info:
        make(kind, seed)
    assert "\n" not in str(info.value)


def test_make_accepts_the_extreme_seeds() -> None:
    assert make("identified", 0).seed == 0
    assert make("consistent", registry.MAX_SEED).seed == registry.MAX_SEED
    assert make("break", np.int64(7)) == make("break", 7)


@pytest.mark.parametrize(
    "kind, answer",
    [
        ("identified", "01"),
        ("identified", 1),
        ("identified", {9}),
        ("identified", {-1}),
        ("identified", {1.0}),
        ("twins", [0]),
        ("twins", "abc"),
        ("twins", [[0], [1], [2], [3], [4]]),
        ("twins", 3),
        ("break", -1),
        ("break", 10_000),
        ("break", 1.0),
        ("break", True),
        ("break", "0"),
        ("consistent", 4),
        ("consistent", None),
    ],
)
def test_malformed_answers_raise_one_line(kind: str, answer) -> None:
    ex = make(kind, 3)
    if kind == "twins" and isinstance(answer, list) and len(answer) == 5:
        answer = answer[: ex.truth.dz]  # the right length, but unhashable labels
    with pytest.raises(ValueError) as info:
        grade(ex, answer)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- identified


@FAST
@given(SEEDS, st.integers(0, 4))
def test_identified_matches_theory_and_names_the_difference(seed: int, flip: int) -> None:
    ex = make("identified", seed)
    expected = _identified(ex.truth)
    assert ex.expected == expected
    assert 0 < len(expected) < ex.truth.dz  # non-trivial: a mix
    i = flip % ex.truth.dz
    g = grade(ex, list(ex.expected ^ {i}))
    assert not g.correct
    assert g.summary.startswith("Not quite:") and f"z{i + 1} is" in g.summary
    assert g.reasons == identifiability.latent_reasons(ex.truth.ga, ex.truth.gz)


def test_identified_wording() -> None:
    ex = Exercise("identified", 0, GraphSpec(ga=np.array([[1, 0], [0, 1], [0, 0]])), "q", expected={0, 1})
    assert grade(ex, {0, 2}).summary == "Not quite: z2 is identified too; z3 is not."
    assert grade(ex, set()).summary == "Not quite: z1, z2 are identified."
    assert grade(ex, {0, 1, 2}).summary == "Not quite: z3 is not identified."
    assert grade(ex, [1, 0, 0]).correct
    assert grade(ex, {0, 1}).expected_text == "The identified latents are z1, z2."


# ---------------------------------------------------------------- twins


@FAST
@given(SEEDS)
def test_twins_match_theory_and_are_not_trivial(seed: int) -> None:
    ex = make("twins", seed)
    classes = identifiability.twin_classes(identifiability.consistency_pattern(ex.truth.ga, ex.truth.gz))
    assert _partition(ex.expected) == {frozenset(c) for c in classes}
    assert len(classes) >= 2 and max(len(c) for c in classes) >= 2


@FAST
@given(SEEDS, st.randoms(use_true_random=False))
def test_twins_grading_ignores_label_names(seed: int, rnd) -> None:
    ex = make("twins", seed)
    names = rnd.sample(["x", "y", 7, 3.5, ("t",), "z", None], ex.truth.dz)
    relabelled = [names[label] for label in ex.expected]
    assert grade(ex, relabelled).correct
    assert grade(ex, tuple(relabelled)).correct
    assert grade(ex, np.array(ex.expected) + 10).correct
    everyone_alone = list(range(ex.truth.dz))
    assert grade(ex, everyone_alone) == grade(ex, [names[i] for i in everyone_alone])


@FAST
@given(SEEDS)
def test_twins_wrong_partitions_name_the_difference(seed: int) -> None:
    ex = make("twins", seed)
    labels = list(ex.expected)
    big = next(c for c in _partition(labels) if len(c) >= 2)
    split = sorted(big)[-1]
    apart = labels.copy()
    apart[split] = "alone"  # split a twin off its class
    g = grade(ex, apart)
    assert not g.correct
    assert f"z{split + 1} are twins" in g.summary
    merged = [0] * ex.truth.dz  # everyone in one class: some are not twins
    g = grade(ex, merged)
    assert not g.correct and "not" in g.summary and "twin" in g.summary


# ---------------------------------------------------------------- break


@FAST
@given(SEEDS)
def test_break_options_are_the_absent_edges_and_graded_by_theory(seed: int) -> None:
    ex = make("break", seed)
    k, truth = ex.target, ex.truth
    assert k in _identified(truth)
    n_absent = sum(int((g == 0).sum()) for g in (truth.ga, truth.gz) if g is not None)
    assert len(ex.options) == len(ex.option_labels) == n_absent == len(set(ex.option_labels))
    verdicts = []
    for n, label in enumerate(ex.option_labels):
        breaks = k not in _identified(_with_edge(truth, label))
        assert breaking.add_edge(truth, ex.options[n]) == _with_edge(truth, label)
        g = grade(ex, n)
        assert g.correct == breaks
        assert g.reasons[0].startswith(f"After adding {label}, z{k + 1} is")
        after = _with_edge(truth, label)
        assert g.reasons[1:] == identifiability.latent_reasons(after.ga, after.gz)
        if not breaks:
            assert g.summary.startswith("Not quite:") and label in g.summary and "still identified" in g.summary
        verdicts.append(breaks)
    assert any(verdicts) and not all(verdicts)  # non-trivial
    assert verdicts[ex.expected]


# ---------------------------------------------------------------- consistent


@FAST
@given(SEEDS)
def test_consistent_has_exactly_one_relabelled_truth(seed: int) -> None:
    ex = make("consistent", seed)
    truth = ex.truth
    assert 3 <= len(ex.options) <= 4
    assert ex.option_labels == ["A", "B", "C", "D"][: len(ex.options)]
    consistent = [n for n, g in enumerate(ex.options) if _same_up_to_latents(truth, g)]
    assert consistent == [ex.expected]
    assert ex.options[ex.expected] != truth  # the student must renumber the latents
    assert any(g.n_edges == truth.n_edges for n, g in enumerate(ex.options) if n != ex.expected)
    for n, g in enumerate(ex.options):
        assert g.dz == truth.dz and g.da == truth.da and (g.gz is None) == (truth.gz is None)
        result = grade(ex, n)
        assert result.correct == (n == ex.expected)
        label = ex.option_labels[n]
        if n != ex.expected:
            assert result.summary.startswith(f"Not quite: {label} ")
            assert ex.option_labels[ex.expected] in result.summary
        why = [r for r in result.reasons if r.startswith(label + " ")]
        assert len(why) == 1 and ("consistent" in why[0]) == (n == ex.expected)
    assert len(set(map(repr, ex.options))) == len(ex.options)


def test_consistent_wrong_candidates_say_why() -> None:
    truth = GraphSpec(ga=np.array([[1, 0], [1, 1], [1, 0]]), gz=np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]]))
    swapped = GraphSpec(ga=truth.ga[:, ::-1], gz=truth.gz)
    more = GraphSpec(ga=np.ones((3, 2)), gz=truth.gz)
    reversed_time = GraphSpec(ga=truth.ga, gz=truth.gz.T)
    right = common.permute(truth, [2, 0, 1])
    ex = Exercise("consistent", 0, truth, "q", None, [swapped, more, reversed_time, right], list("ABCD"), 3)
    reasons = grade(ex, 0).reasons
    assert reasons[0].startswith("A exchanges the edges of a1 and a2: actions are observed")
    assert reasons[1].startswith("B has 2 edges more than the truth")
    assert reasons[2].startswith("C reverses time")
    assert reasons[3] == (
        "D is the truth with its latents renumbered: its latents 1–3 are the truth's z3, z1, z2, so it is consistent."
    )
    assert grade(ex, 1).summary == "Not quite: B has 2 edges more than the truth; D is the consistent one."
    assert grade(ex, 3).correct


# ---------------------------------------------------------------- shared helpers


def test_edge_codes_read_and_add_one_edge() -> None:
    assert breaking.edge_label("a2>z3") == "a2 → z3"
    assert breaking.edge_label("z1>z3") == "z1(t-1) → z3"
    spec = GraphSpec(ga=np.zeros((3, 2), dtype=int))
    assert breaking.add_edge(spec, "a2>z3").ga[2, 1] == 1
    for bad in ("a2-z3", "x1>z1", None):
        with pytest.raises(ValueError, match="edge must look like"):
            breaking.edge_label(bad)
    with pytest.raises(ValueError, match="does not fit"):
        breaking.add_edge(spec, "z1>z2")  # no Gz here


def test_relabelling_finds_the_renumbering_or_none() -> None:
    truth = GraphSpec(ga=np.array([[1, 0], [1, 1], [1, 0]]))
    learned = common.permute(truth, [1, 2, 0])
    assert common.permute(truth, common.relabelling(truth, learned)) == learned
    assert common.relabelling(truth, GraphSpec(ga=truth.ga[:, ::-1])) is None  # actions keep their names
    assert common.relabelling(truth, GraphSpec(ga=np.ones((3, 2), dtype=int))) is None


# ---------------------------------------------------------------- the session's scorecard


def test_a_scorecard_counts_each_exercise_once_by_its_first_answer() -> None:
    card = scorecard.Scorecard()
    assert card.score_text() == "none yet"
    ex = make("break", 5)
    wrong = next(n for n in range(len(ex.options)) if not grade(ex, n).correct)
    assert card.last_grade(ex) is None
    assert not card.check(ex, wrong).correct
    assert card.check(ex, ex.expected).correct
    assert card.last_grade(ex).correct and card.score_text() == "0 / 1"  # the first answer counts
    other = make("identified", 5)
    card.check(other, other.expected)
    assert card.score_text() == "1 / 2" and card.last_grade(other) == grade(other, other.expected)
    with pytest.raises(ValueError):
        card.check(make("twins", 1), "abc")  # malformed: one line, and nothing kept
    assert card.score_text() == "1 / 2"


def test_a_chapter_keeps_the_seed_its_link_or_chance_gave_it() -> None:
    card = scorecard.Scorecard()
    assert card.seed_for(2, "identified", "identified", "42") == (42, None)
    assert card.seed_for(2, "identified", "identified", "7") == (42, None)  # kept for the session
    seed, error = card.seed_for(3, "break", "identified", "42")  # the link names another kind: a fresh seed
    assert 0 <= seed <= registry.MAX_SEED and error is None
    seed, error = card.seed_for(4, "twins", "twins", "-4")
    assert 0 <= seed <= registry.MAX_SEED and "must be between 0 and" in error
    assert card.seed_for(4, "twins", "twins", "-4") == (seed, None)  # said once
    assert card.choose_seed(2, 9) == 9 and card.seed_for(2, "identified", None, None) == (9, None)


@pytest.mark.parametrize(
    "kind, link_kind, link_seed, expected",
    [
        ("twins", "twins", "12", (12, None)),
        ("twins", "twins", " 12 ", (12, None)),
        ("twins", "twins", "1.5", (None, None)),
        ("twins", "twins", None, (None, None)),
        ("twins", "break", "12", (None, None)),
        (
            "twins",
            "twins",
            str(2**31),
            (None, f"The link's exercise seed must be between 0 and {2**31 - 1}; here is a new one."),
        ),
    ],
)
def test_seed_from_link(kind, link_kind, link_seed, expected) -> None:
    assert scorecard.seed_from_link(kind, link_kind, link_seed) == expected
