"""mechsparse.theory.graphs: validation, presets, random graphs, resizing, the URL text encoding."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsparse.theory import graphs
from mechsparse.theory.graphs import GraphSpec

# Edge counts from docs/paper-numbers.md (the authors' graphs).
PAPER_EDGES = {
    "action-diag": 10,
    "action-nondiag": 20,
    "action-block-diag": 10,
    "action-block-nondiag": 12,
    "time-diag": 10,
    "time-nondiag": 55,
    "time-block-diag": 20,
    "time-block-nondiag": 32,
}


@pytest.mark.parametrize("name,edges", PAPER_EDGES.items())
def test_paper_presets_edge_counts(name: str, edges: int) -> None:
    spec = graphs.preset(name)
    assert spec.n_edges == edges
    assert spec.dz == 10
    assert (spec.ga is None) == name.startswith("time")


def test_paper_presets_follow_reference_layout() -> None:
    nondiag = graphs.preset("action-nondiag").ga
    assert set(np.flatnonzero(nondiag[0])) == {0, 9}  # row 0 = {0, 9}
    assert set(np.flatnonzero(nondiag[3])) == {2, 3}
    assert graphs.preset("action-block-diag").da == 5
    hard = graphs.preset("action-block-nondiag").ga
    assert set(np.flatnonzero(hard[:, 0])) == {0, 1, 8, 9}
    gz = graphs.preset("time-nondiag").gz
    assert np.array_equal(gz, np.tril(np.ones((10, 10))))
    for name in ("time-diag", "time-nondiag", "time-block-diag", "time-block-nondiag"):
        assert np.all(np.diag(graphs.preset(name).gz) == 1)


def test_every_preset_builds_and_is_described() -> None:
    assert set(PAPER_EDGES) <= set(graphs.PRESETS)
    for name, desc in graphs.PRESETS.items():
        spec = graphs.preset(name)
        assert isinstance(spec, GraphSpec)
        assert desc and "\n" not in desc
    assert graphs.DEFAULT_PRESET in graphs.PRESETS


def test_unknown_preset_is_one_line_error() -> None:
    with pytest.raises(ValueError, match="unknown preset 'nope'") as info:
        graphs.preset("nope")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({}, "at least one graph"),
        ({"ga": np.array([[0, 2]])}, "only 0 and 1"),
        ({"ga": np.array([1, 0])}, "2-D"),
        ({"ga": np.zeros((0, 2))}, "at least one row"),
        ({"ga": np.array([["a", "b"]])}, "numeric"),
        ({"ga": np.array([[0.5, 1.0]])}, "only 0 and 1"),
        ({"gz": np.ones((2, 3))}, "square"),
        ({"ga": np.ones((3, 2)), "gz": np.eye(2)}, "one row per latent"),
        ({"gz": np.eye(21)}, "dz must be between 1 and 20"),
        ({"ga": np.ones((2, 21))}, "da must be between 1 and 20"),
    ],
)
def test_graphspec_validation_errors_are_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        GraphSpec(**kwargs)
    assert "\n" not in str(info.value)


def test_graphspec_is_read_only_and_compares_by_value() -> None:
    a = GraphSpec(ga=np.eye(3, dtype=bool))
    assert a == GraphSpec(ga=np.eye(3))
    assert a != GraphSpec(gz=np.eye(3))
    assert a.ga.dtype == np.int8
    with pytest.raises(ValueError):
        a.ga[0, 0] = 0


@given(
    dz=st.integers(1, 12),
    da=st.integers(0, 12),
    density=st.floats(0, 1),
    temporal=st.booleans(),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=60, deadline=None)
def test_random_graphs_keep_the_diagonal_and_are_reproducible(dz, da, density, temporal, seed) -> None:
    if da == 0 and not temporal:
        with pytest.raises(ValueError, match="needs actions"):
            graphs.random_graph(dz, da, density=density, temporal=temporal, seed=seed)
        return
    spec = graphs.random_graph(dz, da, density=density, temporal=temporal, seed=seed)
    assert spec.dz == dz and spec.da == da
    assert (spec.gz is not None) == temporal
    if temporal:
        assert np.all(np.diag(spec.gz) == 1)
    assert spec == graphs.random_graph(dz, da, density=density, temporal=temporal, seed=seed)


def test_random_graph_density_extremes_and_bad_density() -> None:
    assert graphs.random_graph(5, 4, density=0.0, temporal=True).n_edges == 5  # only the diagonal
    assert graphs.random_graph(5, 4, density=1.0, temporal=True).n_edges == 5 * 4 + 25
    with pytest.raises(ValueError, match="density"):
        graphs.random_graph(3, 2, density=1.5)


def test_resize_keeps_overlap_and_adds_defaults() -> None:
    spec = graphs.preset("teach-combined")  # ga [[1],[1]], gz [[1,0],[1,1]]
    bigger = graphs.resize(spec, 3, 2)
    assert np.array_equal(bigger.ga, [[1, 0], [1, 0], [0, 0]])
    assert np.array_equal(bigger.gz, [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    assert graphs.resize(bigger, 2, 1) == spec
    only_z = graphs.resize(spec, 2, 1, use_ga=False)
    assert only_z.ga is None and np.array_equal(only_z.gz, spec.gz)
    assert np.array_equal(graphs.resize(only_z, 2, 3, use_ga=True).ga, np.eye(2, 3))


@pytest.mark.parametrize(
    "dz,da,use_ga,use_gz,message",
    [
        (0, 2, True, True, "dz must be between 1 and 20, got 0"),
        (21, 2, True, True, "dz must be between"),
        (3, 0, True, False, "da must be between 1 and 20, got 0"),
        (3, 2, False, False, "at least one graph"),
    ],
)
def test_resize_rejects_bad_dimensions(dz, da, use_ga, use_gz, message) -> None:
    with pytest.raises(ValueError, match=message):
        graphs.resize(graphs.preset("teach-twins"), dz, da, use_ga=use_ga, use_gz=use_gz)


matrices = st.integers(1, 8).flatmap(
    lambda r: st.integers(1, 8).flatmap(
        lambda c: st.lists(st.lists(st.integers(0, 1), min_size=c, max_size=c), min_size=r, max_size=r)
    )
)


@given(ga=st.none() | matrices, gz_n=st.integers(0, 6), gz_seed=st.integers(0, 1000))
@settings(max_examples=100, deadline=None)
def test_encode_decode_round_trip(ga, gz_n, gz_seed) -> None:
    ga = None if ga is None else np.array(ga)
    dz = ga.shape[0] if ga is not None else max(gz_n, 1)
    gz = np.random.default_rng(gz_seed).integers(0, 2, (dz, dz)) if (gz_n or ga is None) else None
    spec = GraphSpec(ga=ga, gz=gz)
    text = graphs.encode(spec)
    assert graphs.decode(text) == spec
    assert all(ch.isalnum() or ch in "-._~" for ch in text)  # URL-safe: unreserved characters only


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "at least one graph"),
        ("a12.01", "expected rows of 0/1"),
        ("a10.1", "same length"),
        ("q10", "cannot read graph text"),
        ("a1~a1", "cannot read graph text"),
        ("a10.01~z1", "one row per latent"),
    ],
)
def test_decode_rejects_malformed_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        graphs.decode(text)
    assert "\n" not in str(info.value)


def test_parse_rows_accepts_commas_and_dots() -> None:
    assert np.array_equal(graphs.parse_rows("110,011"), [[1, 1, 0], [0, 1, 1]])
    assert np.array_equal(graphs.parse_rows("110.011"), graphs.parse_rows(" 110; 011 "))
    assert np.array_equal(graphs.parse_rows("110 011"), [[1, 1, 0], [0, 1, 1]])  # a space separates rows too


@pytest.mark.parametrize("text", ["a12.01", "a", "a1x", "z10.0a", "a10,01~z1.2"])
def test_bad_link_hint_uses_the_dots_that_links_use(text: str) -> None:
    """The hint once said 'separated by commas, e.g. 110,011' while links join rows with '.'."""
    with pytest.raises(ValueError) as info:
        graphs.decode(text)
    message = str(info.value)
    hint = message.split("; got")[0]
    assert "separated by dots, e.g. 110.011" in hint and not re.search(r"[01],[01]", hint)
    example = re.search(r"e\.g\. (\S+)", message)[1]
    assert np.array_equal(graphs.parse_rows(example), [[1, 1, 0], [0, 1, 1]])  # the example itself parses


def test_bad_link_structure_hint_shows_a_link_that_works() -> None:
    with pytest.raises(ValueError, match="cannot read graph text") as info:
        graphs.decode("q10")
    example = re.search(r"e\.g\. (\S+)", str(info.value))[1]
    assert graphs.encode(graphs.decode(example)) == example


def test_resize_restores_a_graph_switched_back_on() -> None:
    spec = graphs.preset("teach-combined")
    off = graphs.resize(spec, 2, 1, use_gz=False)
    assert off.gz is None
    assert graphs.resize(off, 2, 1, last_gz=spec.gz) == spec  # not the identity
    assert graphs.resize(off, 2, 1) == graphs.GraphSpec(ga=spec.ga, gz=np.eye(2))  # nothing to restore
    grown = graphs.resize(off, 3, 1, last_gz=spec.gz)  # dz changed while Gz was off: resized like any edit
    assert np.array_equal(grown.gz, [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    only_z = graphs.resize(spec, 2, 1, use_ga=False)
    back = graphs.resize(only_z, 2, 2, last_ga=np.array([[0, 1], [1, 1]]))
    assert np.array_equal(back.ga, [[0, 1], [1, 1]]) and np.array_equal(back.gz, spec.gz)
    assert graphs.resize(spec, 2, 1, last_gz=np.eye(2)) == spec  # a graph that is on keeps its own edges
