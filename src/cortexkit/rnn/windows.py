"""A series cut into windows, and forecasts rolled out from windows.

A :class:`Windowing` says how: each window holds ``lookback`` transformed steps (one raw
step more per difference) and is followed by its target, the next ``horizon`` values of
the target column (``direct``) or the next step of every column (recursive). The training
windows are views into the one series tensor (``Tensor.unfold``): a batch gathers its rows,
the set of windows is never copied, so a long series costs its own size and no more.

Two strategies make a multi-step forecast:

- ``"recursive"``: the network predicts the next step of every column; each prediction is
  fed back as the newest step of the window, as often as the horizon asks.
- ``"direct"``: the network predicts the next ``horizon`` values of the target at once
  (multi-output). A longer forecast of a univariate series chains such blocks.

With ``instance=True`` (the forecaster's ``scaling="window"``) every window is scaled by
its own level and spread before the network reads it (instance normalisation, as RevIN
and DeepAR do): :func:`window_stats` takes each column's last value as the level and its
mean absolute step within the window as the scale. The targets are scaled by their
window's statistics, and a forecast is scaled back by them, so the network only ever sees
shapes, never levels: a series that leaves its training range is followed. A target is
measured from a base: the value ``lag`` steps before it (1: the last value, the naive
forecast; a season: the seasonal-naive forecast, repeated beyond one season), so the
network learns what to add to that forecast; a forecast adds ``blend`` times it (the
forecaster chooses the weight on its validation windows).

Examples
--------
>>> import torch
>>> from cortexkit.rnn.windows import Windowing
>>> w = Windowing(lookback=3, horizon=2, difference=0, direct=True)
>>> windows, targets = w.cut(torch.arange(6.0)[:, None])  # a (steps, columns) series
>>> windows.shape, targets.tolist()  # (windows, lookback, columns)
(torch.Size([2, 3, 1]), [[3.0, 4.0], [4.0, 5.0]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["MAX_HORIZON", "WindowScaled", "Windowing", "window_stats"]

MAX_HORIZON = 100_000  # steps one forecast may run: each is one pass of the network
FLOOR = 1e-2  # a window's scale is at least this share of its mean absolute value
CLAMP = 50.0  # scaled targets beyond this (a jump after a flat window) are clipped


def window_stats(windows: Tensor) -> tuple[Tensor, Tensor]:
    """Level (the last value) and scale (the mean absolute step, at least :data:`FLOOR`
    times the mean absolute value, and above 0) of each column of each window ``(batch,
    lookback, columns)``, each ``(batch, columns)``."""
    loc = windows[:, -1, :]
    floor = FLOOR * windows.abs().mean(dim=1) + 1e-8
    if windows.shape[1] < 2:
        return loc, floor
    step = (windows[:, 1:] - windows[:, :-1]).abs().mean(dim=1)
    return loc, torch.maximum(step, floor)


class WindowScaled(nn.Module):
    """The network reading each window scaled by its own :func:`window_stats`; its outputs
    stay in those scaled units (the training targets are scaled the same way)."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, windows: Tensor) -> Tensor:
        loc, scale = window_stats(windows)
        return self.network((windows - loc[:, None]) / scale[:, None])  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Windowing:
    """How a series is cut into windows and forecast from them."""

    lookback: int
    horizon: int
    difference: int
    direct: bool
    instance: bool = False
    lag: int = 1
    # the weight of the network's step on top of its base (instance scaling): a float, or
    # one per window (batch, 1), as the forecaster's search for it reads them all at once
    blend: float | Tensor = 1.0

    @property
    def steps_read(self) -> int:
        """Raw steps one forecast reads: the look-back, plus one per difference."""
        return self.lookback + self.difference

    @property
    def steps_out(self) -> int:
        """Steps each training window's target covers."""
        return self.horizon if self.direct else 1

    def check_length(self, n_steps: int) -> None:
        """Refuse a training series too short for one window and its target."""
        need = self.lookback + self.horizon + self.difference
        if n_steps < need:
            raise ValueError(
                f"the series has {n_steps} steps (n_samples = {n_steps}); lookback="
                f"{self.lookback} + horizon={self.horizon}"
                + (f" + difference={self.difference}" if self.difference else "")
                + f" need at least {need}"
            )

    def check_history(self, n_steps: int) -> None:
        """Refuse a history too short for one window."""
        if n_steps < self.steps_read:
            raise ValueError(
                f"history has {n_steps} steps; the model reads {self.steps_read} (lookback="
                f"{self.lookback}" + (" + 1 difference)" if self.difference else ")")
            )

    def forecast_steps(self, horizon: Any) -> int:
        """The steps of a forecast: ``horizon``, or the fitted one when None.

        Raises
        ------
        ValueError
            Unless it is an int in [1, :data:`MAX_HORIZON`].
        """
        h = self.horizon if horizon is None else horizon
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or not 1 <= h <= MAX_HORIZON:
            raise ValueError(f"horizon must be an int in [1, {MAX_HORIZON}]; got {h!r}")
        return int(h)

    def training_rows(self, n_steps: int, validation_fraction: float) -> int:
        """The transformed rows that the training windows of a series of ``n_steps`` raw
        steps cover, when the last ``validation_fraction`` of the windows is held out."""
        n = n_steps - self.difference - self.lookback - self.steps_out + 1
        n_val = round(validation_fraction * n) if validation_fraction else 0
        n_train = n - n_val if 1 <= n_val < n else n
        return n_train + self.lookback + self.steps_out - 1

    def cut(self, scaled: Tensor) -> tuple[Tensor, Tensor]:
        """The windows of the transformed series ``scaled`` ``(steps, columns)`` and their
        targets, both views into it."""
        L, h = self.lookback, self.steps_out
        n = len(scaled) - L - h + 1
        windows = scaled.unfold(0, L, 1)[:n].transpose(1, 2)  # (n, lookback, columns)
        if self.direct:
            targets = scaled[L:, 0].unfold(0, h, 1)[:n]  # (n, horizon)
        else:
            targets = scaled[L : L + n]  # (n, columns): the next step
        if not self.instance:
            return windows, targets
        _, scale = _running_stats(scaled, L, n)
        start = torch.arange(n, device=scaled.device)[:, None] + L - self.lag
        if self.direct:  # the base of step k: lag - (k mod lag) steps before the window's end
            base = scaled[start + self._cycle(h, scaled.device), 0]
            scale = scale[:, :1]
        else:
            base = scaled[start[:, 0]]
        return windows, ((targets - base) / scale).clamp(-CLAMP, CLAMP)

    def _cycle(self, steps: int, device: torch.device) -> Tensor:
        return torch.arange(steps, device=device)[None, :] % self.lag

    @torch.no_grad()
    def rollout(self, network: nn.Module, windows: Tensor, steps: int) -> Tensor:
        """Scaled forecasts of ``steps`` target values after each of ``windows`` ``(batch,
        lookback, columns)``, shape ``(batch, steps)``; the network in evaluation mode.

        Raises
        ------
        ValueError
            If a direct forecast with exogenous columns is asked for more than ``horizon``
            steps (it has no future exogenous values to chain blocks with).
        """
        network.eval()
        out: list[Tensor] = []
        done = 0
        s = windows
        while done < steps:
            pred = self._step(network, s)  # (batch, outputs)
            if not self.direct:
                out.append(pred[:, :1])
                s = torch.cat([s[:, 1:], pred[:, None, :]], dim=1)
                done += 1
                continue
            out.append(pred)
            done += pred.shape[1]
            if done < steps:
                if s.shape[2] != 1:
                    raise ValueError(
                        f"a direct forecast with exogenous columns reaches horizon="
                        f"{self.horizon} steps at most; asked for {steps} (fit with a longer "
                        "horizon, or strategy='recursive')"
                    )
                s = torch.cat([s, pred[:, :, None]], dim=1)[:, -self.lookback :]
        return torch.cat(out, dim=1)[:, :steps]

    def _step(self, network: nn.Module, windows: Tensor) -> Tensor:
        """The network's outputs after ``windows``, in the windows' units."""
        if not self.instance:
            return network(windows)  # type: ignore[no-any-return]
        loc, scale = window_stats(windows)
        out = network((windows - loc[:, None]) / scale[:, None])
        if isinstance(self.blend, Tensor) or self.blend != 1.0:
            out = out * self.blend
        # Counted from the end (lag steps back), so that a traced graph (ONNX) keeps the
        # time axis free.
        if self.direct:
            base = windows[:, self._cycle(out.shape[1], windows.device)[0] - self.lag, 0]
            return out * scale[:, :1] + base  # type: ignore[no-any-return]
        return out * scale + windows[:, -self.lag]  # type: ignore[no-any-return]


def _running_stats(series: Tensor, lookback: int, n: int) -> tuple[Tensor, Tensor]:
    """:func:`window_stats` of the first ``n`` windows of ``series`` ``(steps, columns)``,
    by running sums: no window is copied."""
    loc = series[lookback - 1 : lookback - 1 + n]
    size = series.abs().double().cumsum(0)
    size = torch.cat([size.new_zeros(1, size.shape[1]), size])
    floor = (FLOOR * (size[lookback : lookback + n] - size[:n]) / lookback + 1e-8).to(series.dtype)
    if lookback < 2:
        return loc, floor
    steps = (series[1:] - series[:-1]).abs().double().cumsum(0)
    steps = torch.cat([steps.new_zeros(1, steps.shape[1]), steps])
    mean_step = (steps[lookback - 1 : lookback - 1 + n] - steps[:n]) / (lookback - 1)
    return loc, torch.maximum(mean_step.to(series.dtype), floor)
