"""The seam for data-parallel training with ``torch.distributed``.

Each process holds its own shard of the data and an identical copy of the model; after
backprop the gradients are averaged across processes, so every copy takes the same update.
The loop needs nothing else: pass :func:`average_gradients` as
``OptimConfig.gradient_hook`` and each process's :func:`shard` of the data to
``EpochLoop.run``. The dense network keeps every weight in one flat tensor, so that is one
all-reduce per step.

Examples
--------
>>> import torch
>>> from cortexkit.train.distributed import shard
>>> X, y = torch.arange(10).reshape(5, 2), torch.arange(5)
>>> shard(X, y, rank=1, world_size=2)[1]
tensor([1, 3])
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ["average_gradients", "shard"]


def average_gradients(params: list[Tensor]) -> None:
    """All-reduce every gradient and divide by the number of processes (in place)."""
    world = dist.get_world_size()
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)


def shard(X: Tensor, y: Tensor, *, rank: int, world_size: int) -> tuple[Tensor, Tensor]:
    """This process's rows: every ``world_size``-th one, starting at ``rank``.

    Raises
    ------
    ValueError
        If ``rank`` is not in ``[0, world_size)``.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}); got {rank}")
    rows = torch.arange(rank, X.shape[0], world_size, device=X.device)
    return X.index_select(0, rows), y.index_select(0, rows)
