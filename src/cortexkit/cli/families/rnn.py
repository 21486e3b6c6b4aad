"""``cortexkit train rnn SERIES.csv --column C ...``: a recurrent forecaster on a series.

The series settings (column, date column, exogenous columns, fill) are kept in the model
file, so ``cortexkit forecast``, ``predict`` and ``evaluate`` read new data the same way.
``evaluate MODEL ACTUAL.csv`` scores the forecast of the steps in ``ACTUAL.csv`` (after the
training series, or after ``--history``) beside naive and seasonal-naive forecasts;
``--rolling`` makes it a one-step-ahead test. Every default comes from
:data:`cortexkit.defaults.RNN`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cortexkit import defaults
from cortexkit.cli._args import int_list, names, positive_int, weight_or_auto
from cortexkit.cli.families import TrainFamily, add_flag

__all__ = ["FAMILIES", "format_table"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The forecaster's flags, with the estimator's defaults."""
    RNN = defaults.RNN
    parser.add_argument("--column", help="the column to forecast (default: the file's only "
                        "numeric column besides --date-column)")  # fmt: skip
    parser.add_argument("--date-column", help="a date column: parsed, rows sorted by it")
    parser.add_argument("--date-format", metavar="FORMAT",
                        help="the layout of the dates, e.g. %%d/%%m/%%Y (default: inferred; "
                        "01/02/2021 is refused unless another date settles it)")  # fmt: skip
    parser.add_argument("--exogenous", type=names, default=[], help="input columns, a,b,c")
    parser.add_argument("--series-column", metavar="COL",
                        help="a long table of several series: the column naming each row's "
                        "series; one global model learns from all of them")  # fmt: skip
    parser.add_argument("--fill", choices=["ffill", "interpolate"],
                        help="fill missing values (default: refuse them)")  # fmt: skip
    parser.add_argument("--lookback", type=positive_int, default=RNN.lookback,
                        help="steps the network reads (default: two seasons, at least "
                        f"{RNN.min_lookback})")  # fmt: skip
    parser.add_argument("--scaling", choices=["window", "series"], default=RNN.scaling,
                        help="scale each window by its own level and spread, or the series "
                        "by its training part")  # fmt: skip
    parser.add_argument("--level", choices=["season", "last", "auto"], default=RNN.level,
                        help="(window scaling) learn each step relative to the value a season "
                        "before it, or to the last value")  # fmt: skip
    parser.add_argument("--blend", type=weight_or_auto, default=RNN.blend,
                        help="(window scaling) the weight of the network's learnt step on top "
                        "of that value: 0 is the (seasonal) naive forecast; auto chooses it "
                        "on the validation windows")  # fmt: skip
    parser.add_argument("--horizon", type=positive_int, default=RNN.horizon,
                        help="steps it is trained to forecast")  # fmt: skip
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], default=RNN.cell,
                        help="the recurrent cell: LSTM, GRU or vanilla")  # fmt: skip
    parser.add_argument("--hidden-layers", type=int_list,
                        default=",".join(map(str, RNN.hidden_layers)),
                        help="units per stacked recurrent layer, e.g. 64,64")  # fmt: skip
    parser.add_argument("--dropout", type=float, default=RNN.dropout, help="after each layer")
    parser.add_argument("--strategy", choices=["recursive", "direct"], default=RNN.strategy,
                        help="multi-step forecasts")  # fmt: skip
    parser.add_argument("--difference", type=int, choices=[0, 1], default=0,
                        help="1: train on first differences (a trend)")  # fmt: skip
    parser.add_argument("--log", action="store_true", help="train on the logarithm")
    parser.add_argument("--season", type=positive_int, help="season length (default: inferred)")
    parser.add_argument("--epochs", type=positive_int, default=RNN.epochs,
                        help="at most (early stopping)")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=RNN.batch_size, metavar="N",
                        help="windows per update")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=RNN.learning_rate,
                        help="learning rate")  # fmt: skip
    parser.add_argument(
        "--early-stopping", action=argparse.BooleanOptionalAction, default=RNN.early_stopping,
        help="stop when the validation loss stalls; keep the best weights",
    )  # fmt: skip
    parser.add_argument("--patience", type=positive_int, default=RNN.patience, metavar="N",
                        help="epochs without a better validation loss before stopping")  # fmt: skip
    parser.add_argument("--validation-fraction", type=float, default=RNN.validation_fraction,
                        help="the last windows, held out")  # fmt: skip
    parser.add_argument("--holdout", type=int, default=0, metavar="N",
                        help="hold out the last N steps and report the test metrics")  # fmt: skip


