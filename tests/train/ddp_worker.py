"""One process of the data-parallel test: ``python ddp_worker.py RANK RENDEZVOUS OUT``.

The test also loads this file for :func:`data` and :func:`train`, to train the same
network in a single process.
"""

from __future__ import annotations

import sys

import torch
import torch.distributed as dist

from cortexkit.ann.network import DenseNetwork, ManualObjective
from cortexkit.nn import get_loss
from cortexkit.train import EpochLoop as Trainer
from cortexkit.train import LoopConfig, OptimConfig
from cortexkit.train.distributed import average_gradients, shard

WORLD_SIZE = 2


def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 5, generator=g)
    return X, (X[:, :1] - X[:, 1:2] > 0).float()


def train(X: torch.Tensor, y: torch.Tensor, hook=None) -> torch.Tensor:
    net = DenseNetwork([5, 8, 1], ["tanh"], generator=torch.Generator().manual_seed(1))
    # batch gradient descent: each process's gradient is the mean over its half, and the
    # average of the two halves' means is the mean over the whole set
    config = LoopConfig(
        batch_size=None, epochs=5, optim=OptimConfig(learning_rate=0.05, gradient_hook=hook)
    )
    objective = ManualObjective(net, get_loss("bce"))
    Trainer(objective, config, generator=torch.Generator().manual_seed(2)).run(X, y)
    return net.flat.detach().clone()


def main(rank: int, rendezvous: str, out: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=WORLD_SIZE
    )
    try:
        X, y = shard(*data(), rank=rank, world_size=WORLD_SIZE)
        torch.save(train(X, y, average_gradients), f"{out}.{rank}")
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
