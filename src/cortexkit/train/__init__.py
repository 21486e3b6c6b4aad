"""How a network learns: the shared epoch loop, its steps, batch sources and optimisers."""

from cortexkit.train.batches import ArrayBatches, Batches, LoaderBatches, TensorBatches
from cortexkit.train.loop import Callback, EpochLoop, LoopConfig, Trainer
from cortexkit.train.objective import AutogradObjective, Objective
from cortexkit.train.optim import OPTIMIZERS, make_optimizer
from cortexkit.train.step import GradientStep, Step

__all__ = [
    "OPTIMIZERS",
    "ArrayBatches",
    "AutogradObjective",
    "Batches",
    "Callback",
    "EpochLoop",
    "GradientStep",
    "LoaderBatches",
    "LoopConfig",
    "Objective",
    "Step",
    "TensorBatches",
    "Trainer",
    "make_optimizer",
]
