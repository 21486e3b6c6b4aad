"""The command-line reference, ``docs/cli.md``, generated from the parser itself.

``python -m cortexkit.cli.reference > docs/cli.md`` (``make docs``) rewrites it;
``tests/test_cli_reference.py`` fails when the file no longer matches the parser. Every
command and subcommand gets a section with its ``--help`` text, rendered at a fixed width
of 100 columns so that the file does not depend on the terminal it was made in.

Examples
--------
>>> from cortexkit.cli.reference import render_reference
>>> "## cortexkit train ann" in render_reference()
True
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["WIDTH", "render_reference"]

WIDTH = 100
"""The column width the help texts are wrapped at."""

HEADER = """\
# Command-line reference

Generated from the parser by `python -m cortexkit.cli.reference > docs/cli.md` (`make docs`);
`tests/test_cli_reference.py` fails when it is stale. Every command prints the same text with
`--help`. Bad input prints one line on stderr and exits with code 2; `--debug` shows the
traceback instead.
"""


@contextmanager
def _columns(width: int) -> Iterator[None]:
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse keeps its subparsers nowhere public
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.items())
    return []


def _sections(parser: argparse.ArgumentParser, path: str) -> Iterator[str]:
    level = "#" * min(2 + path.count(" ") - 1, 4) if " " in path else "##"
    yield f"{level} {path}\n\n```\n{parser.format_help().rstrip()}\n```\n"
    seen: set[int] = set()
    for name, child in _subcommands(parser):
        if id(child) in seen:  # an alias names the same parser twice
            continue
        seen.add(id(child))
        yield from _sections(child, f"{path} {name}")


def render_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """``docs/cli.md``: a section per command, each with its help text."""
    from cortexkit.cli import build_parser

    with _columns(WIDTH):
        root = parser if parser is not None else build_parser()
        body = "\n".join(_sections(root, root.prog))
    return f"{HEADER}\n{body}"


if __name__ == "__main__":
    print(render_reference(), end="")
