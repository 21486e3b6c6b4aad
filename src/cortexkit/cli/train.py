"""``cortexkit train FAMILY DATA ... --out MODEL``: one subcommand per model family.

The families come from :mod:`cortexkit.cli.families` (one module each, found by scanning
that package); this module gives each one a subparser built on :func:`shared_parent`.
"""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import Help, names, positive_int, say
from cortexkit.cli._paths import MODEL_FILE, check_output_file
from cortexkit.cli.families import discover
from cortexkit.defaults import MAX_CATEGORIES

__all__ = [
    "add_checkpoint_flags",
    "add_parser",
    "check_checkpoint",
    "max_categories",
    "run_family",
    "shared_parent",
]


def shared_parent(
    common: argparse.ArgumentParser, *, checkpoints: bool = True, table: bool = True
) -> argparse.ArgumentParser:
    """The flags every ``train FAMILY`` takes, whatever it trains: the table flags where its
    data is a supervised ``table``, the checkpoint flags where it ``checkpoints``."""
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    if table:
        shared.add_argument("data", help="the training data (a CSV file)")
        shared.add_argument("--target", required=True, help="the column to predict")
        shared.add_argument("--drop", type=names, default=[], help="columns to ignore, a,b,c")
        shared.add_argument("--max-categories", type=max_categories, default=MAX_CATEGORIES,
                            metavar="N", help="one-hot columns per text column, the rarest "
                            "values sharing one '<other>' column ('none': no cap)")  # fmt: skip
        shared.add_argument("--test-size", type=float, default=0.2,
                            help="share held out for the test metrics (0: none)")  # fmt: skip
    else:
        shared.add_argument("data", help="the training data")
    shared.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="same seed, same model"
    )
    shared.add_argument("--device", default="auto", help="auto, cpu or cuda")
    shared.add_argument("--out", required=True, help="model file to write")
    shared.add_argument("--nproc", type=positive_int, default=1, metavar="N",
                        help="train data-parallel in N processes on this machine (torchrun; "
                        "gloo on the CPU, NCCL on GPUs)")  # fmt: skip
    if checkpoints:
        add_checkpoint_flags(shared)
    return shared


def add_checkpoint_flags(parser: argparse.ArgumentParser) -> None:
    """``--checkpoint PATH``, ``--checkpoint-every N`` and ``--resume``; a command that adds
    them calls :func:`check_checkpoint` before any work."""
    parser.add_argument("--checkpoint", metavar="PATH", help="save training state here")
    parser.add_argument("--checkpoint-every", type=positive_int, default=1, metavar="N",
                        help="epochs between checkpoints")  # fmt: skip
    parser.add_argument("--resume", action="store_true",
                        help="continue from --checkpoint")  # fmt: skip


def check_checkpoint(args: argparse.Namespace, inputs: dict[str, str]) -> None:
    """Refuse ``--resume`` without ``--checkpoint``, a checkpoint path that would
    overwrite one of ``inputs`` (description -> path) or ``--out``, and an existing file
    there that is not a cortexkit checkpoint (a model file, say); say whether ``--resume``
    continues or starts."""
    checkpoint = getattr(args, "checkpoint", None)
    if getattr(args, "resume", False) and checkpoint is None:
        raise ValueError("--resume needs --checkpoint PATH, the checkpoint to continue from")
    if checkpoint is None:
        return
    check_output_file(checkpoint, "--checkpoint", inputs={**inputs, "the --out model": args.out})
    _check_is_checkpoint(checkpoint)
    if getattr(args, "resume", False):  # a rerun of the same command line continues
        from pathlib import Path

        if Path(checkpoint).exists():
            say(args, f"--resume: continuing from the checkpoint {checkpoint}")
        else:  # said even with --quiet: a mistyped path would silently start over
            import sys

            print(f"--resume: no checkpoint at {checkpoint} yet; training from the start",
                  file=sys.stderr)  # fmt: skip


def _check_is_checkpoint(path: str) -> None:
    """Refuse an existing file at ``path`` that a checkpoint would overwrite but that is
    not one: a model file, data, anything else."""
    from pathlib import Path

    from cortexkit.io.envelope import envelope_format
    from cortexkit.model_file import FORMAT
    from cortexkit.train.checkpoint import CHECKPOINT_FORMAT

    if not Path(path).is_file():
        return
    found = envelope_format(path)
    if found == CHECKPOINT_FORMAT:
        return
    what = "is a cortexkit model file," if found == FORMAT else "exists and is"
    raise ValueError(
        f"--checkpoint {path!r} {what} not a cortexkit checkpoint, and training would "
        "overwrite it: name another --checkpoint path (or delete the file)"
    )


def max_categories(text: str) -> int | None:
    """``"50"`` -> 50 (at least 2); ``"none"`` -> None, no cap."""
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2 or 'none', got {text!r}")
    return value


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``train`` and one ``train FAMILY`` subparser per discovered family."""
    train = sub.add_parser("train", parents=[common], formatter_class=Help, help="train a model")
    families = train.add_subparsers(dest="family", required=True, metavar="FAMILY")
    parents = {
        (ck, table): shared_parent(common, checkpoints=ck, table=table)
        for ck in (True, False)
        for table in (True, False)
    }
    for family in discover().values():
        parser = families.add_parser(
            family.name,
            parents=[parents[family.checkpoints, family.table]],
            formatter_class=Help,
            help=family.help,
        )
        family.add_arguments(parser)
        parser.set_defaults(run=run_family, train_family=family.run)


def run_family(args: argparse.Namespace) -> int:
    """Check what every family shares, then hand over to the family (``args.train_family``)."""
    from cortexkit.cli.parallel import launch, quiet_unless_rank_zero, under_torchrun, worker

    quiet_unless_rank_zero(args)
    check_output_file(args.out, "--out", inputs={"the training data": args.data},
                      replaces=MODEL_FILE)  # fmt: skip
    check_checkpoint(args, {"the training data": args.data})
    if args.nproc > 1 and not under_torchrun():
        return launch(args)
    with worker(args):
        return int(args.train_family(args))
