"""The epoch loop every family shares.

The loop runs epochs over a batch source (:mod:`cortexkit.train.batches`) and calls a step
(:mod:`cortexkit.train.step`) on each batch; it knows nothing of what the step does. For the
gradient-trained families the step is the article's cycle: forward (predict), error (compare
with the actual value), backprop (gradients of the error with respect to every weight),
update (the optimiser moves each weight against its gradient). A SOM or a Boltzmann machine
brings its own rule. Either way the loop gives monitoring, early stopping with the best
epoch's weights restored, the divergence policy, callbacks, progress, and checkpoints that
a later run resumes from. One epoch is one pass over the training set. With
``LoopConfig.data_parallel`` and a process group up, each process trains on its share of
every batch (:mod:`cortexkit.train.distributed`).

Gradient-descent modes come from the batch size alone:

- ``batch_size=1``: stochastic gradient descent, one update per observation;
- ``batch_size=None``: batch gradient descent, one update per epoch on the whole set;
- ``batch_size=n``: mini-batch gradient descent, one update per ``n`` observations.

In-memory data is batched by index: each epoch draws one random order and gathers each
batch's rows, never a copy of the whole set (a few µs a batch, against about 200 µs for a
per-sample ``DataLoader``).

Non-finite loss policy: the loss is checked to be finite at every step on the CPU, and
every ``check_every`` steps (and at the end of each epoch) on an accelerator. If it is not,
training stops at once, the weights of the best epoch so far (lowest monitored loss) are restored, a
:class:`~cortexkit.exceptions.DivergenceWarning` is issued and ``history["stopped"]`` says
why. If no epoch had completed yet there is nothing worth keeping, and
:class:`~cortexkit.exceptions.DivergenceError` is raised instead.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from cortexkit.exceptions import DivergenceError, DivergenceWarning
from cortexkit.io.device import cpu_settings
from cortexkit.train import distributed as dp
from cortexkit.train.batches import Batches, as_batches, device_of
from cortexkit.train.callbacks import Callback, as_callback
from cortexkit.train.checkpoint import write_checkpoint
from cortexkit.train.config import LoopConfig
from cortexkit.train.objective import Objective
from cortexkit.train.step import GradientStep, Run, Step

__all__ = ["EpochLoop", "metric_sample_size"]

METRIC_SAMPLE = 1024  # at most this many training rows for the per-epoch training metric
METRIC_SHARE = 32  # ... and at most 1/32 of an epoch's rows (256 at least)


def metric_sample_size(n: int) -> int:
    """Rows the per-epoch training metric is measured on: about 1/32 of the set (its
    forward pass then costs ~1% of the epoch's forward and backward), between 256 and
    ``METRIC_SAMPLE``. The validation metrics use the whole validation set.

    Examples
    --------
    >>> metric_sample_size(8000), metric_sample_size(100_000), metric_sample_size(100)
    (256, 1024, 256)
    """
    return max(256, min(METRIC_SAMPLE, n // METRIC_SHARE))


class EpochLoop:
    """Runs epochs of a step over a batch source.

    It keeps the step (and so the optimiser), the history and the early-stopping
    bookkeeping between calls to :meth:`run`, so ``partial_fit`` can continue where the
    last call stopped, and it saves and resumes checkpoints.

    Parameters
    ----------
    step : Step or Objective
        What to do with each batch. An :class:`~cortexkit.train.Objective` (a network and
        its loss) is trained by a :class:`~cortexkit.train.GradientStep` built from
        ``config``.
    config : LoopConfig
        The loop's settings.
    generator : torch.Generator
        The source of the shuffling order.
    metric : callable, optional
        ``metric(*batch) -> dict`` of metrics, computed each epoch on the validation set and
        on a fixed random subset of the training rows (:func:`metric_sample_size`: the
        whole training set would cost a forward pass over it every epoch). When its dict
        holds ``"loss"``, that is the set's loss, so one forward pass gives both.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from cortexkit.train import AutogradObjective, EpochLoop, LoopConfig, OptimConfig
    >>> X = torch.linspace(-1, 1, 64).reshape(-1, 1)
    >>> y = 3 * X + 1
    >>> objective = AutogradObjective(nn.Linear(1, 1), nn.functional.mse_loss)
    >>> config = LoopConfig(batch_size=16, epochs=200, optim=OptimConfig(learning_rate=0.05))
    >>> loop = EpochLoop(objective, config, generator=torch.Generator().manual_seed(0))
    >>> history = loop.run(X, y)
    >>> history["loss"][-1] < 1e-3
    True
    """

    def __init__(
        self,
        step: Step | Objective,
        config: LoopConfig,
        *,
        generator: torch.Generator,
        metric: Callable[..., dict[str, float]] | None = None,
    ) -> None:
        self.step = step if isinstance(step, Step) else GradientStep(step, config.optim)
        self.config = config
        self.generator = generator
        # the training-metric sample has a generator of its own, so that drawing it does
        # not shift the shuffling order (a resumed run draws it again)
        self._sample_generator = torch.Generator().manual_seed(generator.initial_seed())
        self.metric = metric
        self.history: dict[str, Any] = {"loss": [], "time": []}
        self.epochs_done = 0
        self.best_loss = math.inf
        self.best_epoch = 0
        self._best_state: dict[str, Tensor] | None = None
        self._bad_epochs = 0
        self._partial = False
        self._call_start: dict[str, Tensor] | None = None
        self._batch_size: int | None = None  # this run's (see LoopConfig.batch_size)
        self._parallel = False  # this run is one process's share of a data-parallel one
        #: JSON-like data the estimator keeps in a checkpoint (what a resume must match)
        self.extra_state: dict[str, Any] = {}

    @property
    def optimizer(self) -> torch.optim.Optimizer | None:
        """The gradient step's optimiser (None for a family's own rule)."""
        return getattr(self.step, "optimizer", None)

    # -- one epoch ---------------------------------------------------------------------

    def _epoch(self, batches: Batches) -> float:
        step, n = self.step, batches.n
        device = batches.device
        # Reading the loss forces a device sync: every step on the CPU (where it is cheap),
        # every few steps on an accelerator, summing on the device in between.
        every = self.config.check_every or (1 if device.type == "cpu" else 32)
        total, seen, pending = 0.0, 0, torch.zeros((), device=device)
        epoch = batches.epoch(self._batch_size, shuffle=self.config.shuffle,
                              generator=self.generator)  # fmt: skip
        for i, batch in enumerate(epoch, start=1):
            rows = batch[0].shape[0]
            seen += rows
            loss = step(batch)
            if every == 1:
                value = float(loss) * rows
            else:
                pending += loss.detach() * rows
                value = float(pending) if i % every == 0 or seen >= n else 0.0
                if value:
                    pending.zero_()
            if not math.isfinite(value) and not self._parallel:  # (the others step on)
                return value
            total += value
        if every > 1 and bool(pending != 0):  # a source that ended short of n rows
            total += float(pending)
            if not math.isfinite(total) and not self._parallel:
                return total
        if self._parallel:  # the loss over every process's rows
            total, seen = dp.sum_floats(total, seen)  # type: ignore[assignment]
        return total / max(seen, 1)

    # -- epochs ------------------------------------------------------------------------

    def run(
        self,
        *data: Any,
        epochs: int | None = None,
        validation: tuple[Tensor, ...] | None = None,
        early_stopping: bool | None = None,
        partial: bool = False,
    ) -> dict[str, Any]:
        """Train for ``epochs`` (default: the config's) and return the history.

        ``data`` is the training set: tensors with one row per observation (``X, y`` or
        whatever the step takes), NumPy memmaps, a ``Dataset`` or ``DataLoader``, or a
        :class:`~cortexkit.train.batches.Batches`. ``early_stopping`` overrides the
        config's. ``partial=True`` is ``partial_fit``'s run: it never rolls back what earlier
        calls trained; if the loss becomes non-finite, the weights from before this call
        are put back.
        """
        cfg = self.config
        batches = as_batches(data[0] if len(data) == 1 else data, device=device_of(data),
                             num_workers=cfg.num_workers)  # fmt: skip
        epochs = cfg.epochs if epochs is None else epochs
        stopping = cfg.early_stopping if early_stopping is None else early_stopping
        callbacks = [as_callback(c) for c in cfg.callbacks]
        if epochs:  # a resumed run with nothing left keeps saying why it stopped
            self.history.pop("stopped", None)
        self._partial = partial
        self._call_start = (
            {k: v.detach().clone() for k, v in self.step.state_dict().items()} if partial else None
        )
        for c in callbacks:
            c.on_train_begin(self)
        size = cfg.batch_size(batches.n) if callable(cfg.batch_size) else cfg.batch_size
        whole, self._parallel = batches, cfg.data_parallel and dp.is_distributed()
        if self._parallel:
            batches, size = dp.data_parallel(batches, size, self.step)
        self._batch_size = size
        self.step.begin(
            Run(
                epochs=cfg.epochs,
                epochs_done=self.epochs_done,
                n_train=batches.n,
                batch_size=size,
                steps_per_epoch=1 if not size else max(-(-batches.n // size), 1),
                batches=whole,
                settings=cfg.settings,
            )
        )
        device = batches.device
        flops = self._step_flops(batches) if device.type == "cpu" and epochs else None
        bar = tqdm(
            total=epochs,
            desc="epochs",
            unit="epoch",
            disable=not (cfg.verbose and sys.stderr.isatty() and dp.is_main()),
            leave=False,
        )
        with bar, cpu_settings(flops, device):
            self._epochs(batches, epochs, validation, callbacks, bar, stopping)
        if stopping and "stopped" not in self.history:
            self.restore_best()  # ran every epoch: still keep the best one
        for c in callbacks:
            c.on_train_end(self)
        return self.history

    def _step_flops(self, batches: Batches) -> float | None:
        """A step's cost, estimated once per batch size (``partial_fit`` calls run often)."""
        key = self._batch_size
        cache: dict[int | None, float | None] = self.__dict__.setdefault("_flops", {})
        if key not in cache:
            cache[key] = self.step.flops(batches.first(key))
        return cache[key]

    def _epochs(
        self,
        batches: Batches,
        epochs: int,
        validation: tuple[Tensor, ...] | None,
        callbacks: list[Callback],
        bar: Any,
        stopping: bool,
    ) -> None:
        cfg = self.config
        for i in range(epochs):
            t0 = time.perf_counter()
            train_loss = self._epoch(batches)
            if self._parallel:
                dp.broadcast_state(self.step)
            if not math.isfinite(train_loss) or not self._state_finite():
                self._diverged(train_loss)
                break
            self.epochs_done += 1
            logs = self._logs(train_loss, batches, validation)
            logs["time"] = time.perf_counter() - t0
            self._record(logs)
            monitored = logs.get("val_loss", train_loss)
            self.step.end_epoch(monitored)
            patience_ran_out = not self._partial and self._track_best(monitored) and stopping
            bar.update(1)
            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if "loss" in k})
            if cfg.verbose >= 2 and dp.is_main():
                shown = ", ".join(f"{k}={v:.4g}" for k, v in logs.items())
                print(f"epoch {self.epochs_done}: {shown}", file=sys.stderr)
            # every callback sees every epoch, even when an earlier one asks to stop
            asked = [bool(c.on_epoch_end(self.epochs_done, logs)) for c in callbacks]
            if self._parallel:  # one process's callback stops them all
                asked = [dp.any_rank(any(asked))]
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
            last = "stopped" in self.history or i == epochs - 1
            if cfg.checkpoint and (last or self.epochs_done % cfg.checkpoint_every == 0):
                self.save_checkpoint(cfg.checkpoint)
            if "stopped" in self.history:
                break

    def _logs(
        self, train_loss: float, batches: Batches, validation: tuple[Tensor, ...] | None
    ) -> dict[str, float]:
        logs: dict[str, float] = {"loss": train_loss}
        if self.metric is not None:
            rows = metric_sample_size(batches.source.n if self._parallel else batches.n)  # type: ignore[attr-defined]
            sample = self.metric(*batches.sample(rows, self._sample_generator))
            logs.update({k: v for k, v in sample.items() if k != "loss"})
        if validation is not None:
            scores = self.metric(*validation) if self.metric is not None else {}
            if "loss" not in scores:
                scores["loss"] = self.step.loss(validation)
            logs["val_loss"] = scores.pop("loss")
            logs.update({f"val_{k}": v for k, v in scores.items()})
        logs.update(self.step.logs())
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

    def _track_best(self, monitored: float) -> bool:
        """Keep the best weights; whether patience has run out."""
        if monitored < self.best_loss - self.config.tol:
            self.best_loss, self.best_epoch, self._bad_epochs = monitored, self.epochs_done, 0
            self._best_state = {k: v.detach().clone() for k, v in self.step.state_dict().items()}
        else:
            self._bad_epochs += 1
        return self._bad_epochs >= self.config.patience

    def restore_best(self) -> None:
        """Put back the weights of the epoch with the lowest monitored loss."""
        if self._best_state is not None:
            self.step.load_state_dict(self._best_state)

    def _state_finite(self) -> bool:
        """Whether every floating-point tensor of the model's state (its weights and
        buffers, such as batch norm's running statistics) is finite: a loss can stay finite
        while running statistics overflow, and such a model could not be saved and loaded."""
        floats = [v for v in self.step.state_dict().values()
                  if isinstance(v, Tensor) and v.is_floating_point()]  # fmt: skip
        return not floats or bool(torch.stack([torch.isfinite(v).all() for v in floats]).all())

    def _diverged(self, loss: float) -> None:
        where = f"epoch {self.epochs_done + 1}"
        what = (
            f"the loss became {loss}"
            if not math.isfinite(loss)
            else "the model's state (e.g. batch norm's running statistics) became non-finite"
        )
        cause = f"non-finite loss ({loss})" if not math.isfinite(loss) else "non-finite state"
        if self._partial and self._call_start is not None:
            self.step.load_state_dict(self._call_start)
            self.history["stopped"] = (
                f"{cause} in {where}; put back the weights from before this partial_fit call"
            )
            warnings.warn(
                f"training stopped: {what} in {where}; kept the weights from "
                "before this partial_fit call. Lower learning_rate to avoid this.",
                DivergenceWarning,
                stacklevel=5,
            )
            return
        if self._best_state is None:
            raise DivergenceError(
                f"{what} in {where}, before any epoch completed; "
                f"lower learning_rate (now {self._learning_rate()}) or scale the inputs"
            )
        self.restore_best()
        self.history["stopped"] = (
            f"{cause} in {where}; restored the weights of epoch {self.best_epoch}"
        )
        warnings.warn(
            f"training stopped: {what} in {where}; kept the weights of epoch "
            f"{self.best_epoch} (loss {self.best_loss:.4g}). Lower learning_rate to avoid this.",
            DivergenceWarning,
            stacklevel=5,
        )

    def _learning_rate(self) -> Any:
        return self.config.settings.get("learning_rate", self.config.optim.learning_rate)

    # -- checkpoints -------------------------------------------------------------------

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything :meth:`load_checkpoint_state` needs to continue this run exactly."""
        rng: dict[str, Any] = {"generator": self.generator.get_state(),
                               "torch": torch.get_rng_state()}  # fmt: skip
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "epochs_done": self.epochs_done,
            "history": self.history,
            "best_loss": self.best_loss,
            "best_epoch": self.best_epoch,
            "best_state": self._best_state,
            "bad_epochs": self._bad_epochs,
            "model": self.step.state_dict(),
            "step": self.step.working_state(),
            "rng": rng,
            "extra": self.extra_state,
        }

    def save_checkpoint(self, path: str) -> None:
        """Write the checkpoint to ``path``, atomically (rank 0 of a data-parallel run, with
        every rank's random state)."""
        if self._parallel:
            dp.write_on_rank_zero(path, self.checkpoint_state(), write_checkpoint)
        else:
            write_checkpoint(path, self.checkpoint_state())

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`checkpoint_state` (as read from a checkpoint file).

        Raises
        ------
        ValueError
            If the checkpoint's weights do not fit this run's model, or it was written by
            another number of processes.
        """
        state = dp.own_rank_state(state)
        try:
            self.step.load_state_dict(state["model"])
            self.step.load_working_state(state["step"])
            self.epochs_done = int(state["epochs_done"])
            self.history = dict(state["history"])
            self.best_loss = float(state["best_loss"])
            self.best_epoch = int(state["best_epoch"])
            self._best_state = state["best_state"]
            self._bad_epochs = int(state["bad_epochs"])
            rng = state["rng"]
            self.generator.set_state(rng["generator"])
            torch.set_rng_state(rng["torch"])
            if "cuda" in rng and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(rng["cuda"])
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ValueError(f"the checkpoint does not fit this model ({exc})") from None
