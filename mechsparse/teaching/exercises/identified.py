"""The 'identified' exercise: which latents does this graph identify? The answer is a set of latent indices."""

from __future__ import annotations

import numpy as np

from mechsparse.teaching.exercises.common import (
    Exercise,
    Grade,
    answer_index,
    identified,
    random_truth,
    say,
    shape_text,
)
from mechsparse.theory import identifiability
from mechsparse.theory.identifiability import latent_list


def build(rng: np.random.Generator, seed: int) -> Exercise | None:
    """A random graph that identifies some latents but not all; None when this draw is trivial."""
    truth = random_truth(rng)
    ident = identified(truth)
    if not 0 < len(ident) < truth.dz:  # non-trivial: some latents identified, some not
        return None
    question = f"{shape_text(truth)} Which latents does it identify? Select every identified latent."
    return Exercise("identified", seed, truth, question, expected=set(ident))


def _identified_text(ids: set[int]) -> str:
    if not ids:
        return "no latent is identified"
    return say(latent_list(ids), len(ids), "is identified", "are identified")


def _difference_text(missed: list[int], extra: list[int], overlap: bool) -> str:
    """'Not quite: ...' naming the latents missed and those picked wrongly."""
    parts = []
    if missed:
        too = " too" if overlap else ""
        parts.append(say(latent_list(missed), len(missed), "is identified", "are identified") + too)
    if extra:
        parts.append(say(latent_list(extra), len(extra), "is not", "are not") + ("" if missed else " identified"))
    return "Not quite: " + "; ".join(parts) + "."


def grade(ex: Exercise, answer: object) -> Grade:
    """Right when the answer names exactly the identified latents; otherwise says which were missed or extra."""
    if not isinstance(answer, (set, frozenset, list, tuple)):
        raise ValueError(f"answer must be a set of latent indices (0-based ints), got {type(answer).__name__}")
    chosen = {answer_index(a, ex.truth.dz, "latent index") for a in answer}
    expected: set[int] = ex.expected
    missed, extra = sorted(expected - chosen), sorted(chosen - expected)
    if not missed and not extra:
        summary = f"Right: {_identified_text(expected)}, and no other latent."
    else:
        summary = _difference_text(missed, extra, bool(chosen & expected))
    if len(expected) == 1:
        text = f"The only identified latent is z{min(expected) + 1}."
    else:
        text = f"The identified latents are {latent_list(expected)}." if expected else "No latent is identified."
    return Grade(not missed and not extra, summary, identifiability.latent_reasons(ex.truth.ga, ex.truth.gz), text)
