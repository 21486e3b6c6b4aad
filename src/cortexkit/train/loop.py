"""The learning loop every gradient-trained family shares.

One step is the article's cycle: forward (predict), error (compare with the actual value),
backprop (gradients of the error with respect to every weight), update (the optimiser moves
each weight against its gradient). One epoch is one pass over the training set.

Gradient-descent modes come from the batch size alone:

- ``batch_size=1``: stochastic gradient descent, one update per observation;
- ``batch_size=None``: batch gradient descent, one update per epoch on the whole set;
- ``batch_size=n``: mini-batch gradient descent, one update per ``n`` observations.

In-memory data is batched by slicing: each epoch gathers one shuffled copy of the set and
then takes contiguous views of it, which costs about 11 µs a batch against about 200 µs for a
per-sample ``DataLoader``.

Non-finite loss policy: every step checks that the loss is finite. If it is not, training
stops at once, the weights of the best epoch so far (lowest monitored loss) are restored, a
:class:`~cortexkit.exceptions.DivergenceWarning` is issued and ``history["stopped"]`` says
why. If no epoch had completed yet there is nothing worth keeping, and
:class:`~cortexkit.exceptions.DivergenceError` is raised instead.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from cortexkit.exceptions import DivergenceError, DivergenceWarning
from cortexkit.train.objective import Objective
from cortexkit.train.optim import make_optimizer, step_function

__all__ = ["Callback", "LoopConfig", "Trainer", "resolve_batch_size", "resolve_device"]

GRADIENT_DESCENT = ("stochastic", "batch", "mini-batch")


@dataclass
class LoopConfig:
    """The loop's settings, as the estimators' parameters of the same names.

    Examples
    --------
    >>> from cortexkit.train import LoopConfig
    >>> LoopConfig(batch_size=None, epochs=5).batch_size is None  # batch gradient descent
    True
    """

    batch_size: int | None = 32
    epochs: int = 100
    shuffle: bool = True
    optimizer: Any = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False
    early_stopping: bool = False
    patience: int = 10
    tol: float = 1e-4
    lr_schedule: str | None = None
    lr_patience: int = 5
    lr_factor: float = 0.5
    clip_grad_norm: float | None = None
    check_every: int | None = None  # steps between loss reads; None: 1 on CPU, 32 on GPU
    # called with the parameters after backprop, before clipping and the update: where a
    # multi-process run all-reduces its gradients (cortexkit.train.distributed)
    gradient_hook: Callable[[list[Tensor]], None] | None = None
    verbose: int = 0
    callbacks: Sequence[Any] = field(default_factory=tuple)


class Callback:
    """Hooks into the loop. Return ``True`` from ``on_epoch_end`` to stop training.

    A plain callable ``fn(epoch, logs)`` also works as a callback (as ``on_epoch_end``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from cortexkit import ANNClassifier
    >>> from cortexkit.train import Callback
    >>> class StopAtLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs):
    ...         return logs["loss"] < 0.5  # True stops training
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ANNClassifier((16,), epochs=500, callbacks=[StopAtLoss()], random_state=0)
    >>> clf.fit(X, y).history_["stopped"]
    'a callback stopped training at epoch ...'
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch with that epoch's losses and metrics."""
        return None

    def on_train_end(self, trainer: Trainer) -> None:
        """Called once after the last epoch."""


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


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` picks CUDA when it is available, else the CPU.

    Raises
    ------
    ValueError
        For anything but ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` naming a device
        this machine has.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}")
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device={device!r} was asked for but no CUDA device is available")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"device={device!r}: this machine has {count} CUDA device(s)")
    return resolved


METRIC_SAMPLE = 1024  # training rows the per-epoch training metric is measured on
SMALL_STEP_FLOPS = 2e7  # below this, a step runs faster on one CPU thread


