"""Contrastive divergence on the *observed* ratings only, for softmax visible units.

In the RBM of Salakhutdinov, Mnih & Hinton (2007) each case has a softmax unit only for the
ratings it holds; the others are absent from both phases. The shared core
(:func:`cortexkit.boltzmann.units.cd_statistics` with a mask) computes this densely: every
product runs over all ``n_units * K`` visible columns, and the mask then zeroes the absent
ones. On MovieLens-100K an item's batch row observes 59 of its 943 users on average (6%), so
most of that work is thrown away.

:func:`softmax_cd` does the same arithmetic on the observed (row, unit) pairs alone: the
hidden input of a row is the sum of the weight rows of its observed levels (a gather and an
``index_add``), the negative visibles are a softmax over the ``K`` levels of each observed
unit (``(ratings, K)``, not ``(batch, units, K)``), and ``dW`` is scattered back onto the
weight rows of the observed units. The cost is ``O(ratings x K x hidden)`` per batch
instead of ``O(batch x units x K x hidden)``. A test checks it against the dense core.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cortexkit.boltzmann.units import Generator, sample_bernoulli, softmax_last, uniform

__all__ = ["softmax_cd"]


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
    gibbs_steps: int = 1,
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
    gibbs_steps : int
        Gibbs steps in the negative phase (the k of CD-k).
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
    if gibbs_steps < 1:
        raise ValueError(f"gibbs_steps must be >= 1, got {gibbs_steps}")
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
    chosen, probs, x = levels, positive, positive  # (set in the loop: gibbs_steps >= 1)
    for step in range(gibbs_steps):
        pre = (Wu * h.index_select(0, rows).unsqueeze(1)).sum(2).add_(bu)  # (ratings, K)
        probs = softmax_last(pre)
        if sample_visibles:  # the first level whose cumulative probability passes u
            u = uniform(probs[:, :1], generator)
            chosen = (probs.cumsum(1) < u).sum(1).clamp_(max=K - 1)
            x = hidden_input(weight_rows(chosen))
        else:
            x = hidden_input((probs.unsqueeze(2) * Wu).sum(1))
        if step < gibbs_steps - 1:
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
