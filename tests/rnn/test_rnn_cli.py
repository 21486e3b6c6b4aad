"""``cortexkit train rnn``, ``forecast``, and ``predict``/``evaluate`` on forecasters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cortexkit import load
from cortexkit.cli import run_captured
from cortexkit.persist import read_model

FAST = ["--epochs", "20", "--learning-rate", "0.01", "--hidden-layers", "16", "--lookback", "24",
        "--difference", "1"]  # fmt: skip


def _csv(path: Path, n: int = 240, start: int = 0, gap: bool = False) -> Path:
    """A dated monthly series, written out of order, with thousands separators."""
    t = np.arange(start, start + n)
    value = 5000 + 1000 * np.sin(2 * np.pi * t / 12) + 10 * t
    frame = pd.DataFrame({
        "Date": pd.date_range("2000-01-01", periods=start + n, freq="MS")[start:].strftime(
            "%m/%d/%Y"),
        "Sales": [f"{v:,.1f}" for v in value],
    })  # fmt: skip
    if gap:
        frame.loc[5, "Sales"] = ""
    frame.iloc[::-1].to_csv(path, index=False)  # newest first: the reader sorts by date
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rnn-cli")
    data, later = _csv(folder / "sales.csv"), _csv(folder / "later.csv", n=12, start=240)
    model = folder / "sales.cortex"
    result = run_captured("--quiet", "train", "rnn", str(data), "--column", "Sales",
                          "--date-column", "Date", "--date-format", "%m/%d/%Y", *FAST,
                          "--holdout", "12", "--out", str(model))  # fmt: skip
    assert result.code == 0, result.err
    assert "seasonal-naive (season 12)" in result.out
    return {"data": data, "later": later, "model": model, "folder": folder}


def test_hidden_layers_are_the_widths_of_the_stacked_layers(tmp_path) -> None:
    data, model = _csv(tmp_path / "s.csv", n=60), tmp_path / "m.cortex"
    result = run_captured("--quiet", "train", "rnn", str(data), "--column", "Sales",
                          "--hidden-layers", "6,3", "--epochs", "1",
                          "--out", str(model))  # fmt: skip
    assert result.code == 0, result.err
    assert load(model).network_.layer_sizes == [1, 6, 3, 1]
    old = run_captured("train", "rnn", str(data), "--layers", "2", "--out", str(model))
    assert old.code == 2 and "unrecognized arguments: --layers" in old.err


def test_forecast_writes_dated_steps_and_a_figure(trained) -> None:
    out, plot = trained["folder"] / "f.csv", trained["folder"] / "f.png"
    result = run_captured("--quiet", "forecast", str(trained["model"]), "--data",
                          str(trained["data"]), "--horizon", "12", "--out", str(out), "--plot",
                          str(plot), "--actual", str(trained["later"]))  # fmt: skip
    assert result.code == 0, result.err
    table = pd.read_csv(out)
    assert list(table.columns) == ["step", "date", "forecast", "lower", "upper"]
    assert table["date"].iloc[0] == "2020-01-01"  # the month after the data's last
    # <=: the series is a sine plus a line, so its seasonal-naive forecast on the differences is
    # exact; the blend may choose it, and then its validation errors (and the interval) are 0
    assert (table["lower"] <= table["upper"]).all()
    actual = 5000 + 1000 * np.sin(2 * np.pi * np.arange(240, 252) / 12) + 10 * np.arange(240, 252)
    naive = np.abs(actual - actual[0] + 10).mean()  # the last month's value, repeated
    assert np.abs(table["forecast"] - actual).mean() < 0.6 * naive
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_forecast_without_data_continues_the_training_series(trained) -> None:
    result = run_captured("forecast", str(trained["model"]), "--horizon", "3")
    assert result.code == 0, result.err
    table = pd.read_csv(__import__("io").StringIO(result.out))
    # trained on all but the 12 held-out months: it continues from 2019-01
    assert table["date"].tolist() == ["2019-01-01", "2019-02-01", "2019-03-01"]


def test_evaluate_and_predict_on_a_forecaster(trained) -> None:
    result = run_captured("evaluate", str(trained["model"]), str(trained["later"]), "--history",
                          str(trained["data"]), "--json")  # fmt: skip
    assert result.code == 0, result.err
    scores = json.loads(result.out)
    assert scores["season"] == 12 and scores["steps"] == 12
    assert scores["model"]["mase"] < scores["naive"]["mase"]
    rolling = run_captured("evaluate", str(trained["model"]), str(trained["later"]),
                           "--history", str(trained["data"]), "--rolling")  # fmt: skip
    assert rolling.code == 0 and "one step at a time" in rolling.out
    predicted = run_captured("predict", str(trained["model"]), str(trained["data"]),
                             "--horizon", "4")  # fmt: skip
    assert predicted.code == 0, predicted.err
    assert len(pd.read_csv(__import__("io").StringIO(predicted.out))) == 4


def test_evaluate_on_the_training_series_is_refused_or_warned(trained, tmp_path) -> None:
    """Scoring the training file against the forecast after it gave MASE 13.9 silently: a
    dated series that starts inside the training series is refused; an undated one that
    repeats the training values is warned about."""
    result = run_captured("evaluate", str(trained["model"]), str(trained["data"]))
    assert result.code == 2 and "inside the training series" in result.err, result.err
    undated = tmp_path / "undated.csv"
    pd.read_csv(trained["data"]).iloc[::-1][["Sales"]].to_csv(undated, index=False)
    model = tmp_path / "u.cortex"
    trained_ = run_captured("--quiet", "train", "rnn", str(undated), *FAST, "--epochs", "1",
                            "--out", str(model))  # fmt: skip
    assert trained_.code == 0, trained_.err
    tail = tmp_path / "tail.csv"
    pd.read_csv(undated).iloc[-12:].to_csv(tail, index=False)
    with pytest.warns(UserWarning, match="overlaps the training data"):
        result = run_captured("evaluate", str(model), str(tail))
    assert result.code == 0, result.err


def test_missing_values_are_an_error_unless_a_fill_is_asked_for(tmp_path) -> None:
    data = _csv(tmp_path / "gappy.csv", gap=True)
    out = tmp_path / "m.cortex"
    args = ["train", "rnn", str(data), "--column", "Sales", "--date-column", "Date",
            "--date-format", "%m/%d/%Y", *FAST, "--epochs", "1", "--out", str(out)]  # fmt: skip
    refused = run_captured(*args)
    assert refused.code == 2 and "'Sales' has 1 missing values" in refused.err
    assert "--fill" in refused.err and not out.exists()
    assert run_captured("--quiet", *args, "--fill", "interpolate").code == 0


def test_bad_input_is_one_line(tmp_path) -> None:
    data = _csv(tmp_path / "s.csv", n=20)
    out = str(tmp_path / "m.cortex")
    short = run_captured("train", "rnn", str(data), "--column", "Sales", *FAST, "--out", out)
    assert short.code == 2 and "has 20 steps (n_samples = 20); lookback=24" in short.err
    assert "horizon=1 + difference=1 need at least 26" in short.err
    text = run_captured("train", "rnn", str(data), "--column", "Date", "--out", out)
    assert text.code == 2 and "column 'Date' holds dates ('08/01/2001'), not numbers" in text.err
    assert "--date-column Date" in text.err
    two = _csv(tmp_path / "two.csv", n=40)
    pd.read_csv(two).assign(Other=1.0).to_csv(two, index=False)
    unnamed = run_captured("train", "rnn", str(two), "--date-column", "Date", "--out", out)
    assert unnamed.code == 2 and "name the column to forecast with --column" in unnamed.err
    zero = run_captured("forecast", out, "--horizon", "0")
    assert zero.code == 2 and "--horizon" in zero.err


def test_ambiguous_day_month_dates_are_refused_until_a_date_format_settles_them(tmp_path) -> None:
    """Monthly dates written 01/02/2000, 01/03/2000 ... were read month-first silently: with
    every number 12 or less they are refused, naming --date-format; the format given is
    saved, and forecast, evaluate and forecast --data read new files with it."""
    rows = pd.date_range("2000-01-01", periods=60, freq="MS")
    values = [f"{5000 + 1000 * np.sin(i / 2):.1f}" for i in range(72)]
    data, later = tmp_path / "daymonth.csv", tmp_path / "later.csv"
    pd.DataFrame({"Date": rows.strftime("%d/%m/%Y"), "Sales": values[:60]}).to_csv(
        data, index=False
    )
    after = pd.date_range("2005-01-01", periods=12, freq="MS").strftime("%d/%m/%Y")
    pd.DataFrame({"Date": after, "Sales": values[60:]}).to_csv(later, index=False)
    out = tmp_path / "m.cortex"
    args = ["train", "rnn", str(data), "--column", "Sales", "--date-column", "Date", *FAST,
            "--epochs", "1", "--out", str(out)]  # fmt: skip
    refused = run_captured(*args)
    assert refused.code == 2 and not out.exists(), refused.err
    assert "read day-first or month-first" in refused.err and "--date-format" in refused.err
    assert "%d/%m/%Y or %m/%d/%Y" in refused.err and len(refused.err.strip().splitlines()) == 1
    assert run_captured("--quiet", *args, "--date-format", "%d/%m/%Y").code == 0
    assert read_model(out).extra["dates"] == {"last": "2004-12-01T00:00:00", "freq": "MS"}
    forecast = run_captured("forecast", str(out), "--horizon", "2", "--data", str(data))
    assert forecast.code == 0, forecast.err
    assert "2005-01-01" in forecast.out and "2005-02-01" in forecast.out
    assert run_captured("evaluate", str(out), str(later)).code == 0
    wrong = run_captured("evaluate", str(out), str(later), "--date-format", "%Y-%m-%d")
    assert wrong.code == 2 and "does not match the date format '%Y-%m-%d'" in wrong.err
    wrong = run_captured("forecast", str(out), "--horizon", "2", "--data", str(data),
                         "--date-format", "%Y-%m-%d")  # fmt: skip
    assert wrong.code == 2 and "does not match the date format" in wrong.err


def test_an_order_settled_in_training_reads_later_files_whose_days_are_all_12_or_less(
    tmp_path,
) -> None:
    """Trained on 1/13/2021 ... (month first, settled by a day over 12), evaluate on 3/1 to
    3/12 was refused as ambiguous: the settled format is saved in the model file."""
    days = pd.date_range("2021-01-01", periods=71, freq="D")
    values = [f"{100 + 10 * np.sin(i / 3):.2f}" for i in range(71)]
    data, later = tmp_path / "daily.csv", tmp_path / "march.csv"
    pd.DataFrame({"Date": [f"{d.month}/{d.day}/{d.year}" for d in days[:59]],
                  "Sales": values[:59]}).to_csv(data, index=False)  # fmt: skip
    pd.DataFrame({"Date": [f"{d.month}/{d.day}/{d.year}" for d in days[59:]],
                  "Sales": values[59:]}).to_csv(later, index=False)  # fmt: skip
    out = tmp_path / "m.cortex"
    trained = run_captured("--quiet", "train", "rnn", str(data), "--column", "Sales",
                           "--date-column", "Date", *FAST, "--epochs", "1",
                           "--out", str(out))  # fmt: skip
    assert trained.code == 0, trained.err
    assert read_model(out).extra["series"]["date_format"] == "%m/%d/%Y"
    result = run_captured("evaluate", str(out), str(later), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["steps"] == 12


@pytest.mark.slow
def test_google_stock_classic_set_up_from_the_command_line(tmp_path, shared_data) -> None:
    folder = shared_data / "google-stock-price"
    if not folder.exists():
        pytest.skip(f"shared data not available: {folder}")
    model = tmp_path / "google.cortex"
    result = run_captured("--quiet", "train", "rnn", str(folder / "Google_Stock_Price_Train.csv"),
                          "--column", "Open", "--date-column", "Date", "--lookback", "60",
                          "--hidden-layers", "50,50,50,50", "--dropout", "0.2", "--epochs", "3",
                          "--device", "cpu", "--out", str(model))  # fmt: skip
    assert result.code == 0, result.err
    scores = run_captured("evaluate", str(model), str(folder / "Google_Stock_Price_Test.csv"),
                          "--rolling", "--json")  # fmt: skip
    assert scores.code == 0, scores.err
    table = json.loads(scores.out)
    assert table["steps"] == 20
    assert 0 < table["naive"]["rmse"] < 20  # daily moves of Jan 2017, in dollars
    assert np.isfinite(table["model"]["rmse"])


def test_a_horizon_past_the_last_representable_date_is_refused_up_front(tmp_path) -> None:
    """``--horizon 8100`` on a yearly series crossed year 9999 and ended in a pandas
    traceback after the forecast was made; it is refused in one line naming the most steps."""
    data, model = tmp_path / "yearly.csv", tmp_path / "y.cortex"
    years = np.arange(9900, 9991)
    pd.DataFrame({"Year": [f"{y}-01-01" for y in years],
                  "Value": np.sin(years) + 0.1 * years}).to_csv(data, index=False)  # fmt: skip
    trained_ = run_captured("--quiet", "train", "rnn", str(data), "--column", "Value",
                            "--date-column", "Year", "--lookback", "5", "--epochs", "1",
                            "--out", str(model))  # fmt: skip
    assert trained_.code == 0, trained_.err
    out = tmp_path / "f.csv"
    for command in (["forecast", str(model)], ["predict", str(model), str(data)]):
        refused = run_captured(*command, "--horizon", "8100", "--out", str(out))
        assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1, refused.err
        assert "--horizon 8100 runs past the last date" in refused.err
        assert "at most 9 steps" in refused.err and not out.exists()
    last = run_captured("forecast", str(model), "--horizon", "9")
    assert last.code == 0 and last.out.strip().splitlines()[-1].startswith("9,9999-01-01")


def test_evaluate_after_a_gap_is_refused(trained, tmp_path) -> None:
    """Steps that start after a gap from the training series (or --history) were scored
    against the forecast of the steps right after it: they are refused in one line."""
    gapped = _csv(tmp_path / "gapped.csv", n=12, start=264)
    result = run_captured("evaluate", str(trained["model"]), str(gapped))
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    # the model was fitted on the 228 steps before its holdout: it ends at 2018-12-01
    assert "starts at 2022-01-01, 36 steps after the step that follows the training" in result.err
    assert "give DATA from 2019-01-01 on, or --history FILE" in result.err
    history = _csv(tmp_path / "history.csv", n=250)  # ends 10 steps before the gapped data
    with_history = run_captured("evaluate", str(trained["model"]), str(gapped), "--history",
                                str(history))  # fmt: skip
    assert with_history.code == 2 and "14 steps after the step that follows --history" in (
        with_history.err
    ), with_history.err
    inside = run_captured("evaluate", str(trained["model"]), str(trained["later"]), "--history",
                          str(history))  # fmt: skip
    assert inside.code == 2 and "inside --history" in inside.err, inside.err
    follows = _csv(tmp_path / "follows.csv", n=264)
    right = run_captured("evaluate", str(trained["model"]), str(gapped), "--history",
                         str(follows))  # fmt: skip
    assert right.code == 0, right.err


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("freq", "XYZ", "saves the frequency 'XYZ', which is not a pandas frequency"),
        ("last", "not a date", "saves the last date 'not a date', which is not a date"),
    ],
)
def test_a_bad_saved_date_is_one_line(trained, tmp_path, field, value, says) -> None:
    """A hand-edited ``freq`` or ``last`` in a forecaster's extra showed pandas' raw message."""
    import shutil

    from tests.test_persist import _rewrite

    model = tmp_path / "edited.cortex"
    shutil.copy(trained["model"], model)
    _rewrite(model, edit_document=lambda info: info["extra"]["dates"].update({field: value}))
    for command in (["forecast", str(model), "--horizon", "3"],
                    ["evaluate", str(model), str(trained["later"])]):  # fmt: skip
        result = run_captured(*command)
        assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
        assert says in result.err and "--data" in result.err, result.err


def test_a_random_walk_is_said_to_be_one(tmp_path) -> None:
    walk = 100 + np.cumsum(np.random.default_rng(3).normal(size=300))
    data, model = tmp_path / "walk.csv", tmp_path / "m.cortex"
    pd.DataFrame({"Close": walk}).to_csv(data, index=False)
    out = run_captured("train", "rnn", str(data), "--column", "Close", *FAST, "--epochs", "2",
                       "--out", str(model))  # fmt: skip
    assert out.code == 0, out.err
    assert "blend 0.0: the series' steps pass as white noise (a random walk" in out.err
    assert load(model).random_walk_


def test_blend_is_printed_when_chosen_and_can_be_set(tmp_path) -> None:
    data, model = _csv(tmp_path / "s.csv", n=80), tmp_path / "m.cortex"
    auto = run_captured("train", "rnn", str(data), "--column", "Sales", *FAST, "--epochs", "2",
                        "--out", str(model))  # fmt: skip
    assert auto.code == 0, auto.err
    chosen = load(model).blend_
    assert f"blend {chosen:.1f}: the forecast is the seasonal-naive one plus" in auto.err
    zero = run_captured("--quiet", "train", "rnn", str(data), "--column", "Sales", *FAST,
                        "--epochs", "2", "--blend", "0", "--out", str(model))  # fmt: skip
    assert zero.code == 0, zero.err
    assert load(model).blend_ == 0.0
    bad = run_captured("train", "rnn", str(data), "--blend", "1.5", "--out", str(model))
    assert bad.code == 2 and "--blend: expected 'auto' or a number in [0, 1], got '1.5'" in bad.err
