"""The RBM for collaborative filtering (Salakhutdinov, Mnih & Hinton, 2007), and a DBM.

Each case (an item for ``based="item"``, a user for ``based="user"``) is one RBM sharing
its weights with every other case: a K-way softmax visible unit for each rating the case
has (K rating levels), binary hidden units, and nothing for the ratings it lacks. So each
case is trained on its observed ratings only: the RBM's CD step
(:func:`cortexkit.recommend.machine.softmax_cd`) works on the observed units alone, and
the DBM and binary modes use the mask of the shared core
(:func:`cortexkit.boltzmann.units.cd_statistics`), which keeps an unobserved unit out of
both phases and out of the gradient. The CD steps can rise and the learning rate fall over
the epochs (``k_final``, ``lr_decay``). The prediction for (case, j) is the *expected*
rating ``sum_k level_k * P(v_j = k | V)`` given the case's training ratings ``V``, with the
hidden units summed out exactly (on the validation split of u1.base it scores the same,
to 1e-4, as the mean-field ``P(v_j = k | P(h | V))``).

``model="dbm"`` puts a second hidden layer on top (a deep Boltzmann machine): the first
hidden layer then hears both the ratings and the layer above. Training is contrastive:
the positive phase is mean-field inference (a few alternating updates of the two hidden
layers given the ratings), the negative phase ``k`` Gibbs sweeps from it (hidden sample,
top layer, ratings, first layer). Prediction uses the mean-field hidden probabilities.

``binary=True`` is the classic course set-up: a rating is *liked* (1) when it is at
least ``liked_at``, else not liked (0); the visible units are binary and a prediction is
the probability that the user likes the item.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit._validation import Interval, Options
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.units import hidden_mean, softmax_last
from cortexkit.data.ratings import Ratings
from cortexkit.defaults import BOLTZMANN_RECOMMENDER as DEFAULTS
from cortexkit.recommend.base import RecommenderMixin
from cortexkit.recommend.machine import BoltzmannStep
from cortexkit.recommend.sparse import RatingMatrix
from cortexkit.train.step import Step

__all__ = ["BoltzmannRecommender"]

MAX_LEVELS = 20  # distinct rating values a softmax unit may take
MEAN_FIELD_STEPS = 5  # alternating updates of the DBM's two hidden layers
PAIR_CHUNK = 16384
# the per-epoch training RMSE is measured on this many ratings of the sampled cases: the
# loop's 256 cases hold ~15,000 ratings on MovieLens-100K, and scoring them all took a
# fifth of a fit
METRIC_RATINGS = 4096
# initial weights N(0, 0.1^2): from Hinton's N(0, 0.01^2) the hidden units stay alike for
# many epochs (a plateau seen on MovieLens and on generated ratings); 0.1 breaks it at once
INIT_STD = 0.1


class _Machine:
    """The weights and the inference of the (one- or two-layer) machine; no update rule."""

    def __init__(
        self,
        n_units: int,
        levels: Tensor,
        hidden: list[int],
        *,
        binary: bool,
        generator: torch.Generator | None,
        device: torch.device,
    ) -> None:
        self.binary = binary
        self.levels = levels.to(device)
        self.K = 1 if binary else len(levels)
        n_vis = n_units * self.K
        g = generator
        # random weights (INIT_STD), zero hidden biases; the visible biases are set from the
        # data's level frequencies in ``init_visible_bias``
        self.params: dict[str, Tensor] = {
            "W": INIT_STD * torch.randn(n_vis, hidden[0], generator=g).to(device),
            "b": torch.zeros(n_vis, device=device),
            "c": torch.zeros(hidden[0], device=device),
        }
        if len(hidden) > 1:
            self.params["W2"] = INIT_STD * torch.randn(hidden[0], hidden[1], generator=g).to(device)
            self.params["c2"] = torch.zeros(hidden[1], device=device)

    @property
    def deep(self) -> bool:
        return "W2" in self.params

    def kind(self) -> str:
        return "bernoulli" if self.binary else "softmax"

    def init_visible_bias(self, matrix: RatingMatrix, liked_at: float) -> None:
        """``b = log p`` of each unit's level frequencies (add-one smoothed; binary: the
        log-odds of a like), so that a model with no weights predicts each unit's own
        rating distribution."""
        units, values = matrix.shape[1], matrix.values
        if self.binary:
            liked = torch.bincount(matrix.indices, (values >= liked_at).float(), minlength=units)
            total = torch.bincount(matrix.indices, minlength=units).to(values.dtype)
            self.params["b"] = torch.logit((liked + 1) / (total + 2))
            return
        counts = torch.ones(units, self.K, device=values.device)
        counts.index_put_(
            (matrix.indices, self.encode(values)), torch.ones_like(values), accumulate=True
        )
        self.params["b"] = (counts / counts.sum(1, keepdim=True)).log().reshape(-1)

    def encode(self, values: Tensor) -> Tensor:
        """Each rating's level index (binary: 0 = liked, the visible unit's "on" state)."""
        if self.binary:
            return torch.zeros_like(values, dtype=torch.long)
        return torch.searchsorted(self.levels, values.contiguous()).clamp_(max=self.K - 1)

    def visible(self, sub: RatingMatrix, liked_at: float) -> tuple[Tensor, Tensor]:
        """Dense ``(v, mask)`` of a batch: one-hot levels ``(rows, units * K)`` (binary: 1
        where liked) and the observed units ``(rows, units)``."""
        rows, units = sub.shape
        r = sub.row_of()
        v = torch.zeros(rows, units * self.K, device=sub.values.device)
        mask = torch.zeros(rows, units, device=sub.values.device)
        mask[r, sub.indices] = 1.0
        if self.binary:
            v[r, sub.indices] = (sub.values >= liked_at).float()
        else:
            v[r, sub.indices * self.K + self.encode(sub.values)] = 1.0
        return v, mask

    def hidden(self, v: Tensor) -> Tensor:
        """The first hidden layer's probabilities given masked visibles (mean field for a
        DBM: the top layer's feedback included)."""
        p = self.params
        mu = hidden_mean(v, p["W"], p["c"])
        if not self.deep:
            return mu
        bottom_up = torch.addmm(p["c"], v, p["W"])
        for _ in range(MEAN_FIELD_STEPS):
            top = torch.sigmoid(torch.addmm(p["c2"], mu, p["W2"]))
            mu = torch.sigmoid(bottom_up + top @ p["W2"].T)
        return mu

    def predict_pairs(self, v: Tensor, where: Tensor, others: Tensor) -> Tensor:
        """Expected rating (binary: P(liked)) of unit ``others[p]`` of case ``where[p]``,
        given the cases' observed visibles ``v``.

        The hidden units are summed out exactly (Salakhutdinov et al., eq. 6):
        ``log P(v_q = k | V) = b_qk + sum_f softplus(x_f + W_qkf) + const``, with ``x`` the
        first hidden layer's input from the observed ratings (for a DBM, plus the top
        layer's mean-field feedback). A binary unit compares "liked" with "not liked",
        whose term is ``sum_f softplus(x_f)``.
        """
        p, K = self.params, self.K
        x = torch.addmm(p["c"], v, p["W"])  # (cases, hidden)
        if self.deep:
            top = torch.sigmoid(torch.addmm(p["c2"], self.hidden(v), p["W2"]))
            x = x + top @ p["W2"].T
        out = torch.empty(len(where), device=v.device)
        n_hidden = x.shape[1]
        by_unit = p["W"].view(-1, K * n_hidden)  # (units, K * hidden)
        softplus = torch.nn.functional.softplus
        for s in range(0, len(where), PAIR_CHUNK):
            part = slice(s, s + PAIR_CHUNK)
            xp = x.index_select(0, where[part])  # (pairs, hidden)
            pre = by_unit.index_select(0, others[part]).view(-1, K, n_hidden)  # (pairs, K, hidden)
            logits = softplus(pre.add_(xp.unsqueeze(1))).sum(2)  # (pairs, K)
            if self.binary:
                logits = logits - softplus(xp).sum(1, keepdim=True)
            logits = logits + p["b"].view(-1, K).index_select(0, others[part])
            if self.binary:
                out[part] = torch.sigmoid(logits[:, 0])
            else:
                out[part] = softmax_last(logits) @ self.levels.to(logits.dtype)
        return out


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
    n_hidden : int or tuple of int, default=100
        Hidden units; for ``model="dbm"`` a pair (first, second layer), or one number
        (the second layer then has half as many).
    binary : bool, default=False
        Liked / not liked instead of rating levels: binary visible units, predictions are
        the probability of a like.
    liked_at : float, default=3.0
        With ``binary=True``, the lowest rating that counts as liked.
    k : int, default=1
        Gibbs steps in the negative phase (CD-k), at the first epoch.
    k_final : int or None, default=5
        Gibbs steps at the last epoch: CD-k rises linearly (rounded) from ``k`` to
        ``k_final`` over the epochs, as Salakhutdinov et al. increase it during training
        (None: ``k`` throughout).
    epochs : int, default=60
        Passes over the cases.
    batch_size : int or None, default=64
        Cases per update; None: every case in one update.
    learning_rate : float, default=0.05
        Step size of the CD update (at the first epoch).
    lr_decay : float or None, default=0.1
        The learning rate falls linearly over the epochs to ``learning_rate * lr_decay``
        at the last one (None: constant).
    momentum : float, default=0.9
        Share of the previous update added to the next.
    weight_decay : float, default=0.01
        L2 penalty on the weights (not the biases).
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
    weights_ : dict of str to Tensor
        ``W`` (visible units x levels, hidden), ``b`` and ``c`` (the biases), and for a DBM
        ``W2`` and ``c2``.
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
    history_ : dict
        Per-epoch ``loss`` (the share of observed ratings the one-step reconstruction gets
        wrong), ``rmse`` (and ``val_loss``, ``val_rmse``), times.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from cortexkit import BoltzmannRecommender
    >>> from cortexkit.recommend import as_ratings
    >>> ratings = as_ratings([(u, i, 1 + (u + i) % 5) for u in range(30) for i in range(20)
    ...                       if (u * i) % 3])
    >>> model = BoltzmannRecommender(n_hidden=16, epochs=5, random_state=0).fit(ratings)
    >>> model.levels_.tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    >>> float(model.predict([1], [2])[0]) <= 5.0
    True
    """

    _constraints = {
        **{k: v for k, v in BASE_CONSTRAINTS.items() if k != "validation_split"},
        "model": [Options(["rbm", "dbm"])],
        "based": [Options(["item", "user"])],
        "n_hidden": [Interval(int, 1, None), tuple, list],
        "binary": [bool],
        "liked_at": [Interval(float, None, None)],
        "k": [Interval(int, 1, None)],
        "k_final": [Interval(int, 1, None), None],
        "lr_decay": [Interval(float, 0, 1, closed="both"), None],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
    }

    def __init__(
        self,
        model: str = "rbm",
        based: str = "item",
        n_hidden: int | tuple[int, ...] = DEFAULTS.n_hidden,
        *,
        binary: bool = False,
        liked_at: float = 3.0,
        k: int = DEFAULTS.k,
        k_final: int | None = DEFAULTS.k_final,
        epochs: int = DEFAULTS.epochs,
        batch_size: int | None = DEFAULTS.batch_size,
        learning_rate: float = DEFAULTS.learning_rate,
        lr_decay: float | None = DEFAULTS.lr_decay,
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
        self.n_hidden = n_hidden
        self.binary = binary
        self.liked_at = liked_at
        self.k = k
        self.k_final = k_final
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_decay = lr_decay
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

    def _hidden_sizes(self) -> list[int]:
        sizes = (
            [self.n_hidden] if isinstance(self.n_hidden, int) else [int(s) for s in self.n_hidden]
        )
        if not sizes or len(sizes) > 2 or any(s < 1 for s in sizes):
            raise ValueError(
                f"n_hidden must be a positive int, or a pair of them for a DBM; "
                f"got {self.n_hidden!r}"
            )
        if self.model == "rbm" and len(sizes) > 1:
            raise ValueError(f"model='rbm' has one hidden layer; got n_hidden={self.n_hidden!r}")
        if self.model == "dbm" and len(sizes) == 1:
            sizes.append(max(sizes[0] // 2, 1))
        return sizes

    def _validate_params(self) -> None:
        super()._validate_params()
        self._hidden_sizes()

    def _fallback_values(self, rating: np.ndarray) -> np.ndarray:
        if self.binary:  # the fallback of a like-or-not model is a like rate
            return (rating >= float(self.liked_at)).astype(np.float64)
        return rating

    def _check_ratings(self, ratings: Ratings) -> None:
        levels = np.unique(ratings.rating)
        if not self.binary and len(levels) > MAX_LEVELS:
            raise ValueError(
                f"BoltzmannRecommender needs discrete rating levels (at most {MAX_LEVELS}); "
                f"the ratings hold {len(levels)} distinct values (use binary=True, or "
                "round them)"
            )
        self.levels_ = levels.astype(np.float64)

    def _make_machine(self, generator: torch.Generator | None) -> _Machine:
        return _Machine(
            self._shape()[1],
            torch.from_numpy(self.levels_).float(),
            self._hidden_sizes(),
            binary=bool(self.binary),
            generator=generator,
            device=self._device(),
        )

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        device = self._device()
        self._machine = self._make_machine(generator)
        self._train_input = self._matrix.to(device)
        self._machine.init_visible_bias(self._train_input, float(self.liked_at))
        self.weights_ = self._machine.params
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        self._sampler = torch.Generator(device=device).manual_seed(seed)

    def _make_step(self) -> Step:
        return BoltzmannStep(self, self._machine, self._train_input, self._sampler)

    def _is_built(self) -> bool:
        return hasattr(self, "_machine")

    def _predict_from(self, matrix: RatingMatrix, cases: Tensor, others: Tensor) -> Tensor:
        unique, where = torch.unique(cases, return_inverse=True)
        v, _ = self._machine.visible(matrix.select(unique), float(self.liked_at))
        return self._machine.predict_pairs(v, where, others)

    @torch.no_grad()
    def _predict_pairs(self, cases: Tensor, others: Tensor) -> Tensor:
        return self._predict_from(self._full.to(self._device()), cases, others)

    @torch.no_grad()
    def _metric(self, *batch: Tensor) -> dict[str, float]:
        """RMSE of the expected rating (binary: of P(liked) against liked) on held-out
        ratings, or on a sample of training cases' own ratings (at most
        ``METRIC_RATINGS`` of them, evenly spaced)."""
        matrix = self._train_input
        if len(batch) == 3:
            rows, cols, values = batch
        else:
            sub = matrix.select(batch[0])
            rows, cols, values = batch[0][sub.row_of()], sub.indices, sub.values
            if len(values) > METRIC_RATINGS:
                keep = torch.linspace(0, len(values) - 1, METRIC_RATINGS, device=values.device)
                keep = keep.long()
                rows, cols, values = rows[keep], cols[keep], values[keep]
        if not len(values):
            return {"loss": math.nan, "rmse": math.nan}
        pred = self._predict_from(matrix, rows, cols)
        if self.binary:
            values = (values >= float(self.liked_at)).float()
        mse = float(((pred - values) ** 2).mean())
        return {"loss": mse, "rmse": math.sqrt(mse)}

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return values if self.binary else super()._clip(values)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "weights_")
        meta, tensors = self._recommender_state()
        meta.update(self._common_state())
        meta["levels_"] = self.levels_.tolist()
        tensors.update({f"weights.{k}": v for k, v in self._machine.params.items()})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._set_recommender_state(meta, tensors)
        self.levels_ = np.asarray(meta["levels_"], dtype=np.float64)
        self._machine = self._make_machine(None)
        for name, value in self._machine.params.items():
            saved = tensors[f"weights.{name}"]
            if saved.shape != value.shape:
                raise ValueError(
                    f"weights {name} have shape {tuple(saved.shape)}; expected {tuple(value.shape)}"
                )
            self._machine.params[name] = saved.float().to(value.device)
        self.weights_ = self._machine.params
        self._train_input = self._full.to(self._device())