def format_table(table: dict[str, dict[str, float]], season: int) -> str:
    """The model and baselines, one row each."""
    from cortexkit.demo.common import format_table as fixed_width

    rows = [
        [name.replace("_", "-") + (f" (season {season})" if name == "seasonal_naive" else ""),
         *(f"{table[name][k]:.4g}" for k in ("rmse", "mae", "mape", "mase"))]
        for name in ("model", "naive", "seasonal_naive")
    ]  # fmt: skip
    return fixed_width(["forecast", "RMSE", "MAE", "MAPE %", "MASE"], rows)


def run(args: argparse.Namespace) -> int:
    """Read the series, train, save, and score the held-out steps."""
    from cortexkit.cli._args import count, say
    from cortexkit.cli.tables import checkpoint_params
    from cortexkit.data.series import read_series, series_dates
    from cortexkit.rnn.forecaster import RNNForecaster

    column = args.column or _only_numeric_column(args)
    ids = args.series_column
    settings = {"column": column, "date_column": args.date_column,
                "exogenous": list(args.exogenous), "fill": args.fill,
                "date_format": args.date_format, "series_column": ids}  # fmt: skip
    df = read_series(args.data, column, date_column=args.date_column,
                     exogenous=args.exogenous, fill=args.fill,
                     date_format=args.date_format, series_column=ids)  # fmt: skip
    if args.date_column and not args.date_format:  # an order a date settled (13/01/2021)
        from cortexkit.data import read_table
        from cortexkit.data.series import settled_format

        text = read_table(args.data, only=[args.date_column],
                          column_types={args.date_column: "text"})[args.date_column]  # fmt: skip
        settings["date_format"] = settled_format(text)
    shortest = int(df.groupby(ids, sort=False).size().min()) if ids else len(df)
    if args.holdout < 0 or args.holdout >= shortest:
        raise ValueError(f"--holdout must be in [0, {shortest - 1}]; got {args.holdout}")
    from_end = df.groupby(ids, sort=False).cumcount(ascending=False) if ids else None
    if from_end is None:
        train = df.iloc[: len(df) - args.holdout]
    else:
        train = df[from_end.to_numpy() >= args.holdout]
    est = RNNForecaster(
        args.cell,
        lookback=args.lookback,
        horizon=args.horizon,
        hidden_layers=tuple(args.hidden_layers),
        dropout=args.dropout,
        strategy=args.strategy,
        difference=args.difference,
        log=args.log,
        scaling=args.scaling,
        level=args.level,
        blend=args.blend,
        season=args.season,
        series_column=ids,
        batch_size=args.batch_size,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        early_stopping=args.early_stopping,
        patience=args.patience,
        validation_fraction=args.validation_fraction if args.early_stopping else 0.0,
        random_state=args.random_state,
        device=args.device,
        verbose=0 if args.quiet else 1,
        **checkpoint_params(RNNForecaster, args),
    )
    est.fit(train)
    est.save(args.out, series=settings, dates=None if ids else series_dates(train))
    import numpy as np

    val = np.asarray(est.history_.get("val_loss") or [np.nan], dtype=float)
    best = f" (best validation loss {np.nanmin(val):.4g})" if np.isfinite(val).any() else ""
    what = f"{len(train)} steps" + (f" of {count(len(est.series_ids_), 'series')}" if ids else "")
    say(args, f"trained {count(est.n_iter_, 'epoch')} on {what}{best}; wrote {args.out}")
    if args.blend == "auto" and args.scaling == "window":
        base = "seasonal-naive" if est._windowing().lag > 1 else "naive"
        step = f"{est.blend_:.1f} x the network's step (chosen on the validation windows)"
        if est.random_walk_:
            walk = "a random walk, on which no forecast beats the naive one"
            say(args, f"blend 0.0: the series' steps pass as white noise ({walk}): the "
                      "forecast is the naive one")  # fmt: skip
        else:
            say(args, f"blend {est.blend_:.1f}: the forecast is the {base} one plus {step}")
    if args.holdout and ids:
        print(f"last {args.holdout} steps of each series held out (mean over the series):")
        print(format_table(_mean_table(est, df, train, ids), est.season_))
    elif args.holdout:
        table = est.evaluate(df.iloc[len(train) :])
        print(f"last {args.holdout} steps held out:")
        print(format_table(table, est.season_))
        say(args, f"'cortexkit forecast {args.out}' continues after the training part; add "
                  f"--data {args.data} to continue after the file's last step")  # fmt: skip
    return 0


