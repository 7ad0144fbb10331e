"""Command line: `python -m mechsparse theory|generate|train|reproduce|record-lessons ...` (contract in docs/design.md).

Exit codes: 0 done; 2 bad input (a usage error, a bad value or input file), with one line on stderr naming the
problem; 1 an error of the environment (an OSError writing output: disk full, permission denied) or of the run,
also one line; 130 / 143 a run stopped by SIGINT / SIGTERM. Never a traceback.

Only the chosen sub-command's module is imported, with the libraries it needs: `theory` imports no torch, scipy
or pandas.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

import mechsparse
from mechsparse.cli.common import first_line

# sub-command -> (its module, which defines add_arguments(parser) and run(args) -> exit code; its one-line help)
COMMANDS = {
    "theory": ("mechsparse.cli.theory", "print the consistency pattern C, identified latents and twins"),
    "generate": ("mechsparse.cli.generate", "write a synthetic dataset (.npz) from a preset or your graphs"),
    "train": ("mechsparse.cli.train", "train the sparse VAE (or a baseline) on a preset or a dataset file"),
    "reproduce": ("mechsparse.cli.reproduce", "run a grid of runs (the paper's tables) on a local pool or on Ray"),
    "record-lessons": ("mechsparse.cli.record_lessons", "rebuild the small recorded runs the Lessons page replays"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command argv names: its first word that is not an option (the top level's options take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the sub-command it names gets its arguments (and imports its module), so
    `theory` never imports what `train` needs. Without, every sub-command is complete (for help and tests)."""
    parser = _Parser(prog="python -m mechsparse", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mechsparse {mechsparse.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    wanted = chosen_command(argv) if argv is not None else None
    for command, (module_name, help_line) in COMMANDS.items():
        p = sub.add_parser(command, help=help_line, description=help_line)
        if argv is None or command == wanted:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(func=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`... | head`): nothing is left to say to it
        with contextlib.suppress(OSError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141
    except OSError as exc:  # the environment, not the input: disk full, permission denied, a file in the way
        print(f"error: {first_line(exc)}", file=sys.stderr)
        return 1
    except ValueError as exc:  # bad input, already said in one line
        print(f"error: {first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        lines = str(exc).strip().splitlines()
        print(f"error: {type(exc).__name__}" + (f": {lines[0]}" if lines else ""), file=sys.stderr)
        return 1
