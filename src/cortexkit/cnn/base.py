"""What the CNN estimators are made of: images in (arrays, folders, Datasets), the network
built from the parameters, raw scores out, and the model-file state.

:class:`~cortexkit.cnn.estimator.CNNClassifier` adds the targets (class labels), the loss
and the metrics.
"""

from __future__ import annotations

import copy
import os
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from cortexkit._validation import Interval, Options, PositiveInts, as_widths
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator
from cortexkit.cnn.export import ImageExport
from cortexkit.cnn.inputs import (
    as_images,
    augmentations,
    channel_stats,
    color_mode,
    encoded_dataset,
    folder_images,
    resize,
    sample_shape,
    streamed_targets,
    wanted_size,
)
from cortexkit.cnn.network import (
    AUGMENTATIONS,
    ConvNet,
    ImageNetwork,
    Preprocess,
    check_module,
    load_state_tensors,
    state_tensors,
)
from cortexkit.data.images import ImageFolder
from cortexkit.train.objective import AutogradObjective, chunked

__all__ = ["CNN_CONSTRAINTS", "PREDICT_CHUNK", "BaseCNN"]

PREDICT_CHUNK = 512  # images per forward pass when predicting (bounds the activations)

CNN_CONSTRAINTS = {
    **GRADIENT_CONSTRAINTS,
    "conv_layers": [PositiveInts()],
    "convs_per_block": [Interval(int, 1, None)],
    "kernel_size": [Interval(int, 1, None)],
    "pooling": [Options(["max", "avg"]), None],
    "batch_norm": [bool],
    "dropout": [Interval(float, 0, 1, closed="left")],
    "head": [Options(["flatten", "gap"])],
    "hidden_layers": [PositiveInts(allow_empty=True)],
    "module": [nn.Module, None],
    "image_size": [PositiveInts(), None],
    "channels": [Options(["auto", "first", "last"])],
    "color_mode": [Options(["L", "RGB"]), None],
    "augment": [Options(AUGMENTATIONS), list, tuple, None],
    "max_shift": [Interval(int, 0, None)],
    "max_rotation": [Interval(float, 0, 180)],
    "channels_last": [bool],
    "max_memory": [Options(["auto"]), Interval(int, 1, None)],
    "num_workers": [Interval(int, 0, None)],
    "skip_bad": [bool],
}


