"""Greedy layer-wise training: the DBM's pretraining, a stack of RBMs fitted one after
another, each on the hidden probabilities of the one below.

The DBN's layer-wise training is a step of the shared loop
(:class:`~cortexkit.boltzmann.dbn_step.LayerwiseStep`); the DBM pretrains its stack here, as a
sequence of RBM fits, before its joint training starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from cortexkit.boltzmann.rbm import RBM

__all__ = ["pretrain_dbm"]


def pretrain_dbm(
    X: Tensor,
    hidden_layers: Sequence[int],
    *,
    visible: str = "bernoulli",
    epochs: int,
    learning_rate: float,
    batch_size: int | None,
    seed: int,
    device: torch.device,
) -> tuple[list[Tensor], list[Tensor], list[dict[str, Any]]]:
    """Greedy pretraining for a DBM: one CD-1 RBM per layer, the bottom one with its
    bottom-up input doubled, the top one with its top-down input doubled and the middle
    ones with both (in the DBM each of those layers hears from two neighbours, in its RBM
    from one). Returns the DBM's weights, its biases (a layer shared by two RBMs takes the
    mean of their two biases) and each RBM's history."""
    data = X.cpu().numpy()
    rbms = []
    for i, size in enumerate(hidden_layers):
        rbm = RBM(size, visible=visible if i == 0 else "bernoulli", gibbs_steps=1,
                  persistent=False, learning_rate=learning_rate, batch_size=batch_size,
                  epochs=epochs, random_state=seed + i, device=str(device))  # fmt: skip
        rbm._up = 2.0 if i < len(hidden_layers) - 1 else 1.0
        rbm._down = 2.0 if i > 0 else 1.0
        rbm.fit(data)
        with torch.no_grad():
            t = torch.as_tensor(data, device=device)
            up = torch.sigmoid(torch.addmm(rbm.hidden_bias_, t, rbm.weights_, alpha=rbm._up))
        data = up.cpu().numpy()
        rbms.append(rbm)
    weights = [r.weights_.clone() for r in rbms]
    biases = [rbms[0].visible_bias_.clone()]
    for i, r in enumerate(rbms):
        above = rbms[i + 1].visible_bias_ if i + 1 < len(rbms) else r.hidden_bias_
        biases.append(0.5 * (r.hidden_bias_ + above))
    return weights, biases, [r.history_ for r in rbms]
