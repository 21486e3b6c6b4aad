"""What a forecast adds of the network's step: the forecaster's ``blend`` and ``level``
chosen from its own training series.

- :func:`chosen_blend`: with ``blend="auto"``, the weight (in :data:`BLEND_GRID`) of the
  network's learnt step on top of the (seasonal-)naive forecast whose ``steps``-step
  forecasts from the validation windows have the least squared error, each error relative
  to the scale of the window it was forecast from. Every weight is rolled out in one
  batch. Fewer than :data:`BLEND_MIN_ORIGINS` validation forecasts keep the step whole.
- :func:`random_walks`: whether every training series :func:`looks_like_walk`; with
  ``blend="auto"`` the forecaster then learns from the last value, not the season, and
  the weight is 0, the naive forecast (:data:`BLEND_WALK_TEST`), before any of the above.
- :func:`season_beats_last`: with ``level="auto"``, whether the seasonal-naive forecast's
  in-sample error is below the naive one's.

The constants are read at each call, so ``bench/_quality_forecast.py`` can try others.

Examples
--------
>>> import numpy as np
>>> from cortexkit.rnn.blend import looks_like_walk, season_beats_last
>>> t = np.arange(48.0)
>>> season_beats_last([np.sin(2 * np.pi * t / 12)], 12), season_beats_last([t], 12)
(True, False)
>>> walk = 100 + np.cumsum(np.random.default_rng(0).normal(size=200))
>>> looks_like_walk(walk), looks_like_walk(walk + 0.5 * np.arange(200))
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cortexkit.rnn.intervals import last_origins
from cortexkit.rnn.panel import window_scale

__all__ = [
    "BLEND_GRID",
    "BLEND_MIN_ORIGINS",
    "BLEND_ORIGINS",
    "BLEND_RULE",
    "BLEND_WALK_TEST",
    "chosen_blend",
    "looks_like_walk",
    "random_walks",
    "season_beats_last",
    "validation_origins",
]

BLEND_GRID = np.linspace(0.0, 1.0, 11)  # the weights an "auto" blend chooses from
BLEND_RULE = "min"  # "min": the least validation error; "1se": the one-standard-error rule
BLEND_MIN_ORIGINS = 10  # fewer validation origins than this keep the network's step whole
BLEND_ORIGINS = 64  # validation origins (the latest) that choose an "auto" blend, at most
BLEND_WALK_TEST = True  # series whose steps pass as white noise get the naive forecast
WALK_LEVEL = 0.05  # the significance level of :func:`looks_like_walk`'s two tests
WALK_MIN_STEPS = 10  # a series with fewer steps is never called a random walk

#: ``forecast(raw windows, steps, blend)``: forecasts with one blend weight per window
BlendedForecast = Callable[[np.ndarray, int, Any], np.ndarray]


def validation_origins(
    every: list[np.ndarray], *, window: int, steps: int, fraction: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The raw windows ``(origins, window, columns)`` and the ``steps`` target values
    after each ``(origins, steps)`` of the held-out origins of every series of ``every``:
    the last ``fraction`` of each one's origins (at least one where ``fraction`` > 0), the
    latest :data:`BLEND_ORIGINS` in all at most, spread over the series. None when
    ``fraction`` is 0 or no series has an origin."""
    if fraction <= 0:
        return None
    per_series = max(1, BLEND_ORIGINS // len(every))
    parts = []
    for values in every:
        count = len(values) - window - steps + 1
        if count >= 1:
            take = min(per_series, max(1, round(fraction * count)))
            parts.append(last_origins(values, window=window, steps=steps, take=take))
    if not parts:
        return None
    return np.concatenate([w for w, _ in parts]), np.concatenate([a for _, a in parts])


def chosen_blend(
    forecast: BlendedForecast,
    every: list[np.ndarray],
    *,
    window: int,
    steps: int,
    fraction: float,
    device: torch.device,
) -> float:
    """The ``"auto"`` blend of a forecaster whose ``forecast`` continues raw windows of
    ``window`` steps, judged on the validation origins of its training series ``every``
    (see the module's docstring); 1 without enough of them. ``BLEND_RULE="1se"`` (a
    candidate of the forecast suite, not the default) takes the weight nearest the base
    whose loss is within one standard error of the least."""
    origins = validation_origins(every, window=window, steps=steps, fraction=fraction)
    if origins is None or len(origins[0]) < BLEND_MIN_ORIGINS:
        return 1.0
    windows, actual = origins
    scale = window_scale(windows)[:, None]
    n, grid = len(windows), BLEND_GRID[::-1]  # from 1 down: a tie keeps the network's step
    weights = torch.as_tensor(np.repeat(grid, n)[:, None], dtype=torch.float32, device=device)
    rolled = forecast(np.concatenate([windows] * len(grid)), steps, weights)
    loss = {  # each weight's squared errors, one mean per origin
        float(w): (((actual - f) / scale) ** 2).mean(axis=1)
        for w, f in zip(grid, rolled.reshape(len(grid), n, -1), strict=True)
    }
    best = min(loss, key=lambda w: float(loss[w].mean()))
    if BLEND_RULE == "min":
        return best
    for weight in sorted(loss):  # the gap to the best's, origin by origin
        gap = loss[weight] - loss[best]
        if gap.mean() <= gap.std() / np.sqrt(len(gap)):
            return weight
    return best


def random_walks(every: list[np.ndarray], season: int = 1) -> bool:
    """Whether every series of ``every`` :func:`looks_like_walk` (always False with
    :data:`BLEND_WALK_TEST` off)."""
    return BLEND_WALK_TEST and all(looks_like_walk(v, season) for v in every)


def looks_like_walk(values: np.ndarray, season: int = 1) -> bool:
    """Whether a series' steps pass as white noise around 0, at :data:`WALK_LEVEL`: neither
    the Ljung-Box test of their autocorrelations (10 lags, or two seasons, at most a fifth
    of the steps, as Hyndman and Athanasopoulos advise) nor a t-test of their mean rejects
    it. Such a series is a random walk as far as its history can tell, seasonal or not,
    and no forecast beats the naive one on it in expectation: a network can only add the
    noise it fitted. ``values``: 1-d, or ``(steps, columns)`` with the target first."""
    from scipy.stats import chi2, t

    y = np.asarray(values, dtype=np.float64)
    d = np.diff(y[:, 0] if y.ndim > 1 else y)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < WALK_MIN_STEPS or d.std() == 0:
        return False
    mean_p = 2 * t.sf(abs(d.mean()) / (d.std(ddof=1) / np.sqrt(n)), n - 1)
    x = d - d.mean()
    lags = max(1, min(max(10, 2 * int(season)), n // 5))
    acf = np.array([x[k:] @ x[:-k] for k in range(1, lags + 1)]) / (x @ x)
    q = n * (n + 2) * float(np.sum(acf**2 / (n - np.arange(1, lags + 1))))
    return bool(mean_p >= WALK_LEVEL and chi2.sf(q, lags) >= WALK_LEVEL)


def season_beats_last(series: list[np.ndarray], season: int) -> bool:
    """Whether the seasonal-naive forecast's mean absolute error, relative to the naive
    one's, is below 1 on average over ``series`` (1-d: the training rows of each series
    as the network reads them, logged and differenced when asked)."""
    m, ratios = int(season), []
    for z in series:
        if m < 2 or len(z) <= m:
            continue
        last = np.abs(z[m:] - z[m - 1 : -1]).mean()
        seasonal = np.abs(z[m:] - z[:-m]).mean()
        ratios.append(seasonal / last if last > 0 else (0.0 if seasonal == 0 else np.inf))
    return bool(ratios) and float(np.mean(ratios)) < 1.0
