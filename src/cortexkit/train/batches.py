"""Where the loop's batches come from: memory, or streamed from disk.

A batch is a tuple of whatever the family needs (inputs, targets, a mask, lengths), not
always ``(X, y)``. Three sources sit behind one small interface, chosen once per fit by
:func:`as_batches`:

- :class:`TensorBatches`: tensors already in memory (on the training device). Each epoch
  draws one random order and gathers the rows by index a block (at most 4 MB) at a time,
  slicing the batches out of each block: the whole set is never copied, and the gather
  costs one kernel per block rather than per batch. Without shuffling (or in batch
  gradient descent) a batch is a view.
- :class:`ArrayBatches`: NumPy arrays that should stay where they are, such as a
  ``np.memmap`` of a file larger than memory. Each batch's rows are read (in file order, for
  the disk's sake), converted and moved to the device; only one batch is resident at a time.
- :class:`LoaderBatches`: a ``torch.utils.data.Dataset`` or ``DataLoader``, streamed with its
  workers. A ``Dataset`` is wrapped in a ``DataLoader`` that shuffles with the fit's own
  generator.

Every source knows its length, yields batches as tuples of tensors on the device, and can
give a fixed random sample of rows (the per-epoch training metric is measured on it).

Examples
--------
>>> import torch
>>> from cortexkit.train.batches import TensorBatches
>>> source = TensorBatches(torch.arange(10.0).reshape(5, 2), torch.arange(5))
>>> [b[1].tolist() for b in source.epoch(2, shuffle=False, generator=torch.Generator())]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "ArrayBatches",
    "Batches",
    "LoaderBatches",
    "RowSubset",
    "TensorBatches",
    "as_batches",
    "device_of",
]

Batch = tuple[Tensor, ...]


class Batches(ABC):
    """The interface of a batch source. Not for direct use.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.train import Batches, TensorBatches
    >>> isinstance(TensorBatches(torch.zeros(3, 2)), Batches)
    True
    """

    n: int  # rows (observations) in one epoch
    device: torch.device

    @abstractmethod
    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        """The batches of one epoch; ``batch_size=None`` gives the whole set at once."""

    @abstractmethod
    def take(self, rows: Tensor) -> Batch:
        """The given rows (a 1-d index tensor) as one batch."""

    def sample(self, k: int, generator: torch.Generator) -> Batch:
        """A fixed random sample of at most ``k`` rows, the same on every call (read once:
        a streamed source is not read again each epoch)."""
        cached = self.__dict__.get("_sample")
        if cached is not None and cached[0] == k:
            return cached[1]  # type: ignore[no-any-return]
        if self.n <= k:
            rows = torch.arange(self.n)
        else:
            rows = torch.randperm(self.n, generator=generator)[:k].sort().values
        batch = self.take(rows)
        self._sample = (k, batch)
        return batch

    def subset(self, rows: Tensor | np.ndarray) -> Batches:
        """The given rows of this source, as a source of their own (no copy of the data)."""
        return RowSubset(self, rows)

    def order(self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator) -> Tensor:
        """The order of an epoch's rows: drawn from ``generator`` when shuffling and a batch
        is smaller than the set, else the rows as they are."""
        bs = self.n if batch_size is None else min(batch_size, self.n)
        order = _order(self.n, shuffle and bs < self.n, generator)
        return torch.arange(self.n) if order is None else order

    def batches_of(self, rows: list[Tensor]) -> Iterator[Batch]:
        """The batches of the given rows (a list of 1-d index tensors), in that order."""
        for r in rows:
            yield self.take(r)

    def first(self, batch_size: int | None) -> Batch:
        """The first batch, unshuffled (what a step's cost is estimated on)."""
        size = self.n if batch_size is None else min(batch_size, self.n)
        return self.take(torch.arange(size))


BLOCK_BYTES = 4 * 2**20  # shuffled rows gathered at a time by TensorBatches


def _order(n: int, shuffle: bool, generator: torch.Generator) -> Tensor | None:
    return torch.randperm(n, generator=generator) if shuffle else None


class TensorBatches(Batches):
    """Tensors in memory, all with the same first dimension, batched by index.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.train import TensorBatches
    >>> source = TensorBatches(torch.zeros(5, 2), torch.arange(5))
    >>> batches = list(source.epoch(2, shuffle=True, generator=torch.Generator().manual_seed(0)))
    >>> sorted(torch.cat([b[1] for b in batches]).tolist())  # every row once
    [0, 1, 2, 3, 4]
    """

    def __init__(self, *tensors: Tensor, rows: Tensor | None = None) -> None:
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        n = tensors[0].shape[0]
        for t in tensors:
            if t.shape[0] != n:
                raise ValueError(
                    f"every tensor of a batch needs the same number of rows; got "
                    f"{[t.shape[0] for t in tensors]}"
                )
        self.tensors = tensors
        self.device = tensors[0].device
        # the rows of the tensors this source serves (the training rows, say): an index,
        # so that a subset costs no copy of the data
        self.rows = None if rows is None else torch.as_tensor(rows).to(self.device)
        self.n = int(n if self.rows is None else len(self.rows))

    def subset(self, rows: Tensor | np.ndarray) -> TensorBatches:
        rows = torch.as_tensor(rows)
        mapped = rows if self.rows is None else self.rows[rows.to(self.device)]
        return TensorBatches(*self.tensors, rows=mapped)

    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        n, tensors = self.n, self.tensors
        bs = n if batch_size is None else min(batch_size, n)
        order = _order(n, shuffle and bs < n, generator)
        if order is None and self.rows is None:  # contiguous views, no copy
            for start in range(0, n, bs):
                yield tuple(t[start : start + bs] for t in tensors)
            return
        order = torch.arange(n) if order is None else order
        order = order.to(self.device)
        if self.rows is not None:
            order = self.rows[order]
        # Gather a block of shuffled rows at a time (at most BLOCK_BYTES, whole batches) and
        # slice the batches out of it: one gather per block instead of one per batch, and
        # never a copy of the whole set.
        row_bytes = sum(t[:1].numel() * t.element_size() for t in tensors)
        block = max(bs, (BLOCK_BYTES // max(row_bytes, 1)) // bs * bs)
        for first in range(0, n, block):
            rows = order[first : first + block]
            gathered = tuple(t.index_select(0, rows) for t in tensors)
            for start in range(0, rows.shape[0], bs):
                yield tuple([t[start : start + bs] for t in gathered])

    def take(self, rows: Tensor) -> Batch:
        rows = rows.to(self.device)
        if self.rows is not None:
            rows = self.rows[rows]
        return tuple(t.index_select(0, rows) for t in self.tensors)


class RowSubset(Batches):
    """Some rows of another source (the training rows of a memmap, after the split), read
    through it: nothing is copied.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from cortexkit.train.batches import ArrayBatches, RowSubset
    >>> source = ArrayBatches(np.arange(10.0).reshape(10, 1), device=torch.device("cpu"))
    >>> RowSubset(source, np.array([7, 2])).take(torch.arange(2))[0].ravel().tolist()
    [2.0, 7.0]
    """

    def __init__(self, source: Batches, rows: Tensor | np.ndarray) -> None:
        self.source, self.rows = source, torch.as_tensor(rows)
        self.n, self.device = len(self.rows), source.device

    def take(self, rows: Tensor) -> Batch:
        return self.source.take(self.rows[rows.cpu()])

    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        bs = self.n if batch_size is None else min(batch_size, self.n)
        order = self.order(batch_size, shuffle=shuffle, generator=generator)
        for start in range(0, self.n, bs):
            yield self.take(order[start : start + bs])

    def order(self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator) -> Tensor:
        return torch.randperm(self.n, generator=generator) if shuffle else torch.arange(self.n)


class ArrayBatches(Batches):
    """NumPy arrays (a ``np.memmap`` say) read a batch at a time.

    ``dtypes`` gives each array's tensor dtype (default: float32 for floating arrays, the
    array's own otherwise). Rows are read in ascending order within a batch, which a memmap
    serves far faster than random order; the batch's composition is still random.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, torch
    >>> from cortexkit.train import ArrayBatches
    >>> path = os.path.join(tempfile.mkdtemp(), "X.f32")
    >>> X = np.memmap(path, dtype=np.float32, mode="w+", shape=(1000, 4))
    >>> source = ArrayBatches(X, device=torch.device("cpu"))
    >>> sizes = [b[0].shape for b in source.epoch(400, shuffle=True, generator=torch.Generator())]
    >>> sizes
    [torch.Size([400, 4]), torch.Size([400, 4]), torch.Size([200, 4])]
    """

    def __init__(
        self,
        *arrays: Any,
        device: torch.device,
        dtypes: Sequence[torch.dtype | None] | None = None,
    ) -> None:
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(
                f"every array of a batch needs the same number of rows; got "
                f"{[len(a) for a in arrays]}"
            )
        self.arrays = arrays
        self.n = int(n)
        self.device = device
        self.dtypes = list(dtypes) if dtypes is not None else [None] * len(arrays)

    def _tensor(self, array: Any, rows: np.ndarray | slice, dtype: torch.dtype | None) -> Tensor:
        if isinstance(array, Tensor):
            index = rows if isinstance(rows, slice) else torch.from_numpy(rows)
            return array[index].to(self.device)
        chunk = np.asarray(array[rows])
        if not chunk.flags.writeable:  # a slice of a read-only memmap: torch would warn
            chunk = chunk.copy()
        if dtype is None and chunk.dtype.kind == "f":
            dtype = torch.float32
        out = torch.from_numpy(np.ascontiguousarray(chunk))
        return out.to(device=self.device, dtype=dtype or out.dtype, non_blocking=True)

    def take(self, rows: Tensor) -> Batch:
        index = np.sort(rows.cpu().numpy())
        return tuple(
            self._tensor(a, index, d) for a, d in zip(self.arrays, self.dtypes, strict=True)
        )

    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        n = self.n
        bs = n if batch_size is None else min(batch_size, n)
        order = _order(n, shuffle and bs < n, generator)
        for start in range(0, n, bs):
            if order is None:
                rows: np.ndarray | slice = slice(start, start + bs)
                yield tuple(
                    self._tensor(a, rows, d) for a, d in zip(self.arrays, self.dtypes, strict=True)
                )
            else:
                yield self.take(order[start : start + bs])


class LoaderBatches(Batches):
    """A ``Dataset`` or ``DataLoader``; each item (or batch) is a tensor or a tuple of them.

    A ``DataLoader`` is used as it is (its own batch size, order and workers). A map-style
    ``Dataset`` is wrapped in one with the loop's batch size, shuffled by the fit's
    generator, with ``num_workers`` worker processes.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from cortexkit.train import LoaderBatches
    >>> data = TensorDataset(torch.randn(10, 3), torch.arange(10))
    >>> source = LoaderBatches(data, device=torch.device("cpu"))
    >>> [len(b[1]) for b in source.epoch(4, shuffle=True, generator=torch.Generator())]
    [4, 4, 2]
    """

    def __init__(self, data: Any, *, device: torch.device, num_workers: int = 0) -> None:
        from torch.utils.data import DataLoader, Dataset

        if isinstance(data, DataLoader):
            self.loader: Any = data
            self.dataset = data.dataset
        elif isinstance(data, Dataset):
            self.loader = None
            self.dataset = data
        else:
            raise TypeError(f"expected a Dataset or DataLoader; got {type(data).__name__}")
        try:
            self.n = len(self.dataset)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                "the dataset must have a length (a map-style Dataset, not an IterableDataset)"
            ) from None
        if self.n < 1:
            raise ValueError("the dataset is empty: it needs at least 1 sample")
        self.device = device
        self.num_workers = num_workers

    def _to_device(self, item: Any) -> Batch:
        parts = item if isinstance(item, list | tuple) else (item,)
        return tuple(torch.as_tensor(p).to(self.device, non_blocking=True) for p in parts)

    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        from torch.utils.data import DataLoader

        loader = self.loader
        if loader is None:
            # built once, so that workers persist between epochs; each epoch still draws a
            # new order from ``generator``
            key = (batch_size, shuffle, id(generator))
            if self.__dict__.get("_own_key") != key:
                self._own = DataLoader(
                    self.dataset,
                    batch_size=self.n if batch_size is None else batch_size,
                    shuffle=shuffle,
                    generator=generator,
                    num_workers=self.num_workers,
                    persistent_workers=self.num_workers > 0,
                    pin_memory=self.device.type == "cuda",
                )
                self._own_key = key
            loader = self._own
        for item in loader:
            yield self._to_device(item)

    def batches_of(self, rows: list[Tensor]) -> Iterator[Batch]:
        """The given rows' batches through a ``DataLoader`` with the source's workers (and a
        given loader's ``collate_fn``)."""
        from torch.utils.data import DataLoader

        extra = {} if self.loader is None else {"collate_fn": self.loader.collate_fn}
        loader = DataLoader(self.dataset, batch_sampler=[r.tolist() for r in rows],
                            num_workers=self.num_workers, **extra)  # fmt: skip
        for item in loader:
            yield self._to_device(item)

    def take(self, rows: Tensor) -> Batch:
        from torch.utils.data import default_collate

        items = [self.dataset[int(i)] for i in rows]
        return self._to_device(default_collate(items))


def device_of(data: tuple[Any, ...]) -> torch.device:
    """Where the batches go: the device of the first tensor given, else the CPU (a loader's
    batches go where its first batch's would, which the caller sets by moving the model)."""
    for part in data:
        if isinstance(part, Tensor):
            return part.device
        if isinstance(part, Batches):
            return part.device
    return torch.device("cpu")


def as_batches(data: Any, *, device: torch.device, num_workers: int = 0) -> Batches:
    """The batch source for ``data``: a :class:`Batches`, a ``Dataset``/``DataLoader``, or a
    tuple of tensors and arrays (in-memory tensors are moved to ``device`` once; NumPy
    memmaps stay on disk).
    """
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, Batches):
        return data
    if isinstance(data, DataLoader | Dataset):
        return LoaderBatches(data, device=device, num_workers=num_workers)
    parts = data if isinstance(data, tuple | list) else (data,)
    if any(isinstance(p, np.memmap) for p in parts):
        return ArrayBatches(*parts, device=device)
    return TensorBatches(*(torch.as_tensor(p).to(device) for p in parts))
