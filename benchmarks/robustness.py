"""Robustness of the training recipe on data it was not tuned on: varied graphs, mechanisms and mixings.

The engine's presets follow the papers' formulas (sinusoid mechanisms, a leaky-ReLU MLP mixing), so a recipe tuned
on them may not carry over. The generators here (CASES, make_case) draw other graphs (random, chain, hubs),
mechanism families (tanh, small MLPs, random sinusoids, Gaussian-damped polynomials) and a second, smooth mixing,
with other dx. Every case is fully identifiable under mechanism sparsity: its graph is redrawn until the
consistency pattern is the identity, so a poor MCC means the recipe failed, not the theory.

Each (case, seed) trains in a fresh subprocess (one torch thread by default); the table gives the median and
(min–max) over seeds, then one overall line per kind.

    .venv/bin/python benchmarks/robustness.py --cases time-rand-tanh,action-rand-mlp --seeds 0,1,2 --seconds 300
    .venv/bin/python benchmarks/robustness.py --table results/robust.jsonl     # re-print saved results
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mechsparse.data import mechanisms, synthetic
from mechsparse.data.dataset import Dataset, validate_arrays
from mechsparse.theory import identifiability

if __package__ in (None, ""):  # run as a file: make the repository root importable for `benchmarks.common`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import add_grid_arguments, load_results, parse_cases, run_grid, spread  # noqa: E402

LATENT_NOISE_STD = mechanisms.LATENT_NOISE_STD  # 0.01, as the papers
OBS_NOISE_STD = synthetic.OBS_NOISE_STD
ACTION_RANGE = (-2.0, 2.0)  # a ~ U(-2, 2), as the papers
TEMPORAL_STD = 0.5  # std of each f_i(z_0) in z_1 = z_0 + f(z_0): a clear move, yet z_1 stays of order 1
ACTION_STD = 1.0  # std of each f_i(a) in z = f(a) + noise
CALIBRATION_SAMPLES = 8192  # inputs on which each mechanism is centred and scaled (fixed, so n does not matter)
MAX_GRAPH_DRAWS = 10_000
MCC_TARGET = 0.9  # the benchmark reports the time to reach this MCC
_CHUNK = 16_384  # rows per block when evaluating mechanisms (the MLP holds n x dz x hidden values)
_HIDDEN = 16  # hidden units of the random MLP mechanisms
SMOOTH_SLOPE = 0.1  # least slope of the smooth mixing's nonlinearity

Raw = Callable[[np.ndarray], np.ndarray]  # parents (n, d_in) -> (n, dz), reading input j of latent i only if g[i, j]
Mean = Callable[[np.ndarray | None, np.ndarray | None], np.ndarray]  # (a, z_prev) -> noiseless mean of z_t


# ---------------------------------------------------------------- graphs


def random_graph(rng: np.random.Generator, rows: int, cols: int, density: float, diagonal: bool) -> np.ndarray:
    """Bernoulli(density) edges, plus the diagonal for temporal graphs (each latent persists through z_0)."""
    g = (rng.random((rows, cols)) < density).astype(np.int8)
    if diagonal:
        np.fill_diagonal(g, 1)
    return g


def random_rows(rng: np.random.Generator, rows: int, cols: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Each row a uniform random set of k parents, k drawn from sizes: with few actions (da < dz) Bernoulli rows
    are almost never non-nested, while rows of similar size are, once distinct."""
    g = np.zeros((rows, cols), dtype=np.int8)
    for i in range(rows):
        g[i, rng.choice(cols, size=rng.choice(sizes), replace=False)] = 1
    return g


def band_graph(dz: int) -> np.ndarray:
    """z_i depends on z_{i-1} and z_i: identified although row 0 sits inside row 1 (their children differ)."""
    return (np.eye(dz, dtype=np.int8) + np.eye(dz, k=-1, dtype=np.int8)).astype(np.int8)


def hub_graph(rng: np.random.Generator, dz: int, hubs: int = 2, reach: float = 0.7, density: float = 0.1):
    """A few hub latents that are parents of most others, the diagonal, and a sparse random rest."""
    g = random_graph(rng, dz, dz, density, diagonal=True)
    for h in rng.choice(dz, size=hubs, replace=False):
        g[rng.random(dz) < reach, h] = 1
    return g


