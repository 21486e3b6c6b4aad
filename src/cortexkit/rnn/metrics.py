"""How good a forecast is: RMSE, MAE, MAPE and MASE, beside the two forecasts any model
must beat: naive last-value and seasonal naive.

MASE (mean absolute scaled error, Hyndman and Koehler 2006) divides the forecast's MAE by
the in-sample MAE of the seasonal-naive forecast on the history (lag ``season``; lag 1
without a season), so 1.0 means "as good as that one-step in-sample baseline" whatever the
series' units. The season length is given, or inferred as the lag of the highest peak of
the autocorrelation of the differenced history.

Examples
--------
>>> import numpy as np
>>> history = np.sin(np.arange(120) * 2 * np.pi / 12) + np.arange(120) / 50
>>> infer_season(history)
12
>>> future = np.sin(np.arange(120, 132) * 2 * np.pi / 12) + np.arange(120, 132) / 50
>>> table = forecast_table(future, future + 0.01, history)
>>> sorted(table), round(table["model"]["mae"], 3)
(['model', 'naive', 'seasonal_naive'], 0.01)
>>> table["model"]["mase"] < table["seasonal_naive"]["mase"] < table["naive"]["mase"]
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["baselines", "forecast_table", "infer_season", "rolling_table", "scores"]


def infer_season(history: Any, *, max_lag: int | None = None, threshold: float = 0.3) -> int:
    """The season length of ``history``: the lag (from 2) of the highest local peak of
    the autocorrelation of its first differences, when that peak exceeds ``threshold``;
    else 1 (no season)."""
    y = np.asarray(history, dtype=np.float64).ravel()
    d = np.diff(y)
    n = len(d)
    top = min(max_lag or n // 2, n // 2)
    if top < 3 or d.std() == 0:
        return 1
    d = d - d.mean()
    spectrum = np.fft.rfft(d, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[: top + 1]
    acf = acf / acf[0]
    peaks = [k for k in range(2, top) if acf[k] > acf[k - 1] and acf[k] >= acf[k + 1]]
    if not peaks:
        return 1
    best = max(peaks, key=lambda k: acf[k])
    return int(best) if acf[best] > threshold else 1


def _mase_scale(history: np.ndarray, season: int) -> float:
    lag = season if len(history) > season else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag]))) if len(history) > lag else 0.0
    return scale if scale > 0 else float("nan")


def scores(actual: Any, forecast: Any, history: Any, season: int = 1) -> dict[str, float]:
    """RMSE, MAE, MAPE (in percent; NaN when an actual value is 0) and MASE of
    ``forecast`` against ``actual``, MASE scaled by the history's in-sample
    seasonal-naive MAE."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    f = np.asarray(forecast, dtype=np.float64).ravel()
    h = np.asarray(history, dtype=np.float64).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual has {a.size} values but the forecast {f.size}")
    err = a - f
    mae = float(np.mean(np.abs(err)))
    mape = float(np.mean(np.abs(err / a)) * 100) if np.all(a != 0) else float("nan")
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": mae,
        "mape": mape,
        "mase": mae / _mase_scale(h, season),
    }


def baselines(history: Any, horizon: int, season: int) -> dict[str, np.ndarray]:
    """The naive (last value repeated) and seasonal-naive (the last season repeated)
    forecasts of ``horizon`` steps after ``history``."""
    h = np.asarray(history, dtype=np.float64).ravel()
    m = season if len(h) >= season else 1
    last_season = h[-m:]
    return {
        "naive": np.full(horizon, h[-1]),
        "seasonal_naive": np.resize(last_season, horizon) if m > 1 else np.full(horizon, h[-1]),
    }


def forecast_table(
    actual: Any, forecast: Any, history: Any, season: int | None = None
) -> dict[str, dict[str, float]]:
    """:func:`scores` of the model and of both baselines, by name (``season`` inferred
    from ``history`` when None)."""
    h = np.asarray(history, dtype=np.float64).ravel()
    a = np.asarray(actual, dtype=np.float64).ravel()
    m = infer_season(h) if season is None else int(season)
    table = {"model": scores(a, forecast, h, m)}
    for name, values in baselines(h, len(a), m).items():
        table[name] = scores(a, values, h, m)
    return table


def rolling_table(
    forecast: Callable[[np.ndarray], np.ndarray],
    past: np.ndarray,
    future: np.ndarray,
    *,
    window: int,
    season: int,
) -> dict[str, dict[str, float]]:
    """:func:`scores` of one-step-ahead forecasts of each step of ``future`` (steps,
    columns), each from the actual values before it, beside the naive (the previous
    value) and seasonal-naive (the value a season earlier) forecasts.

    ``forecast(windows)`` gives the next target value after each raw window ``(batch,
    window, columns)``; ``past`` holds at least ``window`` steps.
    """
    whole = np.concatenate([past, future])
    start = len(past)
    windows = sliding_window_view(whole, window, axis=0)[start - window : len(whole) - window]
    predicted = forecast(windows.transpose(0, 2, 1))
    target, actual, history = whole[:, 0], future[:, 0], past[:, 0]
    lag = season if start >= season else 1
    return {
        "model": scores(actual, predicted, history, season),
        "naive": scores(actual, target[start - 1 : -1], history, season),
        "seasonal_naive": scores(actual, target[start - lag : len(target) - lag], history, season),
    }
