"""Activation functions by name, each with its derivative written out.

Every activation is an :class:`Activation`: the function itself (``forward``) and the
chain-rule step that turns the gradient with respect to its output into the gradient with
respect to its input (``backward``). The hand-derived backward is what the fast dense path
and ``cortexkit explain`` use; the tests check it against torch autograd.

``threshold`` is the classic step function. Its true derivative is zero almost everywhere,
so nothing could learn through it; we use the straight-through estimator of Hinton /
Bengio et al. (2013): the backward pass lets the gradient through unchanged where
``|z| <= 1`` and blocks it elsewhere (the derivative of the "hard tanh" that the step
approximates).

Examples
--------
>>> import torch
>>> from cortexkit.nn import get_activation
>>> act = get_activation("sigmoid")
>>> act(torch.tensor([0.0]))
tensor([0.5000])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cortexkit.registry import Registry

__all__ = ["ACTIVATIONS", "Activation", "activation_module", "get_activation"]

GradFn = Callable[[Tensor, Tensor, Tensor], Tensor]


class _ThresholdSTE(torch.autograd.Function):
    """Step forward, straight-through (clipped identity) backward."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, z: Tensor) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(z)
        return (z >= 0).to(z.dtype)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:  # type: ignore[override]
        (z,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * (z.abs() <= 1).to(grad.dtype)


def _threshold(z: Tensor) -> Tensor:
    return _ThresholdSTE.apply(z)  # type: ignore[no-any-return]


# The chain-rule steps, ``grad_z = step(z, a, grad_a)``: named functions, so that anything
# holding an activation pickles as it is.


def _threshold_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g * (z.abs() <= 1).to(g.dtype)


def _sigmoid_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g * a * (1 - a)


def _relu_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g * (z > 0).to(g.dtype)


def _tanh_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g * (1 - a * a)


def _identity(z: Tensor) -> Tensor:
    return z


def _identity_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g


def _leaky_relu(z: Tensor) -> Tensor:
    return F.leaky_relu(z, 0.01)


def _leaky_relu_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return torch.where(z > 0, g, 0.01 * g)


def _elu_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    # for z <= 0, d/dz (exp(z) - 1) = exp(z) = a + 1
    return torch.where(z > 0, g, g * (a + 1.0))


def _gelu_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    # d/dz [z * Phi(z)] = Phi(z) + z * phi(z)
    cdf = 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))
    pdf = torch.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return g * (cdf + z * pdf)


def _softplus_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g * torch.sigmoid(z)


def _softmax(z: Tensor) -> Tensor:
    return torch.softmax(z, dim=-1)


def _softmax_grad(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    # Jacobian-vector product of softmax along the last axis: a * (g - <g, a>)
    return a * (g - (g * a).sum(dim=-1, keepdim=True))


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(z)`` and ``backward(z, a, grad_a) -> grad_z``.

    Parameters
    ----------
    name : str
        The registry name.
    forward : callable
        ``a = forward(z)``, differentiable by autograd.
    backward : callable
        ``grad_z = backward(z, a, grad_a)``: the chain-rule step, given the input ``z``,
        the output ``a`` and the gradient with respect to the output.
    formula : str
        The formula, for documentation and ``cortexkit explain``.

    Two activations are equal when their name, functions and formula are: a built-in
    activation that went through ``pickle`` equals its registry entry.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.nn import ACTIVATIONS
    >>> tanh = ACTIVATIONS["tanh"]
    >>> z = torch.tensor([0.0, 1.0])
    >>> tanh.backward(z, tanh(z), torch.ones(2))  # 1 - tanh(z)^2
    tensor([1.0000, 0.4200])
    """

    name: str
    forward: Callable[[Tensor], Tensor] = field(repr=False)
    backward: GradFn = field(repr=False)
    formula: str = ""

    def __call__(self, z: Tensor) -> Tensor:
        return self.forward(z)


class _AutogradBackward:
    """The chain-rule step of a user's activation, from autograd (picklable when the
    activation is)."""

    def __init__(self, fn: Callable[[Tensor], Tensor]) -> None:
        self.fn = fn

    def __call__(self, z: Tensor, a: Tensor, g: Tensor) -> Tensor:
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.fn(zz), zz, g)
        return grad


def _wrap_callable(fn: Callable[..., Any]) -> Activation:
    # A plain callable (a function or an nn.Module) gets its backward step from autograd.
    return Activation(getattr(fn, "__name__", type(fn).__name__), fn, _AutogradBackward(fn))


ACTIVATIONS: Registry[Activation] = Registry(
    "activation",
    {
        a.name: a
        for a in [
            Activation(
                "threshold",
                _threshold,
                _threshold_grad,
                "1 if z >= 0 else 0 (straight-through gradient where |z| <= 1)",
            ),
            Activation("sigmoid", torch.sigmoid, _sigmoid_grad, "1 / (1 + exp(-z))"),
            Activation("relu", torch.relu, _relu_grad, "max(0, z)"),
            Activation("tanh", torch.tanh, _tanh_grad, "tanh(z)"),
            Activation("identity", _identity, _identity_grad, "z"),
            Activation("leaky_relu", _leaky_relu, _leaky_relu_grad, "z if z > 0 else 0.01 z"),
            Activation("elu", F.elu, _elu_grad, "z if z > 0 else exp(z) - 1"),
            Activation("gelu", F.gelu, _gelu_grad, "z * Phi(z), Phi the normal CDF"),
            Activation("softplus", F.softplus, _softplus_grad, "log(1 + exp(z))"),
            Activation("softmax", _softmax, _softmax_grad, "exp(z_i) / sum_j exp(z_j)"),
        ]
    },
    adapt=_wrap_callable,
    entry_type=Activation,
)


class _ActivationModule(nn.Module):
    def __init__(self, activation: Activation) -> None:
        super().__init__()
        self.activation = activation

    def forward(self, z: Tensor) -> Tensor:
        return self.activation.forward(z)

    def extra_repr(self) -> str:
        return self.activation.name


def get_activation(activation: str | Activation | Callable[[Tensor], Tensor]) -> Activation:
    """Resolve an activation given by name, as an :class:`Activation`, or as a callable.

    A plain callable (a function or an ``nn.Module``) is wrapped; its backward step is
    then taken from autograd.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``activation`` is neither a string nor callable.
    """
    return ACTIVATIONS.resolve(activation)


def activation_module(activation: str | Activation | Callable[[Tensor], Tensor]) -> nn.Module:
    """An ``nn.Module`` applying the activation, for use inside ``nn.Sequential``."""
    if isinstance(activation, nn.Module):
        return activation
    return _ActivationModule(get_activation(activation))


def is_builtin(activation: object) -> bool:
    """Whether the activation is one of the named ones (so its backward is hand-derived)."""
    return isinstance(activation, str) and activation in ACTIVATIONS
