"""Command line: `python -m mechsparse theory|generate|train|reproduce ...` (contract in DESIGN.md).

Bad input exits with status 2 and one line on stderr naming the problem; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mechsparse.data import dataset, synthetic
from mechsparse.learning import methods, training
from mechsparse.learning.evaluation import duration_text, progress_fraction
from mechsparse.reproduce import grids, sweep, tables
from mechsparse.runs import runner, store
from mechsparse.theory import graphs, identifiability


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _spec_from_args(args: argparse.Namespace) -> graphs.GraphSpec:
    if getattr(args, "preset", None):
        if args.ga or args.gz:
            raise ValueError("give either --preset or --ga/--gz, not both")
        return graphs.preset(args.preset)
    if not (args.ga or args.gz):
        raise ValueError("give --preset NAME or --ga ROWS and/or --gz ROWS")
    ga = graphs.parse_rows(args.ga, "Ga") if args.ga else None
    gz = graphs.parse_rows(args.gz, "Gz") if args.gz else None
    return graphs.GraphSpec(ga=ga, gz=gz)


def _matrix_text(m: np.ndarray, prefix: str = "z") -> str:
    header = "     " + " ".join(f"{prefix}{j + 1:<3d}" for j in range(m.shape[1]))
    rows = [f"z{i + 1:<3d} " + " ".join(f"{int(v):<4d}" for v in row) for i, row in enumerate(m)]
    return "\n".join([header, *rows])


def cmd_theory(args: argparse.Namespace) -> int:
    spec = _spec_from_args(args)
    report = identifiability.analyse(spec.ga, spec.gz)
    print(f"graphs: {graphs.encode(spec)}   (dz={spec.dz}, da={spec.da})")
    print("consistency pattern C (row i: the learned latents ẑj that true zi may mix with; an upper bound):")
    print(_matrix_text(report.pattern.astype(int), identifiability.HAT))
    print(f"verdict: {report.verdict}")
    ident = ", ".join(f"z{i + 1}" for i in report.identified) or "none"
    print(f"identified: {ident}")
    twins = [cls for cls in report.twins if len(cls) > 1]
    print("twins: " + ("; ".join("{" + ", ".join(f"z{i + 1}" for i in c) + "}" for c in twins) or "none"))
    print("why:")
    for reason in report.reasons:
        print(f"  - {reason}")
    return 0


def _add_graph_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=list(graphs.PRESETS), help="a named preset graph")
    p.add_argument("--ga", help="action graph rows, e.g. 110.011 as in links (row i: actions driving z_i)")
    p.add_argument("--gz", help="temporal graph rows, e.g. 10.11 (row i: past latents driving z_i)")


def cmd_generate(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".npz":
        raise ValueError(f"--out must name a .npz file, got {args.out!r}")
    if not out.parent.is_dir():
        raise ValueError(f"folder {str(out.parent)!r} of --out does not exist")
    spec = _spec_from_args(args)
    name = args.preset or "custom"
    start = time.perf_counter()
    ds = synthetic.generate(
        spec,
        args.n,
        t=args.t,
        dx=args.dx,
        seed=args.seed,
        name=name,
        variant=args.variant,
        kind=args.kind,
        obs_share=args.obs_share,
    )
    dataset.save_dataset(out, ds)
    info = ds.info
    print(
        f"wrote {out}: N={ds.n} T={ds.t} dx={ds.dx} da={ds.da} dz={ds.dz} "
        f"({name}, {info['kind']}, {info['variant']}, seed {info['seed']}) in {time.perf_counter() - start:.2f} s"
    )
    return 0


def _add_generate_args(p: argparse.ArgumentParser) -> None:
    _add_graph_args(p)
    p.add_argument("--n", type=int, default=10_000, help=f"number of samples (sequences), 1 to {dataset.MAX_N:,}")
    p.add_argument("--seed", type=int, default=0, help="one seed fixes mixing, latents and noise")
    p.add_argument("--out", required=True, help="output file, FILE.npz")
    p.add_argument("--variant", choices=list(synthetic.VARIANTS), default="standard", help="mechanism variant")
    kinds = "; ".join(f"{k.name}: {k.description}" for k in synthetic.KINDS.values())
    p.add_argument("--kind", choices=list(synthetic.KINDS), help=f"default: from the graphs. {kinds}")
    p.add_argument("--t", type=int, help=f"sequence length T, at most {dataset.MAX_T} (default 1 without time, 2 with)")
    p.add_argument("--dx", type=int, default=20, help=f"observation size, number of latents to {dataset.MAX_DX:,}")
    p.add_argument(
        "--obs-share",
        type=float,
        default=synthetic.DEFAULT_OBS_SHARE,
        help="interventions: share of observational a = 0",
    )


def _progress_line(trainer: training.Trainer, width: int = 24) -> str:
    """One terminal line: bar, step, steps/s, MCC, expected edges (and the bound)."""
    c = trainer.config
    frac = progress_fraction(trainer.step_count, c.max_steps, trainer.elapsed, c.max_seconds)
    bar = "#" * int(frac * width) + "." * (width - int(frac * width))
    last = trainer.history[-1] if trainer.history else {}
    mcc = last.get("mcc")
    edges = last.get("edge_count")
    bound = trainer.current_bound()
    parts = [
        f"[{bar}] step {trainer.step_count}",
        f"{trainer.elapsed:5.0f} s",
        f"{trainer.steps_per_second:6.1f} steps/s",
        f"MCC {mcc:.3f}" if mcc is not None else "MCC -",
    ]
    if edges is not None and trainer.method.learns_graph:
        parts.append(f"edges {edges:.1f}" + (f"/{bound:.0f}" if bound is not None else ""))
    return " | ".join(parts)


class _Printer:
    """Prints the progress line: in place on a terminal, else one line per evaluation at most every 5 s."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, trainer: training.Trainer, info: dict) -> None:
        now = time.monotonic()
        if (self.tty and now - self.last > 0.25) or ("evaluated" in info and (self.tty or now - self.last > 5.0)):
            print("\r" + _progress_line(trainer), end="" if self.tty else "\n", file=sys.stderr, flush=True)
            self.last = now


