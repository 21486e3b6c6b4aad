"""Neighbourhood functions by name: how much a node learns from a sample, given its squared
grid distance ``d2`` to the sample's best-matching unit and the current radius ``sigma``.

A user's callable ``fn(d2, sigma) -> Tensor`` (same shape as ``d2``) works wherever a name
does.

Examples
--------
>>> import torch
>>> from cortexkit.som.neighborhood import NEIGHBORHOODS
>>> d2 = torch.tensor([0.0, 1.0, 4.0])
>>> [round(float(v), 3) for v in NEIGHBORHOODS.resolve("gaussian")(d2, 1.0)]
[1.0, 0.607, 0.135]
>>> NEIGHBORHOODS.resolve("bubble")(d2, 1.0).tolist()
[1.0, 1.0, 0.0]
>>> NEIGHBORHOODS.resolve("triangle")(d2, 2.0).tolist()
[1.0, 0.5, 0.0]
>>> [round(float(v), 3) for v in NEIGHBORHOODS.resolve("mexican_hat")(d2, 1.0)]
[1.0, 0.0, -0.406]
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from cortexkit.registry import Registry

__all__ = ["NEIGHBORHOODS", "bubble", "gaussian", "mexican_hat", "triangle"]

Neighborhood = Callable[[Tensor, float], Tensor]

# exp(-80) ~ 2e-35 is 0 for any weight; below about -87 float32's exp underflows into
# denormals, where torch's vectorised exp takes a slow path, and most of a wide map is that
# far from a narrow neighbourhood's centre
_EXP_FLOOR = -80.0


def gaussian(d2: Tensor, sigma: float) -> Tensor:
    """``exp(-d2 / (2 sigma^2))``: every node learns, less with distance."""
    return torch.exp((d2 * (-0.5 / (sigma * sigma))).clamp_min_(_EXP_FLOOR))


def bubble(d2: Tensor, sigma: float) -> Tensor:
    """1 within ``sigma`` of the best-matching unit, 0 beyond."""
    return (d2 <= sigma * sigma + 1e-6).to(d2.dtype)


def mexican_hat(d2: Tensor, sigma: float) -> Tensor:
    """A Gaussian less its second moment (Ricker wavelet): near nodes are pulled towards the
    sample and a ring beyond ``sigma`` is pushed away."""
    s2 = sigma * sigma
    return torch.exp((d2 * (-0.5 / s2)).clamp_min_(_EXP_FLOOR)) * (1 - d2 / s2)


def triangle(d2: Tensor, sigma: float) -> Tensor:
    """``1 - d / sigma``, down to 0: a cone."""
    return (1 - d2.sqrt() / sigma).clamp_min(0)


NEIGHBORHOODS: Registry[Neighborhood] = Registry(
    "neighborhood",
    {"gaussian": gaussian, "bubble": bubble, "mexican_hat": mexican_hat, "triangle": triangle},
)
