"""``cortexkit train ann``: a dense network on a CSV table (classifier or regressor).

Every default comes from :data:`cortexkit.defaults.ANN` (and ``ANN_REGRESSOR`` for a
regression's weight decay), the objects the estimators read.
"""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit import defaults
from cortexkit.cli._args import int_list
from cortexkit.cli.families import TrainFamily


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ANN's own flags, with the estimators' defaults (read when the parser is built)."""
    ANN, ANN_REGRESSOR = defaults.ANN, defaults.ANN_REGRESSOR
    parser.add_argument("--task", choices=["classify", "regress"], help="default: guessed")
    parser.add_argument("--hidden-layers", type=int_list,
                        default=",".join(map(str, ANN.hidden_layers)),
                        help="units per hidden layer")  # fmt: skip
    parser.add_argument("--activation", default=ANN.activation, help="of the hidden layers")
    parser.add_argument("--gradient-descent", choices=["stochastic", "batch", "mini-batch"],
                        default=None,
                        help="gradient-descent mode (default: mini-batch)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=ANN.batch_size,
                        help="for mini-batch descent")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=ANN.epochs,
                        help="at most (early stopping)")  # fmt: skip
    parser.add_argument("--optimizer", default=ANN.optimizer, help="adam, adamw, sgd or rmsprop")
    parser.add_argument("--learning-rate", type=float, default=ANN.learning_rate,
                        help="learning rate")  # fmt: skip
    parser.add_argument("--weight-decay", type=float, default=None,
                        help=f"L2 penalty (default: {ANN.weight_decay} to classify, "
                             f"{ANN_REGRESSOR.weight_decay} to regress)")  # fmt: skip
    parser.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        default=ANN.early_stopping,
        help="stop when the validation loss stalls; keep the best weights",
    )
    parser.add_argument("--patience", type=int, default=ANN.patience,
                        help="epochs without improvement")  # fmt: skip
    parser.add_argument("--validation-fraction", type=float, default=ANN.validation_fraction,
                        help="held out for early stopping")  # fmt: skip


def build(args: argparse.Namespace, task: str) -> Any:
    """``ANNClassifier`` or ``ANNRegressor`` from the flags."""
    from cortexkit.ann.estimator import ANNClassifier, ANNRegressor
    from cortexkit.cli.tables import checkpoint_params

    cls = ANNClassifier if task == "classify" else ANNRegressor
    return cls(
        hidden_layers=tuple(args.hidden_layers),
        activation=args.activation,
        gradient_descent=args.gradient_descent,
        batch_size=args.batch_size,
        epochs=args.epochs,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        weight_decay=(
            args.weight_decay
            if args.weight_decay is not None
            else (defaults.ANN if task == "classify" else defaults.ANN_REGRESSOR).weight_decay
        ),
        early_stopping=args.early_stopping,
        patience=args.patience,
        validation_fraction=args.validation_fraction if args.early_stopping else 0.0,
        random_state=args.random_state,
        device=args.device,
        verbose=0 if args.quiet else 1,
        **checkpoint_params(cls, args),
    )


def run(args: argparse.Namespace) -> int:
    """Train on the table ``args.data``."""
    from cortexkit.cli.tables import train_table

    return train_table(args, build)


# the estimator parameters whose flag is not "--" plus the name with dashes

FAMILIES = (TrainFamily("ann", "a dense neural network on a CSV table", add_arguments, run),)
