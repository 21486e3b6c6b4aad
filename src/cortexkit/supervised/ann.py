"""Artificial neural networks (multi-layer perceptrons) for classification and regression.

The output layer follows the target, as in the article: one sigmoid unit with binary
cross-entropy for a binary target, one softmax unit per class with cross-entropy for a
categorical target, and identity units with mean squared error for a continuous target
(several at once for multi-output regression).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from torch import Tensor

from cortexkit._validation import CALLABLE, Options
from cortexkit.defaults import ANN, ANN_REGRESSOR
from cortexkit.neuron.losses import Loss, get_loss
from cortexkit.supervised.ann_base import ANN_CONSTRAINTS, LOOP_DOC, BaseANN

__all__ = ["ANNClassifier", "ANNRegressor"]

FLOAT32_MAX = float(np.finfo(np.float32).max)


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


class ANNClassifier(ClassifierMixin, BaseANN):
    __doc__ = (
        """A multi-layer perceptron classifier.

    Binary targets get one sigmoid output unit and binary cross-entropy; more classes get
    one softmax unit per class and cross-entropy. Labels may be any hashable values.

    Parameters
    ----------
    hidden_layers : int or sequence of int, default=(64, 32)
        Units per hidden layer; ``()`` gives logistic (softmax) regression.
    activation : str, callable or list, default="relu"
        Hidden-layer activation by name (see :data:`cortexkit.neuron.ACTIVATIONS`), a
        callable, or one per hidden layer.
    init : str or callable, default="xavier_uniform"
        Weight initialiser (see :data:`cortexkit.neuron.INITIALIZERS`).
    init_scale : float, default=0.05
        Half-width of ``init="uniform"``.
"""
        + LOOP_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    network_ : DenseNetwork
        The trained network.
    history_ : dict
        Per-epoch ``loss`` (and ``val_loss``, ``val_accuracy``, ``learning_rate``, ``time``).
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from cortexkit import ANNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ANNClassifier(hidden_layers=(16,), epochs=200, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
"""
    )

    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # a DataConversionWarning, as scikit-learn's
        _one_label_type(y, "y")
        if classes is not None:
            _one_label_type(np.asarray(classes), "classes")
        check_classification_targets(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional (one label per row); got shape {y.shape}")
        if fitting:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_.tolist()[0]!r}); a classifier needs "
                    "at least 2"
                )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels not in classes_ {self.classes_.tolist()}: {unseen.tolist()}"
            )
        return np.searchsorted(self.classes_, y)

    def _n_outputs(self) -> int:
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _loss(self) -> Loss:
        return get_loss("bce" if len(self.classes_) == 2 else "cross_entropy")

    def _target_tensor(self, y: np.ndarray, device: torch.device) -> Tensor:
        if len(self.classes_) == 2:
            return torch.as_tensor(y, dtype=torch.float32, device=device).reshape(-1, 1)
        return torch.as_tensor(y, dtype=torch.long, device=device)

    def _scores(self, out: Tensor, y: Tensor) -> dict[str, float]:
        pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
        return {"accuracy": float((pred == y.reshape(-1).long()).float().mean())}

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``, columns as ``classes_``."""
        raw = self._raw(X)
        if raw.shape[1] == 1:
            p = torch.sigmoid(raw)
            return torch.cat([1 - p, p], dim=1).cpu().numpy().astype(np.float64)
        return torch.softmax(raw, dim=1).cpu().numpy().astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        raw = self._raw(X)
        idx = (raw[:, 0] > 0).long() if raw.shape[1] == 1 else raw.argmax(1)
        return self.classes_[idx.cpu().numpy()]

    def _target_state(self) -> dict[str, Any]:
        return {"classes_": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str}

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        dtype = np.dtype(meta["classes_dtype"])
        self.classes_ = np.asarray(meta["classes_"], dtype=object if dtype.kind == "O" else dtype)


class ANNRegressor(RegressorMixin, BaseANN):
    __doc__ = (
        """A multi-layer perceptron regressor, with one identity output per target.

    Parameters
    ----------
    hidden_layers : int or sequence of int, default=(64, 32)
        Units per hidden layer; ``()`` gives linear regression.
    activation : str, callable or list, default="relu"
        Hidden-layer activation by name, a callable, or one per hidden layer.
    init : str or callable, default="xavier_uniform"
        Weight initialiser.
    init_scale : float, default=0.05
        Half-width of ``init="uniform"``.
    loss : {"mse", "mae", "huber"} or callable, default="mse"
        The cost function.
    scale_target : bool, default=True
        Train on the standardised target (predictions are returned in the original units);
        the losses in ``history_`` are then in standard deviations.
