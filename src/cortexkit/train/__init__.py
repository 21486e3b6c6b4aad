"""How a network learns: the shared loop, its objectives and the optimisers."""

from cortexkit.train.loop import Callback, LoopConfig, Trainer
from cortexkit.train.objective import AutogradObjective, Objective
from cortexkit.train.optim import OPTIMIZERS, make_optimizer

__all__ = [
    "OPTIMIZERS",
    "AutogradObjective",
    "Callback",
    "LoopConfig",
    "Objective",
    "Trainer",
    "make_optimizer",
]
