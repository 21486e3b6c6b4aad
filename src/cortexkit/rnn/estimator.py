"""Recurrent networks on whole sequences: one target (a number, or a class) per sequence.

Input formats
-------------
- ``(N, T, F)`` array: ``N`` sequences of ``T`` steps with ``F`` features each;
- ``(N, T)`` array or DataFrame: ``N`` sequences of ``T`` single values (``F = 1``);
- a list of ``N`` arrays of shape ``(T_i, F)`` or ``(T_i,)``: sequences of different
  lengths, padded with zeros to the longest and packed, so the padding is never read;
- a padded ``(N, T, F)`` array with ``lengths=`` (one length per sequence, in ``[1, T]``),
  passed to ``fit``, ``predict`` and ``predict_proba``: only the first ``lengths[i]`` steps
  of sequence ``i`` are read.

Each feature is standardised with its mean and spread over the training steps (padding
excluded); the network reads the hidden state at each sequence's own last step.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
from torch import Tensor
from torch.nn import functional

from cortexkit._validation import CALLABLE, Interval, Options
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator
from cortexkit.defaults import RNN
from cortexkit.rnn.network import (
    CELLS,
    SequenceNetwork,
    SequenceObjective,
    forward_chunked,
)

__all__ = ["RNNClassifier", "RNNRegressor", "as_sequences"]

RNN_CONSTRAINTS = {
    **GRADIENT_CONSTRAINTS,
    "cell": [Options(CELLS), CALLABLE],
    "hidden_size": [Interval(int, 1, None)],
    "num_layers": [Interval(int, 1, None)],
    "dropout": [Interval(float, 0, 1, closed="left")],
}


def as_sequences(X: Any, lengths: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` (see the module's docstring) as a padded float array ``(N, T, F)`` and the
    lengths (None when every sequence is whole).

    Examples
    --------
    >>> X, lengths = as_sequences([[1.0, 2.0, 3.0], [4.0]])
    >>> X.shape, lengths.tolist(), X[1, :, 0].tolist()
    ((2, 3, 1), [3, 1], [4.0, 0.0, 0.0])
    """
    if isinstance(X, list | tuple) and X and all(np.ndim(x) in (1, 2) for x in X):
        seqs = [np.asarray(x, dtype=np.float64) for x in X]
        seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
        widths = {s.shape[1] for s in seqs}
        if len(widths) > 1:
            raise ValueError(f"the sequences have different feature counts {sorted(widths)}")
        if min(len(s) for s in seqs) < 1:
            raise ValueError("a sequence is empty: each needs at least 1 step")
        if lengths is not None:
            raise ValueError("lengths= is for a padded array; a list gives its own lengths")
        own = np.array([len(s) for s in seqs])
        out = np.zeros((len(seqs), int(own.max()), widths.pop()))
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        X, lengths = out, (None if (own == own.max()).all() else own)
    else:
        # scikit-learn's checks: numbers, no sparse matrix, no complex values, 2-d at least
        # (a 1-d X says "Reshape your data"), at least one sample
        X = check_array(X, allow_nd=True, dtype=np.float64, ensure_all_finite=False,
                        input_name="X")  # fmt: skip
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3:
            raise ValueError(
                f"X must be (N, T, F) or (N, T), or a list of sequences; got shape {X.shape}"
            )
    if X.shape[0] < 1 or X.shape[1] < 1 or X.shape[2] < 1:
        raise ValueError(f"X has shape {X.shape}: it needs at least 1 sequence, step and feature")
    if lengths is not None:
        lengths = np.asarray(lengths)
        if lengths.shape != (X.shape[0],) or lengths.dtype.kind not in "iu":
            raise ValueError(f"lengths must be {X.shape[0]} integers, one per sequence")
        if lengths.min() < 1 or lengths.max() > X.shape[1]:
            raise ValueError(f"lengths must lie in [1, {X.shape[1]}] (the padded length)")
        valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
        X = np.where(valid[:, :, None], X, 0.0)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity")
    return X, lengths


