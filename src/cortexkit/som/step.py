"""The SOM's own training step: no optimiser, no autograd, batched tensor algebra.

Per batch ``xb`` of ``b`` samples, with ``H[i, j] = h(grid distance(bmu_i, j)^2, sigma)``
(``(b, nodes)``), the neighbourhood-weighted sums are two products:
``num = H^T xb`` (``(nodes, features)``) and ``den = H^T 1`` (``(nodes,)``).

- ``algorithm="online"`` (the default): a mini-batch stands for ``b`` sequential Kohonen
  updates ``w_j += lr h_ij (x_i - w_j)``. Their plain sum, ``lr (num_j - den_j w_j)``,
  overshoots where a node takes many samples at once; applied one after another they
  move ``w_j`` towards the weighted mean ``num_j / den_j`` by a share
  ``1 - prod_i (1 - lr h_ij) ~ 1 - exp(-lr den_j)``. The step takes that share, so a node
  never passes the mean of what it saw, and mini-batches of a few hundred samples train
  as a sequential SOM does in one pass (``bench/som.py``). The learning rate and sigma
  follow their schedules per batch, at the batch's middle sample.
- ``algorithm="batch"``: Kohonen's batch map. The sums are accumulated over the whole
  epoch (``batch_size`` only bounds memory) and each node becomes ``num_j / den_j`` at the
  epoch's end; sigma follows its schedule per epoch, and the learning rate is not used.

The step's loss is the batch's mean quantisation error (distance to the best-matching
unit, before the update).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from cortexkit.som.distance import Distance, best_units
from cortexkit.som.grid import Grid
from cortexkit.train.step import Step

__all__ = ["SOMStep"]

Batch = tuple[Tensor, ...]


class SOMStep(Step):
    """One SOM update per batch (see the module's docstring).

    Parameters
    ----------
    weights : Tensor
        ``(nodes, features)``, updated in place.
    grid : Grid
        The node layout (on the weights' device).
    neighborhood, distance
        The resolved neighbourhood function and distance.
    learning_rate, sigma : float
        The start values.
    learning_rate_decay, sigma_decay : callable
        ``fn(start, progress) -> value``.
    algorithm : {"online", "batch"}
        The rule.
    horizon : int
        Sample presentations over which the schedules run (``epochs`` x samples).
    """

    def __init__(
        self,
        weights: Tensor,
        grid: Grid,
        *,
        neighborhood: Callable[[Tensor, float], Tensor],
        distance: Distance,
        learning_rate: float,
        sigma: float,
        learning_rate_decay: Callable[[float, float], float],
        sigma_decay: Callable[[float, float], float],
        algorithm: str,
        horizon: int,
    ) -> None:
        self.weights = weights
        self.grid = grid
        self.neighborhood = neighborhood
        self.distance = distance
        self.learning_rate, self.sigma = float(learning_rate), float(sigma)
        self.learning_rate_decay, self.sigma_decay = learning_rate_decay, sigma_decay
        self.algorithm = algorithm
        self.horizon = max(int(horizon), 1)
        self.epoch_rows = 0  # samples per epoch (set by the estimator before each run)
        self.seen = 0  # samples presented so far, every epoch and call included
        self._rows = 0  # samples of the current epoch so far (batch algorithm)
        self._num: Tensor | None = None
        self._den: Tensor | None = None

    # -- schedules ---------------------------------------------------------------------------

    def current(self, at: float) -> tuple[float, float]:
        """The learning rate and sigma after ``at`` sample presentations."""
        progress = min(max(at / self.horizon, 0.0), 1.0)
        lr = float(self.learning_rate_decay(self.learning_rate, progress))
        sigma = float(self.sigma_decay(self.sigma, progress))
        return lr, max(sigma, 1e-6)

    def _sums(self, xb: Tensor, units: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
        H = self.neighborhood(self.grid.squared_distances(units), sigma)  # (batch, nodes)
        return H.T @ xb, H.sum(0)  # (nodes, features), (nodes,)

    # -- the update --------------------------------------------------------------------------

    @torch.no_grad()
    def __call__(self, batch: Batch) -> Tensor:
        xb = batch[0]
        rows = xb.shape[0]
        dist, units = best_units(xb, self.weights, self.distance)
        if self.algorithm == "batch":
            self._accumulate(xb, units)
        else:
            lr, sigma = self.current(self.seen + rows / 2)
            num, den = self._sums(xb, units, sigma)
            exposure = lr * den  # how far b sequential updates would move each node
            share = torch.where(
                exposure > 1e-6,
                -torch.expm1(-exposure) / exposure.clamp_min(1e-6),
                torch.ones_like(exposure),
            )
            self.weights += (lr * share)[:, None] * (num - den[:, None] * self.weights)
        self.seen += rows
        return dist.mean()

    def _accumulate(self, xb: Tensor, units: Tensor) -> None:
        epoch_start = self.seen - self._rows
        _, sigma = self.current(epoch_start)
        num, den = self._sums(xb, units, sigma)
        if self._num is None or self._den is None:
            self._num, self._den = num, den
        else:
            self._num += num
            self._den += den
        self._rows += xb.shape[0]
        if self._rows >= self.epoch_rows:  # the epoch's last batch: the batch map's update
            self.finish_epoch()

    def finish_epoch(self) -> None:
        """Apply the batch algorithm's accumulated update (nodes no sample reached keep
        their weights)."""
        if self._num is not None and self._den is not None:
            ok = self._den > 1e-8
            self.weights[ok] = self._num[ok] / self._den[ok][:, None]
        self._num = self._den = None
        self._rows = 0

    # -- what the loop needs -----------------------------------------------------------------

    @torch.no_grad()
    def loss(self, batch: Batch) -> float:
        return float(best_units(batch[0], self.weights, self.distance)[0].mean())

    def state_dict(self) -> dict[str, Tensor]:
        return {"weights": self.weights.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> Any:
        self.weights.copy_(state["weights"].to(self.weights.device))

    def working_state(self) -> dict[str, Any]:
        return {"seen": self.seen}

    def load_working_state(self, state: dict[str, Any]) -> None:
        self.seen = int(state.get("seen", 0))

    def flops(self, batch: Batch) -> float | None:
        """The search and the two sums: about ``4 x batch x nodes x features``."""
        rows, features = batch[0].shape
        return 4.0 * rows * self.weights.shape[0] * features

    def logs(self) -> dict[str, float]:
        lr, sigma = self.current(self.seen)
        out = {"sigma": sigma}
        if self.algorithm == "online":
            out["learning_rate"] = lr
        return out
