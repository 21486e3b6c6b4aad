"""Deep belief networks: a stack of RBMs trained greedily, layer by layer (Hinton, Osindero &
Teh, 2006), on the shared epoch loop.

The layer-wise training is one step of the loop
(:class:`~cortexkit.boltzmann.greedy.LayerwiseStep`): each layer trains for ``epochs``
epochs on the hidden probabilities of the trained layers below, then the next one takes
over. So the DBN has what every family has: ``partial_fit``, validation, (per-layer) early
stopping, checkpoints and resume, and the shared model files.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, PositiveInts, as_widths
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.greedy import LayerwiseStep, stack_up
from cortexkit.boltzmann.health import ChecksLayers, health_rows
from cortexkit.boltzmann.inputs import check_visible_data
from cortexkit.boltzmann.step import CDStep
from cortexkit.boltzmann.units import hidden_mean
from cortexkit.defaults import RBM as RBM_DEFAULTS
from cortexkit.train.callbacks import Callback
from cortexkit.train.config import LoopConfig
from cortexkit.train.step import Step

__all__ = ["DBN"]


class DBN(ChecksLayers, TransformerMixin, CortexEstimator):
    """A deep belief network: RBMs stacked and trained greedily, layer by layer.

    Each layer is an RBM trained by CD-k / PCD-k on the hidden probabilities of the
    layer below, for ``epochs`` epochs, before the next layer starts; ``transform`` passes
    X up the stack and returns the top layer's probabilities.

    Parameters
    ----------
    hidden_layers : int or tuple of int, default=(256, 128)
        Hidden units per layer, from the visible side.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The bottom RBM's visible units (the upper ones are Bernoulli): ``"bernoulli"``
        takes X in [0, 1], ``"gaussian"`` standardised real X.
    gibbs_steps : int, default=1
        Gibbs steps per update (the k of CD-k), at least 1.
    persistent : bool, default=True
        Persistent contrastive divergence.
    learning_rate : float, default=0.1
        Every layer's learning rate, greater than 0.
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 coefficient on the weights; biases are not decayed. Each update is ``velocity =
        momentum * velocity + learning_rate * (gradient - weight_decay * W)``.
    batch_size : int or None, default=20
        Rows per update; None uses the whole set.
    epochs : int, default=10
        Epochs per layer: the whole fit runs ``epochs * len(hidden_layers)`` epochs.
    validation_fraction : float, default=0.0
        Share of the rows held out to report ``val_loss`` (the current layer's mean free
        energy of the held-out rows) each epoch; 0 holds out nothing.
    validation_split : {"random", "last"}, default="random"
        Which rows are held out: at random, or the last ones.
    early_stopping : bool, default=False
        End a layer's turn when its monitored loss has not fallen for ``patience`` epochs,
        put back the weights of its best epoch, and go on to the next layer (after the top
        layer, training stops).
    patience : int, default=5
        Epochs without improvement before a layer's turn ends.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling and the Gibbs sampling of the fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train and transform.
    verbose : int or bool, default=0
        ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with ``(epoch, logs)``; returning True stops training.
    checkpoint : str, path or None, default=None
        A file to save the training state to after each ``checkpoint_every`` epochs.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from ``checkpoint`` when it exists.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    loss_curve_ : list of float
        The training loss of each epoch.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    weights_ : list of Tensor
        ``weights_[i]`` joins layer ``i`` to layer ``i + 1`` (layer 0 is the visible one).
    visible_biases_ : list of Tensor
        Each RBM's visible biases (its top-down, generative biases), bottom first.
    hidden_biases_ : list of Tensor
        Each RBM's hidden biases (its bottom-up biases), bottom first.
    history_ : dict
        Per epoch: ``layer`` (the layer trained, from 1), ``loss`` (its mean free energy of
        the training batches), ``reconstruction_error`` and, for Bernoulli inputs,
        ``pseudo_likelihood`` (of its inputs, on a sample of the training rows), ``time``;
        ``val_`` versions with a validation set.
    n_iter_ : int
        Epochs run, every layer's together.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import DBN
    >>> X = load_digits().data / 16
    >>> dbn = DBN(hidden_layers=(32, 16), epochs=3, random_state=0, device="cpu").fit(X)
    >>> dbn.transform(X[:3]).shape
    (3, 16)
    >>> dbn.history_["layer"]
    [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "hidden_layers": (8, 4),
        "epochs": 3,
        "learning_rate": 0.01,
    }
    _constraints: dict[str, list[Any]] = {
        **BASE_CONSTRAINTS,
        "hidden_layers": [PositiveInts()],
        "visible": [Options(("bernoulli", "gaussian"))],
        "gibbs_steps": [Interval(int, 1, None)],
        "persistent": [bool],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
    }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # computed in float32
        return tags

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = (256, 128),
        *,
        visible: str = "bernoulli",
        gibbs_steps: int = RBM_DEFAULTS.gibbs_steps,
        persistent: bool = RBM_DEFAULTS.persistent,
        learning_rate: float = RBM_DEFAULTS.learning_rate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        batch_size: int | None = RBM_DEFAULTS.batch_size,
        epochs: int = RBM_DEFAULTS.epochs,
        validation_fraction: float = 0.0,
        validation_split: str = "random",
        early_stopping: bool = False,
        patience: int = 5,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.visible = visible
        self.gibbs_steps = gibbs_steps
        self.persistent = persistent
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    @property
    def _kind(self) -> str:
        """The bottom layer's visible units, as fitted."""
        return str(self.fitted_params_["visible"])

    def _widths(self) -> tuple[int, ...]:
        return as_widths(self._settings()["hidden_layers"], "hidden_layers")

    def _loop_config(self) -> LoopConfig:
        cfg = super()._loop_config()
        cfg.epochs = cfg.epochs * len(self._widths())  # every layer's turn, one run
        if cfg.early_stopping:  # per layer, by the step; the loop stops after the top's
            cfg.early_stopping = False
            cfg.callbacks = (*cfg.callbacks, _TopLayerDone(self))
        return cfg

    def _after_fit(self) -> None:
        step = getattr(self, "_layerwise", None)
        if step is not None and step.finished:
            self.history_["stopped"] = (
                f"early stopping at epoch {self.n_iter_}: the top layer's loss did not fall "
                f"for {self.fitted_params_['patience']} epochs; restored its best weights"
            )
        super()._after_fit()

    def _layer_probabilities(self, rows: Tensor) -> list[Tensor]:
        # the layers that have had their turn (an upper one still waiting is not checked)
        step = getattr(self, "_layerwise", None)
        trained = len(self.weights_) if step is None or step.turns_over else step.layer
        layers, x = [], rows
        for W, c in zip(self.weights_[:trained], self.hidden_biases_, strict=False):
            x = hidden_mean(x, W, c)
            layers.append(x)
        return layers

    # -- training -------------------------------------------------------------------------

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        X = check_visible_data(self, X, self._kind, reset=fitting)
        self._health = health_rows(torch.as_tensor(X, device=self._device()))
        # the row indices let a layer above the first read its inputs passed up once
        return (torch.as_tensor(X, device=self._device()), torch.arange(len(X)))

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        device = self._device()
        dims = [parts[0].shape[1], *self._widths()]
        # small random weights break the hidden units' symmetry (Hinton's guide: N(0, 0.01))
        self.weights_ = [(0.01 * torch.randn(a, b, generator=generator)).to(device)
                         for a, b in itertools.pairwise(dims)]  # fmt: skip
        self.visible_biases_ = [torch.zeros(d, device=device) for d in dims[:-1]]
        self.hidden_biases_ = [torch.zeros(d, device=device) for d in dims[1:]]

    def _is_built(self) -> bool:
        return hasattr(self, "weights_")

    def _layers(self) -> list[CDStep]:
        return [
            CDStep(W, b, c, kind=self._kind if i == 0 else "bernoulli")
            for i, (W, b, c) in enumerate(
                zip(self.weights_, self.visible_biases_, self.hidden_biases_, strict=True)
            )
        ]

    def _make_step(self) -> Step:
        self._layerwise = LayerwiseStep(self._layers())
        carried = self.__dict__.pop("_carried_layers", None)
        if carried:  # a loaded or unpickled model's partial_fit: go on where it was
            top = int(carried[-1]) - 1
            epochs = len(carried) - next(
                (i + 1 for i in range(len(carried) - 1, -1, -1) if carried[i] != carried[-1]), 0
            )
            self._layerwise.continue_at(top, epochs)
        return self._layerwise

    def _metric(self, X: Tensor, rows: Tensor | None = None) -> dict[str, float]:
        return self._layerwise.metric(X)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> DBN:
        """Train the stack on ``X`` (n_samples, n_features), layer by layer; ``y`` is
        ignored."""
        return super().fit(X, None, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> DBN:
        """One more epoch over ``X`` for the layer whose turn it is (after every layer's
        ``epochs``, the top one), keeping the weights and the persistent chains."""
        if getattr(self, "_loop", None) is None and "layer" in getattr(self, "history_", {}):
            self._carried_layers = [v for v in self.history_["layer"] if v == v]  # not NaN
        return super().partial_fit(X, None, **kwargs)  # type: ignore[no-any-return]

    # -- using the stack ------------------------------------------------------------------

    @torch.no_grad()
    def transform(self, X: Any) -> np.ndarray:
        """The top layer's hidden probabilities: (n_samples, hidden_layers[-1])."""
        check_is_fitted(self, "weights_")
        X = check_visible_data(self, X, self._kind, reset=False)
        V = torch.as_tensor(X, device=self._device())
        return np.asarray(stack_up(V, self.weights_, self.hidden_biases_).cpu().numpy())

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        tensors: dict[str, Tensor] = {}
        for name in ("weights", "visible_biases", "hidden_biases"):
            for i, t in enumerate(getattr(self, f"{name}_")):
                tensors[f"{name}.{i}"] = t.cpu()
        return self._common_state(), tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        dims = [self.n_features_in_, *self._widths()]
        shapes: dict[str, list[tuple[int, ...]]] = {
            "weights": list(itertools.pairwise(dims)),
            "visible_biases": [(d,) for d in dims[:-1]],
            "hidden_biases": [(d,) for d in dims[1:]],
        }
        device = self._device()
        for name, expected in shapes.items():
            kept = []
            for i, shape in enumerate(expected):
                t = tensors[f"{name}.{i}"]
                if tuple(t.shape) != shape:
                    raise ValueError(
                        f"{name}.{i} has shape {tuple(t.shape)}; hidden_layers "
                        f"{tuple(dims[1:])} over {dims[0]} inputs need {shape}"
                    )
                kept.append(t.to(device, torch.float32))
            setattr(self, f"{name}_", kept)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_layerwise", None)  # working state of the loop, as the loop itself
        return state


class _TopLayerDone(Callback):
    """Stops the loop once the step has ended the top layer's turn early."""

    def __init__(self, dbn: DBN) -> None:
        self.dbn = dbn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        step = getattr(self.dbn, "_layerwise", None)
        return bool(step is not None and step.finished)
