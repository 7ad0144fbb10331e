"""Ground-truth graphs: the papers' presets, teaching presets, random graphs, validation, text encoding.

Orientation everywhere (docs/theory.md): rows are children.
``ga[i, l] = 1`` iff a_l -> z_i (shape (dz, da)); ``gz[i, j] = 1`` iff z_{t-1, j} -> z_{t, i} (shape (dz, dz)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_DIM = 20


@dataclass(frozen=True, eq=False)
class GraphSpec:
    """A pair of ground-truth graphs; either may be None, not both. Validated on construction."""

    ga: np.ndarray | None = None
    gz: np.ndarray | None = None

    def __post_init__(self) -> None:
        ga = _as_binary(self.ga, "Ga") if self.ga is not None else None
        gz = _as_binary(self.gz, "Gz") if self.gz is not None else None
        if ga is None and gz is None:
            raise ValueError("at least one graph (Ga or Gz) is required")
        if gz is not None and gz.shape[0] != gz.shape[1]:
            raise ValueError(f"Gz must be square (dz x dz), got shape {gz.shape[0]}x{gz.shape[1]}")
        if ga is not None and gz is not None and ga.shape[0] != gz.shape[0]:
            raise ValueError(f"Ga has {ga.shape[0]} rows but Gz has {gz.shape[0]}: both need one row per latent")
        dz = (ga if ga is not None else gz).shape[0]
        if not 1 <= dz <= MAX_DIM:
            raise ValueError(f"number of latents dz must be between 1 and {MAX_DIM}, got {dz}")
        if ga is not None and not 1 <= ga.shape[1] <= MAX_DIM:
            raise ValueError(f"number of actions da must be between 1 and {MAX_DIM}, got {ga.shape[1]}")
        object.__setattr__(self, "ga", ga)
        object.__setattr__(self, "gz", gz)

    @property
    def dz(self) -> int:
        return (self.ga if self.ga is not None else self.gz).shape[0]

    @property
    def da(self) -> int:
        return 0 if self.ga is None else self.ga.shape[1]

    @property
    def n_edges(self) -> int:
        return int(sum(g.sum() for g in (self.ga, self.gz) if g is not None))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GraphSpec):
            return NotImplemented
        return _same(self.ga, other.ga) and _same(self.gz, other.gz)

    def __repr__(self) -> str:
        return f"GraphSpec({encode(self)!r})"


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _as_binary(g: object, name: str) -> np.ndarray:
    """Return g as a read-only int8 0/1 matrix, or raise a one-line ValueError naming the problem."""
    arr = np.asarray(g)
    if arr.dtype == object:
        raise ValueError(f"{name} must be a numeric 0/1 matrix, got objects")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got {arr.ndim} dimension(s)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {arr.shape}")
    if arr.dtype != bool and not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must contain only 0 and 1")
    out = arr.astype(np.int8)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------- presets


def _cyclic_nondiag(d: int) -> np.ndarray:
    """Identity plus the cyclic sub-diagonal: row i has columns i and i-1 (mod d)."""
    return (np.eye(d) + np.roll(np.eye(d), -1, axis=1)).clip(0, 1)


def _block_diag_actions() -> np.ndarray:
    ga = np.zeros((10, 5))
    for k in range(5):
        ga[2 * k : 2 * k + 2, k] = 1
    return ga


def _block_diag_time() -> np.ndarray:
    return np.kron(np.eye(5), np.ones((2, 2)))


def _block_nondiag_actions() -> np.ndarray:
    ga = _block_diag_actions()
    ga[8:10, 0] = 1
    return ga


def _block_nondiag_time() -> np.ndarray:
    gz = _block_diag_time()
    gz[0:2, 8:10] = 1
    gz[8:10, 0:2] = 1
    gz[8:10, 4:6] = 1
    return gz


# name -> (one-line description, builder returning (ga, gz))
_PRESETS: dict[str, tuple[str, object]] = {
    "action-diag": ("10 latents, 10 actions, each action drives one latent (Ga = I)", lambda: (np.eye(10), None)),
    "action-nondiag": (
        "10 latents, 10 actions, action i drives z_i and z_i+1 (cyclic); still fully identifiable",
        lambda: (_cyclic_nondiag(10), None),
    ),
    "action-block-diag": (
        "10 latents, 5 actions, each action drives a pair: five pairs of twins",
        lambda: (_block_diag_actions(), None),
    ),
    "action-block-nondiag": (
        "block-diagonal actions plus a1 also driving z9, z10: five pairs of twins; z1, z2 may mix with ẑ9, ẑ10",
        lambda: (_block_nondiag_actions(), None),
    ),
    "time-diag": ("10 latents, each depends only on its own past (Gz = I)", lambda: (None, np.eye(10))),
    "time-nondiag": (
        "10 latents, lower-triangular Gz (z_i depends on z_1..z_i): fully identifiable",
        lambda: (None, np.tril(np.ones((10, 10)))),
    ),
    "time-block-diag": (
        "10 latents in five 2x2 blocks of temporal dependence: five pairs of twins",
        lambda: (None, _block_diag_time()),
    ),
    "time-block-nondiag": (
        "temporal 2x2 blocks plus cross-block edges: five pairs of twins; z1, z2 may mix with ẑ9, ẑ10",
        lambda: (None, _block_nondiag_time()),
    ),
    # small teaching presets, one per case of docs/theory.md
    "teach-complete": ("3 latents, one action each: complete disentanglement", lambda: (np.eye(3), None)),
    "teach-nested": (
        "2 latents: a1 drives both, a2 only z2; z2 identified, z1 may mix with ẑ2",
        lambda: (np.array([[1, 0], [1, 1]]), None),
    ),
    "teach-twins": (
        "4 latents, 2 actions each driving a pair: two pairs of twins",
        lambda: (np.kron(np.eye(2), np.ones((2, 1))), None),
    ),
    "teach-no-parent": (
        "3 latents, z3 has no action parent: z1, z2 identified, z3 may mix with ẑ1, ẑ2",
        lambda: (np.array([[1, 0], [0, 1], [0, 0]]), None),
    ),
    "teach-interventions": (
        "3 interventions with overlapping targets {z1,z2}, {z2,z3}, {z1,z3}: complete",
        lambda: (np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]]), None),
    ),
    "teach-time-chain": (
        "3 latents in a temporal chain with self-loops: parents alone or children alone leave a pair, both: complete",
        lambda: (None, np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]])),
    ),
    "teach-together": (
        "3 latents, 2 actions and time: Ga alone identifies none, Gz alone only z1, both together all three",
        lambda: (np.array([[0, 1], [1, 1], [1, 1]]), np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1]])),
    ),
    "teach-combined": (
        "2 latents: one action drives both (twins by Ga alone), and Gz breaks the tie",
        lambda: (np.array([[1], [1]]), np.array([[1, 0], [1, 1]])),
    ),
}

PRESETS: dict[str, str] = {name: desc for name, (desc, _) in _PRESETS.items()}
"""Preset name -> one-line description. Names are a contract (docs/design.md)."""

DEFAULT_PRESET = "action-nondiag"


def preset(name: str) -> GraphSpec:
    """The ground-truth graphs of a named preset (see PRESETS)."""
    if name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    ga, gz = _PRESETS[name][1]()
    return GraphSpec(ga=ga, gz=gz)


def random_graph(
    dz: int,
    da: int = 0,
    *,
    density: float = 0.3,
    temporal: bool = False,
    seed: int = 0,
) -> GraphSpec:
    """Random graphs with i.i.d. Bernoulli(density) edges; temporal graphs keep the diagonal, as the papers do.

    ``da = 0`` means no action graph; ``temporal`` adds a Gz.
    """
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must be between 0 and 1, got {density}")
    if da == 0 and not temporal:
        raise ValueError("a random graph needs actions (da >= 1) or temporal dependencies, or both")
    rng = np.random.default_rng(seed)
    ga = (rng.random((dz, da)) < density).astype(np.int8) if da > 0 else None
    gz = None
    if temporal:
        gz = (rng.random((dz, dz)) < density).astype(np.int8)
        np.fill_diagonal(gz, 1)
    return GraphSpec(ga=ga, gz=gz)


def resize(
    spec: GraphSpec,
    dz: int,
    da: int,
    *,
    use_ga: bool = True,
    use_gz: bool = True,
    last_ga: np.ndarray | None = None,
    last_gz: np.ndarray | None = None,
) -> GraphSpec:
    """The same graphs at new dimensions, for interactive editing: overlapping entries are kept, new latents start
    with no action parent and a temporal self-loop.

    A graph switched back on comes back as it was last edited (``last_ga``/``last_gz``, resized the same way), so
    toggling a graph off and on never loses it; with nothing to restore, Ga starts as eye(dz, da) and Gz as I.
    """
    if not 1 <= dz <= MAX_DIM:
        raise ValueError(f"number of latents dz must be between 1 and {MAX_DIM}, got {dz}")
    if use_ga and not 1 <= da <= MAX_DIM:
        raise ValueError(f"number of actions da must be between 1 and {MAX_DIM}, got {da}")
    if not (use_ga or use_gz):
        raise ValueError("at least one graph (Ga or Gz) is required")
    ga = gz = None
    if use_ga:
        old = spec.ga if spec.ga is not None else last_ga
        if old is None:
            ga = np.eye(dz, da, dtype=np.int8)
        else:
            ga = np.zeros((dz, da), dtype=np.int8)
            r, c = min(dz, old.shape[0]), min(da, old.shape[1])
            ga[:r, :c] = old[:r, :c]
    if use_gz:
        gz = np.eye(dz, dtype=np.int8)
        old = spec.gz if spec.gz is not None else last_gz
        if old is not None:
            r = min(dz, old.shape[0])
            gz[:r, :r] = old[:r, :r]
    return GraphSpec(ga=ga, gz=gz)


# ---------------------------------------------------------------- text encoding

_ROW_SEPARATORS = re.compile(r"[.,;\s]+")  # links use '.', the command line may use ',' or ';', typing may add spaces
_ROWS_HINT = "rows of 0/1 digits separated by dots, e.g. 110.011"


def rows_to_text(g: np.ndarray) -> str:
    """Matrix -> rows of 0/1 digits joined by '.', e.g. '110.011'."""
    return ".".join("".join(str(int(v)) for v in row) for row in g)


def parse_rows(text: str, name: str = "graph") -> np.ndarray:
    """'110.011' (as in links) -> 0/1 matrix; commas, semicolons or spaces also separate rows. One-line ValueError
    on malformed text, whose hint shows the dots that links use."""
    rows = [r for r in _ROW_SEPARATORS.split(text.strip()) if r]
    if not rows or any(set(r) - {"0", "1"} for r in rows):
        raise ValueError(f"{name}: expected {_ROWS_HINT}; got {text!r}")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{name}: all rows must have the same length, got lengths {[len(r) for r in rows]}")
    return np.array([[int(c) for c in r] for r in rows], dtype=np.int8)


def encode(spec: GraphSpec) -> str:
    """URL-safe text for a GraphSpec, e.g. 'a110.011~z10.01' (unreserved URL characters only)."""
    parts = []
    if spec.ga is not None:
        parts.append("a" + rows_to_text(spec.ga))
    if spec.gz is not None:
        parts.append("z" + rows_to_text(spec.gz))
    return "~".join(parts)


def decode(text: str) -> GraphSpec:
    """Inverse of encode; raises a one-line ValueError on anything malformed."""
    ga = gz = None
    for part in text.strip().split("~"):
        if not part:
            continue
        kind, body = part[0], part[1:]
        if kind == "a" and ga is None:
            ga = parse_rows(body, "Ga")
        elif kind == "z" and gz is None:
            gz = parse_rows(body, "Gz")
        else:
            raise ValueError(
                f"cannot read graph text {text!r}: expected a<Ga rows>~z<Gz rows>, e.g. a10.01~z11.01 "
                "(rows of 0/1 digits separated by dots)"
            )
    return GraphSpec(ga=ga, gz=gz)
