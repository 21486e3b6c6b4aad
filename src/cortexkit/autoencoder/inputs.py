"""An autoencoder's inputs: tables or images, masks of observed entries, and the tensors the
network sees.

Images come as ``(N, H, W)`` (one channel), ``(N, H, W, C)`` or ``(N, C, H, W)``; the
convolutional network computes in ``(N, C, H, W)``. A 4-d array is read as channels-first
when its second axis has at most 4 entries and its last more than 4 (``(N, 1, 28, 28)``),
as channels-last when its last axis has at most 4 (``(N, 28, 28, 3)``); :func:`image_layout`
says which. A mask is True (or 1) where a value is observed; a value that is not may hold
anything, NaN included.

Examples
--------
>>> import numpy as np
>>> check_mask(np.array([[1, 0]]), (1, 2))
array([[ True, False]])
>>> check_finite(np.array([[1.0, np.nan]]), np.array([[True, False]]))  # unobserved: fine
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from cortexkit._validation import as_widths, check_float32_range, validate_data

__all__ = [
    "AutoEncoderInputs",
    "BottleneckWarning",
    "check_finite",
    "check_mask",
    "from_channels_first",
    "image_array",
    "image_layout",
    "to_channels_first",
    "uses_conv",
]


class BottleneckWarning(UserWarning):
    """A plain autoencoder whose code is as wide as its input: it can learn the identity."""


LAYOUTS = ("NHW", "NHWC", "NCHW")


def image_layout(shape: Sequence[int]) -> str:
    """``"NHW"``, ``"NHWC"`` or ``"NCHW"`` for an image array's shape (see the module).

    Raises
    ------
    ValueError
        For an array that is not 3- or 4-dimensional, or whose channel axis is unclear.

    Examples
    --------
    >>> image_layout((10, 28, 28)), image_layout((10, 1, 28, 28)), image_layout((10, 32, 32, 3))
    ('NHW', 'NCHW', 'NHWC')
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3:
        return "NHW"
    if len(shape) == 4:
        if shape[1] <= 4 and shape[3] > 4:
            return "NCHW"
        if shape[3] <= 4:
            return "NHWC"
    raise ValueError(
        "images must be (N, H, W), (N, H, W, C) or (N, C, H, W) with at most 4 channels; "
        f"got shape {shape}"
    )


def to_channels_first(X: np.ndarray, layout: str) -> np.ndarray:
    """``X`` in ``layout`` as ``(N, C, H, W)``."""
    if layout == "NHW":
        return X[:, None, :, :]
    if layout == "NHWC":
        return np.moveaxis(X, 3, 1)
    return X


def from_channels_first(X: np.ndarray, layout: str) -> np.ndarray:
    """``(N, C, H, W)`` back to ``layout``."""
    if layout == "NHW":
        return X[:, 0]
    if layout == "NHWC":
        return np.moveaxis(X, 1, 3)
    return X


def uses_conv(architecture: str, image_shape: tuple[int, ...] | None) -> bool:
    """Whether data of ``image_shape`` (None: a table) gets the convolutional network."""
    return image_shape is not None and architecture != "dense"


def image_array(X: Any) -> np.ndarray:
    """Images as a float array (float64 kept, anything else float32), in a readable layout."""
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"X must hold numbers (images as a numeric array); got dtype {arr.dtype}")
    arr = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32, copy=False)
    image_layout(arr.shape)  # a clear error for an unreadable layout
    if arr.shape[0] < 1:
        raise ValueError("X has 0 images; at least 1 is required")
    return arr


def check_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The mask as booleans: of ``X``'s shape, True (or 1) where a value is observed."""
    observed = np.asarray(mask)
    if observed.shape != shape:
        raise ValueError(
            f"mask has shape {observed.shape} but X has shape {shape}; it marks each entry "
            "of X: True (or 1) where observed"
        )
    if observed.dtype != bool:
        if observed.dtype.kind not in "biuf" or not np.isin(observed, (0, 1)).all():
            raise ValueError("mask must hold booleans or 0/1 (1 where observed)")
        observed = observed.astype(bool)
    return observed


def check_finite(arr: np.ndarray, observed: np.ndarray | None) -> None:
    """Refuse NaN or infinity where a value is observed (everywhere without a mask)."""
    bad = ~np.isfinite(arr)
    if observed is not None:
        bad &= observed
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        hint = (
            "mark it unobserved in mask=, or fill it"
            if observed is not None
            else "pass mask= (False where a value is missing) to train on the observed "
            "entries only, or fill them"
        )
        raise ValueError(f"X contains NaN or infinity (at index {where}); {hint}")


