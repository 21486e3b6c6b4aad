"""Cost functions by name, each with its gradient written out.

A :class:`Loss` maps the network's raw output and the target to a scalar (the mean over
the batch) and, by hand, to the gradient of that scalar with respect to the raw output.

``bce`` and ``cross_entropy`` take *logits*: the output layer's sigmoid (binary) or softmax
(categorical) is fused into the loss, which is both numerically stable and gives the
famously simple gradient ``p - y``. ``cross_entropy`` takes class indices (integers) as
its target.

Examples
--------
>>> import torch
>>> from cortexkit.nn import get_loss
>>> get_loss("mse")(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
tensor(2.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from cortexkit.registry import Registry

__all__ = ["LOSSES", "Loss", "get_loss"]


# The gradients with respect to the raw output, ``d value / d out``: named functions, so that
# anything holding a loss pickles as it is.


def _mse_grad(z: Tensor, y: Tensor) -> Tensor:
    return (z - y).mul_(2.0 / z.numel())


def _mae_grad(z: Tensor, y: Tensor) -> Tensor:
    return torch.sign(z - y).div_(z.numel())


def _huber_grad(z: Tensor, y: Tensor) -> Tensor:
    return (z - y).clamp_(-1.0, 1.0).div_(z.numel())


def _bce_grad(z: Tensor, y: Tensor) -> Tensor:
    return torch.sigmoid(z).sub_(y).div_(z.numel())


def _ce_grad(z: Tensor, y: Tensor) -> Tensor:
    grad = torch.softmax(z, dim=-1)
    grad[torch.arange(z.shape[0], device=z.device), y] -= 1.0
    return grad.div_(z.shape[0])


@dataclass(frozen=True)
class Loss:
    """A named loss: ``value(out, y)`` (a scalar mean) and ``grad(out, y) = d value / d out``.

    ``output_activation`` names the activation fused into the loss (``"sigmoid"`` for bce,
    ``"softmax"`` for cross-entropy, ``"identity"`` otherwise): it turns raw outputs into
    predictions. Two losses are equal when all their fields are: a built-in loss that went
    through ``pickle`` equals its registry entry.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.nn import LOSSES
    >>> bce = LOSSES["bce"]
    >>> bce.grad(torch.tensor([[0.0]]), torch.tensor([[1.0]]))  # (sigmoid(0) - 1) / 1
    tensor([[-0.5000]])
    """

    name: str
    value: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    grad: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    output_activation: str = "identity"
    formula: str = ""

    def __call__(self, out: Tensor, y: Tensor) -> Tensor:
        return self.value(out, y)


class _AutogradGrad:
    """The gradient of a user's loss, from autograd (picklable when the loss is)."""

    def __init__(self, fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.fn = fn

    def __call__(self, z: Tensor, y: Tensor) -> Tensor:
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self.fn(zz, y), zz)
        return g


def _wrap_callable(fn: Callable[..., Any]) -> Loss:
    # A plain callable (a function or an nn.Module) gets its gradient from autograd; its
    # outputs are used as predictions as they are.
    return Loss(getattr(fn, "__name__", type(fn).__name__), fn, _AutogradGrad(fn))


LOSSES: Registry[Loss] = Registry(
    "loss",
    {
        loss.name: loss
        for loss in [
            Loss("mse", F.mse_loss, _mse_grad, formula="mean((y_hat - y)^2)"),
            Loss("mae", F.l1_loss, _mae_grad, formula="mean(|y_hat - y|)"),
            Loss(
                "huber",
                F.huber_loss,
                _huber_grad,
                formula="mean(0.5 e^2 if |e| <= 1 else |e| - 0.5), e = y_hat - y",
            ),
            Loss(
                "bce",
                F.binary_cross_entropy_with_logits,
                _bce_grad,
                output_activation="sigmoid",
                formula="-mean(y log p + (1 - y) log(1 - p)), p = sigmoid(z)",
            ),
            Loss(
                "cross_entropy",
                F.cross_entropy,
                _ce_grad,
                output_activation="softmax",
                formula="-mean(log p_y), p = softmax(z)",
            ),
        ]
    },
    adapt=_wrap_callable,
    entry_type=Loss,
)


def get_loss(loss: str | Loss | Callable[[Tensor, Tensor], Tensor]) -> Loss:
    """Resolve a loss given by name, as a :class:`Loss`, or as a callable ``loss(out, y)``.

    A callable (function or ``nn.Module``) is wrapped; its gradient comes from autograd
    and its outputs are used as predictions as they are.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``loss`` is neither a string nor callable.
    """
    return LOSSES.resolve(loss)