def _mean_table(est: Any, df: Any, train: Any, ids: str) -> dict[str, dict[str, float]]:
    """Each series' held-out steps scored after its training part, averaged."""
    import numpy as np

    pairs = zip(df.groupby(ids, sort=False), train.groupby(ids, sort=False), strict=True)
    tables = [est.evaluate(part.drop(columns=ids).iloc[len(past) :], past.drop(columns=ids))
              for (_, part), (_, past) in pairs]  # fmt: skip
    return {name: {k: float(np.mean([t[name][k] for t in tables])) for k in tables[0][name]}
            for name in tables[0]}  # fmt: skip


def _only_numeric_column(args: argparse.Namespace) -> str:
    """The column to forecast when ``--column`` is not given: the only numeric one."""
    import pandas as pd

    from cortexkit.data import read_table

    table = read_table(args.data, column_types={args.date_column: "text"}
                       if args.date_column else None)  # fmt: skip
    for flag in ("date_column", "series_column"):  # name a missing column before guessing
        name = getattr(args, flag, None)
        if name is not None and name not in table.columns:
            columns = [str(c) for c in table.columns]
            raise ValueError(f"--{flag.replace('_', '-')} {name!r} is not a column of "
                             f"{args.data!r}; columns are {columns}")  # fmt: skip
    numeric = [str(c) for c in table.columns
               if c not in (args.date_column, args.series_column) and c not in args.exogenous
               and pd.api.types.is_numeric_dtype(table[c])]  # fmt: skip
    if len(numeric) != 1:
        raise ValueError(
            f"name the column to forecast with --column; {args.data!r} has the numeric "
            f"columns {numeric}"
        )
    return numeric[0]


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    add_flag(
        parser,
        "--history",
        metavar="FILE",
        help="(forecasters) the series before the data (default: the training one)",
    )
    add_flag(
        parser,
        "--rolling",
        action="store_true",
        help="(forecasters) one-step-ahead forecasts from the actual values",
    )
    add_flag(parser, "--season", type=positive_int,
             help="(forecasters) season length of the seasonal-naive forecast")  # fmt: skip
    add_flag(parser, "--date-format", metavar="FORMAT",
             help="(forecasters) the layout of the dates, e.g. %%d/%%m/%%Y (default: the "
                  "training one)")  # fmt: skip


def evaluate(args: argparse.Namespace, model_file: Any) -> int:
    """``cortexkit evaluate MODEL ACTUAL.csv``: the forecast of the steps in ``ACTUAL``."""
    from cortexkit.cli.forecast import saved_dates
    from cortexkit.data.series import read_like_training

    est, extra = model_file.estimator, model_file.extra
    saved_dates(extra, args.model)
    actual = read_like_training(args.data, extra, args.date_format)
    history = (
        None if args.history is None else read_like_training(args.history, extra, args.date_format)
    )
    if history is None:
        check_after_training(actual, est, extra, args.data)
    check_no_gap(actual, history, extra, args.data)
    table = est.evaluate(actual, history, season=args.season, rolling=args.rolling)
    season = args.season or est.season_
    if args.json:
        print(json.dumps({**table, "season": season, "steps": len(actual),
                          "rolling": bool(args.rolling)}, indent=2))  # fmt: skip
    else:
        how = "one step at a time" if args.rolling else "all at once"
        print(f"{len(actual)} steps forecast {how}:")
        print(format_table(table, season))
    return 0


