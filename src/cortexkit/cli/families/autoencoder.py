"""``cortexkit train autoencoder``: an autoencoder on a CSV table, for anomaly scores.

``cortexkit train autoencoder DATA.csv [--label-column C] --out MODEL`` reads the table,
leaves the label column (and ``--drop`` columns) out of the inputs, standardises the
numeric columns and one-hot encodes the others (:class:`~cortexkit.data.TableEncoder`),
and trains an :class:`~cortexkit.AutoEncoder`. A row's anomaly score is its distance to the
reconstructions of the training rows nearest it, or with ``--scoring
reconstruction`` its reconstruction error (:meth:`~cortexkit.AutoEncoder.anomaly_scores`:
higher, more anomalous); the model
calls a row an anomaly above ``threshold_``, the ``--threshold-quantile`` quantile of the
training rows' scores.

``cortexkit predict MODEL DATA.csv`` writes one line per row: ``score`` and ``anomaly``
(1 above the threshold). ``cortexkit evaluate MODEL DATA.csv --label-column C`` prints the
scores' ROC AUC and average precision against the label, the anomalous class being
``--anomaly-label``. Training chooses it once (default: the rarer class of the training
label column; the larger value on a tie) and stores it in the model file, so every
evaluation scores the same class, whatever its share in the file evaluated.

Defaults come from :data:`cortexkit.defaults.AUTOENCODER`: the layer widths follow the
encoded table's width (``hidden_layers="auto"``: half then a quarter of it, at most 128
then 32, the code always narrower than the input); each batch's 20% worst reconstructed
rows are left out of the loss (``--trim``); ``--n-estimators 3`` averages three
networks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from cortexkit import defaults
from cortexkit.cli._args import count, int_list, names, positive_int, say
from cortexkit.cli.families import TrainFamily, add_flag

KINDS = ["plain", "denoising", "sparse", "variational"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The autoencoder's own flags, with the estimator's defaults."""
    AE = defaults.AUTOENCODER
    parser.add_argument(
        "--label-column", metavar="C", help="a label column: not an input; scored after training"
    )
    parser.add_argument("--drop", type=names, default=[], help="columns to ignore, a,b,c")
    parser.add_argument("--anomaly-label", metavar="V",
                        help="the label value of anomalies, kept in the model file "
                             "(default: the rarer class)")  # fmt: skip
    parser.add_argument("--hidden-layers", type=int_list, default=None, metavar="N,N",
                        help="units per encoder layer, the last is the code (default: half "
                             "then a quarter of the input width, at most "
                             f"{','.join(map(str, AE.hidden_layers))})")  # fmt: skip
    parser.add_argument("--n-estimators", type=positive_int, default=AE.n_estimators,
                        metavar="N", help="networks, their reconstructions averaged")  # fmt: skip
    parser.add_argument("--trim", type=float, default=AE.trim, metavar="SHARE",
                        help="share of each batch's worst reconstructed rows left out of the "
                        "loss, in [0, 1): the rare rows stay badly reconstructed")  # fmt: skip
    parser.add_argument("--scoring", choices=["neighbours", "reconstruction"],
                        default=AE.scoring, help="a row's distance to the nearest "
                        "training rows' reconstructions, or its reconstruction error")  # fmt: skip
    parser.add_argument("--kind", choices=KINDS, default="plain", help="what it learns")
    parser.add_argument("--noise", choices=["gaussian", "masking"], default="gaussian",
                        help="corruption for --kind denoising")  # fmt: skip
    parser.add_argument("--noise-level", type=float, default=0.2,
                        help="noise std (gaussian) or drop probability (masking)")  # fmt: skip
    parser.add_argument("--activation", default=AE.activation, help="of the hidden layers")
    parser.add_argument("--epochs", type=positive_int, default=AE.epochs,
                        help="at most (early stopping)")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=AE.batch_size, metavar="N",
                        help="rows per update")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=AE.learning_rate,
                        help="the optimiser's step size")  # fmt: skip
    parser.add_argument("--patience", type=positive_int, default=AE.patience,
                        help="epochs without improvement")  # fmt: skip
    parser.add_argument("--validation-fraction", type=float, default=AE.validation_fraction,
                        help="held out for early stopping")  # fmt: skip
    parser.add_argument("--threshold-quantile", type=float, default=AE.threshold_quantile,
                        help="training-score quantile above which a row is an anomaly")  # fmt: skip
    parser.add_argument("--max-categories", type=int, default=defaults.MAX_CATEGORIES,
                        metavar="N", help="one-hot columns per text column")  # fmt: skip


