"""What the two sequence estimators share: parameters, scaling the inputs, building the
recurrent network, predicting raw outputs and model-file state.

:class:`~cortexkit.rnn.estimator.RNNRegressor` and
:class:`~cortexkit.rnn.estimator.RNNClassifier` add how their targets are encoded and the
loss that follows from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options, PositiveInts, as_widths, saved_floats
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator
from cortexkit.defaults import RNN
from cortexkit.rnn.export import SequenceExport
from cortexkit.rnn.inputs import as_sequences, step_mask
from cortexkit.rnn.network import CELLS, SequenceNetwork, SequenceObjective, forward_chunked

__all__ = ["RNN_CONSTRAINTS", "BaseRNN"]

RNN_CONSTRAINTS = {
    **GRADIENT_CONSTRAINTS,
    "cell": [Options(CELLS), CALLABLE],
    "hidden_layers": [PositiveInts()],
    "dropout": [Interval(float, 0, 1, closed="left")],
}


class BaseRNN(SequenceExport, GradientEstimator, ABC):
    """Base of the sequence estimators. Not for direct use."""

    _constraints = RNN_CONSTRAINTS

    def __init__(
        self,
        cell: Any = RNN.cell,
        *,
        hidden_layers: int | Sequence[int] = RNN.hidden_layers,
        dropout: float = RNN.dropout,
        batch_size: int | None = RNN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = RNN.epochs,
        optimizer: Any = RNN.optimizer,
        learning_rate: float = RNN.learning_rate,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = RNN.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = RNN.early_stopping,
        patience: int = RNN.patience,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.cell = cell
        self.hidden_layers = hidden_layers
        self.dropout = dropout
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    # -- what subclasses define -------------------------------------------------------

    @abstractmethod
    def _targets(self, y: Any, fitting: bool) -> Tensor:
        """Check and encode ``y``."""

    @abstractmethod
    def _n_outputs(self) -> int:
        """Units in the output layer."""

    @abstractmethod
    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        """The loss of raw outputs ``out`` against encoded targets ``y``."""

    @abstractmethod
    def _target_state(self) -> dict[str, Any]:
        """The target encoding, as JSON: the model file keeps it and a resumed run must
        share it."""

    @abstractmethod
    def _set_target_state(self, meta: dict[str, Any]) -> None:
        """Restore the target encoding from the model file."""

    # -- inputs, network, fitting ---------------------------------------------------------

    def _inputs(self, X: Any, lengths: Any, fitting: bool) -> tuple[Tensor, Tensor | None]:
        """The sequences standardised per feature (padding excluded), on the device."""
        X, lengths = as_sequences(X, lengths)
        if fitting:
            self.n_features_in_ = X.shape[2]
            steps = X.reshape(-1, X.shape[2])
            if lengths is not None:
                steps = X[step_mask(X.shape[1], lengths)]
            std = steps.std(axis=0)
            self._x_mean, self._x_std = steps.mean(axis=0), np.where(std > 0, std, 1.0)
        elif X.shape[2] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[2]} features per step, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input"
            )
        scaled = (X - self._x_mean) / self._x_std
        if lengths is not None:
            scaled[~step_mask(X.shape[1], lengths)] = 0.0
        device = self._device()
        x = torch.as_tensor(scaled.astype(np.float32), device=device)
        return x, None if lengths is None else torch.as_tensor(lengths, device=device)

    def _fit_data(
        self, X: Any, y: Any, *, fitting: bool, lengths: Any = None, **kwargs: Any
    ) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        x, lens = self._inputs(X, lengths, fitting)
        t = self._targets(y, fitting)
        if len(t) != len(x):
            raise ValueError(f"X has {len(x)} sequences but y has {len(t)} targets")
        return (x, t) if lens is None else (x, lens, t)

    def _network(self, generator: torch.Generator) -> SequenceNetwork:
        p = self.fitted_params_
        return SequenceNetwork(
            int(self.n_features_in_), as_widths(p["hidden_layers"], "hidden_layers"),
            self._n_outputs(), p["cell"], dropout=float(p["dropout"]), generator=generator,
        )  # fmt: skip

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        self.network_ = self._network(generator).to(self._device())
        self._objective = SequenceObjective(self.network_, self._loss)

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Train on the sequences ``X`` and their targets ``y`` (``lengths=`` for a padded
        array of variable-length sequences)."""
        return super().fit(X, y, **fit_params)

    @torch.no_grad()
    def _raw(self, X: Any, lengths: Any = None) -> Tensor:
        check_is_fitted(self, "network_")
        x, lens = self._inputs(X, lengths, fitting=False)
        return forward_chunked(self.network_, x, lens)

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            **self._target_state(),
            **self._common_state(),
            "layer_sizes": self.network_.layer_sizes,
            "x_mean": self._x_mean.tolist(),
            "x_std": self._x_std.tolist(),
        }
        return meta, {k: v.detach().cpu() for k, v in self.network_.state_dict().items()}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._set_target_state(meta)
        net = self._network(torch.Generator())  # weights come from the file
        if net.layer_sizes != list(meta["layer_sizes"]):
            raise ValueError(
                f"the network's layers {meta['layer_sizes']} do not match hidden_layers="
                f"{self.fitted_params_['hidden_layers']!r}, {self.n_features_in_} features and "
                f"{self._n_outputs()} outputs"
            )
        net.load_state_dict(tensors)
        inputs = net.layer_sizes[0]
        self._x_mean = saved_floats(meta["x_mean"], "x_mean", inputs)
        self._x_std = saved_floats(meta["x_std"], "x_std", inputs, positive=True)
        self.network_ = net.to(self._device())
        self._objective = SequenceObjective(self.network_, self._loss)
