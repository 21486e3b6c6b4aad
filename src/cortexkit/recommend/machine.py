"""The machine of :class:`~cortexkit.recommend.boltzmann.BoltzmannRecommender` and its step.

:class:`RatingMachine` holds the weights of the one- or two-hidden-layer machine and its
inference: the visible units of a batch of cases, the hidden posteriors (mean field for a
DBM, :func:`~cortexkit.boltzmann.inference.mean_field` with the mask of the observed
ratings), and the expected rating of (case, unit) pairs. :class:`BoltzmannStep` is its
update rule: contrastive divergence on the observed ratings
(:func:`~cortexkit.recommend.softmax_cd.softmax_cd` for the RBM's softmax units; the dense
masked core for binary units and the DBM), the shared momentum and weight-decay update, and
the schedules of the Gibbs steps and the learning rate (``gibbs_steps_final``,
``lr_schedule``), which the step reads from the settings the loop hands it in
:meth:`~cortexkit.train.Step.begin`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from cortexkit.boltzmann.inference import mean_field, recognition
from cortexkit.boltzmann.units import (
    cd_statistics,
    expand_mask,
    hidden_mean,
    sample_bernoulli,
    sample_visible,
    softmax_last,
    visible_mean,
)
from cortexkit.boltzmann.update import momentum_update
from cortexkit.recommend.softmax_cd import softmax_cd
from cortexkit.recommend.sparse import RatingMatrix
from cortexkit.train.distributed import all_reduce_mean
from cortexkit.train.step import Run, Step

__all__ = ["LR_FLOOR", "BoltzmannStep", "RatingMachine", "rating_error"]

MEAN_FIELD_STEPS = 5  # sweeps of the DBM's two hidden layers
PAIR_CHUNK = 16384
# the per-epoch training RMSE is measured on this many ratings of the sampled cases
METRIC_RATINGS = 4096
# initial weights N(0, 0.1^2): from Hinton's N(0, 0.01^2) the hidden units stay alike for
# many epochs (a plateau seen on MovieLens and on generated ratings); 0.1 breaks it at once
INIT_STD = 0.1
LR_FLOOR = 0.1  # lr_schedule="linear" ends at this share of learning_rate


class RatingMachine:
    """The weights and the inference of the (one- or two-layer) machine; no update rule.

    ``weights`` and ``biases`` are lists from the visible side, as a
    :class:`~cortexkit.DBM`'s: ``weights[0]`` joins the visible units (``n_units * K``
    columns, K levels per unit; one per unit when ``binary``) to the first hidden layer,
    ``weights[1]`` (a DBM) the first hidden layer to the second; ``biases[0]`` is the
    visible units'.
    """

    def __init__(
        self,
        n_units: int,
        levels: Tensor,
        hidden_layers: Sequence[int],
        *,
        binary: bool,
        liked_at: float,
        generator: torch.Generator | None,
        device: torch.device,
    ) -> None:
        self.binary = binary
        self.liked_at = float(liked_at)
        self.levels = levels.to(device)
        self.K = 1 if binary else len(levels)
        dims = [n_units * self.K, *hidden_layers]
        # random weights (INIT_STD), zero hidden biases; the visible biases are set from the
        # data's level frequencies in ``init_visible_bias``
        self.weights = [
            INIT_STD * torch.randn(a, b, generator=generator).to(device)
            for a, b in itertools.pairwise(dims)
        ]
        self.biases = [torch.zeros(d, device=device) for d in dims]

    @property
    def deep(self) -> bool:
        return len(self.weights) > 1

    @property
    def kind(self) -> str:
        return "bernoulli" if self.binary else "softmax"

    def init_visible_bias(self, matrix: RatingMatrix) -> None:
        """``b = log p`` of each unit's level frequencies (add-one smoothed; binary: the
        log-odds of a like), so that a model with no weights predicts each unit's own
        rating distribution."""
        units, values = matrix.shape[1], matrix.values
        if self.binary:
            liked = (values >= self.liked_at).float()
            liked = torch.bincount(matrix.indices, liked, minlength=units)
            total = torch.bincount(matrix.indices, minlength=units).to(values.dtype)
            self.biases[0] = torch.logit((liked + 1) / (total + 2))
            return
        counts = torch.ones(units, self.K, device=values.device)
        counts.index_put_(
            (matrix.indices, self.encode(values)), torch.ones_like(values), accumulate=True
        )
        self.biases[0] = (counts / counts.sum(1, keepdim=True)).log().reshape(-1)

    def encode(self, values: Tensor) -> Tensor:
        """Each rating's level index (binary: 0 = liked, the visible unit's "on" state)."""
        if self.binary:
            return torch.zeros_like(values, dtype=torch.long)
        return torch.searchsorted(self.levels, values.contiguous()).clamp_(max=self.K - 1)

    def visible(self, sub: RatingMatrix) -> tuple[Tensor, Tensor]:
        """Dense ``(v, mask)`` of a batch: one-hot levels ``(rows, units * K)`` (binary: 1
        where liked) and the observed units ``(rows, units)``."""
        rows, units = sub.shape
        r = sub.row_of()
        v = torch.zeros(rows, units * self.K, device=sub.values.device)
        mask = torch.zeros(rows, units, device=sub.values.device)
        mask[r, sub.indices] = 1.0
        if self.binary:
            v[r, sub.indices] = (sub.values >= self.liked_at).float()
        else:
            v[r, sub.indices * self.K + self.encode(sub.values)] = 1.0
        return v, mask

    def full_mask(self, mask: Tensor) -> Tensor:
        """A per-unit mask ``(rows, units)`` spread over the units' visible columns."""
        full = expand_mask(mask, self.weights[0].shape[0], self.kind, max(self.K, 2))
        assert full is not None
        return full

    def posteriors(self, v: Tensor, mask: Tensor) -> list[Tensor]:
        """The hidden layers' probabilities given the observed visibles: the RBM's exact
        ``P(h | v)``; a DBM's mean field, from a bottom-up first guess."""
        W, b = self.weights, self.biases
        if not self.deep:
            return [hidden_mean(v * self.full_mask(mask), W[0], b[1])]
        full = self.full_mask(mask)
        start = recognition(v * full, W, b, double=False)
        mu, _ = mean_field(v, W, b, steps=MEAN_FIELD_STEPS, start=start, mask=full)
        return mu

    def predict_pairs(self, v: Tensor, mask: Tensor, where: Tensor, others: Tensor) -> Tensor:
        """Expected rating (binary: P(liked)) of unit ``others[p]`` of case ``where[p]``,
        given the cases' observed visibles ``v`` and ``mask``.

        The hidden units are summed out exactly (Salakhutdinov et al., eq. 6):
        ``log P(v_q = k | V) = b_qk + sum_f softplus(x_f + W_qkf) + const``, with ``x`` the
        first hidden layer's input from the observed ratings (for a DBM, plus the top
        layer's mean-field feedback). A binary unit compares "liked" with "not liked",
        whose term is ``sum_f softplus(x_f)``.
        """
        K, W, b = self.K, self.weights, self.biases
        x = torch.addmm(b[1], v * self.full_mask(mask), W[0])  # (cases, hidden)
        if self.deep:
            top = self.posteriors(v, mask)[1]
            x = x + top @ W[1].T
        out = torch.empty(len(where), device=v.device)
        n_hidden = x.shape[1]
        by_unit = W[0].view(-1, K * n_hidden)  # (units, K * hidden)
        softplus = torch.nn.functional.softplus
        for s in range(0, len(where), PAIR_CHUNK):
            part = slice(s, s + PAIR_CHUNK)
            xp = x.index_select(0, where[part])  # (pairs, hidden)
            pre = by_unit.index_select(0, others[part]).view(-1, K, n_hidden)  # (pairs, K, hidden)
            logits = softplus(pre.add_(xp.unsqueeze(1))).sum(2)  # (pairs, K)
            if self.binary:
                logits = logits - softplus(xp).sum(1, keepdim=True)
            logits = logits + b[0].view(-1, K).index_select(0, others[part])
            if self.binary:
                out[part] = torch.sigmoid(logits[:, 0])
            else:
                out[part] = softmax_last(logits) @ self.levels.to(logits.dtype)
        return out

    def predict_from(self, matrix: RatingMatrix, cases: Tensor, others: Tensor) -> Tensor:
        """Predictions for (case, other) pairs, each case's input read from ``matrix``."""
        unique, where = torch.unique(cases, return_inverse=True)
        v, mask = self.visible(matrix.select(unique))
        return self.predict_pairs(v, mask, where, others)


