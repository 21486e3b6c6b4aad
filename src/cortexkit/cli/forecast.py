"""``cortexkit forecast MODEL [--data SERIES.csv] --horizon H [--out FILE.csv] [--plot FILE]``.

Forecasts the ``H`` steps after the training series (or after ``--data``), with bounds
(``--coverage``), as a CSV (stdout without ``--out``): one row per step, dated when the
series was. ``--plot`` draws the history, the forecast with its interval and, with
``--actual``, the values that really followed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cortexkit.cli._args import Help, a_or_an, positive_int, say
from cortexkit.cli._paths import check_figure_path, check_output_file

__all__ = ["add_parser", "saved_dates", "write_forecast"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``forecast``."""
    p = sub.add_parser("forecast", parents=[common], formatter_class=Help,
                       help="forecast a series with a trained RNN model")  # fmt: skip
    p.add_argument("model")
    p.add_argument("--data", help="the series to continue (default: the training series)")
    p.add_argument("--date-format", metavar="FORMAT",
                   help="the layout of the dates in --data and --actual, e.g. %%d/%%m/%%Y "
                   "(default: the training one)")  # fmt: skip
    p.add_argument(
        "--horizon", type=positive_int, required=True, help="steps to forecast (at most 100000)"
    )
    p.add_argument("--coverage", type=float, default=0.9, help="of the interval")
    p.add_argument("--out", help="CSV file to write (default: stdout)")
    p.add_argument("--plot", metavar="FILE", help="a figure (.png, .svg or .pdf)")
    p.add_argument("--actual", metavar="FILE", help="what followed, drawn in the figure")
    p.add_argument("--device", help="override the saved device (auto, cpu, cuda)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cortexkit.data.series import read_like_training
    from cortexkit.persist import read_model

    inputs = {"the model": args.model, "the data": args.data, "the actual data": args.actual}
    for flag in ("out", "plot"):
        if getattr(args, flag):
            check_output_file(getattr(args, flag), f"--{flag}", inputs=inputs)
    if getattr(args, "plot", None):
        check_figure_path(args.plot, "--plot")
    mf = read_model(args.model, device=args.device)
    if type(mf.estimator).__name__ != "RNNForecaster":
        raise ValueError(
            f"{args.model!r} holds {a_or_an(type(mf.estimator).__name__)}; forecast needs an "
            "RNNForecaster (cortexkit train rnn)"
        )
    saved_dates(mf.extra, args.model)
    history = (
        None if args.data is None else read_like_training(args.data, mf.extra, args.date_format)
    )
    return write_forecast(args, mf, history, args.horizon)


def write_forecast(args: argparse.Namespace, mf: Any, history: Any, horizon: int | None) -> int:
    """Forecast, write the CSV (and the figure when asked)."""
    import pandas as pd

    est = mf.estimator
    coverage = getattr(args, "coverage", 0.9)
    steps = int(horizon if horizon is not None else est.horizon)
    ids = _series_ids(est, history, mf.extra)
    if ids is not None:
        return _write_several(args, est, history, steps, coverage, ids)
    saved = saved_dates(mf.extra, getattr(args, "model", "the model file"))
    dates = _future_dates(history, saved if history is None else None, steps)
    lower, upper = est.predict_interval(history, horizon=horizon, coverage=coverage)
    point = est.predict(history, horizon=horizon)
    out = pd.DataFrame({"step": range(1, steps + 1)})
    if dates is not None:
        out["date"] = [d.date().isoformat() if d.normalize() == d else d.isoformat()
                       for d in dates]  # fmt: skip
    out["forecast"], out["lower"], out["upper"] = point, lower, upper
    if getattr(args, "out", None):
        from cortexkit.io.envelope import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {steps} forecast steps to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    if getattr(args, "plot", None):
        from cortexkit.data.series import read_like_training
        from cortexkit.rnn.plots import plot_forecast

        past = est._history(history)[:, 0]
        past = past[-max(3 * steps, 2 * est._window()) :]
        actual = None
        if getattr(args, "actual", None):
            actual = read_like_training(
                args.actual, mf.extra, getattr(args, "date_format", None)
            ).to_numpy()[:, 0]
        plot_forecast(args.plot, past, point, interval=(lower, upper), actual=actual,
                      title=f"{mf.extra.get('series', {}).get('column', 'series')}: "
                            f"{steps}-step forecast ({coverage:.0%} interval)")  # fmt: skip
        say(args, f"wrote the figure to {args.plot}")
    return 0


def _series_ids(est: Any, history: Any, extra: dict[str, Any]) -> list[str] | None:
    """The series a global model forecasts (its own, or those of a long ``history``);
    None for one series."""
    column = (extra.get("series") or {}).get("series_column")
    if history is None:
        return list(est.series_ids_) if getattr(est, "_several", False) else None
    if column and column in getattr(history, "columns", ()):
        return [str(k) for k, _ in history.groupby(column, sort=False)]
    return None


def _write_several(
    args: argparse.Namespace, est: Any, history: Any, steps: int, coverage: float, ids: list[str]
) -> int:
    """A global model's forecasts: one row per series and step (no dates, no figure)."""
    import numpy as np
    import pandas as pd

    if getattr(args, "plot", None):
        raise ValueError("--plot draws one series; this model forecasts several: give --data "
                         "with one of them")  # fmt: skip
    point = est.predict(history, horizon=steps)
    lower, upper = est.predict_interval(history, horizon=steps, coverage=coverage)
    out = pd.DataFrame({"series": np.repeat(ids, steps), "step": np.tile(range(1, steps + 1),
                        len(ids)), "forecast": point.ravel(), "lower": lower.ravel(),
                        "upper": upper.ravel()})  # fmt: skip
    if getattr(args, "out", None):
        from cortexkit.io.envelope import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {steps} forecast steps of {len(ids)} series to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def saved_dates(extra: dict[str, Any], model: str) -> tuple[Any, str | None] | None:
    """The last date and the frequency a model file saved for its training series (None
    when it was not dated), refused in one line when they are not a date and a pandas
    frequency (a model file edited by hand)."""
    import pandas as pd

    dates = extra.get("dates")
    if dates is None:
        return None
    way_out = "give the series to continue with --data, or train the model again"
    if not isinstance(dates, dict):
        raise ValueError(f"MODEL {model!r} saves its dates as {dates!r}, not an object: {way_out}")
    try:
        last = pd.Timestamp(dates.get("last"))
    except (TypeError, ValueError, OverflowError):
        last = pd.NaT
    if last is pd.NaT:
        raise ValueError(
            f"MODEL {model!r} saves the last date {dates.get('last')!r}, which is not a date: "
            f"{way_out}"
        )
    freq = dates.get("freq")
    if freq is not None:
        try:
            pd.tseries.frequencies.to_offset(freq)
        except (TypeError, ValueError):
            raise ValueError(
                f"MODEL {model!r} saves the frequency {freq!r}, which is not a pandas "
                f"frequency (such as 'D' or 'MS'): {way_out}"
            ) from None
    return last, freq


def _future_dates(history: Any, saved: tuple[Any, str | None] | None, steps: int) -> Any:
    """Dates of the forecast steps, when the series is dated at a regular frequency."""
    import pandas as pd

    from cortexkit.data.series import frequency

    if history is not None and isinstance(history.index, pd.DatetimeIndex):
        freq = frequency(history.index)
        last = history.index[-1]
    elif saved:
        last, freq = saved
    else:
        return None
    if not freq:
        return None
    try:
        dates = pd.date_range(last, periods=steps + 1, freq=freq)[1:]
        end = dates[-1] if len(dates) else last
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        end = None
    if end is None or end.year > LAST_YEAR:
        room = _steps_before(last, freq)
        raise ValueError(
            f"--horizon {steps} runs past the last date a forecast can be dated with "
            f"({LAST_YEAR}-12-31): the series ends at {last.date().isoformat()} with frequency "
            f"{freq!r}, so ask for at most {room} steps"
        )
    return dates


LAST_YEAR = 9999


def _steps_before(last: Any, freq: str) -> int:
    """How many steps of ``freq`` after ``last`` are dated in year ``LAST_YEAR`` or before."""
    import pandas as pd

    end = pd.Timestamp(f"{LAST_YEAR}-12-31 23:59:59").as_unit("s")
    last = pd.Timestamp(last).as_unit("s")
    try:
        return max(len(pd.date_range(last, end, freq=freq)) - 1, 0)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        return 0
