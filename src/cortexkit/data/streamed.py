"""Supervised training data streamed from a ``Dataset`` or ``DataLoader`` of ``(x, y)`` pairs.

A supervised family needs every target before training (the classes, the target's scale),
but not every input: :func:`scan_targets` makes one pass that checks each input and keeps
only the targets, and :class:`EncodedTargets` then serves each sample's input as it is read
beside its encoded target. The CNN reads an image folder larger than memory this way.

Examples
--------
>>> import torch
>>> from torch.utils.data import TensorDataset
>>> from cortexkit.data.streamed import scan_targets
>>> data = TensorDataset(torch.randn(10, 3), torch.arange(10) % 2)
>>> scan = scan_targets(data)
>>> scan.sample_shape, scan.targets.tolist()
((3,), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

__all__ = ["EncodedTargets", "Scan", "scan_targets"]

SCAN_BATCH = 1024  # samples read at a time while scanning


@dataclass
class Scan:
    """What one pass over a data set found."""

    dataset: Any  # the map-style dataset itself
    sample_shape: tuple[int, ...]  # one input's shape
    targets: np.ndarray  # every target, in the dataset's index order
    num_workers: int  # a given DataLoader's workers, else 0


def scan_targets(data: Dataset | DataLoader) -> Scan:
    """Read every ``(x, y)`` pair once, in index order, checking the inputs (numbers, all
    finite, one shape) and keeping the targets.

    Raises
    ------
    ValueError
        If the data set is empty, an item is not an ``(x, y)`` pair, or an input holds NaN,
        infinity or a shape unlike the first's (naming the sample).
    """
    loader = data if isinstance(data, DataLoader) else None
    dataset: Any = data.dataset if isinstance(data, DataLoader) else data
    try:
        n = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            "X must be a map-style Dataset (with a length) or a DataLoader over one"
        ) from None
    if n < 1:
        raise ValueError("the dataset is empty: it needs at least 1 sample")
    reader = DataLoader(dataset, batch_size=SCAN_BATCH, shuffle=False,
                        num_workers=loader.num_workers if loader is not None else 0)  # fmt: skip
    shape: tuple[int, ...] | None = None
    targets: list[np.ndarray] = []
    seen = 0
    for item in reader:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValueError(
                "each sample of the dataset must be an (x, y) pair; got "
                f"{type(item).__name__} of {len(item) if hasattr(item, '__len__') else '?'}"
            )
        xb, yb = torch.as_tensor(item[0]), torch.as_tensor(item[1])
        if shape is None:
            shape = tuple(xb.shape[1:])
        elif tuple(xb.shape[1:]) != shape:
            raise ValueError(
                f"sample {seen} has shape {tuple(xb.shape[1:])}; the first had {shape}"
            )
        if not (xb.is_floating_point() or xb.dtype in (torch.int64, torch.int32, torch.uint8)):
            raise ValueError(f"the inputs must hold numbers; sample {seen} is {xb.dtype}")
        finite = torch.isfinite(xb.reshape(len(xb), -1).float()).all(1)
        if not bool(finite.all()):
            bad = seen + int((~finite).nonzero()[0])
            raise ValueError(f"sample {bad} of the dataset holds NaN or infinity")
        targets.append(yb.numpy())
        seen += len(xb)
    assert shape is not None
    return Scan(dataset, shape, np.concatenate(targets), loader.num_workers if loader else 0)


class EncodedTargets(Dataset):
    """A dataset's inputs, as float32 tensors, beside targets encoded beforehand.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from cortexkit.data.streamed import EncodedTargets
    >>> data = EncodedTargets(TensorDataset(torch.ones(2, 3), torch.tensor([7, 9])),
    ...                       torch.tensor([0.0, 1.0]))
    >>> data[1]
    (tensor([1., 1., 1.]), tensor(1.))
    """

    def __init__(self, dataset: Any, targets: Tensor) -> None:
        self.dataset = dataset
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        x = self.dataset[i][0]
        return torch.as_tensor(x, dtype=torch.float32), self.targets[i]
