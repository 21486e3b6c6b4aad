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
from torch import Tensor

from cortexkit._validation import CALLABLE, Options
from cortexkit.ann.base import ANN_CONSTRAINTS, BaseANN
from cortexkit.ann.inputs import TargetScaling, check_two_classes, class_labels, regression_targets
from cortexkit.defaults import ANN, ANN_REGRESSOR
from cortexkit.nn.losses import Loss, get_loss

__all__ = ["ANNClassifier", "ANNRegressor"]


class ANNClassifier(ClassifierMixin, BaseANN):
    """A multi-layer perceptron classifier.

    Binary targets get one sigmoid output unit and binary cross-entropy; more classes get
    one softmax unit per class and cross-entropy. Labels may be any hashable values of one
    type (numbers, strings, booleans).

    The defaults are those of :data:`cortexkit.defaults.ANN`, shared with
    ``cortexkit train ann --task classify``: one hidden layer of 100 ReLU units, Adam on
    mini-batches of 32, an L2 penalty of 3e-3, and early stopping on a 10% validation
    split.

    Parameters
    ----------
    hidden_layers : int or sequence of int, default=(100,)
        Units per hidden layer (an int is one layer); ``()``: logistic (softmax) regression.
    activation : str, callable or sequence of them, default="relu"
        Hidden-layer activation by name (see :data:`cortexkit.nn.ACTIVATIONS`), a
        callable ``fn(tensor) -> tensor``, or one of them per hidden layer.
    init : str or callable, default="xavier_uniform"
        Weight initialiser by name (see :data:`cortexkit.nn.INITIALIZERS`) or a
        callable that fills a weight tensor in place; biases start at zero.
    init_scale : float, default=0.05
        Half-width of ``init="uniform"`` (weights drawn from ``[-init_scale,
        init_scale]``); greater than 0.
    batch_size : int or None, default=32
        Observations per weight update: ``1`` is stochastic gradient descent, ``None`` is
        batch gradient descent (the whole training set per update), ``n`` is mini-batch
        gradient descent.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size: ``"stochastic"`` means 1, ``"batch"``
        the whole set, ``"mini-batch"`` keeps ``batch_size`` (at least 2); ``None`` uses
        ``batch_size`` as it is.
    epochs : int, default=200
        The most passes over the training set (early stopping may end training sooner).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        How the weights move against their gradients: a name (see
        :data:`cortexkit.train.OPTIMIZERS`), a ``torch.optim.Optimizer`` subclass, or a
        callable ``factory(params, lr=..., weight_decay=...)`` returning an optimiser.
    learning_rate : float, default=1e-3
        The step size, greater than 0.
    weight_decay : float, default=3e-3
        L2 penalty on the weights, never the biases (as scikit-learn's ``alpha``): added
        to their gradient as ``weight_decay * w`` (decoupled for ``"adamw"``).
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1) (0 gives plain gradient descent).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the training set, in [0, 1), held out to report ``val_loss`` each epoch
        and to monitor early stopping (``0``: none). When it would hold out no row,
        training goes on without one and ``history_["validation"]`` says so.
    validation_split : {"random", "last"}, default="random"
        How the validation rows are chosen: at random (stratified by class for a
        classifier), or the last rows, for series, where a shuffled split would let the
        future leak into training.
    early_stopping : bool, default=True
        Stop when the monitored loss (the validation loss if there is a validation set,
        else the training loss) has not improved for ``patience`` epochs, and restore the
        weights of the best epoch (also when every epoch ran).
    patience : int, default=30
        Epochs without improvement before early stopping, at least 1.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement of the
        monitored loss; ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal)
        take it to nearly 0 by the last epoch, batch by batch; ``None`` keeps it constant.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this; ``None`` never rescales it.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling, the validation split and dropout, for
        this fit only (the caller's global random state is left as it was). ``None`` draws
        a fresh seed each fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present, else the CPU; ``"cuda:N"`` a GPU.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        :class:`cortexkit.train.Callback` objects or callables ``fn(epoch, logs)``, called
        after each epoch; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a checkpoint to, atomically, every ``checkpoint_every`` epochs and
        after the last: the weights, the optimiser, the epoch, the history and every RNG
        state. ``None`` saves none.
    checkpoint_every : int, default=1
        Epochs between checkpoints, at least 1.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists (with the same parameters and
        data, the result equals an uninterrupted run's); start afresh when it does not.
        Needs ``checkpoint``.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; the columns of :meth:`predict_proba` follow them.
    network_ : DenseNetwork
        The trained network, with ``layer_sizes`` ``[n_features_in_, *hidden_layers,
        n_units]``: one output unit for two classes, else ``n_classes``.
    history_ : dict of lists of length n_iter_
        One value per epoch under ``"loss"`` (training loss), ``"accuracy"`` (on up to
        1,024 training rows), ``"val_loss"`` and ``"val_accuracy"`` (when there is a
        validation set), ``"learning_rate"`` and ``"time"`` (seconds); NaN where an epoch
        did not measure a value. Two text entries may be added: ``"stopped"``, why
        training ended early (early stopping, a callback, a non-finite loss), and
        ``"validation"``, why no validation set was held out.
    n_iter_ : int
        Epochs run, over every ``fit`` resumed from a checkpoint or ``partial_fit`` call.
    loss_curve_ : list of shape (n_iter_,)
        The training loss of each epoch (``history_["loss"]``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when ``X`` had string column names (a DataFrame).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from cortexkit import ANNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ANNClassifier(hidden_layers=(16,), epochs=200, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.classes_.tolist(), clf.network_.layer_sizes
    ([0, 1, 2], [4, 16, 3])
    >>> len(clf.loss_curve_) == len(clf.history_["val_loss"]) == clf.n_iter_
    True
    """

    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        y = class_labels(y, classes)
        codes = self._encode_classes(y, classes) if fitting else self._class_codes(y)
        check_two_classes(self.classes_)
        return codes

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
        return self._decode_classes(idx.cpu().numpy())

    def _target_state(self) -> dict[str, Any]:
        """The labels, which a resumed run must share (the common state saves them)."""
        return {"classes_": self.classes_.tolist()}

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        """Nothing: ``classes_`` comes back with the common state."""