SIGNAL_STOPS = {signal.SIGINT: ("interrupted (SIGINT)", 130), signal.SIGTERM: ("terminated (SIGTERM)", 143)}


@contextlib.contextmanager
def _stop_on_signals(flag: runner.StopFlag):
    """SIGINT and SIGTERM end the run cleanly (saved, resumable) instead of killing it; yields a dict that gets
    the shell's exit code for the signal that stopped the run (130 or 143)."""
    caught: dict[str, int] = {}

    def handle(sig: int, _frame) -> None:
        reason, caught["exit_code"] = SIGNAL_STOPS[sig]
        flag.stop(reason)

    previous = {sig: signal.signal(sig, handle) for sig in SIGNAL_STOPS}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _train_dataset(args: argparse.Namespace) -> tuple[dataset.Dataset, str]:
    if bool(args.preset) == bool(args.data):
        raise ValueError("give exactly one of --preset NAME or --data FILE.npz")
    if args.data and args.data_seed is not None:
        raise ValueError("--data-seed generates data, so it goes with --preset, not --data")
    if args.data:
        ds = dataset.load_dataset(args.data)
        return ds, ds.name
    n = training.default_samples(args.preset) if args.n is None else args.n
    if not 20 <= n <= dataset.MAX_N:
        raise ValueError(f"--n must be between 20 and {dataset.MAX_N:,}, got {n:,}")
    data_seed = args.seed if args.data_seed is None else args.data_seed
    return synthetic.generate(graphs.preset(args.preset), n, seed=data_seed, name=args.preset), args.preset


