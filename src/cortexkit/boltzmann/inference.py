"""Inference in a deep Boltzmann machine with binary hidden units: mean-field posteriors (the
one implementation the DBM and the recommender's DBM share), Gibbs sweeps, the variational
free energy, and annealed importance sampling of ``log Z``.

Layer 0 is the visible layer; layer ``l`` (1..L) is a hidden layer. ``weights[l - 1]`` joins
layer ``l - 1`` to layer ``l`` (``(n_{l-1}, n_l)``) and ``biases[l]`` is layer ``l``'s bias,
so the energy is ``E = -sum_l s_l . biases[l] - sum_l s_{l-1} @ weights[l-1] @ s_l``. With
``visible="gaussian"`` the visible units are real with unit variance: their bias term
``-v . biases[0]`` becomes ``|v - biases[0]|^2 / 2``.

Examples
--------
>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> weights = [0.1 * torch.randn(6, 4, generator=g), 0.1 * torch.randn(4, 3, generator=g)]
>>> biases = [torch.zeros(6), torch.zeros(4), torch.zeros(3)]
>>> v = torch.bernoulli(torch.full((5, 6), 0.5), generator=g)
>>> mu, steps = mean_field(v, weights, biases, steps=100, tol=1e-6)
>>> [m.shape[1] for m in mu], steps < 100
([4, 3], True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor

from cortexkit.boltzmann.units import sample_bernoulli
from cortexkit.io.device import cpu_settings

__all__ = [
    "ais_log_partition",
    "gibbs_sweep",
    "layer_input",
    "mean_field",
    "random_states",
    "recognition",
    "run_chains",
    "variational_free_energy",
]


def random_states(
    n: int,
    sizes: Sequence[int],
    visible: str = "bernoulli",
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
) -> list[Tensor]:
    """``n`` random states of every layer (``sizes``, visible first) to start Gibbs chains
    from: fair coin flips, and standard normal values for Gaussian visibles."""
    states = [torch.bernoulli(torch.full((n, size), 0.5, device=device), generator=generator)
              for size in sizes]  # fmt: skip
    if visible == "gaussian":
        states[0] = torch.randn(states[0].shape, generator=generator, device=device)
    return states


def layer_input(
    states: Sequence[Tensor], weights: Sequence[Tensor], biases: Sequence[Tensor], layer: int
) -> Tensor:
    """The total input to ``layer`` from its neighbours' ``states`` (all layers, 0 first)."""
    total = biases[layer]
    if layer > 0:
        total = torch.addmm(total, states[layer - 1], weights[layer - 1])
    if layer < len(weights):
        total = torch.addmm(total, states[layer + 1], weights[layer].T)
    return total


def recognition(
    v: Tensor, weights: Sequence[Tensor], biases: Sequence[Tensor], *, double: bool = True
) -> list[Tensor]:
    """A bottom-up first guess of the hidden posteriors: each hidden layer from the one
    below. With ``double`` (as in the greedy pretraining) a layer's input is doubled where
    the layer above would add its own (every layer but the top)."""
    mu: list[Tensor] = []
    below = v
    for i, W in enumerate(weights):
        factor = 2.0 if double and i < len(weights) - 1 else 1.0
        below = torch.sigmoid(torch.addmm(biases[i + 1], below, W, alpha=factor))
        mu.append(below)
    return mu


