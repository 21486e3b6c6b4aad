"""How a network learns: the shared epoch loop, its steps, batch sources and optimisers."""

from cortexkit.train.batches import ArrayBatches, Batches, LoaderBatches, TensorBatches
from cortexkit.train.callbacks import Callback
from cortexkit.train.config import LoopConfig, OptimConfig
from cortexkit.train.loop import EpochLoop
from cortexkit.train.objective import AutogradObjective, Objective
from cortexkit.train.optim import OPTIMIZERS, make_optimizer
from cortexkit.train.step import GradientStep, Run, Step

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
    "OptimConfig",
    "Run",
    "Step",
    "TensorBatches",
    "make_optimizer",
]
