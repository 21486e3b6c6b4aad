"""Prediction intervals from bootstrapped forecast errors.

At the end of ``fit`` the forecaster forecasts from the last origins of its own series
(its validation part, at least :data:`MIN_ORIGINS` of them) and keeps the errors, step by
step. A new forecast becomes an interval by adding those errors' quantiles; beyond the
steps measured, the last step's spread grows as the square root of the steps.

Examples
--------
>>> import numpy as np
>>> from cortexkit.rnn.intervals import interval
>>> errors = np.array([[-1.0, -2.0], [1.0, 2.0]])  # (origins, steps)
>>> lower, upper = interval(np.zeros(4), errors, coverage=0.5)
>>> upper.round(3).tolist()  # steps 3 and 4 grow from step 2's spread
[0.5, 1.0, 1.225, 1.414]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cortexkit.rnn.panel import window_scale

__all__ = [
    "ERROR_STEPS",
    "MIN_ORIGINS",
    "error_steps",
    "interval",
    "last_origins",
    "origin_errors",
    "relative_errors",
]

MIN_ORIGINS = 30  # forecasts whose errors make the intervals
ERROR_STEPS = 24  # steps ahead those errors are measured, at least (when the series allows)

Forecast = Callable[[np.ndarray, int], np.ndarray]


def error_steps(horizon: int, *, chained: bool, n_steps: int, window: int) -> int:
    """Steps ahead to measure the errors at: ``horizon``, or :data:`ERROR_STEPS` when a
    forecast can chain that far (``chained``) and the series of ``n_steps`` still leaves
    :data:`MIN_ORIGINS` origins of ``window`` steps."""
    if chained and n_steps - window - ERROR_STEPS + 1 >= MIN_ORIGINS:
        return max(horizon, ERROR_STEPS)  # intervals measured, not extrapolated, this far
    return horizon


def origin_errors(
    forecast: Forecast, values: np.ndarray, *, window: int, steps: int, fraction: float
) -> np.ndarray:
    """Errors (actual - forecast) of ``steps``-step forecasts from the last origins of
    ``values`` (a ``fraction`` of them, at least :data:`MIN_ORIGINS`), shape (origins,
    steps). ``forecast(windows, steps)`` forecasts after raw windows ``(batch, window,
    columns)``; see :func:`error_steps` for ``steps``."""
    count = len(values) - window - steps + 1
    if count < 1:
        return np.zeros((0, steps))
    take = min(count, max(MIN_ORIGINS, round(fraction * count)))
    windows, actual = last_origins(values, window=window, steps=steps, take=take)
    return actual - forecast(windows, steps)  # type: ignore[no-any-return]


def last_origins(
    values: np.ndarray, *, window: int, steps: int, take: int
) -> tuple[np.ndarray, np.ndarray]:
    """The last ``take`` forecast origins of ``values`` ``(steps, columns)`` that leave
    ``steps`` target values: their raw windows ``(take, window, columns)`` and those
    values ``(take, steps)``."""
    count = len(values) - window - steps + 1
    first = max(0, count - take)
    windows = sliding_window_view(values, window, axis=0)[first:count].transpose(0, 2, 1)
    return windows, sliding_window_view(values[window:, 0], steps)[first:count]


def relative_errors(
    forecast: Forecast, every: list[np.ndarray], *, window: int, steps: int, fraction: float
) -> np.ndarray:
    """:func:`origin_errors` of every series of ``every``, each error divided by the scale
    of the window it was forecast from (``window_scale``), stacked: (origins, steps)."""
    errors = []
    for values in every:
        e = origin_errors(forecast, values, window=window, steps=steps, fraction=fraction)
        if len(e):
            windows, _ = last_origins(values, window=window, steps=steps, take=len(e))
            errors.append(e / window_scale(windows)[:, None])
    return np.concatenate(errors) if errors else np.zeros((0, steps))


def interval(
    point: np.ndarray, errors: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that hold the values of the forecast ``point`` with probability
    ``coverage``, from the ``errors`` (origins, steps) of earlier forecasts.

    Raises
    ------
    ValueError
        If ``coverage`` is not in (0, 1), or fewer than two forecasts left errors.
    """
    if isinstance(coverage, bool) or not isinstance(coverage, float | int) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a float in (0, 1); got {coverage!r}")
    res = np.asarray(errors)
    if len(res) < 2:
        raise ValueError("the training series left too few forecasts to estimate errors")
    q = np.quantile(res, [(1 - coverage) / 2, (1 + coverage) / 2], axis=0)  # (2, steps)
    k = np.arange(len(point))
    known = np.minimum(k, res.shape[1] - 1)
    grow = np.sqrt(np.maximum(k + 1, res.shape[1]) / res.shape[1])
    return point + q[0, known] * grow, point + q[1, known] * grow