@torch.no_grad()
def rating_error(
    machine: RatingMachine, matrix: RatingMatrix, batch: tuple[Tensor, ...]
) -> dict[str, float]:
    """The squared error (``loss``) and RMSE of the expected rating (binary: of P(liked)
    against liked) on held-out ratings ``(rows, cols, values)``, or on a batch of training
    cases' own ratings (at most ``METRIC_RATINGS`` of them, evenly spaced), each predicted
    from the cases' ratings in ``matrix``."""
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
    pred = machine.predict_from(matrix, rows, cols)
    if machine.binary:
        values = (values >= machine.liked_at).float()
    mse = float(((pred - values) ** 2).mean())
    return {"loss": mse, "rmse": math.sqrt(mse)}


class BoltzmannStep(Step):
    """One CD update of the shared weights on a batch of cases: the momentum and
    weight-decay update, and the Gibbs-step and learning-rate schedules.

    :meth:`begin` hands it the settings (``gibbs_steps`` at the first epoch,
    ``gibbs_steps_final`` at the last or None, ``learning_rate``, ``lr_schedule``:
    ``"linear"`` or None, ``momentum``, ``weight_decay``) and the run's planned length and
    progress, the schedules' clock (``partial_fit`` calls follow the same schedule, an epoch
    each, and stay at its end).
    """

    def __init__(self, machine: RatingMachine, matrix: RatingMatrix, generator: torch.Generator):
        self.machine = machine
        self.matrix = matrix
        self.generator = generator
        self.parameters = [*machine.weights, *machine.biases]
        self.velocity = [torch.zeros_like(p) for p in self.parameters]
        self.settings: dict[str, Any] = {
            "gibbs_steps": 1, "gibbs_steps_final": None, "learning_rate": 0.05,
            "lr_schedule": None, "momentum": 0.0, "weight_decay": 0.0,
        }  # fmt: skip
        self.epochs = 1  # the schedules' length
        self.epoch = 0  # epochs done: the schedules' clock

    def begin(self, run: Run) -> None:
        self.settings = {key: run.settings[key] for key in self.settings}
        self.epochs, self.epoch = run.epochs, run.epochs_done

    # -- the schedules ------------------------------------------------------------------

    def _progress(self) -> float:
        """How far the schedules are: 0 at the first epoch (and in a one-epoch run), 1 at the
        last and after."""
        epochs = self.epochs
        return 0.0 if epochs <= 1 else min(self.epoch / (epochs - 1), 1.0)

    def gibbs_steps(self) -> int:
        """Gibbs steps this epoch: ``gibbs_steps`` rising linearly (rounded) to
        ``gibbs_steps_final`` over the epochs."""
        start, final = int(self.settings["gibbs_steps"]), self.settings["gibbs_steps_final"]
        if final is None:
            return start
        return round(start + self._progress() * (int(final) - start))

    def learning_rate(self) -> float:
        """This epoch's rate: ``learning_rate``, or (``lr_schedule="linear"``) falling
        linearly to ``LR_FLOOR * learning_rate`` at the last epoch."""
        rate = float(self.settings["learning_rate"])
        if self.settings["lr_schedule"] is None:
            return rate
        return rate * (1.0 - self._progress() * (1.0 - LR_FLOOR))

    def end_epoch(self, monitored: float) -> None:
        self.epoch += 1

    def logs(self) -> dict[str, float]:
        return {"gibbs_steps": float(self.gibbs_steps()), "learning_rate": self.learning_rate()}

    # -- one update ---------------------------------------------------------------------

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        m = self.machine
        sub = self.matrix.select(batch[0])
        if m.deep or m.binary:
            v, mask = m.visible(sub)
            grads, negative = self._dbm(v, mask) if m.deep else self._dense(v, mask)
            # the share of observed ratings whose reconstruction differs
            wrong = (v - negative).abs().sum() / (1.0 if m.binary else 2.0)
            wrong = wrong / mask.sum().clamp_min(1.0)
        else:
            grads, wrong = self._sparse(sub)
        all_reduce_mean(*grads)  # the batch's statistics over every process's share
        n_weights = len(m.weights)
        rate, s = self.learning_rate(), self.settings
        for i, (p, g, vel) in enumerate(zip(self.parameters, grads, self.velocity, strict=True)):
            decay = float(s["weight_decay"]) if i < n_weights else 0.0  # not the biases
            momentum_update(p, g, vel, learning_rate=rate, momentum=float(s["momentum"]),
                            weight_decay=decay)  # fmt: skip
        return wrong

    def _sparse(self, sub: RatingMatrix) -> tuple[list[Tensor], Tensor]:
        m = self.machine
        (W,), (b, c) = m.weights, m.biases
        levels = m.encode(sub.values)
        grads, neg = softmax_cd(sub.row_of(), sub.indices, levels, sub.shape[0], W, b, c,
                                n_levels=m.K, gibbs_steps=self.gibbs_steps(),
                                generator=self.generator)  # fmt: skip
        wrong = (neg.argmax(1) != levels).float().mean() if len(levels) else torch.zeros(())
        return [grads["W"], grads["b"], grads["c"]], wrong

    def _dense(self, v: Tensor, mask: Tensor) -> tuple[list[Tensor], Tensor]:
        m = self.machine
        (W,), (b, c) = m.weights, m.biases
        s = cd_statistics(v, W, b, c, kind=m.kind, n_levels=max(m.K, 2),
                          gibbs_steps=self.gibbs_steps(), mask=mask,
                          generator=self.generator)  # fmt: skip
        return [s.dW, s.db, s.dc], s.negative

    def _dbm(self, v: Tensor, mask: Tensor) -> tuple[list[Tensor], Tensor]:
        m, g = self.machine, self.generator
        (W, W2), (b, c, c2) = m.weights, m.biases
        kind, K = m.kind, max(m.K, 2)
        full_mask = m.full_mask(mask)
        n = v.shape[0]
        mu1, mu2 = m.posteriors(v, mask)  # positive phase: mean field
        h1 = sample_bernoulli(mu1, g)  # negative phase: Gibbs sweeps
        for _ in range(self.gibbs_steps()):
            h2 = sample_bernoulli(torch.sigmoid(torch.addmm(c2, h1, W2)), g)
            neg = sample_visible(visible_mean(torch.addmm(b, h1, W.T), kind, K), kind, K, g)
            neg = neg * full_mask
            h1 = sample_bernoulli(hidden_mean(neg, W, c + h2 @ W2.T), g)
        n1 = hidden_mean(neg, W, c + h2 @ W2.T)
        n2 = torch.sigmoid(torch.addmm(c2, n1, W2))
        grads = [
            (v.T @ mu1 - neg.T @ n1) / n,
            (mu1.T @ mu2 - n1.T @ n2) / n,
            (v - neg).mean(0),
            (mu1 - n1).mean(0),
            (mu2 - n2).mean(0),
        ]
        return grads, neg

    # -- what the loop keeps ------------------------------------------------------------

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        return rating_error(self.machine, self.matrix, batch)["loss"]

    def state_dict(self) -> dict[str, Tensor]:
        return {f"p{i}": p.clone() for i, p in enumerate(self.parameters)}

    def load_state_dict(self, state: dict[str, Tensor]) -> Any:
        for i, p in enumerate(self.parameters):
            p.copy_(state[f"p{i}"])

    def working_state(self) -> dict[str, Any]:
        return {
            "velocity": [v.clone() for v in self.velocity],
            "generator": self.generator.get_state(),
        }

    def load_working_state(self, state: dict[str, Any]) -> None:
        device = self.parameters[0].device
        self.velocity = [v.to(device) for v in state["velocity"]]
        self.generator.set_state(state["generator"])

    def flops(self, batch: tuple[Tensor, ...]) -> float:
        m = self.machine
        W = m.weights[0]
        if m.deep or m.binary:
            return 2.0 * 6 * len(batch[0]) * W.shape[0] * W.shape[1]
        # multiply-adds per observed rating and hidden unit: K for its negative visible
        # and 1 for the hidden input in each Gibbs step, 3 for the positive phase and dW
        ratings = float(self.matrix.select(batch[0]).nnz)
        return 2.0 * ratings * W.shape[1] * ((m.K + 1) * self.gibbs_steps() + 3)
