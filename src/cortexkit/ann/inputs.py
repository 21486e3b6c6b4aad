"""The ANN's inputs checked and its targets encoded.

``X`` is a 2-d array of numbers (or a DataFrame), a ``np.memmap`` larger than memory
(checked a chunk at a time, never read whole), or a ``Dataset`` of ``(x, y)`` pairs. A
classifier's labels are any hashable values of one type; a regressor's targets are finite
numbers within float32's range, one column per output.

Examples
--------
>>> import numpy as np
>>> from cortexkit.ann.inputs import class_labels
>>> class_labels(np.array([["a"], ["b"]])).tolist()
['a', 'b']
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

__all__ = [
    "FLOAT32_MAX",
    "MEMMAP_CHUNK",
    "check_float32_range",
    "check_memmap",
    "class_labels",
    "regression_targets",
]

MEMMAP_CHUNK = 65536  # rows checked at a time
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(X: np.ndarray, name: str, first_row: int = 0) -> np.ndarray:
    """Refuse values that float32, the network's precision, would turn into infinity."""
    if X.dtype == np.float64 and X.size:
        big = np.abs(X) > FLOAT32_MAX
        if big.any():
            row, col = np.argwhere(big)[0]
            raise ValueError(
                f"{name} holds values beyond float32's range ({X[row, col]:.3g} in row "
                f"{first_row + int(row)}, column {int(col)}; the limit is {FLOAT32_MAX:.3g}); "
                "the network computes in float32: rescale the features"
            )
    return X


def check_memmap(est: Any, X: np.memmap, *, reset: bool) -> np.memmap:
    """Check a memmapped ``X`` a chunk at a time (2-d, numbers, finite, the fitted width)
    without reading it into memory whole."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (n_samples, n_features); got shape {X.shape}")
    if X.dtype.kind not in "fiu":
        raise ValueError(f"X must hold numbers; the memmap's dtype is {X.dtype}")
    if X.shape[0] < 1:
        raise ValueError("X has 0 samples; at least 1 is required")
    for start in range(0, X.shape[0], MEMMAP_CHUNK):
        chunk = X[start : start + MEMMAP_CHUNK]
        finite = np.isfinite(chunk).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"X contains NaN or infinity (in row {start + int(np.argmin(finite))})"
            )
        check_float32_range(chunk, "X", first_row=start)
    if reset:
        est.n_features_in_ = X.shape[1]
        est.__dict__.pop("feature_names_in_", None)
    elif X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input"
        )
    return X


def class_labels(y: Any, classes: Any = None) -> np.ndarray:
    """A classifier's labels as a checked 1-d array (an ``(n, 1)`` column is flattened with
    scikit-learn's ``DataConversionWarning``); ``classes``, when given, is checked too."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    _one_label_type(y, "y")
    if classes is not None:
        _one_label_type(np.asarray(classes), "classes")
    check_classification_targets(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-dimensional (one label per row); got shape {y.shape}")
    return y


def regression_targets(y: Any) -> np.ndarray:
    """A regressor's targets as a checked float64 array: finite, within float32's range."""
    y = np.asarray(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity; a regressor needs finite targets")
    if y.size and np.abs(y).max() > FLOAT32_MAX:
        raise ValueError(
            f"y holds values beyond float32's range (|y| up to {np.abs(y).max():.3g}, "
            f"limit {FLOAT32_MAX:.3g}); the network computes in float32: rescale y"
        )
    return y


def _one_label_type(y: np.ndarray, name: str) -> None:
    """Refuse labels that mix text and numbers (``[1, "a"]``): they cannot be ordered, and
    ``1`` and ``"1"`` would be two classes."""
    if y.dtype.kind != "O" or y.size == 0:
        return
    text = [v for v in y.ravel() if isinstance(v, str)]
    if text and len(text) < y.size:
        number = next(v for v in y.ravel() if not isinstance(v, str))
        raise ValueError(
            f"{name} mixes text and non-text labels (e.g. {text[0]!r} and {number!r}); "
            f"use one type, e.g. {name}.astype(str)"
        )
