"""What mechanism-sparsity theory guarantees for given graphs: the consistency pattern C and its reading.

Definitions follow docs/theory.md. ``C[i, j] = True`` means the true latent z_i may mix with ẑ_j, the learned latent
matched to z_j: an upper bound (twins may be mixed, they need not be). Everything is vectorised numpy so it can be
recomputed on every click. Latents and actions are named 1-based in text (z1, a1), 0-based in arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def subset_pattern(g: np.ndarray) -> np.ndarray:
    """``P[i, j]`` iff row i of g is a subset of row j (no 1 of row i sits on a 0 of row j)."""
    g = np.asarray(g, dtype=np.int64)
    return (g @ (1 - g).T) == 0


def consistency_pattern(ga: np.ndarray | None = None, gz: np.ndarray | None = None) -> np.ndarray:
    """The consistency pattern C (dz x dz bool): C_a = pattern(Ga); C_z = pattern(Gz) & pattern(Gz.T)."""
    if ga is None and gz is None:
        raise ValueError("consistency_pattern needs Ga, Gz or both")
    dz = (ga if ga is not None else gz).shape[0]
    c = np.ones((dz, dz), dtype=bool)
    if ga is not None:
        c &= subset_pattern(ga)
    if gz is not None:
        gz = np.asarray(gz)
        c &= subset_pattern(gz) & subset_pattern(gz.T)
    return c


def identified_latents(c: np.ndarray) -> list[int]:
    """Indices i whose row of C is the unit vector e_i."""
    return [i for i in range(c.shape[0]) if c[i].sum() == 1 and c[i, i]]


def is_complete(c: np.ndarray) -> bool:
    """Complete disentanglement iff C is the identity."""
    return bool(np.array_equal(c, np.eye(c.shape[0], dtype=bool)))


def twin_classes(c: np.ndarray) -> list[list[int]]:
    """Equivalence classes of C[i, j] & C[j, i], in order of their first member; singletons included."""
    mutual = c & c.T
    seen: set[int] = set()
    classes = []
    for i in range(c.shape[0]):
        if i not in seen:
            members = [int(j) for j in np.flatnonzero(mutual[i])]
            seen.update(members)
            classes.append(members)
    return classes


def criterion_sets(ga: np.ndarray | None = None, gz: np.ndarray | None = None) -> list[set[int]]:
    """The papers' graphical criterion, per latent i: the intersection of (children of i's action parents),
    (children of i's latent parents) and (parents of i's latent children); an empty intersection is all latents.
    Complete disentanglement iff every set is {i}."""
    if ga is None and gz is None:
        raise ValueError("criterion_sets needs Ga, Gz or both")
    dz = (ga if ga is not None else gz).shape[0]
    sets = []
    for i in range(dz):
        keep = np.ones(dz, dtype=bool)
        if ga is not None:
            for ell in np.flatnonzero(ga[i]):
                keep &= ga[:, ell].astype(bool)
        if gz is not None:
            for j in np.flatnonzero(gz[i]):
                keep &= gz[:, j].astype(bool)
            for k in np.flatnonzero(gz[:, i]):
                keep &= gz[k].astype(bool)
        sets.append({int(j) for j in np.flatnonzero(keep)})
    return sets


# ---------------------------------------------------------------- plain words
#
# One vocabulary everywhere (page, CLI, figures): for every off-diagonal C[i, j], z_i "may mix with" ẑ_j, the learned
# latent matched to z_j; a mutual pair or class is "twins". A set with one member is named bare ("a1"), several in
# braces ("{a1, a2}"), and an empty one in words ("no action parent"), never as "{}".

HAT = "ẑ"  # prefix of a learned latent: ẑ2 is the learned latent matched to z2

# (singular, plural) per feature kind: 0 = action parent, 1 = temporal parent, 2 = temporal child
_KINDS = (
    ("action parent", "action parents"),
    ("temporal parent", "temporal parents"),
    ("temporal child", "temporal children"),
)


def latent_list(idx, prefix: str = "z") -> str:
    """'z1, z3, z5–z8' (1-based), runs of three or more shortened to a range so that 20 latents stay readable."""
    runs: list[list[int]] = []
    for k in sorted(int(k) for k in idx):
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{prefix}{run[0] + 1}–{prefix}{run[-1] + 1}")
        else:
            parts.extend(f"{prefix}{k + 1}" for k in run)
    return ", ".join(parts)


def _join(items: list[str], sep: str = ", ") -> str:
    """'x', 'x and y', 'x, y and z' (sep between all but the last two)."""
    return items[0] if len(items) == 1 else sep.join(items[:-1]) + " and " + items[-1]


def _features(i: int, ga: np.ndarray | None, gz: np.ndarray | None) -> list[tuple[int, str, np.ndarray]]:
    """z_i's parents and children in each regularised graph, as (kind, name prefix, members)."""
    out = []
    if ga is not None:
        out.append((0, "a", np.flatnonzero(ga[i])))
    if gz is not None:
        out.append((1, "z", np.flatnonzero(gz[i])))
        out.append((2, "z", np.flatnonzero(gz[:, i])))
    return out