def mean_field(
    v: Tensor,
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    *,
    steps: int = 10,
    tol: float = 0.0,
    start: Sequence[Tensor] | None = None,
    mask: Tensor | None = None,
) -> tuple[list[Tensor], int]:
    """The factorised posterior ``q(h | v)`` that maximises the variational lower bound.

    Fixed-point updates ``mu_l = sigmoid(input from mu_{l-1} and mu_{l+1})``, layer by layer
    in turn (bottom first), from ``start`` (default :func:`recognition`), for at most
    ``steps`` sweeps or until no unit moves by more than ``tol``.

    Parameters
    ----------
    v : Tensor
        ``(batch, n_visible)`` visible states (clamped).
    weights, biases : sequence of Tensor
        The DBM's weights and biases (the visible layer's first).
    steps : int, default=10
        The most sweeps.
    tol : float, default=0.0
        Stop when no unit moves by more than this (0: run every sweep).
    start : sequence of Tensor, optional
        The hidden layers' first guess.
    mask : Tensor, optional
        ``(batch, n_visible)``, 1 where a visible unit is observed: an unobserved unit does
        not drive the first hidden layer (a user's unrated items, in the recommender).

    Returns
    -------
    mu : list of Tensor
        The hidden layers' means, bottom first.
    sweeps : int
        The sweeps run.
    """
    if mask is not None:
        v = v * mask
    mu = list(recognition(v, weights, biases) if start is None else start)
    L = len(weights)
    done = 0
    for done in range(1, steps + 1):  # noqa: B007 (the count is returned)
        change = 0.0
        for layer in range(1, L + 1):
            new = torch.sigmoid(layer_input([v, *mu], weights, biases, layer))
            if tol:
                change = max(change, float((new - mu[layer - 1]).abs().max()))
            mu[layer - 1] = new
        if tol and change < tol:
            break
    return mu, done


def gibbs_sweep(
    states: list[Tensor],
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    generator: torch.Generator | None = None,
    visible: str = "bernoulli",
) -> list[Tensor]:
    """One Gibbs sweep of every layer's binary ``states`` (visible first): the even layers
    given the odd ones, then the odd layers given the even ones (each half is conditionally
    independent). Returns the new states."""
    states = list(states)
    for parity in (0, 1):
        for layer in range(parity, len(states), 2):
            total = layer_input(states, weights, biases, layer)
            if layer == 0 and visible == "gaussian":
                noise = torch.randn(total.shape, generator=generator, device=total.device,
                                    dtype=total.dtype)  # fmt: skip
                states[0] = total + noise
            else:
                states[layer] = sample_bernoulli(torch.sigmoid(total), generator)
    return states


@torch.no_grad()
def run_chains(
    n: int,
    steps: int,
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    visible: str,
    generator: torch.Generator,
) -> list[Tensor]:
    """``n`` Gibbs chains of a DBM run for ``steps`` sweeps from random states: each
    layer's final states, visible first."""
    device = weights[0].device
    states = random_states(n, [len(b) for b in biases], visible, generator, device)
    with cpu_settings(None, device):  # sigmoid-heavy: flush denormals
        for _ in range(steps):
            states = gibbs_sweep(states, weights, biases, generator, visible)
    return states


def variational_free_energy(
    v: Tensor,
    mu: Sequence[Tensor],
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    visible: str = "bernoulli",
) -> Tensor:
    """``E_q[E(v, h)] - H(q)`` per row: ``-log p(v) - log Z`` is at most this (so
    ``-this - log Z`` is a lower bound on ``log p(v)``). Shape ``(batch,)``."""
    states = [v, *mu]
    if visible == "gaussian":
        energy = 0.5 * ((v - biases[0]) ** 2).sum(1)
    else:
        energy = -(v @ biases[0])
    for layer in range(1, len(states)):
        m = states[layer]
        energy = energy - m @ biases[layer] - ((states[layer - 1] @ weights[layer - 1]) * m).sum(1)
    entropy = torch.zeros_like(energy)
    for m in mu:
        p = m.clamp(1e-7, 1 - 1e-7)
        entropy = entropy - (p * p.log() + (1 - p) * (1 - p).log()).sum(1)
    return energy - entropy


