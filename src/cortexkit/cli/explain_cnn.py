"""``cortexkit explain cnn [IMAGE] [--model MODEL]``: one image through a CNN, step by step."""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import Help

__all__ = ["add_parser"]


def add_parser(explain_commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``explain cnn`` under ``explain``'s subcommands."""
    cnn = explain_commands.add_parser(
        "cnn",
        parents=[common],
        formatter_class=Help,
        help="one image through a convolutional network: filters, ReLU, pooling, dense",
    )
    cnn.add_argument("image", nargs="?", help="an image file (default: a digit)")
    cnn.add_argument("--model", help="a CNN model file (default: a small one trained on digits)")
    cnn.add_argument("--plot", metavar="FILE.png", default="cnn-explained.png",
                     help="the figure of the feature maps")  # fmt: skip
    cnn.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the steps and write the figure."""
    from cortexkit.cli._paths import check_output_file
    from cortexkit.explain.cnn import explain_cnn

    check_output_file(
        args.plot, "--plot", inputs={"the image": args.image, "the model": args.model}
    )
    explain_cnn(args.image, args.model, plot=args.plot)
    return 0
