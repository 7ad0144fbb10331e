"""Auto-graded exercises on what mechanism sparsity identifies, generated from (kind, seed), checked by theory.

Why a seed: a link holding kind and seed gives a whole class the same exercise, and nothing else needs storing.
Why the theory engine grades: the expected answer is recomputed by theory.py, so an exercise can never disagree
with the Theory page. Latents and actions are 1-based in text (z1, a1), 0-based in arrays and answers.
"""

from __future__ import annotations

import numbers
import re
import secrets
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations

import numpy as np

from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec, random_graph
from mechsparse.theory.identifiability import HAT, latent_list

KINDS: dict[str, str] = {
    "identified": "Which latents does this graph identify?",
    "twins": "Mark the twin classes",
    "break": "Add one edge so that a latent is no longer identified",
    "consistent": "Which learned graph is consistent with the truth?",
}
"""Exercise kind -> one-line title. The names are a contract: links hold them."""

MAX_SEED = 2**31 - 1
LATENTS = (3, 5)  # inclusive range of dz
ACTIONS = (2, 4)  # inclusive range of da, when the graph has actions
_MODES = ("action", "temporal", "both")
_MAX_TRIES = 10_000  # rejection sampling; the builders succeed within a few tries (tests/test_exercises.py)


@dataclass(frozen=True)
class Exercise:
    """One exercise: everything a page needs to ask it and everything grade() needs to check an answer."""

    kind: str
    seed: int
    truth: GraphSpec
    question: str
    target: int | None = None
    options: list = field(default_factory=list)  # break: edge codes ('a2>z3', 'z1>z3'); consistent: GraphSpecs
    option_labels: list[str] = field(default_factory=list)
    expected: object = None  # identified: set[int]; twins: tuple of class labels; break/consistent: option index


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer, in words a student can act on."""

    correct: bool
    summary: str
    reasons: list[str]
    expected_text: str


def random_seed() -> int:
    """A fresh seed for 'new exercise'."""
    return secrets.randbelow(MAX_SEED + 1)


def make(kind: str, seed: int) -> Exercise:
    """The exercise of this kind for this seed; the same (kind, seed) always gives the same exercise."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"unknown exercise kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"exercise seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    seed = int(seed)
    rng = np.random.default_rng((list(KINDS).index(kind), seed))
    build = _BUILDERS[kind]
    for _ in range(_MAX_TRIES):
        ex = build(rng, seed)
        if ex is not None:
            return ex
    raise RuntimeError(f"could not generate a {kind} exercise for seed {seed}")  # never seen; a bug if it happens


def grade(ex: Exercise, answer: object) -> Grade:
    """Check an answer (format per kind: see Exercise.expected); a malformed answer is a one-line ValueError."""
    if ex.kind not in _GRADERS:
        raise ValueError(f"unknown exercise kind {ex.kind!r}; choose one of: {', '.join(KINDS)}")
    return _GRADERS[ex.kind](ex, answer)


# ---------------------------------------------------------------- graph helpers


def identified(spec: GraphSpec) -> list[int]:
    """The latents the theory identifies for these graphs."""
    return identifiability.identified_latents(identifiability.consistency_pattern(spec.ga, spec.gz))


def permute(spec: GraphSpec, perm: Sequence[int]) -> GraphSpec:
    """The graphs with latents renumbered: new latent p is old latent perm[p] (Ĝa = P·Ga, Ĝz = P·Gz·Pᵀ)."""
    p = np.asarray(perm)
    return GraphSpec(
        ga=None if spec.ga is None else spec.ga[p],
        gz=None if spec.gz is None else spec.gz[np.ix_(p, p)],
    )


def relabelling(truth: GraphSpec, learned: GraphSpec) -> tuple[int, ...] | None:
    """A renumbering of the latents that turns the truth into the learned graphs, or None.

    This is consistency: a sparsest exact fit recovers the truth up to a permutation of the latents. Actions are
    observed, so their columns are never permuted. Brute force, fine for the exercises' dz <= 5.
    """
    if truth.dz != learned.dz or truth.da != learned.da or (truth.gz is None) != (learned.gz is None):
        return None
    if truth.n_edges != learned.n_edges:
        return None
    for perm in permutations(range(truth.dz)):
        if permute(truth, perm) == learned:
            return perm
    return None


