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

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from cortexkit._validation import FLOAT32_MAX, check_float32_range, saved_floats

__all__ = [
    "MEMMAP_CHUNK",
    "TargetScaling",
    "check_memmap",
    "check_two_classes",
    "class_labels",
    "regression_targets",
]

MEMMAP_CHUNK = 65536  # rows checked at a time


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


def check_two_classes(classes: np.ndarray) -> None:
    """Refuse a classifier's labels that hold one class only."""
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes.tolist()[0]!r}); a classifier needs at least 2"
        )


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


@dataclass(frozen=True)
class TargetScaling:
    """A regressor's targets, one column per output, standardised per column (or kept as
    they are), and the network's outputs back in the targets' units and shape."""

    one_d: bool  # y was (n,): predictions are too
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, y: np.ndarray, *, scale: bool) -> TargetScaling:
        y2 = y.reshape(len(y), -1)
        if not scale:
            return cls(y.ndim == 1, np.zeros(y2.shape[1]), np.ones(y2.shape[1]))
        std = y2.std(axis=0)
        return cls(y.ndim == 1, y2.mean(axis=0), np.where(std > 0, std, 1.0))

    @property
    def n_outputs(self) -> int:
        return len(self.mean)

    def encode(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the network is trained on it: ``(n, n_outputs)``, standardised."""
        y2 = y.reshape(len(y), -1)
        if y2.shape[1] != self.n_outputs:
            raise ValueError(f"y has {y2.shape[1]} targets; the model predicts {self.n_outputs}")
        return (y2 - self.mean) / self.std  # type: ignore[no-any-return]

    def decode(self, out: np.ndarray) -> np.ndarray:
        """Network outputs ``(n, n_outputs)`` in the targets' units and shape."""
        values = out.astype(np.float64) * self.std + self.mean
        return values.ravel() if self.one_d else values  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, Any]:
        return {"n_outputs_": self.n_outputs, "y_1d": self.one_d, "y_mean": self.mean.tolist(),
                "y_std": self.std.tolist()}  # fmt: skip

    @classmethod
    def from_json(cls, meta: dict[str, Any]) -> TargetScaling:
        size = int(meta["n_outputs_"])
        mean = saved_floats(meta["y_mean"], "y_mean", size)
        return cls(bool(meta["y_1d"]), mean, saved_floats(meta["y_std"], "y_std", size))


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
