"""The settings of a training run: the loop's and the optimiser's.

:class:`LoopConfig` holds what the epoch loop needs (batch size, epochs, early stopping,
callbacks, checkpoints); :class:`OptimConfig`, what a
:class:`~cortexkit.train.GradientStep` needs (optimiser, learning rate, weight decay,
schedule, clipping). A family with its own update rule (a SOM, a Boltzmann machine) has no
:class:`OptimConfig`: its step reads its settings from :class:`~cortexkit.train.step.Run`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from torch import Tensor

__all__ = ["GRADIENT_DESCENT", "LR_SCHEDULES", "LoopConfig", "OptimConfig", "resolve_batch_size"]

GRADIENT_DESCENT = ("stochastic", "batch", "mini-batch")

#: the learning-rate schedules a gradient step knows (None: constant)
LR_SCHEDULES = ("plateau", "onecycle", "cosine")


@dataclass
class OptimConfig:
    """The gradient step's settings, as the estimators' parameters of the same names.

    ``weight_decay`` is an L2 coefficient on the weights only: biases and normalisation
    parameters (every parameter with fewer than two dimensions) are never decayed.

    Examples
    --------
    >>> from cortexkit.train import OptimConfig
    >>> OptimConfig(optimizer="sgd", learning_rate=0.1).momentum
    0.9
    """

    optimizer: Any = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False
    lr_schedule: str | None = None  # None, "plateau", "onecycle" or "cosine"
    lr_patience: int = 5
    lr_factor: float = 0.5
    clip_grad_norm: float | None = None
    # called with the parameters after backprop, before clipping and the update: where a
    # multi-process run all-reduces its gradients (cortexkit.train.distributed)
    gradient_hook: Callable[[list[Tensor]], None] | None = None


@dataclass
class LoopConfig:
    """The loop's settings, as the estimators' parameters of the same names.

    Examples
    --------
    >>> from cortexkit.train import LoopConfig
    >>> LoopConfig(batch_size=None, epochs=5).batch_size is None  # batch gradient descent
    True
    """

    #: rows per step (None: the whole set), or ``fn(n_train) -> rows`` resolved at the start
    #: of each run (a default that follows the data's size: a SOM's)
    batch_size: int | Callable[[int], int | None] | None = 32
    epochs: int = 100
    shuffle: bool = True
    early_stopping: bool = False
    patience: int = 10
    tol: float = 1e-4
    check_every: int | None = None  # steps between loss reads; None: 1 on CPU, 32 on GPU
    verbose: int = 0
    callbacks: Sequence[Any] = field(default_factory=tuple)
    num_workers: int = 0  # worker processes when a Dataset is streamed
    checkpoint: str | None = None  # where to save checkpoints
    checkpoint_every: int = 1  # epochs between checkpoints
    #: train data-parallel when a process group is up (:mod:`cortexkit.train.distributed`):
    #: each process on its share of every batch, its gradients or statistics all-reduced
    data_parallel: bool = False
    #: the gradient step's settings, when the loop is given an Objective to train
    optim: OptimConfig = field(default_factory=OptimConfig)
    #: the estimator's parameters as frozen at fit: what a step reads in ``begin``
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def resolve_batch_size(batch_size: int | None, gradient_descent: str | None) -> int | None:
    """The batch size that ``gradient_descent`` (the readable alias) implies."""
    if gradient_descent is None:
        return batch_size
    if gradient_descent == "stochastic":
        return 1
    if gradient_descent == "batch":
        return None
    if gradient_descent == "mini-batch":
        if batch_size is None or batch_size < 2:
            raise ValueError(
                "gradient_descent='mini-batch' needs batch_size >= 2; "
                f"got batch_size={batch_size!r}"
            )
        return batch_size
    raise ValueError(
        f"gradient_descent must be one of {list(GRADIENT_DESCENT)} or None; "
        f"got {gradient_descent!r}"
    )
