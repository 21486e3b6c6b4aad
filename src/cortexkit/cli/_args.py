"""What every command's parser shares: one-line errors, defaults in the help, value types.

Nothing here imports torch, NumPy, pandas or scikit-learn: building the whole parser
must stay cheap, so that ``cortexkit --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_BAD_INPUT = 2


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line plus a hint, not the usage.

    Subparsers inherit the class (argparse builds them with ``type(parent)``), so every
    command and family reports its errors the same way:
    ``cortexkit: error: ... (see 'cortexkit train ann --help')``, exit code 2.
    """

    def error(self, message: str) -> NoReturn:
        self._fail(message, self.prog)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        ns, extras = super().parse_known_args(args, namespace)
        if not hasattr(ns, "_cli_prog"):  # the innermost (sub)command parsed sets it first
            ns._cli_prog = self.prog
        # the whole command line (the outermost parser returns last): what --nproc reruns
        ns._cli_argv = list(sys.argv[1:] if args is None else args)
        return ns, extras

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        ns, extras = self.parse_known_args(args, namespace)
        if extras:  # point at the subcommand whose flags these are not
            self._fail(f"unrecognized arguments: {' '.join(extras)}", ns._cli_prog)
        return ns

    @staticmethod
    def _fail(message: str, prog: str) -> NoReturn:
        text = " ".join(message.split())
        sys.stderr.write(f"cortexkit: error: {text} (see '{prog} --help')\n")
        raise SystemExit(EXIT_BAD_INPUT)


class Help(argparse.HelpFormatter):
    """Shows each option's default, where it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if text is None or "%(default)" in text or action.required:
            return text
        default = action.default
        if default is None or default is argparse.SUPPRESS or default is False or default == []:
            return text
        return f"{text} (default: %(default)s)"


def int_list(text: str) -> list[int]:
    """``"64,32"`` -> ``[64, 32]``; positive integers only."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def names(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``."""
    return [v.strip() for v in text.split(",") if v.strip()]


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def weight_or_auto(text: str) -> str | float:
    """``"auto"``, or a number in [0, 1]."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a number in [0, 1], got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number in [0, 1], got {text!r}")
    return value


def flags_parent() -> argparse.ArgumentParser:
    """``--debug`` and ``--quiet`` after the command too (``cortexkit train ... --quiet``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    common.add_argument(
        "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress or chatter"
    )
    return common


def say(args: argparse.Namespace, text: str) -> None:
    """Chatter on stderr, unless ``--quiet``."""
    if not args.quiet:
        print(text, file=sys.stderr)


def a_or_an(name: str) -> str:
    """``"an AutoRecRecommender"``, ``"a SelfOrganizingMap"``: the article by the first
    letter's sound (a vowel letter, or an initialism read letter by letter: an RBM)."""
    vowel = name[:1].upper() in "AEIOU" or (name[:2].isupper() and name[:1] in "FHLMNRSX")
    return f"{'an' if vowel else 'a'} {name}"


def count(n: int, noun: str) -> str:
    """``"1 epoch"``, ``"3 epochs"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def held_out_split(
    X: Any, y: Any, *, test_size: float, random_state: Any, stratify: bool, what: str
) -> tuple[Any, Any, Any, Any]:
    """``X_train, X_test, y_train, y_test``: ``--test-size`` of ``what`` held out (stratified
    by ``y`` when ``stratify``), or a one-line error naming the flag."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(  # type: ignore[no-any-return]
            X, y, test_size=test_size, random_state=random_state, stratify=y if stratify else None
        )
    except ValueError as exc:
        raise ValueError(f"--test-size {test_size} cannot split {what}: {exc}") from None
