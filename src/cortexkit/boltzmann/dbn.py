"""Deep belief networks: a stack of RBMs trained greedily, layer by layer, and the
classifier that fine-tunes that stack as an ANN.

:class:`DBN` fits one :class:`~cortexkit.RBM` per layer, each on the hidden probabilities
of the one below (Hinton, Osindero & Teh, 2006). :class:`DBNClassifier` is an
:class:`~cortexkit.ANNClassifier` with sigmoid hidden layers whose weights start at the
pretrained RBMs' instead of at random, then fine-tuned by backpropagation on the shared
learning loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, validate_params
from cortexkit.ann.base import ANN_CONSTRAINTS
from cortexkit.ann.estimator import ANNClassifier
from cortexkit.boltzmann.rbm import RBM, check_unit_range, check_visible_data
from cortexkit.defaults import ANN
from cortexkit.defaults import RBM as RBM_DEFAULTS
from cortexkit.io.device import resolve_device
from cortexkit.model_file import SaveMixin

__all__ = ["DBN", "DBNClassifier", "check_layers", "pretrain"]

_RBM_KEYS = ("k", "persistent", "momentum", "weight_decay")


def check_layers(layers: Any, name: str = "layers") -> list[int]:
    """``layers`` as a list of positive ints (an int is one layer)."""
    sizes = [layers] if isinstance(layers, int | np.integer) else list(layers)
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1
                        for s in sizes):  # fmt: skip
        raise ValueError(
            f"{name} must be a positive int or a non-empty sequence of them; got {layers!r}"
        )
    return [int(s) for s in sizes]


def pretrain(
    X: Any,
    layers: Sequence[int],
    *,
    visible: str = "bernoulli",
    learning_rate: float,
    batch_size: int | None,
    epochs: int,
    random_state: Any,
    device: Any,
    verbose: int = 0,
    **rbm_params: Any,
) -> list[RBM]:
    """Greedy layer-wise pretraining: one RBM per layer, each fitted on the hidden
    probabilities of the layer below. ``rbm_params`` go to every RBM."""
    seed = (
        None
        if random_state is None
        else int(np.random.RandomState(random_state).randint(2**31 - 1))
    )
    rbms: list[RBM] = []
    data = X
    for i, size in enumerate(layers):
        rbm = RBM(
            size,
            visible=visible if i == 0 else "bernoulli",
            learning_rate=learning_rate,
            batch_size=batch_size,
            epochs=epochs,
            random_state=None if seed is None else seed + i,
            device=device,
            verbose=verbose,
            **rbm_params,
        )
        data = rbm.fit(data).transform(data)
        rbms.append(rbm)
    return rbms


class DBN(SaveMixin, TransformerMixin, BaseEstimator):
    """A deep belief network: RBMs stacked and trained greedily, layer by layer.

    Each layer is an :class:`~cortexkit.RBM` fitted on the hidden probabilities of the
    layer below; ``transform`` passes X up the stack and returns the top layer's
    probabilities.

    Parameters
    ----------
    layers : int or sequence of int, default=(256, 128)
        Hidden units per layer, bottom first.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The bottom RBM's visible units (the upper ones are Bernoulli).
    k : int, default=1
        Gibbs steps per update (CD-k), at least 1.
    persistent : bool, default=True
        Persistent contrastive divergence.
    learning_rate : float, default=0.1
        Every RBM's learning rate, greater than 0.
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    batch_size : int or None, default=20
        Rows per update; None uses the whole set.
    epochs : int, default=10
        Epochs per layer.
    random_state : int, RandomState or None, default=None
        Seeds every layer's fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train and transform.
    verbose : int or bool, default=0
        Progress of each layer's fit.

    Attributes
    ----------
    rbms_ : list of RBM
        The fitted layers, bottom first.
    history_ : dict
        ``"layers"``: each RBM's ``history_``, bottom first.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import DBN
    >>> X = load_digits().data / 16
    >>> dbn = DBN(layers=(32, 16), epochs=3, random_state=0, device="cpu").fit(X)
    >>> dbn.transform(X[:3]).shape
    (3, 16)
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "layers": (8, 4),
        "epochs": 3,
        "learning_rate": 0.01,
    }
    _constraints: dict[str, list[Any]] = {
        "layers": [Interval(int, 1, None), list, tuple],
        "visible": [Options(("bernoulli", "gaussian"))],
        "k": [Interval(int, 1, None)],
        "persistent": [bool],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
        "batch_size": [Interval(int, 1, None), None],
        "epochs": [Interval(int, 1, None)],
        "random_state": [Interval(int, 0, 2**32 - 1), np.random.RandomState, None],
        "device": [Options(["auto", "cpu", "cuda"]), str, torch.device],
        "verbose": [Interval(int, 0, None), bool],
    }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # computed in float32
        return tags

    def __init__(
        self,
        layers: int | Sequence[int] = (256, 128),
        *,
        visible: str = "bernoulli",
        k: int = RBM_DEFAULTS.k,
        persistent: bool = RBM_DEFAULTS.persistent,
        learning_rate: float = RBM_DEFAULTS.learning_rate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        batch_size: int | None = RBM_DEFAULTS.batch_size,
        epochs: int = RBM_DEFAULTS.epochs,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
    ) -> None:
        self.layers = layers
        self.visible = visible
        self.k = k
        self.persistent = persistent
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _validate_params(self) -> None:  # type: ignore[override]
        validate_params(self.get_params(deep=False), self._constraints)
        check_layers(self.layers)
        resolve_device(self.device)

    def fit(self, X: Any, y: Any = None) -> DBN:
        """Pretrain the stack on ``X`` (n_samples, n_features); ``y`` is ignored."""
        self._validate_params()
        X = check_visible_data(self, X, self.visible, reset=True)
        self.rbms_ = pretrain(
            X, check_layers(self.layers), visible=self.visible,
            learning_rate=self.learning_rate, batch_size=self.batch_size, epochs=self.epochs,
            random_state=self.random_state, device=self.device, verbose=self.verbose,
            **{key: getattr(self, key) for key in _RBM_KEYS},
        )  # fmt: skip
        self.history_ = {"layers": [rbm.history_ for rbm in self.rbms_]}
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The top layer's hidden probabilities: (n_samples, layers[-1])."""
        check_is_fitted(self, "rbms_")
        X = check_visible_data(self, X, self.visible, reset=False)
        for rbm in self.rbms_:
            X = rbm.transform(X)
        return X

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "rbms_")
        meta: dict[str, Any] = {"n_features_in_": int(self.n_features_in_), "layers": []}
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(c) for c in self.feature_names_in_]
        tensors: dict[str, Tensor] = {}
        for i, rbm in enumerate(self.rbms_):
            layer_meta, layer_tensors = rbm._get_state()
            meta["layers"].append({"params": _json_params(rbm), "state": layer_meta})
            tensors.update({f"{i}.{key}": t for key, t in layer_tensors.items()})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        sizes = check_layers(self.layers)
        if len(meta["layers"]) != len(sizes):
            raise ValueError(f"the file holds {len(meta['layers'])} layers; layers={sizes}")
        self.n_features_in_ = int(meta["n_features_in_"])
        if "feature_names_in_" in meta:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        self.rbms_ = []
        width = self.n_features_in_
        for i, (layer, size) in enumerate(zip(meta["layers"], sizes, strict=True)):
            params = {**layer["params"], "device": self.device}
            rbm = RBM(**params)
            if rbm.n_hidden != size:
                raise ValueError(f"layer {i} has {rbm.n_hidden} hidden units; layers={sizes}")
            prefix = f"{i}."
            rbm._set_state(layer["state"], {k[len(prefix):]: t for k, t in tensors.items()
                                            if k.startswith(prefix)})  # fmt: skip
            if rbm.n_features_in_ != width:
                raise ValueError(f"layer {i} takes {rbm.n_features_in_} inputs, not {width}")
            width = size
            self.rbms_.append(rbm)
        self.history_ = {"layers": [rbm.history_ for rbm in self.rbms_]}


