"""The estimator base that every family shares.

:class:`CortexEstimator` holds what does not depend on how a model learns: the parameter
checks (one constraints table per class), seeding, the device, the validation split (random,
stratified, or chronological for series), the fit / partial_fit template, the epoch loop with
its history, progress, early stopping and best-state restore, checkpoints and resume, and the
fitted state that a model file keeps. A family fills in a few hooks:

- ``_fit_data(X, y, fitting, **kw)``: check and encode the inputs, returning the parts of a
  batch (arrays, memmaps or tensors with one row per sample), or a ``Dataset``/``DataLoader``;
- ``_build(parts, generator)``: make the model for data of that shape;
- ``_make_step()``: the step the loop calls on each batch;
- ``_metric(*batch)`` (optional): metrics of a set, with its ``"loss"``;
- ``_get_state`` / ``_set_state``: what a model file keeps beyond the common fitted state;
- ``_after_fit()`` (optional): anything to compute once a fit or partial_fit has run.

The base sets ``history_`` (per-epoch ``"loss"``, ``"val_loss"`` when validating, the
family's metrics), ``loss_curve_`` (the training losses), ``best_loss_`` (the best monitored
loss) and ``n_iter_`` for every family, and freezes the parameters at the start of every
fit as ``fitted_params_``: ``predict``, ``save`` and the step (through
:class:`~cortexkit.train.step.Run`) read the configuration from there, so a
``set_params`` after ``fit`` changes nothing until the next ``fit``.

:class:`CortexModel` is the part without the epoch loop (parameter checks, seeding, class
labels, fitted parameters, model files), for an estimator with a loop of its own (the
perceptron's).

:class:`GradientEstimator` adds the optimiser and the gradient-descent parameters, and its
step is a :class:`~cortexkit.train.GradientStep` over the family's objective. A SOM or a
Boltzmann machine derives from :class:`CortexEstimator` directly and brings its own
:class:`~cortexkit.train.Step`: no optimiser is built.

Under ``torch.distributed`` (a process group of several, as ``torchrun`` starts), ``fit``
trains data-parallel: each process on its share of every batch (see
:mod:`cortexkit.train.distributed`); the fit's own generator is the same in every process,
torch's global RNG is seeded apart for each rank.

Seeding: one ``random_state`` fixes a fit. It seeds the fit's own generator (initial weights,
shuffling, the validation split) and, for the duration of the fit only, torch's global RNG,
which ``nn.Dropout`` draws from; the caller's global RNG state is put back afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options
from cortexkit.io.device import resolve_device
from cortexkit.io.memory import check_fits_in_memory
from cortexkit.model import CortexModel, set_curves
from cortexkit.train.batches import Batches, as_batches
from cortexkit.train.checkpoint import read_checkpoint
from cortexkit.train.config import (
    GRADIENT_DESCENT,
    LR_SCHEDULES,
    LoopConfig,
    OptimConfig,
    resolve_batch_size,
)
from cortexkit.train.distributed import is_distributed, rank_seed
from cortexkit.train.loop import EpochLoop
from cortexkit.train.objective import chunked
from cortexkit.train.optim import OPTIMIZERS
from cortexkit.train.resume import check_resumable, data_fingerprint, params_fingerprint
from cortexkit.train.split import split_rows
from cortexkit.train.step import GradientStep, Step

__all__ = [
    "BASE_CONSTRAINTS",
    "GRADIENT_CONSTRAINTS",
    "CortexEstimator",
    "CortexModel",
    "GradientEstimator",
    "check_fits_in_memory",
    "n_samples",
]

BASE_CONSTRAINTS: dict[str, list[Any]] = {
    "batch_size": [Interval(int, 1, None), None],
    "epochs": [Interval(int, 1, None)],
    "validation_fraction": [Interval(float, 0, 1, closed="left")],
    "validation_split": [Options(["random", "last"])],
    "early_stopping": [bool],
    "patience": [Interval(int, 1, None)],
    "random_state": [Interval(int, 0, 2**32 - 1), np.random.RandomState, None],
    "device": [Options(["auto", "cpu", "cuda"]), str, torch.device],
    "verbose": [Interval(int, 0, None), bool],
    "callbacks": [list, tuple, None],
    "checkpoint": [str, os.PathLike, None],
    "checkpoint_every": [Interval(int, 1, None)],
    "resume": [bool],
}

GRADIENT_CONSTRAINTS: dict[str, list[Any]] = {
    **BASE_CONSTRAINTS,
    "gradient_descent": [Options(GRADIENT_DESCENT), None],
    "optimizer": [Options(OPTIMIZERS), CALLABLE],
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "weight_decay": [Interval(float, 0, None)],
    "momentum": [Interval(float, 0, 1, closed="left")],
    "nesterov": [bool],
    "lr_schedule": [Options(LR_SCHEDULES), None],
    "clip_grad_norm": [Interval(float, 0, None, closed="neither"), None],
}

# parameters that may change between a run and its resumption
_RESUMABLE = {"checkpoint", "checkpoint_every", "resume", "epochs", "verbose", "callbacks",
              "device"}  # fmt: skip


class CortexEstimator(CortexModel):
    """Base of every cortexkit estimator that trains through the epoch loop. Not for direct
    use: see the module's docstring for the hooks a family fills in."""

    _constraints: dict[str, list[Any]] = BASE_CONSTRAINTS
    history_: dict[str, Any]  # set by fit: per-epoch losses and metrics
    loss_curve_: list[float]  # set by fit: the training loss of each epoch
    best_loss_: float  # set by fit: the best monitored loss (validation, else training)
    n_iter_: int  # set by fit: epochs run
    _loop: EpochLoop | None = None  # kept between partial_fit calls

    # -- checks and settings ------------------------------------------------------------

    def _validate_params(self) -> None:
        super()._validate_params()
        if getattr(self, "resume", False) and not getattr(self, "checkpoint", None):
            raise ValueError("resume=True needs checkpoint=PATH: the file to resume from")
        self._loop_config()

    def _loop_config(self) -> LoopConfig:
        p = self._settings()
        checkpoint = p.get("checkpoint")
        return LoopConfig(
            batch_size=p["batch_size"],
            epochs=p["epochs"],
            early_stopping=bool(p["early_stopping"]),
            patience=p["patience"],
            verbose=int(p["verbose"]),
            callbacks=tuple(p.get("callbacks") or ()),
            checkpoint=None if checkpoint is None else os.fspath(checkpoint),
            checkpoint_every=int(p.get("checkpoint_every", 1)),
            data_parallel=is_distributed(),  # one of several processes: train on a share
            settings=MappingProxyType(dict(p)),
        )

    def _device(self) -> torch.device:
        return resolve_device(self._settings()["device"])

    @contextmanager
    def _seeded(self, epochs_done: int = 0, seed: int | None = None) -> Iterator[torch.Generator]:
        """The fit's generator; inside, torch's global RNG (dropout's: the CPU's, and the
        training device's when it is a GPU) is seeded from the same seed (moved on by
        ``epochs_done``, so that each ``partial_fit`` call draws new masks), and the
        caller's states are put back on leaving. ``seed`` overrides ``random_state`` (a
        resumed run reuses its checkpoint's)."""
        seed = self._seed() if seed is None else seed
        device = self._device()
        cpu_state = torch.get_rng_state()
        cuda = (device.index or 0) if device.type == "cuda" else None
        cuda_state = torch.cuda.get_rng_state(cuda) if cuda is not None else None
        try:
            own = rank_seed(seed + 1 + epochs_done)  # each process's own draws
            torch.default_generator.manual_seed(own)
            if cuda is not None:  # the training device only, not every GPU
                torch.cuda.default_generators[cuda].manual_seed(own)
            self._fit_seed = seed
            yield torch.Generator().manual_seed(seed)
        finally:
            torch.set_rng_state(cpu_state)
            if cuda is not None and cuda_state is not None:
                torch.cuda.set_rng_state(cuda_state, cuda)

    def _split_rows(
        self, n: int, generator: torch.Generator, labels: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Training and validation row indices, or None for no validation set (see
        :func:`~cortexkit.train.split.split_rows`)."""
        p = self._settings()
        split = p.get("validation_split", "random")
        rows, note = split_rows(n, p["validation_fraction"], split, generator, labels)
        if note:
            self._validation_note = note
        return rows

    # -- hooks a family fills in --------------------------------------------------------------

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        """Check and encode the inputs: a tuple of per-sample parts, or a Dataset/DataLoader."""
        raise TypeError(f"{type(self).__name__} does not define _fit_data")

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        """Make the model for training data ``parts``."""
        raise TypeError(f"{type(self).__name__} does not define _build")

    def _make_step(self) -> Step:
        """The step the loop calls on each batch."""
        raise TypeError(f"{type(self).__name__} does not define _make_step")

    def _stratify_labels(self, parts: Any) -> np.ndarray | None:
        """Labels to stratify the validation split by (classifiers), else None."""
        return None

    _metric: Any = None  # ``_metric(*batch) -> dict`` of a set's loss and metrics

    def _is_built(self) -> bool:
        """Whether a model exists to continue (``partial_fit``)."""
        return hasattr(self, "history_")

    def _after_fit(self) -> None:
        """Called at the end of every fit and partial_fit, once ``history_``,
        ``loss_curve_`` and ``best_loss_`` are set."""
        return None

    # -- the fit template ---------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Train from scratch (or resume from ``checkpoint`` when ``resume=True``).

        ``validation_data=(X_val, y_val)`` supplies a validation set of your own instead of
        ``validation_fraction``.
        """
        validation_data = fit_params.pop("validation_data", None)
        self._validate_params()
        self._freeze_params()
        self._loop = None
        self.__dict__.pop("_validation_note", None)
        checkpoint = self._checkpoint_to_resume()
        seed = None if checkpoint is None else checkpoint["extra"].get("seed")
        with self._seeded(seed=seed) as generator:
            parts = self._fit_data(X, y, fitting=True, **fit_params)
            self._check_enough_samples(parts)
            train, validation = self._validation(parts, validation_data, generator)
            # the model is built for the data as _fit_data gave it (the validation rows
            # included: the training rows are an index into it)
            self._build(parts if isinstance(train, Batches) else train, generator)
            loop = self._new_loop(generator)
            epochs = self._resume(loop, parts, checkpoint)
            self._run(loop, train, epochs=epochs, validation=validation)
        return self

    def _check_enough_samples(self, parts: Any) -> None:
        """Refuse a training set of fewer than 2 samples (rows, images, windows), before
        any training: one sample cannot be told from noise, nor scaled."""
        n = n_samples(parts)
        if n < 2:
            raise ValueError(
                f"{type(self).__name__} got {n} sample{'' if n == 1 else 's'} to train on "
                "(rows, images or windows of a series); it needs at least 2: give more data"
            )

    def _checkpoint_to_resume(self) -> dict[str, Any] | None:
        """The checkpoint to continue from: when ``resume=True`` and the file exists."""
        path = getattr(self, "checkpoint", None)
        if not (getattr(self, "resume", False) and path and Path(path).exists()):
            return None
        state = read_checkpoint(os.fspath(path))
        state["extra"] = dict(state.get("extra") or {})
        return state

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """One more epoch over the given data, keeping the weights and the step's state
        (the first call builds the model)."""
        first = not self._is_built()
        if first:
            self._validate_params()
            self._freeze_params()
        with self._seeded(0 if first else int(getattr(self, "n_iter_", 0))) as generator:
            parts = self._fit_data(X, y, fitting=first, **kwargs)
            if first:
                self._loop = None
                self._build(parts, generator)
            loop = getattr(self, "_loop", None)
            if loop is None:
                loop = self._new_loop(generator)
                if hasattr(self, "history_"):  # a loaded or unpickled model: carry it on
                    loop.history = {k: list(v) if isinstance(v, list) else v
                                    for k, v in self.history_.items()}  # fmt: skip
                    loop.epochs_done = int(getattr(self, "n_iter_", 0))
            self._run(loop, parts, epochs=1, validation=None, early_stopping=False, partial=True)
        return self

    def _validation(
        self, parts: Any, validation_data: Any, generator: torch.Generator
    ) -> tuple[Any, tuple[Tensor, ...] | None]:
        """The training parts and the validation batch (in memory, on the device)."""
        if validation_data is not None:  # the caller's own validation set: no split
            if isinstance(validation_data, tuple | list):
                own = self._fit_data(*validation_data, fitting=False)
            else:  # a Dataset of (x, y) pairs, say
                own = self._fit_data(validation_data, None, fitting=False)
            return parts, self._source(own).take(torch.arange(n_samples(own)))
        if _is_loader(parts):
            from torch.utils.data import DataLoader, Subset

            if isinstance(parts, DataLoader):  # a loader is used as given: no split
                if self.validation_fraction:
                    self._validation_note = (
                        "no validation set: a DataLoader is used as given (pass a Dataset "
                        "to split one off, or validation_data=); early stopping monitored "
                        "the training loss"
                    )
                return parts, None
            rows = self._split_rows(len(parts), generator)
            if rows is None:
                return parts, None
            held = self._source(Subset(parts, rows[1].tolist()))
            return Subset(parts, rows[0].tolist()), held.take(torch.arange(len(rows[1])))
        rows = self._split_rows(n_samples(parts), generator, self._stratify_labels(parts))
        if rows is None:
            return parts, None
        train_rows, val_rows = rows
        source = self._source(parts)
        # the training rows by index into the data as it is: no copy (a memmap stays on disk)
        return source.subset(train_rows), source.take(torch.from_numpy(val_rows))

    def _source(self, parts: Any) -> Batches:
        """The batch source for ``parts`` (see :func:`~cortexkit.train.batches.as_batches`)."""
        return as_batches(parts, device=self._device(), num_workers=self._num_workers())

    def _num_workers(self) -> int:
        """Worker processes for a streamed Dataset: the estimator's ``num_workers``, or
        those of the DataLoader it was given."""
        return int(self._settings().get("num_workers", 0) or getattr(self, "_loader_workers", 0))

    def _new_loop(self, generator: torch.Generator) -> EpochLoop:
        loop = EpochLoop(self._make_step(), self._loop_config(), generator=generator,
                         metric=self._metric)  # fmt: skip
        settings = self._settings()
        free = _RESUMABLE
        if settings.get("lr_schedule") in ("onecycle", "cosine"):  # sized by the epochs
            free = _RESUMABLE - {"epochs"}
        params = params_fingerprint(settings, free)
        loop.extra_state = {"estimator": type(self).__name__, "params": params}
        return loop

    def _data_fingerprint(self, parts: Any) -> dict[str, Any]:
        """What a resumed run's data must share with the checkpoint's."""
        target = getattr(self, "_target_state", None)
        return data_fingerprint(parts, n_samples(parts), getattr(self, "n_features_in_", None),
                                None if target is None else target())  # fmt: skip

    def _resume(self, loop: EpochLoop, parts: Any, state: dict[str, Any] | None) -> int | None:
        """Continue from the checkpoint ``state`` (if any); the epochs still to run. The
        checkpoint's estimator, parameters and data are checked before anything of it is
        loaded."""
        loop.extra_state["data"] = self._data_fingerprint(parts)
        loop.extra_state["seed"] = self._fit_seed
        if state is None:
            return None
        where = os.fspath(self.checkpoint)
        check_resumable(where, state["extra"], type(self).__name__,
                        loop.extra_state["params"], loop.extra_state["data"])  # fmt: skip
        loop.load_checkpoint_state(state)
        loop.history["resumed"] = f"resumed from {where} after epoch {loop.epochs_done}"
        if "stopped" in loop.history:
            return 0
        return max(loop.config.epochs - loop.epochs_done, 0)

    def _run(
        self,
        loop: EpochLoop,
        parts: Any,
        *,
        epochs: int | None,
        validation: tuple[Tensor, ...] | None,
        early_stopping: bool | None = None,
        partial: bool = False,
    ) -> None:
        loop.run(self._source(parts), epochs=epochs, validation=validation,
                 early_stopping=early_stopping, partial=partial)  # fmt: skip
        self._loop = loop
        note = getattr(self, "_validation_note", None)
        if note:
            loop.history["validation"] = note
        self.history_ = loop.history
        self.n_iter_ = loop.epochs_done
        set_curves(self)
        self._after_fit()

    def __getstate__(self) -> dict[str, Any]:
        # The loop (optimiser, generator) is working state for partial_fit, not the model.
        state = dict(super().__getstate__())
        state.pop("_loop", None)
        return state


class GradientEstimator(CortexEstimator):
    """Base of the gradient-trained estimators (ANN, CNN, RNN, autoencoders): the base plus
    the optimiser and the gradient-descent parameters. The family provides
    ``self._objective`` in ``_build``."""

    _constraints = GRADIENT_CONSTRAINTS

    def _loop_config(self) -> LoopConfig:
        cfg = super()._loop_config()
        p = cfg.settings
        cfg.batch_size = resolve_batch_size(p["batch_size"], p["gradient_descent"])
        cfg.optim = OptimConfig(
            optimizer=p["optimizer"],
            learning_rate=float(p["learning_rate"]),
            weight_decay=float(p["weight_decay"]),
            momentum=float(p["momentum"]),
            nesterov=bool(p["nesterov"]),
            lr_schedule=p["lr_schedule"],
            clip_grad_norm=p["clip_grad_norm"],
        )
        return cfg

    def _make_step(self) -> Step:
        return GradientStep(self._objective, self._loop_config().optim)

    @staticmethod
    @torch.no_grad()
    def _forward(module: torch.nn.Module, X: Tensor) -> Tensor:
        """The module's outputs for ``X``, in evaluation mode (dropout off), a chunk of rows
        at a time (what ``predict`` and the per-epoch metrics need)."""
        module.eval()
        return chunked(module, X)


def _is_loader(parts: Any) -> bool:
    from torch.utils.data import DataLoader, Dataset

    return isinstance(parts, DataLoader | Dataset)


def n_samples(parts: Any) -> int:
    """Samples in the parts ``_fit_data`` gave: a Dataset's length, or the first array's."""
    if _is_loader(parts):
        return len(parts)
    return len(parts[0])