def identified(g: np.ndarray, kind: str) -> bool:
    """Whether the theory guarantees complete disentanglement (consistency pattern = identity)."""
    c = identifiability.consistency_pattern(ga=g) if kind == "action" else identifiability.consistency_pattern(gz=g)
    return identifiability.is_complete(c)


def draw_identified(draw: Callable[[], np.ndarray], kind: str) -> np.ndarray:
    """Redraw until identified, so every case tests the recipe rather than a graph the theory cannot resolve."""
    for _ in range(MAX_GRAPH_DRAWS):
        g = draw()
        if identified(g, kind):
            return g
    raise RuntimeError(f"no identifiable {kind} graph in {MAX_GRAPH_DRAWS} draws; raise the density")


# ---------------------------------------------------------------- mechanism families (raw, before scaling)


def _in_chunks(fn: Raw) -> Raw:
    """fn evaluated block by block, so an MLP over 100k samples does not hold n x dz x hidden values at once."""

    def run(p: np.ndarray) -> np.ndarray:
        return np.concatenate([fn(p[lo : lo + _CHUNK]) for lo in range(0, max(len(p), 1), _CHUNK)])

    return run


def _fan_in(g: np.ndarray) -> np.ndarray:
    return np.maximum(g.sum(axis=1), 1)[:, None].astype(float)


def tanh_family(rng: np.random.Generator, g: np.ndarray) -> Raw:
    """tanh(w_i . p + b_i): non-additive, every parent enters one saturating unit (weights zero off the graph)."""
    w = rng.standard_normal(g.shape) * g * 1.5 / np.sqrt(_fan_in(g))
    b = rng.uniform(-1.0, 1.0, g.shape[0])
    return _in_chunks(lambda p: np.tanh(p @ w.T + b))


def mlp_family(rng: np.random.Generator, g: np.ndarray) -> Raw:
    """A random 2-layer tanh MLP per latent over its masked parents: non-additive, with interactions."""
    dz, d_in = g.shape
    w1 = rng.standard_normal((dz, _HIDDEN, d_in)) * g[:, None, :] * 1.5 / np.sqrt(_fan_in(g))[:, :, None]
    b1 = rng.normal(0.0, 0.5, (dz, _HIDDEN))
    v = rng.standard_normal((dz, _HIDDEN)) / np.sqrt(_HIDDEN)
    return _in_chunks(lambda p: (np.tanh(np.einsum("nd,ihd->nih", p, w1) + b1) * v).sum(axis=-1))


def sin_family(freq: tuple[float, float]) -> Callable[[np.random.Generator, np.ndarray], Raw]:
    """sum_j g_ij sin(w_ij p_j + phi_ij), frequencies ~ U(freq) and phases ~ U(0, 2 pi): the papers' form with
    random rather than fixed frequencies."""

    def build(rng: np.random.Generator, g: np.ndarray) -> Raw:
        w = rng.uniform(*freq, g.shape)
        phase = rng.uniform(0.0, 2 * np.pi, g.shape)
        return _in_chunks(lambda p: (np.sin(p[:, None, :] * w + phase) * g).sum(axis=-1))

    return build


def poly_family(rng: np.random.Generator, g: np.ndarray) -> Raw:
    """sum_j g_ij (c_ij p_j + d_ij (p_j^2 - 1)) exp(-p_j^2 / 2): smooth, polynomial near 0, bounded far out
    (an odd and an even Hermite-like bump, so parents act neither linearly nor monotonically)."""
    c = rng.standard_normal(g.shape) * g
    d = rng.standard_normal(g.shape) * g
    return _in_chunks(
        lambda p: ((c * p[:, None, :] + d * (p[:, None, :] ** 2 - 1)) * np.exp(-(p[:, None, :] ** 2) / 2)).sum(-1)
    )


def paper_sin_family(rng: np.random.Generator, g: np.ndarray) -> Raw:
    """The papers' temporal mechanism 0.5 sum_j g_ij sin(R_i p_j + S_i) (R_i, S_i fixed), on any graph."""
    del rng  # no random parameters: only the graph is drawn
    return _in_chunks(lambda p: mechanisms.DRIFT * mechanisms.sinusoid_mean(g, p))


