"""``cortexkit demo``: every family on embedded data; a table and an HTML report."""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import Help
from cortexkit.cli._paths import check_output_folder

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``demo``."""
    demo = sub.add_parser(
        "demo",
        parents=[common],
        formatter_class=Help,
        help="every family on embedded data; table + HTML report",
    )
    demo.add_argument("--quick", action="store_true", help="fewer epochs")
    demo.add_argument("--out", default="demo-output", help="folder for report.html")
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run :func:`cortexkit.demo.run_demo`; its warnings reach the user."""
    from cortexkit import demo

    check_output_folder(args.out, "--out")
    demo.run_demo(args.out, quick=args.quick)
    return 0