def _feature_text(kind: int, prefix: str, members: np.ndarray) -> str:
    """'action parent a1', 'temporal parents {z1, z2}', or 'no temporal child'."""
    one, many = _KINDS[kind]
    if len(members) == 0:
        return f"no {one}"
    if len(members) == 1:
        return f"{one} {prefix}{members[0] + 1}"
    return f"{many} {{{latent_list(members, prefix)}}}"


def _lacking(kind: int, m: int, ga: np.ndarray | None, gz: np.ndarray | None) -> np.ndarray:
    """Boolean over latents: which ones lack feature m of this kind (so it separates them from a latent that has it)."""
    if kind == 0:
        return ga[:, m] == 0
    if kind == 1:
        return gz[:, m] == 0
    return gz[m, :] == 0


def _pair_reason(
    i: int, others: list[int], ga: np.ndarray | None, gz: np.ndarray | None, *, short: bool = False
) -> str:
    """Why C[i, j] holds for each j in others (z_i may mix with ẑ_j): z_j has every parent and child of z_i, so
    nothing sets z_i apart. ``short`` when z_i's parents and children were just named (after its twins)."""
    has = [_feature_text(*f) for f in _features(i, ga, gz) if len(f[2])]
    if not has:
        return "it has " + _join([_feature_text(*f) for f in _features(i, ga, gz)])
    verb = "has" if len(others) == 1 else "have"
    if short and len(", ".join(has)) > 40:
        return f"{latent_list(others)} {verb} them too"
    return f"{latent_list(others)} also {verb} its {_join(has)}"


def _separation_reason(i: int, ga: np.ndarray | None, gz: np.ndarray | None) -> str:
    """Why z_i is identified: name, for every other latent, one parent or child of z_i that it lacks.

    A greedy cover keeps the sentence short: the feature missing from the most remaining latents comes first.
    """
    dz = (ga if ga is not None else gz).shape[0]
    if dz == 1:
        return "it is the only latent"
    left = np.ones(dz, dtype=bool)
    left[i] = False
    candidates = [(kind, p, m, _lacking(kind, m, ga, gz)) for kind, p, members in _features(i, ga, gz) for m in members]
    clauses: list[str] = []
    last_kind = -1
    while left.any() and candidates:
        kind, prefix, m, lack = max(candidates, key=lambda c: int((c[3] & left).sum()))  # ties: first listed
        got = lack & left
        if not got.any():
            break  # only when z_i is not identified; callers never ask then
        n = int(got.sum())
        everyone = not clauses and n == dz - 1
        who = "every other latent" if everyone else latent_list(np.flatnonzero(got))
        verb = "lacks" if n == 1 or everyone else "lack"
        what = f"{prefix}{m + 1}" + (" (itself)" if kind and m == i else "")
        if kind != last_kind:  # name the kind once per run of clauses of the same kind
            what = f"its {_KINDS[kind][0]} {what}"
        clauses.append(f"{who} {verb} {what}")
        left &= ~got
        last_kind = kind
    return _join(clauses, "; ")


def latent_reasons(ga: np.ndarray | None = None, gz: np.ndarray | None = None) -> list[str]:
    """One plain-words sentence per latent: identified (and which parent or child sets it apart from each other
    latent), or not (its twins, and the learned latents it may mix with, and why)."""
    c = consistency_pattern(ga, gz)
    reasons = []
    for i in range(c.shape[0]):
        others = [int(j) for j in np.flatnonzero(c[i]) if j != i]
        if not others:
            reasons.append(f"z{i + 1} is identified: {_separation_reason(i, ga, gz)}.")
            continue
        twins = [j for j in others if c[j, i]]
        strict = [j for j in others if not c[j, i]]
        clauses = []
        if twins:
            exact = _join([_feature_text(*f) for f in _features(i, ga, gz)])
            clauses.append(
                f"twin of {latent_list(twins)}, as {'both' if len(twins) == 1 else 'all'} have exactly {exact}"
            )
        if strict:
            why = _pair_reason(i, strict, ga, gz, short=bool(twins))
            clauses.append(f"it may mix with {latent_list(strict, HAT)}, as {why}")
        reasons.append(f"z{i + 1} is not identified: " + "; ".join(clauses) + ".")
    return reasons


