"""``cortexkit predict MODEL DATA`` and ``cortexkit evaluate MODEL DATA``.

The dense families' models read a CSV table here. A family whose models read something
else (images, a series) or answer something else (hidden features, anomaly scores) hands
``predict`` and ``evaluate`` its own functions and flags through its
:class:`~cortexkit.cli.families.TrainFamily` (``models``, ``predict``, ``evaluate``,
``predict_arguments``, ``evaluate_arguments``): the model file's class picks the handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cortexkit.cli._args import Help, a_or_an, say
from cortexkit.cli._paths import check_output_file
from cortexkit.cli.families import discover, handler
from cortexkit.cli.metrics import align_labels, format_metrics, metrics

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``predict`` and ``evaluate``."""
    predict = sub.add_parser(
        "predict", parents=[common], formatter_class=Help, help="predict the rows of a CSV"
    )
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("--out", help="CSV file to write (default: stdout)")
    predict.add_argument("--device", help="override the saved device (auto, cpu, cuda)")
    predict.set_defaults(run=run_predict)
    for family in discover().values():
        if family.predict_arguments is not None:
            family.predict_arguments(predict)

    evaluate = sub.add_parser(
        "evaluate", parents=[common], formatter_class=Help, help="score a model on a labelled CSV"
    )
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--target", metavar="COL",
                          help="the column to score against (default: the one the model was "
                               "trained on; needed for a model saved from Python)")  # fmt: skip
    evaluate.add_argument("--device", help="override the saved device (auto, cpu, cuda)")
    evaluate.set_defaults(run=run_evaluate)
    for family in discover().values():
        if family.evaluate_arguments is not None:
            family.evaluate_arguments(evaluate)


def _family_handler(args: argparse.Namespace, command: str) -> int | None:
    """Run the family's own ``predict``/``evaluate`` when the model file's class has one;
    None when the model reads a table here."""
    from cortexkit.persist import read_model
    from cortexkit.recommend.base import RecommenderMixin

    mf = read_model(args.model, device=args.device)
    name = type(mf.estimator).__name__
    if isinstance(mf.estimator, RecommenderMixin):
        other = "top MODEL --user U" if command == "predict" else "evaluate MODEL TEST"
        raise ValueError(
            f"{args.model!r} holds {a_or_an(name)}, a recommender: use 'cortexkit recommend "
            f"{other}', not 'cortexkit {command}'"
        )
    found = handler(name, command)
    if found is None and any(name in family.models for family in discover().values()):
        raise ValueError(
            f"{args.model!r} holds {a_or_an(name)}, which 'cortexkit {command}' does not take "
            "(an unsupervised model has no labels to score: 'cortexkit predict' writes "
            "its outputs)"
        )
    return None if found is None else int(found(args, mf))


def _load_rows(
    model_path: str,
    data_path: str,
    device: str | None,
    *,
    with_target: bool,
    target_name: str | None = None,
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """The model, the table as read, its encoded features, and the model file's extra.

    Each column is read as it was in training (the encoder's saved column types), and the
    target only ``with_target``: predict neither needs nor parses it. A model saved
    without an encoder gets its columns by name (``feature_names_in_``) where it has
    names, by position otherwise. ``target_name`` names the target column where the model
    file does not (a model fitted and saved in Python), or overrides it.
    """
    from cortexkit.data import TableEncoder, feature_matrix, read_table
    from cortexkit.persist import read_model

    mf = read_model(model_path, device=device)
    est, extra = mf.estimator, dict(mf.extra)
    if target_name is not None:
        extra["target"] = target_name
    target = extra.get("target") if with_target else None
    kind = None if target is None else _target_type(est, extra)
    targets = {} if target is None or kind is None else {target: kind}
    wanted = [] if target is None else [target]
    if "table" in extra:
        encoder = TableEncoder.from_state(extra["table"])
        df = read_table(
            data_path,
            only=[*encoder.feature_names_in_, *wanted],
            column_types={**encoder.column_types_, **targets},
        )
        X = encoder.transform(df)
    else:
        names = getattr(est, "feature_names_in_", None)
        only = None if names is None else [*names, *wanted]
        df = read_table(data_path, only=only, column_types=targets)
        X = feature_matrix(
            df,
            feature_names=None if names is None else list(names),
            n_features=est.n_features_in_,
            exclude=[] if extra.get("target") is None else [extra["target"]],
        )
        if names is not None:  # the model checks the names too, and does not warn
            import pandas as pd

            X = pd.DataFrame(X, columns=list(names))
    return est, df, X, extra


def _target_type(est: Any, extra: dict[str, Any]) -> str | None:
    """How to read the target column: numbers for a regression, text for text labels
    (``"01"`` stays ``"01"``); other labels are guessed, then matched by their text."""
    task = extra.get("task") or ("classify" if hasattr(est, "classes_") else "regress")
    if task == "regress":
        return "number"
    return "text" if est.classes_.dtype.kind in "OUS" else None


def run_predict(args: argparse.Namespace) -> int:
    """One row of predictions (and class probabilities) per input row."""
    import pandas as pd

    if args.out:
        check_output_file(
            args.out,
            "--out",
            inputs={"the model being read": args.model, "the data being read": args.data},
        )
    code = _family_handler(args, "predict")
    if code is not None:
        return code
    est, _, X, _ = _load_rows(args.model, args.data, args.device, with_target=False)
    out = pd.DataFrame({"prediction": est.predict(X)})
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        for i, label in enumerate(est.classes_):
            out[f"proba_{label}"] = proba[:, i]
    if args.out:
        from cortexkit.io.envelope import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {len(out)} predictions to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Score the model against the target column of ``args.data``."""
    code = _family_handler(args, "evaluate")
    if code is not None:
        return code
    est, df, X, extra = _load_rows(
        args.model, args.data, args.device, with_target=True, target_name=args.target
    )
    target = extra.get("target")
    if target is None:
        raise ValueError(
            f"{args.model!r} does not say which column it predicts (a model saved from "
            "Python): name it with --target COL"
        )
    if target not in df.columns:
        raise ValueError(f"{args.data!r} has no target column {target!r} to evaluate against")
    task = extra.get("task") or ("classify" if hasattr(est, "classes_") else "regress")
    y = df[target]
    if task == "classify":
        y = align_labels(y, est.classes_, target)
    else:
        y = _numeric_target(y, target)
    scores = metrics(est, X, y, task)
    # allow_nan=False: strict JSON; metrics() has already turned NaN into None with a note
    print(json.dumps(scores, indent=2, allow_nan=False) if args.json else format_metrics(scores))
    return 0


def _numeric_target(y: Any, target: str) -> Any:
    """A regression model's target column as floats; refuses text and missing values."""
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise ValueError(
            f"target column {target!r} must hold numbers to evaluate a regression model; "
            f"it holds values such as {y.iloc[0]!r}"
        )
    missing = int(y.isna().sum())
    if missing:
        raise ValueError(f"target column {target!r} has {missing} missing values of {len(y)}")
    return y.to_numpy(dtype=np.float64)
