"""Weight initialisers by name.

Each initialiser fills a weight matrix of shape ``(fan_out, fan_in)`` in place, drawing from
an explicit ``torch.Generator`` so that one ``random_state`` fixes the whole model.

- ``uniform``: the classic start, small values near 0, ``U(-scale, scale)`` (default
  ``scale=0.05``). Fine for a few layers; deep stacks of sigmoids then learn slowly.
- ``xavier_uniform`` / ``xavier_normal`` (Glorot & Bengio, 2010): keep the variance of
  activations and gradients equal across layers for sigmoid/tanh units. ``xavier_uniform``
  is what scikit-learn's MLP uses (with a smaller bound, ``sqrt(2 / (fan_in + fan_out))``,
  for logistic units).
- ``he_uniform`` / ``he_normal`` (He et al., 2015): the same idea for ReLU units, which
  zero half their inputs.

Examples
--------
>>> import torch
>>> from cortexkit.nn import get_initializer
>>> w = torch.empty(3, 4)
>>> get_initializer("uniform", scale=0.1)(w, generator=torch.Generator().manual_seed(0))
>>> bool(w.abs().max() <= 0.1)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import torch
from torch import Tensor

from cortexkit.registry import Registry

__all__ = ["INITIALIZERS", "Initializer", "get_initializer"]


class Initializer(Protocol):
    def __call__(self, weight: Tensor, *, generator: torch.Generator | None = None) -> None: ...


def _fans(weight: Tensor) -> tuple[int, int]:
    if weight.dim() < 2:
        raise ValueError(f"an initialiser needs a weight of 2 or more dims; got {weight.dim()}")
    receptive = math.prod(weight.shape[2:]) if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


@torch.no_grad()
def uniform(weight: Tensor, *, scale: float = 0.05, generator: torch.Generator | None = None):
    weight.uniform_(-scale, scale, generator=generator)


@torch.no_grad()
def xavier_uniform(weight: Tensor, *, gain: float = 1.0, generator: torch.Generator | None = None):
    fan_in, fan_out = _fans(weight)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    weight.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def xavier_normal(weight: Tensor, *, gain: float = 1.0, generator: torch.Generator | None = None):
    fan_in, fan_out = _fans(weight)
    weight.normal_(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator=generator)


@torch.no_grad()
def he_uniform(weight: Tensor, *, generator: torch.Generator | None = None):
    fan_in, _ = _fans(weight)
    bound = math.sqrt(6.0 / fan_in)
    weight.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def he_normal(weight: Tensor, *, generator: torch.Generator | None = None):
    fan_in, _ = _fans(weight)
    weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)


class _UserInitializer:
    """A user's initialiser, called with the generator where it takes one (picklable when
    the initialiser is)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, weight: Tensor, *, generator: torch.Generator | None = None) -> None:
        try:
            self.fn(weight, generator=generator)
        except TypeError:
            with torch.no_grad():
                self.fn(weight)


INITIALIZERS: Registry[Callable[..., None]] = Registry(
    "init",
    {
        "uniform": uniform,
        "xavier_uniform": xavier_uniform,
        "xavier_normal": xavier_normal,
        "he_uniform": he_uniform,
        "he_normal": he_normal,
    },
    adapt=_UserInitializer,
)


def get_initializer(init: str | Callable[..., Any], **options: Any) -> Initializer:
    """Resolve an initialiser by name (with options such as ``scale`` or ``gain``) or callable.

    A callable is called as ``init(weight)`` and must fill ``weight`` in place, like the
    functions of ``torch.nn.init``; it may accept a ``generator`` keyword.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``init`` is neither a string nor callable.
    """
    fill = INITIALIZERS.resolve(init)
    if isinstance(init, str):
        return partial(fill, **options)  # type: ignore[return-value]
    return fill
