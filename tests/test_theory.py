"""mechsparse.theory: THEORY.md's worked examples, and properties of the consistency pattern C."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mechsparse import graphs, theory

I3 = np.eye(3, dtype=bool)
BLOCKS = np.kron(np.eye(2), np.ones((2, 2))).astype(bool)

# THEORY.md, "Worked examples": (ga, gz, expected C, expected identified latents (0-based), complete?)
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
    c = theory.consistency_pattern(ga, gz)
    assert c.dtype == bool
    assert np.array_equal(c, expected)
    assert theory.identified_latents(c) == identified
    assert theory.is_complete(c) is complete
    assert (theory.verdict_text(c) == "complete disentanglement") is complete


def test_combined_graphs_need_each_other() -> None:
    ga, gz = np.array([[1], [1]]), np.array([[1, 0], [1, 1]])
    assert not theory.is_complete(theory.consistency_pattern(ga=ga))
    assert theory.is_complete(theory.consistency_pattern(ga, gz))


def test_paper_presets_verdicts() -> None:
    def complete(name: str) -> bool:
        spec = graphs.preset(name)
        return theory.is_complete(theory.consistency_pattern(spec.ga, spec.gz))

    assert complete("action-diag") and complete("action-nondiag") and complete("time-nondiag")
    assert not complete("action-block-diag") and not complete("time-block-nondiag")
    spec = graphs.preset("action-block-nondiag")
    report = theory.analyse(spec.ga, spec.gz)
    assert report.twins[0] == [0, 1] and len([t for t in report.twins if len(t) == 2]) == 5
    assert report.pattern[0, 8] and not report.pattern[8, 0]  # {a1} inside {a1, a5}: z1 may mix in z9


def test_verdict_and_reasons_in_plain_words() -> None:
    nested = theory.analyse(np.array([[1, 0], [1, 1]]))
    assert nested.verdict == "partial: z2 identified; z1 may mix in z2"
    assert nested.reasons[0] == "z1 may also depend on z2: {a1} drives both, {a2} only z2."
    assert nested.reasons[1].startswith("z2 is identified")
    twins = theory.analyse(np.array([[1, 0], [1, 0], [0, 1]]))
    assert twins.verdict == "partial: z3 identified; {z1, z2} twins"
    assert twins.reasons[0] == "z1 stays entangled with z2: both are driven by exactly {a1}."
    assert twins.twins == [[0, 1], [2]]


def test_needs_a_graph() -> None:
    with pytest.raises(ValueError, match="needs Ga, Gz or both"):
        theory.consistency_pattern()
    with pytest.raises(ValueError, match="needs Ga, Gz or both"):
        theory.criterion_sets()


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
    c = theory.consistency_pattern(*gs)
    ci = c.astype(int)
    assert np.all(np.diag(c))
    assert np.all(((ci @ ci) > 0) <= c)  # C[i, k] and C[k, j] imply C[i, j]
    twins = theory.twin_classes(c)
    assert sorted(i for cls in twins for i in cls) == list(range(c.shape[0]))  # a partition


@given(binary)
@settings(max_examples=200, deadline=None)
def test_identity_exactly_when_criterion_sets_are_singletons(gs) -> None:
    c = theory.consistency_pattern(*gs)
    sets = theory.criterion_sets(*gs)
    singletons = all(s == {i} for i, s in enumerate(sets))
    assert theory.is_complete(c) == singletons
    assert theory.is_complete(c) == np.array_equal(c, np.eye(len(c), dtype=bool))


@given(binary, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_relabelling_latents_permutes_pattern(gs, rnd) -> None:
    ga, gz = gs
    dz = (ga if ga is not None else gz).shape[0]
    perm = list(range(dz))
    rnd.shuffle(perm)
    p = np.array(perm)
    c = theory.consistency_pattern(ga, gz)
    ga_p = None if ga is None else ga[p]
    gz_p = None if gz is None else gz[np.ix_(p, p)]
    assert np.array_equal(theory.consistency_pattern(ga_p, gz_p), c[np.ix_(p, p)])


def test_twenty_by_twenty_is_vectorised_enough() -> None:
    spec = graphs.random_graph(20, 20, density=0.3, temporal=True, seed=3)
    report = theory.analyse(spec.ga, spec.gz)
    assert report.pattern.shape == (20, 20) and len(report.reasons) == 20
