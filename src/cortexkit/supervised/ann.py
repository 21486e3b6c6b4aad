"""Artificial neural networks (multi-layer perceptrons) for classification and regression.

The output layer follows the target, as in the article: one sigmoid unit with binary
cross-entropy for a binary target, one softmax unit per class with cross-entropy for a
categorical target, and identity units with mean squared error for a continuous target
(several at once for multi-output regression).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options, validate_data
from cortexkit.neuron.activations import is_builtin
from cortexkit.neuron.losses import LOSSES, Loss, get_loss
from cortexkit.supervised.base import LOOP_CONSTRAINTS, NETWORK_CONSTRAINTS, NeuralEstimator
from cortexkit.supervised.dense import DenseNetwork, ManualObjective
from cortexkit.train.objective import AutogradObjective, chunks

__all__ = ["ANNClassifier", "ANNRegressor"]

_ANN_CONSTRAINTS = {
    **LOOP_CONSTRAINTS,
    **NETWORK_CONSTRAINTS,
    "hidden_layers": [Interval(int, 1, None), list, tuple],
    "init_scale": [Interval(float, 0, None, closed="neither")],
}

_LOOP_DOC = """
    batch_size : int or None, default=32
        Observations per weight update: ``1`` is stochastic gradient descent, ``None`` is
        batch gradient descent (the whole set per update), ``n`` is mini-batch.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size (``"mini-batch"`` keeps ``batch_size``).
    epochs : int, default=100
        Passes over the training set.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        How the weights move against their gradients.
    learning_rate : float, default=1e-3
        The step size.
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"`` (set 0 for plain gradient descent).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.0
        Share of the training set held out to report ``val_loss`` each epoch (and to
        monitor early stopping); stratified for classifiers.
    early_stopping : bool, default=False
        Stop when the monitored loss (validation loss if there is a validation set, else
        training loss) has not improved for ``patience`` epochs, and restore the best weights.
    patience : int, default=10
        Epochs without improvement before early stopping.
    lr_schedule : {"plateau"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train; ``"auto"`` uses CUDA when present.
    verbose : int, default=0
        ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list or None, default=None
        :class:`cortexkit.train.Callback` objects or callables ``fn(epoch, logs)``;
        returning ``True`` stops training.
"""


class _ANN(NeuralEstimator, ABC):
    _constraints = _ANN_CONSTRAINTS

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = (64, 32),
        *,
        activation: Any = "relu",
        init: Any = "xavier_uniform",
        init_scale: float = 0.05,
        batch_size: int | None = 32,
        gradient_descent: str | None = None,
        epochs: int = 100,
        optimizer: Any = "adam",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.init = init
        self.init_scale = init_scale
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks

    # -- what subclasses define -------------------------------------------------------

    @abstractmethod
    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        """Check ``y`` and encode it for the loss (learning the encoding when fitting)."""

    @abstractmethod
    def _target_tensor(self, y: np.ndarray, device: torch.device) -> Tensor:
        """The encoded targets as the tensor the loss takes."""

    @abstractmethod
    def _loss(self) -> Loss:
        """The loss that the output layer implies."""

    @abstractmethod
    def _metric(self, X: Tensor, y: Tensor) -> dict[str, float]:
        """Validation metrics for encoded targets."""

    @abstractmethod
    def _n_outputs(self) -> int:
        """Units in the output layer."""

    @abstractmethod
    def _target_state(self) -> dict[str, Any]:
        """The target encoding, as JSON, for the model file."""

    @abstractmethod
    def _set_target_state(self, meta: dict[str, Any]) -> None:
        """Restore the target encoding from the model file."""

    # -- the network ----------------------------------------------------------------------

    def _hidden(self) -> list[int]:
        hidden = self.hidden_layers
        sizes = [hidden] if isinstance(hidden, int | np.integer) else list(hidden)
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
                raise ValueError(
                    f"hidden_layers must be a positive int or a sequence of them; got {hidden!r}"
                )
        return [int(s) for s in sizes]

    def _activations(self, n_hidden: int) -> list[Any]:
        act = self.activation
        if isinstance(act, list | tuple):
            if len(act) != n_hidden:
                raise ValueError(
                    f"activation lists one per hidden layer: expected {n_hidden}, got {len(act)}"
                )
            return list(act)
        return [act] * n_hidden

    def _build(self, n_features: int, n_outputs: int, generator: torch.Generator) -> None:
        hidden = self._hidden()
        options = {"scale": self.init_scale} if self.init == "uniform" else {}
        net = DenseNetwork(
            [n_features, *hidden, n_outputs],
            self._activations(len(hidden)),
            self.init,
            options,
            generator=generator,
        )
        self.network_ = net.to(self._device())
        loss = self._loss()
        fast = all(is_builtin(a) for a in self._activations(len(hidden))) and loss.name in LOSSES
        self._objective = (
            ManualObjective(self.network_, loss)
            if fast and LOSSES[loss.name] is loss
            else AutogradObjective(self.network_, loss)
        )

    def _check_X(self, X: Any, *, reset: bool) -> np.ndarray:
        return validate_data(
            self, X, reset=reset, dtype=[np.float32, np.float64], ensure_min_samples=1
        )

    def _to_tensor(self, X: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(X, dtype=np.float32), device=self._device())

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, **fit_params: Any) -> _ANN:
        """Train from scratch on ``X`` (n_samples, n_features) and targets ``y``.

        ``validation_data=(X_val, y_val)`` supplies a validation set of your own instead of
        ``validation_fraction``.
        """
        validation_data = fit_params.pop("validation_data", None)
        if fit_params:
            raise TypeError(f"fit got unexpected arguments {sorted(fit_params)}")
        self._validate_params()
        self._loop_config()  # checks gradient_descent against batch_size
        X, y = validate_data(
            self, X, y, dtype=[np.float32, np.float64], multi_output=True, y_numeric=False
        )
        y = self._prepare_targets(y, fitting=True)
        self._activations(len(self._hidden()))
        generator = self._fresh_generator()
        self._trainer = None
        device = self._device()
        validation = None
        if validation_data is not None:  # the caller's own validation set: no split
            X_tr, y_tr = X, y
            X_own = self._check_X(validation_data[0], reset=False)
            y_own = self._prepare_targets(np.asarray(validation_data[1]), fitting=False)
            validation = (self._to_tensor(X_own), self._target_tensor(y_own, device))
        else:
            X_tr, y_tr, X_val, y_val = self._split_validation(
                X, y, stratify=isinstance(self, ClassifierMixin), generator=generator
            )
            if X_val is not None and y_val is not None:
                validation = (self._to_tensor(X_val), self._target_tensor(y_val, device))
        self._build(X.shape[1], self._n_outputs(), generator)
        self._train(
            self._objective,
            self._to_tensor(X_tr),
            self._target_tensor(y_tr, device),
            generator=generator,
            validation=validation,
            metric=self._metric,
        )
        return self

    def partial_fit(self, X: Any, y: Any, **kwargs: Any) -> _ANN:
        """One more epoch over ``(X, y)``, keeping the weights and the optimiser's state.

        The first call builds the network (classifiers take ``classes=`` then, listing every
        class that later calls may show).
        """
        first = not hasattr(self, "network_")
        if first:
            self._validate_params()
            self._loop_config()
        X, y = validate_data(
            self, X, y, reset=first, dtype=[np.float32, np.float64], multi_output=True
        )
        y = self._prepare_targets(y, fitting=first, **kwargs)
        generator = self._fresh_generator()
        if first:
            self._trainer = None
            self._build(X.shape[1], self._n_outputs(), generator)
        self._train(
            self._objective,
            self._to_tensor(X),
            self._target_tensor(y, self._device()),
            generator=generator,
            validation=None,
            metric=self._metric,
            epochs=1,
            keep_trainer=True,
        )
        return self

    @torch.no_grad()
    def _raw(self, X: Any) -> Tensor:
        """Raw network outputs (before the loss's sigmoid/softmax) for validated ``X``."""
        check_is_fitted(self, "network_")
        X = self._to_tensor(self._check_X(X, reset=False))
        net = self.network_.eval()
        return torch.cat([net(X[s]) for s in chunks(X.shape[0])]) if len(X) else net(X)

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            "layer_sizes": self.network_.layer_sizes,
            "n_features_in_": int(self.n_features_in_),
            "history_": self.history_,
            "n_iter_": self.n_iter_,
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(c) for c in self.feature_names_in_]
        meta.update(self._target_state())
        return meta, {"flat": self.network_.flat.detach().cpu()}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        hidden = meta["layer_sizes"][1:-1]
        net = DenseNetwork(  # weights come from the file: a throwaway generator to start
            meta["layer_sizes"],
            self._activations(len(hidden)),
            self.init,
            generator=torch.Generator(),
        )
        flat = tensors["flat"]
        if flat.shape != net.flat.shape:
            raise ValueError(
                f"weights hold {flat.numel()} values; layers {meta['layer_sizes']} need "
                f"{net.flat.numel()}"
            )
        with torch.no_grad():
            net.flat.copy_(flat)
        self.network_ = net.to(self._device())
        self.n_features_in_ = meta["n_features_in_"]
        if "feature_names_in_" in meta:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        self.history_ = meta["history_"]
        self.n_iter_ = meta["n_iter_"]
        self.loss_curve_ = list(self.history_.get("loss", []))
        self._set_target_state(meta)
        loss = self._loss()
        self._objective = (
            ManualObjective(net, loss) if loss.name in LOSSES else AutogradObjective(net, loss)
        )


class ANNClassifier(ClassifierMixin, _ANN):
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
        + _LOOP_DOC
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
        check_classification_targets(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional (one label per row); got shape {y.shape}")
        if fitting:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_[0]!r}); a classifier needs at least 2"
                )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels not in classes_ {list(self.classes_)}: {list(unseen)}"
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

    @torch.no_grad()
    def _metric(self, X: Tensor, y: Tensor) -> dict[str, float]:
        out = self.network_.eval()(X)
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


class ANNRegressor(RegressorMixin, _ANN):
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
        + _LOOP_DOC
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
        **_ANN_CONSTRAINTS,
        "loss": [Options(["mse", "mae", "huber"]), CALLABLE],
        "scale_target": [bool],
    }

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = (64, 32),
        *,
        activation: Any = "relu",
        init: Any = "xavier_uniform",
        init_scale: float = 0.05,
        loss: Any = "mse",
        scale_target: bool = True,
        batch_size: int | None = 32,
        gradient_descent: str | None = None,
        epochs: int = 100,
        optimizer: Any = "adam",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
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
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            clip_grad_norm=clip_grad_norm,
            random_state=random_state,
            device=device,
            verbose=verbose,
            callbacks=callbacks,
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
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; a regressor needs finite targets")
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

    @torch.no_grad()
    def _metric(self, X: Tensor, y: Tensor) -> dict[str, float]:
        out = self.network_.eval()(X)
        ss_res = float(((out - y) ** 2).sum())
        ss_tot = float(((y - y.mean(0)) ** 2).sum())
        return {"r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0}

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