def build(args: argparse.Namespace, n_features: int | None) -> Any:
    """An ``AutoEncoder`` from the flags (``n_features``: the input width, or None before
    the table is read; the default widths follow it when ``fit`` sees the table)."""
    from cortexkit.autoencoder import AutoEncoder
    from cortexkit.cli.tables import checkpoint_params

    layers = "auto" if args.hidden_layers is None else tuple(args.hidden_layers)
    return AutoEncoder(
        layers,
        n_estimators=args.n_estimators,
        trim=args.trim,
        scoring=args.scoring,
        kind=args.kind,
        activation=args.activation,
        noise=args.noise,
        noise_level=args.noise_level,
        threshold_quantile=args.threshold_quantile,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        validation_fraction=args.validation_fraction,
        random_state=args.random_state,
        device=args.device,
        verbose=0 if args.quiet else 1,
        **checkpoint_params(AutoEncoder, args),
    )


def run(args: argparse.Namespace) -> int:
    """Train on the table ``args.data``; save the model with its table encoding."""
    from cortexkit.autoencoder.widths import auto_widths
    from cortexkit.cli.tables import as_flags
    from cortexkit.data import TableEncoder, read_table
    from cortexkit.data.columns import check_constant_columns, check_enough_rows
    from cortexkit.data.encoder import check_no_missing

    if args.label_column is not None and args.label_column in args.drop:
        raise ValueError(f"--label-column {args.label_column!r} is also listed in --drop")
    with as_flags():  # bad options fail before the table is read
        build(args, None)._validate_params()
    df = read_table(args.data, drop=args.drop)
    labels = _labels(df, args.label_column, args.data)
    positive = None
    if labels is not None:  # a label that cannot be scored fails before training
        positive = anomaly_classes(labels, args.anomaly_label)[1]
    X_df = df.drop(columns=[args.label_column]) if args.label_column else df
    if X_df.shape[1] == 0:
        raise ValueError(f"{args.data!r} has no input columns besides the label")
    for name in X_df.columns:
        check_no_missing(X_df[name], name)
    check_enough_rows(X_df, repr(args.data))
    check_constant_columns(X_df, repr(args.data))
    encoder = TableEncoder(max_categories=args.max_categories).fit(X_df)
    X = encoder.transform(X_df)
    est = build(args, X.shape[1])
    widths = auto_widths(X.shape[1]) if est.hidden_layers == "auto" else est.hidden_layers
    say(args, f"training AutoEncoder ({est.kind}, layers {list(widths)}) on "
              f"{len(X)} rows x {X.shape[1]} features")  # fmt: skip
    t0 = time.perf_counter()
    with as_flags():
        est.fit(X)
    seconds = time.perf_counter() - t0
    est.save(args.out, table=encoder.to_state(), label_column=args.label_column,
             anomaly_label=positive, drop=args.drop)  # fmt: skip
    lines = [f"trained in {seconds:.1f} s ({count(est.n_iter_, 'epoch')}); saved {args.out}",
             f"  anomaly threshold {est.threshold_:.4g} (the {est.threshold_quantile:g} "
             "quantile of the training rows' reconstruction errors)"]  # fmt: skip
    for note in ("resumed", "stopped", "validation"):
        if est.history_.get(note):
            lines.append(f"  {est.history_[note]}")
    print("\n".join(lines), file=sys.stderr if args.quiet else sys.stdout)
    if labels is not None:
        scores = anomaly_metrics(est.anomaly_scores(X), labels, positive)
        print(f"training rows against {args.label_column!r}:")
        print(_format(scores))
    return 0


def _labels(df: Any, column: str | None, where: str) -> Any:
    if column is None:
        return None
    if column not in df.columns:
        raise ValueError(
            f"--label-column {column!r} is not a column of {where!r}; its columns are "
            f"{list(df.columns)}"
        )
    missing = int(df[column].isna().sum())
    if missing:
        raise ValueError(f"label column {column!r} has {missing} missing values")
    return df[column]


