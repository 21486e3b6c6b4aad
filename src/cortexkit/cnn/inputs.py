"""The CNN's inputs, whatever their form, as training parts or a streamed ``Dataset``.

- An array ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` (see
  :mod:`cortexkit.cnn.layout` for how the channel axis is found), with labels ``y``.
- A folder path: one subfolder per class (:mod:`cortexkit.data.images`). It is read into
  memory when its images, as uint8, fit in ``max_memory`` bytes; otherwise it is
  streamed from disk through a ``DataLoader`` with ``num_workers`` workers.
- A ``Dataset`` of ``(image, label)`` pairs (an :class:`~cortexkit.data.ImageFolder`, or
  the user's own, each image ``(C, H, W)`` or ``(H, W)``), or a ``DataLoader`` over one.

Examples
--------
>>> from cortexkit.cnn.inputs import memory_budget
>>> memory_budget(2**20)
1048576
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from cortexkit._validation import as_widths
from cortexkit.cnn.layout import to_nchw
from cortexkit.cnn.network import AUGMENTATIONS
from cortexkit.data.images import ImageFolder, load_image
from cortexkit.data.streamed import EncodedTargets, scan_targets
from cortexkit.io.memory import available_memory

__all__ = [
    "STAT_CHUNK",
    "STAT_SAMPLE",
    "augmentations",
    "channel_stats",
    "color_mode",
    "folder_images",
    "memory_budget",
    "resize",
    "sample_shape",
    "wanted_size",
]

STAT_SAMPLE = 2048  # streamed images read to estimate the normalisation statistics
STAT_CHUNK = 1 << 22  # values channel_stats converts to float32 at a time (16 MB)


def augmentations(augment: Any) -> tuple[str, ...]:
    """The ``augment`` parameter as a tuple of names from ``AUGMENTATIONS``."""
    names = () if augment is None else (augment,) if isinstance(augment, str) else tuple(augment)
    unknown = [a for a in names if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"augment takes {list(AUGMENTATIONS)} (or None); got {unknown[0]!r}")
    return names


def wanted_size(image_size: Any) -> tuple[int, int] | None:
    """The ``image_size`` parameter as ``(height, width)`` (an int is a square), or None."""
    if image_size is None:
        return None
    pair = as_widths(image_size, "image_size")
    if not isinstance(image_size, list | tuple):  # an int: a square
        pair = pair * 2
    if len(pair) != 2:
        raise ValueError(f"image_size must be an int or (height, width); got {image_size!r}")
    return pair[0], pair[1]


def color_mode(channels: int) -> str:
    """The colour mode of images with ``channels`` channels: ``"L"`` (gray) or ``"RGB"``."""
    return "L" if channels == 1 else "RGB"


def memory_budget(max_memory: Any) -> int:
    """Bytes an image folder may take in memory: ``max_memory``, or for ``"auto"`` a
    quarter of the memory available now (1 GiB where unknown)."""
    if max_memory == "auto":
        free = available_memory()
        return (free // 4) if free else 2**30
    return int(max_memory)


def resize(X: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(N, C, H, W)`` images resized to ``size`` (bilinear), in their own dtype."""
    if tuple(X.shape[2:]) == size:
        return X
    out = []
    for start in range(0, len(X), 256):
        t = torch.from_numpy(np.ascontiguousarray(X[start : start + 256])).float()
        r = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=True)
        out.append(r.round().clamp(0, 255).to(torch.uint8) if X.dtype == np.uint8 else r)
    return torch.cat(out).numpy()


def folder_images(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None,
    mode: str | None,
    skip_bad: bool,
    max_memory: Any,
) -> tuple[Any, Any]:
    """A class folder as ``(X, labels)`` in memory (``X`` ``(N, C, H, W)`` uint8), or as
    ``(ImageFolder, None)`` when its images exceed the memory budget."""
    import warnings

    data = ImageFolder(path, size, mode=mode, skip_bad=skip_bad)
    h, w = data.size
    channels = 1 if data.mode == "L" else 3
    if len(data) * h * w * channels > memory_budget(max_memory):
        return data, None
    X = np.empty((len(data), channels, h, w), dtype=np.uint8)
    keep = np.ones(len(data), dtype=bool)
    for i, f in enumerate(data.files):
        try:
            X[i] = load_image(f, data.size, data.mode).transpose(2, 0, 1)
        except ValueError as exc:
            if not skip_bad:
                raise
            warnings.warn(f"skipped: {exc}", UserWarning, stacklevel=3)
            keep[i] = False
    return X[keep], data.labels[keep]


