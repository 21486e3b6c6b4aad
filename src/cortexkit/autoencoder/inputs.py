"""The checks of an autoencoder's inputs: image arrays, masks of observed entries, and
non-finite values where a value is observed.

Examples
--------
>>> import numpy as np
>>> check_mask(np.array([[1, 0]]), (1, 2))
array([[ True, False]])
>>> check_finite(np.array([[1.0, np.nan]]), np.array([[True, False]]))  # unobserved: fine
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexkit.autoencoder.conv import image_layout

__all__ = ["check_finite", "check_mask", "image_array", "positive_ints"]


def positive_ints(value: Any, name: str, *, empty: bool) -> None:
    """Refuse anything but a sequence of positive ints (an empty one where ``empty``)."""
    items = list(value)
    bad = [s for s in items if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1]
    if bad or (not items and not empty):
        raise ValueError(f"{name} must be a sequence of positive ints; got {value!r}")


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
