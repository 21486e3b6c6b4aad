"""Image arrays in the layout the network takes: ``(N, C, H, W)``.

Arrays come as ``(N, H, W)`` (grayscale), ``(N, H, W, C)`` (channels last, NumPy's and
Pillow's habit) or ``(N, C, H, W)`` (channels first, PyTorch's). ``channels="auto"`` finds
the channel axis of a 4-d array by its size: the last axis when it has 1, 3 or 4 entries
(gray, RGB, RGBA), else the second when it has; anything else is ambiguous and needs
``channels="last"`` or ``"first"``. An array that has both (``(N, 3, 32, 3)``) is read as
channels last.

uint8 arrays stay uint8 (a quarter of float32's memory); the network converts each batch.
Other numbers become float32, after a check that every value is finite.

Examples
--------
>>> import numpy as np
>>> from cortexkit.cnn.layout import to_nchw
>>> to_nchw(np.zeros((5, 28, 28), np.uint8)).shape
(5, 1, 28, 28)
>>> to_nchw(np.zeros((5, 32, 32, 3))).shape, to_nchw(np.zeros((5, 3, 32, 32))).shape
((5, 3, 32, 32), (5, 3, 32, 32))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CHANNEL_SIZES", "channel_axis", "to_nchw"]

CHANNEL_SIZES = (1, 3, 4)  # gray, RGB, RGBA


def channel_axis(shape: tuple[int, ...], channels: str = "auto") -> str:
    """``"last"`` or ``"first"`` for a 4-d ``shape`` (see the module's docstring).

    Raises
    ------
    ValueError
        If ``channels="auto"`` cannot tell, or ``channels`` is not one of the three.
    """
    if channels in ("first", "last"):
        return channels
    if channels != "auto":
        raise ValueError(f"channels must be 'auto', 'first' or 'last'; got {channels!r}")
    if shape[-1] in CHANNEL_SIZES:
        return "last"
    if shape[1] in CHANNEL_SIZES:
        return "first"
    raise ValueError(
        f"X has shape {shape}: neither axis 1 nor axis 3 has 1, 3 or 4 entries, so the "
        "channel axis is unclear; pass channels='first' (N, C, H, W) or 'last' (N, H, W, C)"
    )


def to_nchw(X: Any, channels: str = "auto", name: str = "X") -> np.ndarray:
    """``X`` as an ``(N, C, H, W)`` array: uint8 kept, other numbers as float32.

    Raises
    ------
    ValueError
        If ``X`` is not 3-d or 4-d, holds no images, is not numeric, or holds NaN or
        infinity (naming the first bad image).
    """
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold numbers (uint8 or float); got dtype {X.dtype}")
    if X.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be images of shape (N, H, W), (N, H, W, C) or (N, C, H, W); "
            f"got shape {X.shape}"
        )
    if X.shape[0] < 1:
        raise ValueError(f"{name} holds 0 images; at least 1 is required")
    if X.ndim == 3:
        X = X[:, None]
    elif channel_axis(X.shape, channels) == "last":
        X = X.transpose(0, 3, 1, 2)
    if min(X.shape[2:]) < 1:
        raise ValueError(f"{name} has images of size {X.shape[2:]}; they need pixels")
    if X.dtype == np.uint8:
        return np.ascontiguousarray(X)
    X = np.ascontiguousarray(X, dtype=np.float32)
    finite = np.isfinite(X.reshape(len(X), -1)).all(1)
    if not finite.all():
        raise ValueError(
            f"{name} contains NaN or infinity (first in image {int(np.argmin(finite))}); "
            "every pixel must be finite"
        )
    return X
