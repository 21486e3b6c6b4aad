"""RNNForecaster follows the series: windows scaled by their own level (a series leaving its
training range), a look-back that covers the season, and one global model for many series
(a list, or a long table with a series column), through the model file and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cortexkit import RNNForecaster, load
from cortexkit.cli import main

FAST = {"hidden_layers": 16, "learning_rate": 0.01, "random_state": 0, "device": "cpu",
        "epochs": 30}  # fmt: skip


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_a_trend_leaving_its_training_range_is_followed() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(220.0)
    y = 10 + 0.5 * t + rng.normal(0, 0.5, 220)
    train, test = y[:200], y[200:]  # every test value is above the training maximum
    window = RNNForecaster(lookback=12, **FAST).fit(train).predict(horizon=20)
    series = RNNForecaster(lookback=12, scaling="series", **FAST).fit(train).predict(horizon=20)
    naive = np.full(20, train[-1])
    assert _rmse(window, test) < 0.5 * _rmse(naive, test)
    assert _rmse(window, test) < 0.5 * _rmse(series, test)  # min-max-like scaling stalls
    assert window[-1] > train.max() + 5


def test_the_default_lookback_covers_two_seasons() -> None:
    t = np.arange(400)
    y = np.sin(2 * np.pi * t / 24) + 0.01 * t
    assert RNNForecaster(season=24, epochs=1, random_state=0).fit(y).lookback_ == 48
    assert RNNForecaster(epochs=1, random_state=0).fit(y).lookback_ == 48  # inferred 24
    assert RNNForecaster(lookback=7, season=24, epochs=1).fit(y).lookback_ == 7
    short = RNNForecaster(season=24, epochs=1, random_state=0).fit(y[:60])
    assert short.lookback_ == 29  # what 60 steps allow: half of those left after the target


def _related(n: int = 4, steps: int = 150) -> list[np.ndarray]:
    """One seasonal shape at different levels and scales."""
    rng = np.random.default_rng(1)
    shape = np.sin(2 * np.pi * np.arange(steps) / 10)
    pairs = zip([5, 300, -40, 1000][:n], [1, 20, 3, 80][:n], strict=True)
    return [lvl + k * shape + rng.normal(0, 0.05 * k, steps) for lvl, k in pairs]


@pytest.fixture(scope="module")
def global_model() -> RNNForecaster:
    return RNNForecaster(season=10, horizon=10, **FAST).fit([s[:140] for s in _related()])


def test_the_global_model_fits_a_list_and_forecasts_each(global_model) -> None:
    series = _related()
    forecast = global_model.predict()
    assert forecast.shape == (4, 10) and global_model.series_ids_ == ["0", "1", "2", "3"]
    for s, f in zip(series, forecast, strict=True):
        assert _rmse(f, s[140:]) < 0.5 * _rmse(np.full(10, s[139]), s[140:])
    new = 77 + 5 * np.sin(2 * np.pi * np.arange(60) / 10)  # a series it never saw
    f = global_model.predict(new[:50], horizon=10)
    assert f.shape == (10,) and _rmse(f, new[50:]) < 0.5 * _rmse(np.full(10, new[49]), new[50:])
    lower, upper = global_model.predict_interval(coverage=0.9)
    assert lower.shape == upper.shape == (4, 10) and (upper > lower).all()
    widths = (upper - lower).mean(axis=1)  # intervals at each series' own scale
    assert widths[3] > 10 * widths[0]


def test_the_global_model_beats_one_model_per_short_series() -> None:
    series = [s[:70] for s in _related()]  # 60 training steps each: few windows alone
    params = {**FAST, "season": 10, "horizon": 10}
    together = RNNForecaster(**params).fit([s[:60] for s in series]).predict()
    alone = [RNNForecaster(**params).fit(s[:60]).predict() for s in series]

    def scaled(f: np.ndarray, s: np.ndarray) -> float:
        return float(np.mean(np.abs(f - s[60:])) / np.mean(np.abs(np.diff(s[:60]))))

    assert np.mean([scaled(f, s) for f, s in zip(together, series, strict=True)]) < np.mean(
        [scaled(f, s) for f, s in zip(alone, series, strict=True)]
    )


def test_a_long_table_with_a_series_column_is_the_same_global_model(global_model) -> None:
    series = [s[:140] for s in _related()]
    ids = ["north", "south", "east", "west"]
    table = pd.DataFrame({"store": np.repeat(ids, 140), "sales": np.concatenate(series)})
    model = RNNForecaster(season=10, horizon=10, series_column="store", **FAST).fit(table)
    assert model.series_ids_ == ids
    np.testing.assert_allclose(model.predict(), global_model.predict(), rtol=1e-5, atol=1e-5)
    one = pd.DataFrame({"sales": series[1]})  # a table without the column: one series
    assert model.predict(one).shape == (10,)


def test_a_global_model_file_round_trip(tmp_path, global_model) -> None:
    path = tmp_path / "global.cortex"
    global_model.save(path)
    back = load(path)
    assert back.series_ids_ == global_model.series_ids_ and back.lookback_ == 20
    np.testing.assert_array_equal(back.predict(), global_model.predict())
    for a, b in zip(back.predict_interval(), global_model.predict_interval(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("X", "params", "message"),
    [
        ([np.arange(50.0), np.arange(60.0)], {"scaling": "series"}, "scaling='window'"),
        (pd.DataFrame({"y": np.arange(50.0)}), {"series_column": "id"}, "series_column='id'"),
        ([], {}, "empty list"),
    ],
    ids=["series-scaling", "missing-column", "empty"],
)
def test_bad_global_input_is_refused(X, params, message) -> None:
    with pytest.raises(ValueError, match=message):
        RNNForecaster(**params).fit(X)


def test_train_rnn_with_a_series_column_on_the_cli(tmp_path, capsys) -> None:
    series = _related(3, 80)
    days = pd.date_range("2024-01-01", periods=80, freq="D").strftime("%Y-%m-%d")
    table = pd.DataFrame({"shop": np.repeat(["a", "b", "c"], 80), "day": np.tile(days, 3),
                          "sales": np.concatenate(series)})  # fmt: skip
    data, model = tmp_path / "long.csv", tmp_path / "m.cortex"
    table.sample(frac=1.0, random_state=0).to_csv(data, index=False)  # rows in any order
    assert main(["train", "rnn", str(data), "--column", "sales", "--date-column", "day",
                 "--series-column", "shop", "--epochs", "3", "--hidden-layers", "8",
                 "--holdout", "5", "--out", str(model), "--quiet"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "each series held out" in out and "naive" in out
    assert sorted(load(model).series_ids_) == ["a", "b", "c"]
    assert main(["forecast", str(model), "--horizon", "4"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "series,step,forecast,lower,upper" and len(lines) == 1 + 3 * 4


@pytest.mark.parametrize("direct", [True, False])
def test_a_network_that_adds_nothing_gives_the_seasonal_naive_forecast(direct) -> None:
    import torch

    from cortexkit.rnn.windows import Windowing

    class Nothing(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(x), 5 if direct else 1)

    plan = Windowing(8, 5, 0, direct, instance=True, lag=4)
    series = torch.arange(30.0)[:, None] ** 1.5
    windows, targets = plan.cut(series)
    assert len(windows) == len(targets)
    forecast = plan.rollout(Nothing(), windows[:1], 6)[0]
    np.testing.assert_allclose(forecast.numpy(), series[[4, 5, 6, 7, 4, 5], 0].numpy())


def _walk(n: int, seed: int) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).normal(size=n))


@pytest.mark.parametrize(("level", "season"), [("last", 1), ("season", 4)])
def test_blend_zero_is_the_naive_or_seasonal_naive_forecast(level, season) -> None:
    series = _walk(120, 0)
    model = RNNForecaster(level=level, season=season, blend=0.0, horizon=3, **FAST).fit(series)
    assert model.blend_ == 0.0
    expected = np.resize(series[-season:], 6)  # the last value (season) repeated
    np.testing.assert_allclose(model.predict(horizon=6), expected, rtol=1e-6)


def test_auto_blend_falls_back_to_naive_when_the_network_learnt_nothing() -> None:
    # One epoch at a tiny step: the network's output is its random start, which only adds
    # noise to the naive forecast; the validation windows show it.
    series = _walk(400, 0)
    untrained = {**FAST, "epochs": 1, "learning_rate": 1e-6}
    auto = RNNForecaster(season=1, horizon=4, **untrained).fit(series)
    full = RNNForecaster(season=1, horizon=4, blend=1.0, **untrained).fit(series)
    assert auto.blend_ < 0.5 and full.blend_ == 1.0
    future = _walk(404, 0)[-4:]  # the same walk's next steps
    assert _rmse(auto.predict(), future) < _rmse(full.predict(), future)


def test_looks_like_walk_tells_random_walks_from_series_with_structure() -> None:
    from cortexkit.rnn.blend import looks_like_walk

    rng = np.random.default_rng(0)
    steps = [rng.normal(size=300) for _ in range(20)]
    walks = sum(looks_like_walk(100 + np.cumsum(d)) for d in steps)
    assert walks >= 16  # each test rejects a true walk 5% of the time
    t = np.arange(300)
    drift = [np.cumsum(0.3 + d) for d in steps]  # a trend under the walk
    seasonal = [np.sin(2 * np.pi * t / 12) + 0.3 * d for d in steps]
    ar = []  # steps that follow each other (an AR(1) of coefficient 0.5)
    for d in steps:
        e = np.zeros_like(d)
        for i in range(1, len(d)):
            e[i] = 0.5 * e[i - 1] + d[i]
        ar.append(np.cumsum(e))
    assert not any(looks_like_walk(v) for v in [*drift, *seasonal, *ar])
    assert not looks_like_walk(np.ones(50))  # no steps at all: no walk to speak of
    assert not looks_like_walk(100 + np.cumsum(steps[0][:8]))  # too short to tell


def test_auto_blend_forecasts_a_random_walk_naively() -> None:
    series = _walk(300, 3)
    model = RNNForecaster(season=1, horizon=4, **FAST).fit(series)
    assert model.random_walk_ and model.blend_ == 0.0
    np.testing.assert_allclose(model.predict(), np.full(4, series[-1]), rtol=1e-6)
    trend = series + 0.5 * np.arange(300)  # a walk with a drift: the network has work
    assert not RNNForecaster(season=1, horizon=4, **FAST).fit(trend).random_walk_
    fixed = RNNForecaster(season=1, horizon=4, blend=0.5, **FAST).fit(series)
    assert not fixed.random_walk_ and fixed.blend_ == 0.5  # a blend given is kept


def test_a_random_walk_given_a_season_is_still_forecast_naively() -> None:
    # The season of a walk is noise: the last value, not the last season, is its forecast.
    series = _walk(300, 3)
    model = RNNForecaster(season=7, horizon=4, **FAST).fit(series)
    assert model.random_walk_ and model.level_ == "last" and model.blend_ == 0.0
    np.testing.assert_allclose(model.predict(), np.full(4, series[-1]), rtol=1e-6)
    t = np.arange(300)
    weekly = series + 3 * np.sin(2 * np.pi * t / 7)  # a real season on top: kept
    model = RNNForecaster(season=7, horizon=4, **FAST).fit(weekly)
    assert not model.random_walk_ and model.level_ == "season"


def test_auto_blend_keeps_a_network_that_beats_naive() -> None:
    t = np.arange(400)
    series = 10 + np.sin(2 * np.pi * t / 25) + 0.02 * np.random.default_rng(0).normal(size=400)
    model = RNNForecaster(season=25, horizon=5, **FAST).fit(series)
    assert model.blend_ >= 0.8


def test_the_blend_travels_in_the_model_file(tmp_path) -> None:
    model = RNNForecaster(season=1, horizon=2, blend=0.3, **FAST).fit(_walk(100, 1))
    model.save(tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.blend_ == 0.3 and again.random_walk_ is False
    np.testing.assert_allclose(again.predict(), model.predict(), rtol=1e-6)


@pytest.mark.parametrize("blend", [1.5, -0.1, "half", None])
def test_a_bad_blend_is_refused(blend) -> None:
    with pytest.raises(ValueError, match="blend"):
        RNNForecaster(blend=blend).fit(_walk(60, 0))


def test_level_auto_takes_the_season_only_where_it_beats_the_last_value(tmp_path) -> None:
    t = np.arange(120)
    seasonal = 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.01 * t
    trend = 10 + 0.5 * t + np.random.default_rng(0).normal(scale=0.1, size=120)
    fast = {**FAST, "epochs": 1}
    on_season = RNNForecaster(level="auto", season=12, **fast).fit(seasonal)
    on_trend = RNNForecaster(level="auto", season=12, **fast).fit(trend)
    assert (on_season.level_, on_trend.level_) == ("season", "last")
    assert on_season._windowing().lag == 12 and on_trend._windowing().lag == 1
    on_trend.save(tmp_path / "m")
    assert load(tmp_path / "m").level_ == "last"
