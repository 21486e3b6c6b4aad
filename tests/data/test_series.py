"""Series from CSV: dates parsed and sorted, thousands separators, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cortexkit.data import read_series, series_values
from cortexkit.data.series import frequency, read_like_training, series_dates
from cortexkit.rnn.metrics import baselines, infer_season, scores


def _write(tmp_path, text: str):
    path = tmp_path / "s.csv"
    path.write_text(text)
    return path


def test_dates_are_parsed_and_sorted_and_separators_read(tmp_path) -> None:
    path = _write(tmp_path, 'Date,Close\n1/5/2017,"1,001.5"\n1/3/2017,"7,380,500"\n1/4/2017,9\n')
    series = read_series(path, "Close", date_column="Date", date_format="%m/%d/%Y")
    assert [d.day for d in series.index] == [3, 4, 5]
    assert series["Close"].tolist() == [7380500.0, 9.0, 1001.5]


@pytest.mark.parametrize(
    ("fill", "expected"), [("ffill", [1.0, 1.0, 3.0]), ("interpolate", [1.0, 2.0, 3.0])]
)
def test_missing_values_only_with_a_fill(tmp_path, fill, expected) -> None:
    path = _write(tmp_path, "t,y\n0,1\n1,\n2,3\n")
    with pytest.raises(ValueError, match="'y' has 1 missing values \\(the first in row 2"):
        read_series(path, "y")
    assert read_series(path, "y", fill=fill)["y"].tolist() == expected


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("d,y\nmonday,1\n", {"date_column": "d"}, "'monday' in row 1, which is not a date"),
        ("d,y\n1/1/2020,1\n1/1/2020,2\n", {"date_column": "d"}, "repeats 2020-01-01"),
        ("t,y\n0,a\n1,b\n", {}, "column 'y' must hold numbers"),
        ("t,y\n0,1\n", {"exogenous": ["z"]}, "no column 'z'"),
        ("t,y\n0,1\n", {"fill": "mean"}, "fill must be one of"),
    ],
    ids=["bad-date", "repeated-date", "text", "missing-column", "unknown-fill"],
)
def test_bad_series_files(tmp_path, text, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        read_series(_write(tmp_path, text), "y", **kwargs)


def test_day_month_dates_are_read_right_or_refused(tmp_path) -> None:
    """01/02/2021 was read as 2 January whatever the file meant: it is refused unless a date
    settles the order (a first number over 12 is a day: read day-first, where it said "not
    a date") or date_format says which."""
    ambiguous = _write(tmp_path, "d,y\n01/02/2021,1\n02/02/2021,2\n03/02/2021,3\n")
    with pytest.raises(
        ValueError,
        match=r"'01/02/2021' that read day-first or month-first.*"
        r"--date-format \(date_format= in Python\): %d/%m/%Y or %m/%d/%Y",
    ):
        read_series(ambiguous, "y", date_column="d")
    day_first = read_series(ambiguous, "y", date_column="d", date_format="%d/%m/%Y")
    assert [str(d.date()) for d in day_first.index] == ["2021-02-01", "2021-02-02", "2021-02-03"]
    month_first = read_series(ambiguous, "y", date_column="d", date_format="%m/%d/%Y")
    assert [d.month for d in month_first.index] == [1, 2, 3]
    with pytest.raises(ValueError, match="'01/02/2021' in row 1, which does not match the date"):
        read_series(ambiguous, "y", date_column="d", date_format="%Y-%m-%d")
    extra = {"series": {"column": "y", "date_column": "d", "date_format": "%d/%m/%Y"}}
    assert read_like_training(ambiguous, extra).index[0].month == 2
    assert read_like_training(ambiguous, extra, "%m/%d/%Y").index[0].month == 1
    settled = _write(tmp_path, "d,y\n12/01/2021,1\n13/01/2021,2\n01/02/2021,3\n")
    assert [str(d.date()) for d in read_series(settled, "y", date_column="d").index] == [
        "2021-01-12", "2021-01-13", "2021-02-01"]  # fmt: skip
    mixed = _write(tmp_path, "d,y\n13/01/2021,1\n01/14/2021,2\n")
    with pytest.raises(ValueError, match="'13/01/2021' \\(day first\\) and '01/14/2021'"):
        read_series(mixed, "y", date_column="d")


def test_date_messages_name_the_way_out(tmp_path) -> None:
    """An ISO date column named as the target said "must hold numbers"; a date that does
    not parse names --date-format; a series across a daylight-saving change (two UTC
    offsets) said "Pass utc=True", which the command line cannot do: it is read in UTC."""
    iso = _write(tmp_path, "date,y\n2021-01-01,1\n2021-01-02,2\n")
    with pytest.raises(
        ValueError,
        match="column 'date' holds dates \\('2021-01-01'\\), not "
        "numbers: name it as the date column \\(--date-column date",
    ):
        read_series(iso, "date")
    with pytest.raises(
        ValueError, match="not a date \\(give the layout of the dates with --date-format"
    ):
        read_series(_write(tmp_path, "d,y\nmonday,1\n"), "y", date_column="d")
    dst = _write(
        tmp_path,
        "d,y\n2021-03-27T12:00:00+01:00,1\n2021-03-28T12:00:00+02:00,2\n"
        "2021-03-29T12:00:00+02:00,3\n",
    )
    series = read_series(dst, "y", date_column="d")
    assert [d.isoformat() for d in series.index] == [
        "2021-03-27T11:00:00+00:00",
        "2021-03-28T10:00:00+00:00",
        "2021-03-29T10:00:00+00:00",
    ]


def test_series_values_puts_the_target_first() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    values, names = series_values(frame, "b")
    assert names == ["b", "a"] and values.tolist() == [[3.0, 1.0], [4.0, 2.0]]
    with pytest.raises(ValueError, match="target='c' is not a column"):
        series_values(frame, "c")


def test_metrics_against_hand_computed_values() -> None:
    history = np.array([1.0, 3.0, 2.0, 4.0])  # in-sample naive MAE: (2 + 1 + 2) / 3
    out = scores([5.0, 6.0], [4.0, 8.0], history)
    assert out["rmse"] == pytest.approx(np.sqrt(2.5))
    assert out["mae"] == pytest.approx(1.5)
    assert out["mape"] == pytest.approx((1 / 5 + 2 / 6) / 2 * 100)
    assert out["mase"] == pytest.approx(1.5 / (5 / 3))
    b = baselines(np.arange(10.0), 5, season=3)
    assert b["naive"].tolist() == [9.0] * 5
    assert b["seasonal_naive"].tolist() == [7.0, 8.0, 9.0, 7.0, 8.0]
    assert infer_season(np.random.default_rng(0).normal(size=200)) == 1


def test_a_file_is_read_as_the_training_series_was(tmp_path) -> None:
    path = _write(tmp_path, "Date,Open,Volume\n2020-02-01,2,20\n2020-01-01,1,\n2020-03-01,3,30\n")
    extra = {"series": {"column": "Open", "date_column": "Date", "exogenous": ["Volume"],
                        "fill": "interpolate"}}  # fmt: skip
    series = read_like_training(path, extra)
    assert series.columns.tolist() == ["Open", "Volume"]
    assert series["Volume"].tolist() == [20.0, 20.0, 30.0]
    assert frequency(series.index) == "MS"
    assert series_dates(series) == {"last": "2020-03-01T00:00:00", "freq": "MS"}
    assert series_dates(series.reset_index(drop=True)) is None
    with pytest.raises(ValueError, match="does not say which column to read"):
        read_like_training(path, {})


def test_an_irregular_or_short_index_has_no_frequency() -> None:
    assert frequency(pd.DatetimeIndex(["2020-01-01", "2020-01-02"])) is None
    assert frequency(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-09"])) is None
