"""The ``cortexkit`` command.

Bad input prints one line, ``cortexkit: error: ...``, on stderr and exits with code 2;
``--debug`` shows the traceback instead. Long work shows a progress bar on a terminal and
stays quiet when piped or with ``--quiet``.

One module per command group: :mod:`~cortexkit.cli.train` (``train FAMILY``, one module per
family in :mod:`~cortexkit.cli.families`), :mod:`~cortexkit.cli.predict` (``predict`` and
``evaluate``), :mod:`~cortexkit.cli.explain` and :mod:`~cortexkit.cli.demo`. Each adds its
parser and sets ``run``, the function that carries the command out. Building the parser
imports nothing heavy: torch and friends load when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cortexkit.cli import demo, explain, predict, train
from cortexkit.cli._args import EXIT_BAD_INPUT, CliParser, flags_parent

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole ``cortexkit`` parser, every command and family included."""
    parser = CliParser(
        prog="cortexkit",
        description="The six classic deep-learning families behind one interface.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    parser.add_argument("--version", action="version", version=_version())
    common = flags_parent()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train.add_parser(sub, common)
    predict.add_parsers(sub, common)
    explain.add_parser(sub, common)
    demo.add_parser(sub, common)
    return parser


def _version() -> str:
    from cortexkit._version import __version__

    return f"cortexkit {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("cortexkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`cortexkit predict ... | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug or not _is_user_error(exc):
            raise
        print(f"cortexkit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _is_user_error(exc: Exception) -> bool:
    from cortexkit.exceptions import CortexkitError

    return isinstance(exc, ValueError | TypeError | OSError | KeyError | CortexkitError)


def _one_line(exc: Exception) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__
