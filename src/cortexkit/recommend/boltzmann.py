"""The RBM for collaborative filtering (Salakhutdinov, Mnih & Hinton, 2007), and a DBM.

Each case (an item for ``based="item"``, a user for ``based="user"``) is one RBM sharing
its weights with every other case: a K-way softmax visible unit for each rating the case
has (K rating levels), binary hidden units, and nothing for the ratings it lacks. So each
case is trained on its observed ratings only: the RBM's CD step
(:func:`cortexkit.recommend.softmax_cd.softmax_cd`) works on the observed units alone, and
the DBM and binary modes use the mask of the shared core
(:func:`cortexkit.boltzmann.units.cd_statistics`), which keeps an unobserved unit out of
both phases and out of the gradient. The Gibbs steps can rise and the learning rate fall
over the epochs (``gibbs_steps_final``, ``lr_schedule``). The prediction for (case, j) is
the *expected* rating ``sum_k level_k * P(v_j = k | V)`` given the case's training ratings
``V``, with the hidden units summed out exactly (on the validation split of u1.base it
scores the same, to 1e-4, as the mean-field ``P(v_j = k | P(h | V))``).

``model="dbm"`` puts a second hidden layer on top (a deep Boltzmann machine): the first
hidden layer then hears both the ratings and the layer above. Training is contrastive:
the positive phase is mean-field inference (the DBM's
:func:`~cortexkit.boltzmann.inference.mean_field`, masked by the observed ratings), the
negative phase ``gibbs_steps`` Gibbs sweeps from it (hidden sample, top layer, ratings,
first layer). Prediction uses the mean-field hidden probabilities.

``binary=True`` is the classic course set-up: a rating is *liked* (1) when it is at
least ``liked_at`` (by default the midpoint of the ratings' scale), else not liked (0);
the visible units are binary and a prediction is
the probability that the user likes the item.

The machine and its update rule live in :mod:`cortexkit.recommend.machine`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, PositiveInts, as_widths, saved_floats
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.data.ratings import Ratings
from cortexkit.defaults import BOLTZMANN_RECOMMENDER as DEFAULTS
from cortexkit.recommend.base import RecommenderMixin
from cortexkit.recommend.machine import BoltzmannStep, RatingMachine, rating_error
from cortexkit.train.step import Step

__all__ = ["BoltzmannRecommender"]

MAX_LEVELS = 20  # distinct rating values a softmax unit may take


class BoltzmannRecommender(RecommenderMixin, CortexEstimator):
    """The RBM for collaborative filtering (Salakhutdinov, Mnih & Hinton, 2007), or a
    two-hidden-layer DBM: softmax visible units over the rating levels, one per observed
    rating, weights shared across cases, trained by contrastive divergence.

    Parameters
    ----------
    model : {"rbm", "dbm"}, default="rbm"
        One hidden layer, or two (a deep Boltzmann machine).
    based : {"item", "user"}, default="item"
        ``"item"``: each item is a case, its ratings by the users the visible units (the
        better orientation in the AutoRec paper's table); ``"user"``: each user is one.
    hidden_layers : int or tuple of int, default=100
        Hidden units; for ``model="dbm"`` a pair (first, second layer, from the visible
        side), or one number (the second layer then has half as many).
    binary : bool, default=False
        Liked / not liked instead of rating levels: binary visible units, predictions are
        the probability of a like.
    liked_at : float or None, default=None
        With ``binary=True``, the lowest rating that counts as liked: above the scale's
        lowest rating and at most its highest. None: the scale's midpoint (3 on 1 to 5,
        0.5 on 0 to 1).
    gibbs_steps : int, default=1
        Gibbs steps in the negative phase (the k of CD-k), at the first epoch.
    gibbs_steps_final : int or None, default=5
        Gibbs steps at the last epoch: they rise linearly (rounded) from ``gibbs_steps``
        to ``gibbs_steps_final`` over the epochs, as Salakhutdinov et al. increase them
        during training (None: ``gibbs_steps`` throughout).
    epochs : int, default=60
        Passes over the cases.
    batch_size : int or None, default=64
        Cases per update; None: every case in one update.
    learning_rate : float, default=0.05
        Step size of the CD update (at the first epoch).
    lr_schedule : {"linear"} or None, default="linear"
        ``"linear"``: the learning rate falls linearly over the epochs to ``0.1 *
        learning_rate`` at the last one; None keeps it constant. ``partial_fit`` calls
        follow the same schedule, an epoch each, and stay at its end.
    momentum : float, default=0.9
        Share of the previous update added to the next.
    weight_decay : float, default=0.01
        L2 coefficient on the weights; biases are not decayed. Each update is ``velocity =
        momentum * velocity + learning_rate * (gradient - weight_decay * W)``.
    validation_fraction : float, default=0.0
        Share of the training ratings held out to score each epoch (``val_rmse``).
    early_stopping : bool, default=False
        Stop when the monitored loss has not fallen for ``patience`` epochs and keep the
        best epoch's weights.
    patience : int, default=10
        Epochs without improvement before early stopping.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the Gibbs sampling and the validation split.
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
    weights_ : list of Tensor
        From the visible side: the visible units' (units x levels, first hidden layer)
        weights, and for a DBM the first hidden layer's to the second.
    biases_ : list of Tensor
        Each layer's biases, the visible units' first.
    levels_ : ndarray of shape (n_levels,)
        The rating levels of the softmax units.
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
    liked_at_ : float
        The lowest liked rating ``binary=True`` used: ``liked_at``, or the scale's midpoint.
    history_ : dict
        Per-epoch ``loss`` (the share of observed ratings the one-step reconstruction gets
        wrong), ``rmse`` (and ``val_loss``, ``val_rmse``), ``gibbs_steps`` and
        ``learning_rate`` (as the schedules set them), times.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from cortexkit import BoltzmannRecommender
    >>> from cortexkit.recommend import as_ratings
    >>> ratings = as_ratings([(u, i, 1 + (u + i) % 5) for u in range(30) for i in range(20)
    ...                       if (u * i) % 3])
    >>> model = BoltzmannRecommender(hidden_layers=16, epochs=5, random_state=0).fit(ratings)
    >>> model.levels_.tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    >>> float(model.predict([1], [2])[0]) <= 5.0
    True
    """

    _constraints = {
        **{k: v for k, v in BASE_CONSTRAINTS.items() if k != "validation_split"},
        "model": [Options(["rbm", "dbm"])],
        "based": [Options(["item", "user"])],
        "hidden_layers": [PositiveInts()],
        "binary": [bool],
        "liked_at": [Interval(float, None, None), None],
        "gibbs_steps": [Interval(int, 1, None)],
        "gibbs_steps_final": [Interval(int, 1, None), None],
        "lr_schedule": [Options(["linear"]), None],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
    }

    def __init__(
        self,
        model: str = "rbm",
        based: str = "item",
        hidden_layers: int | tuple[int, ...] = DEFAULTS.hidden_layers,
        *,
        binary: bool = False,
        liked_at: float | None = None,
        gibbs_steps: int = DEFAULTS.gibbs_steps,
        gibbs_steps_final: int | None = DEFAULTS.gibbs_steps_final,
        epochs: int = DEFAULTS.epochs,
        batch_size: int | None = DEFAULTS.batch_size,
        learning_rate: float = DEFAULTS.learning_rate,
        lr_schedule: str | None = DEFAULTS.lr_schedule,
        momentum: float = DEFAULTS.momentum,
        weight_decay: float = DEFAULTS.weight_decay,
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
        self.model = model
        self.based = based
        self.hidden_layers = hidden_layers
        self.binary = binary
        self.liked_at = liked_at
        self.gibbs_steps = gibbs_steps
        self.gibbs_steps_final = gibbs_steps_final
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
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

    @staticmethod
    def _widths(model: str, hidden_layers: Any) -> list[int]:
        sizes = list(as_widths(hidden_layers, "hidden_layers"))
        if len(sizes) > 2:
            raise ValueError(
                "hidden_layers must be a positive int, or a pair of them for a DBM; "
                f"got {hidden_layers!r}"
            )
        if model == "rbm" and len(sizes) > 1:
            raise ValueError(
                f"model='rbm' has one hidden layer; got hidden_layers={hidden_layers!r}"
            )
        if model == "dbm" and len(sizes) == 1:
            sizes.append(max(sizes[0] // 2, 1))
        return sizes

    def _validate_params(self) -> None:
        super()._validate_params()
        self._widths(self.model, self.hidden_layers)

    def _check_liked_at(self, scale: tuple[float, float]) -> float:
        """The lowest liked rating on ``scale``: ``liked_at``, or the scale's midpoint.

        Raises
        ------
        ValueError
            If ``binary=True`` and ``liked_at`` would make every rating liked, or none.
        """
        low, high = float(scale[0]), float(scale[1])
        liked_at = self._settings()["liked_at"]
        if liked_at is None:
            return (low + high) / 2
        if self._settings()["binary"] and not low < float(liked_at) <= high:
            raise ValueError(
                f"liked_at must be above the lowest rating of the scale {low:g} to {high:g} "
                f"and at most its highest (left unset: the midpoint, {(low + high) / 2:g}); "
                f"got {liked_at!r}"
            )
        return float(liked_at)

    def _encode(self, ratings: Ratings) -> None:
        self.liked_at_ = self._check_liked_at(ratings.scale)  # before any work
        super()._encode(ratings)

    def _fallback_values(self, rating: np.ndarray) -> np.ndarray:
        if self.fitted_params_["binary"]:  # the fallback of a like-or-not model is a like rate
            return (rating >= self.liked_at_).astype(np.float64)
        return rating

    def _check_ratings(self, ratings: Ratings) -> None:
        levels = np.unique(ratings.rating)
        if not self.fitted_params_["binary"] and len(levels) > MAX_LEVELS:
            raise ValueError(
                f"BoltzmannRecommender needs discrete rating levels (at most {MAX_LEVELS}); "
                f"the ratings hold {len(levels)} distinct values (use binary=True, or "
                "round them)"
            )
        self.levels_ = levels.astype(np.float64)

    def _make_machine(self, generator: torch.Generator | None) -> RatingMachine:
        p = self.fitted_params_
        return RatingMachine(
            self._shape()[1],
            torch.from_numpy(self.levels_).float(),
            self._widths(p["model"], p["hidden_layers"]),
            binary=bool(p["binary"]),
            liked_at=self.liked_at_,
            generator=generator,
            device=self._device(),
        )

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        device = self._device()
        self._machine = self._make_machine(generator)
        self._train_input = self._matrix.to(device)
        self._machine.init_visible_bias(self._train_input)
        self.weights_, self.biases_ = self._machine.weights, self._machine.biases
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        self._sampler = torch.Generator(device=device).manual_seed(seed)

    def _make_step(self) -> Step:
        return BoltzmannStep(self._machine, self._train_input, self._sampler)

    def _is_built(self) -> bool:
        return hasattr(self, "_machine")

    @torch.no_grad()
    def _predict_pairs(self, cases: Tensor, others: Tensor) -> Tensor:
        return self._machine.predict_from(self._full.to(self._device()), cases, others)

    def _metric(self, *batch: Tensor) -> dict[str, float]:
        """RMSE of the expected rating (binary: of P(liked) against liked) on held-out
        ratings, or on a sample of training cases' own ratings."""
        return rating_error(self._machine, self._train_input, batch)

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return values if self.fitted_params_["binary"] else super()._clip(values)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        meta, tensors = self._recommender_state()
        meta.update(self._common_state())
        meta["levels_"] = self.levels_.tolist()
        tensors.update({f"weights.{i}": w for i, w in enumerate(self.weights_)})
        tensors.update({f"biases.{i}": b for i, b in enumerate(self.biases_)})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._set_recommender_state(meta, tensors)
        self.liked_at_ = self._check_liked_at(self.rating_scale_)
        self.levels_ = saved_floats(meta["levels_"], "levels_", None)  # the weights check the count
        self._machine = self._make_machine(None)
        for name, kept in (("weights", self._machine.weights), ("biases", self._machine.biases)):
            for i, value in enumerate(kept):
                saved = tensors[f"{name}.{i}"]
                if saved.shape != value.shape:
                    raise ValueError(
                        f"{name}.{i} has shape {tuple(saved.shape)}; expected {tuple(value.shape)}"
                    )
                kept[i] = saved.float().to(value.device)
        self.weights_, self.biases_ = self._machine.weights, self._machine.biases
        self._train_input = self._full.to(self._device())
