"""The estimator base: a family with no optimiser trains through the generic loop.

``ToyMap`` is a SOM-like estimator written here, as a family would write one: its own update
rule (move each node towards the mean of the samples nearest it), no ``nn.Parameter`` and no
optimiser, yet it gets the base's seeding, validation split, history, early stopping with
best-state restore, checkpoints, resume and model files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

from cortexkit import load
from cortexkit._validation import Interval, validate_data
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.train import Step
from cortexkit.train.checkpoint import read_checkpoint


class _NearestNodeStep(Step):
    def __init__(self, est: ToyMap) -> None:
        self.est = est

    def _nearest(self, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d = torch.cdist(xb, self.est.nodes_)  # (batch, nodes)
        return d.min(1)

    def __call__(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        (xb,) = batch
        dist, idx = self._nearest(xb)
        nodes = self.est.nodes_
        for k in idx.unique():
            nodes[k] += self.est.learning_rate * (xb[idx == k].mean(0) - nodes[k])
        return (dist**2).mean()

    def loss(self, batch: tuple[torch.Tensor, ...]) -> float:
        return float((self._nearest(batch[0])[0] ** 2).mean())

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"nodes": self.est.nodes_.clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.est.nodes_ = state["nodes"].clone()


class ToyMap(CortexEstimator):
    """A handful of nodes pulled towards the data (k-means by mini-batches)."""

    _constraints = {
        **BASE_CONSTRAINTS,
        "n_nodes": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, 1)],
    }

    def __init__(
        self,
        n_nodes: int = 3,
        *,
        learning_rate: float = 0.3,
        batch_size: int | None = 16,
        epochs: int = 30,
        validation_fraction: float = 0.0,
        validation_split: str = "random",
        early_stopping: bool = False,
        patience: int = 3,
        random_state: Any = None,
        device: str = "cpu",
        verbose: int = 0,
        callbacks: Any = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.n_nodes = n_nodes
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        X = validate_data(self, X, reset=fitting, dtype=np.float32)
        return (torch.as_tensor(X),)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        X = parts[0]
        rows = torch.randperm(len(X), generator=generator)[: self.n_nodes]
        self.nodes_ = X[rows].clone()

    def _make_step(self) -> Step:
        return _NearestNodeStep(self)

    def predict(self, X: Any) -> np.ndarray:
        X = torch.as_tensor(validate_data(self, X, reset=False, dtype=np.float32))
        return torch.cdist(X, self.nodes_).argmin(1).numpy()

    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return self._common_state(), {"nodes": self.nodes_}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self._set_common_state(meta)
        self.nodes_ = tensors["nodes"]


def _blobs() -> np.ndarray:
    X, _ = make_blobs(300, centers=3, cluster_std=0.5, random_state=0)
    return X


def test_a_family_without_an_optimiser_trains_through_the_loop() -> None:
    X = _blobs()
    est = ToyMap(epochs=10, random_state=0).fit(X)
    assert est._loop is not None and est._loop.optimizer is None
    first, last = est.history_["loss"][0], est.history_["loss"][-1]
    assert last < first
    # three well-separated blobs: three nodes end near the three centres
    assert len(np.unique(est.predict(X))) == 3


def test_early_stopping_on_the_monitored_value_restores_the_best_state() -> None:
    X = _blobs()
    est = ToyMap(
        epochs=200, validation_fraction=0.2, early_stopping=True, patience=3, random_state=0
    ).fit(X)
    assert est.n_iter_ < 200
    assert "early stopping" in est.history_["stopped"]
    best = int(np.argmin(est.history_["val_loss"]))
    assert f"weights of epoch {best + 1}" in est.history_["stopped"]
    assert torch.equal(est.nodes_, est._loop._best_state["nodes"])  # the best epoch's nodes


def test_a_checkpoint_resumes_to_the_uninterrupted_result(tmp_path) -> None:
    X = _blobs()
    path = tmp_path / "toy.ckpt"
    whole = ToyMap(epochs=12, random_state=0).fit(X)
    ToyMap(epochs=5, random_state=0, checkpoint=str(path)).fit(X)  # "interrupted" at 5
    assert read_checkpoint(path)["epochs_done"] == 5
    resumed = ToyMap(epochs=12, random_state=0, checkpoint=str(path), resume=True).fit(X)
    assert resumed.n_iter_ == 12
    assert torch.equal(resumed.nodes_, whole.nodes_)
    assert resumed.history_["loss"][:5] == whole.history_["loss"][:5]


def test_resume_with_other_parameters_is_refused(tmp_path) -> None:
    X = _blobs()
    path = tmp_path / "toy.ckpt"
    ToyMap(epochs=2, random_state=0, checkpoint=str(path)).fit(X)
    with pytest.raises(ValueError, match="n_nodes=3"):
        ToyMap(n_nodes=4, epochs=4, random_state=0, checkpoint=str(path), resume=True).fit(X)


def test_resume_needs_a_checkpoint_path() -> None:
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        ToyMap(resume=True).fit(_blobs())


def test_a_chronological_split_holds_out_the_last_rows() -> None:
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    est = ToyMap(n_nodes=2, epochs=1, validation_fraction=0.25, validation_split="last")
    train, validation = est._validation((torch.as_tensor(X),), None, torch.Generator())
    assert torch.equal(validation[0], torch.as_tensor(X[15:]))
    assert torch.equal(train.take(torch.arange(train.n))[0], torch.as_tensor(X[:15]))


def test_the_toy_round_trips_through_a_model_file(tmp_path) -> None:
    X = _blobs()
    est = ToyMap(epochs=3, random_state=0).fit(X)
    est.save(tmp_path / "toy.cortex")
    back = load(tmp_path / "toy.cortex")
    assert type(back) is ToyMap
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert back.history_["loss"] == est.history_["loss"]


def test_a_dataset_streams_through_the_same_template() -> None:
    from torch.utils.data import TensorDataset

    class DataToy(ToyMap):
        def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
            if isinstance(X, TensorDataset):
                return X
            return super()._fit_data(X, y, fitting=fitting)

        def _build(self, parts: Any, generator: torch.Generator) -> None:
            data = parts.tensors[0] if isinstance(parts, TensorDataset) else parts[0]
            super()._build((data,), generator)

    X = torch.as_tensor(_blobs(), dtype=torch.float32)
    from_memory = DataToy(epochs=4, random_state=0).fit(X.numpy())
    streamed = DataToy(epochs=4, random_state=0).fit(TensorDataset(X))
    assert streamed.n_iter_ == 4
    # the same rows in batches of the same size: the nodes settle in the same places
    torch.testing.assert_close(
        streamed.nodes_.sort(0).values, from_memory.nodes_.sort(0).values, atol=0.3, rtol=0
    )


def test_partial_fit_after_a_dataset_fit_continues_the_model() -> None:
    from torch.utils.data import TensorDataset

    class DataToy(ToyMap):
        def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
            return X if isinstance(X, TensorDataset) else super()._fit_data(X, y, fitting=fitting)

        def _build(self, parts: Any, generator: torch.Generator) -> None:
            super()._build((parts.tensors[0],), generator)
            self.builds = getattr(self, "builds", 0) + 1

    data = TensorDataset(torch.as_tensor(_blobs(), dtype=torch.float32))
    est = DataToy(epochs=3, random_state=0).fit(data)
    nodes = est.nodes_.clone()
    est.partial_fit(data)
    assert est.builds == 1 and est.n_iter_ == 4
    assert est.history_["loss"][-1] <= est.history_["loss"][0]  # went on, not back to start
    assert not torch.equal(est.nodes_, nodes)
