"""The 'consistent' exercise: which learned graph is consistent with the truth? One option is the truth with its
latents renumbered; the others are distractors no renumbering turns into the truth. The answer is an option index.

Distractors: each takes the truth and returns modified graphs (or None when it does not apply). The builder keeps
only those that no renumbering of the latents turns into the truth, then renumbers their latents at random too.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations, permutations

import numpy as np

from mechsparse.teaching.exercises.common import (
    Exercise,
    Grade,
    answer_index,
    permute,
    random_truth,
    relabelling,
    shape_text,
)
from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec


def _canonical(spec: GraphSpec) -> bytes:
    """The same bytes for graphs equal up to a renumbering of the latents (the smallest over all renumberings)."""
    return min(_bytes(permute(spec, perm)) for perm in permutations(range(spec.dz)))


def _bytes(spec: GraphSpec) -> bytes:
    return b"|".join(b"-" if g is None else g.tobytes() for g in (spec.ga, spec.gz))


# ---------------------------------------------------------------- distractors


def _edges(spec: GraphSpec, present: bool) -> list[tuple[str, int, int]]:
    """(graph, row, column) of every present (or absent) edge; Gz's diagonal (own past) is never touched."""
    out = []
    for name, g in (("ga", spec.ga), ("gz", spec.gz)):
        if g is not None:
            rows, cols = np.nonzero(g == (1 if present else 0))
            out += [(name, int(r), int(c)) for r, c in zip(rows, cols, strict=True) if name == "ga" or r != c]
    return out


def _flip(spec: GraphSpec, *edges: tuple[str, int, int]) -> GraphSpec:
    mats = {"ga": None if spec.ga is None else spec.ga.copy(), "gz": None if spec.gz is None else spec.gz.copy()}
    for name, r, c in edges:
        mats[name][r, c] = 1 - mats[name][r, c]
    return GraphSpec(**mats)


def _pick(rng: np.random.Generator, items: list) -> object | None:
    return items[int(rng.integers(len(items)))] if items else None


