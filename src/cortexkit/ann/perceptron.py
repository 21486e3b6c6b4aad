"""Rosenblatt's perceptron: one threshold unit, the perceptron learning rule, and the pocket.

The unit computes the weighted sum of its inputs plus a bias and fires (1) when it is
non-negative. Learning is not gradient descent: observations are visited one at a time, and
only when the unit gets one wrong does it move its weights, by ``learning_rate * (y - y_hat)
* x``. On linearly separable data this provably stops making mistakes after finitely many
updates (Novikoff, 1962); otherwise it never settles, and ``fit`` warns.

On data that are not separable the weights keep moving, and the last ones can be much worse
than some met on the way. The pocket algorithm (Gallant, 1990) keeps "in its pocket" the
best weights seen so far, judged by how many training observations they misclassify. Here
the candidates are the weights at the end of each epoch (``pocket=True``, the default).

More than two classes are learnt one-vs-rest: one unit per class, each trained by the same
rule to tell its class from the others; the prediction is the class whose unit has the
largest weighted sum.

Why NumPy and not torch here: the rule is sequential, one observation at a time on vectors of
a few dozen numbers, where torch's per-operation dispatch costs more than the arithmetic. So
the perceptron keeps its own loop, not the epoch loop, and takes from the base only the
parameter checks, seeding, class labels and model files. Each epoch is still vectorised: a
block of observations is scored at once, the first observation it gets wrong is found, the
weights updated, and scoring resumes after it, which is exactly the sequential rule at a
fraction of the cost.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, validate_data
from cortexkit.model import CortexModel

__all__ = ["Perceptron"]

_BLOCK = 64  # observations scored at once between updates


class Perceptron(ClassifierMixin, CortexModel):
    """A single-layer perceptron (threshold units) trained by the perceptron rule.

    Two numbers are counted in each epoch, and they are not the same:

    - **updates**: the observations on which the rule corrected the weights during the
      pass (some unit was wrong when the observation was visited). Zero updates in an
      epoch means the data were separated, and training stops.
    - **training mistakes**: at the end of the epoch, the number of training observations
      that the weights as they then stand misclassify, predicted as :meth:`predict` does
      (the threshold for two classes, the largest sum for more). The pocket judges weights
      by this count.

    Parameters
    ----------
    learning_rate : float, default=1.0
        The size of each correction. With zero initial weights it only rescales the
        weights, so the classic rule uses 1.
    epochs : int, default=100
        The most passes over the data. Training stops earlier when an epoch makes no
        update; otherwise it runs all of them and warns (``ConvergenceWarning``).
    pocket : bool, default=True
        Keep the end-of-epoch weights with the fewest training mistakes (the earliest on a
        tie), as the pocket algorithm does. With ``False``, the classic rule: keep the last
        weights. Both follow the same trajectory; only the weights kept differ.
    shuffle : bool, default=True
        Visit the observations in a new random order each epoch.
    random_state : int, RandomState or None, default=None
        Seeds the visiting order.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``save`` and ``load`` use them, so a
        ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        One row of weights per unit (one unit for two classes): the weights at the end of
        epoch ``best_epoch_``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The biases, from the same epoch.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when ``X`` had string column names.
    n_iter_ : int
        Epochs run, from 1 to ``epochs``.
    best_epoch_ : int
        The epoch (counted from 1) whose end-of-epoch weights ``coef_`` and ``intercept_``
        hold: the first one with the fewest training mistakes when ``pocket=True``,
        ``n_iter_`` (the last) when ``pocket=False``.
    history_ : dict of lists of length n_iter_
        ``"errors"``: the updates made in each epoch (zero in the last one means the data
        were separated). ``"train_errors"``: the training mistakes at the end of each
        epoch.
    converged_ : bool
        Whether an epoch passed with no update (then ``n_iter_`` is that epoch). The pocket
        does not change this: it reports on the rule, not on the weights kept.

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit import Perceptron
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 0, 0, 1])  # logical AND: linearly separable
    >>> clf = Perceptron(random_state=0).fit(X, y)
    >>> clf.predict(X).tolist(), clf.converged_
    ([0, 0, 0, 1], True)
    >>> clf.history_["train_errors"][-1]
    0

    On overlapping classes the rule never settles; the pocket keeps the best weights met:

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> X = rng.normal(size=(200, 2)) + y[:, None]
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # did not converge: the classes overlap
    ...     clf = Perceptron(epochs=20, random_state=0).fit(X, y)
    >>> mistakes = clf.history_["train_errors"]
    >>> int((clf.predict(X) != y).sum()) == min(mistakes) == mistakes[clf.best_epoch_ - 1]
    True
    """

    _constraints: dict[str, list[Any]] = {
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "epochs": [Interval(int, 1, None)],
        "pocket": [bool],
        "shuffle": [bool],
        "random_state": [Interval(int, 0, 2**32 - 1), np.random.RandomState, None],
    }

    def __init__(
        self,
        *,
        learning_rate: float = 1.0,
        epochs: int = 100,
        pocket: bool = True,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.pocket = pocket
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Perceptron:
        """Apply the perceptron rule until an epoch makes no update, or for ``epochs``.

        Keeps the end-of-epoch weights with the fewest training mistakes when ``pocket``,
        the last ones otherwise.
        """
        self._validate_params()
        self._freeze_params()
        p = self.fitted_params_
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        y_idx = self._encode_classes(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()[0]!r}); a classifier needs "
                "at least 2"
            )
        n_units = 1 if len(self.classes_) == 2 else len(self.classes_)
        # targets: (n, units) in {0, 1}
        T = (y_idx[:, None] == (np.arange(n_units) + (n_units == 1))).astype(np.float64)
        W = np.zeros((n_units, X.shape[1]))
        b = np.zeros(n_units)
        rng = self._numpy_rng()
        updates: list[int] = []
        train_errors: list[int] = []
        kept_W, kept_b, kept_epoch = W.copy(), b.copy(), 0
        self.converged_ = False
        for epoch in range(1, p["epochs"] + 1):
            order = rng.permutation(len(X)) if p["shuffle"] else np.arange(len(X))
            updates.append(_epoch(X[order], T[order], W, b, float(p["learning_rate"])))
            train_errors.append(_misclassified(X, y_idx, W, b))
            # the pocket: strictly fewer mistakes replace the kept weights, so ties keep the earlier
            if p["pocket"] and (kept_epoch == 0 or train_errors[-1] < train_errors[kept_epoch - 1]):
                kept_W, kept_b, kept_epoch = W.copy(), b.copy(), epoch
            if updates[-1] == 0:
                self.converged_ = True
                break
        if not p["pocket"]:  # the classic rule: the last weights
            kept_W, kept_b, kept_epoch = W, b, len(updates)
        self.coef_, self.intercept_ = kept_W, kept_b
        self.n_iter_ = len(updates)
        self.best_epoch_ = kept_epoch
        self.history_ = {"errors": updates, "train_errors": train_errors}
        if not self.converged_:
            kept = (
                f"; kept the weights of epoch {kept_epoch} "
                f"({_count(train_errors[kept_epoch - 1], 'training mistake')})"
                if p["pocket"]
                else ""
            )
            warnings.warn(
                f"Perceptron did not converge in {p['epochs']} epochs "
                f"({_count(updates[-1], 'update')} in the last){kept}; the classes may not be "
                "linearly separable",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The weighted sums ``X @ coef_.T + intercept_``: shape (n,) for two classes."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        """The threshold unit's output (two classes) or the class with the largest sum."""
        scores = self.decision_function(X)
        idx = (scores >= 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self._decode_classes(idx)

    # -- model files ------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "coef_")
        meta = {
            **self._common_state(),
            "converged_": self.converged_,
            "best_epoch_": self.best_epoch_,
        }
        return meta, {
            "coef": torch.from_numpy(self.coef_.copy()),
            "intercept": torch.from_numpy(self.intercept_.copy()),
        }

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.coef_ = tensors["coef"].numpy().astype(np.float64)
        self.intercept_ = tensors["intercept"].numpy().astype(np.float64)
        units = 1 if len(self.classes_) == 2 else len(self.classes_)
        if self.coef_.shape != (units, self.n_features_in_) or self.intercept_.shape != (units,):
            raise ValueError(
                f"weights of shape {tuple(self.coef_.shape)} do not fit {len(self.classes_)} "
                f"classes and {self.n_features_in_} features"
            )
        self.converged_ = meta["converged_"]
        self.best_epoch_ = meta["best_epoch_"]


def _epoch(X: np.ndarray, T: np.ndarray, W: np.ndarray, b: np.ndarray, lr: float) -> int:
    """One pass of the perceptron rule over ``X`` in order; updates ``W`` and ``b`` in place.

    Returns the number of observations on which some unit was wrong (and so updated).
    """
    n, mistakes, start = len(X), 0, 0
    while start < n:
        block = slice(start, min(start + _BLOCK, n))
        fired = (X[block] @ W.T + b >= 0).astype(np.float64)  # (block, units)
        wrong = np.flatnonzero((fired != T[block]).any(axis=1))
        if wrong.size == 0:
            start = block.stop
            continue
        i = start + int(wrong[0])  # the first mistake: everything before it was right
        err = T[i] - fired[wrong[0]]  # (units,): +1, 0 or -1
        W += lr * np.outer(err, X[i])
        b += lr * err
        mistakes += 1
        start = i + 1
    return mistakes


def _misclassified(X: np.ndarray, y_idx: np.ndarray, W: np.ndarray, b: np.ndarray) -> int:
    """How many rows of ``X`` the weights predict wrongly, by :meth:`Perceptron.predict`'s rule.

    ``y_idx`` holds each row's class index; one unit (``W`` of shape (1, n_features)) means
    two classes, decided by the threshold, and more units mean the largest sum.
    """
    scores = X @ W.T + b  # (n, units)
    predicted = (scores[:, 0] >= 0).astype(int) if W.shape[0] == 1 else scores.argmax(axis=1)
    return int(np.count_nonzero(predicted != y_idx))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