class AutoEncoderInputs:
    """The :class:`~cortexkit.autoencoder.AutoEncoder`'s reading of ``X`` and ``mask``: the
    checks, the image layout, and the tensors the network sees (a mixin)."""

    image_shape_: tuple[int, ...] | None
    n_features_in_: int
    fitted_params_: dict[str, Any]

    if TYPE_CHECKING:  # provided by the estimator and its base

        def _device(self) -> torch.device: ...

    def _conv(self) -> bool:
        return uses_conv(self.fitted_params_["architecture"], self.image_shape_)

    def _check_X(self, X: Any, mask: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """``X`` as float numbers of the fitted shape, and the mask as booleans; non-finite
        values are refused where observed."""
        ndim = getattr(X, "ndim", None)
        if ndim is None:  # a list, or an object with __array__
            ndim = 2 if hasattr(X, "columns") else np.asarray(X, dtype=object).ndim
        if ndim is not None and ndim > 4:
            raise ValueError(
                "X must be a table (n_samples, n_features) or images (N, H, W), (N, H, W, C) "
                f"or (N, C, H, W); got {ndim}-dimensional X"
            )
        if ndim in (3, 4):
            arr = image_array(X)
            if reset:
                self.image_shape_ = tuple(int(s) for s in arr.shape[1:])
                self.n_features_in_ = int(np.prod(arr.shape[1:]))
                self.__dict__.pop("feature_names_in_", None)
            elif self.image_shape_ != tuple(arr.shape[1:]):
                raise ValueError(
                    f"X holds images of shape {tuple(arr.shape[1:])}; the model was "
                    f"fitted on {self.image_shape_}"
                )
        else:
            if reset and self.fitted_params_["architecture"] == "conv":
                raise ValueError(
                    "architecture='conv' needs images: X of shape (N, H, W), (N, H, W, C) or "
                    f"(N, C, H, W); got {ndim}-dimensional X"
                )
            if not reset and self.image_shape_ is not None:
                raise ValueError(
                    f"X must hold images of shape {self.image_shape_}, as in fit; got "
                    f"{ndim}-dimensional X"
                )
            arr = validate_data(
                self, X, reset=reset, dtype=[np.float32, np.float64], ensure_all_finite=False,
                ensure_min_samples=1,
            )  # fmt: skip
            if reset:
                self.image_shape_ = None
        observed = None if mask is None else check_mask(mask, arr.shape)
        check_finite(arr, observed)
        check_float32_range(np.where(observed, arr, 0) if observed is not None else arr, "X")
        return arr, observed

    def _tensors(self, arr: np.ndarray, observed: np.ndarray | None) -> tuple[Tensor, ...]:
        """The network's inputs (unobserved entries as 0) and the mask, on the device."""
        if observed is not None:
            arr = np.where(observed, arr, 0.0)
        if self.image_shape_ is not None:
            if self._conv():
                layout = image_layout((len(arr), *self.image_shape_))
                arr = to_channels_first(arr, layout)
                observed = None if observed is None else to_channels_first(observed, layout)
            else:
                arr = arr.reshape(len(arr), -1)
                observed = None if observed is None else observed.reshape(len(arr), -1)
        device = self._device()
        x = torch.as_tensor(np.ascontiguousarray(arr, dtype=np.float32), device=device)
        if observed is None:
            return (x,)
        return x, torch.as_tensor(np.ascontiguousarray(observed), device=device)

    def _outputs(self, out: Tensor) -> np.ndarray:
        """Network outputs back in the layout of the data ``fit`` saw."""
        arr = out.detach().cpu().numpy().astype(np.float64)
        if self.image_shape_ is None:
            return arr
        if self._conv():
            return from_channels_first(arr, image_layout((len(arr), *self.image_shape_)))
        return arr.reshape(len(arr), *self.image_shape_)

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        mask = kwargs.pop("mask", None)
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        arr, observed = self._check_X(X, mask, reset=fitting)
        if fitting:
            self._check_bottleneck()
        return self._tensors(arr, observed)

    def _check_bottleneck(self) -> None:
        code = as_widths(self.fitted_params_["hidden_layers"], "hidden_layers")[-1]
        if self.fitted_params_["kind"] == "plain" and code >= self.n_features_in_:
            warnings.warn(
                f"the code has {code} units for {self.n_features_in_} input values: a plain "
                "autoencoder needs a bottleneck (a code narrower than its input) or it can "
                "learn the identity; use a smaller last hidden layer, or kind='denoising' "
                "or 'sparse'",
                BottleneckWarning,
                stacklevel=4,
            )
