"""Recurrent networks on whole sequences: one target (a number, or a class) per sequence.

``X`` is an ``(N, T, F)`` array, an ``(N, T)`` array or DataFrame, a list of
variable-length sequences, or a padded array with ``lengths=`` (see
:mod:`cortexkit.rnn.inputs`). Each feature is standardised with its mean and spread over
the training steps (padding excluded); the network reads the hidden state at each
sequence's own last step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from torch import Tensor
from torch.nn import functional

from cortexkit._validation import saved_floats
from cortexkit.rnn.base import BaseRNN

__all__ = ["RNNClassifier", "RNNRegressor"]


class RNNRegressor(RegressorMixin, BaseRNN):
    """A recurrent network that maps each sequence to one or more numbers.

    ``X`` is ``(N, T, F)``, ``(N, T)`` or a list of variable-length sequences (see
    :mod:`cortexkit.rnn.inputs`); ``y`` is ``(N,)`` or ``(N, n_outputs)``, trained
    standardised with mean squared error.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`).
    hidden_layers : int or sequence of int, default=(50,)
        Units of each stacked recurrent layer, from the input side (an int is one layer);
        the layers may differ in width.
    dropout : float, default=0.0
        Dropout after each recurrent layer, in [0, 1).
    batch_size : int or None, default=32
        Sequences per weight update (``None``: all of them).
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size.
    epochs : int, default=100
        The most passes over the training set.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        The optimiser (see :data:`cortexkit.train.OPTIMIZERS`).
    learning_rate : float, default=1e-3
        The step size, greater than 0.
    weight_decay : float, default=0.0
        L2 penalty on the weights, never the biases.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the sequences held out to monitor early stopping.
    validation_split : {"random", "last"}, default="random"
        The held-out sequences: at random, or the last ones.
    early_stopping : bool, default=True
        Stop when the monitored loss stalls for ``patience`` epochs; keep the best weights.
    patience : int, default=20
        Epochs without improvement before early stopping.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement.
        ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal) take it to nearly
        0 by the last epoch, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the shuffling, the split and dropout, for this fit only.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with its logs; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a resumable checkpoint to.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    network_ : SequenceNetwork
        The trained network.
    n_outputs_ : int
        Number of targets.
    history_ : dict of lists of length n_iter_
        Per-epoch ``"loss"``, ``"val_loss"``, ``"learning_rate"`` and ``"time"`` (losses in
        standard deviations of the target).
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of shape (n_iter_,)
        The training loss of each epoch.
    n_features_in_ : int
        Features per time step.

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit import RNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 10, 1))
    >>> y = X[:, :, 0].sum(axis=1)  # the sum of the sequence
    >>> reg = RNNRegressor(hidden_layers=16, epochs=40, learning_rate=0.01,
    ...                    random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _targets(self, y: Any, fitting: bool) -> Tensor:
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity; a regressor needs finite targets")
        y2 = y.reshape(len(y), -1)
        if fitting:
            self._y_1d = y.ndim == 1
            self.n_outputs_ = y2.shape[1]
            std = y2.std(axis=0)
            self._y_mean, self._y_std = y2.mean(axis=0), np.where(std > 0, std, 1.0)
        return torch.as_tensor(((y2 - self._y_mean) / self._y_std).astype(np.float32),
                               device=self._device())  # fmt: skip

    def _n_outputs(self) -> int:
        return int(self.n_outputs_)

    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        return functional.mse_loss(out, y)

    def predict(self, X: Any, lengths: Any = None) -> np.ndarray:
        """The predicted targets, ``(N,)`` or ``(N, n_outputs)``."""
        out = self._raw(X, lengths).double().cpu().numpy() * self._y_std + self._y_mean
        return out.ravel() if self._y_1d else out

    def _target_state(self) -> dict[str, Any]:
        return {"n_outputs_": self.n_outputs_, "y_1d": self._y_1d,
                "y_mean": self._y_mean.tolist(), "y_std": self._y_std.tolist()}  # fmt: skip

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        self.n_outputs_, self._y_1d = int(meta["n_outputs_"]), bool(meta["y_1d"])
        self._y_mean = saved_floats(meta["y_mean"], "y_mean", self.n_outputs_)
        self._y_std = saved_floats(meta["y_std"], "y_std", self.n_outputs_)


class RNNClassifier(ClassifierMixin, BaseRNN):
    """A recurrent network that gives each sequence a class.

    ``X`` is ``(N, T, F)``, ``(N, T)`` or a list of variable-length sequences (see
    :mod:`cortexkit.rnn.inputs`); labels may be any values of one type. One softmax
    unit per class, trained with cross-entropy.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`).
    hidden_layers : int or sequence of int, default=(50,)
        Units of each stacked recurrent layer, from the input side (an int is one layer);
        the layers may differ in width.
    dropout : float, default=0.0
        Dropout after each recurrent layer, in [0, 1).
    batch_size : int or None, default=32
        Sequences per weight update (``None``: all of them).
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size.
    epochs : int, default=100
        The most passes over the training set.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        The optimiser (see :data:`cortexkit.train.OPTIMIZERS`).
    learning_rate : float, default=1e-3
        The step size, greater than 0.
    weight_decay : float, default=0.0
        L2 penalty on the weights, never the biases.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the sequences held out (stratified) to monitor early stopping.
    validation_split : {"random", "last"}, default="random"
        The held-out sequences: at random, or the last ones.
    early_stopping : bool, default=True
        Stop when the monitored loss stalls for ``patience`` epochs; keep the best weights.
    patience : int, default=20
        Epochs without improvement before early stopping.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement.
        ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal) take it to nearly
        0 by the last epoch, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the shuffling, the split and dropout, for this fit only.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with its logs; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a resumable checkpoint to.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists.

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
    network_ : SequenceNetwork
        The trained network, one output per class.
    history_ : dict of lists of length n_iter_
        Per-epoch ``"loss"``, ``"val_loss"``, ``"learning_rate"`` and ``"time"``.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of shape (n_iter_,)
        The training loss of each epoch.
    n_features_in_ : int
        Features per time step.

    Examples
    --------
    Which of two sequences rises: variable lengths, given as a list.

    >>> import numpy as np
    >>> from cortexkit import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> seqs = [np.cumsum(rng.normal(0.3 * s, 0.1, size=rng.integers(5, 15)))
    ...         for s in (1, -1) * 100]
    >>> labels = np.array(["up", "down"] * 100)
    >>> clf = RNNClassifier(hidden_layers=8, epochs=30, learning_rate=0.01,
    ...                     random_state=0).fit(seqs, labels)
    >>> clf.score(seqs, labels) > 0.95
    True
    """

    def _targets(self, y: Any, fitting: bool) -> Tensor:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        codes = self._encode_classes(y) if fitting else self._class_codes(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()[0]!r}); a classifier "
                "needs at least 2"
            )
        return torch.as_tensor(codes, device=self._device())

    def _stratify_labels(self, parts: Any) -> np.ndarray | None:
        return parts[-1].cpu().numpy()  # type: ignore[no-any-return]

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        return functional.cross_entropy(out, y)

    def predict_proba(self, X: Any, lengths: Any = None) -> np.ndarray:
        """Class probabilities ``(N, n_classes)``, columns as ``classes_``."""
        return torch.softmax(self._raw(X, lengths), dim=1).double().cpu().numpy()

    def predict(self, X: Any, lengths: Any = None) -> np.ndarray:
        """The most probable class of each sequence."""
        return self._decode_classes(self._raw(X, lengths).argmax(1).cpu().numpy())

    def _target_state(self) -> dict[str, Any]:
        """The labels, which a resumed run must share (the common state saves them)."""
        return {"classes_": self.classes_.tolist()}

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        """Nothing: ``classes_`` comes back with the common state."""