def check_after_training(actual: Any, est: Any, extra: dict[str, Any], path: str) -> None:
    """Refuse (dated) or warn about (undated) ``actual`` steps that lie inside the training
    series: without ``--history`` they are scored against the forecast of the steps after
    it, which means nothing."""
    import warnings

    import numpy as np
    import pandas as pd
    from numpy.lib.stride_tricks import sliding_window_view

    dates = extra.get("dates")
    if dates and isinstance(actual.index, pd.DatetimeIndex) and len(actual):
        last = pd.Timestamp(dates["last"])
        if actual.index[0] <= last:
            raise ValueError(
                f"DATA {path!r} starts at {actual.index[0]}, inside the training series (which "
                f"ends at {last}): evaluate scores the forecast of the steps after the training "
                "series, so give those steps, or --history FILE for the series DATA follows"
            )
        return
    tail, values = np.asarray(est._tails[0])[:, 0], actual.to_numpy(np.float64)[:, 0]
    m = min(len(values), 5)
    if m >= 3 and len(tail) >= m:
        windows = sliding_window_view(tail, m)
        if (windows == values[:m]).all(axis=1).any():
            warnings.warn(
                f"DATA {path!r} begins with {m} values that the training series holds in a row: "
                "if it overlaps the training data, the scores compare it with the forecast of "
                "the steps after the training series and mean nothing (give the steps after "
                "it, or --history FILE for the series DATA follows)",
                UserWarning,
                stacklevel=2,
            )


def check_no_gap(actual: Any, history: Any, extra: dict[str, Any], path: str) -> None:
    """Refuse a dated ``actual`` that does not start at the step right after the series it
    follows (``history``, default: the training series): its forecast is made from that
    series' end, so after a gap every step would be scored against the wrong forecast."""
    import pandas as pd

    from cortexkit.data.series import frequency

    if not isinstance(actual.index, pd.DatetimeIndex) or not len(actual):
        return
    if history is not None:
        if not isinstance(history.index, pd.DatetimeIndex) or not len(history):
            return
        last, freq, before = history.index[-1], frequency(history.index), "--history"
    else:
        dates = extra.get("dates") or {}
        if not dates.get("last"):
            return
        last, freq, before = pd.Timestamp(dates["last"]), dates.get("freq"), "the training series"
    first = actual.index[0]
    if not freq:
        expected = None
    else:
        try:
            expected = pd.date_range(last, periods=2, freq=freq)[1]
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            return
    if first <= last:
        if history is None:
            return  # check_after_training has said so
        raise ValueError(
            f"DATA {path!r} starts at {first.date()}, inside --history (which ends at "
            f"{last.date()}): give the steps after it, or a --history that ends before DATA"
        )
    if expected is not None and first > expected:
        missing = len(pd.date_range(expected, first, freq=freq, inclusive="left"))
        raise ValueError(
            f"DATA {path!r} starts at {first.date()}, {missing} steps after the step that "
            f"follows {before} ({expected.date()}, as it ends at {last.date()}): the forecast "
            f"would be scored against the wrong steps, so give DATA from {expected.date()} on, "
            "or --history FILE with the series up to the step before DATA"
        )


def predict_arguments(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, "--horizon", type=positive_int,
             help="(forecasters) steps to forecast after the data")  # fmt: skip


def predict(args: argparse.Namespace, model_file: Any) -> int:
    """``cortexkit predict MODEL SERIES.csv``: the forecast after that series."""
    from cortexkit.cli.forecast import write_forecast
    from cortexkit.data.series import read_like_training

    history = read_like_training(args.data, model_file.extra)
    return write_forecast(args, model_file, history, args.horizon)


FAMILIES = (
    TrainFamily(
        "rnn",
        "a recurrent network (LSTM, GRU, RNN) forecasting a series in a CSV",
        add_arguments,
        run,
        table=False,
        models=("RNNForecaster",),
        predict=predict,
        evaluate=evaluate,
        predict_arguments=predict_arguments,
        evaluate_arguments=evaluate_arguments,
    ),
)
