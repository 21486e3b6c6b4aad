"""SelfOrganizingMap anomaly scores on real data: a rare class ranks above the others."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score

from cortexkit import SelfOrganizingMap
from cortexkit.som.anomaly import SOM_ANOMALY_SCORES, som_anomaly_scores


@pytest.fixture(scope="module")
def cancer_task() -> tuple[np.ndarray, np.ndarray]:
    """ADBench's protocol on breast cancer: the benign rows and 19 malignant ones (5%),
    every column standardised."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = np.r_[np.flatnonzero(y == 1), rng.choice(np.flatnonzero(y == 0), 19, replace=False)]
    X = X[rows]
    return (X - X.mean(0)) / X.std(0), (y[rows] == 0).astype(int)


def test_default_map_ranks_the_rare_class_first(cancer_task) -> None:
    X, y = cancer_task
    som = SelfOrganizingMap(random_state=0).fit(X)
    scores = som.anomaly_scores(X)
    assert scores.shape == (len(X),) and (scores > 0).all()
    assert roc_auc_score(y, scores) > 0.85  # chance is 0.5
    for name in SOM_ANOMALY_SCORES:
        assert som_anomaly_scores(som, X, name).shape == (len(X),)
    knn = som_anomaly_scores(som, X, "knn5")
    assert (knn >= som_anomaly_scores(som, X, "qe") - 1e-6).all()  # the nearest is the least


def test_unknown_score_is_named(cancer_task) -> None:
    som = SelfOrganizingMap((3, 3), random_state=0).fit(cancer_task[0][:50])
    with pytest.raises(ValueError, match="score must be one of"):
        som_anomaly_scores(som, cancer_task[0][:5], "loudness")
