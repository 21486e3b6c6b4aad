"""``cortexkit explain``: a small network's forward pass, error, backprop and update."""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import Help, int_list, say

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> Any:
    """Add ``explain``; returns its subcommands (``explain cnn`` is added there)."""
    explain = sub.add_parser(
        "explain",
        parents=[common],
        formatter_class=Help,
        help="forward pass, error, backprop, update, by number",
    )
    explain.add_argument("--layers", type=int_list, default="3,4,1", help="units per layer")
    explain.add_argument("--activation", default="sigmoid", help="of every layer")
    explain.add_argument("--loss", default="mse", help="mse, mae, huber, bce or cross_entropy")
    explain.add_argument("--learning-rate", type=float, default=0.5, help="of every update")
    explain.add_argument("--steps", type=int, default=2, help="epochs in each mode")
    explain.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="fixes the data and weights"
    )
    explain.add_argument("--plot-activations", metavar="FILE.png",
                         help="draw the activation functions and their derivatives")  # fmt: skip
    explain.set_defaults(run=run)
    return explain.add_subparsers(dest="explain_what", metavar="{cnn}", required=False)


def run(args: argparse.Namespace) -> int:
    """Print the walk-through, or draw the activation functions."""
    from cortexkit.explain import explain

    if args.plot_activations:
        from cortexkit.plot import plot_activations

        plot_activations(args.plot_activations)
        say(args, f"wrote {args.plot_activations}")
        return 0
    explain(
        layers=tuple(args.layers),
        activation=args.activation,
        loss=args.loss,
        learning_rate=args.learning_rate,
        steps=args.steps,
        random_state=args.random_state,
    )
    return 0
