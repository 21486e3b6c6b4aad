"""What the two ANN estimators share: parameters, building the dense network, fitting,
partial fitting, predicting raw outputs and model-file state.

:class:`~cortexkit.ann.estimator.ANNClassifier` and
:class:`~cortexkit.ann.estimator.ANNRegressor` add how their targets are encoded, the loss
that follows from them, and their metrics.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from cortexkit._validation import (
    CALLABLE,
    Interval,
    Options,
    PositiveInts,
    as_widths,
    check_float32_range,
    validate_data,
)
from cortexkit.ann.export import DenseExport
from cortexkit.ann.inputs import check_memmap
from cortexkit.ann.network import DenseNetwork, ManualObjective
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator, check_fits_in_memory, n_samples
from cortexkit.data.streamed import EncodedTargets, scan_targets
from cortexkit.defaults import ANN
from cortexkit.nn.activations import ACTIVATIONS, is_builtin
from cortexkit.nn.init import INITIALIZERS
from cortexkit.nn.losses import LOSSES, Loss
from cortexkit.train.objective import EVAL_CHUNK, AutogradObjective

__all__ = ["ANN_CONSTRAINTS", "BaseANN"]

ANN_CONSTRAINTS = {
    **GRADIENT_CONSTRAINTS,
    "activation": [Options(ACTIVATIONS), CALLABLE, list, tuple],
    "init": [Options(INITIALIZERS), CALLABLE],
    "hidden_layers": [PositiveInts(allow_empty=True)],
    "init_scale": [Interval(float, 0, None, closed="neither")],
}


class BaseANN(DenseExport, GradientEstimator, ABC):
    """Base of the ANN estimators. Not for direct use."""

    _constraints = ANN_CONSTRAINTS

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = ANN.hidden_layers,
        *,
        activation: Any = ANN.activation,
        init: Any = "xavier_uniform",
        init_scale: float = 0.05,
        batch_size: int | None = ANN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = ANN.epochs,
        optimizer: Any = ANN.optimizer,
        learning_rate: float = ANN.learning_rate,
        weight_decay: float = ANN.weight_decay,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = ANN.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = ANN.early_stopping,
        patience: int = ANN.patience,
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
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.init = init
        self.init_scale = init_scale
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
    def _prepare_targets(self, y: np.ndarray, fitting: bool, classes: Any = None) -> np.ndarray:
        """Check ``y`` and encode it for the loss (learning the encoding when fitting)."""

    @abstractmethod
    def _target_tensor(self, y: np.ndarray, device: torch.device) -> Tensor:
        """The encoded targets as the tensor the loss takes."""

    @abstractmethod
    def _loss(self) -> Loss:
        """The loss that the output layer implies."""

    @abstractmethod
    def _scores(self, out: Tensor, y: Tensor) -> dict[str, float]:
        """Metrics of raw outputs ``out`` against encoded targets ``y``."""

    @abstractmethod
    def _n_outputs(self) -> int:
        """Units in the output layer."""

    @abstractmethod
    def _target_state(self) -> dict[str, Any]:
        """The target encoding, as JSON: the model file keeps it and a resumed run must
        share it."""

    @abstractmethod
    def _set_target_state(self, meta: dict[str, Any]) -> None:
        """Restore the target encoding from the model file."""

    # -- the network ----------------------------------------------------------------------

    def _hidden(self) -> list[int]:
        """The hidden layers' widths, as fitted (an int is one layer; ``()``: none)."""
        return list(as_widths(self.fitted_params_["hidden_layers"], "hidden_layers",
                              allow_empty=True))  # fmt: skip

    def _activations(self, n_hidden: int) -> list[Any]:
        act = self.fitted_params_["activation"]
        if isinstance(act, list | tuple):
            if len(act) != n_hidden:
                raise ValueError(
                    f"activation lists one per hidden layer: expected {n_hidden}, got {len(act)}"
                )
            return list(act)
        return [act] * n_hidden

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        # the width _fit_data checked (the parts may be a Dataset)
        sizes = [int(self.n_features_in_), *self._hidden(), self._n_outputs()]
        n_weights = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
        # float32 weights, gradients and two Adam moments; and a forward pass over one
        # evaluation chunk, keeping each layer's sums and activations and a gradient
        rows = min(n_samples(parts), EVAL_CHUNK)
        need = 16 * n_weights + 12 * rows * sum(sizes[1:])
        check_fits_in_memory(
            need,
            f"the network (layers {sizes}, {n_weights:,} weights, on {rows:,} rows)",
            self._device(),
        )
        init = self.fitted_params_["init"]
        options = {"scale": self.fitted_params_["init_scale"]} if init == "uniform" else {}
        net = DenseNetwork(
            sizes, self._activations(len(sizes) - 2), init, options, generator=generator
        )
        self.network_ = net.to(self._device())
        self._objective = self._make_objective()

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def _make_objective(self) -> ManualObjective | AutogradObjective:
        """The hand-derived backward pass when every part has one (named activations and
        loss), else autograd on the same network."""
        loss = self._loss()
        activations = self._activations(len(self.network_.layer_sizes) - 2)
        if all(is_builtin(a) for a in activations) and LOSSES.get(loss.name) == loss:
            return ManualObjective(self.network_, loss)
        return AutogradObjective(self.network_, loss)

    @torch.no_grad()
    def _metric(self, X: Tensor, y: Tensor) -> dict[str, float]:
        """Loss and metrics on a whole set, from one forward pass (in chunks)."""
        out = self._forward(self.network_, X)
        return {"loss": float(self._loss()(out, y)), **self._scores(out, y)}

    def _check_X(self, X: Any, *, reset: bool) -> np.ndarray:
        X = validate_data(
            self, X, reset=reset, dtype=[np.float32, np.float64], ensure_min_samples=1
        )
        return check_float32_range(X, "X")

    def _to_tensor(self, X: np.ndarray) -> Tensor:
        X = np.asarray(X, dtype=np.float32)
        if not X.flags.writeable:  # torch warns on read-only memory (pandas 3's arrays)
            X = X.copy()
        return torch.as_tensor(X, device=self._device())

    # -- fitting ----------------------------------------------------------------------------

    def _fit_data(
        self, X: Any, y: Any, *, fitting: bool, classes: Any = None, **kwargs: Any
    ) -> Any:
        """``(X, y)`` as the loop's batch parts: tensors on the device, or a memmap ``X``
        that stays on disk (read a batch at a time) beside the encoded targets."""
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        if isinstance(X, Dataset | DataLoader):
            return self._streamed(X, y, fitting=fitting, classes=classes)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        if isinstance(X, np.memmap):
            X = check_memmap(self, X, reset=fitting)
            y = self._prepare_targets(np.asarray(y), fitting=fitting, classes=classes)
            if len(y) != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
            return X, self._target_tensor(y, torch.device("cpu"))
        X, y = validate_data(
            self, X, y, reset=fitting, dtype=[np.float32, np.float64], multi_output=True,
            y_numeric=False,
        )  # fmt: skip
        check_float32_range(X, "X")
        y = self._prepare_targets(y, fitting=fitting, classes=classes)
        if fitting:
            self._activations(len(self._hidden()))  # a wrong-length list fails before work
        return self._to_tensor(X), self._target_tensor(y, self._device())

    def _streamed(self, data: Any, y: Any, *, fitting: bool, classes: Any) -> Any:
        """A Dataset (or a DataLoader's) of ``(x, y)`` pairs: scanned once for the targets
        and the width, then read a batch at a time while training."""
        if y is not None:
            raise ValueError("y must be None when X is a Dataset: its samples hold the targets")
        scan = scan_targets(data)
        if len(scan.sample_shape) != 1:
            raise ValueError(
                f"each sample's x must be 1-dimensional (n_features,); got {scan.sample_shape}"
            )
        width = scan.sample_shape[0]
        if fitting:
            self.n_features_in_ = width
            self.__dict__.pop("feature_names_in_", None)
        elif width != self.n_features_in_:
            raise ValueError(
                f"X has {width} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        targets = self._prepare_targets(scan.targets, fitting=fitting, classes=classes)
        self._loader_workers = scan.num_workers
        encoded = self._target_tensor(targets, torch.device("cpu"))
        return EncodedTargets(scan.dataset, encoded)

    def _stratify_labels(self, parts: Any) -> np.ndarray | None:
        if not isinstance(self, ClassifierMixin):
            return None
        return parts[1].reshape(len(parts[1]), -1)[:, 0].cpu().numpy()

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> BaseANN:
        """Train from scratch on ``X`` (n_samples, n_features) and targets ``y``.

        ``X`` may be a ``np.memmap`` (a file larger than memory): it is read a batch at a
        time, never copied whole. It may also be a ``torch.utils.data.Dataset`` of
        ``(x, y)`` pairs (``y=None``), or a ``DataLoader`` over one (its workers are used;
        the batch size and order are the estimator's): one pass reads the targets, then
        the samples are streamed. ``validation_data=(X_val, y_val)`` supplies a validation
        set of your own instead of ``validation_fraction``. With ``checkpoint=PATH`` and
        ``resume=True``, training continues from the checkpoint when it exists.
        """
        return super().fit(X, y, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> BaseANN:
        """One more epoch over ``(X, y)``, keeping the weights and the optimiser's state.

        The first call builds the network (classifiers take ``classes=`` then, listing every
        class that later calls may show).
        """
        return super().partial_fit(X, y, **kwargs)  # type: ignore[no-any-return]

    @torch.no_grad()
    def _raw(self, X: Any) -> Tensor:
        """Raw network outputs (before the loss's sigmoid/softmax) for validated ``X``."""
        check_is_fitted(self, "network_")
        return self._forward(self.network_, self._to_tensor(self._check_X(X, reset=False)))

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {**self._target_state(), **self._common_state()}
        meta["layer_sizes"] = self.network_.layer_sizes
        return meta, {"flat": self.network_.flat.detach().cpu()}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self._set_target_state(meta)
        hidden = meta["layer_sizes"][1:-1]
        net = DenseNetwork(  # weights come from the file: a throwaway generator to start
            meta["layer_sizes"],
            self._activations(len(hidden)),
            self.fitted_params_["init"],
            generator=torch.Generator(),
        )
        flat = tensors["flat"]
        if flat.shape != net.flat.shape:
            raise ValueError(
                f"weights hold {flat.numel()} values; layers {meta['layer_sizes']} need "
                f"{net.flat.numel()}"
            )
        with torch.no_grad():
            net.flat.copy_(flat)
        self.network_ = net.to(self._device())
        sizes = net.layer_sizes
        if sizes[0] != self.n_features_in_ or sizes[-1] != self._n_outputs():
            raise ValueError(
                f"layers {sizes} do not fit {self.n_features_in_} features and "
                f"{self._n_outputs()} outputs"
            )
        self._objective = self._make_objective()
