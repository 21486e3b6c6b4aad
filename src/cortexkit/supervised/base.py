"""What every gradient-trained estimator shares: the loop's parameters, their checks,
seeding, the validation split, and the hooks that make a model file.

Subclasses write their own ``__init__`` (scikit-learn reads the parameters from its
signature) and call :meth:`NeuralEstimator._train` with an objective.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options, validate_params
from cortexkit.neuron.activations import ACTIVATIONS
from cortexkit.neuron.init import INITIALIZERS
from cortexkit.persist import SaveMixin
from cortexkit.train.loop import (
    GRADIENT_DESCENT,
    LoopConfig,
    Trainer,
    resolve_batch_size,
    resolve_device,
)
from cortexkit.train.objective import Objective
from cortexkit.train.optim import OPTIMIZERS

__all__ = ["LOOP_CONSTRAINTS", "NeuralEstimator"]

LOOP_CONSTRAINTS: dict[str, list[Any]] = {
    "batch_size": [Interval(int, 1, None), None],
    "gradient_descent": [Options(GRADIENT_DESCENT), None],
    "epochs": [Interval(int, 1, None)],
    "optimizer": [Options(OPTIMIZERS), CALLABLE],
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "weight_decay": [Interval(float, 0, None)],
    "momentum": [Interval(float, 0, 1, closed="left")],
    "nesterov": [bool],
    "validation_fraction": [Interval(float, 0, 1, closed="left")],
    "early_stopping": [bool],
    "patience": [Interval(int, 1, None)],
    "lr_schedule": [Options(["plateau"]), None],
    "clip_grad_norm": [Interval(float, 0, None, closed="neither"), None],
    "random_state": [Interval(int, 0, 2**32 - 1), np.random.RandomState, None],
    "device": [Options(["auto", "cpu", "cuda"]), str, torch.device],
    "verbose": [Interval(int, 0, None), bool],
    "callbacks": [list, tuple, None],
}

NETWORK_CONSTRAINTS: dict[str, list[Any]] = {
    "activation": [Options(ACTIVATIONS), CALLABLE, list, tuple],
    "init": [Options(INITIALIZERS), CALLABLE],
}


class NeuralEstimator(SaveMixin, BaseEstimator):
    """Base of the gradient-trained estimators. Not for direct use."""

    _constraints: dict[str, list[Any]] = LOOP_CONSTRAINTS
    history_: dict[str, Any]  # set by fit: per-epoch losses and metrics
    n_iter_: int  # set by fit: epochs run

    # -- checks and settings ------------------------------------------------------------

    def _validate_params(self) -> None:  # type: ignore[override]
        validate_params(self.get_params(deep=False), self._constraints)
        resolve_device(self.device)  # a device this machine lacks fails here, not mid-fit

    def _loop_config(self) -> LoopConfig:
        batch_size = resolve_batch_size(self.batch_size, self.gradient_descent)
        return LoopConfig(
            batch_size=batch_size,
            epochs=self.epochs,
            optimizer=self.optimizer,
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            momentum=float(self.momentum),
            nesterov=bool(self.nesterov),
            early_stopping=bool(self.early_stopping),
            patience=self.patience,
            lr_schedule=self.lr_schedule,
            clip_grad_norm=self.clip_grad_norm,
            verbose=int(self.verbose),
            callbacks=tuple(self.callbacks or ()),
        )

    def _device(self) -> torch.device:
        return resolve_device(self.device)

    def _fresh_generator(self) -> torch.Generator:
        """A generator seeded from ``random_state``: same seed, same weights and order."""
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        return torch.Generator().manual_seed(seed)

    def _split_validation(
        self, X: np.ndarray, y: np.ndarray, *, stratify: bool, generator: torch.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        frac = self.validation_fraction
        if not frac:
            return X, y, None, None
        n_val = round(frac * X.shape[0])
        if n_val < 1 or X.shape[0] - n_val < 1:
            raise ValueError(
                f"validation_fraction={frac} leaves no training or no validation samples "
                f"out of {X.shape[0]}"
            )
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        strat = y if stratify and np.min(np.unique(y, return_counts=True)[1]) >= 2 else None
        try:
            X_tr, X_val, y_tr, y_val = train_test_split(
                X, y, test_size=n_val, random_state=seed, stratify=strat
            )
        except ValueError:  # too few of some class for a stratified split
            X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=n_val, random_state=seed)
        return X_tr, y_tr, X_val, y_val

    def _train(
        self,
        objective: Objective,
        X: Tensor,
        y: Tensor,
        *,
        generator: torch.Generator,
        validation: tuple[Tensor, Tensor] | None,
        metric: Any = None,
        epochs: int | None = None,
        keep_trainer: bool = False,
    ) -> Trainer:
        """Run the loop; ``keep_trainer`` continues the last one (``partial_fit``), one epoch
        at a time and without early stopping, which would roll back what it just trained."""
        trainer = getattr(self, "_trainer", None) if keep_trainer else None
        if trainer is None:
            trainer = Trainer(objective, self._loop_config(), generator=generator, metric=metric)
            if keep_trainer and hasattr(self, "history_"):
                # partial_fit on a loaded or unpickled model: carry its history on
                trainer.history = {k: list(v) if isinstance(v, list) else v
                                   for k, v in self.history_.items()}  # fmt: skip
                trainer.epochs_done = int(getattr(self, "n_iter_", 0))
        trainer.run(
            X,
            y,
            epochs=epochs,
            validation=validation,
            early_stopping=False if keep_trainer else None,
        )
        self._trainer = trainer
        self.history_ = trainer.history
        self.n_iter_ = trainer.epochs_done
        self.loss_curve_ = list(trainer.history["loss"])
        return trainer

    def __getstate__(self) -> dict[str, Any]:
        # The trainer (optimiser, generator) is working state for partial_fit, not the model.
        state = dict(super().__getstate__())
        state.pop("_trainer", None)
        return state
