"""The ``cortexkit`` command.

Bad input prints one line, ``cortexkit: error: ...``, on stderr and exits with code 2;
``--debug`` shows the traceback instead. Long work shows a progress bar on a terminal and
stays quiet when piped or with ``--quiet``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cortexkit",
        description="The six classic deep-learning families behind one interface.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    parser.add_argument("--version", action="version", version=_version())
    # --debug and --quiet also work after the command (`cortexkit train ... --quiet`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    common.add_argument(
        "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress or chatter"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser(
        "train", parents=[common], formatter_class=_Help, help="train a model on a CSV table"
    )
    train.add_argument("family", choices=["ann", "perceptron"], help="what to train")
    train.add_argument("data", help="CSV file")
    train.add_argument("--target", required=True, help="the column to predict")
    train.add_argument("--task", choices=["classify", "regress"], help="default: guessed")
    train.add_argument("--drop", type=_names, default=[], help="columns to ignore, a,b,c")
    train.add_argument("--hidden", type=_int_list, default="64,32", help="units per hidden layer")
    train.add_argument("--activation", default="relu", help="of the hidden layers")
    train.add_argument("--gd", choices=["stochastic", "batch", "mini-batch"], default=None,
                       help="gradient-descent mode")  # fmt: skip
    train.add_argument("--batch-size", type=int, default=32, help="for mini-batch descent")
    train.add_argument("--epochs", type=int, default=200, help="at most (early stopping)")
    train.add_argument("--optimizer", default="adam", help="adam, adamw, sgd or rmsprop")
    train.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    train.add_argument("--weight-decay", type=float, default=3e-3, help="L2 penalty")
    train.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stop when the validation loss stalls; keep the best weights",
    )
    train.add_argument("--patience", type=int, default=10, help="epochs without improvement")
    train.add_argument(
        "--validation-fraction", type=float, default=0.1, help="held out for early stopping"
    )
    train.add_argument("--test-size", type=float, default=0.2,
                       help="share held out to report test metrics (0: train on all)")  # fmt: skip
    train.add_argument("--seed", type=int, default=0, help="same seed, same model")
    train.add_argument("--device", default="auto", help="auto, cpu or cuda")
    train.add_argument("--out", required=True, help="model file to write")

    predict = sub.add_parser(
        "predict", parents=[common], formatter_class=_Help, help="predict the rows of a CSV"
    )
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("--out", help="CSV file to write (default: stdout)")
    predict.add_argument("--device", help="override the saved device (auto, cpu, cuda)")

    evaluate = sub.add_parser(
        "evaluate", parents=[common], formatter_class=_Help, help="score a model on a labelled CSV"
    )
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--device", help="override the saved device (auto, cpu, cuda)")

    explain = sub.add_parser(
        "explain",
        parents=[common],
        formatter_class=_Help,
        help="forward pass, error, backprop, update, by number",
    )
    explain.add_argument("--layers", type=_int_list, default="3,4,1", help="units per layer")
    explain.add_argument("--activation", default="sigmoid", help="of every layer")
    explain.add_argument("--loss", default="mse", help="mse, mae, huber, bce or cross_entropy")
    explain.add_argument("--lr", type=float, default=0.5, help="learning rate")
    explain.add_argument("--steps", type=int, default=2, help="epochs in each mode")
    explain.add_argument("--seed", type=int, default=0, help="fixes the data and weights")
    explain.add_argument("--plot-activations", metavar="FILE.png",
                         help="draw the activation functions and their derivatives")  # fmt: skip

    demo = sub.add_parser(
        "demo",
        parents=[common],
        formatter_class=_Help,
        help="every family on embedded data; table + HTML report",
    )
    demo.add_argument("--quick", action="store_true", help="fewer epochs")
    demo.add_argument("--out", default="demo-output", help="folder for report.html")
    return parser


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default."""


