"""What the epoch loop calls on each batch: a step.

The loop (:mod:`cortexkit.train.loop`) knows nothing of what a step does. A step updates the
model on one batch and returns the batch's loss; it also hands the loop the model's weights
(to keep and restore the best epoch's), its own working state (for checkpoints), and an
estimate of its cost (to choose CPU threads).

Two kinds of step:

- :class:`GradientStep`: forward, error, backprop and the optimiser's update, for every
  gradient-trained family (ANN, CNN, RNN, autoencoders). It owns the optimiser and the
  learning-rate schedule.
- A family's own rule (a SOM's neighbourhood update, an RBM's contrastive divergence):
  subclass :class:`Step` and write ``__call__`` as batched tensor algebra, without an
  optimiser.

The lifecycle: the loop calls :meth:`Step.begin` once at the start of every run with a
:class:`Run` (how long the run is, the data source, the estimator's settings as frozen at
fit), then ``__call__`` on each batch and :meth:`Step.end_epoch` after each epoch. A step
reads what it needs from the :class:`Run`; it holds no reference to its estimator.

Examples
--------
A step with its own rule: move a prototype towards each batch's mean (a one-node SOM).

>>> import torch
>>> from cortexkit.train import EpochLoop, LoopConfig, Step
>>> class MeanStep(Step):
...     def __init__(self):
...         self.w = torch.zeros(2)
...     def __call__(self, batch):
...         (xb,) = batch
...         self.w += 0.5 * (xb.mean(0) - self.w)
...         return ((xb - self.w) ** 2).sum(1).mean()
...     def loss(self, batch):
...         return float(((batch[0] - self.w) ** 2).sum(1).mean())
...     def state_dict(self):
...         return {"w": self.w.clone()}
...     def load_state_dict(self, state):
...         self.w = state["w"].clone()
>>> X = torch.randn(64, 2) + 3
>>> step = MeanStep()
>>> _ = EpochLoop(step, LoopConfig(epochs=20), generator=torch.Generator().manual_seed(0)).run(X)
>>> bool(torch.allclose(step.w, X.mean(0), atol=0.3))
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from cortexkit.train.config import OptimConfig
from cortexkit.train.objective import AutogradObjective, Objective
from cortexkit.train.optim import make_optimizer, step_function

if TYPE_CHECKING:
    from cortexkit.train.batches import Batches

__all__ = ["GradientStep", "Run", "Step", "WeightDecay"]

Batch = tuple[Tensor, ...]


@dataclass(frozen=True)
class Run:
    """What a step learns once, before a run's first epoch (:meth:`Step.begin`).

    Attributes
    ----------
    epochs : int
        The epochs the whole training is planned to last (the ``epochs`` parameter),
        counting those already done.
    epochs_done : int
        Epochs done before this run (a resumed run, a later ``partial_fit`` call).
    n_train : int
        Training rows.
    batch_size : int or None
        Rows per step; None is one step per epoch on the whole set.
    steps_per_epoch : int
        Steps (batches) in one epoch.
    batches : Batches or None
        The training data source.
    settings : Mapping
        The estimator's parameters as frozen at fit (read-only).

    Examples
    --------
    >>> from cortexkit.train import Run
    >>> run = Run(epochs=10, n_train=100, batch_size=32, steps_per_epoch=4)
    >>> run.total_steps
    40
    """

    epochs: int
    n_train: int
    batch_size: int | None
    steps_per_epoch: int
    epochs_done: int = 0
    batches: Batches | None = None
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def total_steps(self) -> int:
        """Steps in the whole planned training."""
        return self.epochs * self.steps_per_epoch


class Step(ABC):
    """One update on one batch. Subclass it for a family's own training rule.

    Examples
    --------
    See the module's docstring for a whole step; the loop needs ``__call__``, ``loss``,
    ``state_dict`` and ``load_state_dict``:

    >>> from cortexkit.train import Step
    >>> sorted(Step.__abstractmethods__)
    ['__call__', 'load_state_dict', 'loss', 'state_dict']
    """

    #: tensors a multi-process run all-reduces (``OptimConfig.gradient_hook``)
    parameters: list[Tensor] = []

    @abstractmethod
    def __call__(self, batch: Batch) -> Tensor:
        """Update the model on ``batch``; return the batch's mean loss (a 0-d tensor)."""

    @abstractmethod
    def loss(self, batch: Batch) -> float:
        """The mean loss on ``batch`` (a whole validation set, say), without updating."""

    @abstractmethod
    def state_dict(self) -> dict[str, Tensor]:
        """The model's weights: what early stopping keeps and restores."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Tensor]) -> Any:
        """Put back weights from :meth:`state_dict`."""

    def begin(self, run: Run) -> None:
        """Called once before a run's first epoch with the run's length, data source and
        settings (a schedule sizes itself here)."""
        return None

    def working_state(self) -> dict[str, Any]:
        """The step's own state beyond the weights (an optimiser's), for checkpoints."""
        return {}

    def load_working_state(self, state: dict[str, Any]) -> None:
        """Put back :meth:`working_state`."""
        return None

    def flops(self, batch: Batch) -> float | None:
        """About how many floating-point operations one step on ``batch`` costs, or None if
        unknown (the thread count is then left alone)."""
        return None

    def end_epoch(self, monitored: float) -> None:
        """Called after each epoch with the monitored loss (a schedule may use it)."""
        return None

    def logs(self) -> dict[str, float]:
        """Values to record in the history each epoch (the learning rate, say)."""
        return {}


class GradientStep(Step):
    """Forward, error, backprop, then the optimiser's update.

    Parameters
    ----------
    objective : Objective
        The network and its loss (``compute_gradients(*batch)`` fills ``p.grad``).
    config : OptimConfig
        The optimiser, learning rate, weight decay, momentum, schedule, clipping and
        gradient hook. A per-batch schedule ("onecycle", "cosine") spans the run that
        :meth:`begin` announces.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from cortexkit.train import AutogradObjective, GradientStep, OptimConfig
    >>> objective = AutogradObjective(nn.Linear(2, 1), nn.functional.mse_loss)
    >>> step = GradientStep(objective, OptimConfig(optimizer="sgd", learning_rate=0.1))
    >>> X, y = torch.randn(8, 2), torch.randn(8, 1)
    >>> before = step.loss((X, y))
    >>> _ = step((X, y))  # one update
    >>> step.loss((X, y)) < before
    True
    """

    def __init__(self, objective: Objective, config: OptimConfig | None = None) -> None:
        config = OptimConfig() if config is None else config
        self.objective = objective
        self.config = config
        self.parameters = [p for p in objective.parameters() if p.requires_grad]
        if not self.parameters:
            raise ValueError(
                "the model has no trainable parameters for a gradient step; a family with "
                "its own update rule uses a Step of its own instead"
            )
        self.optimizer = make_optimizer(
            config.optimizer,
            self.parameters,
            learning_rate=config.learning_rate,
            weight_decay=0.0,  # applied by the step, to the weights only: WeightDecay
            momentum=config.momentum,
            nesterov=config.nesterov,
        )
        self._update = step_function(self.optimizer)
        self._decay = _weight_decay(objective, config, self.parameters, self.optimizer)
        self.scheduler: Any = None
        self._batch_steps = 2
        self._scheduler_state: dict[str, Any] | None = None  # from a checkpoint, until begin
        self._flops: dict[tuple[int, ...], float | None] = {}

    def begin(self, run: Run) -> None:
        """Make the schedule, once: a per-batch one spans the whole planned training and
        then stays at its end."""
        config = self.config
        if self.scheduler is not None or config.lr_schedule is None:
            return
        self._batch_steps = max(run.total_steps, 2)
        if config.lr_schedule == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, factor=config.lr_factor, patience=config.lr_patience
            )
        elif config.lr_schedule == "onecycle":
            # warm up to learning_rate, then anneal to about 1/10,000 of it (Smith's 1cycle)
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=config.learning_rate, total_steps=self._batch_steps
            )
        elif config.lr_schedule == "cosine":
            # down to 0 along half a cosine (Loshchilov & Hutter's annealing, no restarts)
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                self.optimizer, T_max=self._batch_steps
            )
        else:
            raise ValueError(
                f"lr_schedule must be None, 'plateau', 'onecycle' or 'cosine'; "
                f"got {config.lr_schedule!r}"
            )
        self._update = step_function(self.optimizer)  # the step the scheduler now counts
        if self._scheduler_state is not None:  # a checkpoint's: the schedule's state and
            # the optimiser's (making the scheduler reset the learning rate)
            pending, self._scheduler_state = self._scheduler_state, None
            self.load_working_state(pending)

    def __call__(self, batch: Batch) -> Tensor:
        loss = self.objective.compute_gradients(*batch)  # forward, error, backprop
        hook, clip = self.config.gradient_hook, self.config.clip_grad_norm
        if hook is not None:
            hook(self.parameters)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(self.parameters, clip)
        if self._decay is not None:
            self._decay()
        self._update()  # update
        scheduler = self.scheduler
        per_batch = (
            torch.optim.lr_scheduler.OneCycleLR,
            torch.optim.lr_scheduler.CosineAnnealingLR,
        )
        if isinstance(scheduler, per_batch) and scheduler.last_epoch < self._batch_steps - 1:
            scheduler.step()  # past the end: stay there (not back up the cosine)
        return loss

    def loss(self, batch: Batch) -> float:
        return self.objective.loss(*batch)

    def state_dict(self) -> dict[str, Tensor]:
        return self.objective.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> Any:
        return self.objective.load_state_dict(state)

    def working_state(self) -> dict[str, Any]:
        if self._scheduler_state is not None:  # loaded, not yet begun
            return self._scheduler_state
        state: dict[str, Any] = {"optimizer": self.optimizer.state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def load_working_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        # load_state_dict replaces the parameter groups: the fast update must read the new
        # ones (their learning rate, as a schedule left it)
        self._update = step_function(self.optimizer)
        if "scheduler" in state:
            if self.scheduler is not None:
                self.scheduler.load_state_dict(state["scheduler"])
            else:  # made by begin, from the run's length: loaded there
                self._scheduler_state = state

    def flops(self, batch: Batch) -> float | None:
        """The objective's own estimate when it has one; for an
        :class:`~cortexkit.train.AutogradObjective`, counted once per batch shape with
        torch's FLOP counter over a forward and backward pass (which sees every pixel of a
        convolution and every time step of a recurrent layer); else None."""
        own = getattr(self.objective, "flops", None)
        if own is not None:
            return float(own(*batch))
        if not isinstance(self.objective, AutogradObjective):
            return None  # an objective of unknown cost (and maybe side effects): not run
        key = tuple(batch[0].shape)
        if key not in self._flops:
            self._flops[key] = _counted_flops(self.objective, batch)
        return self._flops[key]

    def end_epoch(self, monitored: float) -> None:
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(monitored)

    def logs(self) -> dict[str, float]:
        return {"learning_rate": float(self.optimizer.param_groups[0]["lr"])}


class WeightDecay:
    """``weight_decay`` as one meaning everywhere: an L2 penalty on the weights only.

    The optimiser is built without weight decay; this adds ``weight_decay * W`` to each
    weight's gradient before the update (what SGD, Adam and RMSprop do with their own
    ``weight_decay``), or, for AdamW, shrinks each weight by ``learning_rate *
    weight_decay`` (its decoupled decay). A weight is a parameter of two or more dimensions;
    biases and normalisation parameters are never decayed. A parameter that packs weights
    and biases in one tensor marks its weights with a boolean ``weight_mask`` attribute of
    its shape in ``masks`` (the dense network's one flat tensor does: its module's
    ``weight_masks()`` gives them).

    Examples
    --------
    >>> import torch
    >>> W = torch.nn.Parameter(torch.ones(2, 2))
    >>> b = torch.nn.Parameter(torch.ones(2))
    >>> W.grad, b.grad = torch.zeros(2, 2), torch.zeros(2)
    >>> WeightDecay([W, b], 0.1, torch.optim.SGD([W, b], lr=1.0))()
    >>> round(W.grad[0, 0].item(), 6), b.grad[0].item()
    (0.1, 0.0)
    """

    def __init__(
        self,
        parameters: list[Tensor],
        weight_decay: float,
        optimizer: torch.optim.Optimizer,
        masks: list[tuple[Tensor, Tensor]] = (),  # type: ignore[assignment]
    ) -> None:
        self.weight_decay = float(weight_decay)
        self.optimizer = optimizer
        self.decoupled = isinstance(optimizer, torch.optim.AdamW)
        self.masks = {id(p): m for p, m in masks}
        self.whole = [p for p in parameters if id(p) not in self.masks and p.ndim >= 2]
        self.masked = [p for p in parameters if id(p) in self.masks]

    @torch.no_grad()
    def __call__(self) -> None:
        wd = self.weight_decay
        if self.decoupled:
            shrink = float(self.optimizer.param_groups[0]["lr"]) * wd
            for p in self.whole:
                p.mul_(1.0 - shrink)
            for p in self.masked:
                p.addcmul_(p, self._mask(p), value=-shrink)
            return
        for p in self.whole:
            if p.grad is not None:
                p.grad.add_(p, alpha=wd)
        for p in self.masked:
            if p.grad is not None:
                p.grad.addcmul_(p, self._mask(p), value=wd)

    def _mask(self, p: Tensor) -> Tensor:
        """``p``'s weight mask in ``p``'s dtype on ``p``'s device (converted once)."""
        mask = self.masks[id(p)]
        if mask.device != p.device or mask.dtype != p.dtype:
            mask = self.masks[id(p)] = mask.to(device=p.device, dtype=p.dtype)
        return mask


