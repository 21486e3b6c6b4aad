"""Image grids of a Boltzmann machine: its hidden units' receptive fields and its samples.

>>> import numpy as np
>>> image_grid_png(np.random.default_rng(0).random((6, 16)), (4, 4))[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import math
import os

import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from cortexkit.io.envelope import atomic_write_bytes
from cortexkit.plot import _check_path, _render

__all__ = ["filters_png", "image_grid_png", "image_shape", "samples_png", "save_figure"]


def image_shape(n_pixels: int, shape: tuple[int, int] | None = None) -> tuple[int, int]:
    """The ``(height, width)`` of images with ``n_pixels``: ``shape`` when given (checked),
    else the square side.

    >>> image_shape(784), image_shape(6, (2, 3))
    ((28, 28), (2, 3))
    """
    if shape is not None:
        h, w = (int(s) for s in shape)
        if h * w != n_pixels:
            raise ValueError(
                f"shape={tuple(shape)} holds {h * w} pixels; the units have {n_pixels}"
            )
        return h, w
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        raise ValueError(
            f"{n_pixels} visible units are not a square image; pass shape=(height, width)"
        )
    return side, side


def image_grid_png(
    images: np.ndarray, shape: tuple[int, int], *, title: str | None = None, symmetric: bool = False
) -> bytes:
    """PNG bytes of rows of ``images`` (``(n, height*width)``) drawn as a grid of grey
    images; ``symmetric`` centres each image's colour scale at 0 (weights)."""
    n = len(images)
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    # 0.85 in an image: 36 filters (5.1 in) and 16 samples side by side on a report's page
    fig = Figure(figsize=(max(0.85 * cols, 3.0), 0.85 * rows + (0.4 if title else 0)),
                 layout="constrained")  # fmt: skip
    for i in range(rows * cols):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.set_axis_off()
        if i >= n:
            continue
        img = images[i].reshape(shape)
        if symmetric:
            lim = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        else:
            ax.imshow(img, cmap="gray_r", interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=11)
    return _render(fig, "png")


def save_figure(png: bytes, path: str | os.PathLike[str] | None) -> bytes:
    """Write ``png`` atomically to ``path`` (a ``.png`` in an existing folder) when given;
    return the bytes."""
    if path is not None:
        target, fmt = _check_path(path)
        if fmt != "png":
            raise ValueError(f"path must end in .png; got {str(path)!r}")
        atomic_write_bytes(target, png)
    return png


def filters_png(
    weights: Tensor,
    *,
    n: int = 64,
    shape: tuple[int, int] | None = None,
    title: str,
    path: str | os.PathLike[str] | None = None,
) -> bytes:
    """The receptive fields of the first ``n`` hidden units (the columns of ``weights``,
    ``(n_visible, n_hidden)``) as images, coloured around 0; PNG bytes, also written to
    ``path`` when given."""
    W = weights.T[:n].cpu().numpy()  # (n, n_visible)
    png = image_grid_png(W, image_shape(W.shape[1], shape), title=title, symmetric=True)
    return save_figure(png, path)


def samples_png(
    visible: Tensor,
    *,
    shape: tuple[int, int] | None = None,
    title: str,
    path: str | os.PathLike[str] | None = None,
) -> bytes:
    """Rows of visible means ``(n, n_visible)`` (samples of a model) as grey images; PNG
    bytes, also written to ``path`` when given."""
    shown = visible.cpu().numpy()
    png = image_grid_png(shown, image_shape(shown.shape[1], shape), title=title)
    return save_figure(png, path)
