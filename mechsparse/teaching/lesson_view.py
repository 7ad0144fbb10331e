"""What the Lessons page shows, decided without Streamlit: which graph a chapter's figure opens with, the texts
built from recordings and exercises, the links a teacher hands out. The page keeps only widgets and layout.

Texts that carry our own data into Markdown take ``escape``, the page's Markdown escaper, so the library never
needs to know how Streamlit renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mechsparse.teaching.lesson_figures import StrengthPoint
from mechsparse.teaching.lessons import Chapter, Recipe
from mechsparse.teaching.recordings import Recording
from mechsparse.theory import graphs, identifiability

EDITED_GRAPH = "(edited graph)"  # the graph picker's entry for a graph that is no preset
SCORES = (("mcc", "MCC"), ("r_con", "R_con"))  # a recording's final scores, printed with 3 decimals
DISTANCES = (("shd_a", "SHD Ga"), ("shd_z", "SHD Gz"))  # and its structural distances, printed as they are
CAPTIONS = {  # under a chapter's figure: how to read it
    "ambiguity": "Rows: true latents; columns: the learned latents in the model's own order; |ρ| is the rank "
    "correlation. Identified: each row has one panel with a clean curve, whatever its column or shape. At 90° the "
    "rotation is a swap (a permutation with a sign): identified again.",
    "influence": "A 3-latent, 3-action cyclic graph (the shape of action-nondiag), each action swept over [-2, 2] "
    "with the others at 0, through the data generator's own mechanisms. Top: sinusoids, whose slope changes with "
    "the action; bottom: linear mechanisms, whose slope never changes.",
    "twins": "teach-twins: a1 drives z1 and z2, a2 drives z3 and z4. The learned latents are the true ones with the "
    "chosen pair rotated; R_con regresses each z_i on the learned latents C allows.",
}
NOT_RECORDED = "This chapter's runs have not been recorded yet: run `python -m mechsparse record-lessons`."

# ---------------------------------------------------------------- the chapter's graph


@dataclass
class FigureGraphs:
    """One session's graphs of the chapters' figures, and a version that bumps on every change made outside the
    matrix editors (a preset picked, a graph switched on or off), so the editors restart from the new graph."""

    shown: dict[int, graphs.GraphSpec] = field(default_factory=dict)  # chapter number -> the graph its figure shows
    version: int = 0

    def graph_for(self, ch: Chapter, link: str | None) -> tuple[graphs.GraphSpec, str | None]:
        """The graph the chapter's figure shows: this session's choice, else the link's ?g=, else the chapter's first
        preset; and, on the chapter's first visit, the one-line reason a link's graph was refused."""
        if ch.number in self.shown:
            return self.shown[ch.number], None
        spec, error = _link_graph(ch, link)
        self.shown[ch.number] = spec
        return spec, error

    def put(self, ch: Chapter, spec: graphs.GraphSpec) -> None:
        """Show another graph, chosen outside the editors: they restart from it."""
        self.shown[ch.number] = spec
        self.version += 1

    def edit(self, ch: Chapter, spec: graphs.GraphSpec) -> None:
        """Show the graph the matrix editors made: no version bump, so they keep their own state."""
        self.shown[ch.number] = spec


def _link_graph(ch: Chapter, link: str | None) -> tuple[graphs.GraphSpec, str | None]:
    """The link's graph when it reads, else the chapter's first preset (with the reason the link was refused)."""
    spec = graphs.preset(ch.graphs[0])
    if link:
        try:
            return graphs.decode(link), None
        except ValueError as exc:
            return spec, f"Cannot open the graph in this link ({exc}); showing {ch.graphs[0]}."
    return spec, None


def preset_choices(ch: Chapter, spec: graphs.GraphSpec) -> tuple[list[str], int]:
    """The graph picker's entries (the chapter's presets, plus EDITED_GRAPH when the graph is none of them) and the
    index of the one shown."""
    names = list(ch.graphs)
    shown = next((n for n in names if graphs.preset(n) == spec), None)
    options = names if shown else [*names, EDITED_GRAPH]
    return options, options.index(shown or EDITED_GRAPH)


def preset_label(name: str) -> str:
    """'teach-nested: <its description>'; a name that is no preset as it is."""
    return name if name not in graphs.PRESETS else f"{name}: {graphs.PRESETS[name]}"


def picked_preset(choice: str, spec: graphs.GraphSpec) -> graphs.GraphSpec | None:
    """The preset the picker chose when it is not the graph shown already, else None (nothing to change)."""
    if choice in graphs.PRESETS and graphs.preset(choice) != spec:
        return graphs.preset(choice)
    return None


def graphs_in_use(ch: Chapter, spec: graphs.GraphSpec, use_a: bool, use_z: bool) -> graphs.GraphSpec:
    """The graph with Ga and Gz switched on or off; one switched back on returns as the chapter's first preset has
    it. At least one of use_a, use_z must be true."""
    full = graphs.preset(ch.graphs[0])
    return graphs.GraphSpec(
        ga=(spec.ga if spec.ga is not None else full.ga) if use_a else None,
        gz=(spec.gz if spec.gz is not None else full.gz) if use_z else None,
    )


def heatmap_height(spec: graphs.GraphSpec, low: int, high: int) -> int:
    """Pixel height of a graph's heatmap: grows with its larger side, kept within [low, high]."""
    return int(min(max(120 + 30 * max(spec.dz, spec.da), low), high))


