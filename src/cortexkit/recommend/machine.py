"""The training step of :class:`~cortexkit.recommend.boltzmann.BoltzmannRecommender`.

Contrastive divergence on the *observed* ratings only
-----------------------------------------------------
In the RBM of Salakhutdinov, Mnih & Hinton (2007) each case has a softmax unit only for the
ratings it holds; the others are absent from both phases. The shared core
(:func:`cortexkit.boltzmann.units.cd_statistics` with a mask) computes this densely: every
product runs over all ``n_units * K`` visible columns, and the mask then zeroes the absent
ones. On MovieLens-100K an item's batch row observes 59 of its 943 users on average (6%),
so 94% of that work is thrown away, and the softmax over ``(batch, units, K)`` alone took
a third of an epoch.

:func:`softmax_cd` does the same arithmetic on the observed (row, unit) pairs alone: the
hidden input of a row is the sum of the weight rows of its observed levels (a gather and an
``index_add``), the negative visibles are a softmax over the ``K`` levels of each observed
unit (``(ratings, K)``, not ``(batch, units, K)``), and ``dW`` is scattered back onto the
weight rows of the observed units. The cost is ``O(ratings x K x hidden)`` per batch
instead of ``O(batch x units x K x hidden)``. A test checks it against the dense core.

The step itself (:class:`BoltzmannStep`) adds momentum, weight decay, and the schedules of
the CD steps and the learning rate (see the estimator's ``k_final`` and ``lr_decay``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from cortexkit.boltzmann.units import (
    Generator,
    cd_statistics,
    expand_mask,
    hidden_mean,
    sample_bernoulli,
    sample_visible,
    softmax_last,
    uniform,
    visible_mean,
)
from cortexkit.recommend.sparse import RatingMatrix
from cortexkit.train.step import Step

if TYPE_CHECKING:
    from cortexkit.recommend.boltzmann import BoltzmannRecommender, _Machine

__all__ = ["BoltzmannStep", "softmax_cd"]


def softmax_cd(
    rows: Tensor,
    units: Tensor,
    levels: Tensor,
    n_rows: int,
    W: Tensor,
    b: Tensor,
    c: Tensor,
    *,
    n_levels: int,
    k: int = 1,
    sample_visibles: bool = True,
    generator: Generator | None = None,
) -> tuple[dict[str, Tensor], Tensor]:
    """CD-k statistics of softmax visibles, computed on the observed units only.

    The same statistics as ``cd_statistics(v, W, b, c, kind="softmax", mask=mask)`` for
    the dense one-hot ``v`` and ``mask`` of these ratings (and, drawn from the same
    generator, the same hidden sample), without touching an unobserved unit.

    Parameters
    ----------
    rows, units, levels : Tensor
        ``(ratings,)``: the batch row, the visible unit and the level index of each
        observed rating.
    n_rows : int
        Rows (cases) in the batch.
    W, b, c : Tensor
        Weights ``(n_units * n_levels, n_hidden)``, visible and hidden biases.
    n_levels : int
        Levels ``K`` per softmax unit.
    k : int
        Gibbs steps in the negative phase.
    sample_visibles : bool
        Sample the negative visibles, or use their probabilities (mean field).
    generator : torch.Generator or numpy.random.Generator, optional
        The random source.

    Returns
    -------
    grads : dict of str to Tensor
        ``W``, ``b``, ``c``: positive minus negative statistics, averaged over the rows.
    negative : Tensor
        ``(ratings, n_levels)``: the negative visibles of the observed units (one-hot, or
        probabilities when ``sample_visibles=False``).

    Examples
    --------
    >>> import torch
    >>> W, b, c = torch.zeros(6, 2), torch.zeros(6), torch.zeros(2)  # 2 units, 3 levels
    >>> grads, neg = softmax_cd(torch.tensor([0, 1]), torch.tensor([0, 1]),
    ...                         torch.tensor([2, 0]), 2, W, b, c, n_levels=3,
    ...                         sample_visibles=False)
    >>> neg
    tensor([[0.3333, 0.3333, 0.3333],
            [0.3333, 0.3333, 0.3333]])
    >>> grads["b"].tolist()  # (observed one-hot - 1/3) / 2 rows
    [-0.1666..., -0.1666..., 0.3333..., 0.3333..., -0.1666..., -0.1666...]
    """
    if k < 1:
        raise ValueError(f"k must be >= 1 Gibbs steps, got {k}")
    K, n_hidden = n_levels, W.shape[1]
    # each rating's unit's weight rows, one per level: (ratings, K, hidden)
    Wu = W.view(-1, K * n_hidden).index_select(0, units).view(-1, K, n_hidden)
    bu = b.view(-1, K)[units]  # (ratings, K)
    first_row = torch.arange(len(units), device=W.device) * K  # each rating's first row of Wu

    def hidden_input(contribution: Tensor) -> Tensor:  # (ratings, hidden) -> (rows, hidden)
        x = c.expand(n_rows, n_hidden).clone()
        return x.index_add_(0, rows, contribution)

    def weight_rows(chosen: Tensor) -> Tensor:  # one level per rating -> (ratings, hidden)
        return Wu.view(-1, n_hidden).index_select(0, first_row + chosen)

    positive = torch.sigmoid(hidden_input(weight_rows(levels)))  # (rows, hidden)
    h = sample_bernoulli(positive, generator)
    chosen, probs, x = levels, positive, positive  # (set in the loop: k >= 1)
    for step in range(k):
        pre = (Wu * h.index_select(0, rows).unsqueeze(1)).sum(2).add_(bu)  # (ratings, K)
        probs = softmax_last(pre)
        if sample_visibles:  # the first level whose cumulative probability passes u
            u = uniform(probs[:, :1], generator)
            chosen = (probs.cumsum(1) < u).sum(1).clamp_(max=K - 1)
            x = hidden_input(weight_rows(chosen))
        else:
            x = hidden_input((probs.unsqueeze(2) * Wu).sum(1))
        if step < k - 1:
            h = sample_bernoulli(torch.sigmoid(x), generator)
    negative = torch.sigmoid(x)  # (rows, hidden)
    neg = torch.zeros_like(probs).scatter_(1, chosen[:, None], 1.0) if sample_visibles else probs
    scale = 1.0 / n_rows
    dW = torch.zeros_like(W)
    dW.index_add_(0, units * K + levels, positive[rows], alpha=scale)
    db = torch.zeros_like(b)
    db.index_add_(0, units * K + levels, torch.full_like(levels, scale, dtype=b.dtype))
    if sample_visibles:
        at = units * K + chosen
        dW.index_add_(0, at, negative[rows], alpha=-scale)
        db.index_add_(0, at, torch.full_like(at, -scale, dtype=b.dtype))
    else:  # every level, weighted by its probability
        all_levels = (units[:, None] * K + torch.arange(K, device=W.device)).reshape(-1)
        spread = (neg.unsqueeze(2) * negative[rows].unsqueeze(1)).reshape(-1, n_hidden)
        dW.index_add_(0, all_levels, spread, alpha=-scale)
        db.index_add_(0, all_levels, neg.reshape(-1), alpha=-scale)
    dc = (positive - negative).mean(0)
    return {"W": dW, "b": db, "c": dc}, neg


class BoltzmannStep(Step):
    """One CD update of the shared weights on a batch of cases: momentum, weight decay,
    and the CD-step and learning-rate schedules."""

    def __init__(
        self,
        owner: BoltzmannRecommender,
        machine: _Machine,
        matrix: RatingMatrix,
        generator: torch.Generator,
    ) -> None:
        self.owner = owner
        self.machine = machine
        self.matrix = matrix
        self.generator = generator
        self.velocity = {k: torch.zeros_like(v) for k, v in machine.params.items()}
        self.epoch = 0  # epochs done: the schedules' clock

    # -- the schedules ------------------------------------------------------------------

    def _progress(self) -> float:
        """How far the schedules are: 0 at the first epoch (and in a one-epoch run), 1 at the
        last and after."""
        epochs = int(self.owner.epochs)
        return 0.0 if epochs <= 1 else min(self.epoch / (epochs - 1), 1.0)

    def cd_steps(self) -> int:
        """Gibbs steps this epoch: ``k`` rising linearly to ``k_final`` over the epochs."""
        start, final = int(self.owner.k), self.owner.k_final
        if final is None:
            return start
        return round(start + self._progress() * (int(final) - start))

    def learning_rate(self) -> float:
        """This epoch's rate: ``learning_rate``, or falling linearly (``lr_decay``) to
        ``learning_rate * lr_decay`` at the last epoch."""
        rate, decay = float(self.owner.learning_rate), self.owner.lr_decay
        if decay is None:
            return rate
        return rate * (1.0 - self._progress() * (1.0 - float(decay)))

    def end_epoch(self, monitored: float) -> None:
        self.epoch += 1

    def logs(self) -> dict[str, float]:
        return {"k": float(self.cd_steps()), "lr": self.learning_rate()}

    # -- one update ---------------------------------------------------------------------

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        o, m = self.owner, self.machine
        sub = self.matrix.select(batch[0])
        if m.deep or m.binary:
            v, mask = m.visible(sub, o.liked_at)
            grads, negative = self._dbm(v, mask) if m.deep else self._dense(v, mask)
            # the share of observed ratings whose reconstruction differs
            wrong = (v - negative).abs().sum() / (1.0 if m.binary else 2.0)
            wrong = wrong / mask.sum().clamp_min(1.0)
        else:
            grads, wrong = self._sparse(sub)
        lr, mom, wd = self.learning_rate(), float(o.momentum), float(o.weight_decay)
        for name, grad in grads.items():
            value = m.params[name]
            if name.startswith("W"):
                grad = grad.sub_(value, alpha=wd)
            self.velocity[name].mul_(mom).add_(grad, alpha=lr)
            value.add_(self.velocity[name])
        return wrong

    def _sparse(self, sub: RatingMatrix) -> tuple[dict[str, Tensor], Tensor]:
        m, p = self.machine, self.machine.params
        levels = m.encode(sub.values)
        grads, neg = softmax_cd(
            sub.row_of(),
            sub.indices,
            levels,
            sub.shape[0],
            p["W"],
            p["b"],
            p["c"],
            n_levels=m.K,
            k=self.cd_steps(),
            generator=self.generator,
        )
        wrong = (neg.argmax(1) != levels).float().mean() if len(levels) else torch.zeros(())
        return grads, wrong

    def _dense(self, v: Tensor, mask: Tensor) -> tuple[dict[str, Tensor], Tensor]:
        m, p = self.machine, self.machine.params
        s = cd_statistics(
            v,
            p["W"],
            p["b"],
            p["c"],
            kind=m.kind(),
            n_levels=max(m.K, 2),
            k=self.cd_steps(),
            mask=mask,
            generator=self.generator,
        )
        return {"W": s.dW, "b": s.db, "c": s.dc}, s.negative

    def _dbm(self, v: Tensor, mask: Tensor) -> tuple[dict[str, Tensor], Tensor]:
        m, p, g = self.machine, self.machine.params, self.generator
        kind, K = m.kind(), max(m.K, 2)
        full_mask = expand_mask(mask, v.shape[1], kind, K)
        assert full_mask is not None
        n = v.shape[0]
        mu1 = m.hidden(v)  # positive phase: mean field
        mu2 = torch.sigmoid(torch.addmm(p["c2"], mu1, p["W2"]))
        h1 = sample_bernoulli(mu1, g)  # negative phase: one Gibbs sweep
        for _ in range(self.cd_steps()):
            h2 = sample_bernoulli(torch.sigmoid(torch.addmm(p["c2"], h1, p["W2"])), g)
            neg = sample_visible(
                visible_mean(torch.addmm(p["b"], h1, p["W"].T), kind, K), kind, K, g
            )
            neg = neg * full_mask
            h1 = sample_bernoulli(hidden_mean(neg, p["W"], p["c"] + h2 @ p["W2"].T), g)
        n1 = hidden_mean(neg, p["W"], p["c"] + h2 @ p["W2"].T)
        n2 = torch.sigmoid(torch.addmm(p["c2"], n1, p["W2"]))
        grads = {
            "W": (v.T @ mu1 - neg.T @ n1) / n,
            "b": (v - neg).mean(0),
            "c": (mu1 - n1).mean(0),
            "W2": (mu1.T @ mu2 - n1.T @ n2) / n,
            "c2": (mu2 - n2).mean(0),
        }
        return grads, neg

    # -- what the loop keeps ------------------------------------------------------------

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        return self.owner._metric(*batch)["loss"]

    def state_dict(self) -> dict[str, Tensor]:
        return dict(self.machine.params)

    def load_state_dict(self, state: dict[str, Tensor]) -> Any:
        for k, v in state.items():
            self.machine.params[k] = v.detach().clone().to(self.machine.params[k].device)

    def working_state(self) -> dict[str, Any]:
        return {
            "velocity": {k: v.clone() for k, v in self.velocity.items()},
            "generator": self.generator.get_state(),
            "epoch": self.epoch,
        }

    def load_working_state(self, state: dict[str, Any]) -> None:
        self.velocity = {k: v.clone() for k, v in state["velocity"].items()}
        self.generator.set_state(state["generator"])
        self.epoch = int(state.get("epoch", 0))  # a checkpoint from before the schedules

    def flops(self, batch: tuple[Tensor, ...]) -> float:
        W = self.machine.params["W"]
        m = self.machine
        if m.deep or m.binary:
            return 2.0 * 6 * len(batch[0]) * W.shape[0] * W.shape[1]
        # multiply-adds per observed rating and hidden unit: K for its negative visible
        # and 1 for the hidden input in each Gibbs step, 3 for the positive phase and dW
        ratings = float(self.matrix.select(batch[0]).nnz)
        return 2.0 * ratings * W.shape[1] * ((m.K + 1) * self.cd_steps() + 3)
