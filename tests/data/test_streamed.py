"""ANN fit on a Dataset of (x, y) pairs or a DataLoader: scanned once, then streamed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from cortexkit import ANNClassifier, ANNRegressor


@pytest.fixture(scope="module")
def cancer(breast_cancer):
    X, y = breast_cancer
    return X.astype(np.float32), y


def test_a_dataset_trains_as_well_as_the_arrays(cancer) -> None:
    X, y = cancer
    data = TensorDataset(torch.tensor(X), torch.tensor(y))
    streamed = ANNClassifier((16,), epochs=15, random_state=0, device="cpu").fit(data)
    arrays = ANNClassifier((16,), epochs=15, random_state=0, device="cpu").fit(X, y)
    assert streamed.n_features_in_ == X.shape[1]
    assert streamed.classes_.tolist() == [0, 1]
    assert streamed.score(X, y) > 0.95 > np.mean(y)  # beats the majority class
    assert abs(streamed.score(X, y) - arrays.score(X, y)) < 0.03
    assert "val_loss" in streamed.history_  # the validation split works on a Dataset too


class _CountsWorkerReads(Dataset):
    """Counts the items read in worker processes (a shared counter survives the fork)."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        import multiprocessing

        self.X, self.y = torch.tensor(X), torch.tensor(y)
        self.in_workers = multiprocessing.get_context("fork").Value("i", 0)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        from torch.utils.data import get_worker_info

        if get_worker_info() is not None:
            with self.in_workers.get_lock():
                self.in_workers.value += 1
        return self.X[i], self.y[i]


def test_a_dataloader_lends_its_workers(cancer) -> None:
    X, y = cancer
    data = _CountsWorkerReads(X, y)
    loader = DataLoader(data, num_workers=1, multiprocessing_context="fork")
    clf = ANNClassifier((8,), epochs=2, random_state=0, device="cpu").fit(loader)
    assert clf.n_iter_ == 2
    # the scan reads every sample in the worker, and so does each epoch its training rows
    # (the validation rows are read once, in this process)
    train_rows = len(y) - round(0.1 * len(y))
    assert data.in_workers.value == len(y) + 2 * train_rows


def test_string_labels_cannot_be_in_a_tensor_dataset_but_regression_targets_can() -> None:
    X = torch.randn(40, 3)
    reg = ANNRegressor((4,), epochs=2, random_state=0, device="cpu")
    reg.fit(TensorDataset(X, X[:, 0] * 2 + 1))
    assert reg.predict(X.numpy()).shape == (40,)


class _Pairs(Dataset):
    def __init__(self, items: list) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "the dataset is empty"),
        ([(torch.ones(3), 0), (torch.tensor([1.0, float("nan"), 0.0]), 1)],
         "sample 1 of the dataset holds NaN"),
        ([(torch.ones(2, 2), 0), (torch.ones(2, 2), 1)], "must be 1-dimensional"),
        ([torch.ones(3), torch.ones(3)], r"must be an \(x, y\) pair"),
    ],
)  # fmt: skip
def test_bad_datasets_are_named(items, message) -> None:
    with pytest.raises(ValueError, match=message):
        ANNClassifier((2,), epochs=1).fit(_Pairs(items))


def test_y_beside_a_dataset_is_refused() -> None:
    data = TensorDataset(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="y must be None when X is a Dataset"):
        ANNClassifier((2,), epochs=1).fit(data, [0, 1, 0, 1])


def test_a_dataset_of_the_wrong_width_is_refused_by_partial_fit() -> None:
    clf = ANNClassifier((2,), epochs=1).fit(
        np.random.default_rng(0).normal(size=(6, 3)), [0, 1] * 3
    )
    data = TensorDataset(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="X has 2 features, but ANNClassifier is expecting 3"):
        clf.partial_fit(data)
