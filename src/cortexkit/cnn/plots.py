"""Figures of what a CNN has learned: its first filters, and the feature maps of an image.

Drawn on an Agg canvas (no ``pyplot``), written atomically like every cortexkit figure.

Examples
--------
>>> import torch
>>> from cortexkit.cnn.plots import grid_png
>>> grid_png([("a", torch.zeros(4, 4)), ("b", torch.ones(4, 4))], "two maps")[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cortexkit.io.envelope import atomic_write_bytes

__all__ = [
    "confusion_png",
    "feature_maps_png",
    "filters_png",
    "first_conv",
    "grid_png",
    "image_tensor",
]

MAX_MAPS = 32  # feature maps or filters drawn at most
COLUMNS = 8  # panels in a row of a grid


def grid_png(panels: Sequence[tuple[str, Tensor]], title: str, columns: int = COLUMNS) -> bytes:
    """Small gray images in a grid, each with its caption; the PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cortexkit.plot import _render

    n = max(len(panels), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    # 1.3 in a panel: eight fit a report's page, their 9 pt captions included
    fig = Figure(figsize=(1.3 * cols, 1.45 * rows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    for i, (caption, image) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image.detach().float().cpu().numpy(), cmap="gray")
        ax.set_title(caption, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=11)
    return _render(fig)


def _write(png: bytes, path: str | os.PathLike[str] | None) -> bytes:
    if path is not None:
        atomic_write_bytes(path, png)
    return png


def first_conv(network: nn.Module) -> nn.Conv2d:
    """The network's first convolution.

    Raises
    ------
    ValueError
        If it has none (a user's module without ``nn.Conv2d``).
    """
    for layer in network.modules():
        if isinstance(layer, nn.Conv2d):
            return layer
    raise ValueError("the network has no nn.Conv2d layer: no filters to draw")


def image_tensor(est: Any, image: Any) -> Tensor:
    """One image (``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``, raw values) as a batch of one,
    ``(1, C, H, W)``, checked against the model's channels and size."""
    batch = np.asarray(image.detach().cpu() if isinstance(image, Tensor) else image)[None]
    return torch.from_numpy(est._images(batch, fitting=False))


def filters_png(est: Any, path: str | os.PathLike[str] | None = None) -> bytes:
    """The first convolution's filters (the channels averaged), one panel each."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "network_")
    weight = first_conv(est.network_).weight.detach().cpu()  # (filters, C, k, k)
    shown = min(len(weight), MAX_MAPS)
    if shown > COLUMNS:  # the grid's rows full: no last row left half empty
        shown = shown // COLUMNS * COLUMNS
    panels = [(f"filter {i}", w.mean(0)) for i, w in enumerate(weight[:shown])]
    title = f"first convolution: {weight.shape[0]} filters of {tuple(weight.shape[1:])}" + (
        f", the first {shown}" if shown < len(weight) else ""
    )
    return _write(grid_png(panels, title), path)


def first_block_maps(est: Any, x: Tensor) -> Tensor:
    """The feature maps of the first block, after its last ReLU and before its pooling
    (full size: easier to read than the pooled ones), or after a user's module's first
    convolution and ReLU: ``(C', H, W)``."""
    net = est.network_
    net.eval()
    with torch.no_grad():
        h = net.preprocess(x.to(est._device()))
        layers = list(net.body.features) if hasattr(net.body, "features") else []
        if not layers:  # a user's module: its first convolution, then ReLU
            return torch.relu(first_conv(net)(h))[0]
        for layer in layers:
            if isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
                break
            h = layer(h)
    return h[0]


def feature_maps_png(est: Any, image: Any, path: str | os.PathLike[str] | None = None) -> bytes:
    """The image, then its feature maps after the first convolution block."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "network_")
    x = image_tensor(est, image)
    maps = first_block_maps(est, x).cpu()
    proba = est.predict_proba(x.numpy())[0]
    label = est.classes_[int(np.argmax(proba))]
    shown = min(len(maps), MAX_MAPS - 1)
    if shown + 1 > COLUMNS:  # the grid's rows full: no last row left half empty
        shown = (shown + 1) // COLUMNS * COLUMNS - 1
    panels = [(f"image -> {label}", x[0].float().mean(0))]
    panels += [(f"map {i}", m) for i, m in enumerate(maps[:shown])]
    title = f"feature maps of the first block (after ReLU): {tuple(maps.shape)}" + (
        f", the first {shown}" if shown < len(maps) else ""
    )
    return _write(grid_png(panels, title), path)


def confusion_png(
    matrix: Any, labels: Sequence[str], path: str | os.PathLike[str] | None = None
) -> bytes:
    """The confusion matrix (rows: actual, columns: predicted) as a heat map with counts."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cortexkit.plot import _render

    matrix = np.asarray(matrix)
    k = len(labels)
    side = max(3.2, 0.38 * k + 1.2)  # ten classes: 5 in, two side by side on a report's page
    fig = Figure(figsize=(side + 0.4, side), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    shown = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(shown, ax=ax, fraction=0.046)
    ax.set_xticks(range(k), labels, rotation=90 if k > 10 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    top = matrix.max() if matrix.size else 0
    for i in range(k):
        for j in range(k):
            colour = "white" if matrix[i, j] > top / 2 else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=9, color=colour)
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"confusion matrix (accuracy {accuracy:.4f})", fontsize=10)
    return _write(_render(fig), path)
