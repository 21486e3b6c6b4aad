"""RNNForecaster: accuracy against naive forecasts, exactness on a trend, intervals that
hold what they promise, bad input refused before training, and model files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from cortexkit import RNNForecaster, load
from cortexkit.rnn.metrics import forecast_table

FAST = {"hidden_layers": 16, "learning_rate": 0.01, "random_state": 0, "device": "cpu"}


def _sine(n: int, period: float = 25.0, start: int = 0) -> np.ndarray:
    return np.sin(2 * np.pi * np.arange(start, start + n) / period)


@pytest.fixture(scope="module")
def sine_model() -> RNNForecaster:
    return RNNForecaster(lookback=30, horizon=10, strategy="direct", epochs=60, **FAST).fit(
        _sine(300)
    )


def test_noiseless_sine_beats_naive_by_a_wide_margin(sine_model) -> None:
    future = _sine(10, start=300)
    table = forecast_table(future, sine_model.predict(horizon=10), _sine(300), season=1)
    assert table["model"]["mae"] < 0.05 * table["naive"]["mae"]
    assert table["model"]["rmse"] < 0.05


def test_recursive_strategy_on_the_sine_too() -> None:
    model = RNNForecaster(lookback=30, epochs=40, **FAST).fit(_sine(300))
    future = _sine(20, start=300)
    err = np.abs(model.predict(horizon=20) - future).mean()
    assert err < 0.1 * np.abs(future - _sine(300)[-1]).mean()


def test_linear_trend_is_forecast_exactly() -> None:
    t = np.arange(200.0)
    model = RNNForecaster(lookback=10, difference=1, epochs=30, **FAST).fit(3 * t + 5)
    np.testing.assert_allclose(model.predict(horizon=15), 3 * np.arange(200, 215) + 5,
                               rtol=1e-3)  # fmt: skip


def test_history_gives_the_forecast_after_it(sine_model) -> None:
    other = _sine(60, start=7)  # a different phase
    np.testing.assert_allclose(sine_model.predict(other, horizon=10), _sine(10, start=67),
                               atol=0.1)  # fmt: skip


def test_interval_coverage_on_a_held_out_stretch_of_a_noisy_sine() -> None:
    rng = np.random.default_rng(0)
    y = _sine(1100, period=20) + rng.normal(0, 0.3, 1100)
    model = RNNForecaster(lookback=20, horizon=5, strategy="direct", epochs=40,
                          validation_fraction=0.2, **FAST).fit(y[:800])  # fmt: skip
    inside = []
    for origin in range(800, 1095, 5):  # forecasts from the held-out stretch only
        lower, upper = model.predict_interval(y[:origin], horizon=5, coverage=0.9)
        actual = y[origin : origin + 5]
        inside.extend((lower <= actual) & (actual <= upper))
    assert abs(np.mean(inside) - 0.9) <= 0.10, np.mean(inside)


def test_exogenous_columns_and_a_named_target() -> None:
    t = np.arange(400)
    frame = pd.DataFrame({"driver": _sine(400), "y": np.roll(_sine(400), 3)})
    model = RNNForecaster(lookback=20, target="y", epochs=30, **FAST).fit(frame)
    assert model.n_features_in_ == 2 and list(model.feature_names_in_) == ["driver", "y"]
    forecast = model.predict(horizon=3)
    np.testing.assert_allclose(forecast, np.sin(2 * np.pi * (t[-1] + 1 + np.arange(3) - 3) / 25),
                               atol=0.15)  # fmt: skip
    direct = RNNForecaster(lookback=20, target="y", horizon=2, strategy="direct", epochs=2,
                           **FAST).fit(frame)  # fmt: skip
    with pytest.raises(ValueError, match="exogenous columns reaches horizon=2"):
        direct.predict(horizon=5)


@pytest.mark.parametrize("scaling", ["series", "window"])
def test_windows_are_views_into_one_series_tensor(scaling) -> None:
    model = RNNForecaster(lookback=5, horizon=3, strategy="direct", scaling=scaling, **FAST)
    model.fitted_params_ = model.get_params()
    windows, targets = model._fit_data(np.arange(100.0), None, fitting=True)
    assert windows.shape == (93, 5, 1) and targets.shape == (93, 3)
    if scaling == "window":  # each target in its window's scale: one step of the line is 1
        np.testing.assert_allclose(targets[0].numpy(), [1.0, 2.0, 3.0])
    else:
        assert windows.untyped_storage().data_ptr() == targets.untyped_storage().data_ptr()
    assert windows.untyped_storage().nbytes() == 100 * 4  # the series, once
    scaling = model._transform
    np.testing.assert_allclose(windows[7, :, 0] * scaling.std[0] + scaling.mean[0],
                               np.arange(7.0, 12.0), rtol=1e-6)  # fmt: skip


def test_scaling_sees_the_training_part_only() -> None:
    y = np.r_[np.sin(np.arange(185.0)), 1000 + np.sin(np.arange(15.0))]
    model = RNNForecaster(lookback=10, validation_fraction=0.1, scaling="series", **FAST)
    model.fitted_params_ = model.get_params()
    model._fit_data(y, None, fitting=True)
    n = len(y) - 10  # windows; the last 19 are validation windows, the jump is in them
    rows = n - round(0.1 * n) + 10
    assert model._transform.mean[0] == pytest.approx(y[:rows].mean())
    assert model._transform.mean[0] < 1  # none of the jump at the end


def test_validation_is_chronological_only() -> None:
    with pytest.raises(ValueError, match="validation_split"):
        RNNForecaster(validation_split="random").fit(_sine(100))


@pytest.mark.parametrize(
    ("series", "params", "message"),
    [
        (
            _sine(30),
            {"lookback": 24, "horizon": 10},
            "has 30 steps \\(n_samples = 30\\); lookback=24 \\+ horizon=10",
        ),
        (np.r_[_sine(50), np.nan, _sine(50)], {}, "NaN or infinity"),
        (np.r_[_sine(50), np.inf, _sine(50)], {}, "NaN or infinity"),
        (pd.DataFrame({"y": _sine(60), "kind": ["a", "b"] * 30}), {}, "column 'kind' must hold"),
        (np.full(100, 5.0), {}, "constant"),
        (_sine(100), {"horizon": 0}, "horizon"),
        (_sine(100), {"horizon": -3}, "horizon"),
        (1e300 * (2 + _sine(100)), {}, "beyond float32's range"),
    ],
    ids=[
        "too-short",
        "nan",
        "inf",
        "non-numeric",
        "constant",
        "horizon-0",
        "horizon-negative",
        "huge",
    ],
)
def test_bad_input_is_refused_before_training(series, params, message) -> None:
    model = RNNForecaster(**{**FAST, **params})
    with pytest.raises(ValueError, match=message):
        model.fit(series)
    assert not hasattr(model, "network_") and not hasattr(model, "history_")


def test_bad_prediction_arguments(sine_model) -> None:
    with pytest.raises(ValueError, match=r"horizon must be an int in \[1, 100000\]; got 0"):
        sine_model.predict(horizon=0)
    with pytest.raises(ValueError, match=r"horizon must be an int in \[1, 100000\]"):
        sine_model.predict_interval(horizon=10**9)  # refused, not a night of forecasting
    with pytest.raises(TypeError, match="by keyword"):
        sine_model.predict(5)
    with pytest.raises(ValueError, match="history has 10 steps; the model reads 30"):
        sine_model.predict(_sine(10))
    with pytest.raises(ValueError, match="coverage"):
        sine_model.predict_interval(coverage=1.5)


def test_save_load_gives_identical_forecasts(tmp_path, sine_model) -> None:
    path = tmp_path / "sine.cortex"
    sine_model.save(path)
    back = load(path)
    np.testing.assert_array_equal(back.predict(horizon=25), sine_model.predict(horizon=25))
    for a, b in zip(back.predict_interval(horizon=12), sine_model.predict_interval(horizon=12),
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    assert back.season_ == sine_model.season_ == 25


def test_evaluate_reports_the_model_and_both_baselines(sine_model) -> None:
    future = _sine(10, start=300)
    table = sine_model.evaluate(future)
    assert set(table) == {"model", "naive", "seasonal_naive"}
    assert set(table["model"]) == {"rmse", "mae", "mape", "mase"}
    rolling = sine_model.evaluate(future, rolling=True)
    assert rolling["model"]["mae"] < rolling["naive"]["mae"] / 5


@pytest.mark.cuda
def test_cuda_fit_and_cpu_round_trip(tmp_path) -> None:
    model = RNNForecaster(lookback=20, epochs=5, hidden_layers=8, random_state=0,
                          device="cuda").fit(_sine(200))  # fmt: skip
    assert next(model.network_.parameters()).is_cuda
    path = tmp_path / "cuda.cortex"
    model.save(path)
    back = load(path, device="cpu")
    np.testing.assert_allclose(back.predict(horizon=5), model.predict(horizon=5), atol=1e-5)
    assert torch.cuda.is_available()


def test_set_params_after_fit_changes_nothing_until_the_next_fit(tmp_path) -> None:
    series = 5 + _sine(150) + np.arange(150) / 50
    model = RNNForecaster(lookback=12, epochs=3, **FAST).fit(series)
    forecast, interval = model.predict(horizon=8), model.predict_interval(horizon=8)
    table = model.evaluate(series[-20:], series[:-20], rolling=True)
    model.set_params(log=True, difference=1, lookback=5, horizon=3, strategy="direct",
                     target=1, season=7, hidden_layers=(4, 4), cell="gru")  # fmt: skip
    np.testing.assert_array_equal(model.predict(horizon=8), forecast)
    np.testing.assert_array_equal(model.predict(series[:100], horizon=8),
                                  model.predict(series[:100], horizon=8))  # fmt: skip
    for a, b in zip(model.predict_interval(horizon=8), interval, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.evaluate(series[-20:], series[:-20], rolling=True) == table
    assert model.predict().shape == (1,)  # the fitted horizon
    path = tmp_path / "m.cortex"
    model.save(path)
    back = load(path)
    assert back.get_params()["lookback"] == 12 and back.get_params()["log"] is False
    np.testing.assert_array_equal(back.predict(horizon=8), forecast)
    refit = model.fit(series[:, None].repeat(2, axis=1))  # the new parameters, now
    assert refit.network_.layer_sizes == [2, 4, 4, 3]
