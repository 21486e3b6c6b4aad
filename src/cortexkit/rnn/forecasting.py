"""What a fitted forecaster does: forecasts, intervals and scores, after its training
series (each of a global model's) or after a history passed in.

:class:`Forecasts` is a part of :class:`~cortexkit.rnn.forecaster.RNNForecaster`, kept
apart by idea; it is not for use on its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from cortexkit.rnn.intervals import interval
from cortexkit.rnn.metrics import forecast_table, rolling_table
from cortexkit.rnn.panel import as_series_list, window_scale

if TYPE_CHECKING:
    from cortexkit.rnn.transforms import SeriesTransform
    from cortexkit.rnn.windows import Windowing

__all__ = ["Forecasts"]


class Forecasts:
    """The forecasting methods of :class:`~cortexkit.rnn.forecaster.RNNForecaster`."""

    fitted_params_: dict[str, Any]
    network_: Any
    season_: int
    _transform: SeriesTransform
    _tails: list[np.ndarray]
    _residuals: np.ndarray
    _relative: bool
    _several: bool

    if TYPE_CHECKING:

        def _windowing(self) -> Windowing: ...
        def _window(self) -> int: ...
        def _device(self) -> torch.device: ...
        def _values(self, X: Any, *, name: str, fitting: bool = False) -> np.ndarray: ...

    # -- forecasting --------------------------------------------------------------------------

    def _forecast(self, raw: np.ndarray, steps: int, blend: Any = None) -> np.ndarray:
        """Forecasts of ``steps`` target values after each raw window ``(batch, >= window,
        columns)``, in the series' units, shape ``(batch, steps)``; ``blend`` (a float, or
        one weight per window ``(batch, 1)``) in place of ``blend_``."""
        t, plan = self._transform, self._windowing()
        if blend is not None:
            plan = replace(plan, blend=blend)
        s = torch.as_tensor(t.scale(t.apply(raw)[:, -plan.lookback :]), device=self._device())
        return t.invert(plan.rollout(self.network_, s, steps).double().cpu().numpy(), raw)

    def _histories(self, history: Any) -> tuple[list[np.ndarray], bool]:
        """The series to forecast after (default: the training ones), and whether they
        are several (a list, or a long table): then ``predict`` returns one row each."""
        check_is_fitted(self, "network_")
        if history is None:
            return list(self._tails), self._several
        if isinstance(history, int | np.integer) and not isinstance(history, bool):
            raise TypeError(f"pass the horizon by keyword: predict(horizon={int(history)})")
        series, ids = as_series_list(history, self.fitted_params_["series_column"],
                                     name="history", required=False)  # fmt: skip
        every = [self._values(x, name="history") for x in series]
        for values in every:
            self._windowing().check_history(len(values))
        return every, ids is not None

    def _history(self, history: Any) -> np.ndarray:
        """The one series to forecast after."""
        every, several = self._histories(history)
        if several:
            raise ValueError("the model forecasts several series: pass the one series to "
                             "score or draw as history=")  # fmt: skip
        return every[0]

    def _last_windows(self, history: Any) -> tuple[np.ndarray, bool]:
        every, several = self._histories(history)
        return np.stack([v[-self._window() :] for v in every]), several

    def predict(self, history: Any = None, *, horizon: int | None = None) -> np.ndarray:
        """The ``horizon`` (default: the fitted ``horizon``) values after ``history``
        (default: the training series), shape ``(horizon,)``; ``(n_series, horizon)`` for
        several series (a list, a long table, or a global model's own)."""
        check_is_fitted(self, "network_")
        steps = self._windowing().forecast_steps(horizon)
        windows, several = self._last_windows(history)
        out = self._forecast(windows, steps)
        return out if several else out[0]

    def predict_interval(
        self, history: Any = None, *, horizon: int | None = None, coverage: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds that hold the next ``horizon`` values with probability
        ``coverage`` (from the fit's bootstrapped forecast errors), each shaped as
        :meth:`predict`'s forecast.

        The bounds are the forecast plus the errors' quantiles, so a model whose errors lean
        one way gets an interval shifted that way: it need not contain the forecast."""
        windows, several = self._last_windows(history)
        point = np.atleast_2d(self.predict(history, horizon=horizon))
        scales = window_scale(windows) if self._relative else np.ones(len(windows))
        bounds = [
            interval(p, self._residuals * k, coverage) for p, k in zip(point, scales, strict=True)
        ]
        lower, upper = np.stack([b[0] for b in bounds]), np.stack([b[1] for b in bounds])
        return (lower, upper) if several else (lower[0], upper[0])

    def evaluate(
        self,
        actual: Any,
        history: Any = None,
        *,
        season: int | None = None,
        rolling: bool = False,
    ) -> dict[str, dict[str, float]]:
        """RMSE, MAE, MAPE and MASE of the forecast of ``actual`` (the steps after
        ``history``, default: after the training series), beside the naive and
        seasonal-naive forecasts (``season``, default ``season_``).

        ``rolling=False`` forecasts every step of ``actual`` at once from the history's
        end. ``rolling=True`` forecasts one step at a time, each from the actual values
        before it (a one-step-ahead test), and the baselines then repeat the previous
        value and the value a season earlier.
        """
        past = self._history(history)
        future = self._values(actual, name="actual")
        m = int(season) if season else self.season_
        if not rolling:
            return forecast_table(future[:, 0], self.predict(past, horizon=len(future)),
                                  past[:, 0], m)  # fmt: skip
        return rolling_table(lambda windows: self._forecast(windows, 1)[:, 0], past, future,
                             window=self._window(), season=m)  # fmt: skip