def anomaly_metrics(
    scores: Any, labels: Any, anomaly_label: str | None, *, named_by: str = "--anomaly-label"
) -> dict[str, Any]:
    """ROC AUC and average precision of ``scores`` (higher: more anomalous) against the
    ``labels`` column, the anomalies being ``anomaly_label`` (default: the rarer class);
    ``named_by`` says where that label came from, for the error when the column lacks it."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    text, positive = anomaly_classes(labels, anomaly_label, named_by=named_by)
    y = (text == positive).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y, scores)),
        "average_precision": float(average_precision_score(y, scores)),
        "anomaly_label": positive,
        "anomaly_share": float(y.mean()),
        "rows": len(y),
    }


def anomaly_classes(
    labels: Any, anomaly_label: str | None, *, named_by: str = "--anomaly-label"
) -> tuple[Any, str]:
    """The label column as stripped text, and its anomalous class; a ValueError unless it
    has exactly two classes and ``anomaly_label`` (when given) is one of them."""
    import numpy as np

    text = labels.astype(str).str.strip().to_numpy()
    values, counts = np.unique(text, return_counts=True)
    if len(values) != 2:
        raise ValueError(
            f"the label column must have exactly 2 classes (normal and anomalous); it has "
            f"{len(values)}: {values.tolist()[:10]}"
        )
    if anomaly_label is None:
        order = sorted(zip(counts, values, strict=True), key=lambda cv: (cv[0], _sortable(cv[1])))
        positive = order[0][1] if order[0][0] != order[1][0] else max(values, key=_sortable)
    else:
        positive = str(anomaly_label).strip()
        if positive not in values:
            way_out = "" if named_by == "--anomaly-label" else ": name it with --anomaly-label V"
            raise ValueError(
                f"{named_by} {anomaly_label!r} is not a value of the label column "
                f"({values.tolist()}){way_out}"
            )
    return text, positive


def _sortable(value: str) -> tuple[int, Any]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def _format(scores: dict[str, Any]) -> str:
    return "\n".join(
        f"  {k:<18} {v:.4f}" if isinstance(v, float) else f"  {k:<18} {v}"
        for k, v in scores.items()
    )


def _read(args: argparse.Namespace, mf: Any, label_column: str | None) -> tuple[Any, Any]:
    """The model file's encoded features of ``args.data`` and the label column (or None)."""
    from cortexkit.data import TableEncoder, feature_matrix, read_table

    est, extra = mf.estimator, mf.extra
    wanted = [] if label_column is None else [label_column]
    if "table" in extra:
        encoder = TableEncoder.from_state(extra["table"])
        df = read_table(args.data, only=[*encoder.feature_names_in_, *wanted],
                        column_types=encoder.column_types_)  # fmt: skip
        X = encoder.transform(df)
    else:  # a model saved from Python: the columns by name or position
        feature_names = getattr(est, "feature_names_in_", None)
        names_ = None if feature_names is None else [str(c) for c in feature_names]
        df = read_table(args.data, only=None if names_ is None else [*names_, *wanted])
        X = feature_matrix(df, feature_names=names_, n_features=est.n_features_in_,
                           exclude=wanted)  # fmt: skip
    return X, (_labels(df, label_column, args.data) if label_column else None)


def predict(args: argparse.Namespace, mf: Any) -> int:
    """``score`` (reconstruction error) and ``anomaly`` (1 above ``threshold_``) per row."""
    import pandas as pd

    from cortexkit.io.envelope import atomic_write_bytes

    X, _ = _read(args, mf, None)
    scores = mf.estimator.anomaly_scores(X)
    out = pd.DataFrame({"score": scores, "anomaly": (scores > mf.estimator.threshold_)})
    out["anomaly"] = out["anomaly"].astype(int)
    if args.out:
        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {len(out)} anomaly scores to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def evaluate(args: argparse.Namespace, mf: Any) -> int:
    """ROC AUC and average precision of the scores against ``--label-column``."""
    column = args.label_column or mf.extra.get("label_column")
    if column is None:
        raise ValueError(
            f"{args.model!r} was trained without a label column: name one with --label-column C"
        )
    positive, named_by = args.anomaly_label, "--anomaly-label"
    if positive is None:  # the class chosen at training, never re-chosen per file
        positive, named_by = _stored_label(args.model, mf.extra, column)
    X, labels = _read(args, mf, column)
    scores = anomaly_metrics(mf.estimator.anomaly_scores(X), labels, positive, named_by=named_by)
    print(json.dumps(scores, indent=2) if args.json else _format(scores))
    return 0


def _stored_label(path: str, extra: dict[str, Any], column: str) -> tuple[str, str]:
    """The anomaly label the model file keeps for its training label column ``column``,
    and how to name it in an error; a ValueError where it keeps none for that column."""
    stored = extra.get("anomaly_label")
    if stored is None or extra.get("label_column") != column:
        raise ValueError(
            f"{path!r} does not say which value of {column!r} marks an anomaly (it was "
            "trained without that label column): name it with --anomaly-label V"
        )
    return str(stored), "the model's anomaly label"


def _label_flags(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, "--label-column", metavar="C",
             help="autoencoders: the label column (default: the training one)")  # fmt: skip
    add_flag(parser, "--anomaly-label", metavar="V",
             help="autoencoders: the anomalies' label (default: the one the model "
                  "was trained with)")  # fmt: skip


FAMILIES = (
    TrainFamily(
        "autoencoder",
        "an autoencoder on a CSV table: anomaly scores from reconstruction errors",
        add_arguments,
        run,
        table=False,
        models=("AutoEncoder",),
        predict=predict,
        evaluate=evaluate,
        evaluate_arguments=_label_flags,
    ),
)
