"""Several autoencoders of one shape, trained side by side: ``AutoEncoder(n_estimators=k)``.

Each member has its own initial weights and learns its own reconstruction (the training
loss is the mean of the members' losses, so no member sees another's gradient); they see
the same mini-batches and stop together. The ensemble reads as one network:

- ``encode`` gives the members' codes side by side, ``(batch, k * code)``;
- ``decode`` splits such a code and averages the members' reconstructions;
- ``forward`` is the mean of the members' reconstructions.

An autoencoder's anomaly score, the mean over members of each member's reconstruction
error (:meth:`~cortexkit.autoencoder.objective.AutoEncoderObjective.reconstruction_error`),
varies less with the initial weights than one network's: on the anomaly suite
(``bench/_quality_anomaly.py``) averaging 3 beats one.

Examples
--------
>>> import torch
>>> from cortexkit.autoencoder import AutoEncoderNetwork
>>> g = torch.Generator().manual_seed(0)
>>> net = EnsembleNetwork([AutoEncoderNetwork(6, (4, 2), generator=g) for _ in range(3)])
>>> x = torch.randn(5, 6)
>>> net.encode(x).shape, net(x).shape, len(members_of(net))
(torch.Size([5, 6]), torch.Size([5, 6]), 3)
>>> bool(torch.allclose(net.decode(net.encode(x)), net(x)))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["EnsembleNetwork", "members_of"]


class EnsembleNetwork(nn.Module):
    """Autoencoder networks of one shape, read as one (see the module's docstring).

    Parameters
    ----------
    members : sequence of nn.Module
        At least two networks with ``encode``, ``decode`` and ``encode_stats`` (an
        :class:`~cortexkit.autoencoder.AutoEncoderNetwork` or its convolutional variant),
        all with the same code width.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members; got {len(members)}")
        self.members = nn.ModuleList(members)

    @property
    def layer_sizes(self) -> list[int]:
        """Units per layer of one member, input first."""
        return list(getattr(self.members[0], "layer_sizes", []))

    def extra_repr(self) -> str:
        return f"n_estimators={len(self.members)}"

    def encode(self, x: Tensor) -> Tensor:
        """The members' codes side by side, ``(batch, n_members * code)``."""
        members: list[Any] = list(self.members)
        return torch.cat([m.encode(x) for m in members], dim=1)

    def decode(self, code: Tensor) -> Tensor:
        """The mean of the members' reconstructions of their parts of ``code``."""
        members: list[Any] = list(self.members)
        parts = code.chunk(len(members), dim=1)
        outs = [m.decode(p) for m, p in zip(members, parts, strict=True)]
        return torch.stack(outs).mean(0)

    def forward(self, x: Tensor) -> Tensor:
        """The mean of the members' deterministic reconstructions."""
        return torch.stack([m(x) for m in self.members]).mean(0)


def members_of(network: nn.Module) -> list[nn.Module]:
    """The networks an autoencoder's ``network_`` holds: an ensemble's members, else itself."""
    return list(network.members) if isinstance(network, EnsembleNetwork) else [network]