def _version() -> str:
    from cortexkit._version import __version__

    return f"cortexkit {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return int(_COMMANDS[args.command](args) or 0)
    except KeyboardInterrupt:
        print("cortexkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`cortexkit predict ... | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug or not _is_user_error(exc):
            raise
        print(f"cortexkit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _is_user_error(exc: Exception) -> bool:
    from cortexkit.exceptions import CortexkitError

    return isinstance(exc, ValueError | TypeError | OSError | KeyError | CortexkitError)


def _one_line(exc: Exception) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__


# -- train ----------------------------------------------------------------------------------


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


def _cmd_train(args: argparse.Namespace) -> int:
    import time

    import pandas as pd

    from cortexkit.data import TableEncoder, read_table, split_target

    if not 0 <= args.test_size < 1:
        raise ValueError(f"--test-size must be in [0, 1); got {args.test_size}")
    df = read_table(args.data, drop=args.drop)
    X_df, y = split_target(df, args.target)
    task = args.task or _guess_task(y)
    y = _encode_target(y, task, args.target)
    est = _estimator(args, task)
    est._validate_params()  # bad options fail here, before any encoding or training
    X_tr, X_te, y_tr, y_te = _hold_out(X_df, y, task, args)
    encoder = TableEncoder().fit(X_tr)
    X_train = encoder.transform(X_tr)
    X_test = None if X_te is None else encoder.transform(X_te)  # bad rows fail before training
    _say(args, f"training {type(est).__name__} on {len(X_train)} rows x {X_train.shape[1]} "
               f"features ({task}, target {args.target!r})")  # fmt: skip
    t0 = time.perf_counter()
    est.fit(X_train, y_tr.to_numpy())
    seconds = time.perf_counter() - t0
    est.save(args.out, table=encoder.to_state(), target=args.target, task=task, drop=args.drop)
    summary = (
        f"trained in {seconds:.1f} s ({getattr(est, 'n_iter_', '?')} epochs); saved {args.out}"
    )
    stopped = getattr(est, "history_", {}).get("stopped")
    if stopped:
        summary += f"\n  {stopped}"
    print(summary, file=sys.stderr if args.quiet else sys.stdout)
    if X_test is not None and isinstance(y_te, pd.Series):
        metrics = _metrics(est, X_test, y_te.to_numpy(), task)
        print(f"held-out {args.test_size:.0%} ({len(X_test)} rows):")
        print(_format_metrics(metrics))
    return 0


def _encode_target(y: Any, task: str, name: str) -> Any:
    """Class labels: booleans and integers stay so, anything else becomes text.
    Regression targets must be numbers."""
    import numpy as np
    import pandas as pd

    if task == "classify":
        if pd.api.types.is_bool_dtype(y):
            return y
        return y.astype(np.int64) if _integral(y) else y.astype(str)
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise ValueError(
            f"--task regress needs a numeric target; column {name!r} holds "
            f"{y.dtype} values such as {y.iloc[0]!r} (use --task classify)"
        )
    return y.astype(np.float64)


def _hold_out(X: Any, y: Any, task: str, args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Split off ``--test-size`` of the rows (stratified for classes) to report on."""
    from sklearn.model_selection import train_test_split

    if not args.test_size:
        return X, None, y, None
    stratify = y if task == "classify" and y.value_counts().min() >= 2 else None
    try:
        return train_test_split(  # type: ignore[no-any-return]
            X, y, test_size=args.test_size, random_state=args.seed, stratify=stratify
        )
    except ValueError as exc:
        raise ValueError(
            f"--test-size {args.test_size} cannot split {len(X)} rows: {exc}"
        ) from None


def _integral(y: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(y) and (y == y.round()).all())


def _estimator(args: argparse.Namespace, task: str) -> Any:
    from cortexkit import ANNClassifier, ANNRegressor, Perceptron

    if args.family == "perceptron":
        if task != "classify":
            raise ValueError("the perceptron is a classifier; use --task classify or train ann")
        return Perceptron(epochs=args.epochs, random_state=args.seed)
    cls = ANNClassifier if task == "classify" else ANNRegressor
    return cls(
        hidden_layers=tuple(args.hidden),
        activation=args.activation,
        gradient_descent=args.gd,
        batch_size=args.batch_size,
        epochs=args.epochs,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        early_stopping=args.early_stopping,
        patience=args.patience,
        validation_fraction=args.validation_fraction if args.early_stopping else 0.0,
        random_state=args.seed,
        device=args.device,
        verbose=0 if args.quiet else 1,
    )


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


# -- predict / evaluate ---------------------------------------------------------------------


def _load_rows(
    model_path: str, data_path: str, device: str | None
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """The model, the table as read, its encoded features, and the model file's extra."""
    import numpy as np

    from cortexkit.data import TableEncoder, read_table
    from cortexkit.persist import read_model

    mf = read_model(model_path, device=device)
    extra = mf.extra
    if "table" in extra:
        encoder = TableEncoder.from_state(extra["table"])
        wanted = [*encoder.feature_names_in_, extra.get("target")]
        df = read_table(data_path, only=[c for c in wanted if c is not None])
        X = encoder.transform(df)
    else:
        df = read_table(data_path)
        target = extra.get("target")
        features = df.drop(columns=[target]) if target in df.columns else df
        X = features.to_numpy(dtype=np.float32)
    return mf.estimator, df, X, extra


def _cmd_predict(args: argparse.Namespace) -> int:
    import pandas as pd

    est, _, X, _ = _load_rows(args.model, args.data, args.device)
    out = pd.DataFrame({"prediction": est.predict(X)})
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        for i, label in enumerate(est.classes_):
            out[f"proba_{label}"] = proba[:, i]
    if args.out:
        from cortexkit.persist import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        _say(args, f"wrote {len(out)} predictions to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    est, df, X, extra = _load_rows(args.model, args.data, args.device)
    target = extra.get("target")
    if target is None or target not in df.columns:
        raise ValueError(f"{args.data!r} has no target column {target!r} to evaluate against")
    task = extra.get("task") or ("classify" if hasattr(est, "classes_") else "regress")
    y = df[target]
    if task == "classify":
        y = y.astype(str) if est.classes_.dtype.kind in "OUS" else y
    metrics = _metrics(est, X, y.to_numpy(), task)
    print(json.dumps(metrics, indent=2) if args.json else _format_metrics(metrics))
    return 0


def _metrics(est: Any, X: Any, y: Any, task: str) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics as m

    pred = est.predict(X)
    if task == "regress":
        return {
            "rmse": float(m.root_mean_squared_error(y, pred)),
            "mae": float(m.mean_absolute_error(y, pred)),
            "r2": float(m.r2_score(y, pred)),
        }
    labels = list(est.classes_)
    binary = len(labels) == 2
    out: dict[str, Any] = {
        "accuracy": float(m.accuracy_score(y, pred)),
        "balanced_accuracy": float(m.balanced_accuracy_score(y, pred)),
        "f1": float(
            m.f1_score(
                y,
                pred,
                average="binary" if binary else "macro",
                pos_label=labels[-1] if binary else 1,
            )
        ),
    }
    scores = est.predict_proba(X) if hasattr(est, "predict_proba") else est.decision_function(X)
    if np.isin(labels, np.unique(y)).all():
        if binary:
            positive = scores[:, 1] if scores.ndim == 2 else scores
            out["roc_auc"] = float(m.roc_auc_score(np.asarray(y) == labels[1], positive))
        else:  # one-vs-rest, macro: works for scores that are not probabilities too
            out["roc_auc"] = float(
                np.mean([m.roc_auc_score(np.asarray(y) == k, scores[:, i])
                         for i, k in enumerate(labels)])
            )  # fmt: skip
    out["labels"] = [str(v) for v in labels]
    out["confusion_matrix"] = m.confusion_matrix(y, pred, labels=labels).tolist()
    return out


def _format_metrics(metrics: dict[str, Any]) -> str:
    lines = [f"  {k:<18} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)]
    if "confusion_matrix" in metrics:
        labels = metrics["labels"]
        width = max(8, *(len(s) for s in labels))
        lines.append("  confusion matrix (rows: actual, columns: predicted)")
        lines.append("  " + " " * width + "".join(f"{s:>{width}}" for s in labels))
        for label, row in zip(labels, metrics["confusion_matrix"], strict=True):
            lines.append("  " + f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


# -- explain / demo -------------------------------------------------------------------------


def _cmd_explain(args: argparse.Namespace) -> int:
    from cortexkit.explain import explain

    if args.plot_activations:
        from cortexkit.plot import plot_activations

        plot_activations(args.plot_activations)
        _say(args, f"wrote {args.plot_activations}")
        return 0
    explain(
        layers=tuple(args.layers),
        activation=args.activation,
        loss=args.loss,
        learning_rate=args.lr,
        steps=args.steps,
        seed=args.seed,
    )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from cortexkit.demo import run_demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run_demo(args.out, quick=args.quick)
    return 0


_COMMANDS = {
    "train": _cmd_train,
    "predict": _cmd_predict,
    "evaluate": _cmd_evaluate,
    "explain": _cmd_explain,
    "demo": _cmd_demo,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