# options only one method reads, and their flags (a flag given with another method is refused, not ignored)
_METHOD_FLAGS = {"sparsity": "--sparsity", "penalty": "--penalty", "bound": "--bound", "masks": "--masks"}
_METHOD_FLAGS |= {"mask_lr": "--mask-lr", "hard": "--hard", "hetero": "--hetero", "beta": "--beta"}
_METHOD_FLAGS |= {"gamma": "--gamma", "rate": "--rate"}


def _method_options(args: argparse.Namespace) -> dict:
    """The method-specific options given on the command line; a one-line ValueError for one the method ignores."""
    method = methods.get(args.method)
    given = {key: getattr(args, key) for key in _METHOD_FLAGS}
    given = {key: value for key, value in given.items() if value is not None and value is not False}  # 0 is given
    foreign = [key for key in given if key not in method.options]
    if foreign:
        flags = ", ".join(_METHOD_FLAGS[key] for key in foreign)
        owners = sorted({m.name for m in methods.METHODS.values() for key in foreign if key in m.options})
        raise ValueError(f"{flags} does not apply to --method {method.name} (it applies to {', '.join(owners)})")
    return given


def _train_config(args: argparse.Namespace, ds: dataset.Dataset) -> training.TrainConfig:
    overrides = {"method": args.method, "seed": args.seed, "device": args.device, **_method_options(args)}
    optional = ("max_seconds", "max_steps", "dz", "model_size", "batch_size", "lr")
    for key in (*optional, "eval_every", "threads"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    config = training.default_config(ds, **overrides)
    training.check_trainable(ds, config)  # also refuses 'cuda' without a GPU
    return config


def _method_words(config: training.TrainConfig) -> str:
    """'the sparse VAE (constraint sparsity)', 'β-TCVAE (β = 0.25)', 'PCL'."""
    if config.method == methods.SPARSE:
        return f"the sparse VAE ({config.sparsity} sparsity)"
    method = methods.get(config.method)
    options = ", ".join(f"{methods.OPTION_SYMBOLS[k]} = {getattr(config, k):g}" for k in method.options)
    return method.label + (f" ({options})" if options else "")


EXIT_CODES = {"finished": 0, "failed": 1, "deleted": 1, "stopped": 130}


def cmd_train(args: argparse.Namespace) -> int:
    """Check everything, create the run folder (runs.create_run, as the app does), train it with the app's loop."""
    if not (math.isfinite(args.save_every) and 0 <= args.save_every <= 24 * 3600):
        raise ValueError(f"--save-every must be between 0 and 86400 seconds, got {args.save_every}")
    ds, name = _train_dataset(args)
    config = _train_config(args, ds)
    folder = store.create_run(ds, config, name, folder=Path(args.out) if args.out else None, source="cli")
    print(
        f"training on {name} (N={ds.n}, T={ds.t}, dx={ds.dx}, da={ds.da}, dz={config.dz or ds.dz}) with "
        f"{_method_words(config)}, seed {config.seed}, device {training.resolve_device(config.device)} "
        f"-> {folder}",
        file=sys.stderr,
    )
    del ds  # the loop reads the dataset back from the run folder, like any process that resumes it
    flag, printer = runner.StopFlag(), _Printer()
    with _stop_on_signals(flag) as caught:
        outcome = runner.train_run(folder, control=flag, on_step=printer, save_every=args.save_every)
    if outcome.status == "deleted" or not (folder / "summary.json").exists():
        print(f"error: {outcome.message}", file=sys.stderr)
        return 1
    if printer.tty:
        print(file=sys.stderr)  # end the in-place progress line
    summary = store.read_json(folder / "summary.json")
    fmt = lambda v: "null" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
    keys = ("mcc", "r", "r_con", "shd_a", "shd_z")
    print("  ".join(f"{k}={fmt(summary.get(k))}" for k in keys) + f"  -> {folder}")
    if outcome.status == "failed":
        print(f"error: {outcome.message}", file=sys.stderr)
    if outcome.status == "stopped":
        print(f"{outcome.message}; resume it from the Train page or Runs page", file=sys.stderr)
        return caught.get("exit_code", EXIT_CODES["stopped"])
    return EXIT_CODES[outcome.status]


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=list(graphs.PRESETS), help="generate the data of a named preset")
    p.add_argument("--data", help="a dataset file (.npz with x, and optionally a, z, ga, gz)")
    p.add_argument(
        "--n", type=int, help="samples to generate with --preset (default: 20000 for action data, 100000 temporal)"
    )
    names = ", ".join(f"{m.name}: {m.summary}" for m in methods.METHODS.values())
    p.add_argument(
        "--method", choices=list(methods.METHOD_NAMES), default=methods.SPARSE, help=f"default sparse. {names}"
    )
    p.add_argument("--sparsity", choices=list(training.SPARSITY_MODES), help="sparse VAE: constraint (default)")
    p.add_argument(
        "--seed", type=int, default=0, help="fixes initialisation and batches (and the data, without --data-seed)"
    )
    p.add_argument(
        "--data-seed",
        type=int,
        help="fixes the generated data alone (with --preset; default: --seed), so training seeds vary on one dataset",
    )
    p.add_argument("--max-seconds", type=float, help="stop after this many training seconds")
    p.add_argument("--max-steps", type=int, help="stop after this many steps (default: the preset's tuned budget)")
    p.add_argument("--device", choices=list(training.DEVICES), default="auto")
    p.add_argument("--out", help="output folder (default: a new run folder under ./runs or MECHSPARSE_RUNS_DIR)")
    p.add_argument("--penalty", type=float, help="penalty coefficient (with --sparsity penalty)")
    p.add_argument("--bound", type=float, help="constraint bound on the expected edge count (default: true count)")
    p.add_argument("--dz", type=int, help="number of learned latents (default: the data's)")
    p.add_argument("--model-size", choices=list(training.MODEL_SIZES))
    p.add_argument("--masks", choices=["learned", "full", "oracle"], help="learned (default), full or oracle")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate of the networks")
    p.add_argument("--mask-lr", type=float, help="learning rate of the mask logits")
    p.add_argument("--eval-every", type=int, help="steps between evaluations")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: by model size, 1 for all but paper)")
    p.add_argument(
        "--save-every",
        type=float,
        default=runner.SAVE_EVERY_SECONDS,
        help="seconds between saves of the run folder (a kill loses at most this much; default 20)",
    )
    p.add_argument("--hard", action="store_true", help="straight-through hard mask samples")
    p.add_argument("--hetero", action="store_true", help="heteroscedastic transition noise")
    p.add_argument("--beta", type=float, help="tcvae: weight of the total correlation (default 0.25)")
    p.add_argument("--gamma", type=float, help="slowvae: weight of the transition KL (default 8)")
    p.add_argument("--rate", type=float, help="slowvae: rate of the Laplace prior on latent changes (default 10)")


