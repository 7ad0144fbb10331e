"""The 'twins' exercise: mark the twin classes. The answer is one class label per latent; only the partition counts."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from mechsparse.teaching.exercises.common import (
    LATENTS,
    Exercise,
    Grade,
    join_and,
    join_or,
    random_truth,
    say,
    shape_text,
)
from mechsparse.theory import identifiability
from mechsparse.theory.graphs import GraphSpec
from mechsparse.theory.identifiability import latent_list


def build(rng: np.random.Generator, seed: int) -> Exercise | None:
    """A blown-up smaller graph: latents sharing a base latent get the same parents and children, so they are
    twins. None when this draw has no twins, or only one class."""
    dz = int(rng.integers(LATENTS[0], LATENTS[1] + 1))
    k = int(rng.integers(2, dz))  # distinct base latents: fewer than dz, so at least one pair
    base = random_truth(rng, dz=k)
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
        f"{shape_text(truth)} Mark the twin classes: give twins the same label, and each latent without a twin "
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
        pieces.append(say(latent_list(singles), len(singles), "has no twin", "have no twin"))
    return "; ".join(pieces)


def _labels(answer: object, dz: int) -> list | tuple:
    """The answer as a list or tuple of dz hashable labels, or a one-line ValueError."""
    if isinstance(answer, np.ndarray) and answer.ndim == 1:
        answer = answer.tolist()
    if not isinstance(answer, (list, tuple)):
        raise ValueError(f"answer must be a list with one class label per latent, got {type(answer).__name__}")
    if len(answer) != dz:
        raise ValueError(f"answer must give one class label per latent ({dz}), got {len(answer)}")
    if not all(isinstance(a, Hashable) for a in answer):
        raise ValueError("every class label must be hashable (a number or a string, say)")
    return answer


def _problems(truth_classes: list[list[int]], answer: Sequence[Hashable]) -> list[str]:
    """Twins the answer split apart, then answer classes that mix latents which are not twins."""
    cls_of = {i: n for n, c in enumerate(truth_classes) for i in c}
    problems = []
    for c in truth_classes:  # twins the student split
        if len(c) > 1 and len({answer[i] for i in c}) > 1:
            problems.append(join_and([f"z{i + 1}" for i in c]) + " are twins")
    for c in _classes(answer):  # a student class that mixes non-twins
        pieces = _classes([cls_of[i] for i in c])
        if len(pieces) > 1:
            first = [c[i] for i in pieces[0]]
            for piece in pieces[1:]:
                members = [c[i] for i in piece]
                twin = "a twin" if len(members) == 1 else "twins"
                problems.append(
                    f"{say(latent_list(members), len(members), 'is not', 'are not')} {twin} of "
                    + join_or([f"z{i + 1}" for i in first])
                )
    return problems


def grade(ex: Exercise, answer: object) -> Grade:
    """Right when the answer's classes are the twin classes, whatever the labels are called."""
    answer = _labels(answer, ex.truth.dz)
    truth_classes = _classes(ex.expected)
    problems = _problems(truth_classes, answer)
    text = _twins_text(truth_classes)
    summary = f"Right: {text}." if not problems else "Not quite: " + "; ".join(problems) + "."
    reasons = identifiability.latent_reasons(ex.truth.ga, ex.truth.gz)
    return Grade(not problems, summary, reasons, text + ".")
