"""AutoRec (Sedhain, Menon, Sanner & Xie, 2015): an autoencoder over rating rows.

Each case (an item, for ``based="item"``, I-AutoRec; a user, U-AutoRec) is the vector of its
ratings, missing ones left at zero. The network (:class:`~cortexkit.autoencoder.
AutoEncoderNetwork`, activations by name) encodes it and reconstructs it, and the loss
counts the *observed* ratings only (:func:`~cortexkit.autoencoder.masked_mse`), plus weight
decay on the weight matrices:

    sum over observed (r - r_hat)^2  +  weight_decay / 2 * sum ||W||^2

(divided by the number of training ratings, which changes nothing but the loss's scale).
The prediction for (user, item) is the reconstruction of that entry from the case's
training ratings, clipped to the rating scale; a user or item the training ratings lack
gets the shared fallback (:mod:`cortexkit.recommend.base`).

Two departures from the paper's input, both parameters (``0`` restores the paper's): the
input of an observed rating is the rating plus ``input_offset``, so that who rated an item
counts as well as how (a missing entry stays 0, which a 1-star rating is otherwise close
to); and ``dropout`` hides a random share of each case's ratings from the input while
training (a denoising autoencoder), the loss still counting them. With those doing the
regularising, the learning rate decays to 0 along a cosine (``lr_schedule="cosine"``):
full-batch Adam at a constant 1e-2 oscillates from epoch to epoch, so that the epoch a run
happened to stop at decided its accuracy (``bench/README.md``, Recommender systems).

Only the observed ratings are ever touched: the first layer reads them as a sparse matrix
and the output layer is evaluated at the observed entries only
(:mod:`cortexkit.recommend.sparse`), so an epoch on MovieLens-100K costs a fraction of
the dense autoencoder's.

Several hidden layers (``hidden_layers=(20, 10, 20)``, sigmoid, user-based) give the stacked
autoencoder of the classic course recommender (``cortexkit recommend train --model
stacked-ae``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from cortexkit._validation import (
    CALLABLE,
    FLOAT32_MAX,
    Interval,
    Options,
    PositiveInts,
    as_widths,
)
from cortexkit.autoencoder import AutoEncoderNetwork, masked_mse
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator
from cortexkit.defaults import AUTOREC
from cortexkit.recommend.base import RecommenderMixin
from cortexkit.recommend.export import AutoRecExport
from cortexkit.recommend.sparse import Pattern, RatingMatrix, observed_linear, sparse_linear

__all__ = ["AutoRecRecommender"]

PAIR_CHUNK = 65536  # (case, other) pairs predicted at a time


class _AutoRecObjective:
    """The network, the training input and the loss (the loop's Objective)."""

    def __init__(
        self,
        net: AutoEncoderNetwork,
        matrix: RatingMatrix,
        weight_decay: float,
        *,
        dropout: float = 0.0,
        input_offset: float = 0.0,
    ) -> None:
        self.net = net
        self.matrix = matrix
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_offset = input_offset
        self._cache: tuple[RatingMatrix, Pattern] | None = None

    def parameters(self) -> Iterator[Tensor]:
        return self.net.parameters()

    def state_dict(self) -> dict[str, Tensor]:
        return self.net.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> object:
        return self.net.load_state_dict(state)

    def _batch(self, rows: Tensor) -> tuple[RatingMatrix, Pattern]:
        """The batch's ratings and their pattern. A batch of every case (each epoch of batch
        gradient descent, in any order: the loss is a sum over the cases) reuses one."""
        if len(rows) == self.matrix.shape[0]:
            if self._cache is None:
                self._cache = (self.matrix, self.matrix.pattern())
            return self._cache
        sub = self.matrix.select(rows)
        return sub, sub.pattern()

    def _weights(self) -> list[Tensor]:
        return [layer.weight for layer in (*self.net.encoder, *self.net.decoder)]

    def inputs(self, values: Tensor, *, training: bool = False) -> Tensor:
        """The network's input at the observed entries ``(nnz,)``: each rating plus
        ``input_offset`` (a missing one stays 0); while training, each is dropped (set to
        0, as if missing) with probability ``dropout`` and the rest scaled by
        ``1 / (1 - dropout)``, so that the input's expected value is unchanged."""
        x = values + self.input_offset if self.input_offset else values
        if training and self.dropout > 0:
            keep = torch.rand_like(x) >= self.dropout  # torch's RNG, seeded for the fit
            x = torch.where(keep, x / (1.0 - self.dropout), torch.zeros_like(x))
        return x

    def hidden(self, values: Tensor, pattern: Pattern, *, training: bool = False) -> Tensor:
        """The last hidden layer's activations ``(rows, units)`` for rows of ratings."""
        net = self.net
        layers = [*net.encoder, *net.decoder]
        acts = [*net.encoder_activations, *net.decoder_activations]
        first = layers[0]
        x = self.inputs(values, training=training)  # (nnz,)
        h = acts[0](sparse_linear(x, first.weight, pattern) + first.bias)
        for layer, act in zip(layers[1:-1], acts[1:-1], strict=True):
            h = act(layer(h))
        return h  # type: ignore[no-any-return]

    def outputs(self, values: Tensor, pattern: Pattern, *, training: bool = False) -> Tensor:
        """The reconstruction at the observed entries ``(nnz,)``."""
        last = cast(nn.Linear, self.net.decoder[-1])
        h = self.hidden(values, pattern, training=training)
        out = observed_linear(h, last.weight, pattern)
        return self.net.decoder_activations[-1](out + last.bias[pattern.col])  # type: ignore[no-any-return]

    def compute_gradients(self, rows: Tensor) -> Tensor:
        self.net.train()
        for p in self.net.parameters():
            p.grad = None
        sub, pattern = self._batch(rows)
        error = masked_mse(self.outputs(sub.values, pattern, training=True), sub.values)
        penalty = sum(w.square().sum() for w in self._weights())
        loss = error + 0.5 * self.weight_decay * penalty / max(self.matrix.nnz, 1)
        loss.backward()
        return loss.detach()

    def flops(self, rows: Tensor) -> float:
        """Multiply-adds of a forward and backward pass: the sparse first and last layers
        (per rating) and the dense middle ones (per row), times 2 flops, times 3."""
        nnz = self.matrix.nnz * len(rows) / max(self.matrix.shape[0], 1)
        sizes = self.net.layer_sizes[1:-1]
        dense = sum(a * b for a, b in itertools.pairwise(sizes)) * len(rows)
        return 6.0 * (nnz * (sizes[0] + sizes[-1]) + dense)

    @torch.no_grad()
    def predict_pairs(self, matrix: RatingMatrix, cases: Tensor, others: Tensor) -> Tensor:
        """Predictions for (case, other) pairs, the cases' input read from ``matrix``."""
        self.net.eval()
        unique, where = torch.unique(cases, return_inverse=True)
        sub = matrix.select(unique)
        h = self.hidden(sub.values, sub.pattern())
        last = cast(nn.Linear, self.net.decoder[-1])
        out = torch.empty(len(cases), device=h.device)
        for s in range(0, len(cases), PAIR_CHUNK):
            part = slice(s, s + PAIR_CHUNK)
            z = (h[where[part]] * last.weight[others[part]]).sum(1) + last.bias[others[part]]
            out[part] = self.net.decoder_activations[-1](z)
        return out

    @torch.no_grad()
    def metric(self, batch: tuple[Tensor, ...]) -> dict[str, float]:
        if len(batch) == 3:  # held-out ratings, predicted from the training input
            rows, cols, values = batch
            pred = self.predict_pairs(self.matrix, rows, cols)
        else:
            self.net.eval()
            sub, pattern = self._batch(batch[0])
            pred, values = self.outputs(sub.values, pattern), sub.values
        mse = float(masked_mse(pred, values)) if len(values) else math.nan
        return {"loss": mse, "rmse": math.sqrt(mse)}


class AutoRecRecommender(AutoRecExport, RecommenderMixin, GradientEstimator):
    """AutoRec (Sedhain et al., 2015): an autoencoder that reconstructs each item's (or
    user's) ratings, trained on the observed ratings only.

    Parameters
    ----------
    based : {"item", "user"}, default="item"
        ``"item"``: each item is a case, its ratings over the users the input (I-AutoRec,
        the better of the two in the paper); ``"user"``: each user is a case.
    hidden_layers : int or tuple of int, default=500
        Units of the hidden layer, or of each hidden layer from the input side
        (``(20, 10, 20)``: the stacked autoencoder of the classic course recommender; the
        first half encodes, the rest decodes).
    activation : str, default="sigmoid"
        Of every hidden layer, by name (see :data:`cortexkit.nn.ACTIVATIONS`).
    output_activation : str, default="identity"
        Of the reconstructed ratings.
    weight_decay : float, default=200.0
        The paper's lambda, an L2 coefficient on the weights (biases are not decayed):
        ``weight_decay / 2`` times the squared weights is added to the sum of squared
        errors over the observed ratings.
    dropout : float, default=0.3
        Input dropout (a denoising autoencoder), in [0, 1): while training, each observed
        rating of the input is dropped (made missing) with this probability and the others
        scaled by ``1 / (1 - dropout)``; the loss still counts every observed rating, so
        the network learns to reconstruct ratings it was not shown. Off when predicting.
    input_offset : float, default=3.0
        Added to each observed rating in the network's input (missing ratings stay 0), so
        that a rated entry stands apart from an unrated one whatever its rating (who rated
        an item says something beyond how they rated it). The reconstruction targets and
        predictions are the ratings themselves. ``0`` is the paper's input.
    epochs : int, default=200
        Passes over the cases.
    batch_size : int or None, default=None
        Cases per update; None is batch gradient descent (every case in one update).
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        The article's names for ``batch_size`` 1, None and n.
    optimizer : str or callable, default="adam"
        By name (see :data:`cortexkit.train.OPTIMIZERS`).
    learning_rate : float, default=0.01
        The optimiser's step size.
    momentum : float, default=0.9
        For ``optimizer="sgd"``.
    nesterov : bool, default=False
        Nesterov momentum, for ``optimizer="sgd"``.
    lr_schedule : {"cosine", "onecycle", "plateau"} or None, default="cosine"
        ``"cosine"`` lowers the learning rate from ``learning_rate`` to 0 along half a
        cosine over the ``epochs`` (full-batch Adam at a constant 1e-2 keeps oscillating,
        and the epoch it stops at decides the accuracy); ``"onecycle"`` warms up over the
        first 30% first; ``"plateau"`` halves it when the monitored loss stops falling;
        None keeps it constant. ``partial_fit`` calls follow the same schedule, an epoch
        each, and stay at its end (for ``"cosine"``, near 0) after ``epochs`` of them.
    clip_grad_norm : float or None, default=None
        Clip the gradients' norm to this.
    validation_fraction : float, default=0.0
        Share of the training ratings held out to score each epoch (``val_rmse``).
    early_stopping : bool, default=False
        Stop when the monitored loss has not fallen for ``patience`` epochs and keep the
        best epoch's weights.
    patience : int, default=10
        Epochs without improvement before early stopping.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the validation split and the dropout masks.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        Where to train.
    verbose : int, default=0
        1: a progress bar; 2: a line per epoch.
    callbacks : list or None, default=None
        Called after each epoch (see :class:`cortexkit.train.Callback`).
    checkpoint : str or None, default=None
        File to save a checkpoint to after each ``checkpoint_every`` epochs.
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
    network_ : AutoEncoderNetwork
        The trained network.
    user_ids_ : ndarray of shape (n_users,)
        The users of the training ratings.
    item_ids_ : ndarray of shape (n_items,)
        The items of the training ratings.
    item_means_ : ndarray of shape (n_items,)
        Each item's mean rating, shrunk towards the global mean (the fallback).
    global_mean_ : float
        The mean training rating (the fallback for unknown items).
    rating_scale_ : tuple of float
        The ratings' declared scale; predictions are clipped to it.
    history_ : dict
        Per-epoch ``loss`` (and ``rmse``, ``val_loss``, ``val_rmse``), times.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from cortexkit import AutoRecRecommender
    >>> from cortexkit.recommend import as_ratings
    >>> ratings = as_ratings([(u, i, 1 + (u + i) % 5) for u in range(30) for i in range(20)
    ...                       if (u * i) % 3])
    >>> model = AutoRecRecommender(hidden_layers=16, epochs=50, random_state=0).fit(ratings)
    >>> model.predict([1], [2]).shape
    (1,)
    >>> list(model.recommend(1, k=3).columns)
    ['item', 'score']
    """

    _constraints = {
        **{k: v for k, v in GRADIENT_CONSTRAINTS.items() if k != "validation_split"},
        "based": [Options(["item", "user"])],
        "hidden_layers": [PositiveInts()],
        "activation": [str, CALLABLE],
        "output_activation": [str, CALLABLE],
        "weight_decay": [Interval(float, 0, None)],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "input_offset": [Interval(float, None, None)],
    }

    def __init__(
        self,
        based: str = "item",
        hidden_layers: int | tuple[int, ...] = AUTOREC.hidden_layers,
        *,
        activation: str = AUTOREC.activation,
        output_activation: str = "identity",
        weight_decay: float = AUTOREC.weight_decay,
        dropout: float = AUTOREC.dropout,
        input_offset: float = AUTOREC.input_offset,
        epochs: int = AUTOREC.epochs,
        batch_size: int | None = None,
        gradient_descent: str | None = None,
        optimizer: str = "adam",
        learning_rate: float = AUTOREC.learning_rate,
        momentum: float = 0.9,
        nesterov: bool = False,
        lr_schedule: str | None = AUTOREC.lr_schedule,
        clip_grad_norm: float | None = None,
        validation_fraction: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        random_state: int | np.random.RandomState | None = None,
        device: str | torch.device = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.based = based
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.output_activation = output_activation
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_offset = input_offset
        self.epochs = epochs
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _validate_params(self) -> None:
        super()._validate_params()
        # beyond float32's range the offset input is infinite, and every prediction NaN
        if not abs(self.input_offset) <= FLOAT32_MAX:
            raise ValueError(
                f"input_offset must be a finite number within float32's range (|x| <= "
                f"{FLOAT32_MAX:.3g}); got {self.input_offset!r}"
            )

    def _loop_config(self):  # type: ignore[no-untyped-def]
        cfg = super()._loop_config()
        cfg.optim.weight_decay = 0.0  # in the objective, on the weights only (the paper's lambda)
        return cfg

    def _layers(self) -> tuple[list[int], list[int]]:
        sizes = list(as_widths(self.fitted_params_["hidden_layers"], "hidden_layers"))
        n_enc = (len(sizes) + 1) // 2
        return sizes[:n_enc], sizes[n_enc:]

    def _make_network(self, generator: torch.Generator | None) -> AutoEncoderNetwork:
        encoder, decoder = self._layers()
        p = self.fitted_params_
        return AutoEncoderNetwork(
            self._shape()[1],
            encoder,
            decoder,
            activation=p["activation"],
            output_activation=p["output_activation"],
            generator=generator,
        ).to(self._device())

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        self.network_ = self._make_network(generator)
        matrix = self._matrix.to(self._device())
        p = self.fitted_params_
        self._objective = _AutoRecObjective(
            self.network_,
            matrix,
            float(p["weight_decay"]),
            dropout=float(p["dropout"]),
            input_offset=float(p["input_offset"]),
        )

    def _metric(self, *batch: Tensor) -> dict[str, float]:
        return self._objective.metric(batch)

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def _predict_pairs(self, cases: Tensor, others: Tensor) -> Tensor:
        objective = _AutoRecObjective(
            self.network_,
            self._full.to(self._device()),
            0.0,
            input_offset=float(self.fitted_params_["input_offset"]),
        )
        return objective.predict_pairs(objective.matrix, cases, others)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "network_")
        meta, tensors = self._recommender_state()
        meta.update(self._common_state())
        tensors.update({f"network.{k}": v for k, v in self.network_.state_dict().items()})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._set_recommender_state(meta, tensors)
        self.network_ = self._make_network(None)
        state = {k[len("network.") :]: v for k, v in tensors.items() if k.startswith("network.")}
        self.network_.load_state_dict(state)
