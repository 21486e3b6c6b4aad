"""``cortexkit train som`` (and ``cortexkit som``, the same flags): a self-organising map on
the numeric and text columns of a CSV table, its U-matrix, and the most outlying rows.

The table is encoded as the other families' tables are (numeric columns standardised,
text columns one-hot, :class:`~cortexkit.data.TableEncoder`); the label and ID columns are
kept out of the features: the label marks the U-matrix and is counted among the outliers
(the classic list of fraud candidates among credit card applications), the ID names the
rows printed. ``cortexkit predict MODEL DATA`` writes each row's node, grid coordinates
and outlier scores. Every default comes from :data:`cortexkit.defaults.SOM`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cortexkit import defaults
from cortexkit.cli._args import count, names, positive_int, say
from cortexkit.cli.families import TrainFamily

__all__ = ["FAMILIES", "add_arguments", "grid_shape", "predict", "run"]


def grid_shape(text: str) -> tuple[int, int]:
    """``"10x10"`` -> ``(10, 10)``; both sides positive integers."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        rows, cols = (int(p) for p in parts)
    except ValueError:
        rows = cols = 0
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(
            f"expected ROWSxCOLS with two positive integers, e.g. 10x10; got {text!r}"
        )
    return rows, cols


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The SOM's flags, with the estimator's defaults."""
    SOM = defaults.SOM
    parser.add_argument("--columns", type=names, default=None,
                        help="the feature columns, a,b,c (default: all but the label, ID "
                             "and --drop columns)")  # fmt: skip
    parser.add_argument("--drop", type=names, default=[], help="columns to ignore, a,b,c")
    parser.add_argument("--label-column", metavar="COL",
                        help="a class column: marks the U-matrix, counted among the outliers; "
                             "not a feature")  # fmt: skip
    parser.add_argument(
        "--id-column",
        metavar="COL",
        help="a row identifier printed with the outliers; not a feature",
    )
    parser.add_argument("--grid", type=grid_shape, default="x".join(map(str, SOM.grid)),
                        metavar="RxC", help="the map's rows x columns")  # fmt: skip
    parser.add_argument("--topology", choices=["rectangular", "hexagonal"], default=SOM.topology,
                        help="square or hexagonal neighbours")  # fmt: skip
    parser.add_argument("--neighborhood", default=SOM.neighborhood,
                        help="gaussian, bubble, mexican_hat or triangle")  # fmt: skip
    parser.add_argument("--distance", default=SOM.distance, help="euclidean, cosine or manhattan")
    parser.add_argument("--algorithm", choices=["online", "batch"], default=SOM.algorithm,
                        help="mini-batch online updates, or batch SOM epochs")  # fmt: skip
    parser.add_argument("--init", choices=["pca", "sample", "random"], default=SOM.init,
                        help="initial weights: the data's principal plane, rows, or "
                             "random")  # fmt: skip
    parser.add_argument("--sigma", type=float, default=SOM.sigma,
                        help="neighbourhood radius (default: a tenth of the grid's longer "
                             "side, 1.25 at least)")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=SOM.learning_rate,
                        help="the online rule's starting rate")  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=SOM.epochs,
                        help="passes over the data (default: enough to present 15 rows "
                             "per node, 1 at least)")  # fmt: skip
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="samples per step (default: chosen from the row count)",
    )
    parser.add_argument("--plot", metavar="FILE", help="write the U-matrix (.png, .svg, .pdf)")
    parser.add_argument(
        "--outliers",
        type=positive_int,
        metavar="K",
        help="print the K most outlying rows with their scores",
    )
    parser.add_argument("--outlier-score", choices=["quantization_error", "umatrix"],
                        default="quantization_error", help="what ranks the outliers")  # fmt: skip


def build(args: argparse.Namespace) -> Any:
    """The ``SelfOrganizingMap`` the flags describe."""
    from cortexkit.cli.tables import checkpoint_params
    from cortexkit.som import SelfOrganizingMap

    return SelfOrganizingMap(
        args.grid,
        topology=args.topology,
        neighborhood=args.neighborhood,
        distance=args.distance,
        learning_rate=args.learning_rate,
        sigma=args.sigma,
        init=args.init,
        algorithm=args.algorithm,
        epochs=args.epochs,
        batch_size=args.batch_size,
        random_state=args.random_state,
        device=args.device,
        verbose=0 if args.quiet else 1,
        **checkpoint_params(SelfOrganizingMap, args),
    )


def _check_column(df: Any, name: str | None, flag: str, path: str) -> None:
    if name is not None and name not in df.columns:
        raise ValueError(
            f"{flag} {name!r}: no such column in {path!r}; available columns are {list(df.columns)}"
        )


def _features(df: Any, args: argparse.Namespace) -> list[str]:
    """The feature columns: ``--columns``, else every column but the label and ID."""
    _check_column(df, args.label_column, "--label-column", args.data)
    _check_column(df, args.id_column, "--id-column", args.data)
    kept = {args.label_column, args.id_column}
    if args.columns is None:
        columns = [c for c in df.columns if c not in kept]
    else:
        for name in args.columns:
            _check_column(df, name, "--columns", args.data)
        columns = [c for c in args.columns if c not in kept]
    if not columns:
        raise ValueError(f"no feature columns left in {args.data!r} (see --columns, --drop)")
    return columns


def _finite_features(df: Any, columns: list[str]) -> None:
    """No missing or infinite value among the features (the message names the column)."""
    import numpy as np
    import pandas as pd

    from cortexkit.data.encoder import check_no_missing

    for name in columns:
        column = df[name]
        check_no_missing(column, name)
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            bad = ~np.isfinite(column.to_numpy(dtype=np.float64))
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"column {name!r} holds {column.iloc[row]} in row {row + 1} "
                    f"({int(bad.sum())} non-finite values); a SOM needs finite numbers"
                )


def run(args: argparse.Namespace) -> int:
    """Train on the table ``args.data``; print the outliers; write the U-matrix."""
    import time

    from cortexkit.data import TableEncoder, read_table
    from cortexkit.data.columns import check_constant_columns

    est = build(args)
    est._validate_params()  # bad options fail before the table is read
    if args.plot is not None:  # checked like --out, before the table is read
        from cortexkit.cli._paths import check_figure_path, check_output_file

        check_figure_path(args.plot, "--plot")
        check_output_file(
            args.plot, "--plot", inputs={"the data": args.data, "the --out model": args.out}
        )
    df = read_table(args.data, drop=args.drop)
    columns = _features(df, args)
    if len(df) < 2:
        raise ValueError(f"{args.data!r} has {len(df)} row: a map is trained on 2 rows at least")
    if args.outliers is not None and args.outliers > len(df):
        raise ValueError(
            f"--outliers {args.outliers} asks for more outliers than {args.data!r} has rows "
            f"({len(df)})"
        )
    _finite_features(df, columns)
    check_constant_columns(df[columns], repr(args.data))
    encoder = TableEncoder().fit(df[columns])
    X = encoder.transform(df[columns])
    say(args, f"training a {args.grid[0]}x{args.grid[1]} {args.topology} map on {len(X)} rows "
              f"x {X.shape[1]} features")  # fmt: skip
    t0 = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - t0
    est.save(args.out, table=encoder.to_state(), label_column=args.label_column,
             id_column=args.id_column)  # fmt: skip
    out = sys.stderr if args.quiet else sys.stdout
    print(f"trained in {seconds:.2f} s ({count(est.n_iter_, 'epoch')}); quantization error "
          f"{est.quantization_error(X):.4f}, topographic error {est.topographic_error(X):.4f}; "
          f"saved {args.out}", file=out)  # fmt: skip
    labels = None if args.label_column is None else df[args.label_column].to_numpy()
    if args.plot is not None:
        from cortexkit.som.plots import save_figure, umatrix_figure

        save_figure(umatrix_figure(est, X, labels), args.plot)
        say(args, f"wrote the U-matrix to {args.plot}")
    if args.outliers is not None:
        print(_outlier_table(est, X, df, args, labels))
    return 0


def _outlier_table(est: Any, X: Any, df: Any, args: argparse.Namespace, labels: Any) -> str:
    """The K most outlying rows, their scores and (with a label column) the labels' shares."""
    import pandas as pd

    from cortexkit.som.anomaly import som_anomaly_scores

    qe, um = som_anomaly_scores(est, X, "qe"), est.umatrix_scores(X)
    rows = est.outliers(X, k=args.outliers, score=args.outlier_score)
    table = pd.DataFrame({"rank": range(1, len(rows) + 1), "row": rows + 1})
    if args.id_column is not None:
        table[args.id_column] = df[args.id_column].to_numpy()[rows]
    if labels is not None:
        table[args.label_column] = labels[rows]
    coords = est.transform(X[rows])
    table["node"] = [f"({r},{c})" for r, c in coords]
    table["quantization_error"] = qe[rows].round(4)
    table["umatrix"] = um[rows].round(4)
    title = f"the {len(rows)} most outlying rows (by {args.outlier_score}; row: data row, from 1):"
    text = [title, table.to_string(index=False)]
    if labels is not None:
        counts = pd.Series(labels[rows]).value_counts()
        shares = ", ".join(f"{args.label_column}={v}: {n} ({n / len(rows):.0%})"
                           for v, n in counts.items())  # fmt: skip
        text.append(f"among them: {shares}")
    return "\n".join(text)


