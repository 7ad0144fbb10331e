"""What mechanism-sparsity theory guarantees for given graphs: the consistency pattern C and its reading.

Definitions follow THEORY.md. ``C[i, j] = True`` means the true latent z_i may depend on the learned latent
matched to z_j. Everything is vectorised numpy so it can be recomputed on every click.
Latents and actions are named 1-based in text (z1, a1), 0-based in arrays.
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


def _names(prefix: str, idx) -> str:
    return "{" + ", ".join(f"{prefix}{k + 1}" for k in idx) + "}"


def _pair_reason(i: int, j: int, ga: np.ndarray | None, gz: np.ndarray | None) -> str:
    """Why C[i, j] holds: each regularised graph puts z_i's pattern inside z_j's."""
    parts = []
    if ga is not None:
        pi, pj = np.flatnonzero(ga[i]), np.flatnonzero(ga[j])
        extra = np.setdiff1d(pj, pi)
        if len(pi) == 0:
            parts.append(f"z{i + 1} has no action parent")
        elif len(extra) == 0:
            parts.append(f"both are driven by exactly {_names('a', pi)}")
        else:
            parts.append(
                f"{_names('a', pi)} drive{'s' if len(pi) == 1 else ''} both, {_names('a', extra)} only z{j + 1}"
            )
    if gz is not None:
        pi, pj = np.flatnonzero(gz[i]), np.flatnonzero(gz[j])
        ci, cj = np.flatnonzero(gz[:, i]), np.flatnonzero(gz[:, j])
        if np.array_equal(pi, pj) and np.array_equal(ci, cj):
            parts.append(f"in time both have parents {_names('z', pi)} and children {_names('z', ci)}")
        else:
            parts.append(
                f"in time z{i + 1}'s parents {_names('z', pi)} are among z{j + 1}'s {_names('z', pj)} and "
                f"z{i + 1}'s children {_names('z', ci)} among z{j + 1}'s {_names('z', cj)}"
            )
    return "; ".join(parts)


def _separation_reason(i: int, ga: np.ndarray | None, gz: np.ndarray | None) -> str:
    """Why z_i is identified: every other latent lacks one of z_i's parents (or, in time, children)."""
    if (ga if ga is not None else gz).shape[0] == 1:
        return "it is the only latent"
    sets = []
    if ga is not None:
        sets.append(f"action parents {_names('a', np.flatnonzero(ga[i]))}")
    if gz is not None:
        sets.append(f"temporal parents {_names('z', np.flatnonzero(gz[i]))}")
        sets.append(f"temporal children {_names('z', np.flatnonzero(gz[:, i]))}")
    joined = sets[0] if len(sets) == 1 else ", ".join(sets[:-1]) + " or " + sets[-1]
    return f"every other latent lacks one of its {joined}"


def latent_reasons(ga: np.ndarray | None = None, gz: np.ndarray | None = None) -> list[str]:
    """One plain-words sentence per latent saying whether it is identified and why."""
    c = consistency_pattern(ga, gz)
    reasons = []
    for i in range(c.shape[0]):
        others = [int(j) for j in np.flatnonzero(c[i]) if j != i]
        if not others:
            reasons.append(f"z{i + 1} is identified: {_separation_reason(i, ga, gz)}.")
            continue
        twins = [j for j in others if c[j, i]]
        lines = []
        if twins:
            lines.append(
                f"z{i + 1} stays entangled with {', '.join(f'z{j + 1}' for j in twins)}: "
                f"{_pair_reason(i, twins[0], ga, gz)}"
            )
        for j in others:
            if j not in twins:
                lines.append(f"z{i + 1} may also depend on z{j + 1}: {_pair_reason(i, j, ga, gz)}")
        reasons.append(". ".join(lines) + ".")
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
    """'complete disentanglement', or 'partial: z1, z4 identified; {z2, z3} twins; z5 may mix in z2'."""
    if is_complete(c):
        return "complete disentanglement"
    ident = identified_latents(c)
    pieces = []
    if ident:
        pieces.append(", ".join(f"z{i + 1}" for i in ident) + " identified")
    else:
        pieces.append("no latent identified")
    for cls in twin_classes(c):
        if len(cls) > 1:
            pieces.append(_names("z", cls) + " twins")
    for i in range(c.shape[0]):
        strict = [j for j in np.flatnonzero(c[i]) if j != i and not c[j, i]]
        if strict:
            pieces.append(f"z{i + 1} may mix in " + ", ".join(f"z{j + 1}" for j in strict))
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


def allowed_parents(c: np.ndarray) -> list[np.ndarray]:
    """For R_con: the learned-latent columns each true latent may be regressed on (row i of C)."""
    return [np.flatnonzero(c[i]) for i in range(c.shape[0])]
