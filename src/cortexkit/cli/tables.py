"""Training on a CSV table: read, hold out, encode, fit, save, report.

The families whose data is a table (``ann``, ``perceptron``) call :func:`train_table` with
a function that builds their estimator from the parsed flags and the task.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cortexkit.cli._args import held_out_split, say
from cortexkit.cli.metrics import format_metrics, metrics

__all__ = ["checkpoint_params", "train_table"]

EstimatorBuilder = Callable[[argparse.Namespace, str], Any]

# what a parameter's message says that a flag cannot take
_NOT_FLAGS = (" or a RandomState", " or a callable", " or a list", " or a tuple", " or None")


@contextmanager
def as_flags() -> Iterator[None]:
    """Re-word an estimator's parameter error for the command line: ``learning_rate must be
    ...`` becomes ``--learning-rate must be ...`` (every flag is its parameter's name with
    dashes), without the forms a flag cannot take."""
    try:
        yield
    except ValueError as exc:
        text = str(exc)
        name, sep, rest = text.partition(" must be ")
        if not sep or not name.isidentifier():
            raise
        expected, semicolon, got = rest.partition("; got ")
        for form in _NOT_FLAGS:
            expected = expected.replace(form, "")
        flag = "--" + name.replace("_", "-")
        raise ValueError(f"{flag} must be {expected}{semicolon}{got}") from None


def train_table(args: argparse.Namespace, build: EstimatorBuilder) -> int:
    """Train ``build(args, task)`` on the table ``args.data``, save it to ``args.out``.

    The task is ``args.task`` where the family has that flag, else guessed from the
    target. Bad options fail before the table is read, named by their flags.
    """
    import pandas as pd

    from cortexkit.data import TableEncoder, read_table, split_target
    from cortexkit.data.columns import (
        check_constant_columns,
        check_enough_rows,
        check_no_missing,
    )

    if not 0 <= args.test_size < 1:
        raise ValueError(f"--test-size must be in [0, 1); got {args.test_size}")
    if args.target in args.drop:
        raise ValueError(f"--target {args.target!r} is also listed in --drop: keep it, or pick "
                         "another target")  # fmt: skip
    with as_flags():  # the options, checked before the table is read
        build(args, getattr(args, "task", None) or "classify")._validate_params()
    df = read_table(args.data, drop=args.drop)
    X_df, y = split_target(df, args.target)
    for name in X_df.columns:  # counted in the whole file, before any split
        check_no_missing(X_df[name], name)
    check_enough_rows(X_df, repr(args.data))
    check_constant_columns(X_df, repr(args.data))
    task = getattr(args, "task", None) or _guess_task(y)
    y = _encode_target(y, task, args.target)
    if task == "classify":
        _check_classes(y, args)
    est = build(args, task)
    with as_flags():
        est._validate_params()  # the task's own options, before any encoding or training
    X_tr, X_te, y_tr, y_te = _hold_out(X_df, y, task, args)
    encoder = TableEncoder(max_categories=args.max_categories).fit(X_tr)
    X_train = encoder.transform(X_tr)
    X_test = None if X_te is None else encoder.transform(X_te)  # bad rows fail before training
    say(args, f"training {type(est).__name__} on {len(X_train)} rows x {X_train.shape[1]} "
              f"features ({task}, target {args.target!r})")  # fmt: skip
    t0 = time.perf_counter()
    est.fit(X_train, y_tr.to_numpy())
    seconds = time.perf_counter() - t0
    est.save(args.out, table=encoder.to_state(), target=args.target, task=task, drop=args.drop)
    summary = (
        f"trained in {seconds:.1f} s ({getattr(est, 'n_iter_', '?')} epochs); saved {args.out}"
    )
    history = getattr(est, "history_", {})
    for note in ("resumed", "stopped", "validation"):  # how the run went, when it says
        if history.get(note):
            summary += f"\n  {history[note]}"
    print(summary, file=sys.stderr if args.quiet else sys.stdout)
    if X_test is not None and isinstance(y_te, pd.Series):
        scores = metrics(est, X_test, y_te.to_numpy(), task)
        print(f"held-out {args.test_size:.0%} ({len(X_test)} rows):")
        print(format_metrics(scores))
    return 0


def checkpoint_params(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """``checkpoint=``, ``checkpoint_every=``, ``resume=`` for ``cls``, when ``--checkpoint``.

    Raises
    ------
    ValueError
        If ``--checkpoint`` is given and ``cls`` takes no ``checkpoint`` parameter.
    """
    if args.checkpoint is None:
        return {}
    import inspect

    if "checkpoint" not in inspect.signature(cls).parameters:
        raise ValueError(f"--checkpoint: {cls.__name__} cannot write checkpoints")
    return {
        "checkpoint": args.checkpoint,
        "checkpoint_every": args.checkpoint_every,
        "resume": args.resume,
    }


def _check_classes(y: Any, args: argparse.Namespace) -> None:
    """Refuse classes that could never be learned and judged, before any training."""
    counts = y.value_counts()
    if len(counts) < 2:
        raise ValueError(
            f"target {args.target!r} holds a single class ({_plain(counts.index[0])!r}): "
            "a classifier needs at least two"
        )
    if counts.max() == 1:
        raise ValueError(
            f"target {args.target!r} has a different value in each of its {len(y)} rows: "
            "no class has a second row to learn from or to judge the model on "
            "(an identifier? a continuous number? then train ann --task regress)"
        )
    singles = sorted(str(v) for v in counts.index[counts == 1])
    if singles and args.test_size:
        shown = singles[:10] + (["..."] if len(singles) > 10 else [])
        raise ValueError(
            f"target {args.target!r}: {len(singles)} of its {len(counts)} classes have a "
            f"single row ({shown}); --test-size {args.test_size} cannot hold out a row of "
            "each class and still train on it: drop those rows, or use --test-size 0"
        )


def _guess_task(y: Any) -> str:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classify"
    values = y.dropna()
    integral = bool((values == values.round()).all())
    return (
        "classify"
        if integral and values.nunique() <= max(2, min(20, len(values) // 20))
        else "regress"
    )


def _encode_target(y: Any, task: str, name: str) -> Any:
    """Class labels: booleans and integers stay so, anything else becomes text.
    Regression targets must be finite numbers within float32's range."""
    import numpy as np
    import pandas as pd

    from cortexkit.data import regression_target

    if task == "classify":
        if pd.api.types.is_bool_dtype(y):
            return y
        return y.astype(np.int64) if _integral(y) else y.astype(str)
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise ValueError(
            f"--task regress needs a numeric target; column {name!r} holds "
            f"{y.dtype} values such as {y.iloc[0]!r} (use --task classify)"
        )
    return regression_target(y, name)


def _hold_out(X: Any, y: Any, task: str, args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Split off ``--test-size`` of the rows (stratified for classes) to report on."""
    if not args.test_size:
        return X, None, y, None
    stratify = task == "classify" and y.value_counts().min() >= 2
    return held_out_split(X, y, test_size=args.test_size, random_state=args.random_state,
                          stratify=stratify, what=f"{len(X)} rows")  # fmt: skip


def _integral(y: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(y) and (y == y.round()).all())


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (``1``, not ``np.int64(1)``)."""
    return value.item() if hasattr(value, "item") else value