class _BaseRNN(GradientEstimator):
    """What the two sequence estimators share. Not for direct use."""

    _constraints = RNN_CONSTRAINTS

    def __init__(
        self,
        cell: Any = RNN.cell,
        *,
        hidden_size: int = RNN.hidden_size,
        num_layers: int = RNN.num_layers,
        dropout: float = RNN.dropout,
        batch_size: int | None = RNN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = RNN.epochs,
        optimizer: Any = RNN.optimizer,
        learning_rate: float = RNN.learning_rate,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = RNN.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = RNN.early_stopping,
        patience: int = RNN.patience,
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
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    @abstractmethod
    def _targets(self, y: Any, fitting: bool) -> Tensor:
        """Check and encode ``y``."""

    @abstractmethod
    def _n_outputs(self) -> int: ...

    @abstractmethod
    def _loss(self, out: Tensor, y: Tensor) -> Tensor: ...

    def _inputs(self, X: Any, lengths: Any, fitting: bool) -> tuple[Tensor, Tensor | None]:
        X, lengths = as_sequences(X, lengths)
        if fitting:
            self.n_features_in_ = X.shape[2]
            steps = X.reshape(-1, X.shape[2])
            if lengths is not None:
                steps = X[np.arange(X.shape[1])[None, :] < lengths[:, None]]
            std = steps.std(axis=0)
            self._x_mean, self._x_std = steps.mean(axis=0), np.where(std > 0, std, 1.0)
        elif X.shape[2] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[2]} features per step, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input"
            )
        scaled = (X - self._x_mean) / self._x_std
        if lengths is not None:
            scaled[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 0.0
        device = self._device()
        x = torch.as_tensor(scaled.astype(np.float32), device=device)
        return x, None if lengths is None else torch.as_tensor(lengths, device=device)

    def _fit_data(
        self, X: Any, y: Any, *, fitting: bool, lengths: Any = None, **kwargs: Any
    ) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        x, lens = self._inputs(X, lengths, fitting)
        t = self._targets(y, fitting)
        if len(t) != len(x):
            raise ValueError(f"X has {len(x)} sequences but y has {len(t)} targets")
        return (x, t) if lens is None else (x, lens, t)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        net = SequenceNetwork(
            int(self.n_features_in_), int(self.hidden_size), self._n_outputs(), self.cell,
            n_layers=int(self.num_layers), dropout=float(self.dropout), generator=generator,
        )  # fmt: skip
        self.network_ = net.to(self._device())
        self._objective = SequenceObjective(self.network_, self._loss)

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def _run(self, *args: Any, **kwargs: Any) -> None:
        super()._run(*args, **kwargs)
        self.loss_curve_ = list(self.history_["loss"])

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Train on the sequences ``X`` and their targets ``y`` (``lengths=`` for a padded
        array of variable-length sequences)."""
        return super().fit(X, y, **fit_params)

    @torch.no_grad()
    def _raw(self, X: Any, lengths: Any = None) -> Tensor:
        check_is_fitted(self, "network_")
        x, lens = self._inputs(X, lengths, fitting=False)
        return forward_chunked(self.network_, x, lens)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            **self._common_state(),
            "sizes": list(self.network_.sizes),
            "x_mean": self._x_mean.tolist(),
            "x_std": self._x_std.tolist(),
            **self._target_state(),
        }
        return meta, {k: v.detach().cpu() for k, v in self.network_.state_dict().items()}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        n_in, hidden, n_out, layers = (int(v) for v in meta["sizes"])
        net = SequenceNetwork(n_in, hidden, n_out, self.cell, n_layers=layers,
                              dropout=float(self.dropout), generator=torch.Generator())  # fmt: skip
        net.load_state_dict(tensors)
        self.network_ = net.to(self._device())
        self._set_common_state(meta)
        self.loss_curve_ = list(self.history_.get("loss", []))
        self._x_mean, self._x_std = np.asarray(meta["x_mean"]), np.asarray(meta["x_std"])
        self._set_target_state(meta)
        self._objective = SequenceObjective(self.network_, self._loss)

    @abstractmethod
    def _target_state(self) -> dict[str, Any]: ...

    @abstractmethod
    def _set_target_state(self, meta: dict[str, Any]) -> None: ...


class RNNRegressor(RegressorMixin, _BaseRNN):
    """A recurrent network that maps each sequence to one or more numbers.

    ``X`` is ``(N, T, F)``, ``(N, T)`` or a list of variable-length sequences (see
    :mod:`cortexkit.rnn.estimator`); ``y`` is ``(N,)`` or ``(N, n_outputs)``, trained
    standardised with mean squared error.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`).
    hidden_size : int, default=50
        Units per recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers.
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
        L2 penalty on every weight.
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
    >>> reg = RNNRegressor(hidden_size=16, epochs=40, learning_rate=0.01,
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
        self._y_mean, self._y_std = np.asarray(meta["y_mean"]), np.asarray(meta["y_std"])


class RNNClassifier(ClassifierMixin, _BaseRNN):
    """A recurrent network that gives each sequence a class.

    ``X`` is ``(N, T, F)``, ``(N, T)`` or a list of variable-length sequences (see
    :mod:`cortexkit.rnn.estimator`); labels may be any values of one type. One softmax
    unit per class, trained with cross-entropy.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`).
    hidden_size : int, default=50
        Units per recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers.
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
        L2 penalty on every weight.
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
    >>> clf = RNNClassifier(hidden_size=8, epochs=30, learning_rate=0.01,
    ...                     random_state=0).fit(seqs, labels)
    >>> clf.score(seqs, labels) > 0.95
    True
    """

    def _targets(self, y: Any, fitting: bool) -> Tensor:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if fitting:
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_.tolist()[0]!r}); a classifier "
                    "needs at least 2"
                )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(f"y holds labels not in classes_: {unseen.tolist()}")
        return torch.as_tensor(np.searchsorted(self.classes_, y), device=self._device())

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
        best = self._raw(X, lengths).argmax(1).cpu().numpy()
        return self.classes_[best]  # type: ignore[no-any-return]

    def _target_state(self) -> dict[str, Any]:
        return {"classes_": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str}

    def _set_target_state(self, meta: dict[str, Any]) -> None:
        dtype = np.dtype(meta["classes_dtype"])
        self.classes_ = np.asarray(meta["classes_"], dtype=object if dtype.kind == "O" else dtype)
