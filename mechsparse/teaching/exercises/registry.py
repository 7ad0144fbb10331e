"""The exercises' public entry point: the kinds, and make/grade dispatching to each kind's builder and grader.

Why a seed: a link holding kind and seed gives a whole class the same exercise, and nothing else needs storing.
Why the theory engine grades: each kind recomputes its expected answer with mechsparse.theory.identifiability, so
an exercise can never disagree with the Theory page.
"""

from __future__ import annotations

import numbers
import secrets
from collections.abc import Callable

import numpy as np

from mechsparse.teaching.exercises import breaking, consistent, identified, twins
from mechsparse.teaching.exercises.common import Exercise, Grade

KINDS: dict[str, str] = {
    "identified": "Which latents does this graph identify?",
    "twins": "Mark the twin classes",
    "break": "Add one edge so that a latent is no longer identified",
    "consistent": "Which learned graph is consistent with the truth?",
}
"""Exercise kind -> one-line title. The names are a contract: links hold them (and their order seeds each kind)."""

MAX_SEED = 2**31 - 1
_MAX_TRIES = 10_000  # rejection sampling; the builders succeed within a few tries (tests/test_exercises.py)

_BUILDERS: dict[str, Callable[[np.random.Generator, int], Exercise | None]] = {
    "identified": identified.build,
    "twins": twins.build,
    "break": breaking.build,
    "consistent": consistent.build,
}
_GRADERS: dict[str, Callable[[Exercise, object], Grade]] = {
    "identified": identified.grade,
    "twins": twins.grade,
    "break": breaking.grade,
    "consistent": consistent.grade,
}


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
