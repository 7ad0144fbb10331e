"""What every exercise kind shares: the Exercise and Grade types, the graph helpers and the text helpers.

Latents and actions are 1-based in text (z1, a1), 0-based in arrays and answers. Every expected answer is recomputed
by mechsparse.theory.identifiability, so an exercise can never disagree with the Theory page.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import permutations

import numpy as np

from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec, random_graph
from mechsparse.theory.identifiability import latent_list

LATENTS = (3, 5)  # inclusive range of dz
ACTIONS = (2, 4)  # inclusive range of da, when the graph has actions
_MODES = ("action", "temporal", "both")


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


def random_truth(rng: np.random.Generator, dz: int | None = None) -> GraphSpec:
    """3-5 latents, 2-4 actions; action-only, temporal-only (diagonal kept) or both, all chosen by rng."""
    dz = int(rng.integers(LATENTS[0], LATENTS[1] + 1)) if dz is None else dz
    mode = _MODES[int(rng.integers(len(_MODES)))]
    da = int(rng.integers(ACTIONS[0], ACTIONS[1] + 1)) if mode != "temporal" else 0
    density = float(rng.uniform(0.25, 0.65))
    return random_graph(dz, da, density=density, temporal=mode != "action", seed=int(rng.integers(2**63)))


# ---------------------------------------------------------------- text helpers


def shape_text(spec: GraphSpec) -> str:
    """The first sentence of every question: how many latents and actions, and which graphs."""
    latents = f"{spec.dz} latents ({latent_list(range(spec.dz))})"
    actions = f"{spec.da} actions ({latent_list(range(spec.da), 'a')})"
    if spec.gz is None:
        return f"The true graph has {latents} and {actions}, with an action graph only."
    past = "each latent depends on its own past"
    if spec.ga is None:
        return f"The true graph has {latents} and a temporal graph only ({past})."
    return f"The true graph has {latents} and {actions}, with action and temporal graphs ({past})."


def say(names: str, count: int, one: str, many: str) -> str:
    """'z1 is ...' or 'z1, z2 are ...': the verb agrees with how many latents are named."""
    return f"{names} {one if count == 1 else many}"


def join_and(items: list[str]) -> str:
    """'z1', 'z1 and z2', 'z1, z2 and z3'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def join_or(items: list[str]) -> str:
    """'z1', 'z1 or z2', 'z1, z2 or z3'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def answer_index(value: object, n: int, what: str) -> int:
    """value as an int in range(n), or a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be a whole number from 0 to {n - 1}, got {value!r}")
    if not 0 <= value < n:
        raise ValueError(f"{what} {value} is out of range: choose from 0 to {n - 1}")
    return int(value)