def _canonical(spec: GraphSpec) -> bytes:
    """The same bytes for graphs equal up to a renumbering of the latents (the smallest over all renumberings)."""
    return min(_bytes(permute(spec, perm)) for perm in permutations(range(spec.dz)))


def _bytes(spec: GraphSpec) -> bytes:
    return b"|".join(b"-" if g is None else g.tobytes() for g in (spec.ga, spec.gz))


def _shape_text(spec: GraphSpec) -> str:
    latents = f"{spec.dz} latents ({latent_list(range(spec.dz))})"
    actions = f"{spec.da} actions ({latent_list(range(spec.da), 'a')})"
    if spec.gz is None:
        return f"The true graph has {latents} and {actions}, with an action graph only."
    past = "each latent depends on its own past"
    if spec.ga is None:
        return f"The true graph has {latents} and a temporal graph only ({past})."
    return f"The true graph has {latents} and {actions}, with action and temporal graphs ({past})."


def _random_truth(rng: np.random.Generator, dz: int | None = None) -> GraphSpec:
    """3-5 latents, 2-4 actions; action-only, temporal-only (diagonal kept) or both, all chosen by rng."""
    dz = int(rng.integers(LATENTS[0], LATENTS[1] + 1)) if dz is None else dz
    mode = _MODES[int(rng.integers(len(_MODES)))]
    da = int(rng.integers(ACTIONS[0], ACTIONS[1] + 1)) if mode != "temporal" else 0
    density = float(rng.uniform(0.25, 0.65))
    return random_graph(dz, da, density=density, temporal=mode != "action", seed=int(rng.integers(2**63)))


def _say(names: str, count: int, one: str, many: str) -> str:
    return f"{names} {one if count == 1 else many}"


# ---------------------------------------------------------------- identified


def _build_identified(rng: np.random.Generator, seed: int) -> Exercise | None:
    truth = _random_truth(rng)
    ident = identified(truth)
    if not 0 < len(ident) < truth.dz:  # non-trivial: some latents identified, some not
        return None
    question = f"{_shape_text(truth)} Which latents does it identify? Select every identified latent."
    return Exercise("identified", seed, truth, question, expected=set(ident))


def _identified_text(ids: set[int]) -> str:
    if not ids:
        return "no latent is identified"
    return _say(latent_list(ids), len(ids), "is identified", "are identified")


def _grade_identified(ex: Exercise, answer: object) -> Grade:
    if not isinstance(answer, (set, frozenset, list, tuple)):
        raise ValueError(f"answer must be a set of latent indices (0-based ints), got {type(answer).__name__}")
    chosen = {_index(a, ex.truth.dz, "latent index") for a in answer}
    expected: set[int] = ex.expected
    missed, extra = sorted(expected - chosen), sorted(chosen - expected)
    if not missed and not extra:
        summary = f"Right: {_identified_text(expected)}, and no other latent."
    else:
        parts = []
        if missed:
            too = " too" if chosen & expected else ""
            parts.append(_say(latent_list(missed), len(missed), "is identified", "are identified") + too)
        if extra:
            parts.append(_say(latent_list(extra), len(extra), "is not", "are not") + ("" if missed else " identified"))
        summary = "Not quite: " + "; ".join(parts) + "."
    if len(expected) == 1:
        text = f"The only identified latent is z{min(expected) + 1}."
    else:
        text = f"The identified latents are {latent_list(expected)}." if expected else "No latent is identified."
    return Grade(not missed and not extra, summary, identifiability.latent_reasons(ex.truth.ga, ex.truth.gz), text)


# ---------------------------------------------------------------- twins