"""
        + LOOP_DOC
        + """
    Attributes
    ----------
    network_ : DenseNetwork
        The trained network.
    history_ : dict
        Per-epoch ``loss`` (and ``val_loss``, ``val_r2``, ``learning_rate``, ``time``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import scale
    >>> from cortexkit import ANNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = ANNRegressor(hidden_layers=(32,), epochs=100, random_state=0).fit(scale(X), y)
    >>> reg.score(scale(X), y) > 0.4
    True
"""
    )

    _constraints = {
        **ANN_CONSTRAINTS,
        "loss": [Options(["mse", "mae", "huber"]), CALLABLE],
        "scale_target": [bool],
    }

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = ANN.hidden_layers,
        *,
        activation: Any = ANN.activation,
        init: Any = "xavier_uniform",
        init_scale: float = 0.05,
        loss: Any = "mse",
        scale_target: bool = True,
        batch_size: int | None = ANN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = ANN.epochs,
        optimizer: Any = ANN.optimizer,
        learning_rate: float = ANN.learning_rate,
        weight_decay: float = ANN_REGRESSOR.weight_decay,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = ANN.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = ANN.early_stopping,
        patience: int = ANN.patience,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        super().__init__(
            hidden_layers,
            activation=activation,
            init=init,
            init_scale=init_scale,
            batch_size=batch_size,
            gradient_descent=gradient_descent,
            epochs=epochs,
            optimizer=optimizer,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            momentum=momentum,
            nesterov=nesterov,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            clip_grad_norm=clip_grad_norm,
            random_state=random_state,
            device=device,
            verbose=verbose,
            callbacks=callbacks,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            resume=resume,
        )
        self.loss = loss
        self.scale_target = scale_target

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one identity output unit per target
        return tags

    def _loss(self) -> Loss:
        return get_loss(self.loss)

    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        if classes is not None:
            raise TypeError("classes= is for classifiers; a regressor's partial_fit takes X, y")
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; a regressor needs finite targets")
        if y.size and np.abs(y).max() > FLOAT32_MAX:
            raise ValueError(
                f"y holds values beyond float32's range (|y| up to {np.abs(y).max():.3g}, "
                f"limit {FLOAT32_MAX:.3g}); the network computes in float32: rescale y"
            )
        if fitting:
            self._y_1d: bool = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        if fitting:
            self.n_outputs_ = y2.shape[1]
            if self.scale_target:
                std = y2.std(axis=0)
                self._y_mean, self._y_std = y2.mean(axis=0), np.where(std > 0, std, 1.0)
            else:
                self._y_mean, self._y_std = np.zeros(y2.shape[1]), np.ones(y2.shape[1])
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y2.shape[1]} targets; the model predicts {self.n_outputs_}")
        return (y2 - self._y_mean) / self._y_std

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _target_tensor(self, y: np.ndarray, device: torch.device) -> Tensor:
        return torch.as_tensor(y, dtype=torch.float32, device=device)

    def _scores(self, out: Tensor, y: Tensor) -> dict[str, float]:
        # R² per target, then averaged (scikit-learn's "uniform_average"), in target units
        ss_res = ((out - y) ** 2).sum(0)
        ss_tot = ((y - y.mean(0)) ** 2).sum(0)
        r2 = torch.where(ss_tot > 0, 1.0 - ss_res / ss_tot.clamp_min(1e-30), 0.0)
        return {"r2": float(r2.mean())}

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        out = self._raw(X).cpu().numpy().astype(np.float64) * self._y_std + self._y_mean
        return out.ravel() if self._y_1d else out

    def _target_state(self) -> dict[str, Any]:
        return {
            "n_outputs_": self.n_outputs_,
            "y_1d": self._y_1d,
            "y_mean": self._y_mean.tolist(),
            "y_std": self._y_std.tolist(),
        }

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        self.n_outputs_ = meta["n_outputs_"]
        self._y_1d = meta["y_1d"]
        self._y_mean = np.asarray(meta["y_mean"])
        self._y_std = np.asarray(meta["y_std"])