def calibrated(raw: Raw, inputs: np.ndarray, target_std: float | None) -> Raw:
    """raw centred and scaled per latent to target_std on ``inputs`` (the data's input distribution), so latents
    neither blow up nor collapse whatever the family; None keeps raw as it is (the papers' own scale)."""
    if target_std is None:
        return raw
    out = raw(inputs)
    centre, spread = out.mean(axis=0), out.std(axis=0)
    if (spread < 1e-6).any():
        raise RuntimeError("a mechanism is constant on its inputs; cannot scale it")
    scale = target_std / spread
    return lambda p: (raw(p) - centre) * scale


# ---------------------------------------------------------------- mixings


def leaky_mixing(rng: np.random.Generator, dz: int, dx: int) -> Callable[[np.ndarray], np.ndarray]:
    """The papers' bias-free 4-layer leaky-ReLU MLP (the engine's own weights and forward pass)."""
    weights = synthetic.mixing_weights(dz, dx, rng)
    return lambda z: synthetic.mix(z, weights)


def smooth_leaky(u: np.ndarray) -> np.ndarray:
    """SMOOTH_SLOPE u + (1 - SMOOTH_SLOPE) softplus(2 u) / 2, shifted to pass through 0: a smooth leaky ReLU with
    slope in (SMOOTH_SLOPE, 1), so strictly increasing (invertible). The bend's sharpness was chosen so that a
    linear fit of x on z explains about as much (R^2 ~ 0.7) as for the papers' leaky-ReLU mixing."""
    return SMOOTH_SLOPE * u + (1.0 - SMOOTH_SLOPE) * (np.logaddexp(0.0, 2.0 * u) - np.log(2.0)) / 2.0


def smooth_mixing(rng: np.random.Generator, dz: int, dx: int, n_layers: int = 3) -> Callable[[np.ndarray], np.ndarray]:
    """Smooth and injective: n_layers of (square U diag(s) V^T with s ~ U(0.7, 1.4), bias, smooth_leaky), each
    invertible, then a full-rank linear map to dx (singular values in [0.5, 2]). Unlike the leaky-ReLU MLP it has
    biases, so the bends sit away from 0, and no kinks."""
    if dx < dz:
        raise ValueError(f"observation size dx ({dx}) must be at least the number of latents dz ({dz})")
    gain = np.sqrt(2.0 / (1.0 + SMOOTH_SLOPE**2))
    layers = []
    for _ in range(n_layers):
        u, _ = np.linalg.qr(rng.standard_normal((dz, dz)))
        v, _ = np.linalg.qr(rng.standard_normal((dz, dz)))
        layers.append(((u * rng.uniform(0.7, 1.4, dz)) @ v.T * gain, rng.normal(0.0, 0.5, dz)))
    q, _ = np.linalg.qr(rng.standard_normal((dx, dz)))  # orthonormal columns
    r, _ = np.linalg.qr(rng.standard_normal((dz, dz)))
    out = (r * rng.uniform(0.5, 2.0, dz)) @ q.T  # (dz, dx), rank dz

    def forward(z: np.ndarray) -> np.ndarray:
        h = z
        for w, b in layers:
            h = smooth_leaky(h @ w + b)
        return h @ out

    return forward


MIXINGS = {"leaky": leaky_mixing, "smooth": smooth_mixing}
_MIXING_WORDS = {"leaky": "leaky-ReLU MLP mixing (papers)", "smooth": "smooth invertible MLP mixing"}


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class CaseSpec:
    """How one case is drawn: graph, mechanism family, mixing and sizes (da = 0 for temporal data)."""

    kind: str  # "temporal" or "action"
    dz: int
    da: int
    dx: int
    graph: Callable[[np.random.Generator], np.ndarray]
    graph_words: str
    family: Callable[[np.random.Generator, np.ndarray], Raw]
    family_words: str
    mixing: str = "leaky"
    target_std: float | None = None  # None: the family's own scale (the papers' sinusoid)

    @property
    def description(self) -> str:
        dims = f"dz {self.dz}" + (f", da {self.da}" if self.da else "") + f", dx {self.dx}"
        return f"{self.graph_words}; {self.family_words}; {_MIXING_WORDS[self.mixing]}; {dims}"


def _rand(dz: int, cols: int, density: float, diagonal: bool) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: random_graph(rng, dz, cols, density, diagonal)