def verdict_headline(report: identifiability.TheoryReport) -> str:
    """The theory's verdict as a sentence: capitalised."""
    return report.verdict[0].upper() + report.verdict[1:]


def identified_under_mixing(mix_degrees: float) -> str:
    """How many latents the ambiguity figure's example keeps identified: mixing z1 and z2 loses both, except at 0°
    and at 90° (a swap)."""
    return "3 / 3" if mix_degrees in (0, 90) else "1 / 3 (z3)"


# ---------------------------------------------------------------- recordings


def strength_points(recs: Sequence[Recording | None]) -> tuple[list[StrengthPoint], int | None]:
    """The strength figure's points, one per recording (None: not recorded, skipped), and the true edge count
    (None when no recording knows its true graph). A run without sparsity has no bound."""
    points, true_edges = [], None
    for rec in recs:
        if rec is None:
            continue
        bound = rec.summary.get("target_bound")
        sparse = rec.recipe.options.get("sparsity", "constraint") != "none"
        shd = sum(v for v in (rec.summary.get("shd_a"), rec.summary.get("shd_z")) if v is not None)
        points.append(StrengthPoint(rec.recipe.name, float(bound) if sparse and bound else None, rec.final_score, shd))
        if rec.truth is not None:
            true_edges = rec.truth.n_edges
    return points, true_edges


def replay_metric(rec: Recording) -> str:
    """The score a replay draws: R_con when the true graph identifies only some latents, else MCC."""
    partial = rec.truth is not None and not identifiability.is_complete(
        identifiability.consistency_pattern(rec.truth.ga, rec.truth.gz)
    )
    return "r_con" if partial else "mcc"


def replay_headline(rec: Recording, *, with_title: bool, escape: Callable[[str], str]) -> str:
    """'**<title>**. At the end: MCC 0.970 · R_con 0.970 · SHD Ga 0' (the title in bold when asked)."""
    s = rec.summary
    scores = [f"{label} {s[k]:.3f}" for k, label in SCORES if s.get(k) is not None]
    scores += [f"{label} {s[k]}" for k, label in DISTANCES if s.get(k) is not None]
    title = f"**{escape(rec.recipe.title)}**. " if with_title else ""
    return title + "At the end: " + " · ".join(scores)


def replay_caption(rec: Recording, *, escape: Callable[[str], str]) -> str:
    """How to play the replay, and what it shows."""
    return (
        f"Press ▶ to replay, or drag the slider: {len(rec.timeline)} recorded moments of "
        f"{rec.summary.get('steps') or '?'} steps ({escape(rec.built)}). Learned graphs are matched to the true "
        "latents; outlined cells are the true edges."
    )


def train_seed(recipe: Recipe) -> int:
    """The seed 'train it yourself' offers first: the one after the recording's, so the student sees another run."""
    return recipe.seed + 1


def train_caption(recipe: Recipe) -> str:
    """What 'train it yourself' starts."""
    steps = recipe.options.get("max_steps")
    return (
        f"Train it yourself: the same data and settings ({steps:,} steps), live on the Train page, with a seed of "
        f"your choice (seed {recipe.seed} is the recording)."
    )


# ---------------------------------------------------------------- exercises and links


def class_labels(n: int) -> list[str]:
    """Twin-class labels a student picks from: 'A', 'B', ... one per latent."""
    return [chr(ord("A") + k) for k in range(n)]


def candidate_title(label: str, kind: str) -> str:
    """A learned candidate's heatmap title: 'B: Ĝa' or 'B: Ĝz'."""
    return f"{label}: {'Ĝa' if kind == 'a' else 'Ĝz'}"


def exercise_link(chapter: int, kind: str, seed: int) -> str:
    """The link that opens this exercise for everyone: same chapter, same graph."""
    return f"?chapter={chapter}&exercise={kind}&seed={seed}"


def hand_out_text(chapter: int, kind: str, seed: int) -> str:
    """The line under an exercise that offers its link."""
    link = exercise_link(chapter, kind, seed)
    return f"Hand out this exercise: [link to exercise {seed}]({link}) (the same graph for everyone)."


def chapter_label(ch: Chapter) -> str:
    """'3. Time sparsity': a chapter in the picker and on the previous/next buttons."""
    return f"{ch.number}. {ch.title}"


def class_mode_caption(chapter: int) -> str:
    """The line at a chapter's end that offers it to a room."""
    return (
        f"Show this chapter to a room: [class mode](?chapter={chapter}&mode=class) (no controls, large type; add "
        "&embed=true to hide Streamlit's toolbar too). Chapters are Markdown files in mechsparse/teaching/chapters/."
    )