class ANNRegressor(RegressorMixin, BaseANN):
    """A multi-layer perceptron regressor, with one identity output unit per target.

    The defaults are those of :data:`cortexkit.defaults.ANN_REGRESSOR`, shared with
    ``cortexkit train ann --task regress``: one hidden layer of 100 ReLU units, Adam on
    mini-batches of 32, an L2 penalty of 3e-2, and early stopping on a 10% validation
    split.

    Parameters
    ----------
    hidden_layers : int or sequence of int, default=(100,)
        Units per hidden layer (an int is one layer); ``()`` gives linear regression.
    activation : str, callable or sequence of them, default="relu"
        Hidden-layer activation by name (see :data:`cortexkit.nn.ACTIVATIONS`), a
        callable ``fn(tensor) -> tensor``, or one of them per hidden layer.
    init : str or callable, default="xavier_uniform"
        Weight initialiser by name (see :data:`cortexkit.nn.INITIALIZERS`) or a
        callable that fills a weight tensor in place; biases start at zero.
    init_scale : float, default=0.05
        Half-width of ``init="uniform"`` (weights drawn from ``[-init_scale,
        init_scale]``); greater than 0.
    loss : {"mse", "mae", "huber"} or callable, default="mse"
        The cost function: a name, or a callable ``loss(output, target)`` returning a
        scalar tensor (its gradient then comes from autograd).
    scale_target : bool, default=True
        Train on the standardised target (predictions are returned in the original
        units); the losses in ``history_`` are then in standard deviations.
    batch_size : int or None, default=32
        Observations per weight update: ``1`` is stochastic gradient descent, ``None`` is
        batch gradient descent (the whole training set per update), ``n`` is mini-batch
        gradient descent.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size: ``"stochastic"`` means 1, ``"batch"``
        the whole set, ``"mini-batch"`` keeps ``batch_size`` (at least 2); ``None`` uses
        ``batch_size`` as it is.
    epochs : int, default=200
        The most passes over the training set (early stopping may end training sooner).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        How the weights move against their gradients: a name (see
        :data:`cortexkit.train.OPTIMIZERS`), a ``torch.optim.Optimizer`` subclass, or a
        callable ``factory(params, lr=..., weight_decay=...)`` returning an optimiser.
    learning_rate : float, default=1e-3
        The step size, greater than 0.
    weight_decay : float, default=3e-2
        L2 penalty on the weights, never the biases (ten times the classifier's default,
        chosen for regression in ``bench/defaults.py``): added to their gradient as
        ``weight_decay * w`` (decoupled for ``"adamw"``).
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1) (0 gives plain gradient descent).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the training set, in [0, 1), held out to report ``val_loss`` each epoch
        and to monitor early stopping (``0``: none). When it would hold out no row,
        training goes on without one and ``history_["validation"]`` says so.
    validation_split : {"random", "last"}, default="random"
        How the validation rows are chosen: at random (stratified by class for a
        classifier), or the last rows, for series, where a shuffled split would let the
        future leak into training.
    early_stopping : bool, default=True
        Stop when the monitored loss (the validation loss if there is a validation set,
        else the training loss) has not improved for ``patience`` epochs, and restore the
        weights of the best epoch (also when every epoch ran).
    patience : int, default=30
        Epochs without improvement before early stopping, at least 1.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement of the
        monitored loss; ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal)
        take it to nearly 0 by the last epoch, batch by batch; ``None`` keeps it constant.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this; ``None`` never rescales it.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling, the validation split and dropout, for
        this fit only (the caller's global random state is left as it was). ``None`` draws
        a fresh seed each fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present, else the CPU; ``"cuda:N"`` a GPU.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        :class:`cortexkit.train.Callback` objects or callables ``fn(epoch, logs)``, called
        after each epoch; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a checkpoint to, atomically, every ``checkpoint_every`` epochs and
        after the last: the weights, the optimiser, the epoch, the history and every RNG
        state. ``None`` saves none.
    checkpoint_every : int, default=1
        Epochs between checkpoints, at least 1.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists (with the same parameters and
        data, the result equals an uninterrupted run's); start afresh when it does not.
        Needs ``checkpoint``.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    n_outputs_ : int
        Number of targets: 1 for a 1-d ``y``, else ``y.shape[1]``.
    network_ : DenseNetwork
        The trained network, with ``layer_sizes`` ``[n_features_in_, *hidden_layers,
        n_outputs_]``.
    history_ : dict of lists of length n_iter_
        One value per epoch under ``"loss"`` (training loss), ``"r2"`` (R², on up to 1,024
        training rows), ``"val_loss"`` and ``"val_r2"`` (when there is a validation set),
        ``"learning_rate"`` and ``"time"`` (seconds); NaN where an epoch did not measure a
        value. The losses are in standard deviations of the target when
        ``scale_target=True``. Two text entries may be added: ``"stopped"``, why training
        ended early (early stopping, a callback, a non-finite loss), and
        ``"validation"``, why no validation set was held out.
    n_iter_ : int
        Epochs run, over every ``fit`` resumed from a checkpoint or ``partial_fit`` call.
    loss_curve_ : list of shape (n_iter_,)
        The training loss of each epoch (``history_["loss"]``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when ``X`` had string column names (a DataFrame).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import scale
    >>> from cortexkit import ANNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = ANNRegressor(hidden_layers=(32,), epochs=100, random_state=0).fit(scale(X), y)
    >>> reg.score(scale(X), y) > 0.4
    True
    >>> reg.n_outputs_, reg.network_.layer_sizes
    (1, [10, 32, 1])
    >>> len(reg.loss_curve_) == len(reg.history_["val_r2"]) == reg.n_iter_
    True
    """

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
        return get_loss(self.fitted_params_["loss"])

    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        if classes is not None:
            raise TypeError("classes= is for classifiers; a regressor's partial_fit takes X, y")
        y = regression_targets(y)
        if fitting:
            scale = self.fitted_params_["scale_target"]
            self._y_scaling = TargetScaling.fit(y, scale=scale)
            self.n_outputs_ = self._y_scaling.n_outputs
        return self._y_scaling.encode(y)

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
        out = self._raw(X).cpu().numpy()  # checks it is fitted first
        return self._y_scaling.decode(out)

    def _target_state(self) -> dict[str, Any]:
        return self._y_scaling.to_json()

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        self._y_scaling = TargetScaling.from_json(meta)
        self.n_outputs_ = self._y_scaling.n_outputs
