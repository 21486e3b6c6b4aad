"""The one update rule of the hand-written (non-optimiser) steps: momentum and weight decay.

Every Boltzmann machine (the RBM, the DBN's layers, the DBM, the recommender's RBM and DBM)
moves its parameters with the same rule, given a gradient in the ascent direction of the
log-likelihood (positive minus negative statistics)::

    velocity = momentum * velocity + learning_rate * (gradient - weight_decay * W)
    W += velocity

``weight_decay`` is an L2 coefficient on the weights only: a bias is updated by the same rule
without the decay term. With ``momentum=0`` the velocity is the step itself, so no velocity
buffer is kept. The learning rate sits inside the velocity: a schedule that lowers it lowers
the next step at once, not after the momentum has run down.

Examples
--------
>>> import torch
>>> W, grad = torch.ones(2), torch.tensor([1.0, -1.0])
>>> velocity = torch.zeros(2)
>>> momentum_update(W, grad.clone(), velocity, learning_rate=0.1, momentum=0.5,
...                 weight_decay=0.1)
>>> W  # 1 + 0.1 * (grad - 0.1 * 1)
tensor([1.0900, 0.8900])
>>> momentum_update(W, grad.clone(), velocity, learning_rate=0.1, momentum=0.5)
>>> velocity  # 0.5 * previous velocity + 0.1 * grad
tensor([ 0.1450, -0.1550])
"""

from __future__ import annotations

from torch import Tensor

__all__ = ["momentum_update"]


def momentum_update(
    param: Tensor,
    gradient: Tensor,
    velocity: Tensor | None,
    *,
    learning_rate: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> None:
    """Move ``param`` in place by the rule in the module's docstring.

    Parameters
    ----------
    param : Tensor
        The weights or biases to update.
    gradient : Tensor
        The ascent direction, of ``param``'s shape. It is used as scratch space (changed in
        place when ``weight_decay`` is set): pass a tensor the caller does not keep.
    velocity : Tensor or None
        The running update, of ``param``'s shape, updated in place; None when
        ``momentum`` is 0.
    learning_rate : float
        The step size.
    momentum : float, default=0.0
        Share of the previous update carried into this one.
    weight_decay : float, default=0.0
        The L2 coefficient; pass 0 for a bias (biases are not decayed).
    """
    if weight_decay:
        gradient = gradient.sub_(param, alpha=weight_decay)
    if velocity is None:
        if momentum:
            raise ValueError("momentum_update needs a velocity buffer when momentum is not 0")
        param.add_(gradient, alpha=learning_rate)
        return
    velocity.mul_(momentum).add_(gradient, alpha=learning_rate)
    param.add_(velocity)
