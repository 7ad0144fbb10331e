"""The 'break' exercise: add one edge so that a latent is no longer identified. The options are every absent edge,
as codes ('a2>z3': a2 -> z3; 'z1>z3': z1 at t-1 -> z3 at t); the answer is an option index. (The module is not
named break: that is a Python keyword.)"""

from __future__ import annotations

import re

import numpy as np

from mechsparse.teaching.exercises.common import (
    Exercise,
    Grade,
    answer_index,
    identified,
    join_or,
    random_truth,
    say,
    shape_text,
)
from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec
from mechsparse.theory.identifiability import HAT, latent_list

_EDGE = re.compile(r"^([az])(\d+)>z(\d+)$")


def _absent_edges(spec: GraphSpec) -> list[str]:
    """Every edge the graphs lack, as codes: 'a2>z3' (a2 -> z3) and 'z1>z3' (z1 at t-1 -> z3 at t)."""
    codes = []
    for prefix, g in (("a", spec.ga), ("z", spec.gz)):
        if g is not None:
            codes += [f"{prefix}{p + 1}>z{c + 1}" for c, p in zip(*np.nonzero(g == 0), strict=True)]
    return codes


def edge_label(code: str) -> str:
    """'a2>z3' -> 'a2 → z3'; 'z1>z3' -> 'z1(t-1) → z3'."""
    prefix, parent, child = _parse_edge(code)
    return f"a{parent + 1} → z{child + 1}" if prefix == "a" else f"z{parent + 1}(t-1) → z{child + 1}"


def _parse_edge(code: str) -> tuple[str, int, int]:
    m = _EDGE.match(code) if isinstance(code, str) else None
    if m is None:
        raise ValueError(f"edge must look like 'a2>z3' or 'z1>z3', got {code!r}")
    return m[1], int(m[2]) - 1, int(m[3]) - 1


def add_edge(spec: GraphSpec, code: str) -> GraphSpec:
    """The graphs with one more edge, given as an option code of a break exercise ('a2>z3' or 'z1>z3')."""
    prefix, parent, child = _parse_edge(code)
    ga = None if spec.ga is None else spec.ga.copy()
    gz = None if spec.gz is None else spec.gz.copy()
    g = ga if prefix == "a" else gz
    if g is None or not (0 <= child < g.shape[0] and 0 <= parent < g.shape[1]):
        raise ValueError(f"edge {code!r} does not fit these graphs")
    g[child, parent] = 1
    return GraphSpec(ga=ga, gz=gz)


def build(rng: np.random.Generator, seed: int) -> Exercise | None:
    """A random graph and an identified target latent that some absent edge un-identifies and some does not; None
    when this draw has no such target."""
    truth = random_truth(rng)
    codes = _absent_edges(truth)
    after = [set(identified(add_edge(truth, code))) for code in codes]
    targets = [k for k in identified(truth) if 0 < sum(k not in ids for ids in after) < len(codes)]
    if not targets:  # non-trivial: the target has at least one right and one wrong edge
        return None
    k = targets[int(rng.integers(len(targets)))]
    question = f"{shape_text(truth)} It identifies z{k + 1}. Add one edge so that z{k + 1} is no longer identified."
    right = next(n for n, ids in enumerate(after) if k not in ids)
    return Exercise("break", seed, truth, question, k, codes, [edge_label(c) for c in codes], right)


def grade(ex: Exercise, answer: object) -> Grade:
    """Right when the chosen edge un-identifies the target: some other latent then has all its parents and
    children."""
    n = answer_index(answer, len(ex.options), "option index")
    k = ex.target
    new = add_edge(ex.truth, ex.options[n])
    c = identifiability.consistency_pattern(new.ga, new.gz)
    label = ex.option_labels[n]
    works = [ex.option_labels[m] for m, code in enumerate(ex.options) if k not in identified(add_edge(ex.truth, code))]
    mixers = [int(j) for j in np.flatnonzero(c[k]) if j != k]
    if mixers:
        who = latent_list(mixers)
        first = (
            f"After adding {label}, z{k + 1} is no longer identified: {say(who, len(mixers), 'now has', 'now have')} "
            f"every parent and child of z{k + 1}, so z{k + 1} may mix with {latent_list(mixers, HAT)}."
        )
        summary = f"Right: after adding {label}, z{k + 1} is no longer identified."
    else:
        first = f"After adding {label}, z{k + 1} is still identified: no other latent has every parent and child of it."
        summary = f"Not quite: after adding {label}, z{k + 1} is still identified; {works[0]} would do it, for example."
    reasons = [first, *identifiability.latent_reasons(new.ga, new.gz)]
    expected_text = f"Any of {join_or(works)} makes z{k + 1} no longer identified."
    if len(works) == 1:
        expected_text = f"Only {works[0]} makes z{k + 1} no longer identified."
    return Grade(bool(mixers), summary, reasons, expected_text)
