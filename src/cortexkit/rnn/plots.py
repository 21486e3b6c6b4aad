"""The forecast figure: the history, the forecast with its interval, and the actual values
when they are known (drawn on an Agg canvas, as :mod:`cortexkit.plot` draws).

Examples
--------
>>> import numpy as np
>>> png = forecast_png(np.arange(10.0), np.arange(10.0, 13.0),
...                    interval=(np.arange(9.0, 12.0), np.arange(11.0, 14.0)),
...                    actual=np.array([10.2, 11.1, 11.8]))
>>> png[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cortexkit.io.envelope import atomic_write_bytes
from cortexkit.plot import _check_path, _render, wrap

__all__ = ["forecast_png", "plot_forecast"]


def _figure(
    history: np.ndarray,
    forecast: np.ndarray,
    *,
    interval: tuple[np.ndarray, np.ndarray] | None,
    actual: np.ndarray | None,
    index: Any,
    title: str,
) -> Figure:
    n, h = len(history), len(forecast)
    x = np.arange(n + h) if index is None else np.asarray(index)
    if len(x) != n + h:
        raise ValueError(f"index has {len(x)} entries; history and forecast need {n + h}")
    fig = Figure(figsize=(10.4, 3.6), layout="constrained")  # a report page's width
    ax = fig.add_subplot()
    ax.plot(x[:n], history, color="0.3", lw=1.2, label="history")
    # join the forecast to the last observed point
    fx = x[n - 1 :] if n else x
    fy = np.r_[history[-1:], forecast] if n else forecast
    ax.plot(fx, fy, color="C0", lw=1.6, label="forecast")
    if interval is not None:
        ax.fill_between(x[n:], interval[0], interval[1], color="C0", alpha=0.2,
                        label="interval")  # fmt: skip
    if actual is not None and len(actual):
        k = min(len(actual), h)
        ax.plot(x[n : n + k], actual[:k], color="C3", lw=1.2, ls="--", label="actual")
    ax.set_title(wrap(title, 10.4, 12.0))
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    return fig


def forecast_png(
    history: Any,
    forecast: Any,
    *,
    interval: tuple[Any, Any] | None = None,
    actual: Any = None,
    index: Any = None,
    title: str = "Forecast",
) -> bytes:
    """The figure as PNG bytes. ``index`` labels the x axis (dates, say) for the history
    and forecast steps together; by default they are numbered."""
    iv = None if interval is None else (np.asarray(interval[0]), np.asarray(interval[1]))
    fig = _figure(np.asarray(history, dtype=float), np.asarray(forecast, dtype=float),
                  interval=iv, actual=None if actual is None else np.asarray(actual, dtype=float),
                  index=index, title=title)  # fmt: skip
    return _render(fig, "png")


def plot_forecast(path: str | os.PathLike[str], history: Any, forecast: Any, **kwargs: Any) -> None:
    """Draw :func:`forecast_png`'s figure to ``path`` (.png, .svg or .pdf), atomically."""
    where, fmt = _check_path(path)
    iv = kwargs.pop("interval", None)
    actual = kwargs.pop("actual", None)
    fig = _figure(
        np.asarray(history, dtype=float), np.asarray(forecast, dtype=float),
        interval=None if iv is None else (np.asarray(iv[0]), np.asarray(iv[1])),
        actual=None if actual is None else np.asarray(actual, dtype=float),
        index=kwargs.pop("index", None), title=kwargs.pop("title", "Forecast"),
    )  # fmt: skip
    atomic_write_bytes(where, _render(fig, fmt))