def _one_more(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    edge = _pick(rng, _edges(truth, present=False))
    return None if edge is None else _flip(truth, edge)


def _one_fewer(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    edge = _pick(rng, _edges(truth, present=True))
    return None if edge is None else _flip(truth, edge)


def _one_moved(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    gone, new = _pick(rng, _edges(truth, present=True)), _pick(rng, _edges(truth, present=False))
    return None if gone is None or new is None else _flip(truth, gone, new)


def _swap_actions(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    if truth.ga is None:
        return None
    pairs = [(j, m) for j, m in combinations(range(truth.da), 2) if not np.array_equal(truth.ga[:, j], truth.ga[:, m])]
    pair = _pick(rng, pairs)
    return None if pair is None else _swap_columns(truth, *pair)


def _swap_columns(spec: GraphSpec, j: int, m: int) -> GraphSpec:
    """Ga with the columns (edges) of actions j and m exchanged."""
    cols = list(range(spec.da))
    cols[j], cols[m] = m, j
    return GraphSpec(ga=spec.ga[:, cols], gz=spec.gz)


def _rows_only(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    if truth.gz is None:
        return None
    p = rng.permutation(truth.dz)
    return GraphSpec(ga=None if truth.ga is None else truth.ga[p], gz=truth.gz[p])


def _reverse_time(rng: np.random.Generator, truth: GraphSpec) -> GraphSpec | None:
    return None if truth.gz is None else GraphSpec(ga=truth.ga, gz=truth.gz.T)


_DISTRACTORS: tuple[Callable[[np.random.Generator, GraphSpec], GraphSpec | None], ...] = (
    _one_more,
    _one_fewer,
    _one_moved,
    _swap_actions,
    _rows_only,
    _reverse_time,
)


def _distractors(rng: np.random.Generator, truth: GraphSpec, n_wrong: int, perms: list) -> list[GraphSpec]:
    """Up to n_wrong inconsistent candidates, distinct up to a renumbering, each with its latents renumbered."""
    seen, wrong = {_canonical(truth)}, []
    for n in rng.permutation(len(_DISTRACTORS)):
        g = _DISTRACTORS[n](rng, truth)
        if g is None or (canon := _canonical(g)) in seen:
            continue  # not applicable, consistent after all, or the same as an earlier distractor
        seen.add(canon)
        wrong.append(permute(g, _pick(rng, perms)))
        if len(wrong) == n_wrong:
            break
    return wrong


def build(rng: np.random.Generator, seed: int) -> Exercise | None:
    """A random graph, its visibly renumbered copy and 2-3 distractors in random order; None when this draw has
    too few distractors or when counting edges alone would find the answer."""
    truth = random_truth(rng)
    perms = list(permutations(range(truth.dz)))
    visible = [p for p in perms if permute(truth, p) != truth]  # renumberings that change how the graph looks
    if not visible:
        return None
    right = permute(truth, _pick(rng, visible))
    n_wrong = int(rng.integers(2, 4))
    wrong = _distractors(rng, truth, n_wrong, perms)
    if len(wrong) < n_wrong or all(g.n_edges != truth.n_edges for g in wrong):
        return None  # non-trivial: counting edges alone must not find the answer
    order = rng.permutation(n_wrong + 1)
    options = [([right, *wrong])[i] for i in order]
    labels = [chr(ord("A") + i) for i in range(len(options))]
    question = (
        f"{shape_text(truth)} Which learned graph, {labels[0]}–{labels[-1]}, is consistent with it, as a sparsest "
        "exact fit would be? The learned latents may come out in any order; the actions keep their names."
    )
    return Exercise("consistent", seed, truth, question, None, options, labels, int(np.flatnonzero(order == 0)[0]))


# ---------------------------------------------------------------- grading


def _why_inconsistent(truth: GraphSpec, g: GraphSpec, name: str) -> tuple[str, str]:
    """(headline, why) for a candidate that no renumbering of the latents turns into the truth."""
    diff = g.n_edges - truth.n_edges
    if diff:
        n = f"{'one' if abs(diff) == 1 else abs(diff)} edge{'' if abs(diff) == 1 else 's'}"
        if diff > 0:
            return f"{name} has {n} more than the truth", "a sparsest exact fit has no more edges than the truth"
        return f"{name} has {n} fewer than the truth", "it drops a real dependency, so it cannot fit the data exactly"
    if truth.ga is not None:
        for j, m in combinations(range(truth.da), 2):
            if relabelling(_swap_columns(truth, j, m), g) is not None:
                return (
                    f"{name} exchanges the edges of a{j + 1} and a{m + 1}",
                    "actions are observed, so they keep their names and are never permuted",
                )
    if truth.gz is not None:
        for p in permutations(range(truth.dz)):
            q = np.asarray(p)
            if g == GraphSpec(ga=None if truth.ga is None else truth.ga[q], gz=truth.gz[q]):
                return (
                    f"{name} renumbers the latents at time t but not at t-1",
                    "a learned latent keeps one number at both times, so Gz's rows and columns move together",
                )
        if relabelling(GraphSpec(ga=truth.ga, gz=truth.gz.T), g) is not None:
            return f"{name} reverses time", "every temporal parent became a child and every child a parent"
    return f"{name} has as many edges as the truth but a different structure", _structure_difference(truth, g, name)


def _structure_difference(truth: GraphSpec, g: GraphSpec, name: str) -> str:
    """Name one count that a renumbering of the latents would keep but that differs, if there is one."""
    if truth.ga is not None:
        for ell in range(truth.da):
            a, b = int(truth.ga[:, ell].sum()), int(g.ga[:, ell].sum())
            if a != b:
                return f"a{ell + 1} drives {a} latent{'s' * (a != 1)} in the truth but {b} in {name}"
    counts = []
    if truth.ga is not None:
        counts.append(("action parents", 1, "ga"))
    if truth.gz is not None:
        counts += [("temporal parents", 1, "gz"), ("temporal children", 0, "gz")]
    for what, axis, attr in counts:
        a, b = sorted(getattr(truth, attr).sum(axis=axis)), sorted(getattr(g, attr).sum(axis=axis))
        if a != b:
            return (
                f"the truth's latents have {', '.join(map(str, a))} {what}, {name}'s have {', '.join(map(str, b))}, "
                "and renumbering the latents cannot change those counts"
            )
    return "no renumbering of the latents turns one into the other"


def _renumbering_text(truth: GraphSpec, g: GraphSpec, name: str) -> str:
    perm = relabelling(truth, g)
    if list(perm) == list(range(truth.dz)):
        return f"{name} is the truth itself"
    return (
        f"{name} is the truth with its latents renumbered: its latents 1–{truth.dz} are the truth's "
        f"{', '.join(f'z{p + 1}' for p in perm)}"
    )


def grade(ex: Exercise, answer: object) -> Grade:
    """Right when the chosen candidate is the renumbered truth; every candidate gets one line saying why (not)."""
    n = answer_index(answer, len(ex.options), "option index")
    right = ex.expected
    lines, headline = [], {}
    for m, (g, name) in enumerate(zip(ex.options, ex.option_labels, strict=True)):
        if m == right:
            lines.append(_renumbering_text(ex.truth, g, name) + ", so it is consistent.")
        else:
            headline[m], why = _why_inconsistent(ex.truth, g, name)
            lines.append(f"{headline[m]}: {why}.")
    good = ex.option_labels[right]
    if n == right:
        summary = f"Right: {_renumbering_text(ex.truth, ex.options[right], good)}."
    else:
        summary = f"Not quite: {headline[n]}; {good} is the consistent one."
    reasons = lines + identifiability.latent_reasons(ex.truth.ga, ex.truth.gz)
    return Grade(n == right, summary, reasons, _renumbering_text(ex.truth, ex.options[right], good) + ".")