def _weight_decay(
    objective: Objective,
    config: OptimConfig,
    parameters: list[Tensor],
    optimizer: torch.optim.Optimizer,
) -> WeightDecay | None:
    """What applies ``weight_decay`` each step: nothing when it is 0, or when the objective
    folds the L2 gradient into its own backward pass (``fold_weight_decay``: only for a
    coupled decay, and without clipping, which must see the decay added after it)."""
    if not config.weight_decay:
        return None
    fold = getattr(objective, "fold_weight_decay", None)
    coupled = not isinstance(optimizer, torch.optim.AdamW)
    if callable(fold) and coupled and config.clip_grad_norm is None:
        if fold(config.weight_decay):
            return None
    return WeightDecay(parameters, config.weight_decay, optimizer, _masks(objective))


def _masks(objective: Objective) -> list[tuple[Tensor, Tensor]]:
    """The ``(parameter, weight mask)`` pairs of the objective's module, if it packs weights
    and biases in one tensor (it defines ``weight_masks()``)."""
    module = getattr(objective, "module", None) or getattr(objective, "network", None)
    weight_masks = getattr(module, "weight_masks", None)
    return list(weight_masks()) if callable(weight_masks) else []


COUNT_LIMIT = 5e6  # parameters above which a step is surely big enough for every thread


def _counted_flops(objective: AutogradObjective, batch: Batch) -> float | None:
    """The module's forward pass under torch's FLOP counter, times 3 (the backward pass
    costs about twice the forward). Nothing is left changed: the loss is not called, and
    the buffers (batch-norm statistics) and global RNG (dropout) are put back."""
    from torch.utils.flop_counter import FlopCounterMode

    module = objective.module
    if sum(p.numel() for p in module.parameters()) > COUNT_LIMIT:
        return None
    buffers = {k: v.detach().clone() for k, v in module.state_dict().items()}
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            with FlopCounterMode(display=False) as counter:
                module(batch[0])
        return 3.0 * float(counter.get_total_flops())
    except Exception:  # an op the counter cannot follow: leave the threads alone
        return None
    finally:
        module.load_state_dict(buffers)