def _odd_marginal(
    odd: dict[int, Tensor],
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    beta: float,
    visible: str = "bernoulli",
) -> Tensor:
    """``log p*_beta`` of the odd layers' states with the even layers summed out, for the
    model whose weights and biases are scaled by ``beta`` (Gaussian visibles keep their
    unit-variance ``|v|^2 / 2`` unscaled: ``v ~ N(beta * input, 1)``)."""
    n_layers = len(weights) + 1
    some = next(iter(odd.values()))
    total = torch.zeros(some.shape[0], dtype=some.dtype, device=some.device)
    for layer in range(n_layers):
        if layer % 2:
            total = total + beta * (odd[layer] @ biases[layer])
            continue
        inp = biases[layer].expand(some.shape[0], -1)
        if layer > 0:
            inp = torch.addmm(inp, odd[layer - 1], weights[layer - 1])
        if layer < len(weights):
            inp = torch.addmm(inp, odd[layer + 1], weights[layer].T)
        if layer == 0 and visible == "gaussian":
            # log of the integral over v of exp(-|v|^2/2 + beta v.inp), less the bias's own
            # constant |b|^2/2 (scaled with beta so that beta = 1 is the model)
            gauss = 0.5 * (beta * inp).pow(2).sum(1) - 0.5 * beta * biases[0].pow(2).sum()
            total = total + gauss
            continue
        total = total + torch.nn.functional.softplus(beta * inp).sum(1)
    return total


@torch.no_grad()
def ais_log_partition(
    weights: Sequence[Tensor],
    biases: Sequence[Tensor],
    *,
    n_runs: int = 100,
    n_betas: int = 1000,
    generator: torch.Generator | None = None,
    visible: str = "bernoulli",
) -> tuple[float, float]:
    """An annealed-importance-sampling estimate of ``log Z`` (Salakhutdinov & Murray, 2008;
    for DBMs, Salakhutdinov & Hinton, 2009), and its standard error (in log units, from the
    spread of the importance weights).

    The chain anneals from the model with every parameter zero (uniform, ``log Z_0 = n
    log 2``) to the model, through the models with parameters times ``beta``. The even layers
    (the visibles among them) are summed out analytically, so each importance weight needs
    only the odd layers' states; each transition is one Gibbs sweep at the new ``beta``.

    >>> import torch
    >>> w = [torch.zeros(3, 2)]
    >>> b = [torch.zeros(3), torch.zeros(2)]
    >>> log_z, _ = ais_log_partition(w, b, n_runs=10, n_betas=10)
    >>> round(log_z, 4) == round(5 * math.log(2), 4)
    True
    """
    dtype = torch.float64  # the weights' log-sum over many temperatures needs the precision
    W = [w.to(dtype) for w in weights]
    B = [b.to(dtype) for b in biases]
    device = W[0].device
    sizes = [len(b) for b in B]
    states = [
        torch.bernoulli(
            torch.full((n_runs, n), 0.5, dtype=dtype, device=device), generator=generator
        )
        for n in sizes
    ]
    log_w = torch.zeros(n_runs, dtype=dtype, device=device)
    betas = torch.linspace(0.0, 1.0, n_betas + 1).tolist()
    for prev, beta in itertools.pairwise(betas):
        odd = {layer: states[layer] for layer in range(1, len(sizes), 2)}
        log_w += _odd_marginal(odd, W, B, beta, visible) - _odd_marginal(odd, W, B, prev, visible)
        scaled_w = [beta * w for w in W]
        scaled_b = [beta * b for b in B]
        states = gibbs_sweep(states, scaled_w, scaled_b, generator, visible)
    log_z0 = sum(sizes) * math.log(2.0)
    if visible == "gaussian":
        log_z0 += sizes[0] * (0.5 * math.log(2 * math.pi) - math.log(2.0))
    log_mean = float(torch.logsumexp(log_w, 0)) - math.log(n_runs)
    # the standard error of the mean weight, relative to it: the log estimate's error
    w = torch.exp(log_w - log_w.max())
    rel = float(w.std() / (w.mean() * math.sqrt(n_runs))) if n_runs > 1 else math.inf
    return log_z0 + log_mean, rel
