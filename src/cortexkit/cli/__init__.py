"""The ``cortexkit`` command.

Bad input prints one line, ``cortexkit: error: ...``, on stderr and exits with code 2
(argparse's own errors too, with a hint to the command's ``--help``); ``--debug`` shows the
traceback instead. A warning is one line, ``cortexkit: warning: ...``. Ctrl-C exits with
130 and SIGTERM with 143, both after the file being saved is cleaned up. Long work shows a
progress bar on a terminal and stays quiet when piped or with ``--quiet``.

One module per command group: :mod:`~cortexkit.cli.train` (``train FAMILY``, one module per
family in :mod:`~cortexkit.cli.families`), :mod:`~cortexkit.cli.predict` (``predict`` and
``evaluate``), :mod:`~cortexkit.cli.explain`, :mod:`~cortexkit.cli.demo` and
:mod:`~cortexkit.cli.report`. Each adds its parser and sets ``run``, the function that
carries the command out. Building the parser imports nothing heavy: torch and friends load
when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from cortexkit.cli import (
    demo,
    explain,
    explain_cnn,
    export,
    forecast,
    predict,
    recommend,
    som,
    train,
)
from cortexkit.cli import report as report_command
from cortexkit.cli._args import EXIT_BAD_INPUT, CliParser, flags_parent

__all__ = ["Captured", "build_parser", "main", "run_captured"]


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
    explain_cnn.add_parser(explain.add_parser(sub, common), common)
    demo.add_parser(sub, common)
    report_command.add_parser(sub, common)
    som.add_parser(sub, common)
    recommend.add_parser(sub, common)
    forecast.add_parser(sub, common)
    export.add_parser(sub, common)
    return parser


def _version() -> str:
    from cortexkit._version import __version__

    return f"cortexkit {__version__}"


EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so that half-written files are removed."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        with _plain_warnings(), _sigterm_raises():
            return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("cortexkit: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("cortexkit: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:  # the reader went away (`cortexkit predict ... | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug or not _is_user_error(exc):
            raise
        print(f"cortexkit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


@contextmanager
def _plain_warnings() -> Iterator[None]:
    """Warnings as ``cortexkit: warning: MESSAGE``: no source path, line or code line.

    ``formatwarning`` is replaced rather than ``showwarning``, so that callers recording
    warnings (``warnings.catch_warnings(record=True)``, ``pytest.warns``) still get them.
    """
    saved = warnings.formatwarning

    def one_line(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        return f"cortexkit: warning: {' '.join(str(message).split())}\n"

    warnings.formatwarning = one_line
    try:
        yield
    finally:
        warnings.formatwarning = saved


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """For the command's duration, SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    saved = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved)


def _is_user_error(exc: Exception) -> bool:
    from cortexkit.exceptions import CortexkitError

    return isinstance(exc, ValueError | TypeError | OSError | KeyError | CortexkitError)


def _one_line(exc: Exception) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__


@dataclass
class Captured:
    """What a command printed, and its exit code."""

    code: int
    out: str
    err: str


def run_captured(*argv: str) -> Captured:
    """Run ``cortexkit ARGV...`` in this process with its output captured (a notebook, a
    test); argparse's exits become the exit code.

    Examples
    --------
    >>> from cortexkit.cli import run_captured
    >>> result = run_captured("train", "ann")
    >>> result.code, result.err.splitlines()[0][:38]
    (2, 'cortexkit: error: the following argume')
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Captured(code, out.getvalue(), err.getvalue())
