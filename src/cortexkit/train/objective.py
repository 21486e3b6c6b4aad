"""What the learning loop minimises: a network together with its loss.

The loop only needs three things of a model, so every family can plug in its own:

- ``parameters()``: the tensors the optimiser updates;
- ``compute_gradients(*batch)``: forward, error, backprop; fills ``p.grad`` and returns
  the batch loss (a 0-d tensor);
- ``loss(*batch)``: the loss on a whole set, without gradients (validation).

A batch is a tuple of tensors (``xb, yb`` for the supervised families, ``xb`` alone or with
a mask for others). An objective may also report ``flops(*batch)``, the cost of one step,
which the loop uses to choose CPU threads (else it is counted once, see
:class:`~cortexkit.train.GradientStep`).

:class:`AutogradObjective` does this for any ``nn.Module`` with torch autograd. The dense
network of the ANN estimators has a faster one with a hand-derived backward pass
(:mod:`cortexkit.ann.network`). Under ``torch.distributed`` the gradients are
all-reduced between ``compute_gradients`` and the optimiser step, through
``OptimConfig.gradient_hook``: the one seam a multi-process run needs
(:mod:`cortexkit.train.distributed`, tested with two processes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import torch
from torch import Tensor, nn

__all__ = ["AutogradObjective", "Objective", "chunks"]

EVAL_CHUNK = 8192  # rows per forward pass when evaluating a whole set


class Objective(Protocol):
    """What the loop needs of a model: see the module's docstring.

    Examples
    --------
    >>> from torch import nn
    >>> from cortexkit.train import AutogradObjective, Objective
    >>> objective: Objective = AutogradObjective(nn.Linear(2, 1), nn.functional.mse_loss)
    >>> len(list(objective.parameters()))  # weight and bias
    2
    """

    def parameters(self) -> Iterator[Tensor]: ...

    def compute_gradients(self, *batch: Tensor) -> Tensor: ...

    def loss(self, *batch: Tensor) -> float: ...

    def state_dict(self) -> dict[str, Tensor]: ...

    def load_state_dict(self, state: dict[str, Tensor]) -> object: ...


def chunks(n: int, size: int = EVAL_CHUNK) -> Iterator[slice]:
    """Slices covering ``range(n)`` in pieces of at most ``size``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def chunked(fn: Callable[..., Tensor], *tensors: Tensor, size: int = EVAL_CHUNK) -> Tensor:
    """``fn(*tensors)`` computed ``size`` rows at a time and concatenated (inference on a
    large set without its activations all in memory at once). Empty input goes through
    ``fn`` whole, so the result has the right trailing shape.

    Examples
    --------
    >>> import torch
    >>> chunked(lambda x: 2 * x, torch.arange(5.0), size=2).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    n = len(tensors[0])
    if n <= size:
        return fn(*tensors)
    return torch.cat([fn(*(t[s] for t in tensors)) for s in chunks(n, size)])


class AutogradObjective:
    """A module and a loss ``loss_fn(output, *rest)``, differentiated by autograd.

    The first tensor of a batch goes through the module; the rest (the targets, a mask)
    go to the loss beside the module's output.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from cortexkit.train import AutogradObjective
    >>> objective = AutogradObjective(nn.Linear(2, 1), nn.functional.mse_loss)
    >>> loss = objective.compute_gradients(torch.ones(4, 2), torch.zeros(4, 1))
    >>> objective.module.weight.grad.shape
    torch.Size([1, 2])
    """

    def __init__(self, module: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.module = module
        self.loss_fn = loss_fn

    def parameters(self) -> Iterator[Tensor]:
        return self.module.parameters()

    def compute_gradients(self, xb: Tensor, *rest: Tensor) -> Tensor:
        self.module.train()
        for p in self.module.parameters():
            p.grad = None
        loss = self.loss_fn(self.module(xb), *rest)
        loss.backward()
        return loss.detach()

    @torch.no_grad()
    def loss(self, X: Tensor, *rest: Tensor) -> float:
        self.module.eval()
        total = 0.0
        for s in chunks(X.shape[0]):
            out = self.module(X[s])
            total += float(self.loss_fn(out, *(t[s] for t in rest))) * (s.stop - s.start)
        return total / max(X.shape[0], 1)

    def state_dict(self) -> dict[str, Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> object:
        return self.module.load_state_dict(state)
