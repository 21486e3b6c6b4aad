"""The units of a restricted Boltzmann machine, and its contrastive-divergence statistics.

Everything here is batched tensor algebra on the weights ``W`` (``(n_visible, n_hidden)``),
the visible biases ``b`` (``(n_visible,)``) and the hidden biases ``c`` (``(n_hidden,)``);
no autograd. The estimators (:class:`~cortexkit.RBM`, the DBN, the DBM, the recommender's
RBM) share these functions.

Visible unit kinds
------------------
``"bernoulli"``
    Binary units in {0, 1}; the mean is ``sigmoid(h @ W.T + b)``.
``"gaussian"``
    Real units with unit variance (standardise the data first); the mean is
    ``h @ W.T + b``.
``"softmax"``
    K-way units (one of ``n_levels`` values, a rating level, say). Unit ``i`` takes the
    ``n_levels`` consecutive visible columns ``i*K .. i*K+K-1``, one-hot; its mean is a
    softmax over them. ``n_visible`` is ``n_units * n_levels``.

Masks
-----
A ``mask`` trains each row on a subset of its visible units (the items a user rated): an
unobserved visible unit neither drives the hidden units in the positive phase nor is
reconstructed into the negative statistics, and its weights and bias get no gradient from
that row (Salakhutdinov, Mnih & Hinton, 2007). A mask is ``(batch, n_visible)``, or for
softmax visibles ``(batch, n_units)`` (expanded over the levels); 1 = observed.

Examples
--------
CD-1 on two binary patterns; the statistics' ``dW`` is positive minus negative phase, the
ascent direction of the log-likelihood:

>>> import torch
>>> from cortexkit.boltzmann.units import cd_statistics, reconstruct
>>> g = torch.Generator().manual_seed(0)
>>> V = torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1]]).repeat(8, 1)  # (16, 4)
>>> W = 0.01 * torch.randn(4, 3, generator=g)
>>> b, c = torch.zeros(4), torch.zeros(3)
>>> before = float(((reconstruct(V, W, b, c) - V) ** 2).mean())
>>> for _ in range(300):
...     s = cd_statistics(V, W, b, c, gibbs_steps=1, generator=g)
...     W += 0.1 * s.dW
...     b += 0.1 * s.db
...     c += 0.1 * s.dc
>>> float(((reconstruct(V, W, b, c) - V) ** 2).mean()) < before / 2
True

Softmax visibles (two 3-level units) trained on a masked subset: only the first unit of
each row is observed, so the second unit's weights never move:

>>> V = torch.tensor([[1.0, 0, 0, 0, 0, 1]]).repeat(4, 1)  # levels (0, 2)
>>> mask = torch.tensor([[1.0, 0]]).repeat(4, 1)  # (batch, n_units)
>>> W = torch.zeros(6, 2)
>>> s = cd_statistics(V, W, torch.zeros(6), torch.zeros(2), kind="softmax", n_levels=3,
...                   mask=mask, generator=g)
>>> bool(s.dW[3:].abs().sum() == 0), bool(s.dW[:3].abs().sum() > 0)
(True, True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "VISIBLE_KINDS",
    "CDStatistics",
    "cd_statistics",
    "check_visible_kind",
    "expand_mask",
    "free_energy",
    "hidden_mean",
    "pseudo_likelihood",
    "random_visible",
    "reconstruct",
    "sample_bernoulli",
    "sample_visible",
    "sampling_generator",
    "softmax_last",
    "uniform",
    "visible_mean",
]

VISIBLE_KINDS = ("bernoulli", "gaussian", "softmax")


def check_visible_kind(kind: str, n_visible: int | None = None, n_levels: int = 2) -> None:
    """Raise a clear ``ValueError`` for an unknown kind, or for softmax visibles whose
    count is not a multiple of ``n_levels``.

    >>> check_visible_kind("softmax", 10, n_levels=5)
    >>> check_visible_kind("poisson")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: visible='poisson' is not a visible unit kind; expected one of 'bernoulli', ...
    """
    if kind not in VISIBLE_KINDS:
        valid = ", ".join(repr(k) for k in VISIBLE_KINDS)
        raise ValueError(f"visible={kind!r} is not a visible unit kind; expected one of {valid}")
    if kind == "softmax":
        if n_levels < 2:
            raise ValueError(f"n_levels must be >= 2 for softmax visibles, got {n_levels}")
        if n_visible is not None and n_visible % n_levels:
            raise ValueError(
                f"softmax visibles take n_levels={n_levels} columns per unit; "
                f"{n_visible} visible columns is not a multiple of {n_levels}"
            )


def sample_bernoulli(p: Tensor, generator: Generator | None = None) -> Tensor:
    """Binary states drawn with probabilities ``p`` (same shape and dtype).

    ``u < p`` with ``u`` uniform on [0, 1), written as 0.0 / 1.0 over the draws: one
    uniform draw and one pass, faster on the CPU than ``torch.bernoulli``, which draws each
    value on its own.

    >>> sample_bernoulli(torch.tensor([0.0, 1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    u = uniform(p, generator)
    return torch.lt(u, p, out=u)  # 1.0 where u < p: one pass, written over the draws


Generator = torch.Generator | np.random.Generator


def uniform(like: Tensor, generator: Generator | None = None) -> Tensor:
    """Uniform draws on [0, 1) of ``like``'s shape, dtype and device. ``generator`` is a
    torch generator (None: torch's global one), or, for CPU tensors, a NumPy generator:
    its PCG64 draws float32 uniforms faster than torch's Mersenne twister."""
    if isinstance(generator, np.random.Generator) and like.device.type == "cpu":
        kind = np.float32 if like.dtype == torch.float32 else np.float64
        return torch.from_numpy(generator.random(tuple(like.shape), dtype=kind)).to(like.dtype)
    if isinstance(generator, np.random.Generator):
        generator = None  # a GPU tensor: torch's own generator on that device
    return torch.rand(like.shape, generator=generator, dtype=like.dtype, device=like.device)


def sampling_generator(random_state: int | None, device: torch.device) -> torch.Generator:
    """A generator on ``device`` for drawing samples: seeded with ``random_state``, or from
    torch's global generator when None."""
    seed = random_state if random_state is not None else int(torch.randint(0, 2**31, (1,)))
    return torch.Generator(device=device).manual_seed(int(seed))


def random_visible(
    n: int,
    n_visible: int,
    kind: str,
    n_levels: int,
    generator: torch.Generator,
    device: torch.device,
) -> Tensor:
    """``n`` random visible states to start Gibbs chains from: fair coin flips, a uniform
    level per softmax unit, or standard normal values for Gaussian units."""
    if kind == "gaussian":
        return torch.randn(n, n_visible, generator=generator, device=device)
    p = 0.5 if kind == "bernoulli" else 1.0 / n_levels
    return sample_visible(torch.full((n, n_visible), p, device=device), kind, n_levels, generator)


def hidden_mean(v: Tensor, W: Tensor, c: Tensor) -> Tensor:
    """``P(h = 1 | v)``: ``sigmoid(v @ W + c)``, shape ``(batch, n_hidden)``."""
    return torch.sigmoid(torch.addmm(c, v, W))


def softmax_last(pre: Tensor) -> Tensor:
    """A softmax over the last dimension, for the few levels of softmax units.

    ``exp(x - max)`` normalised by its sum: the same values as ``torch.softmax(pre, -1)``,
    faster on the CPU when the last dimension is as short as a rating scale, where
    torch's kernel vectorises along that short dimension.

    >>> softmax_last(torch.tensor([[0.0, 0.0], [1000.0, 0.0]]))  # no overflow
    tensor([[0.5000, 0.5000],
            [1.0000, 0.0000]])
    """
    e = (pre - pre.amax(-1, keepdim=True)).exp_()
    return e.div_(e.sum(-1, keepdim=True))


def visible_mean(pre: Tensor, kind: str = "bernoulli", n_levels: int = 2) -> Tensor:
    """The visible units' mean given their input ``pre = h @ W.T + b``
    (``(batch, n_visible)``): a sigmoid, the identity, or a softmax over each unit's levels.

    >>> visible_mean(torch.zeros(1, 4), "softmax", n_levels=2)
    tensor([[0.5000, 0.5000, 0.5000, 0.5000]])
    """
    if kind == "bernoulli":
        return torch.sigmoid(pre)
    if kind == "gaussian":
        return pre
    if kind == "softmax":
        rows = pre.shape[0]
        return softmax_last(pre.reshape(rows, -1, n_levels)).reshape(rows, -1)
    check_visible_kind(kind)
    raise AssertionError  # unreachable


def sample_visible(
    mean: Tensor,
    kind: str = "bernoulli",
    n_levels: int = 2,
    generator: Generator | None = None,
) -> Tensor:
    """Visible states drawn around ``mean`` (from :func:`visible_mean`): binary, Gaussian
    with unit variance, or one level per softmax unit (one-hot over its columns)."""
    if kind == "bernoulli":
        return sample_bernoulli(mean, generator)
    if kind == "gaussian":
        if isinstance(generator, np.random.Generator) and mean.device.type == "cpu":
            draws = generator.standard_normal(tuple(mean.shape), dtype=np.float32)
            return mean + torch.from_numpy(draws).to(mean.dtype)
        torch_gen = generator if isinstance(generator, torch.Generator) else None
        noise = torch.randn(mean.shape, generator=torch_gen, device=mean.device, dtype=mean.dtype)
        return mean + noise
    if kind == "softmax":
        rows = mean.shape[0]
        p = mean.reshape(rows, -1, n_levels)  # (batch, units, levels)
        u = uniform(p[:, :, :1], generator)
        # the first level whose cumulative probability passes u (clamped: rounding)
        level = (p.cumsum(2) < u).sum(2, keepdim=True).clamp_(max=n_levels - 1)
        return torch.zeros_like(p).scatter_(2, level, 1.0).reshape(rows, -1)
    check_visible_kind(kind)
    raise AssertionError  # unreachable


def expand_mask(mask: Tensor | None, n_visible: int, kind: str, n_levels: int = 2) -> Tensor | None:
    """A mask of shape ``(batch, n_visible)`` in the weights' dtype: a softmax mask given per
    unit is repeated over the unit's levels.

    >>> expand_mask(torch.tensor([[1.0, 0]]), 4, "softmax", n_levels=2)
    tensor([[1., 1., 0., 0.]])
    """
    if mask is None:
        return None
    if mask.dim() != 2:
        raise ValueError(f"mask must be 2-d (batch, visible units), got shape {tuple(mask.shape)}")
    if kind == "softmax" and mask.shape[1] * n_levels == n_visible:
        mask = mask.repeat_interleave(n_levels, dim=1)
    if mask.shape[1] != n_visible:
        raise ValueError(
            f"mask has {mask.shape[1]} columns; expected {n_visible} (one per visible column)"
            + (f" or {n_visible // n_levels} (one per softmax unit)" if kind == "softmax" else "")
        )
    return mask


def free_energy(v: Tensor, W: Tensor, b: Tensor, c: Tensor, kind: str = "bernoulli") -> Tensor:
    """``F(v)``, with ``P(v) = exp(-F(v)) / Z``; shape ``(batch,)``.

    Bernoulli and softmax visibles: ``-v @ b - sum softplus(v @ W + c)``; Gaussian (unit
    variance): ``|v - b|^2 / 2 - sum softplus(v @ W + c)``. A masked row is scored on its
    observed units: pass ``v * mask``.
    """
    hidden_term = torch.nn.functional.softplus(torch.addmm(c, v, W)).sum(1)
    if kind == "gaussian":
        return 0.5 * ((v - b) ** 2).sum(1) - hidden_term
    return -(v @ b) - hidden_term


def reconstruct(
    v: Tensor, W: Tensor, b: Tensor, c: Tensor, kind: str = "bernoulli", n_levels: int = 2
) -> Tensor:
    """The mean-field reconstruction ``E[v' | P(h | v)]``: visible means from the hidden
    probabilities (what the reconstruction error compares with ``v``)."""
    return visible_mean(torch.addmm(b, hidden_mean(v, W, c), W.T), kind, n_levels)


def pseudo_likelihood(
    v: Tensor, W: Tensor, b: Tensor, c: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """A stochastic log pseudo-likelihood of binary rows, as scikit-learn's ``BernoulliRBM``
    scores them: flip one random unit per row, ``n_visible * log sigmoid(F(v~) - F(v))``.
    Shape ``(batch,)``."""
    rows, n_visible = v.shape
    j = torch.randint(0, n_visible, (rows, 1), generator=generator, device=v.device)
    flipped = v.clone()
    flipped.scatter_(1, j, 1.0 - v.gather(1, j))
    gap = free_energy(flipped, W, b, c) - free_energy(v, W, b, c)
    return -n_visible * torch.nn.functional.softplus(-gap)


@dataclass
class CDStatistics:
    """The positive and negative phase of one CD-k / PCD step, fused.

    ``visible`` stacks the data rows (masked) over the negative visibles (masked);
    ``pre`` is their hidden input ``visible @ W + c`` and ``signed_hidden`` their hidden
    probabilities scaled by ``+1/batch`` (data rows) and ``-1/chains`` (negative rows).
    So one matrix product gives the whole weight gradient, positive minus negative phase:
    ``dW = visible.T @ signed_hidden`` (what a trainer adds in place with ``addmm_``).
    ``chain`` is the hidden states to continue persistent chains from (None for CD-k).
    """

    visible: Tensor  # (batch + chains, n_visible)
    pre: Tensor  # (batch + chains, n_hidden)
    signed_hidden: Tensor  # (batch + chains, n_hidden)
    n_positive: int
    chain: Tensor | None  # (chains, n_hidden)
    signs: Tensor  # (batch + chains,): +1/batch for the data rows, -1/chains for the others

    @property
    def positive(self) -> Tensor:
        """The (masked) data rows: ``(batch, n_visible)``."""
        return self.visible[: self.n_positive]

    @property
    def negative(self) -> Tensor:
        """The (masked) negative visibles: ``(chains, n_visible)``."""
        return self.visible[self.n_positive :]

    @property
    def dW(self) -> Tensor:
        """Positive minus negative ``<v h^T>``, averaged over rows: ``(n_visible, n_hidden)``."""
        return self.visible.T @ self.signed_hidden

    @property
    def db(self) -> Tensor:
        """Positive minus negative mean visible states: ``(n_visible,)``."""
        return torch.mv(self.visible.T, self.signs)

    @property
    def dc(self) -> Tensor:
        """Positive minus negative mean hidden probabilities: ``(n_hidden,)``."""
        return self.signed_hidden.sum(0)


def cd_statistics(
    v: Tensor,
    W: Tensor,
    b: Tensor,
    c: Tensor,
    *,
    kind: str = "bernoulli",
    n_levels: int = 2,
    gibbs_steps: int = 1,
    mask: Tensor | None = None,
    chain: Tensor | None = None,
    sample_visibles: bool = True,
    generator: Generator | None = None,
    up: float = 1.0,
    down: float = 1.0,
) -> CDStatistics:
    """Contrastive-divergence statistics of a batch: CD-k, or PCD-k when ``chain`` is given.

    Parameters
    ----------
    v : Tensor
        ``(batch, n_visible)`` data (one-hot columns for softmax visibles).
    W, b, c : Tensor
        Weights ``(n_visible, n_hidden)``, visible and hidden biases.
    kind : {"bernoulli", "gaussian", "softmax"}
        The visible units.
    n_levels : int
        Levels per softmax unit.
    gibbs_steps : int
        Gibbs steps in the negative phase (the k of CD-k).
    mask : Tensor, optional
        Which visibles each row observes (see the module's docstring); the negative
        visibles are masked the same way, so with a mask the chain rows are the batch rows.
    chain : Tensor, optional
        ``(chains, n_hidden)`` binary hidden states of persistent chains (PCD): the
        negative phase starts from them instead of from the data's hidden sample.
    sample_visibles : bool
        Sample the negative visibles (as scikit-learn does) or use their means.
    generator : torch.Generator or numpy.random.Generator, optional
        The random source (torch's global one on the weights' device when None; a NumPy
        generator draws faster on the CPU, see :func:`uniform`).
    up, down : float
        Factors on the bottom-up (``v @ W``) and top-down (``h @ W.T``) inputs: 2 doubles
        them, as a DBM's greedy pretraining does for its bottom (``up=2``) and top
        (``down=2``) RBMs (Salakhutdinov & Hinton, 2009).

    Returns
    -------
    CDStatistics
        ``dW``, ``db``, ``dc`` (positive minus negative), and the chain to continue.
    """
    if gibbs_steps < 1:
        raise ValueError(f"gibbs_steps must be >= 1, got {gibbs_steps}")
    m = expand_mask(mask, W.shape[0], kind, n_levels)
    if m is not None:
        v = v * m
        if chain is not None and chain.shape[0] != v.shape[0]:
            raise ValueError(
                f"a masked batch of {v.shape[0]} rows needs as many persistent chains, "
                f"got {chain.shape[0]}"
            )
    n_pos = v.shape[0]
    # CD-k: the chain starts at the data's hidden sample; PCD: where it stopped last time
    h = sample_bernoulli(_hidden(v, W, c, up), generator) if chain is None else chain
    neg = h  # (set in the loop: gibbs_steps >= 1)
    for step in range(gibbs_steps):
        neg = visible_mean(torch.addmm(b, h, W.T, alpha=down), kind, n_levels)
        if sample_visibles:
            neg = sample_visible(neg, kind, n_levels, generator)
        if m is not None:
            neg = neg * m
        if step < gibbs_steps - 1:
            h = sample_bernoulli(_hidden(neg, W, c, up), generator)
    n_neg = neg.shape[0]
    # positive and negative phase in one product each: (batch + chains, ...)
    visible = torch.cat([v, neg])
    pre = torch.addmm(c, visible, W, alpha=up)
    hidden = torch.sigmoid(pre)
    new_chain = None if chain is None else sample_bernoulli(hidden[n_pos:], generator)
    signs = _signs(n_pos, n_neg, hidden.dtype, hidden.device)
    hidden.mul_(signs[:, None])
    return CDStatistics(visible, pre, hidden, n_pos, new_chain, signs)


@functools.lru_cache(maxsize=16)
def _signs(n_pos: int, n_neg: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``+1/n_pos`` (n_pos times) then ``-1/n_neg`` (n_neg times): the rows' weights in the
    fused statistics (cached: every batch of a fit has the same counts)."""
    return torch.cat([torch.full((n_pos,), 1.0 / n_pos, dtype=dtype, device=device),
                      torch.full((n_neg,), -1.0 / n_neg, dtype=dtype, device=device)])  # fmt: skip


def _hidden(v: Tensor, W: Tensor, c: Tensor, up: float) -> Tensor:
    return torch.sigmoid(torch.addmm(c, v, W, alpha=up))
