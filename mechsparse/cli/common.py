"""What several sub-commands share: the graph arguments (--preset, --ga, --gz), the one-line text of an error, a
progress bar, and clean stops on SIGINT / SIGTERM. Light on purpose (numpy only), so `theory` starts fast."""

from __future__ import annotations

import argparse
import contextlib
import signal
from collections.abc import Iterator
from typing import Protocol

from mechsparse.theory import graphs

# the shell's exit code for each signal that stops a run cleanly (saved, resumable)
SIGNAL_STOPS = {signal.SIGINT: ("interrupted (SIGINT)", 130), signal.SIGTERM: ("terminated (SIGTERM)", 143)}


class Stoppable(Protocol):
    """What a signal stops: a run's or a grid's stop flag (mechsparse.runs.runner.StopFlag)."""

    def stop(self, reason: str) -> None: ...


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def bar(fraction: float, width: int = 24) -> str:
    """A text progress bar, e.g. '[######..................]'."""
    filled = int(fraction * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def add_graph_args(p: argparse.ArgumentParser) -> None:
    """--preset, --ga and --gz: the graphs of `theory` and `generate`."""
    p.add_argument("--preset", choices=list(graphs.PRESETS), help="a named preset graph")
    p.add_argument("--ga", help="action graph rows, e.g. 110.011 as in links (row i: actions driving z_i)")
    p.add_argument("--gz", help="temporal graph rows, e.g. 10.11 (row i: past latents driving z_i)")


def spec_from_args(args: argparse.Namespace) -> graphs.GraphSpec:
    """The graphs the arguments name: a preset, or rows for Ga and/or Gz; a one-line ValueError otherwise."""
    if getattr(args, "preset", None):
        if args.ga or args.gz:
            raise ValueError("give either --preset or --ga/--gz, not both")
        return graphs.preset(args.preset)
    if not (args.ga or args.gz):
        raise ValueError("give --preset NAME or --ga ROWS and/or --gz ROWS")
    ga = graphs.parse_rows(args.ga, "Ga") if args.ga else None
    gz = graphs.parse_rows(args.gz, "Gz") if args.gz else None
    return graphs.GraphSpec(ga=ga, gz=gz)


@contextlib.contextmanager
def stop_on_signals(flag: Stoppable) -> Iterator[dict[str, int]]:
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
