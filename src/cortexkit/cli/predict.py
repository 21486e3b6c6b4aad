"""``cortexkit predict MODEL DATA`` and ``cortexkit evaluate MODEL DATA``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cortexkit.cli._args import Help, say
from cortexkit.cli._paths import check_output_file
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

    evaluate = sub.add_parser(
        "evaluate", parents=[common], formatter_class=Help, help="score a model on a labelled CSV"
    )
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--device", help="override the saved device (auto, cpu, cuda)")
    evaluate.set_defaults(run=run_evaluate)


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


def run_predict(args: argparse.Namespace) -> int:
    """One row of predictions (and class probabilities) per input row."""
    import pandas as pd

    if args.out:
        check_output_file(
            args.out,
            "--out",
            inputs={"the model being read": args.model, "the data being read": args.data},
        )
    est, _, X, _ = _load_rows(args.model, args.data, args.device)
    out = pd.DataFrame({"prediction": est.predict(X)})
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        for i, label in enumerate(est.classes_):
            out[f"proba_{label}"] = proba[:, i]
    if args.out:
        from cortexkit.persist import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {len(out)} predictions to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Score the model against the target column of ``args.data``."""
    est, df, X, extra = _load_rows(args.model, args.data, args.device)
    target = extra.get("target")
    if target is None or target not in df.columns:
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
