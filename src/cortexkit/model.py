"""What every cortexkit estimator shares, with or without the epoch loop.

:class:`CortexModel` holds the parameter checks (one constraints table per class), seeding,
class labels, the parameters frozen at fit (``fitted_params_``) and the fitted state a
model file keeps. :class:`~cortexkit.base.CortexEstimator` adds the epoch loop; an
estimator with a loop of its own (the perceptron's) derives from this class directly.

Examples
--------
>>> import numpy as np
>>> from cortexkit.model import CortexModel
>>> class Labels(CortexModel):
...     pass
>>> est = Labels()
>>> est._encode_classes(np.array(["b", "a", "b"])).tolist(), est.classes_.tolist()
([1, 0, 1], ['a', 'b'])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from cortexkit._validation import validate_params
from cortexkit.export import ExportMixin
from cortexkit.io.device import resolve_device
from cortexkit.model_file import SaveMixin

__all__ = ["CortexModel", "set_curves"]


class CortexModel(SaveMixin, ExportMixin, BaseEstimator):
    """What every cortexkit estimator shares, with or without the epoch loop: parameter
    checks (the ``_constraints`` table), seeding, class labels, the parameters frozen at
    fit (``fitted_params_``) and the fitted state a model file keeps. Not for direct use."""

    _constraints: dict[str, list[Any]] = {}
    fitted_params_: dict[str, Any]  # set by fit: the parameters it ran with

    def _validate_params(self) -> None:  # type: ignore[override]
        validate_params(self.get_params(deep=False), self._constraints)
        if "device" in self._constraints:  # a device this machine lacks fails here
            resolve_device(self.device)

    def _freeze_params(self) -> None:
        """Keep the parameters this fit runs with (see the module's docstring)."""
        self.fitted_params_ = dict(self.get_params(deep=False))

    def _settings(self) -> dict[str, Any]:
        """The parameters the last fit ran with (the live ones before the first fit)."""
        return getattr(self, "fitted_params_", None) or self.get_params(deep=False)

    def _seed(self) -> int:
        """One seed drawn from ``random_state`` (an int, a RandomState or None)."""
        return int(check_random_state(self._settings()["random_state"]).randint(0, 2**31 - 1))

    def _numpy_rng(self) -> np.random.RandomState:
        """The NumPy generator ``random_state`` names (for a loop of NumPy's own)."""
        return check_random_state(self._settings()["random_state"])

    # -- class labels ---------------------------------------------------------------------

    def _encode_classes(self, y: Any, classes: Any = None) -> np.ndarray:
        """Set ``classes_`` (the sorted labels of ``y``, or ``classes`` when given) and
        return ``y`` as indices into it.

        Raises
        ------
        ValueError
            If ``y`` holds a label that ``classes`` lacks.
        """
        y = np.asarray(y)
        if classes is None:
            self.classes_, codes = np.unique(y, return_inverse=True)
            return np.asarray(codes).reshape(-1)
        self.classes_ = np.unique(np.asarray(classes))
        return self._class_codes(y)

    def _class_codes(self, y: Any) -> np.ndarray:
        """``y`` as indices into the fitted ``classes_``, refusing unknown labels."""
        y = np.asarray(y)
        codes = np.searchsorted(self.classes_, y)
        known = (codes < len(self.classes_)) & (
            self.classes_[np.minimum(codes, len(self.classes_) - 1)] == y
        )
        if not known.all():
            unknown = sorted(set(np.asarray(y)[~known].tolist()), key=str)[:5]
            raise ValueError(
                f"y holds labels that are not among the classes {self.classes_.tolist()}: {unknown}"
            )
        return codes.astype(np.int64)

    def _decode_classes(self, codes: Any) -> np.ndarray:
        """Class indices back to the labels in ``classes_``."""
        return np.asarray(self.classes_[np.asarray(codes, dtype=np.int64)])

    # -- model files --------------------------------------------------------------------------

    def _common_state(self) -> dict[str, Any]:
        """The fitted state every family's model file keeps."""
        meta: dict[str, Any] = {}
        for name in ("history_", "n_iter_"):
            if hasattr(self, name):
                meta[name] = getattr(self, name)
        if hasattr(self, "n_features_in_"):
            meta["n_features_in_"] = int(self.n_features_in_)
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(c) for c in self.feature_names_in_]
        if hasattr(self, "classes_"):
            classes = np.asarray(self.classes_)
            # dates and durations as their integer ticks: JSON has no date
            ticks = classes.dtype.kind in "mM"
            meta["classes_"] = (classes.view(np.int64) if ticks else classes).tolist()
            meta["classes_dtype"] = classes.dtype.str
        return meta

    def _set_common_state(self, meta: dict[str, Any]) -> None:
        self.fitted_params_ = dict(self.get_params(deep=False))
        if "history_" in meta:
            self.history_ = dict(meta["history_"])
            if "loss" in self.history_:  # trained through the epoch loop
                set_curves(self)
        if "n_iter_" in meta:
            self.n_iter_ = int(meta["n_iter_"])
        if "n_features_in_" in meta:
            self.n_features_in_ = int(meta["n_features_in_"])
        if "feature_names_in_" in meta:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        if "classes_" in meta:
            dtype = np.dtype(meta["classes_dtype"])
            self.classes_ = np.asarray(
                meta["classes_"], dtype=object if dtype.kind == "O" else dtype
            )
            listed = self.classes_.tolist() if self.classes_.ndim == 1 else None
            if listed is None or len(listed) < 2 or len(set(map(repr, listed))) < len(listed):
                raise ValueError(f"classes_ must list 2 or more distinct classes; got {listed!r}")


def set_curves(est: Any) -> None:
    """``loss_curve_`` and ``best_loss_`` from ``history_``."""
    history = est.history_
    est.loss_curve_ = [float(v) for v in history.get("loss", [])]
    monitored = [v for v in history.get("val_loss", []) if math.isfinite(v)]
    if not monitored:
        monitored = [v for v in est.loss_curve_ if math.isfinite(v)]
    est.best_loss_ = float(min(monitored)) if monitored else math.nan