CASES: dict[str, CaseSpec] = {
    "time-rand-tanh": CaseSpec(
        "temporal", 8, 0, 20, _rand(8, 8, 0.35, True), "random Gz (density 0.35 + diagonal)",
        tanh_family, "z1 = z0 + tanh(w.pa + b), std 0.5", target_std=TEMPORAL_STD,
    ),
    "time-rand-mlp": CaseSpec(
        "temporal", 10, 0, 30, _rand(10, 10, 0.35, True), "random Gz (density 0.35 + diagonal)",
        mlp_family, "z1 = z0 + 2-layer tanh MLP(pa), std 0.5", target_std=TEMPORAL_STD,
    ),
    "time-chain-sin": CaseSpec(
        "temporal", 10, 0, 16, lambda rng: band_graph(10), "chain Gz (z_i <- z_i-1, z_i)",
        sin_family((1.0, 4.0)), "z1 = z0 + sum sin(w p + phi), w ~ U(1, 4), std 0.5", target_std=TEMPORAL_STD,
    ),
    "time-hub-poly": CaseSpec(
        "temporal", 10, 0, 20, lambda rng: hub_graph(rng, 10), "2 hubs (parents of ~70%) + diagonal + sparse rest",
        poly_family, "z1 = z0 + sum (c p + d (p^2 - 1)) exp(-p^2/2), std 0.5", mixing="smooth",
        target_std=TEMPORAL_STD,
    ),
    "time-rand-sin-smooth-mix": CaseSpec(
        "temporal", 8, 0, 30, _rand(8, 8, 0.35, True), "random Gz (density 0.35 + diagonal)",
        paper_sin_family, "papers' z1 = z0 + 0.5 sum sin(R_i p + S_i)", mixing="smooth",
    ),
    "action-rand-tanh": CaseSpec(
        "action", 6, 8, 20, _rand(6, 8, 0.35, False), "random non-nested Ga (density 0.35)",
        tanh_family, "z = tanh(w.pa + b), std 1", target_std=ACTION_STD,
    ),
    "action-rand-mlp": CaseSpec(
        "action", 8, 6, 30, lambda rng: random_rows(rng, 8, 6, (2, 3)), "random non-nested Ga (2-3 parents a row)",
        mlp_family, "z = 2-layer tanh MLP(pa), std 1", target_std=ACTION_STD,
    ),
    "action-wide-sin-smooth-mix": CaseSpec(
        "action", 10, 12, 20, _rand(10, 12, 0.3, False), "random non-nested Ga (density 0.3)",
        sin_family((1.0, 3.0)), "z = sum sin(w a + phi), w ~ U(1, 3), std 1", mixing="smooth",
        target_std=ACTION_STD,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One drawn case: its graphs, the noiseless mechanism mean(a, z_prev) and the mixing z -> x (before
    standardisation), exposed so tests can check that non-parents have no effect and that the mixing is injective."""

    name: str
    kind: str
    seed: int
    description: str
    ga: np.ndarray | None
    gz: np.ndarray | None
    dz: int
    da: int
    dx: int
    mean: Mean
    mix: Callable[[np.ndarray], np.ndarray]

    @property
    def graph(self) -> np.ndarray:
        return self.ga if self.kind == "action" else self.gz


def _spec(name: str) -> CaseSpec:
    if name not in CASES:
        raise ValueError(f"unknown case {name!r}; choose one of: {', '.join(CASES)}")
    return CASES[name]


def _input_sample(rng: np.random.Generator, spec: CaseSpec, n: int) -> np.ndarray:
    """What the mechanisms read: a ~ U(-2, 2) for actions, z_0 ~ N(0, 1) for time."""
    if spec.kind == "action":
        return rng.uniform(*ACTION_RANGE, (n, spec.da))
    return rng.standard_normal((n, spec.dz))


def build_case(name: str, seed: int) -> Case:
    """Graph, mechanism and mixing of a case for a seed; independent of n, so the mechanism tests check exactly what
    make_case samples from. The stream is default_rng([seed, crc32(name)]): cases of the same sizes draw different
    graphs for the same seed instead of sharing one."""
    spec = _spec(name)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    cols = spec.da if spec.kind == "action" else spec.dz
    g = draw_identified(lambda: spec.graph(rng), spec.kind)
    if g.shape != (spec.dz, cols):
        raise RuntimeError(f"case {name}: graph of shape {g.shape}, expected {(spec.dz, cols)}")
    f = calibrated(spec.family(rng, g.astype(float)), _input_sample(rng, spec, CALIBRATION_SAMPLES), spec.target_std)
    mixing = MIXINGS[spec.mixing](rng, spec.dz, spec.dx)
    if spec.kind == "action":

        def mean(a: np.ndarray | None, z_prev: np.ndarray | None = None) -> np.ndarray:
            """z = f(a): the latents are driven by the actions alone (T = 1)."""
            return f(np.asarray(a, dtype=float))

        ga, gz = g, None
    else:

        def mean(a: np.ndarray | None, z_prev: np.ndarray | None = None) -> np.ndarray:
            """z_1 = z_0 + f(z_0): each latent persists and moves by a function of its parents."""
            zp = np.asarray(z_prev, dtype=float)
            return zp + f(zp)

        ga, gz = None, g
    return Case(name, spec.kind, seed, spec.description, ga, gz, spec.dz, spec.da, spec.dx, mean, mixing)


def case_mechanism(name: str, seed: int) -> Mean:
    """The noiseless mean(a, z_prev) -> (n, dz) of a case; temporal cases read only z_prev, action cases only a."""
    return build_case(name, seed).mean


def make_case(name: str, seed: int, n: int) -> Dataset:
    """n samples of a case: x standardised per dimension plus N(0, 0.01^2) noise, as synthetic.generate; the same
    (name, seed, n) gives the same bytes. Temporal: T = 2 (z_0 ~ N(0, I), z_1 = mean + N(0, 0.01^2)); action:
    T = 1, a ~ U(-2, 2), z = mean + N(0, 0.01^2). Latents whose std leaves [0.1, 10] are an error (n >= 100)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"number of samples n must be a positive integer, got {n!r}")
    case = build_case(name, seed)
    spec = _spec(name)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 1])  # the samples, apart from the parameters
    inputs = _input_sample(rng, spec, n)
    noise = LATENT_NOISE_STD * rng.standard_normal((n, case.dz))
    if case.kind == "action":
        a = inputs[:, None, :]
        z = (case.mean(inputs, None) + noise)[:, None, :]
    else:
        a = None
        z = np.stack([inputs, case.mean(None, inputs) + noise], axis=1)
    if n >= 100:  # fewer samples give too rough a std to judge
        std = z.std(axis=0)
        if not (np.isfinite(z).all() and (std > 0.1).all() and (std < 10).all()):
            raise RuntimeError(
                f"case {name}, seed {seed}: latent std out of [0.1, 10]: {std.min():.3g}–{std.max():.3g}"
            )
    x = case.mix(z)
    mu, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
    x = ((x - mu) / np.where(sd > 0, sd, 1.0)).astype(np.float32)
    x += np.float32(OBS_NOISE_STD) * rng.standard_normal(x.shape, dtype=np.float32)
    arrays = {"x": x, "z": z.astype(np.float32)}
    if case.kind == "action":
        arrays |= {"a": a.astype(np.float32), "ga": case.ga}
    else:
        arrays["gz"] = case.gz
    info = {
        "case": name,
        "kind": case.kind,
        "seed": seed,
        "description": case.description,
        "n": n,
        "t": z.shape[1],
        "dx": case.dx,
        "mixing": spec.mixing,
    }
    return validate_arrays(arrays, name, info=info)


