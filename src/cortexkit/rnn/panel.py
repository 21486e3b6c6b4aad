"""Several series at once: what the forecaster's global model and its defaults read.

A global model (as N-BEATS and DeepAR train) learns one network from the windows of many
series. ``fit`` takes them as a list of series, or as one long table whose
``series_column`` names the series each row belongs to (rows in time order within each).
Its windows are put in the order of their distance from their series' end, so the last
``validation_fraction`` of them (the chronological validation split) holds the latest
windows of every series, not the whole of the last series.

The defaults that depend on the data are settled here too: the season (given, or the
most common one inferred over the series) and a look-back that covers two seasons.

Examples
--------
>>> import numpy as np
>>> from cortexkit.rnn.panel import as_series_list, default_lookback
>>> parts, ids = as_series_list([np.arange(5.0), np.arange(7.0)], None, name="X")
>>> len(parts), ids
(2, ['0', '1'])
>>> as_series_list(np.arange(5.0), None, name="X")[1] is None  # one series
True
>>> default_lookback(24, shortest=1000, steps_out=1, difference=0)  # two days of hours
48
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit.defaults import RNN
from cortexkit.rnn.metrics import infer_season
from cortexkit.rnn.windows import FLOOR

__all__ = ["as_series_list", "by_distance_to_end", "default_lookback", "default_season",
           "window_scale"]  # fmt: skip


def as_series_list(
    X: Any, series_column: Any, *, name: str, required: bool = True
) -> tuple[list[Any], list[str] | None]:
    """``X`` as a list of single series and their ids (None when ``X`` is one series). A
    table without ``series_column`` is one series when it is not ``required``.

    Raises
    ------
    ValueError
        If ``series_column`` is ``required`` and ``X`` is not a table holding it, or ``X``
        is an empty list.
    """
    held = hasattr(X, "columns") and series_column in X.columns
    if series_column is not None and (required or held):
        if not held:
            has = list(map(str, X.columns)) if hasattr(X, "columns") else "no columns"
            raise ValueError(
                f"series_column={series_column!r} must be a column of {name}, a table with one "
                f"row per step of each series; {name} has {has}"
            )
        groups = list(X.groupby(series_column, sort=False))
        return [g.drop(columns=series_column) for _, g in groups], [str(k) for k, _ in groups]
    if isinstance(X, list | tuple):
        if not X:
            raise ValueError(f"{name} is an empty list: give a series, or a list of series")
        if all(np.ndim(x) >= 1 or hasattr(x, "columns") for x in X):
            return list(X), [str(i) for i in range(len(X))]
    return [X], None


def default_season(season: int | None, targets: list[np.ndarray]) -> int:
    """``season``, or the season inferred most often over the ``targets`` (the smaller on a
    tie; 1: none)."""
    if season:
        return int(season)
    counts = Counter(infer_season(t) for t in targets)
    top = max(counts.values())
    return min(m for m, c in counts.items() if c == top)


def default_lookback(season: int, *, shortest: int, steps_out: int, difference: int) -> int:
    """Two seasons of steps (at least ``RNN.min_lookback``), shortened to half of what the
    ``shortest`` series leaves after its target steps, so that it still gives windows."""
    want = max(RNN.min_lookback, 2 * season)
    room = (shortest - difference - steps_out) // 2
    return max(1, min(want, room))


def by_distance_to_end(parts: list[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """The windows and targets of several series in one pair, ordered from the farthest
    from its series' end to the nearest (ties in the order of the series)."""
    distance = torch.cat([torch.arange(len(w) - 1, -1, -1) for w, _ in parts])
    order = torch.sort(-distance, stable=True).indices.to(parts[0][0].device)
    windows = torch.cat([w for w, _ in parts])[order]
    targets = torch.cat([t for _, t in parts])[order]
    return windows, targets


def window_scale(windows: np.ndarray) -> np.ndarray:
    """The scale of the target in each raw window ``(batch, steps, columns)``: its mean
    absolute step, at least a small share of its mean absolute value, shape ``(batch,)``."""
    target = windows[:, :, 0]
    floor = FLOOR * np.abs(target).mean(axis=1) + 1e-12
    if target.shape[1] < 2:
        return floor  # type: ignore[no-any-return]
    step = np.abs(np.diff(target, axis=1)).mean(axis=1)
    return np.maximum(step, floor)  # type: ignore[no-any-return]