@dataclass(frozen=True)
class TheoryReport:
    """Everything the Theory page and `theory` command show for one pair of graphs."""

    pattern: np.ndarray
    identified: list[int]
    twins: list[list[int]]
    complete: bool
    verdict: str
    reasons: list[str]


def verdict_text(c: np.ndarray) -> str:
    """'complete disentanglement', or 'partial: z1, z4 identified; {z2, z3} twins; z5 may mix with ẑ2'."""
    if is_complete(c):
        return "complete disentanglement"
    ident = identified_latents(c)
    pieces = [f"{latent_list(ident)} identified" if ident else "no latent identified"]
    pieces += ["{" + latent_list(cls) + "} twins" for cls in twin_classes(c) if len(cls) > 1]
    mixes: dict[tuple[int, ...], list[int]] = {}  # learned latents -> the true latents that may mix with them
    for i in range(c.shape[0]):
        strict = tuple(int(j) for j in np.flatnonzero(c[i]) if j != i and not c[j, i])
        if strict:
            mixes.setdefault(strict, []).append(i)
    pieces += [f"{latent_list(rows)} may mix with {latent_list(cols, HAT)}" for cols, rows in mixes.items()]
    return "partial: " + "; ".join(pieces)


def analyse(ga: np.ndarray | None = None, gz: np.ndarray | None = None) -> TheoryReport:
    """The full theory reading for a pair of graphs."""
    c = consistency_pattern(ga, gz)
    return TheoryReport(
        pattern=c,
        identified=identified_latents(c),
        twins=twin_classes(c),
        complete=is_complete(c),
        verdict=verdict_text(c),
        reasons=latent_reasons(ga, gz),
    )


# ---------------------------------------------------------------- what "identified" assumes and means
#
# The verdicts above are theorems with conditions; these texts travel with every verdict (the Theory page's expander,
# the Lessons page), so that "identified" is never read as "this run will recover it".

IDENTIFIED_CONDITIONS: tuple[str, ...] = (
    "The data come from the model class: x = f(z) with f a diffeomorphism onto its image (smooth and invertible "
    "both ways, dx ≥ dz), and the latents of a step are conditionally independent given the past and the actions.",
    "Sufficient influence (sufficient variability): the actions and the past move each latent's mechanism in enough "
    "independent directions that every edge of the true graph leaves its mark on the distribution.",
    "Infinite data and an exact fit: the learned model reproduces the distribution of the observations exactly.",
    "The learned model has as many latents as the truth: the learned dz equals the true dz.",
    "The learned graph is no denser than the true graph (what the sparsity constraint or penalty enforces).",
)

IDENTIFIED_MEANING = (
    "Identified means recovered up to a permutation and an invertible element-wise map: the learned latent matched "
    "to z_i is a one-to-one function of z_i alone. So an MCC below 1 does not contradict it: a finite run is not an "
    "exact fit, and MCC, a linear correlation, stays below 1 under a nonlinear element-wise map."
)

READING_GUIDE: tuple[str, ...] = (
    "C[i, j] ticked: the true latent z_i may mix with ẑ_j, the learned latent matched to z_j. A row with only its "
    "diagonal means z_i is identified.",
    "z_i is identified when every other latent lacks one of its action parents (or, in time, one of its temporal "
    "parents or children): the reasons name one such parent or child per latent.",
    "Twins (outlined in C, tagged T1, T2, ...) have exactly the same action parents (and, in time, the same temporal "
    "parents and children): sparsity cannot tell them apart. C is an upper bound: it says twins may be mixed, not "
    "that they will be.",
    "When z_j has all of z_i's parents and children, and more, z_i may mix with ẑ_j but z_j not with ẑ_i.",
    "C is an upper bound given the papers' assumptions: it says what may mix, not what a training run will mix. "
    "Twins may stay apart in practice; nothing outside C can mix.",
)


def _markdown(text: str) -> str:
    """Plain text as Markdown: z_i, z_t-1 and friends must not open italics."""
    return text.replace("_", "\\_")


def conditions_markdown() -> str:
    """What 'identified' assumes and means, as Markdown for an expander: the conditions as a list, then the meaning."""
    items = "\n".join(f"- {_markdown(c)}" for c in IDENTIFIED_CONDITIONS)
    intro = "The verdict is the papers' theorem: a latent it calls identified is recovered when all of these hold."
    return f"{intro}\n\n{items}\n\n{_markdown(IDENTIFIED_MEANING)}"


def reading_markdown() -> str:
    """How to read C, the reasons and twins, as a Markdown list."""
    return "\n".join(f"- {_markdown(line)}" for line in READING_GUIDE)
