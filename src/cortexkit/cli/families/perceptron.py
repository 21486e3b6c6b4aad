"""``cortexkit train perceptron``: Rosenblatt's threshold unit on a CSV table.

The flags the ANN has and the perceptron does not (hidden layers, optimiser, ...) are not
offered. Left unset, ``--epochs`` and ``--learning-rate`` keep the estimator's own defaults.
"""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import positive_int
from cortexkit.cli.families import TrainFamily


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The perceptron's own flags."""
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="at most; it stops at the first epoch without a mistake "
                             "(default: Perceptron's own)")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="learning rate (default: Perceptron's own)")  # fmt: skip


def build(args: argparse.Namespace, task: str) -> Any:
    """A ``Perceptron`` from the flags; refuses a continuous target."""
    from cortexkit.ann.perceptron import Perceptron

    if task != "classify":
        raise ValueError(
            f"the perceptron is a classifier and target {args.target!r} looks continuous; "
            "train ann for regression"
        )
    if args.device not in ("auto", "cpu"):
        raise ValueError(f"--device {args.device!r}: the perceptron runs on the CPU only")
    params: dict[str, Any] = {"random_state": args.random_state}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.learning_rate is not None:
        params["learning_rate"] = args.learning_rate
    return Perceptron(**params)


def run(args: argparse.Namespace) -> int:
    """Train on the table ``args.data``."""
    from cortexkit.cli.tables import train_table

    return train_table(args, build)


FAMILIES = (
    TrainFamily(
        "perceptron",
        "a single threshold unit (classes only)",
        add_arguments,
        run,
        checkpoints=False,  # the perceptron rule runs in one call, not through the loop
    ),
)
