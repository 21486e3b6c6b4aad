"""What a trained map says about data: best-matching units, errors, the U-matrix, hit maps,
label maps, component planes and anomaly scores.

A mixin of :class:`~cortexkit.som.SelfOrganizingMap`; every method reads the fitted
``weights_`` and the parameters it was fitted with (``fitted_params_``), and searches
best-matching units a chunk of rows at a time.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit.som.anomaly import som_anomaly_scores
from cortexkit.som.distance import DISTANCES, best_units

if TYPE_CHECKING:
    from cortexkit.som.grid import Grid

__all__ = ["OUTLIER_SCORES", "MapViews"]

#: what :meth:`MapViews.outliers` can rank by
OUTLIER_SCORES = ("quantization_error", "umatrix")


class MapViews:
    """Methods reading a fitted map (see the module's docstring)."""

    weights_: Tensor
    fitted_params_: dict[str, Any]

    if TYPE_CHECKING:  # provided by the estimator and its base

        def _check_X(self, X: Any, *, reset: bool) -> np.ndarray: ...
        def _grid(self) -> Grid: ...
        def _shape(self) -> tuple[int, int]: ...
        def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Any: ...

    def _check_fitted(self) -> None:
        check_is_fitted(self, "weights_")

    @torch.no_grad()
    def _best(self, X: Any, k: int = 1) -> tuple[Tensor, Tensor]:
        self._check_fitted()
        data = torch.as_tensor(self._check_X(X, reset=False)).to(self.weights_.device)
        distance = DISTANCES.resolve(self.fitted_params_["distance"])
        return best_units(data, self.weights_, distance, k=k)

    # -- where samples land ------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """The best-matching unit's node index (``row * cols + col``) for each sample."""
        return self._best(X)[1].cpu().numpy()

    def transform(self, X: Any) -> np.ndarray:
        """The best-matching unit's grid coordinates ``(row, col)``, ``(n_samples, 2)``."""
        _, cols = self._shape()
        units = self.predict(X)
        return np.stack([units // cols, units % cols], axis=1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X)`` then ``predict(X)``: the node index of each training sample."""
        return np.asarray(self.fit(X, y).predict(X))

    def quantization_error(self, X: Any) -> float:
        """The mean distance from each sample to its best-matching unit."""
        return float(self._best(X)[0].mean())

    def topographic_error(self, X: Any) -> float:
        """The share of samples whose best and second-best units do not touch on the grid
        (a measure of how well the map keeps the data's topology)."""
        if self._grid().n_nodes < 2:
            return 0.0
        units = self._best(X, k=2)[1]
        adjacent = self._grid().adjacent(units[:, 0], units[:, 1])
        return float((~adjacent).float().mean())

    # -- the map itself -------------------------------------------------------------------------

    @torch.no_grad()
    def distance_map(self, normalize: bool = True) -> np.ndarray:
        """The U-matrix, ``(rows, cols)``: each node's mean Euclidean distance to the nodes
        that touch it, divided by the largest such mean when ``normalize``. High values
        are borders between clusters; a sample landing on one is far from any group."""
        self._check_fitted()
        grid = self._grid()
        a, b = grid.neighbour_pairs()
        W = self.weights_
        total = torch.zeros(grid.n_nodes, dtype=W.dtype, device=W.device)
        count = torch.zeros_like(total)
        if len(a):
            total.index_add_(0, a, (W[a] - W[b]).norm(dim=1))
            count.index_add_(0, a, torch.ones_like(a, dtype=W.dtype))
        umatrix = total / count.clamp_min(1)
        if normalize and float(umatrix.max()) > 0:
            umatrix = umatrix / umatrix.max()
        return umatrix.reshape(grid.rows, grid.cols).cpu().numpy()

    def activation_response(self, X: Any) -> np.ndarray:
        """The hit map, ``(rows, cols)``: how many samples each node wins."""
        rows, cols = self._shape()
        hits = np.bincount(self.predict(X), minlength=rows * cols)
        return hits.reshape(rows, cols)

    def labels_map(self, X: Any, y: Any) -> dict[tuple[int, int], Counter[Any]]:
        """For each node that wins a sample, a :class:`collections.Counter` of the labels of
        the samples it wins, keyed by ``(row, col)``."""
        labels = np.asarray(y)
        coords = self.transform(X)
        if len(labels) != len(coords):
            raise ValueError(f"y has {len(labels)} labels for {len(coords)} rows of X")
        out: dict[tuple[int, int], Counter[Any]] = {}
        for (r, c), label in zip(coords.tolist(), labels.tolist(), strict=True):
            out.setdefault((r, c), Counter())[label] += 1
        return out

    def component_planes(self) -> np.ndarray:
        """``(n_features, rows, cols)``: each feature's weight at every node."""
        self._check_fitted()
        rows, cols = self._shape()
        return self.weights_.T.reshape(-1, rows, cols).cpu().numpy()

    # -- outliers ------------------------------------------------------------------------------

    def anomaly_scores(self, X: Any) -> np.ndarray:
        """Each sample's distance to its best-matching unit plus that unit's mean distance
        to the units that touch it (its U-matrix value, in data units), shape
        ``(n_samples,)``: higher for a sample the map represents badly or that lands on a
        border between groups, higher meaning more anomalous. Chosen on the anomaly suite
        (``bench/_quality_anomaly.py``) among the other scores of
        :func:`~cortexkit.som.anomaly.som_anomaly_scores`."""
        return som_anomaly_scores(self, X, "qe+umatrix")

    def umatrix_scores(self, X: Any) -> np.ndarray:
        """The (normalised) U-matrix value of each sample's best-matching unit, shape
        ``(n_samples,)``: high where a sample landed on a border between groups, far from
        its neighbours (the classic SOM fraud signal)."""
        return self._umatrix_at(self._best(X)[1])

    def _umatrix_at(self, units: Tensor) -> np.ndarray:
        return self.distance_map().ravel()[units.cpu().numpy()].astype(np.float64)

    def outliers(
        self,
        X: Any,
        k: int | None = None,
        *,
        threshold: float | None = None,
        score: str = "quantization_error",
    ) -> np.ndarray:
        """The row indices of the most outlying samples, most outlying first.

        Give exactly one of ``k`` (the ``k`` highest scores) and ``threshold`` (every
        sample scoring above it). ``score`` is ``"quantization_error"`` (the distance to the
        best-matching unit) or ``"umatrix"`` (:meth:`umatrix_scores`); ties in the U-matrix
        value are broken by the quantisation error.

        Raises
        ------
        ValueError
            If both or neither of ``k`` and ``threshold`` are given, ``k`` is not a positive
            integer or exceeds the number of rows, or ``score`` is unknown.
        """
        if (k is None) == (threshold is None):
            raise ValueError("give exactly one of k (how many outliers) and threshold")
        if score not in OUTLIER_SCORES:
            raise ValueError(f"score must be one of {list(OUTLIER_SCORES)}; got {score!r}")
        if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
            raise ValueError(f"k must be a positive integer; got {k!r}")
        dist, units = self._best(X)
        qe = dist.cpu().numpy().astype(np.float64)
        if k is not None and k > len(qe):
            raise ValueError(f"k={k} asks for more outliers than X has rows ({len(qe)})")
        primary = qe if score == "quantization_error" else self._umatrix_at(units)
        order = np.lexsort((-qe, -primary))  # by the score, then by the distance, descending
        if k is not None:
            return order[:k]
        assert threshold is not None
        return order[primary[order] > float(threshold)]
