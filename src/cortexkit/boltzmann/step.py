"""The update rules of the RBM and the DBM: the family's own :class:`~cortexkit.train.Step`
objects, batched tensor algebra without autograd.

- :class:`CDStep`: one CD-k / PCD-k update of an RBM, the statistics of
  :func:`~cortexkit.boltzmann.units.cd_statistics` (the positive and negative phases fused
  into one matrix product each);
- :class:`DBMStep`: one joint update of a DBM, mean-field posteriors of the batch (the
  positive phase) against persistent Gibbs chains (the negative phase).

Both move the weights by :func:`~cortexkit.boltzmann.update.momentum_update`. The settings
(Gibbs steps, learning rate, momentum, weight decay...) come from the estimator's parameters
as frozen at fit, handed over by the loop in :meth:`~cortexkit.train.Step.begin`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit.boltzmann.inference import gibbs_sweep, mean_field, variational_free_energy
from cortexkit.boltzmann.units import cd_statistics, free_energy, pseudo_likelihood, reconstruct
from cortexkit.boltzmann.update import momentum_update
from cortexkit.train.distributed import all_reduce_mean, is_distributed
from cortexkit.train.objective import chunks
from cortexkit.train.step import Run, Step

__all__ = ["CDStep", "DBMStep", "free_energy_from", "rbm_metrics"]

PARAMETER_NAMES = ("weights", "visible_bias", "hidden_bias")


class CDStep(Step):
    """One CD-k / PCD-k update of an RBM's weights on a batch.

    ``loss`` is the batch's mean free energy (of the data, before the update): it needs no
    sampling, so a validation set is scored the same way. The negative phase takes the
    visible units' probabilities, not samples of them (Hinton's practical guide, 3.2): less
    noise in the statistics and one draw less per step, and on MNIST a higher
    pseudo-likelihood than sampled visibles (``bench/boltzmann.py``). Without momentum the
    weight update is added straight into the weights (``addmm_``), with no gradient tensor.

    Parameters
    ----------
    weights, visible_bias, hidden_bias : Tensor
        ``(n_visible, n_hidden)``, ``(n_visible,)``, ``(n_hidden,)``: updated in place.
    kind : {"bernoulli", "gaussian", "softmax"}
        The visible units.
    n_levels : int
        Levels per softmax unit.
    up, down : float
        Factors on the bottom-up and top-down inputs (a DBM's greedy pretraining doubles
        them; see :func:`~cortexkit.boltzmann.units.cd_statistics`).

    The settings come from :meth:`begin`: ``gibbs_steps``, ``persistent``,
    ``learning_rate``, ``momentum`` and ``weight_decay``; the persistent chains are one per
    row of a batch (``batch_size``, or every training row for whole-set batches).
    """

    def __init__(
        self,
        weights: Tensor,
        visible_bias: Tensor,
        hidden_bias: Tensor,
        *,
        kind: str = "bernoulli",
        n_levels: int = 2,
        up: float = 1.0,
        down: float = 1.0,
    ) -> None:
        self.parameters = [weights, visible_bias, hidden_bias]
        self.kind = kind
        self.n_levels = n_levels
        self.up, self.down = up, down
        self.gibbs_steps = 1
        self.persistent = False
        self.learning_rate = 0.1
        self.momentum = 0.0
        self.weight_decay = 0.0
        self.chain: Tensor | None = None
        self.velocity: list[Tensor] | None = None
        # on the CPU, NumPy's PCG64 draws the uniforms (see units.uniform), seeded from
        # torch's global generator, which the fit seeds from random_state
        self.rng = (
            np.random.default_rng(int(torch.randint(0, 2**63 - 1, (1,))))
            if weights.device.type == "cpu"
            else None
        )

    def begin(self, run: Run) -> None:
        s = run.settings
        self.gibbs_steps = int(s["gibbs_steps"])
        self.persistent = bool(s["persistent"])
        self.learning_rate = float(s["learning_rate"])
        self.momentum = float(s["momentum"])
        self.weight_decay = float(s["weight_decay"])
        W = self.parameters[0]
        if self.persistent and self.chain is None:
            chains = run.batch_size or max(run.n_train, 1)
            self.chain = torch.zeros(chains, W.shape[1], dtype=W.dtype, device=W.device)
        if self.momentum and self.velocity is None:
            self.velocity = [torch.zeros_like(p) for p in self.parameters]

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        W, b, c = self.parameters
        s = cd_statistics(batch[0], W, b, c, kind=self.kind, n_levels=self.n_levels,
                          gibbs_steps=self.gibbs_steps, chain=self.chain,
                          mask=batch[1] if len(batch) > 1 else None, up=self.up,
                          down=self.down, generator=self.rng,
                          sample_visibles=False)  # fmt: skip
        loss = free_energy_from(s.positive, s.pre[: s.n_positive], b, self.kind).mean()
        if s.chain is not None:
            self.chain = s.chain
        if self.velocity is None and not is_distributed():  # the products go straight in
            lr = self.learning_rate
            if self.weight_decay:
                W.mul_(1.0 - lr * self.weight_decay)  # W += lr * (dW - weight_decay * W)
            W.addmm_(s.visible.T, s.signed_hidden, alpha=lr)
            b.add_(s.db, alpha=lr)
            c.add_(s.signed_hidden.sum(0), alpha=lr)
            return loss
        grads = (s.dW, s.db, s.dc)
        all_reduce_mean(*grads)  # the batch's statistics over every process's share
        velocity = self.velocity or (None, None, None)
        for i, (p, g, v) in enumerate(zip(self.parameters, grads, velocity, strict=True)):
            momentum_update(p, g, v, learning_rate=self.learning_rate, momentum=self.momentum,
                            weight_decay=self.weight_decay if i == 0 else 0.0)  # fmt: skip
        return loss

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        W, b, c = self.parameters
        return float(free_energy(batch[0], W, b, c, self.kind).mean())

    def state_dict(self) -> dict[str, Tensor]:
        return {name: p.clone() for name, p in zip(PARAMETER_NAMES, self.parameters, strict=True)}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for p, name in zip(self.parameters, PARAMETER_NAMES, strict=True):
            p.copy_(state[name])

    def working_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if self.chain is not None:
            state["chain"] = self.chain.clone()
        if self.velocity is not None:
            state["velocity"] = [t.clone() for t in self.velocity]
        if self.rng is not None:
            state["rng"] = self.rng.bit_generator.state
        return state

    def load_working_state(self, state: dict[str, Any]) -> None:
        device = self.parameters[0].device
        if "rng" in state and self.rng is not None:
            self.rng.bit_generator.state = state["rng"]
        if "chain" in state:
            self.chain = state["chain"].to(device)
        if "velocity" in state:
            self.velocity = [t.to(device) for t in state["velocity"]]

    def flops(self, batch: tuple[Tensor, ...]) -> float | None:
        rows, n_visible = batch[0].shape
        n_hidden = self.parameters[0].shape[1]
        # per Gibbs step a visible and a hidden product, plus the fused products
        return 2.0 * n_visible * n_hidden * (2 * rows * (self.gibbs_steps + 1) + rows)


def free_energy_from(v: Tensor, pre: Tensor, b: Tensor, kind: str) -> Tensor:
    """:func:`~cortexkit.boltzmann.units.free_energy` from an already computed hidden input
    ``pre = v @ W + c``."""
    hidden_term = torch.nn.functional.softplus(pre).sum(1)
    if kind == "gaussian":
        return 0.5 * ((v - b) ** 2).sum(1) - hidden_term
    return -(v @ b) - hidden_term


@torch.no_grad()
def rbm_metrics(
    X: Tensor, W: Tensor, b: Tensor, c: Tensor, *, kind: str = "bernoulli", n_levels: int = 2
) -> dict[str, float]:
    """An RBM's per-epoch metrics on rows ``X``: ``reconstruction_error`` (the mean squared
    error of the mean-field reconstruction, per visible column) and, for Bernoulli units,
    ``pseudo_likelihood`` (the mean log pseudo-likelihood)."""
    err, pl, rows = 0.0, 0.0, 0
    for s in chunks(len(X)):
        xb = X[s]
        rec = reconstruct(xb, W, b, c, kind, n_levels)
        err += float(((rec - xb) ** 2).mean(1).sum())
        if kind == "bernoulli":
            pl += float(pseudo_likelihood(xb, W, b, c).sum())
        rows += len(xb)
    out = {"reconstruction_error": err / max(rows, 1)}
    if kind == "bernoulli":
        out["pseudo_likelihood"] = pl / max(rows, 1)
    return out


class DBMStep(Step):
    """One joint update of a DBM: mean-field posteriors of the batch (the positive phase)
    against persistent Gibbs chains (the negative phase), one matrix product per layer.
    ``loss`` is the batch's mean variational free energy.

    Parameters
    ----------
    weights, biases : list of Tensor
        The DBM's weights and biases (visible layer first), updated in place.
    chains : list of Tensor
        The persistent chains' states, one tensor per layer (visible first).
    visible : {"bernoulli", "gaussian"}
        The visible units.

    The settings come from :meth:`begin`: ``mean_field_steps``, ``gibbs_steps``,
    ``learning_rate``, ``momentum`` and ``weight_decay``.
    """

    def __init__(
        self,
        weights: list[Tensor],
        biases: list[Tensor],
        chains: list[Tensor],
        *,
        visible: str = "bernoulli",
    ) -> None:
        self.weights, self.biases = weights, biases
        self.parameters = [*weights, *biases]
        self.chains = chains
        self.visible = visible
        self.mean_field_steps = 10
        self.gibbs_steps = 1
        self.learning_rate = 0.005
        self.momentum = 0.0
        self.weight_decay = 0.0
        self.velocity: list[Tensor] | None = None

    def begin(self, run: Run) -> None:
        s = run.settings
        self.mean_field_steps = int(s["mean_field_steps"])
        self.gibbs_steps = int(s["gibbs_steps"])
        self.learning_rate = float(s["learning_rate"])
        self.momentum = float(s["momentum"])
        self.weight_decay = float(s["weight_decay"])
        if self.momentum and self.velocity is None:
            self.velocity = [torch.zeros_like(p) for p in self.parameters]

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        W, b = self.weights, self.biases
        v = batch[0]
        mu, _ = mean_field(v, W, b, steps=self.mean_field_steps)
        loss = variational_free_energy(v, mu, W, b, self.visible).mean()
        for _ in range(self.gibbs_steps):
            self.chains = gibbs_sweep(self.chains, W, b, None, self.visible)
        pos, neg = [v, *mu], self.chains
        n, m = len(v), len(neg[0])
        grads: list[Tensor] = []
        for layer in range(1, len(pos)):
            lower = torch.cat([pos[layer - 1], neg[layer - 1]])  # (batch + chains, n_{l-1})
            upper = torch.cat([pos[layer] / n, neg[layer] / -m])  # signed, scaled
            grads.append(lower.T @ upper)
        for layer in range(len(pos)):
            grads.append(pos[layer].mean(0) - neg[layer].mean(0))
        all_reduce_mean(*grads)  # the batch's statistics over every process's share
        velocity: list[Tensor | None] = [*self.velocity] if self.velocity else [None] * len(grads)
        for i, (p, g, vel) in enumerate(zip(self.parameters, grads, velocity, strict=True)):
            decay = self.weight_decay if i < len(W) else 0.0  # the weights, not the biases
            momentum_update(p, g, vel, learning_rate=self.learning_rate,
                            momentum=self.momentum, weight_decay=decay)  # fmt: skip
        return loss

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        mu, _ = mean_field(batch[0], self.weights, self.biases, steps=self.mean_field_steps)
        energy = variational_free_energy(batch[0], mu, self.weights, self.biases, self.visible)
        return float(energy.mean())

    def state_dict(self) -> dict[str, Tensor]:
        return {f"p{i}": p.clone() for i, p in enumerate(self.parameters)}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for i, p in enumerate(self.parameters):
            p.copy_(state[f"p{i}"])

    def working_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"chains": [c.clone() for c in self.chains]}
        if self.velocity is not None:
            state["velocity"] = [t.clone() for t in self.velocity]
        return state

    def load_working_state(self, state: dict[str, Any]) -> None:
        device = self.parameters[0].device
        self.chains = [c.to(device) for c in state["chains"]]
        if "velocity" in state:
            self.velocity = [t.to(device) for t in state["velocity"]]

    def flops(self, batch: tuple[Tensor, ...]) -> float | None:
        sizes = [w.shape[0] * w.shape[1] for w in self.weights]
        rows, chains = batch[0].shape[0], self.chains[0].shape[0]
        per_pass = 2.0 * sum(sizes)
        return per_pass * (rows * 2 * (self.mean_field_steps + 1) + chains * 2 + rows + chains)
