"""Anomaly scores read from a trained map (chosen on ``bench/_quality_anomaly.py``).

- ``"qe"``: the distance to the best-matching unit (the quantisation error);
- ``"umatrix"``: the normalised U-matrix value of the best-matching unit;
- ``"qe+umatrix"``: the distance to the best-matching unit plus that unit's mean distance
  to the units that touch it (both in data units);
- ``"knn3"``, ``"knn5"``: the mean distance to the 3 (5) nearest units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SOM_ANOMALY_SCORES", "som_anomaly_scores"]

SOM_ANOMALY_SCORES = ("qe", "umatrix", "qe+umatrix", "knn3", "knn5")


def som_anomaly_scores(model: Any, X: Any, score: str) -> np.ndarray:
    """The anomaly score ``score`` (one of :data:`SOM_ANOMALY_SCORES`) of each row of ``X``
    under the fitted map ``model``: higher, more anomalous."""
    if score not in SOM_ANOMALY_SCORES:
        raise ValueError(f"score must be one of {list(SOM_ANOMALY_SCORES)}; got {score!r}")
    if score.startswith("knn"):
        k = min(int(score[3:]), model.weights_.shape[0])
        return model._best(X, k=k)[0].mean(1).cpu().numpy().astype(np.float64)
    dist, units = model._best(X)
    qe = dist.cpu().numpy().astype(np.float64)
    index = units.cpu().numpy()
    if score == "qe":
        return qe
    umatrix = model.distance_map(normalize=score == "umatrix").ravel()[index]
    return umatrix.astype(np.float64) if score == "umatrix" else qe + umatrix
