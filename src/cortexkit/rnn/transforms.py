"""What the forecaster does to a series before the network sees it, and undoes after.

The series (target first, exogenous columns after) is optionally logged and differenced
along time, then (``scaling="series"``) standardised per column with the mean and spread
of its training part. With ``scaling="window"`` the mean is 0 and the spread 1 here: each
window is scaled by its own statistics instead (:mod:`cortexkit.rnn.windows`).
A forecast of the target goes back the same way: unscaled, summed onto the last level
(when differenced) and exponentiated (when logged).

Examples
--------
>>> import numpy as np
>>> from cortexkit.rnn.transforms import SeriesTransform
>>> values = np.array([[1.0], [3.0], [5.0], [7.0]])  # a straight line
>>> t = SeriesTransform.fit(values, log=False, difference=1, rows=3, columns=["x0"])
>>> t.scale(t.apply(values)).ravel().tolist()  # constant differences: 0 once scaled
[0.0, 0.0, 0.0]
>>> t.invert(np.zeros((1, 2)), values[None]).tolist()  # the line, continued
[[9.0, 11.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexkit._validation import saved_floats
from cortexkit.data.series import series_values

__all__ = ["SeriesTransform", "check_values", "series_matrix"]


@dataclass(frozen=True)
class SeriesTransform:
    """The fitted transform of a series: ``log``, ``difference`` and the per-column
    ``mean`` and ``std`` of the transformed training part."""

    log: bool
    difference: int
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def from_state(cls, meta: dict[str, Any], *, log: bool, difference: int) -> SeriesTransform:
        """A model file's transform, its scaling checked (finite, one per column, std > 0)."""
        n = len(meta["columns"])
        mean = saved_floats(meta["mean"], "mean", n)
        return cls(
            bool(log), int(difference), mean, saved_floats(meta["std"], "std", n, positive=True)
        )

    @classmethod
    def fit(
        cls,
        values: np.ndarray,
        *,
        log: bool,
        difference: int,
        rows: int,
        columns: list[str],
        scale: bool = True,
    ) -> SeriesTransform:
        """The transform whose scaling comes from the first ``rows`` transformed steps
        (``scale=False``: no scaling, mean 0 and spread 1).

        Raises
        ------
        ValueError
            If a column (named by ``columns``) is constant over those steps.
        """
        raw = values[: rows + difference]
        spread = raw.std(axis=0)
        if (spread == 0).any():
            j = int(np.argmax(spread == 0))
            raise ValueError(
                f"the series' column {columns[j]!r} is constant ({raw[0, j]:.6g} at every "
                "step of the training part): there is nothing to learn from it"
            )
        if not scale:
            ones = np.ones(values.shape[1])
            return cls(bool(log), int(difference), np.zeros(values.shape[1]), ones)
        z = _log_diff(values, log, difference)[:rows]
        std = z.std(axis=0)
        # a straight line's differences are constant: their spread is 0, kept as 1
        return cls(bool(log), int(difference), z.mean(axis=0), np.where(std > 0, std, 1.0))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Log (when asked) and difference along the time axis (the second to last)."""
        return _log_diff(values, self.log, self.difference)

    def scale(self, z: np.ndarray) -> np.ndarray:
        """Transformed steps standardised per column, as float32 (what the network reads)."""
        return ((z - self.mean) / self.std).astype(np.float32)  # type: ignore[no-any-return]

    def invert(self, forecast: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Scaled target forecasts ``(batch, steps)`` in the series' units, after the raw
        windows ``raw`` ``(batch, steps_read, columns)`` they continue."""
        t = forecast * self.std[0] + self.mean[0]
        if self.difference:
            level = (np.log(raw) if self.log else raw)[:, -1, 0]
            t = level[:, None] + np.cumsum(t, axis=1)
        return np.exp(t) if self.log else t


def check_values(values: np.ndarray, *, name: str, log: bool) -> None:
    """Refuse values that float32 (the network's precision, and its model file's) cannot
    hold, and, with ``log``, values that are not positive."""
    big = float(np.abs(values).max(initial=0.0))
    if big > float(np.finfo(np.float32).max):
        raise ValueError(
            f"{name} holds values beyond float32's range (up to {big:.3g}), which the network "
            "and its model file cannot hold; rescale the series"
        )
    if log and (values <= 0).any():
        raise ValueError(f"log=True needs a positive series; {name} holds {values.min():.6g}")


def _log_diff(values: np.ndarray, log: bool, difference: int) -> np.ndarray:
    z = np.log(values) if log else values
    return np.diff(z, axis=-2) if difference else z


def series_matrix(est: Any, X: Any, *, name: str, fitting: bool = False) -> np.ndarray:
    """One series ``X`` of the forecaster ``est`` as a checked float matrix, target first
    (``est.fitted_params_["target"]``). ``fitting`` records its columns on ``est``
    (``n_features_in_``, ``feature_names_in_``); otherwise they must match them.

    Raises
    ------
    ValueError
        On another number or naming of columns than fitted, or values :func:`check_values`
        refuses.
    """
    values, names = series_values(X, est.fitted_params_["target"], name=name)
    if fitting:
        est.n_features_in_ = values.shape[1]
        if hasattr(X, "columns"):
            est.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        else:
            est.__dict__.pop("feature_names_in_", None)
        est._columns = names
    elif values.shape[1] != est.n_features_in_:
        raise ValueError(
            f"{name} has {values.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input (the target and its exogenous columns)"
        )
    elif hasattr(X, "columns") and hasattr(est, "feature_names_in_") and names != est._columns:
        raise ValueError(f"{name} has the columns {names}; the model was fitted on "
                         f"{est._columns}")  # fmt: skip
    check_values(values, name=name, log=bool(est.fitted_params_["log"]))
    return values
