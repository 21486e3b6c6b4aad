"""``cortexkit som DATA --grid RxC [--plot FILE] [--outliers K] --out MODEL``.

The same command as ``cortexkit train som`` under a shorter name: the flags and the work
are those of :mod:`cortexkit.cli.families.som`, and the checks every ``train FAMILY``
shares run first (:func:`cortexkit.cli.train.shared_parent`).
"""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli import train
from cortexkit.cli._args import Help
from cortexkit.cli.families import som

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``som``: ``train som``'s parser as a command of its own."""
    family = som.FAMILIES[0]
    parser = sub.add_parser(
        "som",
        parents=[train.shared_parent(common, checkpoints=family.checkpoints, table=family.table)],
        formatter_class=Help,
        help=family.help,
    )
    family.add_arguments(parser)
    parser.set_defaults(run=train.run_family, train_family=family.run)