class BaseCNN(ImageExport, GradientEstimator, ABC):
    """Base of the CNN estimators. Not for direct use."""

    _constraints = CNN_CONSTRAINTS
    color_mode_: str | None  # set by fit

    # -- what subclasses define -------------------------------------------------------

    @abstractmethod
    def _targets(self, y: Any, fitting: bool, classes: Any = None) -> np.ndarray:
        """Check ``y`` and encode it as the loss takes it (learning it when fitting)."""

    @abstractmethod
    def _n_outputs(self) -> int:
        """Units in the output layer."""

    @abstractmethod
    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        """The loss of raw scores ``out`` against encoded targets ``y``."""

    # -- checks and settings ------------------------------------------------------------

    def _validate_params(self) -> None:
        super()._validate_params()
        augmentations(self.augment)
        wanted_size(self.image_size)

    def _shape(self, shape: tuple[int, ...], fitting: bool) -> None:
        """Learn (fitting) or check the images' channels and size."""
        channels, size = int(shape[0]), (int(shape[1]), int(shape[2]))
        if fitting:
            self.n_channels_, self.image_size_ = channels, size
            return
        if channels != self.n_channels_ or size != self.image_size_:
            raise ValueError(
                f"X has images of {channels} channel(s) and size {size}; {type(self).__name__}"
                f" was trained on {self.n_channels_} channel(s) of size {self.image_size_}"
            )

    # -- the training data ----------------------------------------------------------------

    def _fit_data(
        self, X: Any, y: Any, *, fitting: bool, classes: Any = None, **kwargs: Any
    ) -> Any:
        """The images and class indices, as tensors or a streamed Dataset."""
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        if isinstance(X, str | os.PathLike):
            if y is not None:
                raise ValueError("y must be None when X is a folder: its subfolders are the labels")
            if fitting:
                size, mode = (
                    wanted_size(self.fitted_params_["image_size"]),
                    self.fitted_params_["color_mode"],
                )
            else:
                size, mode = self.image_size_, self.color_mode_
            X, y = folder_images(X, size, mode, self.fitted_params_["skip_bad"],
                                 self.fitted_params_["max_memory"])  # fmt: skip
            if fitting:
                self.color_mode_ = X.mode if isinstance(X, ImageFolder) else color_mode(X.shape[1])
            if y is None:  # too large for memory: streamed
                return self._streamed(X, fitting=fitting, classes=classes)
        elif isinstance(X, Dataset | DataLoader):
            if y is not None:
                raise ValueError("y must be None when X is a Dataset: its samples hold the labels")
            if fitting:
                self.color_mode_ = None
            return self._streamed(X, fitting=fitting, classes=classes)
        elif fitting:
            self.color_mode_ = None
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        images = self._images(X, fitting=fitting)
        if len(y) != len(images):
            raise ValueError(
                f"X has {len(images)} images but y has {len(y)} labels; they must match"
            )
        targets = self._targets(y, fitting=fitting, classes=classes)
        if fitting:
            self.mean_, self.std_ = channel_stats(images, images.shape[1])
        device = self._device()
        return (torch.from_numpy(images).to(device),
                torch.as_tensor(targets, dtype=torch.long, device=device))  # fmt: skip

    def _images(self, X: Any, *, fitting: bool) -> np.ndarray:
        """An array of images as checked ``(N, C, H, W)``, resized to ``image_size``."""
        images = as_images(X, self.fitted_params_["channels"])
        size = wanted_size(self.fitted_params_["image_size"])
        if size is not None and not fitting:  # resized as in training
            size = self.image_size_
        if size is not None:
            images = resize(images, size)
        self._shape(images.shape[1:], fitting)
        return images

    def _streamed(self, data: Any, *, fitting: bool, classes: Any) -> Dataset:
        dataset, labels, workers = streamed_targets(data)
        shape = sample_shape(dataset)
        self._shape(shape, fitting)
        targets = self._targets(labels, fitting=fitting, classes=classes)
        self._loader_workers = workers
        if fitting:
            self.mean_, self.std_ = channel_stats(dataset, shape[0])
        return encoded_dataset(dataset, torch.as_tensor(targets, dtype=torch.long))

    def _stratify_labels(self, parts: Any) -> np.ndarray | None:
        return parts[1].cpu().numpy()  # type: ignore[no-any-return]

    # -- the network ------------------------------------------------------------------------

    def _make_network(self) -> ImageNetwork:
        p = self.fitted_params_
        preprocess = Preprocess(
            self.n_channels_,
            augment=augmentations(p["augment"]),
            max_shift=p["max_shift"],
            max_rotation=float(p["max_rotation"]),
            channels_last=bool(p["channels_last"]),
        )
        with torch.no_grad():
            preprocess.mean.copy_(torch.as_tensor(self.mean_).reshape(1, -1, 1, 1))
            preprocess.std.copy_(torch.as_tensor(self.std_).reshape(1, -1, 1, 1))
        if p["module"] is not None:
            body: nn.Module = copy.deepcopy(p["module"])
        else:
            body = ConvNet(
                self.n_channels_,
                self.image_size_,
                self._n_outputs(),
                conv_layers=as_widths(p["conv_layers"], "conv_layers"),
                convs_per_block=p["convs_per_block"],
                kernel_size=p["kernel_size"],
                pooling=p["pooling"],
                batch_norm=bool(p["batch_norm"]),
                dropout=float(p["dropout"]),
                head=p["head"],
                hidden_layers=as_widths(p["hidden_layers"], "hidden_layers", allow_empty=True),
            )
        net = ImageNetwork(preprocess, body).to(self._device())
        if p["channels_last"]:
            net = net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        return net

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        # the layers draw their initial weights from torch's global RNG, which fit seeds
        net = self._make_network()
        if self.fitted_params_["module"] is not None:
            probe = torch.zeros(2, self.n_channels_, *self.image_size_, device=self._device())
            check_module(net, probe, self._n_outputs())
        self.network_ = net
        self._objective = AutogradObjective(net, self._loss)

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    @staticmethod
    @torch.no_grad()
    def _forward_images(module: nn.Module, X: Tensor) -> Tensor:
        """Raw scores in evaluation mode, ``PREDICT_CHUNK`` images at a time (a whole set
        at once would hold every image's feature maps)."""
        module.eval()
        return chunked(module, X, size=PREDICT_CHUNK)

    # -- fitting and predicting -----------------------------------------------------------

    def _raw(self, X: Any) -> Tensor:
        check_is_fitted(self, "network_")
        if isinstance(X, str | os.PathLike):
            from cortexkit.data.images import read_images

            mode = self.color_mode_ or color_mode(self.n_channels_)
            X = read_images(X, self.image_size_, mode=mode, labelled=False,
                            skip_bad=self.fitted_params_["skip_bad"]).X  # fmt: skip
        if isinstance(X, Dataset | DataLoader):
            dataset = X.dataset if isinstance(X, DataLoader) else X
            self._shape(sample_shape(dataset), fitting=False)
            loader = DataLoader(dataset, batch_size=PREDICT_CHUNK,
                                num_workers=self.fitted_params_["num_workers"])  # fmt: skip
            device = self._device()
            return torch.cat([self._forward_images(self.network_, torch.as_tensor(b[0]).to(device))
                              for b in loader])  # fmt: skip
        images = self._images(X, fitting=False)
        return self._forward_images(self.network_, torch.from_numpy(images).to(self._device()))

    # -- model files ------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            **self._common_state(),
            "n_channels_": self.n_channels_,
            "image_size_": list(self.image_size_),
            "color_mode_": self.color_mode_,
            "mean_": self.mean_.tolist(),
            "std_": self.std_.tolist(),
        }
        return meta, state_tensors(self.network_)

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.n_channels_ = int(meta["n_channels_"])
        h, w = meta["image_size_"]
        self.image_size_ = (int(h), int(w))
        self.color_mode_ = meta["color_mode_"]
        self.mean_ = np.asarray(meta["mean_"], dtype=np.float64)
        self.std_ = np.asarray(meta["std_"], dtype=np.float64)
        net = self._make_network()
        load_state_tensors(net, tensors)
        self.network_ = net
        self._objective = AutogradObjective(net, self._loss)