def _build_twins(rng: np.random.Generator, seed: int) -> Exercise | None:
    # Blow up a smaller graph: latents sharing a base latent get the same parents and children, so they are twins.
    dz = int(rng.integers(LATENTS[0], LATENTS[1] + 1))
    k = int(rng.integers(2, dz))  # distinct base latents: fewer than dz, so at least one pair
    base = _random_truth(rng, dz=k)
    groups = np.concatenate([np.arange(k), rng.integers(0, k, dz - k)])
    rng.shuffle(groups)
    truth = GraphSpec(
        ga=None if base.ga is None else base.ga[groups],
        gz=None if base.gz is None else base.gz[np.ix_(groups, groups)],
    )
    classes = identifiability.twin_classes(identifiability.consistency_pattern(truth.ga, truth.gz))
    if len(classes) < 2 or max(len(c) for c in classes) < 2:  # non-trivial: some twins, not all one class
        return None
    labels = [0] * dz
    for n, cls in enumerate(classes):
        for i in cls:
            labels[i] = n
    question = (
        f"{_shape_text(truth)} Mark the twin classes: give twins the same label, and each latent without a twin "
        "a label of its own."
    )
    return Exercise("twins", seed, truth, question, expected=tuple(labels))


def _classes(labels: Sequence[Hashable]) -> list[list[int]]:
    """Latents grouped by label, in order of first member."""
    groups: dict[Hashable, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    return list(groups.values())


def _twins_text(classes: list[list[int]]) -> str:
    pieces = [f"{{{latent_list(c)}}} are twins" for c in classes if len(c) > 1]
    singles = [c[0] for c in classes if len(c) == 1]
    if singles:
        pieces.append(_say(latent_list(singles), len(singles), "has no twin", "have no twin"))
    return "; ".join(pieces)


def _grade_twins(ex: Exercise, answer: object) -> Grade:
    if isinstance(answer, np.ndarray) and answer.ndim == 1:
        answer = answer.tolist()
    if not isinstance(answer, (list, tuple)):
        raise ValueError(f"answer must be a list with one class label per latent, got {type(answer).__name__}")
    dz = ex.truth.dz
    if len(answer) != dz:
        raise ValueError(f"answer must give one class label per latent ({dz}), got {len(answer)}")
    if not all(isinstance(a, Hashable) for a in answer):
        raise ValueError("every class label must be hashable (a number or a string, say)")
    truth_classes = _classes(ex.expected)
    cls_of = {i: n for n, c in enumerate(truth_classes) for i in c}
    chosen = _classes(answer)
    problems = []
    for c in truth_classes:  # twins the student split
        if len(c) > 1 and len({answer[i] for i in c}) > 1:
            problems.append(_join_and([f"z{i + 1}" for i in c]) + " are twins")
    for c in chosen:  # a student class that mixes non-twins
        pieces = _classes([cls_of[i] for i in c])
        if len(pieces) > 1:
            first = [c[i] for i in pieces[0]]
            for piece in pieces[1:]:
                members = [c[i] for i in piece]
                twin = "a twin" if len(members) == 1 else "twins"
                problems.append(
                    f"{_say(latent_list(members), len(members), 'is not', 'are not')} {twin} of "
                    + _join_or([f"z{i + 1}" for i in first])
                )
    text = _twins_text(truth_classes)
    summary = f"Right: {text}." if not problems else "Not quite: " + "; ".join(problems) + "."
    reasons = identifiability.latent_reasons(ex.truth.ga, ex.truth.gz)
    return Grade(not problems, summary, reasons, text + ".")


def _join_and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# ---------------------------------------------------------------- break

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


def _build_break(rng: np.random.Generator, seed: int) -> Exercise | None:
    truth = _random_truth(rng)
    codes = _absent_edges(truth)
    after = [set(identified(add_edge(truth, code))) for code in codes]
    targets = [k for k in identified(truth) if 0 < sum(k not in ids for ids in after) < len(codes)]
    if not targets:  # non-trivial: the target has at least one right and one wrong edge
        return None
    k = targets[int(rng.integers(len(targets)))]
    question = f"{_shape_text(truth)} It identifies z{k + 1}. Add one edge so that z{k + 1} is no longer identified."
    right = next(n for n, ids in enumerate(after) if k not in ids)
    return Exercise("break", seed, truth, question, k, codes, [edge_label(c) for c in codes], right)


def _grade_break(ex: Exercise, answer: object) -> Grade:
    n = _index(answer, len(ex.options), "option index")
    k = ex.target
    new = add_edge(ex.truth, ex.options[n])
    c = identifiability.consistency_pattern(new.ga, new.gz)
    label = ex.option_labels[n]
    works = [ex.option_labels[m] for m, code in enumerate(ex.options) if k not in identified(add_edge(ex.truth, code))]
    mixers = [int(j) for j in np.flatnonzero(c[k]) if j != k]
    if mixers:
        who = latent_list(mixers)
        first = (
            f"After adding {label}, z{k + 1} is no longer identified: {_say(who, len(mixers), 'now has', 'now have')} "
            f"every parent and child of z{k + 1}, so z{k + 1} may mix with {latent_list(mixers, HAT)}."
        )
        summary = f"Right: after adding {label}, z{k + 1} is no longer identified."
    else:
        first = f"After adding {label}, z{k + 1} is still identified: no other latent has every parent and child of it."
        summary = f"Not quite: after adding {label}, z{k + 1} is still identified; {works[0]} would do it, for example."
    reasons = [first, *identifiability.latent_reasons(new.ga, new.gz)]
    expected_text = f"Any of {_join_or(works)} makes z{k + 1} no longer identified."
    if len(works) == 1:
        expected_text = f"Only {works[0]} makes z{k + 1} no longer identified."
    return Grade(bool(mixers), summary, reasons, expected_text)


# ---------------------------------------------------------------- consistent
# Distractors: each takes the truth and returns modified graphs (or None when it does not apply). The builder keeps
# only those that no renumbering of the latents turns into the truth, then renumbers their latents at random too.


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


def _build_consistent(rng: np.random.Generator, seed: int) -> Exercise | None:
    truth = _random_truth(rng)
    perms = list(permutations(range(truth.dz)))
    visible = [p for p in perms if permute(truth, p) != truth]  # renumberings that change how the graph looks
    if not visible:
        return None
    right = permute(truth, _pick(rng, visible))
    n_wrong = int(rng.integers(2, 4))
    seen, wrong = {_canonical(truth)}, []
    for n in rng.permutation(len(_DISTRACTORS)):
        g = _DISTRACTORS[n](rng, truth)
        if g is None or (canon := _canonical(g)) in seen:
            continue  # not applicable, consistent after all, or the same as an earlier distractor
        seen.add(canon)
        wrong.append(permute(g, _pick(rng, perms)))
        if len(wrong) == n_wrong:
            break
    if len(wrong) < n_wrong or all(g.n_edges != truth.n_edges for g in wrong):
        return None  # non-trivial: counting edges alone must not find the answer
    order = rng.permutation(n_wrong + 1)
    options = [([right, *wrong])[i] for i in order]
    labels = [chr(ord("A") + i) for i in range(len(options))]
    question = (
        f"{_shape_text(truth)} Which learned graph, {labels[0]}–{labels[-1]}, is consistent with it, as a sparsest "
        "exact fit would be? The learned latents may come out in any order; the actions keep their names."
    )
    return Exercise("consistent", seed, truth, question, None, options, labels, int(np.flatnonzero(order == 0)[0]))


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


def _grade_consistent(ex: Exercise, answer: object) -> Grade:
    n = _index(answer, len(ex.options), "option index")
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


# ---------------------------------------------------------------- answers and tables


def _index(value: object, n: int, what: str) -> int:
    """value as an int in range(n), or a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be a whole number from 0 to {n - 1}, got {value!r}")
    if not 0 <= value < n:
        raise ValueError(f"{what} {value} is out of range: choose from 0 to {n - 1}")
    return int(value)


_BUILDERS: dict[str, Callable[[np.random.Generator, int], Exercise | None]] = {
    "identified": _build_identified,
    "twins": _build_twins,
    "break": _build_break,
    "consistent": _build_consistent,
}
_GRADERS: dict[str, Callable[[Exercise, object], Grade]] = {
    "identified": _grade_identified,
    "twins": _grade_twins,
    "break": _grade_break,
    "consistent": _grade_consistent,
}
