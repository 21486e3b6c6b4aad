"""Time series in: a CSV with a date column, or an array, Series or DataFrame.

:func:`read_series` reads a CSV through :func:`~cortexkit.data.read_table` (so
``"7,380,500"`` is a number), parses and sorts a date column, and refuses missing values
unless a fill is asked for. :func:`series_values` turns any accepted series into a float
matrix whose first column is the target and the others exogenous columns, checking it.
:func:`read_like_training` reads a new file as a model file says its training series was
read, and :func:`frequency` / :func:`series_dates` keep what dated forecasts need.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "prices.csv"
>>> _ = path.write_text('Date,Close,Volume\\n4/1/2012,10.5,"1,200"\\n3/1/2012,11.0,"3,400"\\n')
>>> series = read_series(path, "Close", date_column="Date", exogenous=["Volume"],
...                      date_format="%d/%m/%Y")  # 4/1/2012 could be 1 April: say which
>>> [str(d.date()) for d in series.index], series["Volume"].tolist()
(['2012-01-03', '2012-01-04'], [3400.0, 1200.0])
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cortexkit.data.tables import read_table

__all__ = [
    "FILLS",
    "frequency",
    "parse_dates",
    "read_like_training",
    "read_series",
    "series_dates",
    "series_values",
    "settled_format",
]

FILLS = ("ffill", "interpolate")
"""How :func:`read_series` may fill missing values, when asked to."""


def read_series(
    path: str | os.PathLike[str],
    column: str,
    *,
    date_column: str | None = None,
    exogenous: Sequence[str] | None = None,
    fill: str | None = None,
    date_format: str | None = None,
    series_column: str | None = None,
) -> pd.DataFrame:
    """Read a series from a CSV: the ``column`` to forecast and optional exogenous columns.

    Parameters
    ----------
    path : str or path-like
        The CSV file (see :func:`~cortexkit.data.read_table`); numbers may carry thousands
        separators.
    column : str
        The target column.
    date_column : str or None, default=None
        A column of dates: parsed, and the rows sorted by it (it becomes the index). A
        date repeated or one that does not parse is an error. ``None`` keeps file order.
    exogenous : sequence of str or None, default=None
        Other numeric columns to feed the network beside the target.
    fill : {"ffill", "interpolate"} or None, default=None
        What to do with empty cells: ``None`` refuses them (the error names the column
        and the first row), ``"ffill"`` repeats the last value seen, ``"interpolate"``
        draws a straight line between neighbours (leading gaps take the first value).
    date_format : str or None, default=None
        The layout of the dates, in :func:`~datetime.datetime.strptime` codes
        (``"%d/%m/%Y"``, ``--date-format`` on the command line). ``None`` infers it, but
        refuses dates such as ``01/02/2021`` that read both day-first and month-first when
        no date in the column settles it (a first number over 12 is a day, a second one a
        day of a month-first date). Dates with different UTC offsets (a daylight-saving
        change) are converted to UTC.
    series_column : str or None, default=None
        A long table of several series: the column naming the series of each row (read as
        text, kept as the last column). Dates may repeat across series, not within one;
        gaps are filled within each series.

    Returns
    -------
    pandas.DataFrame
        The target first, then the exogenous columns (then ``series_column``), in time
        order (within each series).
    """
    if fill is not None and fill not in FILLS:
        raise ValueError(f"fill must be one of {list(FILLS)} or None; got {fill!r}")
    columns = [column, *(exogenous or [])]
    ids = [series_column] if series_column else []
    wanted = columns + ([date_column] if date_column else []) + ids
    text = {name: "text" for name in [date_column, series_column] if name}
    df = read_table(path, only=wanted, column_types=text or None)
    missing = [name for name in wanted if name not in df.columns]
    if missing:
        raise ValueError(
            f"{os.fspath(path)!r} has no column {missing[0]!r}; columns are "
            f"{list(read_table(path).columns)}"
        )
    if date_column:
        dates = parse_dates(df[date_column], date_column, date_format)
        key = pd.DataFrame({"id": df[series_column], "date": dates}) if series_column else dates
        if key.duplicated().any():
            first = dates[key.duplicated()].iloc[0].date()
            within = " within a series" if series_column else ""
            raise ValueError(f"date column {date_column!r} repeats {first}{within}")
        df = df.set_index(pd.DatetimeIndex(dates, name=date_column)).drop(columns=date_column)
        df = df.sort_index(kind="stable")
    groups = df[series_column].astype(str) if series_column else None
    df = df[columns]
    for name in columns:
        if not pd.api.types.is_numeric_dtype(df[name]) or pd.api.types.is_bool_dtype(df[name]):
            sample = df[name].dropna().iloc[0] if df[name].notna().any() else None
            if _is_date(sample):
                raise ValueError(
                    f"column {name!r} holds dates ({sample!r}), not numbers: name it as the "
                    f"date column (--date-column {name}, date_column= in Python) and forecast "
                    "a column of numbers"
                )
            raise ValueError(f"column {name!r} must hold numbers; it holds {sample!r}")
    gaps = df.isna()
    if gaps.to_numpy().any():
        if fill is None:
            name = str(gaps.any().idxmax())
            row = int(np.argmax(gaps[name].to_numpy()))
            raise ValueError(
                f"column {name!r} has {int(gaps[name].sum())} missing values (the first in "
                f"row {row + 1} after sorting); fill them, or ask for fill='ffill' or "
                "'interpolate' (--fill on the command line)"
            )
        if groups is not None:
            df = df.groupby(groups, sort=False, group_keys=False).apply(_filled(fill))
        else:
            df = _filled(fill)(df)
    df = df.astype(np.float64)
    if groups is not None:
        df[series_column] = groups
    return df


def _filled(fill: str) -> Any:
    def filled(df: pd.DataFrame) -> pd.DataFrame:
        if fill == "ffill":
            return df.ffill().bfill()
        return df.interpolate(limit_direction="both")

    return filled


# a date that starts with two numbers of 1 or 2 digits: 01/02/2021, 1.2.21, 01-02-2021 10:00
_DAY_MONTH = r"^(\d{1,2})([/.\-])(\d{1,2})\2\d{2,4}(?:$|[\sT])"


def parse_dates(text: pd.Series, column: str, date_format: str | None = None) -> pd.Series:
    """The column of dates ``text`` parsed, as :func:`read_series` parses its date column.

    ``date_format`` (strptime codes) fixes the layout; without it, day/month dates that no
    date in the column settles (every first and second number 12 or less, and some that
    differ) are refused, and a column that only reads day-first is read day-first.
    Different UTC offsets (a daylight-saving change) are converted to UTC.

    Examples
    --------
    >>> parse_dates(pd.Series(["13/01/2021", "02/01/2021"]), "d").dt.day.tolist()
    [13, 2]
    >>> parse_dates(pd.Series(["01/02/2021"]), "d")
    Traceback (most recent call last):
    ...
    ValueError: date column 'd' holds dates such as '01/02/2021' that read day-first or ...
    """
    text = text.astype("string").str.strip()
    flag = "--date-format (date_format= in Python)"
    dayfirst = False
    if date_format is None:
        parts = text.str.extract(_DAY_MONTH)
        found = parts[0].notna()
        if found.any():
            first = parts[0][found].astype(int).to_numpy()
            second = parts[2][found].astype(int).to_numpy()
            shown = text[found].to_numpy()
            sep = str(parts[1][found].iloc[0])
            formats = f"%d{sep}%m{sep}%Y or %m{sep}%d{sep}%Y"
            day_first, month_first = first > 12, second > 12
            if day_first.any() and month_first.any():
                raise ValueError(
                    f"date column {column!r} holds {shown[day_first][0]!r} (day first) and "
                    f"{shown[month_first][0]!r} (month first); give the layout with {flag}, "
                    f"e.g. {formats}"
                )
            if not day_first.any() and not month_first.any() and (first != second).any():
                raise ValueError(
                    f"date column {column!r} holds dates such as "
                    f"{shown[first != second][0]!r} that read day-first or month-first, and "
                    f"none settles which; say which with {flag}: {formats}"
                )
            dayfirst = bool(day_first.any())
    dates = _to_datetime(text, column, date_format, dayfirst)
    return dates


def settled_format(text: pd.Series) -> str | None:
    """The strptime format of day/month dates whose order a date settles (``13/01/2021``:
    ``"%d/%m/%Y"``) when every date has that one plain layout, else None: saved with a
    model so that a later file whose days are all 12 or less is read the same way.

    Examples
    --------
    >>> settled_format(pd.Series(["1/31/2017", "2/1/2017"]))
    '%m/%d/%Y'
    >>> settled_format(pd.Series(["01/02/2021"])) is None  # not settled
    True
    """
    text = text.astype("string").str.strip()
    parts = text.str.extract(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
    if not len(text) or parts[0].isna().any() or parts[1].nunique() != 1:
        return None
    if parts[3].str.len().nunique() != 1:
        return None
    first, second = parts[0].astype(int), parts[2].astype(int)
    if (first > 12).any() == (second > 12).any():
        return None  # not settled, or both ways (refused by parse_dates)
    sep, year = str(parts[1].iloc[0]), "%Y" if len(str(parts[3].iloc[0])) == 4 else "%y"
    order = ("%d", "%m") if (first > 12).any() else ("%m", "%d")
    return f"{order[0]}{sep}{order[1]}{sep}{year}"


def _to_datetime(
    text: pd.Series, column: str, date_format: str | None, dayfirst: bool
) -> pd.Series:
    flag = "--date-format (date_format= in Python)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        try:
            dates = pd.to_datetime(text, format=date_format, dayfirst=dayfirst, errors="coerce")
        except ValueError:  # different UTC offsets: a daylight-saving change
            dates = pd.to_datetime(
                text, format=date_format, dayfirst=dayfirst, errors="coerce", utc=True
            )
    bad = dates.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        how = (
            f"which does not match the date format {date_format!r}"
            if date_format is not None
            else f"which is not a date (give the layout of the dates with {flag})"
        )
        raise ValueError(f"date column {column!r} holds {text.iloc[row]!r} in row {row + 1}, {how}")
    return dates


def _is_date(value: Any) -> bool:
    """Whether ``value`` is text that reads as a date (``"2021-01-31"``, ``"1/31/2021"``)."""
    if not isinstance(value, str) or not re.search(r"\d[-/.]\d", value):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return not pd.isna(pd.to_datetime(value, errors="coerce"))


def series_values(X: Any, target: Any = None, *, name: str = "X") -> tuple[np.ndarray, list[str]]:
    """``X`` as a float64 matrix ``(n_steps, n_columns)``, target column first, and the
    column names (``"x0"``, ``"x1"``, ... without names).

    ``X`` is a 1-d array or Series (the target alone), or a 2-d array or DataFrame whose
    ``target`` column (a name or a position; ``None``: the first) is forecast and whose
    other columns are exogenous.
    """
    if isinstance(X, pd.Series):
        frame = X.to_frame(name=str(X.name) if X.name is not None else "x0")
    elif isinstance(X, pd.DataFrame):
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
    else:
        if isinstance(X, str | bytes) or np.isscalar(X) or X is None:
            raise TypeError(f"{name} must be a series (an array, Series or DataFrame); got "
                            f"{type(X).__name__}")  # fmt: skip
        from sklearn.utils import check_array

        # scikit-learn's checks: numbers, no sparse matrix or complex values, a sample
        arr = check_array(X, ensure_2d=False, dtype=np.float64, ensure_all_finite=False,
                          input_name=name)  # fmt: skip
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be 1-d (one series) or 2-d (n_steps, n_columns); got shape "
                f"{arr.shape}"
            )
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    names = list(frame.columns)
    if not names:
        raise ValueError(f"{name} has no columns")
    if target is None:
        first = 0
    elif isinstance(target, int | np.integer) and not isinstance(target, bool):
        if not 0 <= target < len(names):
            raise ValueError(f"target={target} is out of range for {len(names)} columns")
        first = int(target)
    elif str(target) in names:
        first = names.index(str(target))
    else:
        raise ValueError(f"target={target!r} is not a column of {name}; columns are {names}")
    order = [names[first], *(n for i, n in enumerate(names) if i != first)]
    frame = frame[order]
    for col in order:
        kind = frame[col].dtype
        if not (pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind)):
            values = pd.to_numeric(frame[col], errors="coerce")
            if values.isna().any() and not frame[col].isna().all():
                bad = frame[col][values.isna() & frame[col].notna()]
                if len(bad):
                    raise ValueError(
                        f"{name} column {col!r} must hold numbers; it holds {bad.iloc[0]!r}"
                    )
            frame[col] = values
    values = np.array(frame.to_numpy(dtype=np.float64), order="C")  # own, writable, C order
    if not np.isfinite(values).all():
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise ValueError(
            f"{name} contains NaN or infinity (column {order[col]!r}, step {int(row)}); fill "
            "or drop it first"
        )
    return values, order


def read_like_training(
    path: str | os.PathLike[str], extra: dict[str, Any], date_format: str | None = None
) -> pd.DataFrame:
    """The series in ``path``, read as a model file's training series was: ``extra`` is the
    JSON saved beside the model, whose ``"series"`` entry holds :func:`read_series`'s
    settings (``column``, ``date_column``, ``exogenous``, ``fill``, ``date_format``).
    ``date_format``, when given, replaces the saved one (``--date-format``).

    Raises
    ------
    ValueError
        If ``extra`` has no ``"series"`` entry (a model saved from Python without one).
    """
    settings = extra.get("series")
    if settings is None:
        raise ValueError(
            "the model file does not say which column to read (a model saved from Python): "
            "save it with extra series={'column': ...}, or forecast in Python"
        )
    return read_series(
        path,
        settings["column"],
        date_column=settings.get("date_column"),
        exogenous=settings.get("exogenous") or [],
        fill=settings.get("fill"),
        date_format=date_format or settings.get("date_format"),
        series_column=settings.get("series_column"),
    )


def frequency(index: Any) -> str | None:
    """The regular frequency of a date index (``"MS"``, ``"D"``), or None.

    Examples
    --------
    >>> frequency(pd.date_range("2020-01-01", periods=4, freq="MS"))
    'MS'
    >>> frequency(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-05"])) is None
    True
    """
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 announces a change of return type
        freq = pd.infer_freq(index)
    return None if freq is None else str(getattr(freq, "freqstr", freq))


def series_dates(series: Any) -> dict[str, Any] | None:
    """The last date and the frequency of a dated series (a DataFrame or Series with a
    ``DatetimeIndex``), for dated forecasts; None when it is not dated."""
    if not isinstance(series.index, pd.DatetimeIndex):
        return None
    return {"last": series.index[-1].isoformat(), "freq": frequency(series.index)}
