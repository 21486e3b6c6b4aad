"""The Boltzmann machines' data checks and encoding: X checked for the visible units it
feeds, rows encoded as visible states (one-hot levels for softmax units) and decoded back.

Examples
--------
>>> import numpy as np
>>> v = encode_visible(np.array([[0.0, 2.0]]), "softmax", 3, "cpu")
>>> v
tensor([[1., 0., 0., 0., 0., 1.]])
>>> decode_visible(v, "softmax", 3)
array([[0., 2.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from cortexkit._validation import as_widths, check_float32_range, validate_data

__all__ = [
    "check_count",
    "check_hidden_states",
    "check_unit_range",
    "check_visible_data",
    "decode_visible",
    "encode_visible",
    "rbm_width",
]


def check_visible_data(
    est: Any, X: Any, kind: str, *, reset: bool, n_levels: int | None = None
) -> np.ndarray:
    """``X`` checked for visible units of ``kind``: 2-d, finite numbers, the fitted width,
    in [0, 1] for Bernoulli units, integer levels in ``[0, n_levels)`` for softmax units.
    Returned as float32."""
    X = validate_data(est, X, reset=reset, dtype=[np.float32, np.float64], ensure_min_samples=1)
    if kind != "bernoulli":  # Bernoulli units' [0, 1] check is stricter (and one pass less)
        check_float32_range(X, "X")
    check_unit_range(X, kind, n_levels)
    return np.asarray(X, dtype=np.float32)


def check_unit_range(X: np.ndarray, kind: str, n_levels: int | None = None) -> None:
    """Refuse values outside what visible units of ``kind`` take: [0, 1] for Bernoulli
    units, integer levels in ``[0, n_levels)`` for softmax units."""
    if kind == "bernoulli" and X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            f"visible='bernoulli' takes X in [0, 1] (probabilities or binary pixels); got "
            f"values from {X.min():.4g} to {X.max():.4g}. Scale it (pixels / 255, say) or use "
            "visible='gaussian' for standardised real data"
        )
    if kind == "softmax" and X.size:
        top = n_levels
        bad = (X < 0) | (X != np.round(X)) | ((X >= top) if top is not None else False)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            expected = f"[0, {top})" if top is not None else "0, 1, 2, ..."
            raise ValueError(
                f"visible='softmax' takes X as integer levels {expected}; got "
                f"{float(X[row, col]):g} in row {int(row)}, column {int(col)} (counting from 0)"
            )


def encode_visible(X: np.ndarray, kind: str, n_levels: int, device: Any) -> Tensor:
    """Rows as visible states on ``device``: ``(rows, n_visible)`` float32, one-hot columns
    (``n_levels`` per unit) for softmax units."""
    t = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32), device=device)
    if kind == "softmax":
        hot = torch.nn.functional.one_hot(t.long(), n_levels)  # (rows, units, levels)
        return hot.reshape(len(t), -1).to(torch.float32)
    return t


def decode_visible(v: Tensor, kind: str, n_levels: int) -> np.ndarray:
    """Visible states back in X's form (softmax units: the most probable level of each)."""
    if kind == "softmax":
        v = v.reshape(len(v), -1, n_levels).argmax(2).to(torch.float32)
    return np.asarray(v.cpu().numpy(), dtype=np.float32)


def check_count(name: str, value: Any) -> None:
    """Refuse anything but an int >= 1 for ``name`` (a number of samples or of steps)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}")


def rbm_width(hidden_layers: Any) -> int:
    """The one hidden layer's width: an int, or a tuple of one int (an RBM has one hidden
    layer; a stack of them is a :class:`~cortexkit.DBN`)."""
    widths = as_widths(hidden_layers, "hidden_layers")
    if len(widths) != 1:
        raise ValueError(
            f"an RBM has one hidden layer: hidden_layers takes an int or a tuple of one; got "
            f"{hidden_layers!r} (stack RBMs with DBN(hidden_layers=...), or use DBM)"
        )
    return widths[0]


def check_hidden_states(H: Any, n_hidden: int) -> np.ndarray:
    """``H`` checked as hidden states or probabilities of ``n_hidden`` units: a finite
    ``(n_samples, n_hidden)`` array, returned as float32."""
    H = np.asarray(H, dtype=np.float32)
    if H.ndim != 2 or H.shape[1] != n_hidden or not np.isfinite(H).all():
        raise ValueError(
            f"H must be a finite (n_samples, {n_hidden}) array of hidden states; "
            f"got shape {H.shape}"
        )
    return H