def _json_params(rbm: RBM) -> dict[str, Any]:
    params = rbm.get_params(deep=False)
    params["device"] = str(params["device"])
    params.pop("callbacks", None)
    params["random_state"] = (
        params["random_state"] if isinstance(params["random_state"], int) else None
    )
    return params


class DBNClassifier(ANNClassifier):
    """A deep belief network fine-tuned as a classifier.

    ``fit`` first pretrains a stack of RBMs on X (greedily, as :class:`DBN`), then copies
    their weights and hidden biases into the hidden layers of a sigmoid
    :class:`~cortexkit.ANNClassifier` and fine-tunes the whole network by backpropagation
    on the shared learning loop (the output layer starts from ``init``). Everything after
    pretraining (optimiser, early stopping, checkpoints, model files) is the ANN's.

    Parameters
    ----------
    layers : int or sequence of int, default=(256, 128)
        Hidden units per layer, bottom first: the RBMs' and the network's.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The bottom RBM's visible units: ``"bernoulli"`` takes X in [0, 1], ``"gaussian"``
        standardised real X.
    pretrain_epochs : int, default=10
        Epochs of CD training per RBM (0 skips pretraining: a plain sigmoid ANN).
    pretrain_learning_rate : float, default=0.1
        The RBMs' learning rate, greater than 0.
    k : int, default=1
        Gibbs steps per RBM update (CD-k), at least 1.
    persistent : bool, default=True
        Persistent contrastive divergence for the RBMs.
    init : str or callable, default="xavier_uniform"
        Initialiser of the output layer (the hidden layers start at the RBMs' weights).
    init_scale : float, default=0.05
        Half-width of ``init="uniform"``.
    batch_size : int or None, default=32
        Rows per update, in pretraining and fine-tuning.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the fine-tuning batch size (see ``ANNClassifier``).
    epochs : int, default=200
        The most fine-tuning epochs (early stopping may end sooner).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        The fine-tuning optimiser.
    learning_rate : float, default=1e-3
        The fine-tuning step size.
    weight_decay : float, default=0.0
        L2 penalty while fine-tuning. None by default, since a penalty pulls the pretrained
        weights back towards zero, undoing the pretraining. Chosen on a validation split
        of MNIST's training images (``python bench/boltzmann.py --only selection``): 0
        scored 0.956, 3e-4 0.955, 1e-3 0.941 and the ANN's 3e-3 0.888.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``.
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the training rows held out to monitor fine-tuning.
    validation_split : {"random", "last"}, default="random"
        How the validation rows are chosen.
    early_stopping : bool, default=True
        Stop fine-tuning when the validation loss stops improving, keeping the best weights.
    patience : int, default=30
        Epochs without improvement before early stopping.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate when the monitored loss stalls.
        ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal) take it to nearly
        0 by the last epoch, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds pretraining and fine-tuning.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train.
    verbose : int or bool, default=0
        ``1``: progress bars; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Fine-tuning callbacks ``fn(epoch, logs)``.
    checkpoint : str, path or None, default=None
        A file for fine-tuning checkpoints.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue fine-tuning from ``checkpoint`` (pretraining runs again first).

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    network_ : DenseNetwork
        The fine-tuned network, layers ``[n_features_in_, *layers, n_units]``.
    pretrain_history_ : list of dict
        Each RBM's ``history_`` from pretraining, bottom first.
    history_ : dict of lists of length n_iter_
        The fine-tuning history (see ``ANNClassifier``).
    n_iter_ : int
        Fine-tuning epochs run.
    loss_curve_ : list of shape (n_iter_,)
        The fine-tuning loss of each epoch.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import DBNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DBNClassifier(layers=(64,), pretrain_epochs=3, epochs=20, random_state=0,
    ...                     device="cpu").fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "layers": (16,),
        "pretrain_epochs": 2,
        "pretrain_learning_rate": 0.01,
    }
    _constraints = {
        **{k: v for k, v in ANN_CONSTRAINTS.items() if k not in ("hidden_layers", "activation")},
        "layers": [Interval(int, 1, None), list, tuple],
        "visible": [Options(("bernoulli", "gaussian"))],
        "pretrain_epochs": [Interval(int, 0, None)],
        "pretrain_learning_rate": [Interval(float, 0, None, closed="neither")],
        "k": [Interval(int, 1, None)],
        "persistent": [bool],
    }

    def __init__(
        self,
        layers: int | Sequence[int] = (256, 128),
        *,
        visible: str = "bernoulli",
        pretrain_epochs: int = RBM_DEFAULTS.epochs,
        pretrain_learning_rate: float = RBM_DEFAULTS.learning_rate,
        k: int = RBM_DEFAULTS.k,
        persistent: bool = RBM_DEFAULTS.persistent,
        init: Any = "xavier_uniform",
        init_scale: float = 0.05,
        batch_size: int | None = ANN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = ANN.epochs,
        optimizer: Any = ANN.optimizer,
        learning_rate: float = ANN.learning_rate,
        weight_decay: float = 0.0,
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
            init=init, init_scale=init_scale, batch_size=batch_size,
            gradient_descent=gradient_descent, epochs=epochs, optimizer=optimizer,
            learning_rate=learning_rate, weight_decay=weight_decay, momentum=momentum,
            nesterov=nesterov, validation_fraction=validation_fraction,
            validation_split=validation_split, early_stopping=early_stopping,
            patience=patience, lr_schedule=lr_schedule, clip_grad_norm=clip_grad_norm,
            random_state=random_state, device=device, verbose=verbose, callbacks=callbacks,
            checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
        )  # fmt: skip
        del self.hidden_layers, self.activation  # the layers are DBN's, sigmoid by design
        self.layers = layers
        self.visible = visible
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_learning_rate = pretrain_learning_rate
        self.k = k
        self.persistent = persistent

    def _hidden(self) -> list[int]:
        return check_layers(self.layers)

    def _activations(self, n_hidden: int) -> list[Any]:
        return ["sigmoid"] * n_hidden  # an RBM's hidden units are sigmoid units

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        parts = super()._fit_data(X, y, fitting=fitting, **kwargs)
        if (
            self.visible == "bernoulli"
            and isinstance(parts, tuple)
            and isinstance(parts[0], Tensor)
        ):
            # the bottom RBM's Bernoulli units: X in [0, 1], checked before any training
            check_unit_range(parts[0].cpu().numpy(), "bernoulli")
        return parts

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        super()._build(parts, generator)
        self.pretrain_history_: list[dict[str, Any]] = []
        if not self.pretrain_epochs:
            return
        if not isinstance(parts, tuple | list):
            raise TypeError("DBNClassifier pretrains on arrays in memory, not a Dataset")
        X = parts[0]
        X = X.cpu().numpy() if isinstance(X, Tensor) else np.asarray(X, dtype=np.float32)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        rbms = pretrain(
            X, self._hidden(), visible=self.visible, learning_rate=self.pretrain_learning_rate,
            batch_size=self.batch_size, epochs=self.pretrain_epochs, random_state=seed,
            device=self._device(), k=self.k, persistent=self.persistent,
        )  # fmt: skip
        with torch.no_grad():
            for (W, b), rbm in zip(self.network_.layers(), rbms, strict=False):
                W.copy_(rbm.weights_.T)  # (out, in)
                b.copy_(rbm.hidden_bias_)
        self.pretrain_history_ = [rbm.history_ for rbm in rbms]

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        meta, tensors = super()._get_state()
        meta["pretrain_history_"] = self.pretrain_history_
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        super()._set_state(meta, tensors)
        self.pretrain_history_ = list(meta.get("pretrain_history_", []))