class _GridProgress:
    """The grid's progress line on stderr (in place on a terminal): bar, runs done, training, elapsed, ETA. The ETA
    scales the remaining cells' budgets by how long the finished ones took."""

    def __init__(self, folder: sweep.GridFolder, pool, workers: int) -> None:
        self.folder, self.pool, self.workers = folder, pool, workers
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.todo = {c.key: c.estimated_seconds() for c in folder.pending()}
        self.total = len(folder.cells())
        self._lock = threading.Lock()
        self.last = ""

    def line(self, width: int = 24) -> str:
        results = self.folder.results()
        ended = results["status"].isin(["finished", "failed", "stopped"])
        done = int(ended.sum())
        spent = pd.to_numeric(results["seconds"], errors="coerce").fillna(0.0)
        estimate = results["cell"].map(self.todo).fillna(0.0)
        # the remaining training time (running cells count what they have left), at the pace finished cells took
        left = (estimate - spent).clip(lower=0)[~ended].sum()
        pace = 1.1
        if (ended & (estimate > 0)).any():
            pace = max(1.0, float(spent[ended].sum() / estimate[ended].sum()))
        elapsed = time.monotonic() - self.start
        eta = left * pace / max(1, self.workers)
        frac = done / max(1, self.total)
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        failed = int((results["status"] == "failed").sum())
        parts = [f"[{bar}] {done}/{self.total} runs", f"{len(self.pool.running())} training"]
        parts += [f"{duration_text(elapsed)} elapsed", f"ETA {duration_text(eta)}" if done < self.total else "done"]
        return " | ".join(parts + ([f"{failed} failed"] if failed else []))

    def __call__(self) -> None:
        with self._lock:
            line = self.line()
            if self.tty or line != self.last:  # a log gets each state once
                print("\r" + line, end="" if self.tty else "\n", file=sys.stderr, flush=True)
            self.last = line

    def watch(self, flag: runner.StopFlag, done: threading.Event, every: float = 2.0) -> None:
        """Until ``done``: redraw the line every ``every`` seconds on a terminal, and stop the pool once a signal
        has set ``flag`` (a signal handler must not wait on the pool's locks)."""
        last = time.monotonic()
        while not done.wait(0.2):
            if flag.stopped:
                self.pool.stop()
                return
            if self.tty and time.monotonic() - last >= every:
                self()
                last = time.monotonic()


