"""mechsparse.theory.identifiability: docs/theory.md's worked examples, and properties of the consistency pattern C."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mechsparse.theory import graphs, identifiability

I3 = np.eye(3, dtype=bool)
BLOCKS = np.kron(np.eye(2), np.ones((2, 2))).astype(bool)

# docs/theory.md, "Worked examples": (ga, gz, expected C, expected identified latents (0-based), complete?)
WORKED = {
    "Ga = I_3": (np.eye(3), None, I3, [0, 1, 2], True),
    "nested pair": (np.array([[1, 0], [1, 1]]), None, np.array([[1, 1], [0, 1]], bool), [1], False),
    "overlapping targets": (np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]]), None, I3, [0, 1, 2], True),
    "no parent": (
        np.array([[1, 0], [0, 1], [0, 0]]),
        None,
        np.array([[1, 0, 0], [0, 1, 0], [1, 1, 1]], bool),
        [0, 1],
        False,
    ),
    "Ga all ones": (np.ones((3, 2)), None, np.ones((3, 3), bool), [], False),
    "Gz lower triangular": (None, np.tril(np.ones((4, 4))), np.eye(4, dtype=bool), [0, 1, 2, 3], True),
    "Gz chain with self loops": (None, np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]]), I3, [0, 1, 2], True),
    "block-diagonal Ga": (np.kron(np.eye(2), np.ones((2, 1))), None, BLOCKS, [], False),
    "block-diagonal Gz": (None, np.kron(np.eye(2), np.ones((2, 2))), BLOCKS, [], False),
    "combining graphs breaks the tie": (
        np.array([[1], [1]]),
        np.array([[1, 0], [1, 1]]),
        np.eye(2, dtype=bool),
        [0, 1],
        True,
    ),
}


@pytest.mark.parametrize("name", WORKED)
def test_worked_examples(name: str) -> None:
    ga, gz, expected, identified, complete = WORKED[name]
    c = identifiability.consistency_pattern(ga, gz)
    assert c.dtype == bool
    assert np.array_equal(c, expected)
    assert identifiability.identified_latents(c) == identified
    assert identifiability.is_complete(c) is complete
    assert (identifiability.verdict_text(c) == "complete disentanglement") is complete


def test_combined_graphs_need_each_other() -> None:
    ga, gz = np.array([[1], [1]]), np.array([[1, 0], [1, 1]])
    assert not identifiability.is_complete(identifiability.consistency_pattern(ga=ga))
    assert identifiability.is_complete(identifiability.consistency_pattern(ga, gz))


def test_paper_presets_verdicts() -> None:
    def complete(name: str) -> bool:
        spec = graphs.preset(name)
        return identifiability.is_complete(identifiability.consistency_pattern(spec.ga, spec.gz))

    assert complete("action-diag") and complete("action-nondiag") and complete("time-nondiag")
    assert not complete("action-block-diag") and not complete("time-block-nondiag")
    spec = graphs.preset("action-block-nondiag")
    report = identifiability.analyse(spec.ga, spec.gz)
    assert report.twins[0] == [0, 1] and len([t for t in report.twins if len(t) == 2]) == 5
    assert report.pattern[0, 8] and not report.pattern[8, 0]  # {a1} inside {a1, a5}: z1 may mix with ẑ9


def test_verdict_and_reasons_in_plain_words() -> None:
    nested = identifiability.analyse(np.array([[1, 0], [1, 1]]))
    assert nested.verdict == "partial: z2 identified; z1 may mix with ẑ2"
    assert nested.reasons[0] == "z1 is not identified: it may mix with ẑ2, as z2 also has its action parent a1."
    assert nested.reasons[1] == "z2 is identified: every other latent lacks its action parent a2."
    twins = identifiability.analyse(np.array([[1, 0], [1, 0], [0, 1]]))
    assert twins.verdict == "partial: z3 identified; {z1, z2} twins"
    assert twins.reasons[0] == "z1 is not identified: twin of z2, as both have exactly action parent a1."
    assert twins.twins == [[0, 1], [2]]
    no_parent = identifiability.analyse(np.array([[1, 0], [0, 1], [0, 0]]))
    assert no_parent.verdict == "partial: z1, z2 identified; z3 may mix with ẑ1, ẑ2"
    assert no_parent.reasons[2] == "z3 is not identified: it may mix with ẑ1, ẑ2, as it has no action parent."


def test_identified_reason_names_what_really_separates() -> None:
    """The old text said 'every other latent lacks one of its action parents {a1}' although z2 had a1 too."""
    spec = graphs.preset("action-nondiag")  # z1 <- a1, a10; z2 <- a1, a2; z10 <- a9, a10
    reasons = identifiability.analyse(spec.ga, spec.gz).reasons
    assert reasons[0] == "z1 is identified: z3–z10 lack its action parent a1 and z2 lacks a10."
    spec = graphs.preset("teach-combined")  # Ga alone cannot tell z1 from z2; Gz can
    assert identifiability.analyse(spec.ga, spec.gz).reasons == [
        "z1 is identified: every other latent lacks its temporal child z1 (itself).",
        "z2 is identified: every other latent lacks its temporal parent z2 (itself).",
    ]
    assert identifiability.analyse(np.eye(1)).reasons == ["z1 is identified: it is the only latent."]


def test_long_lists_are_grouped_into_ranges() -> None:
    assert identifiability.latent_list([0, 1, 2, 3, 5, 7, 8, 9]) == "z1–z4, z6, z8–z10"
    assert identifiability.latent_list([0, 1, 4], identifiability.HAT) == "ẑ1, ẑ2, ẑ5"
    assert identifiability.latent_list([]) == ""
    big = identifiability.analyse(np.ones((20, 2)))
    assert big.verdict == "partial: no latent identified; {z1–z20} twins"
    assert big.reasons[0] == "z1 is not identified: twin of z2–z20, as all have exactly action parents {a1, a2}."
    temporal = identifiability.analyse(None, np.kron(np.eye(2), np.ones((2, 2))))
    assert temporal.reasons[0] == (
        "z1 is not identified: twin of z2, as both have exactly temporal parents {z1, z2} and temporal children "
        "{z1, z2}."
    )


def test_needs_a_graph() -> None:
    with pytest.raises(ValueError, match="needs Ga, Gz or both"):
        identifiability.consistency_pattern()
    with pytest.raises(ValueError, match="needs Ga, Gz or both"):
        identifiability.criterion_sets()


# ---------------------------------------------------------------- properties

binary = st.integers(1, 7).flatmap(
    lambda dz: st.tuples(
        st.one_of(
            st.none(), st.integers(1, 6).flatmap(lambda da: arrays(np.int8, (dz, da), elements=st.integers(0, 1)))
        ),
        st.one_of(st.none(), arrays(np.int8, (dz, dz), elements=st.integers(0, 1))),
    ).filter(lambda gs: gs[0] is not None or gs[1] is not None)
)


@given(binary)
@settings(max_examples=200, deadline=None)
def test_pattern_is_reflexive_and_transitive(gs) -> None:
    c = identifiability.consistency_pattern(*gs)
    ci = c.astype(int)
    assert np.all(np.diag(c))
    assert np.all(((ci @ ci) > 0) <= c)  # C[i, k] and C[k, j] imply C[i, j]
    twins = identifiability.twin_classes(c)
    assert sorted(i for cls in twins for i in cls) == list(range(c.shape[0]))  # a partition


@given(binary)
@settings(max_examples=200, deadline=None)
def test_identity_exactly_when_criterion_sets_are_singletons(gs) -> None:
    c = identifiability.consistency_pattern(*gs)
    sets = identifiability.criterion_sets(*gs)
    singletons = all(s == {i} for i, s in enumerate(sets))
    assert identifiability.is_complete(c) == singletons
    assert identifiability.is_complete(c) == np.array_equal(c, np.eye(len(c), dtype=bool))


@given(binary, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_relabelling_latents_permutes_pattern(gs, rnd) -> None:
    ga, gz = gs
    dz = (ga if ga is not None else gz).shape[0]
    perm = list(range(dz))
    rnd.shuffle(perm)
    p = np.array(perm)
    c = identifiability.consistency_pattern(ga, gz)
    ga_p = None if ga is None else ga[p]
    gz_p = None if gz is None else gz[np.ix_(p, p)]
    assert np.array_equal(identifiability.consistency_pattern(ga_p, gz_p), c[np.ix_(p, p)])


def test_twenty_by_twenty_is_vectorised_enough() -> None:
    spec = graphs.random_graph(20, 20, density=0.3, temporal=True, seed=3)
    report = identifiability.analyse(spec.ga, spec.gz)
    assert report.pattern.shape == (20, 20) and len(report.reasons) == 20


# ---------------------------------------------------------------- the reasons say exactly what C says


def _expand(text: str) -> set[int]:
    """'z2, z4–z6' or 'ẑ2, ẑ4–ẑ6' -> {1, 3, 4, 5} (0-based)."""
    out: set[int] = set()
    for token in text.split(", "):
        ends = [int(re.sub(r"\D", "", end)) - 1 for end in token.split("–")]
        out.update(range(ends[0], ends[-1] + 1))
    return out


KIND_OF = {"action parent": 0, "temporal parent": 1, "temporal child": 2}
CLAUSE = re.compile(
    r"^(?P<who>every other latent|[zẑ\d, –]+?) lacks? (its (?P<kind>action parent|temporal parent|temporal child) )?"
    r"(?P<feat>[az]\d+)( \(itself\))?$"
)


def _check_separation(i: int, text: str, ga, gz) -> None:
    """Parse 'z3–z10 lack its action parent a1 and z2 lacks a10' and check it against the graphs."""
    dz = (ga if ga is not None else gz).shape[0]
    clauses = re.split(r"; | and (?=[ez])", text)
    covered: set[int] = set()
    kind = None
    for clause in clauses:
        m = CLAUSE.match(clause)
        assert m, clause
        kind = KIND_OF[m["kind"]] if m["kind"] else kind
        who = set(range(dz)) - {i} if m["who"] == "every other latent" else _expand(m["who"])
        f = int(m["feat"][1:]) - 1
        assert kind is not None and not (who & covered) and i not in who
        if kind == 0:
            assert ga[i, f] == 1 and all(ga[j, f] == 0 for j in who), clause
        elif kind == 1:
            assert gz[i, f] == 1 and all(gz[j, f] == 0 for j in who), clause
        else:
            assert gz[f, i] == 1 and all(gz[f, j] == 0 for j in who), clause
        covered |= who
    assert covered == set(range(dz)) - {i}


@given(binary)
@settings(max_examples=300, deadline=None)
def test_reasons_and_verdict_match_the_pattern(gs) -> None:
    ga, gz = gs
    report = identifiability.analyse(ga, gz)
    c = report.pattern
    for text in [report.verdict, *report.reasons]:
        assert "{}" not in text and "{" not in re.sub(r"\{[^{}]*[,–][^{}]*\}", "", text)  # braces only round 2+
    for i, reason in enumerate(report.reasons):
        twins = {j for j in range(len(c)) if j != i and c[i, j] and c[j, i]}
        strict = {j for j in range(len(c)) if c[i, j] and not c[j, i]}
        if i in report.identified:
            head = f"z{i + 1} is identified: "
            assert reason.startswith(head) and reason.endswith(".")
            if len(c) > 1:
                _check_separation(i, reason[len(head) : -1], ga, gz)
            continue
        assert reason.startswith(f"z{i + 1} is not identified: ")
        named_twins = re.search(r"twin of (.+?), as ", reason)
        assert (_expand(named_twins[1]) if named_twins else set()) == twins
        named_mix = re.search(r"may mix with (.+?), as ", reason)
        assert (_expand(named_mix[1]) if named_mix else set()) == strict
    if not report.complete:
        mixes = {
            (i, j)
            for piece in report.verdict.split("; ")
            if " may mix with " in piece
            for i in _expand(piece.split(" may mix with ")[0].removeprefix("partial: "))
            for j in _expand(piece.split(" may mix with ")[1])
        }
        assert mixes == {(i, j) for i in range(len(c)) for j in range(len(c)) if c[i, j] and not c[j, i]}


def test_twenty_latents_reasons_stay_short() -> None:
    for seed in range(5):
        spec = graphs.random_graph(20, 20, density=0.3, temporal=True, seed=seed)
        report = identifiability.analyse(spec.ga, spec.gz)
        assert max(len(r) for r in report.reasons) < 260


# ---------------------------------------------------------------- what "identified" assumes (the page's expander)


def test_conditions_markdown_lists_every_condition_and_the_meaning() -> None:
    text = identifiability.conditions_markdown()
    plain = text.replace("\\_", "_")
    for condition in identifiability.IDENTIFIED_CONDITIONS:
        assert f"- {condition}" in plain
    assert identifiability.IDENTIFIED_MEANING in plain
    assert re.search(r"(?<!\\)_", text) is None  # no bare underscore may open italics
    joined = " ".join(identifiability.IDENTIFIED_CONDITIONS)
    for needed in ("diffeomorphism", "conditionally independent", "Sufficient influence", "Infinite data",
                   "learned dz equals the true dz", "no denser than the true graph"):  # fmt: skip
        assert needed in joined
    assert "permutation" in identifiability.IDENTIFIED_MEANING and "element-wise" in identifiability.IDENTIFIED_MEANING
    assert "MCC below 1 does not contradict" in identifiability.IDENTIFIED_MEANING


def test_reading_guide_says_c_is_an_upper_bound_in_terms_of_the_matched_latent() -> None:
    text = identifiability.reading_markdown().replace("\\_", "_")
    assert "ẑ_j, the learned latent matched to z_j" in text
    assert "twins may be mixed, not that they will be" in text and "upper bound" in text
    assert "depend on z_j" not in text
