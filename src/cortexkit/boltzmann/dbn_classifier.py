"""The deep belief network fine-tuned as a classifier: a stack of RBMs pretrained greedily
(:class:`~cortexkit.DBN`), whose weights start the sigmoid hidden layers of an
:class:`~cortexkit.ANNClassifier`, then fine-tuned by backpropagation on the shared loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit._validation import Interval, Options, PositiveInts
from cortexkit.ann import ANNClassifier
from cortexkit.boltzmann.dbn import DBN
from cortexkit.boltzmann.inputs import check_unit_range
from cortexkit.defaults import ANN
from cortexkit.defaults import RBM as RBM_DEFAULTS

__all__ = ["DBNClassifier"]


class DBNClassifier(ANNClassifier):
    """A deep belief network fine-tuned as a classifier.

    ``fit`` first pretrains a stack of RBMs on X (greedily, as :class:`DBN`), then copies
    their weights and hidden biases into the hidden layers of a sigmoid
    :class:`~cortexkit.ANNClassifier` and fine-tunes the whole network by backpropagation
    on the shared learning loop (the output layer starts from ``init``). Everything after
    pretraining (optimiser, early stopping, checkpoints, model files) is the ANN's.

    Parameters
    ----------
    hidden_layers : int or tuple of int, default=(256, 128)
        Hidden units per layer, from the input side: the RBMs' and the network's.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The bottom RBM's visible units: ``"bernoulli"`` takes X in [0, 1], ``"gaussian"``
        standardised real X.
    pretrain_epochs : int, default=10
        Epochs of CD training per RBM (0 skips pretraining: a plain sigmoid ANN).
    pretrain_learning_rate : float, default=0.1
        The RBMs' learning rate, greater than 0.
    gibbs_steps : int, default=1
        Gibbs steps per RBM update (the k of CD-k), at least 1.
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
        L2 coefficient on the weights while fine-tuning (biases are not decayed). 0 by
        default, since a penalty pulls the pretrained weights back towards zero, undoing
        the pretraining. Chosen on a validation split of MNIST's training images
        (``python bench/boltzmann.py --only selection``): 0 scored 0.956, 3e-4 0.955, 1e-3
        0.941 and the ANN's 3e-3 0.888.
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
        The fine-tuned network, layers ``[n_features_in_, *hidden_layers, n_units]``.
    pretrain_history_ : dict
        The pretraining :class:`~cortexkit.DBN`'s ``history_`` (its ``layer`` column says
        which layer each epoch trained).
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
    >>> clf = DBNClassifier(hidden_layers=(64,), pretrain_epochs=3, epochs=20, random_state=0,
    ...                     device="cpu").fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "hidden_layers": (16,),
        "pretrain_epochs": 2,
        "pretrain_learning_rate": 0.01,
    }
    _constraints = {
        **{k: v for k, v in ANNClassifier._constraints.items() if k != "activation"},
        "hidden_layers": [PositiveInts()],
        "visible": [Options(("bernoulli", "gaussian"))],
        "pretrain_epochs": [Interval(int, 0, None)],
        "pretrain_learning_rate": [Interval(float, 0, None, closed="neither")],
        "gibbs_steps": [Interval(int, 1, None)],
        "persistent": [bool],
    }

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = (256, 128),
        *,
        visible: str = "bernoulli",
        pretrain_epochs: int = RBM_DEFAULTS.epochs,
        pretrain_learning_rate: float = RBM_DEFAULTS.learning_rate,
        gibbs_steps: int = RBM_DEFAULTS.gibbs_steps,
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
            hidden_layers, init=init, init_scale=init_scale, batch_size=batch_size,
            gradient_descent=gradient_descent, epochs=epochs, optimizer=optimizer,
            learning_rate=learning_rate, weight_decay=weight_decay, momentum=momentum,
            nesterov=nesterov, validation_fraction=validation_fraction,
            validation_split=validation_split, early_stopping=early_stopping,
            patience=patience, lr_schedule=lr_schedule, clip_grad_norm=clip_grad_norm,
            random_state=random_state, device=device, verbose=verbose, callbacks=callbacks,
            checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
        )  # fmt: skip
        del self.activation  # sigmoid by design: an RBM's hidden units are sigmoid units
        self.visible = visible
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_learning_rate = pretrain_learning_rate
        self.gibbs_steps = gibbs_steps
        self.persistent = persistent

    def _activations(self, n_hidden: int) -> list[Any]:
        return ["sigmoid"] * n_hidden  # an RBM's hidden units are sigmoid units

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        parts = super()._fit_data(X, y, fitting=fitting, **kwargs)
        if (
            self.fitted_params_["visible"] == "bernoulli"
            and isinstance(parts, tuple)
            and isinstance(parts[0], Tensor)
        ):
            # the bottom RBM's Bernoulli units: X in [0, 1], checked before any training
            check_unit_range(parts[0].cpu().numpy(), "bernoulli")
        return parts

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        super()._build(parts, generator)
        self.pretrain_history_: dict[str, Any] = {}
        p = self.fitted_params_
        if not p["pretrain_epochs"]:
            return
        if not isinstance(parts, tuple | list):
            raise TypeError("DBNClassifier pretrains on arrays in memory, not a Dataset")
        X = parts[0]
        X = X.cpu().numpy() if isinstance(X, Tensor) else np.asarray(X, dtype=np.float32)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        dbn = DBN(p["hidden_layers"], visible=p["visible"], gibbs_steps=p["gibbs_steps"],
                  persistent=p["persistent"], learning_rate=p["pretrain_learning_rate"],
                  batch_size=p["batch_size"], epochs=p["pretrain_epochs"], random_state=seed,
                  device=str(self._device())).fit(X)  # fmt: skip
        with torch.no_grad():
            for (W, b), W_rbm, c_rbm in zip(
                self.network_.layers(), dbn.weights_, dbn.hidden_biases_, strict=False
            ):
                W.copy_(W_rbm.T)  # (out, in)
                b.copy_(c_rbm)
        self.pretrain_history_ = dbn.history_

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        meta, tensors = super()._get_state()
        meta["pretrain_history_"] = self.pretrain_history_
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        super()._set_state(meta, tensors)
        self.pretrain_history_ = dict(meta["pretrain_history_"])