def default_n(name: str) -> int:
    """Temporal data carries less signal per sample (one small step), so it gets more samples."""
    return 50_000 if _spec(name).kind == "temporal" else 20_000


# ---------------------------------------------------------------- benchmark


def run_one(
    case: str, data_seed: int, seed: int, seconds: float, n: int, overrides: dict, threads: int, device: str
) -> dict:
    """Train on one case for ``seconds`` of training time and describe how it went (runs in the subprocess)."""
    import torch

    from mechsparse.learning import training
    from mechsparse.learning.config import default_config

    torch.set_num_threads(threads)
    wall = time.perf_counter()
    ds = make_case(case, data_seed, n)
    generated = time.perf_counter() - wall
    config = default_config(ds, seed=seed, max_seconds=seconds, device=device, **overrides)
    trainer = training.Trainer(ds, config)
    while not trainer.finished:
        trainer.step()
    summary = trainer.summary()
    mccs = [r for r in trainer.history if r.get("mcc") is not None]
    reached = next((r for r in mccs if r["mcc"] >= MCC_TARGET), None)
    return {
        "case": case,
        "kind": ds.info["kind"],
        "description": ds.info["description"],
        "data_seed": data_seed,
        "seed": seed,
        "n": n,
        "overrides": overrides,
        "mcc": summary["mcc"],
        "r_con": summary["r_con"],
        "shd": sum(v for v in (summary["shd_a"], summary["shd_z"]) if v is not None),
        "best_mcc": max((r["mcc"] for r in mccs), default=None),
        "time_to_mcc": None if reached is None else reached["seconds"],
        "steps": summary["steps"],
        "seconds": summary["seconds"],
        "steps_per_second": summary["steps_per_second"],
        "data_seconds": round(generated, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": summary["device"],
        "threads": threads,
        "config": config.to_dict(),
    }


def _label(r: dict) -> str:
    extra = f" {json.dumps(r['overrides'], sort_keys=True)}" if r.get("overrides") else ""
    return f"{r['case']}{extra}"


def table(results: list[dict]) -> str:
    """Markdown: one row per (case, data seed, overrides) with medians and (min–max) over training seeds, then one
    overall row per kind (final MCC over every case and seed of that kind)."""
    lines = [
        f"| case | data seed | seeds | final MCC | best MCC | R_con | SHD | time to MCC ≥ {MCC_TARGET}, s "
        "(reached/runs) | steps/s | budget s | description |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((_label(r), r["data_seed"]), []).append(r)
    for (label, data_seed), rows in groups.items():
        times = [r["time_to_mcc"] for r in rows if r["time_to_mcc"] is not None]
        lines.append(
            f"| {label} | {data_seed} | {','.join(str(r['seed']) for r in rows)} | "
            f"{spread([r['mcc'] for r in rows])} | {spread([r['best_mcc'] for r in rows])} | "
            f"{spread([r['r_con'] for r in rows])} | {spread([r['shd'] for r in rows], '{:.0f}')} | "
            f"{spread(times, '{:.0f}')} ({len(times)}/{len(rows)}) | "
            f"{spread([r['steps_per_second'] for r in rows], '{:.0f}')} | {max(r['seconds'] for r in rows):.0f} | "
            f"{rows[0]['description']} |"
        )
    for kind in dict.fromkeys(r["kind"] for r in results):
        rows = [r for r in results if r["kind"] == kind]
        n_cases = len({_label(r) for r in rows})
        lines.append(
            f"| **all {kind}** | | {len(rows)} runs, {n_cases} cases | **{spread([r['mcc'] for r in rows])}** "
            "| | | | | | | |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_grid_arguments(parser, CASES)
    parser.add_argument("--seconds", type=float, default=300.0, help="training seconds per run")
    parser.add_argument("--n", type=int, help="samples (default: 50000 temporal, 20000 action)")
    parser.add_argument("--overrides", default="{}", help="JSON object of training options")
    args = parser.parse_args()

    if args.table:
        results = load_results(args.table)
        print(table(results))
        return 0
    overrides = json.loads(args.overrides)
    if not isinstance(overrides, dict):
        parser.error("--overrides must be a JSON object")
    if args.single:
        case, seed = args.single[0], int(args.single[1])
        n = args.n or default_n(case)
        result = run_one(case, args.data_seed, seed, args.seconds, n, overrides, args.threads, args.device)
        print(json.dumps(result))
        return 0

    cases = parse_cases(parser, args.cases, CASES)

    def command(case: str, seed: int) -> list[str]:
        cmd = [__file__, "--single", case, str(seed), "--data-seed", str(args.data_seed)]
        cmd += ["--seconds", str(args.seconds), "--overrides", json.dumps(overrides)]
        cmd += ["--threads", str(args.threads), "--device", args.device]
        return cmd + (["--n", str(args.n)] if args.n else [])

    def describe(result: dict) -> str:
        when = "not reached" if result["time_to_mcc"] is None else f"{result['time_to_mcc']:.0f} s"
        return (
            f"final MCC {spread([result['mcc']])}, R_con {spread([result['r_con']])}, SHD {result['shd']:.0f}, "
            f"MCC ≥ {MCC_TARGET}: {when}, {result['steps_per_second']:.0f} steps/s"
        )

    seeds = [int(s) for s in args.seeds.split(",")]
    results = run_grid(cases, seeds, command, describe, args.threads, args.save)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
