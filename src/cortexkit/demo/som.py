"""The self-organising map on handwritten digits: clusters without labels.

The map is trained on the images alone; each node is then named after the most common
digit among the training images it wins, and a held-out image is classified by its node.
That accuracy, against always guessing the commonest digit, says how well the unlabelled
map separates the ten digits. The report shows the U-matrix with a marker per digit and
the hit map.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score

from cortexkit.demo.common import DemoResult, split_scaled
from cortexkit.som import SelfOrganizingMap

__all__ = ["FAMILIES", "node_labels", "som_digits"]


def node_labels(som: SelfOrganizingMap, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each node's most common label among the samples it wins; a node that wins none
    takes the label of the nearest node (by weights) that does."""
    nodes = som.weights_.shape[0]
    units = som.predict(X)
    labels = np.full(nodes, -1)
    for node in np.unique(units):
        values, counts = np.unique(y[units == node], return_counts=True)
        labels[node] = values[np.argmax(counts)]
    named = np.flatnonzero(labels >= 0)
    W = som.weights_.cpu().numpy()
    for node in np.flatnonzero(labels < 0):
        nearest = named[np.argmin(np.linalg.norm(W[named] - W[node], axis=1))]
        labels[node] = labels[nearest]
    return labels


def som_digits(quick: bool) -> list[DemoResult]:
    """A 12x12 map of the 8x8 digits (one pass in the quick demo, five otherwise)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = split_scaled(X, y, stratify=True)
    som = SelfOrganizingMap((12, 12), sigma=1.5, epochs=1 if quick else 5, random_state=0)
    t0 = time.perf_counter()
    som.fit(X_tr)
    seconds = time.perf_counter() - t0
    labels = node_labels(som, X_tr, y_tr)
    score = accuracy_score(y_te, labels[som.predict(X_te)])
    baseline = accuracy_score(y_te, DummyClassifier().fit(X_tr, y_tr).predict(X_te))
    # the report draws the U-matrix with the held-out images by digit, and their hit map
    result = DemoResult("digits", "categorical (10)", "SelfOrganizingMap", "accuracy", score,
                        baseline, seconds, som.history_, curve="quantization_error",
                        estimator=som, context={"X": X_te, "y": y_te})  # fmt: skip
    return [result]


FAMILIES = [som_digits]
