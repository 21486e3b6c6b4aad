"""Batch sources: in-memory slicing, and a memmap read a batch at a time, never copied whole."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cortexkit.ann.inputs as ann_inputs
from cortexkit import ANNClassifier, ANNRegressor
from cortexkit.train import ArrayBatches, TensorBatches
from cortexkit.train.loop import EpochLoop, metric_sample_size

ROWS, COLS = 2000, 5


class CountingMemmap(np.memmap):
    """A memmap that records how many rows each read of it returns."""

    reads: list[int]

    def __getitem__(self, index: Any) -> Any:
        out = super().__getitem__(index)
        if isinstance(out, np.ndarray) and out.ndim == self.ndim:
            self.reads.append(len(out))
        return out


def _memmap(path: Path, X: np.ndarray) -> CountingMemmap:
    writer = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    writer[:] = X
    writer.flush()
    del writer
    out = CountingMemmap(path, dtype=X.dtype, mode="r", shape=X.shape)
    out.reads = []
    return out


@pytest.fixture
def table() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, COLS), dtype=np.float32)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.3 * rng.standard_normal(ROWS) > 0
    return X, y.astype(np.int64)


# -- the sources themselves ---------------------------------------------------------------


def test_tensor_batches_shuffle_gives_every_row_once_without_copying_the_set() -> None:
    X = torch.arange(100.0).reshape(50, 2)
    source = TensorBatches(X, torch.arange(50))
    gen = torch.Generator().manual_seed(0)
    batches = list(source.epoch(8, shuffle=True, generator=gen))
    assert [len(b[1]) for b in batches] == [8] * 6 + [2]
    rows = torch.cat([b[1] for b in batches])
    assert sorted(rows.tolist()) == list(range(50))
    assert rows.tolist() != list(range(50))  # shuffled
    for xb, yb in batches:  # inputs and targets stay paired
        assert torch.equal(xb, X[yb])


def test_array_batches_read_one_batch_of_rows_at_a_time(tmp_path: Path, table) -> None:
    X = _memmap(tmp_path / "X.f32", table[0])
    source = ArrayBatches(X, table[1], device=torch.device("cpu"))
    batches = list(source.epoch(300, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert [len(b[0]) for b in batches] == [300] * 6 + [200]
    assert max(X.reads) == 300  # never more than a batch read from the file
    seen = np.concatenate([b[0].numpy() for b in batches])
    order = np.lexsort(seen.T[::-1])
    np.testing.assert_array_equal(seen[order], table[0][np.lexsort(table[0].T[::-1])])
    for xb, yb in batches:  # inputs and targets stay paired
        assert torch.equal(torch.as_tensor(table[1][_row_of(table[0], xb)]), yb)


def _row_of(X: np.ndarray, rows: torch.Tensor) -> np.ndarray:
    index = {tuple(r): i for i, r in enumerate(X.tolist())}
    return np.array([index[tuple(r)] for r in rows.tolist()])


def test_array_batches_convert_float64_to_float32_and_keep_integers(tmp_path: Path) -> None:
    X = _memmap(tmp_path / "X.f64", np.arange(12.0).reshape(6, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a read-only memmap gives writable batches, silently
        (xb, yb), *_ = ArrayBatches(X, np.arange(6), device=torch.device("cpu")).epoch(
            4, shuffle=False, generator=torch.Generator()
        )
    assert xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert xb.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_array_batches_refuse_arrays_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same number of rows"):
        ArrayBatches(np.zeros((5, 2)), np.zeros(4), device=torch.device("cpu"))


# -- an estimator fitted on a memmap ------------------------------------------------------


@pytest.mark.parametrize("validation_fraction", [0.0, 0.2])
def test_memmap_fit_matches_the_in_memory_fit(tmp_path: Path, table, validation_fraction) -> None:
    # Same seed, same batches: only the order of rows within a batch differs (a memmap's
    # batch is read in file order), so the weights agree to rounding.
    X, y = table
    params = dict(hidden_layers=(8,), epochs=4, batch_size=64, learning_rate=0.01, random_state=0,
                  validation_fraction=validation_fraction,
                  early_stopping=validation_fraction > 0)  # fmt: skip
    on_disk = ANNClassifier(**params).fit(_memmap(tmp_path / "X.f32", X), y)
    in_memory = ANNClassifier(**params).fit(X, y)
    assert on_disk.n_features_in_ == COLS
    np.testing.assert_allclose(on_disk.loss_curve_, in_memory.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(on_disk.predict_proba(X), in_memory.predict_proba(X), atol=1e-4)
    assert on_disk.score(X, y) > 0.9
    if validation_fraction:
        assert len(on_disk.history_["val_loss"]) == on_disk.n_iter_
        np.testing.assert_allclose(
            on_disk.history_["val_loss"], in_memory.history_["val_loss"], rtol=1e-4
        )


def test_memmap_regressor_and_partial_fit(tmp_path: Path, table) -> None:
    X, _ = table
    target = X @ np.array([1.0, -1.0, 0.5, 0.0, 2.0], dtype=np.float32)
    X_disk = _memmap(tmp_path / "X.f32", X)
    reg = ANNRegressor(
        hidden_layers=(16,), epochs=20, batch_size=64, random_state=0,
        validation_fraction=0.1, early_stopping=True,
    ).fit(X_disk, target)  # fmt: skip
    assert reg.score(X, target) > 0.9
    clf = ANNClassifier(hidden_layers=(8,), batch_size=64, random_state=0)
    clf.partial_fit(X_disk, table[1], classes=[0, 1]).partial_fit(X_disk, table[1])
    assert clf.n_iter_ == 2 and clf.n_features_in_ == COLS


def test_memmap_fit_never_copies_the_whole_array(tmp_path: Path, table, monkeypatch) -> None:
    X = _memmap(tmp_path / "X.f32", table[0])
    monkeypatch.setattr(ann_inputs, "MEMMAP_CHUNK", 256)  # the finiteness check reads chunks

    def whole(obj: Any) -> bool:
        return (
            isinstance(obj, np.ndarray)
            and obj.ndim == 2
            and len(obj) == ROWS
            and np.may_share_memory(obj, X)
        )

    def refusing(fn: Any) -> Any:
        def wrapper(obj: Any, *args: Any, **kwargs: Any) -> Any:
            if whole(obj):
                raise AssertionError(f"{fn.__name__} was called on the whole memmap")
            return fn(obj, *args, **kwargs)

        return wrapper

    converters = [(np, "asarray"), (np, "array"), (np, "ascontiguousarray"),
                  (torch, "as_tensor"), (torch, "from_numpy"), (torch, "tensor")]  # fmt: skip
    for module, name in converters:
        monkeypatch.setattr(module, name, refusing(getattr(module, name)))
    sources: list[Any] = []
    run = EpochLoop.run

    def spy(self: EpochLoop, batches: Any, *args: Any, **kwargs: Any) -> Any:
        sources.append(batches)
        return run(self, batches, *args, **kwargs)

    monkeypatch.setattr(EpochLoop, "run", spy)
    clf = ANNClassifier(hidden_layers=(8,), epochs=2, batch_size=100, random_state=0,
                        validation_fraction=0.2, early_stopping=True).fit(X, table[1])  # fmt: skip
    assert clf.n_iter_ == 2
    assert not any(isinstance(s, TensorBatches) for s in sources)  # trained from the file
    # batches of 100 rows; the 400 validation rows, gathered once; the training-metric
    # sample, once an epoch; the first batch, which the step's cost is estimated on:
    # never the whole file
    assert max(X.reads) == max(400, metric_sample_size(1600)) < ROWS
    assert X.reads.count(400) == 1
    assert X.reads.count(100) == 2 * 1600 // 100 + 1