def predict(args: argparse.Namespace, model_file: Any) -> int:
    """``cortexkit predict SOM_MODEL DATA``: each row's node, coordinates and outlier
    scores, as CSV."""
    import pandas as pd

    from cortexkit.data import TableEncoder, read_table
    from cortexkit.io.envelope import atomic_write_bytes

    est, extra = model_file.estimator, model_file.extra
    if "table" not in extra:
        raise ValueError(f"{args.model!r} was not saved by 'cortexkit som': no table encoder")
    encoder = TableEncoder.from_state(extra["table"])
    id_column = extra.get("id_column")
    wanted = [*encoder.feature_names_in_, *([id_column] if id_column else [])]
    df = read_table(args.data, only=wanted, column_types=encoder.column_types_)
    _finite_features(df, [c for c in encoder.feature_names_in_ if c in df.columns])
    X = encoder.transform(df)
    units = est.predict(X)
    from cortexkit.som.anomaly import som_anomaly_scores

    qe, um = som_anomaly_scores(est, X, "qe"), est.umatrix_scores(X)
    out = pd.DataFrame()
    if id_column and id_column in df.columns:
        out[id_column] = df[id_column]
    _, cols = est._shape()
    out["node"], out["row"], out["col"] = units, units // cols, units % cols
    out["quantization_error"], out["umatrix"] = qe, um
    if args.out:
        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {len(out)} rows to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


FAMILIES = (
    TrainFamily(
        "som",
        "a self-organising map of a CSV table: U-matrix, clusters, outliers",
        add_arguments,
        run,
        table=False,
        models=("SelfOrganizingMap",),
        predict=predict,
    ),
)
