"""The autoencoder's anomaly scores: each row's standardised reconstruction error, the
threshold that ``fit`` sets from the training rows' scores, and the labels it gives.

Each entry's squared error is divided by its mean over the training rows
(``error_scale_``), then averaged over the row: a column the network reconstructs badly
for every row weighs no more than one it reconstructs well, so a row stands out for the
columns where it, and not everyone, is badly reconstructed. On the anomaly suite
(``bench/_quality_anomaly.py``) that beats the plain mean squared error.

A mixin of :class:`~cortexkit.AutoEncoder`; every method reads the fitted network through
the estimator's objective (``_objective``) and its input checks (``_encoded``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:
    from cortexkit.autoencoder.objective import AutoEncoderObjective

__all__ = ["AnomalyScores"]


class AnomalyScores:
    """``anomaly_scores``, ``score_samples``, ``predict_anomaly`` and ``threshold_``."""

    threshold_: float
    error_scale_: Tensor
    fitted_params_: dict[str, Any]
    _objective: AutoEncoderObjective

    if TYPE_CHECKING:  # provided by the estimator

        def _encoded(self, X: Any, mask: Any) -> tuple[Tensor, ...]: ...

    def _set_threshold(self, X: Any, mask: Any) -> None:
        self.error_scale_ = self._objective.entry_scale(*self._encoded(X, mask))
        scores = self.anomaly_scores(X, mask=mask)
        self.threshold_ = float(np.quantile(scores, self.fitted_params_["threshold_quantile"]))

    def anomaly_scores(self, X: Any, mask: Any = None) -> np.ndarray:
        """Each row's standardised reconstruction error (over its observed entries, each
        entry's squared error divided by its ``error_scale_``; with ``n_estimators``
        networks, the mean of their errors), shape ``(n_samples,)``: higher for rows less
        like the training rows."""
        x, *observed = self._encoded(X, mask)
        scale = self.error_scale_.to(x.device)
        given = observed[0] if observed else None
        scores = self._objective.reconstruction_error(x, given, scale=scale)
        return scores.cpu().numpy().astype(np.float64)

    def score_samples(self, X: Any, mask: Any = None) -> np.ndarray:
        """The negative of :meth:`anomaly_scores`: scikit-learn's sign, higher for rows
        more like the training rows."""
        return -self.anomaly_scores(X, mask=mask)

    def predict_anomaly(self, X: Any, mask: Any = None) -> np.ndarray:
        """1 where a row's anomaly score exceeds ``threshold_`` (an anomaly), else 0."""
        return (self.anomaly_scores(X, mask=mask) > self.threshold_).astype(np.int64)

    def _checked_threshold(
        self, meta: dict[str, Any], tensors: dict[str, Tensor]
    ) -> tuple[float, Tensor]:
        """A model file's ``threshold_`` (from ``meta``) and ``error_scale_`` (popped from
        ``tensors``), checked."""
        threshold = float(meta["threshold_"])
        if not np.isfinite(threshold):
            raise ValueError(f"threshold_ is {threshold}, not a finite number")
        return threshold, self._checked_scale(tensors.pop("error_scale_", None))

    def _checked_scale(self, scale: Tensor | None) -> Tensor:
        """A model file's ``error_scale_``, finite and positive; a file from before it
        existed gets 1 (its scores, and its ``threshold_``, are the plain mean squared
        error)."""
        if scale is None:
            return torch.ones(())
        if not bool(torch.isfinite(scale).all()) or not bool((scale > 0).all()):
            raise ValueError("error_scale_ must hold finite values greater than 0")
        return scale.to(torch.float32)
