"""One session's exercises on the Lessons page: which seed each chapter shows, the last grade of each exercise,
and the score. The rule a student sees under 'Exercises right at the first try': each exercise counts once, by its
first answer; later answers are graded and explained, but never change the score."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from mechsparse.teaching.exercises import registry
from mechsparse.teaching.exercises.common import Exercise, Grade

ExerciseKey = tuple[str, int]  # (kind, seed): names one exercise


@dataclass
class Scorecard:
    """Mutable, one per browser session (the page keeps it in its session state)."""

    seeds: dict[int, int] = field(default_factory=dict)  # chapter number -> the exercise seed it shows
    graded: dict[ExerciseKey, Grade] = field(default_factory=dict)  # the last grade shown for each exercise
    first_right: dict[ExerciseKey, bool] = field(default_factory=dict)  # was its first answer right?

    def seed_for(
        self, chapter: int, kind: str | None, link_kind: str | None, link_seed: str | None
    ) -> tuple[int, str | None]:
        """The seed of the exercise a chapter asks (``kind``): chosen on the chapter's first visit this session, from
        the link when it names this kind of exercise, else at random; kept from then on. Also the one-line reason a
        link's seed was refused (only on that first visit)."""
        if chapter in self.seeds:
            return self.seeds[chapter], None
        seed, error = seed_from_link(kind, link_kind, link_seed)
        return self.choose_seed(chapter, seed), error

    def choose_seed(self, chapter: int, seed: int | None) -> int:
        """The chapter's seed from now on: ``seed`` (a link's), or a fresh one when None."""
        self.seeds[chapter] = registry.random_seed() if seed is None else seed
        return self.seeds[chapter]

    def check(self, ex: Exercise, answer: object) -> Grade:
        """Grade an answer and keep it: the grade to show, and the score when it is this exercise's first answer.
        A malformed answer is a one-line ValueError and changes nothing."""
        result = registry.grade(ex, answer)
        key = (ex.kind, ex.seed)
        self.graded[key] = result
        self.first_right.setdefault(key, result.correct)
        return result

    def last_grade(self, ex: Exercise) -> Grade | None:
        """The grade of this exercise's last answer, None before the first."""
        return self.graded.get((ex.kind, ex.seed))

    def score_text(self) -> str:
        """'2 / 3': exercises right at the first try, out of those answered; 'none yet' before any answer."""
        scores = self.first_right
        return f"{sum(scores.values())} / {len(scores)}" if scores else "none yet"


def seed_from_link(kind: str | None, link_kind: str | None, link_seed: str | None) -> tuple[int | None, str | None]:
    """The seed a link (?exercise=KIND&seed=S) gives a chapter asking ``kind``, None when it names none for it; and
    the one-line reason a link's seed was refused (None when it was not)."""
    seed = None
    if link_kind == kind:
        with contextlib.suppress(TypeError, ValueError):
            seed = int(link_seed)
        if seed is not None and not 0 <= seed <= registry.MAX_SEED:
            return None, f"The link's exercise seed must be between 0 and {registry.MAX_SEED}; here is a new one."
    return seed, None
