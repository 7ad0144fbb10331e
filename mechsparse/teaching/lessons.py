"""Lessons as data: chapters (Markdown with a TOML header) and the small recorded runs they replay.

A chapter is one file ``NN-name.md`` in ``mechsparse/teaching/chapters/`` (or in the folder
``MECHSPARSE_CHAPTERS_DIR`` names, whose chapters come after the built-in ones): a ``+++`` TOML header saying which
interactive figure it shows, which presets the figure offers, which recorded runs it replays and which exercise it
asks, then the text in Markdown with $math$. A teacher adds a chapter by adding a file; no page code changes.

A recording is a recipe (preset, variant, training options: everything that makes a run) plus what training it
produced: ``mechsparse/teaching/recorded/<name>/`` holds its timeline.npz and record.json. ``python -m mechsparse
record-lessons`` rebuilds them all, so they never go stale; "train it yourself" starts the same recipe live.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mechsparse.data import synthetic
from mechsparse.data.dataset import Dataset
from mechsparse.learning.config import TrainConfig, default_config, default_samples
from mechsparse.theory import graphs

CHAPTERS_DIR = Path(__file__).with_name("chapters")
RECORDED_DIR = Path(__file__).with_name("recorded")
CHAPTERS_ENV = "MECHSPARSE_CHAPTERS_DIR"

FIGURES: dict[str, str] = {
    "ambiguity": "true against learned latents under a permutation, element-wise maps and a mixing rotation",
    "graph": "a graph (preset or edited) with its consistency pattern C and the reasons, latent by latent",
    "influence": "a latent's mechanism and its slope against each action, sinusoidal against linear",
    "parts": "the patterns C is the AND of (action parents, temporal parents, temporal children), side by side",
    "twins": "MCC and R_con while two latents of teach-twins are rotated into each other",
    "strength": "final MCC and SHD of the recorded runs against their constraint bound",
}
GRAPH_KINDS = ("a", "z", "both")
EXERCISE_KINDS = ("identified", "twins", "break", "consistent")  # exercises.registry.KINDS (tested equal)


# ---------------------------------------------------------------- recordings: recipes


@dataclass(frozen=True)
class Recipe:
    """Everything that makes one recorded run: the data (preset, variant, size, data seed) and the training options
    (TrainConfig values on top of the preset's tuned defaults). A step budget, not seconds: the same recipe gives
    the same run on any machine."""

    name: str
    title: str
    preset: str
    variant: str = "standard"
    n: int | None = None
    data_seed: int = 0
    seed: int = 0  # the recording's training seed ("train it yourself" lets the student pick another)
    options: dict = field(default_factory=dict)

    @property
    def data_name(self) -> str:
        return self.preset if self.variant == "standard" else f"{self.preset}:{self.variant}"


def _recipe(name: str, title: str, preset: str, steps: int, every: int, **kw) -> Recipe:
    options = {"max_steps": steps, "eval_every": every, **kw.pop("options", {})}
    return Recipe(name, title, preset, options=options, **kw)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        _recipe("action-nondiag", "action-nondiag, constraint at the true edge count (20)", "action-nondiag", 6000, 50),
        _recipe(
            "action-nondiag-unregularised",
            "action-nondiag, no sparsity (every edge kept)",
            "action-nondiag",
            6000,
            50,
            options={"sparsity": "none"},
        ),
        _recipe(
            "action-nondiag-no-suff-var",
            "action-nondiag with linear mechanisms (no sufficient variability), constraint at 20",
            "action-nondiag",
            6000,
            50,
            variant="no_suff_var",
        ),
        _recipe(
            "action-nondiag-bound-5",
            "action-nondiag, bound 5: far below the 20 true edges (too strong)",
            "action-nondiag",
            6000,
            50,
            options={"bound": 5.0},
        ),
        _recipe(
            "action-nondiag-bound-75",
            "action-nondiag, bound 75: far above the 20 true edges (too weak)",
            "action-nondiag",
            6000,
            50,
            options={"bound": 75.0},
        ),
        _recipe(
            "teach-time-chain",
            "teach-time-chain, constraint at the true edge count (5); data seed 1, training seed 1: one of the 2 runs "
            "in 8 that learned the exact graph (the text above says how the others ended)",
            "teach-time-chain",
            10000,
            100,
            n=100_000,
            data_seed=1,
            seed=1,
        ),
        _recipe(
            "time-diag",
            "time-diag, each latent depends on its own past only, constraint at the true edge count (10)",
            "time-diag",
            40000,
            400,
        ),
        _recipe(
            "time-block-nondiag",
            "time-block-nondiag, constraint at the true edge count: pairs of twins",
            "time-block-nondiag",
            40000,
            400,
        ),
        _recipe(
            "teach-together",
            "teach-together, actions and time both sparse (identified only together)",
            "teach-together",
            6000,
            50,
        ),
        _recipe("teach-combined", "teach-combined, actions and time both sparse", "teach-combined", 6000, 50),
    )
}


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recorded run {name!r}; choose one of: {', '.join(RECIPES)}")
    return RECIPES[name]


def recipe_inputs(r: Recipe, *, seed: int | None = None) -> tuple[Dataset, TrainConfig]:
    """The dataset and config of a recipe: what the recording script trained and what "train it yourself" starts
    (``seed``, default the recipe's, changes the model's initialisation only; the data stay the recipe's)."""
    spec = graphs.preset(r.preset)
    n = r.n or default_samples(r.preset)
    ds = synthetic.generate(spec, n, seed=r.data_seed, name=r.data_name, variant=r.variant)
    return ds, default_config(ds, **r.options, seed=r.seed if seed is None else seed)


# ---------------------------------------------------------------- chapters


@dataclass(frozen=True)
class Chapter:
    """One lesson: its number (1-based position), title, one-line summary, figure, presets, replays, exercise
    and Markdown body."""

    number: int
    slug: str
    title: str
    summary: str
    figure: str
    body: str
    graph_kind: str = "a"
    graphs: tuple[str, ...] = ()
    replays: tuple[str, ...] = ()
    exercise: str | None = None
    source: str = ""


_KEYS = {"title", "summary", "figure", "graph_kind", "graphs", "replays", "exercise"}


def _split(text: str, where: str) -> tuple[dict, str]:
    """The TOML header between the first two '+++' lines, and the Markdown after it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise ValueError(f"{where}: a chapter starts with a '+++' line, then its TOML header, then '+++'")
    try:
        end = next(k for k in range(1, len(lines)) if lines[k].strip() == "+++")
    except StopIteration:
        raise ValueError(f"{where}: the TOML header is not closed by a '+++' line") from None
    try:
        header = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: the header is not valid TOML ({exc})") from None
    return header, "\n".join(lines[end + 1 :]).strip()


def _str_list(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key} must be a list of names")
    return tuple(value)


def parse_chapter(text: str, *, number: int, slug: str, where: str = "chapter") -> Chapter:
    """A Chapter from a file's text; every mistake is a one-line ValueError naming the file and the key."""
    header, body = _split(text, where)
    unknown = sorted(set(header) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; a chapter has {', '.join(sorted(_KEYS))}")
    for key in ("title", "summary", "figure"):
        if not isinstance(header.get(key), str) or not header[key].strip():
            raise ValueError(f"{where}: the header needs a {key} (text)")
    figure = header["figure"]
    if figure not in FIGURES:
        raise ValueError(f"{where}: unknown figure {figure!r}; choose one of: {', '.join(FIGURES)}")
    kind = header.get("graph_kind", "a")
    if kind not in GRAPH_KINDS:
        raise ValueError(f"{where}: graph_kind must be one of {', '.join(GRAPH_KINDS)}, got {kind!r}")
    presets = _str_list(header.get("graphs", []), "graphs", where)
    for name in presets:
        if name not in graphs.PRESETS:
            raise ValueError(f"{where}: unknown preset {name!r} in graphs")
    if figure in ("graph", "parts") and not presets:
        raise ValueError(f"{where}: the {figure} figure needs at least one preset in graphs")
    replays = _str_list(header.get("replays", []), "replays", where)
    for name in replays:
        if name not in RECIPES:
            raise ValueError(f"{where}: unknown recorded run {name!r} in replays; choose from {', '.join(RECIPES)}")
    exercise = header.get("exercise")
    if exercise is not None and exercise not in EXERCISE_KINDS:
        raise ValueError(f"{where}: unknown exercise {exercise!r}; choose one of: {', '.join(EXERCISE_KINDS)}")
    if not body:
        raise ValueError(f"{where}: the chapter has no text after its header")
    return Chapter(
        number=number,
        slug=slug,
        title=header["title"].strip(),
        summary=header["summary"].strip(),
        figure=figure,
        body=body,
        graph_kind=kind,
        graphs=presets,
        replays=replays,
        exercise=exercise,
        source=where,
    )


def _chapter_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md") if p.is_file())


def load_chapters(extra: Path | str | None = None) -> list[Chapter]:
    """The built-in chapters, then those of ``extra`` (default: $MECHSPARSE_CHAPTERS_DIR), numbered from 1 in
    file-name order. A bad chapter file is a one-line ValueError naming it."""
    extra = extra if extra is not None else os.environ.get(CHAPTERS_ENV) or None
    files = _chapter_files(CHAPTERS_DIR)
    if extra is not None:
        folder = Path(extra)
        if not folder.is_dir():
            raise ValueError(f"{CHAPTERS_ENV} names {str(folder)!r}, which is not a folder")
        files += _chapter_files(folder)
    chapters = []
    for k, path in enumerate(files, start=1):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
        slug = path.stem.split("-", 1)[-1] if path.stem[:2].isdigit() else path.stem
        chapters.append(parse_chapter(text, number=k, slug=slug, where=path.name))
    return chapters


def find_chapter(chapters: list[Chapter], key: str | int | None) -> Chapter:
    """The chapter a link names, by number (1-based) or slug; the first one for None; ValueError otherwise."""
    if not chapters:
        raise ValueError("there are no chapters")
    if key is None or key == "":
        return chapters[0]
    text = str(key).strip()
    if text.isdigit():
        k = int(text)
        if 1 <= k <= len(chapters):
            return chapters[k - 1]
        raise ValueError(f"there is no chapter {k}; chapters run from 1 to {len(chapters)}")
    for ch in chapters:
        if ch.slug == text:
            return ch
    raise ValueError(f"there is no chapter named {text!r}")