def _make_pool(args: argparse.Namespace, folder: sweep.GridFolder, workers: int):
    if args.backend == "ray":
        from mechsparse.reproduce import ray_backend  # only here: the core never imports Ray

        return ray_backend.RayPool(
            folder, address=args.ray_address, num_cpus=args.workers, gpus_per_run=args.gpus_per_run
        )
    from mechsparse.runs.jobs import JobRegistry

    # a spare worker imports torch while the runs train, so the next cell starts without waiting for it
    registry = JobRegistry(max_concurrent=workers, keep_spare=True)
    registry.warm()
    return sweep.LocalPool(folder, registry, workers)


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Run every cell of a grid (resuming the folder when it holds the same grid), then write and print its table."""
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if not 1 <= workers <= 1024:
        raise ValueError(f"--workers must be from 1 to 1024, got {workers}")
    if args.seconds is not None and not (math.isfinite(args.seconds) and 0 < args.seconds <= 1e7):
        raise ValueError(f"--seconds must be a positive number of seconds, got {args.seconds}")
    if not 0 <= args.gpus_per_run <= 64:
        raise ValueError(f"--gpus-per-run must be from 0 to 64, got {args.gpus_per_run}")
    if args.backend != "ray" and (args.ray_address or args.gpus_per_run):
        raise ValueError("--ray-address and --gpus-per-run go with --backend ray")
    grid = grids.load_grid(args.grid)
    folder = sweep.GridFolder.create(Path(args.out), grid, args.seconds)
    cells, pending = folder.cells(), folder.pending()
    for line in grid.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    kept = len(cells) - len(pending)
    print(
        f"grid {grid.name!r}: {len(cells)} runs ({len(grid.datasets)} datasets x {len(grid.methods)} methods x "
        f"{len(grid.seeds)} seeds), {kept} already finished; backend {args.backend}, {workers} workers; "
        f"estimated {duration_text(sum(c.estimated_seconds() for c in pending) / workers)} -> {folder.path}",
        file=sys.stderr,
    )
    pool = _make_pool(args, folder, workers)
    progress = _GridProgress(folder, pool, workers)
    pool.on_change = progress
    flag = runner.StopFlag()
    done = threading.Event()
    with _stop_on_signals(flag) as caught:
        threading.Thread(target=progress.watch, args=(flag, done), daemon=True).start()
        try:
            table = pool.run()
        finally:
            done.set()
            if isinstance(pool, sweep.LocalPool):
                pool.registry.close_spare()
    if progress.tty:
        print(file=sys.stderr)
    print(tables.markdown(table, title=grid.name))
    for error in pool.errors:
        print(f"failed: {error}", file=sys.stderr)
    if isinstance(pool, sweep.LocalPool):
        print(
            f"the pool's own work (data, run folders, starting runs, results files): {pool.machinery_seconds:.1f} s",
            file=sys.stderr,
        )
    print(f"wrote {folder.path / sweep.RESULTS_FILE}, {sweep.TABLE_CSV} and {sweep.TABLE_MD}", file=sys.stderr)
    if flag.stopped:
        print(f"{flag.reason}: the same command resumes the grid (finished runs are kept)", file=sys.stderr)
        return caught.get("exit_code", 130)
    return 1 if pool.errors else 0


def _add_reproduce_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--grid", required=True, help=f"a built-in grid ({', '.join(grids.BUILTIN_GRIDS)}) or a .toml / .json file"
    )
    p.add_argument(
        "--out", required=True, help="the grid's folder (results.csv, table.csv, table.md); reused to resume"
    )
    p.add_argument("--workers", type=int, help="runs at once (default: one per CPU core; local Ray: its CPUs)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="local process pool (default) or Ray")
    p.add_argument("--ray-address", help="join this Ray cluster ('auto', 'ray://HOST:10001'); default: start one here")
    p.add_argument("--gpus-per-run", type=float, default=0.0, help="Ray: GPUs each run asks for (e.g. 0.25)")
    p.add_argument("--seconds", type=float, help="every run's budget in seconds (a quick smoke run of a grid)")


def cmd_record_lessons(args: argparse.Namespace) -> int:
    """Rebuild the lessons' recorded runs (mechsparse/recorded by default), printing each as it ends."""
    from mechsparse.teaching import lessons, recordings

    names = args.only or list(lessons.RECIPES)
    out = Path(args.out) if args.out else lessons.RECORDED_DIR
    print(f"recording {len(names)} lesson run(s) into {out} on {args.workers} worker(s)", flush=True)
    start = time.monotonic()

    def report(name: str, record: dict | None, error: str | None) -> None:
        took = duration_text(time.monotonic() - start)
        if error:
            print(f"  {name}: failed ({error}) [{took}]", flush=True)
            return
        s = record["summary"]
        scores = "  ".join(f"{k}={s[k]:.3f}" for k in ("mcc", "r_con") if s.get(k) is not None)
        shd = "  ".join(f"{k}={s[k]}" for k in ("shd_a", "shd_z") if s.get(k) is not None)
        print(f"  {name}: {scores}  {shd}  steps={s.get('steps')} [{took}]", flush=True)

    recordings.record_all(out, names, workers=args.workers, seed=args.seed, report=report)
    return 0


def _add_record_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="folder of the recordings (default: the package's mechsparse/recorded)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="record only these recipes (default: all)")
    p.add_argument("--workers", type=int, default=2, help="recordings trained at once (default 2)")
    p.add_argument("--seed", type=int, help="training seed of every recording (default: each recipe's own)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mechsparse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("theory", help="print the consistency pattern C, identified latents and twins")
    _add_graph_args(p)
    p.set_defaults(func=cmd_theory)

    p = sub.add_parser("generate", help="write a synthetic dataset (.npz) from a preset or your graphs")
    _add_generate_args(p)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("train", help="train the sparse VAE (or a baseline) on a preset or a dataset file")
    _add_train_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("reproduce", help="run a grid of runs (the paper's tables) on a local pool or on Ray")
    _add_reproduce_args(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("record-lessons", help="rebuild the small recorded runs the Lessons page replays")
    _add_record_args(p)
    p.set_defaults(func=cmd_record_lessons)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as exc:
        print(f"error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        print(f"error: {runner.one_line(exc)}", file=sys.stderr)
        return 1


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