def sample_shape(data: Any) -> tuple[int, ...]:
    """A dataset's image shape as ``(C, H, W)`` (an ``(H, W)`` image has one channel)."""
    first = torch.as_tensor(data[0][0])
    if first.dim() == 2:
        return (1, *first.shape)
    if first.dim() != 3:
        raise ValueError(
            f"each image of the dataset must be (C, H, W) or (H, W); got shape {tuple(first.shape)}"
        )
    return tuple(first.shape)


def streamed_targets(data: Any) -> tuple[Any, np.ndarray, int]:
    """The dataset, every label (in index order) and the given DataLoader's workers. An
    :class:`ImageFolder` knows its labels; another dataset is read once
    (:func:`~cortexkit.data.streamed.scan_targets` also checks every image)."""
    dataset = data.dataset if isinstance(data, DataLoader) else data
    workers = data.num_workers if isinstance(data, DataLoader) else 0
    if isinstance(dataset, ImageFolder):
        return dataset, dataset.labels, workers
    scan = scan_targets(data)
    return scan.dataset, scan.targets, scan.num_workers


def channel_stats(X: Any, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of ``(N, C, H, W)`` images: an array in
    memory (every image), or a dataset (a sample of ``STAT_SAMPLE``).

    The images are read in blocks of at most ``STAT_CHUNK`` values (whole images, or rows
    of an image larger than that), converted to float32 and summed in float64, so the
    extra memory is a few times ``STAT_CHUNK`` float32 values, whatever the images' size.

    Examples
    --------
    >>> mean, std = channel_stats(np.array([[[[0, 2]], [[4, 4]]]], dtype=np.uint8), 2)
    >>> mean.tolist(), std.tolist()
    ([1.0, 4.0], [1.0, 1.0])
    """
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    count = 0
    if isinstance(X, Dataset):
        n = len(X)  # type: ignore[arg-type]
        rows = np.linspace(0, n - 1, min(n, STAT_SAMPLE)).astype(int)
        images: Any = (torch.as_tensor(X[int(i)][0]).reshape(channels, -1) for i in rows)
        blocks: Any = (
            image[None, :, s : s + STAT_CHUNK // channels]
            for image in images
            for s in range(0, image.shape[1], max(1, STAT_CHUNK // channels))
        )
    else:
        blocks = _array_blocks(X, channels)
    for block in blocks:
        values = block.to(torch.float32, copy=True)  # one chunk; squared in place below
        total += values.sum((0, 2), dtype=torch.float64)
        squares += values.square_().sum((0, 2), dtype=torch.float64)
        count += values.shape[0] * values.shape[2]
    mean = total.numpy() / count
    std = np.sqrt(np.maximum(squares.numpy() / count - mean**2, 0.0))
    return mean, np.where(std > 1e-8, std, 1.0)


def _array_blocks(X: np.ndarray, channels: int) -> Any:
    """``X`` ``(N, C, H, W)`` as ``(n, C, L)`` tensors of at most ``STAT_CHUNK`` values:
    several whole images, or row bands of one image larger than that."""
    n, _, h, w = X.shape
    per_image = channels * h * w
    if per_image <= STAT_CHUNK:
        step = STAT_CHUNK // per_image
        for s in range(0, n, step):
            yield torch.from_numpy(np.ascontiguousarray(X[s : s + step])).reshape(
                -1, channels, h * w
            )
        return
    band = max(1, STAT_CHUNK // (channels * w))
    for i in range(n):
        for r in range(0, h, band):
            part = np.ascontiguousarray(X[i, :, r : r + band])
            yield torch.from_numpy(part).reshape(1, channels, -1)


def as_images(X: Any, channels: str) -> np.ndarray:
    """An array input as ``(N, C, H, W)`` (uint8 kept, else float32, checked finite)."""
    if isinstance(X, Tensor):
        X = X.detach().cpu().numpy()
    return to_nchw(X, channels)


def encoded_dataset(dataset: Any, targets: Tensor) -> EncodedTargets:
    """The dataset's images beside their encoded class indices."""
    return EncodedTargets(dataset, targets)
