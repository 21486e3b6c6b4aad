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
  as a sequential SOM does in one pass (``bench/som.py``). Early on, while the map
  still moves fast, a batch's winners (found before its update) go stale: a training's
  first four batches are taken in 16, 8, 4 and 4 slices (of 16 rows at least), later
  batches in halves through the first half of the training, and whole after that (the
  estimator's batches are 1/20 of the rows, at most 512). The learning rate and sigma
  follow their schedules per slice, at its middle sample. A Gaussian on a rectangular
  grid is separable, and its sums are then two small products along the rows and the
  columns (:meth:`SOMStep._separable_sums`), or, for a slice smaller than the grid's rows
  plus columns, ``H`` as outer products of a row and a column Gaussian
  (:meth:`SOMStep._outer_sums`); no ``nodes x nodes`` table is made.
  The search for the winners (:func:`~cortexkit.som.distance.best_units`) writes into a
  reused buffer, and each node's update is a few vector operations.
- ``algorithm="batch"``: Kohonen's batch map. The sums are accumulated over the whole
  epoch (``batch_size`` only bounds memory) and each node moves to ``num_j / den_j`` at the
  epoch's end; sigma follows its schedule per epoch, and the learning rate is not used.
  The batch map lowers a neighbourhood-weighted energy, not the quantisation error
  itself, which it can raise by a little near convergence. So, with a fixed sigma (where
  that energy stays the same from epoch to epoch), the move is checked: the new map's
  error on the training rows is measured (one more search pass), and where it is higher
  than the old map's, the move is halved (up to four times) or not made. The training
  rows' quantisation error then never rises from one epoch to the next. A shrinking
  sigma changes the energy each epoch and moves unchecked (an early, wide neighbourhood
  orders the map at some cost in error, as it should).
  Negative neighbourhood weights (the Mexican hat's outer ring) count as 0 here: a mean
  with negative weights is no mean.

The step's loss is the batch's mean quantisation error (distance to the best-matching
unit, before the update).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from cortexkit.som.distance import DISTANCES, Distance, best_units, chunk_rows
from cortexkit.som.grid import Grid
from cortexkit.som.neighborhood import NEIGHBORHOODS, bubble, gaussian, triangle
from cortexkit.som.schedule import DECAYS, default_sigma
from cortexkit.train.batches import Batches
from cortexkit.train.distributed import all_reduce_sum
from cortexkit.train.step import Run, Step

__all__ = ["ONLINE_MAX", "ONLINE_MIN", "ONLINE_UPDATES", "SOMStep", "rows_per_step"]

Batch = tuple[Tensor, ...]
# Early on the map moves fast, and a batch's winners (found before its update) go stale: a
# training's first batches are taken in slices, WARMUP[k] slices for batch k (of
# MIN_SLICE rows at least), then in halves until HALVES_UNTIL of the training, then whole.
WARMUP = (16, 8, 4, 4)
HALVES_UNTIL = 0.5
MIN_SLICE = 16
# the online rule's default mini-batch: n / 20 rows, at least 16 and at most 512
ONLINE_UPDATES, ONLINE_MIN, ONLINE_MAX = 20, 16, 512


def rows_per_step(n_train: int, *, batch_size: int | None, algorithm: str, nodes: int) -> int:
    """The rows the loop hands the step at a time: ``batch_size`` when given; else, online,
    1/20 of the training rows (16 to 512: enough updates for one pass to match a sequential
    SOM's error, ``bench/som.py``), and for the batch algorithm the search's chunk
    (:func:`~cortexkit.som.distance.chunk_rows`).

    Examples
    --------
    >>> rows_per_step(10_000, batch_size=None, algorithm="online", nodes=100)
    500
    >>> rows_per_step(100, batch_size=None, algorithm="online", nodes=100)
    16
    """
    if batch_size is not None:
        return int(batch_size)
    if algorithm == "batch":
        return chunk_rows(nodes)
    return int(min(max(n_train // ONLINE_UPDATES, ONLINE_MIN), ONLINE_MAX))


class SOMStep(Step):
    """One SOM update per batch (see the module's docstring).

    :meth:`begin` takes the rule and its schedules from the run's settings (the
    estimator's parameters: ``neighborhood``, ``distance``, ``learning_rate``, ``sigma``
    (None: :func:`~cortexkit.som.schedule.default_sigma` of the grid), ``lr_schedule``,
    ``sigma_decay``, ``algorithm``), and the schedules' length
    (``epochs`` x the training rows) and the training rows from the run itself.

    Parameters
    ----------
    weights : Tensor
        ``(nodes, features)``, updated in place.
    grid : Grid
        The node layout (on the weights' device).
    """

    neighborhood: Callable[[Tensor, float], Tensor]
    distance: Distance
    lr_schedule: Callable[[float, float], float]
    sigma_decay: Callable[[float, float], float]

    def __init__(self, weights: Tensor, grid: Grid) -> None:
        self.weights = weights
        self.grid = grid
        device = weights.device
        # the squared distances along the grid's rows and along its columns (the
        # separable sums' two small neighbourhood matrices)
        along = [torch.arange(k, dtype=weights.dtype, device=device)
                 for k in (grid.rows, grid.cols)]  # fmt: skip
        self._d2_rows, self._d2_cols = ((a[:, None] - a[None, :]) ** 2 for a in along)
        self.horizon = 1  # sample presentations the schedules run over
        self.epoch_rows = 0  # samples per epoch
        self.seen = 0  # samples presented so far, every epoch and call included
        self._rows = 0  # samples of the current epoch so far (batch algorithm)
        self._num: Tensor | None = None
        self._den: Tensor | None = None
        self._qe_sum = 0.0
        #: the training rows, for the batch algorithm's check (during a run)
        self.source: Batches | None = None
        self.eval_rows: int | None = None

    def begin(self, run: Run) -> None:
        """The rule, the schedules and the data of this run (see the class docstring). A
        map that has trained before (a loaded one) goes on where its schedules were."""
        s = run.settings
        self.neighborhood = NEIGHBORHOODS.resolve(s["neighborhood"])
        self.distance = DISTANCES.resolve(s["distance"])
        self.learning_rate = float(s["learning_rate"])
        sigma = s["sigma"]  # None: it follows the map's size
        self.sigma = (
            default_sigma(self.grid.rows, self.grid.cols) if sigma is None else float(sigma)
        )
        self.lr_schedule = DECAYS.resolve(s["lr_schedule"] or "constant")  # None: constant
        self.sigma_decay = DECAYS.resolve(s["sigma_decay"])
        self.algorithm = str(s["algorithm"])
        self._non_negative = self.neighborhood in (gaussian, bubble, triangle)
        self._separable = self.neighborhood is gaussian and self.grid.topology == "rectangular"
        self.epoch_rows = run.n_train
        self.horizon = max(run.epochs * run.n_train, 1)
        self.source, self.eval_rows = run.batches, run.batch_size
        if not self.seen and run.epochs_done:
            self.seen = run.epochs_done * run.n_train

    # -- schedules ---------------------------------------------------------------------------

    def current(self, at: float) -> tuple[float, float]:
        """The learning rate and sigma after ``at`` sample presentations."""
        progress = min(max(at / self.horizon, 0.0), 1.0)
        lr = float(self.lr_schedule(self.learning_rate, progress))
        sigma = float(self.sigma_decay(self.sigma, progress))
        return lr, max(sigma, 1e-6)

    def _sums(
        self, xb: Tensor, units: Tensor, sigma: float, *, clamp: bool = False
    ) -> tuple[Tensor, Tensor]:
        H = self.neighborhood(self.grid.squared_distances(units), sigma)  # (batch, nodes)
        if clamp:
            H = H.clamp_min(0)
        return H.T @ xb, H.sum(0)  # (nodes, features), (nodes,)

    # -- the update --------------------------------------------------------------------------

    @torch.no_grad()
    def __call__(self, batch: Batch) -> Tensor:
        xb = batch[0]
        rows = xb.shape[0]
        if self.algorithm == "batch":
            dist, units = self._search(xb)
            self._qe_sum += float(dist.sum())
            self._accumulate(xb, units)
            self.seen += rows
            return dist.mean()
        k = self.seen // rows  # this batch's number in the whole training
        if k < len(WARMUP):
            parts = WARMUP[k]
        else:
            parts = 2 if self.seen < HALVES_UNTIL * self.horizon else 1
        size = max(-(-rows // parts), MIN_SLICE)  # rows / parts, rounded up
        if size < rows:  # the map still moves fast: fresh winners for each slice
            scores = torch.cat([self._online(xb[s : s + size]) for s in range(0, rows, size)])
        else:
            scores = self._online(xb)
        return self.distance.finish(scores, xb).mean()

    def _search(self, xb: Tensor, *, finish: bool = True) -> tuple[Tensor, Tensor]:
        """:func:`best_units` of a batch (into the thread's reused search buffer)."""
        return best_units(xb, self.weights, self.distance, finish=finish)

    def _online(self, xb: Tensor) -> Tensor:
        """One online update on ``xb``; the winners' scores before it (not yet
        distances: ``distance.finish`` makes them so)."""
        rows = xb.shape[0]
        scores, units = self._search(xb, finish=False)
        lr, sigma = self.current(self.seen + rows / 2)
        grid = self.grid
        if self._separable:  # a Gaussian on a rectangular grid: H never in full
            sums = self._separable_sums if grid.rows + grid.cols <= rows else self._outer_sums
            num, den = sums(xb, units, sigma)
            mass = den
        else:
            H = self.neighborhood(self.grid.squared_distances(units), sigma)  # (batch, nodes)
            num, den = H.T @ xb, H.sum(0)  # (nodes, features), (nodes,)
            mass = den if self._non_negative else H.abs().sum(0)  # a repelling ring counts
        all_reduce_sum(num, den, mass)  # every process's share of the batch (one message)
        # Each node moves by lr share (num - den w), share = (1 - exp(-lr mass)) / (lr mass)
        # (-> 1 as the mass goes to 0). With mass = den that is
        # w exp(-lr den) + (1 - exp(-lr den)) / den num.
        mass = mass.clamp_min(1e-20)
        decay = torch.expm1(mass * -lr)  # (nodes,), exp(-lr mass) - 1
        if self._non_negative:  # mass = den
            self.weights.mul_((decay + 1)[:, None])
        else:  # a repelling ring: mass = sum |h| > den
            self.weights.mul_((1 + decay / mass * den)[:, None])
        self.weights.addcmul_((decay / mass)[:, None], num, value=-1)
        self.seen += rows
        return scores

    def _outer_sums(self, xb: Tensor, units: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
        """``H^T xb`` and ``H^T 1`` for a Gaussian on a rectangular grid and a small batch:
        ``H`` as the outer products of each winner's row and column Gaussians."""
        grid = self.grid
        Hr = self.neighborhood(self._d2_rows, sigma)  # (rows, rows)
        Hc = Hr if grid.rows == grid.cols else self.neighborhood(self._d2_cols, sigma)
        r, c = Hr.index_select(0, units // grid.cols), Hc.index_select(0, units % grid.cols)
        H = (r[:, :, None] * c[:, None, :]).view(len(units), -1)  # (batch, nodes)
        return H.T @ xb, H.sum(0)

    def _separable_sums(self, xb: Tensor, units: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
        """``H^T xb`` and ``H^T 1`` for a Gaussian on a rectangular grid, without ``H``.

        The Gaussian of a grid distance is the product of a Gaussian along the rows and
        one along the columns, so the neighbourhood-weighted sums are the samples summed
        per winner (``S``, ``(rows, cols, features)``) smoothed along each axis:
        ``Hr S Hc``, two small products (``rows^2 cols d + rows cols^2 d``) in place of
        ``batch x nodes`` weights and a ``batch x nodes x d`` product.
        """
        grid, W = self.grid, self.weights
        features = xb.shape[1]
        S = torch.zeros_like(W).index_add_(0, units, xb)  # (nodes, features)
        hits = torch.bincount(units, minlength=W.shape[0]).to(W.dtype)  # (nodes,)
        Hr = self.neighborhood(self._d2_rows, sigma)  # (rows, rows)
        Hc = Hr if grid.rows == grid.cols else self.neighborhood(self._d2_cols, sigma)
        num = Hr @ S.view(grid.rows, grid.cols * features)  # along the rows
        num = Hc @ num.view(grid.rows, grid.cols, features)  # along the columns
        den = Hr @ hits.view(grid.rows, grid.cols) @ Hc
        return num.view(-1, features), den.view(-1)

    def _accumulate(self, xb: Tensor, units: Tensor) -> None:
        epoch_start = self.seen - self._rows
        _, sigma = self.current(epoch_start)
        num, den = self._sums(xb, units, sigma, clamp=True)
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
        their weights), halving it while it would raise the training rows' error."""
        all_reduce_sum(self._num, self._den)  # every process's rows (data-parallel)
        if self._num is not None and self._den is not None and self._rows:
            before = self._qe_sum / self._rows  # this epoch's map, measured on every row
            ok = self._den > 1e-8
            target = self.weights.clone()
            target[ok] = self._num[ok] / self._den[ok][:, None]
            move = target - self.weights
            _, sigma = self.current(self.seen - self._rows)
            fixed = abs(self.current(self.seen)[1] - sigma) <= 1e-9 * sigma
            for share in (1.0, 0.5, 0.25, 0.125, 0.0625):
                candidate = self.weights + share * move
                if self.source is None or not fixed or self._error(candidate) <= before:
                    self.weights.copy_(candidate)
                    break
        self._num = self._den = None
        self._rows, self._qe_sum = 0, 0.0

    @torch.no_grad()
    def _error(self, weights: Tensor) -> float:
        """The quantisation error of ``weights`` on the training rows."""
        assert self.source is not None
        total, rows = 0.0, 0
        batches = self.source.epoch(self.eval_rows, shuffle=False, generator=torch.Generator())
        for batch in batches:
            total += float(best_units(batch[0], weights, self.distance)[0].sum())
            rows += batch[0].shape[0]
        return total / max(rows, 1)

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
        self.seen = int(state["seen"])

    def flops(self, batch: Batch) -> float | None:
        """The search's product, ``2 x batch x nodes x features``: the step's one large
        operation. The rest (the separable sums, the update) is a few dozen small ones
        that a second thread cannot speed up, and the loop picks the threads by this
        count (:func:`~cortexkit.train.loop.cpu_settings`): a 30x30 map on 512-row batches
        trains on one thread, a 50x50 map on 50 features may use more."""
        rows, features = batch[0].shape
        return 2.0 * rows * self.weights.shape[0] * features

    def logs(self) -> dict[str, float]:
        lr, sigma = self.current(self.seen)
        out = {"sigma": sigma}
        if self.algorithm == "online":
            out["learning_rate"] = lr
        return out
