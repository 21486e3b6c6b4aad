"""The data sets of the anomaly suite (``bench/_quality_anomaly.py``): ADBench's protocol
on classification data.

Each task names a source table and the class that plays the anomaly. Following ADBench
(Han et al., 2022), the inliers are the rows of every other class (at most
``MAX_INLIERS`` of them, drawn at random), and the anomalies a random sample of the
anomaly class, 5% of the final set (at least 5 rows). Models fit on the whole set,
anomalies included and labels unseen, and the labels only score the result (ROC AUC).
Each seed draws its own sample of rows.

Scaling, fitted on the unlabelled set as a user would: tables are standardised (every
column to mean 0, variance 1; IsolationForest does not care), images keep pixels in
[0, 1].

Sources:

- scikit-learn's bundled tables: breast cancer (the malignant class), wine and iris (each
  class in turn), 8x8 digits (each digit in turn);
- statsmodels' tables: ``fair`` (women who had an affair, from the 8 survey answers),
  ``anes96`` (a vote for Dole, from the 10 other answers);
- ``../shared/data``: credit-card applications (class 1), churn modelling (customers who
  left; geography one-hot, gender 0/1), the MNIST test set (digits 0, 4 and 7 in turn);
- generated, 10 features: ``gen-local`` (inliers from 5 Gaussian clusters with random
  covariances; anomalies from the same clusters with 5x the covariance, ADBench's "local"
  type), ``gen-global`` (the same inliers; anomalies uniform over 1.2x their bounding
  box), ``gen-dependency`` (inliers on a 3-dimensional linear subspace plus small noise;
  anomalies draw each column independently from the inliers' own values, so every
  column's distribution matches and only the dependence betrays them), ``gen-cluster``
  (the same inliers as ``gen-local``; anomalies one tight cluster 3 standard deviations
  off the data's centre).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MAX_INLIERS = 1500
CONTAMINATION = 0.05

Source = Callable[[], tuple[np.ndarray, np.ndarray, bool]]  # X, labels, is_image


def _sklearn(name: str) -> Source:
    def load() -> tuple[np.ndarray, np.ndarray, bool]:
        from sklearn import datasets

        data = getattr(datasets, f"load_{name}")()
        X = np.asarray(data.data, dtype=np.float64)
        return (X / 16.0 if name == "digits" else X), np.asarray(data.target), name == "digits"

    return load


def _fair() -> tuple[np.ndarray, np.ndarray, bool]:
    from statsmodels.datasets import fair

    frame = fair.load_pandas().data
    return frame.drop(columns="affairs").to_numpy(float), (frame["affairs"] > 0).to_numpy(), False


def _anes96() -> tuple[np.ndarray, np.ndarray, bool]:
    from statsmodels.datasets import anes96

    frame = anes96.load_pandas().data
    X = frame.drop(columns=["vote", "logpopul"]).to_numpy(float)
    return X, frame["vote"].to_numpy().astype(int), False


def _credit() -> tuple[np.ndarray, np.ndarray, bool]:
    import pandas as pd

    frame = pd.read_csv(DATA / "credit-card-applications" / "Credit_Card_Applications.csv")
    return (
        frame.drop(columns=["CustomerID", "Class"]).to_numpy(float),
        frame["Class"].to_numpy(),
        False,
    )


def _churn() -> tuple[np.ndarray, np.ndarray, bool]:
    import pandas as pd

    frame = pd.read_csv(DATA / "churn-modelling" / "Churn_Modelling.csv")
    y = frame["Exited"].to_numpy()
    frame = frame.drop(columns=["RowNumber", "CustomerId", "Surname", "Exited"])
    frame["Gender"] = (frame["Gender"] == "Female").astype(float)
    frame = pd.get_dummies(frame, columns=["Geography"], dtype=float)
    return frame.to_numpy(float), y, False


def _idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _mnist() -> tuple[np.ndarray, np.ndarray, bool]:
    folder = DATA / "mnist-idx-test10k"
    X = _idx(folder / "t10k-images-idx3-ubyte.gz").reshape(10000, -1) / 255.0
    return X, _idx(folder / "t10k-labels-idx1-ubyte.gz").astype(int), True


def _clusters(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    centres = np.random.default_rng(7).normal(0, 4, (5, 10))  # the same clusters each seed
    shapes = [np.random.default_rng(8 + k).normal(0, 1, (10, 10)) / 3 for k in range(5)]
    which = rng.integers(0, 5, n)
    noise = rng.normal(0, 1, (n, 10))
    return np.stack([centres[k] + spread * noise[i] @ shapes[k] for i, k in enumerate(which)])


def _generated(kind: str) -> Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]:
    """Inliers and anomalies of a generated task (``MAX_INLIERS`` inliers)."""

    def make(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n, m = MAX_INLIERS, _n_anomalies(MAX_INLIERS)
        if kind == "dependency":
            basis = np.random.default_rng(9).normal(0, 1, (3, 10))
            inliers = rng.normal(0, 1, (n, 3)) @ basis + 0.1 * rng.normal(0, 1, (n, 10))
            pool = rng.normal(0, 1, (n, 3)) @ basis + 0.1 * rng.normal(0, 1, (n, 10))
            anomalies = np.stack([rng.choice(pool[:, j], m) for j in range(10)], axis=1)
            return inliers, anomalies
        inliers = _clusters(rng, n, 1.0)
        if kind == "local":
            return inliers, _clusters(rng, m, 5.0**0.5)
        if kind == "global":
            lo, hi = inliers.min(0), inliers.max(0)
            mid, half = (lo + hi) / 2, 0.6 * (hi - lo)
            return inliers, rng.uniform(mid - half, mid + half, (m, 10))
        direction = np.random.default_rng(10).normal(0, 1, 10)
        centre = inliers.mean(0) + 3 * inliers.std(0) * direction / np.linalg.norm(direction)
        return inliers, centre + 0.2 * rng.normal(0, 1, (m, 10))

    return make


def _n_anomalies(n_inliers: int) -> int:
    return max(5, round(CONTAMINATION * n_inliers / (1 - CONTAMINATION)))


SOURCES: dict[str, Source] = {
    "breast_cancer": _sklearn("breast_cancer"),
    "wine": _sklearn("wine"),
    "iris": _sklearn("iris"),
    "digits": _sklearn("digits"),
    "fair": _fair,
    "anes96": _anes96,
    "credit": _credit,
    "churn": _churn,
    "mnist": _mnist,
}

#: task name -> (source, anomaly class); generated tasks have source "gen"
TASKS: dict[str, tuple[str, object]] = {
    "breast_cancer": ("breast_cancer", 0),
    **{f"wine-{k}": ("wine", k) for k in range(3)},
    **{f"iris-{k}": ("iris", k) for k in range(3)},
    **{f"digits-{k}": ("digits", k) for k in range(10)},
    "fair": ("fair", True),
    "anes96": ("anes96", 1),
    "credit": ("credit", 1),
    "churn": ("churn", 1),
    **{f"mnist-{k}": ("mnist", k) for k in (0, 4, 7)},
    **{f"gen-{kind}": ("gen", kind) for kind in ("local", "global", "dependency", "cluster")},
}

_cache: dict[str, tuple[np.ndarray, np.ndarray, bool]] = {}


def task(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The scaled rows of task ``name`` drawn with ``seed``, and their labels (1: anomaly)."""
    source, anomaly = TASKS[name]
    rng = np.random.default_rng(seed)
    image = False
    if source == "gen":
        inliers, anomalies = _generated(str(anomaly))(rng)
    else:
        if source not in _cache:
            _cache[source] = SOURCES[source]()
        X, labels, image = _cache[source]
        inliers, pool = X[labels != anomaly], X[labels == anomaly]
        if len(inliers) > MAX_INLIERS:
            inliers = inliers[rng.choice(len(inliers), MAX_INLIERS, replace=False)]
        m = min(_n_anomalies(len(inliers)), len(pool))
        anomalies = pool[rng.choice(len(pool), m, replace=False)]
    X = np.vstack([inliers, anomalies])
    y = np.r_[np.zeros(len(inliers), int), np.ones(len(anomalies), int)]
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    if not image:
        std = X.std(0)
        X = (X - X.mean(0)) / np.where(std > 0, std, 1.0)
    return X.astype(np.float32), y