@contextmanager
def cpu_settings(step_flops: float, device: torch.device) -> Iterator[None]:
    """Thread count and denormal handling for a training run on the CPU.

    A small step (a few million multiply-adds) runs on one thread: waking a second costs
    more than it saves, and on a busy shared machine two OpenMP threads can be 10x slower
    than one. Denormal floats are flushed to zero while training: sigmoid-heavy loops can
    stall on them (5x slower measured here), and they carry no useful precision.
    The thread count is restored afterwards; torch cannot report the denormal mode, so it
    is set back to torch's default (off).
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    if step_flops < SMALL_STEP_FLOPS:
        torch.set_num_threads(1)
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        if flushed:
            torch.set_flush_denormal(False)


class Trainer:
    """Runs epochs of forward, error, backprop and update over in-memory tensors.

    It keeps the optimiser, the learning-rate schedule and the history between calls to
    :meth:`run`, so ``partial_fit`` can continue where the last call stopped.

    Parameters
    ----------
    objective : Objective
        The network and its loss.
    config : LoopConfig
        The loop's settings.
    generator : torch.Generator
        The source of the shuffling order.
    metric : callable, optional
        ``metric(X, y) -> dict`` of metrics, computed each epoch on the validation set and
        on up to ``METRIC_SAMPLE`` training rows (a fixed random subset: the whole training
        set would cost a forward pass over it every epoch). When its dict holds ``"loss"``,
        that is the set's loss, so one forward pass gives both.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from cortexkit.train import AutogradObjective, LoopConfig, Trainer
    >>> X = torch.linspace(-1, 1, 64).reshape(-1, 1)
    >>> y = 3 * X + 1
    >>> objective = AutogradObjective(nn.Linear(1, 1), nn.functional.mse_loss)
    >>> config = LoopConfig(batch_size=16, epochs=200, learning_rate=0.05)
    >>> trainer = Trainer(objective, config, generator=torch.Generator().manual_seed(0))
    >>> history = trainer.run(X, y)
    >>> history["loss"][-1] < 1e-3
    True
    """

    def __init__(
        self,
        objective: Objective,
        config: LoopConfig,
        *,
        generator: torch.Generator,
        metric: Callable[[Tensor, Tensor], dict[str, float]] | None = None,
    ) -> None:
        self.objective = objective
        self.config = config
        self.generator = generator
        self.metric = metric
        self.params = [p for p in objective.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(
            config.optimizer,
            self.params,
            learning_rate=config.learning_rate,
            weight_decay=config.weight_decay,
            momentum=config.momentum,
            nesterov=config.nesterov,
        )
        self._step = step_function(self.optimizer)
        self.scheduler = (
            torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, factor=config.lr_factor, patience=config.lr_patience
            )
            if config.lr_schedule == "plateau"
            else None
        )
        self.history: dict[str, Any] = {"loss": [], "learning_rate": [], "time": []}
        self.epochs_done = 0
        self.best_loss = math.inf
        self.best_epoch = 0
        self._best_state: dict[str, Tensor] | None = None
        self._bad_epochs = 0

    # -- one epoch ---------------------------------------------------------------------

    def _epoch(self, X: Tensor, y: Tensor) -> float:
        n = X.shape[0]
        bs = n if self.config.batch_size is None else min(self.config.batch_size, n)
        if self.config.shuffle and bs < n:
            order = torch.randperm(n, generator=self.generator).to(X.device)
            X, y = X.index_select(0, order), y.index_select(0, order)
        objective, step, clip = self.objective, self._step, self.config.clip_grad_norm
        hook = self.config.gradient_hook
        # Reading the loss forces a device sync: every step on the CPU (where it is cheap),
        # every few steps on an accelerator, summing on the device in between.
        every = self.config.check_every or (1 if X.device.type == "cpu" else 32)
        total, pending = 0.0, torch.zeros((), device=X.device)
        for i, start in enumerate(range(0, n, bs), start=1):
            xb, yb = X[start : start + bs], y[start : start + bs]
            loss = objective.compute_gradients(xb, yb)  # forward, error, backprop
            if every == 1:
                value = float(loss) * xb.shape[0]
            else:
                pending += loss.detach() * xb.shape[0]
                value = float(pending) if i % every == 0 or start + bs >= n else 0.0
                if value:
                    pending.zero_()
            if not math.isfinite(value):
                return value
            total += value
            if hook is not None:
                hook(self.params)
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(self.params, clip)
            step()  # update
        return total / n

    # -- epochs ------------------------------------------------------------------------

    def run(
        self,
        X: Tensor,
        y: Tensor,
        *,
        epochs: int | None = None,
        validation: tuple[Tensor, Tensor] | None = None,
        early_stopping: bool | None = None,
    ) -> dict[str, Any]:
        """Train for ``epochs`` (default: the config's) and return the history.

        ``early_stopping`` overrides the config's (``partial_fit`` turns it off: one epoch
        at a time, it must never roll back what the caller just trained).
        """
        cfg = self.config
        epochs = cfg.epochs if epochs is None else epochs
        stopping = cfg.early_stopping if early_stopping is None else early_stopping
        callbacks = [c if isinstance(c, Callback) else _FunctionCallback(c) for c in cfg.callbacks]
        self.history.pop("stopped", None)
        for c in callbacks:
            c.on_train_begin(self)
        rows = X.shape[0] if cfg.batch_size is None else min(cfg.batch_size, X.shape[0])
        step_flops = 6.0 * rows * sum(p.numel() for p in self.params)  # forward + backward
        bar = tqdm(
            total=epochs,
            desc="epochs",
            unit="epoch",
            disable=not (cfg.verbose and sys.stderr.isatty()),
            leave=False,
        )
        with bar, cpu_settings(step_flops, X.device):
            self._epochs(X, y, epochs, validation, callbacks, bar, stopping)
        if stopping and "stopped" not in self.history:
            self.restore_best()  # ran every epoch: still keep the best one
        for c in callbacks:
            c.on_train_end(self)
        return self.history

    def _epochs(
        self,
        X: Tensor,
        y: Tensor,
        epochs: int,
        validation: tuple[Tensor, Tensor] | None,
        callbacks: list[Callback],
        bar: Any,
        stopping: bool,
    ) -> None:
        cfg = self.config
        for _ in range(epochs):
            t0 = time.perf_counter()
            train_loss = self._epoch(X, y)
            if not math.isfinite(train_loss):
                self._diverged(train_loss)
                break
            self.epochs_done += 1
            logs = self._logs(train_loss, X, y, validation)
            logs["time"] = time.perf_counter() - t0
            self._record(logs)
            monitored = logs.get("val_loss", train_loss)
            if self.scheduler is not None:
                self.scheduler.step(monitored)
            patience_ran_out = self._track_best(monitored) and stopping
            bar.update(1)
            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if "loss" in k})
            if cfg.verbose >= 2:
                shown = ", ".join(f"{k}={v:.4g}" for k, v in logs.items())
                print(f"epoch {self.epochs_done}: {shown}", file=sys.stderr)
            # every callback sees every epoch, even when an earlier one asks to stop
            asked = [bool(c.on_epoch_end(self.epochs_done, logs)) for c in callbacks]
            if any(asked) or patience_ran_out:
                self.history["stopped"] = (
                    f"a callback stopped training at epoch {self.epochs_done}"
                    if any(asked)
                    else f"early stopping at epoch {self.epochs_done}: no improvement for "
                    f"{cfg.patience} epochs"
                )
                if stopping:
                    self.restore_best()
                    self.history["stopped"] += f"; restored the weights of epoch {self.best_epoch}"
                break

    def _logs(
        self, train_loss: float, X: Tensor, y: Tensor, validation: tuple[Tensor, Tensor] | None
    ) -> dict[str, float]:
        logs: dict[str, float] = {"loss": train_loss}
        if self.metric is not None:
            sample = self.metric(*self._metric_sample(X, y))
            logs.update({k: v for k, v in sample.items() if k != "loss"})
        if validation is not None:
            scores = self.metric(*validation) if self.metric is not None else {}
            if "loss" not in scores:
                scores["loss"] = self.objective.loss(*validation)
            logs["val_loss"] = scores.pop("loss")
            logs.update({f"val_{k}": v for k, v in scores.items()})
        logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return logs

    def _record(self, logs: dict[str, float]) -> None:
        """Append an epoch, keeping every column as long as ``epochs_done`` (NaN where an
        epoch did not measure something, e.g. no validation set in ``partial_fit``)."""
        for key, value in logs.items():
            column = self.history.setdefault(key, [])
            column.extend([math.nan] * (self.epochs_done - 1 - len(column)))
            column.append(value)
        for column in self.history.values():
            if isinstance(column, list) and len(column) < self.epochs_done:
                column.extend([math.nan] * (self.epochs_done - len(column)))

    def _metric_sample(self, X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        if X.shape[0] <= METRIC_SAMPLE:
            return X, y
        key = (X.shape[0], X.data_ptr())  # not X itself: the trainer must not keep the data
        if getattr(self, "_sample_key", None) != key:
            rows = torch.randperm(X.shape[0], generator=self.generator)[:METRIC_SAMPLE]
            self._sample = rows.to(X.device)
            self._sample_key = key
        return X.index_select(0, self._sample), y.index_select(0, self._sample)

    def _track_best(self, monitored: float) -> bool:
        """Keep the best weights; whether patience has run out."""
        if monitored < self.best_loss - self.config.tol:
            self.best_loss, self.best_epoch, self._bad_epochs = monitored, self.epochs_done, 0
            self._best_state = {
                k: v.detach().clone() for k, v in self.objective.state_dict().items()
            }
        else:
            self._bad_epochs += 1
        return self._bad_epochs >= self.config.patience

    def restore_best(self) -> None:
        """Put back the weights of the epoch with the lowest monitored loss."""
        if self._best_state is not None:
            self.objective.load_state_dict(self._best_state)

    def _diverged(self, loss: float) -> None:
        where = f"epoch {self.epochs_done + 1}"
        if self._best_state is None:
            raise DivergenceError(
                f"the training loss became {loss} in {where}, before any epoch completed; "
                f"lower learning_rate (now {self.config.learning_rate}) or scale the inputs"
            )
        self.restore_best()
        self.history["stopped"] = (
            f"non-finite loss ({loss}) in {where}; restored the weights of epoch {self.best_epoch}"
        )
        warnings.warn(
            f"training stopped: the loss became {loss} in {where}; kept the weights of epoch "
            f"{self.best_epoch} (loss {self.best_loss:.4g}). Lower learning_rate to avoid this.",
            DivergenceWarning,
            stacklevel=4,
        )


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[int, dict[str, float]], bool | None]) -> None:
        if not callable(fn):
            raise TypeError(f"callbacks must be Callback objects or callables; got {fn!r}")
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs)
