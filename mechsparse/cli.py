"""Command line: `python -m mechsparse theory|generate|train ...` (contract in DESIGN.md).

Bad input exits with status 2 and one line on stderr naming the problem; never a traceback.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from mechsparse import graphs, theory


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
    report = theory.analyse(spec.ga, spec.gz)
    print(f"graphs: {graphs.encode(spec)}   (dz={spec.dz}, da={spec.da})")
    print("consistency pattern C (row i: learned latents that true z_i may depend on):")
    print(_matrix_text(report.pattern.astype(int)))
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
    p.add_argument("--ga", help="action graph rows, e.g. 110,011 (row i: actions driving z_i)")
    p.add_argument("--gz", help="temporal graph rows, e.g. 10,11 (row i: past latents driving z_i)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mechsparse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("theory", help="print the consistency pattern C, identified latents and twins")
    _add_graph_args(p)
    p.set_defaults(func=cmd_theory)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
