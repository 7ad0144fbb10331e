"""`python -m mechsparse theory`: the consistency pattern C, the verdict, identified latents and twins of a pair of
graphs, printed as the Theory page shows them. numpy only: no torch, scipy or pandas is imported."""

from __future__ import annotations

import argparse

import numpy as np

from mechsparse.cli.common import add_graph_args, spec_from_args
from mechsparse.theory import graphs, identifiability


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_graph_args(p)


def matrix_text(m: np.ndarray, prefix: str = "z") -> str:
    """A 0/1 matrix as text: a header of column names (prefix1, prefix2, ...), then one row per true latent."""
    header = "     " + " ".join(f"{prefix}{j + 1:<3d}" for j in range(m.shape[1]))
    rows = [f"z{i + 1:<3d} " + " ".join(f"{int(v):<4d}" for v in row) for i, row in enumerate(m)]
    return "\n".join([header, *rows])


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    report = identifiability.analyse(spec.ga, spec.gz)
    print(f"graphs: {graphs.encode(spec)}   (dz={spec.dz}, da={spec.da})")
    print("consistency pattern C (row i: the learned latents ẑj that true zi may mix with; an upper bound):")
    print(matrix_text(report.pattern.astype(int), identifiability.HAT))
    print(f"verdict: {report.verdict}")
    ident = ", ".join(f"z{i + 1}" for i in report.identified) or "none"
    print(f"identified: {ident}")
    twins = [cls for cls in report.twins if len(cls) > 1]
    print("twins: " + ("; ".join("{" + ", ".join(f"z{i + 1}" for i in c) + "}" for c in twins) or "none"))
    print("why:")
    for reason in report.reasons:
        print(f"  - {reason}")
    return 0
