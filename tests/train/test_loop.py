"""The learning loop: gradient-descent modes, stopping rules, schedules, the NaN policy."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from cortexkit import ANNClassifier, ANNRegressor, DivergenceError
from cortexkit.exceptions import DivergenceWarning
from cortexkit.io.device import resolve_device
from cortexkit.train import AutogradObjective, Callback, LoopConfig, OptimConfig
from cortexkit.train import EpochLoop as Trainer
from cortexkit.train.config import resolve_batch_size


class CountingSGD(torch.optim.SGD):
    """Plain SGD that counts its steps (a callable optimizer factory)."""

    steps = 0

    def step(self, closure=None):  # type: ignore[override]
        type(self).steps += 1
        return super().step(closure)


@pytest.fixture
def counting_sgd():
    CountingSGD.steps = 0
    return CountingSGD


class ScriptedObjective:
    """One weight ``w``; epoch k (one batch) reports ``losses[k]`` and the gradient ``grad``.

    With ``batch_size=None`` there is one step per epoch, so the losses script the loop.
    """

    def __init__(self, losses: list[float], grad: float = 1.0) -> None:
        self.module = nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            self.module.weight.fill_(0.0)
        self.losses = list(losses)
        self.grad = grad
        self.calls = 0

    @property
    def w(self) -> float:
        return float(self.module.weight.detach())

    def parameters(self):
        return self.module.parameters()

    def compute_gradients(self, xb, yb):
        self.module.weight.grad = torch.full_like(self.module.weight, self.grad)
        loss = self.losses[min(self.calls, len(self.losses) - 1)]
        self.calls += 1
        return torch.tensor(loss)

    def loss(self, X, y):
        return self.losses[min(self.calls - 1, len(self.losses) - 1)]

    def state_dict(self):
        return self.module.state_dict()

    def load_state_dict(self, state):
        return self.module.load_state_dict(state)


class WeightRecorder(Callback):
    """Keeps the weight at the end of every epoch, and counts the hooks."""

    def __init__(self, objective: ScriptedObjective) -> None:
        self.objective = objective
        self.weights: list[float] = []
        self.begun = self.ended = 0

    def on_train_begin(self, trainer):
        self.begun += 1

    def on_epoch_end(self, epoch, logs):
        self.weights.append(self.objective.w)

    def on_train_end(self, trainer):
        self.ended += 1


def _data(n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(n, 1), torch.zeros(n, 1)


_OPTIM = {"lr_schedule", "lr_patience", "lr_factor", "clip_grad_norm", "optimizer", "momentum"}


def _config(optim: dict | None = None, **kwargs) -> LoopConfig:
    """A LoopConfig, its optimiser settings taken out of ``kwargs``."""
    optim = {**(optim or {}), **{k: kwargs.pop(k) for k in list(kwargs) if k in _OPTIM}}
    return LoopConfig(optim=OptimConfig(**optim), **kwargs)


def _sgd(lr: float = 0.1, **kwargs) -> LoopConfig:
    return _config(
        {"optimizer": "sgd", "learning_rate": lr, "momentum": 0.0}, batch_size=None, **kwargs
    )


def _trainer(objective, config: LoopConfig) -> Trainer:
    return Trainer(objective, config, generator=torch.Generator().manual_seed(0))


# -- gradient-descent modes ---------------------------------------------------------------


@pytest.mark.parametrize(("batch_size", "steps"), [(1, 10), (None, 1), (3, 4), (5, 2), (10, 1)])
def test_steps_per_epoch_follow_the_batch_size(counting_sgd, batch_size, steps) -> None:
    model = nn.Linear(2, 1)
    config = _config(batch_size=batch_size, epochs=3, optimizer=counting_sgd)
    trainer = _trainer(AutogradObjective(model, nn.functional.mse_loss), config)
    trainer.run(torch.randn(10, 2), torch.randn(10, 1))
    assert counting_sgd.steps == 3 * steps == 3 * math.ceil(10 / (batch_size or 10))
    assert trainer.epochs_done == 3


@pytest.mark.parametrize(
    ("alias", "batch_size", "steps_per_epoch"),
    [("stochastic", 32, 12), ("batch", 4, 1), ("mini-batch", 5, 3), (None, 5, 3)],
)
def test_gradient_descent_alias_sets_the_steps(
    counting_sgd, alias, batch_size, steps_per_epoch
) -> None:
    X = np.random.default_rng(0).normal(size=(12, 3))
    y = X[:, 0] - X[:, 1]
    ANNRegressor(
        (4,),
        gradient_descent=alias,
        batch_size=batch_size,
        optimizer=counting_sgd,
        epochs=2,
        validation_fraction=0.0,  # every row trains
        device="cpu",
    ).fit(X, y)
    assert counting_sgd.steps == 2 * steps_per_epoch


def test_resolve_batch_size() -> None:
    assert resolve_batch_size(32, "stochastic") == 1
    assert resolve_batch_size(32, "batch") is None
    assert resolve_batch_size(32, "mini-batch") == 32
    assert resolve_batch_size(7, None) == 7
    for bad in (None, 1):
        with pytest.raises(ValueError, match=r"mini-batch.*batch_size >= 2"):
            resolve_batch_size(bad, "mini-batch")
    with pytest.raises(ValueError, match="gradient_descent must be one of") as info:
        resolve_batch_size(32, "minibatch")
    assert "'stochastic', 'batch', 'mini-batch'" in str(info.value)


def test_mini_batch_alias_without_batch_size_fails_before_training() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ANNRegressor(gradient_descent="mini-batch", batch_size=None).fit(np.eye(3), [1, 2, 3])


def test_shuffling_changes_the_batches_but_not_their_count(counting_sgd) -> None:
    seen: list[torch.Tensor] = []

    def loss(out, y):
        seen.append(y.detach().clone())
        return nn.functional.mse_loss(out, y)

    X, y = torch.zeros(6, 1), torch.arange(6.0).reshape(-1, 1)
    trainer = _trainer(AutogradObjective(nn.Linear(1, 1), loss), LoopConfig(batch_size=2, epochs=2))
    trainer.run(X, y)
    assert len(seen) == 6
    assert sorted(torch.cat(seen[:3]).ravel().tolist()) == list(range(6))
    assert not torch.equal(torch.cat(seen[:3]), y)  # shuffled (seed 0)


# -- stopping, restoring, schedules ----------------------------------------------------------


def test_early_stopping_restores_the_best_weights() -> None:
    objective = ScriptedObjective([5.0, 3.0, 1.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0])
    recorder = WeightRecorder(objective)
    config = _sgd(epochs=20, early_stopping=True, patience=3, callbacks=[recorder])
    history = _trainer(objective, config).run(*_data())
    assert len(history["loss"]) == 6  # best at epoch 3, then 3 epochs without improvement
    assert "early stopping at epoch 6" in history["stopped"]
    assert "epoch 3" in history["stopped"]
    assert objective.w == pytest.approx(recorder.weights[2])  # the weights after epoch 3
    assert objective.w != pytest.approx(recorder.weights[-1])


def test_without_early_stopping_all_epochs_run() -> None:
    objective = ScriptedObjective([5.0, 3.0, 1.0, 2.0, 4.0])
    history = _trainer(objective, _sgd(epochs=8, patience=1)).run(*_data())
    assert len(history["loss"]) == 8 and "stopped" not in history
    assert objective.w == pytest.approx(-0.8)  # 8 steps of lr * grad


def test_early_stopping_tolerance() -> None:
    # improvements smaller than tol do not count
    objective = ScriptedObjective([1.0, 0.99, 0.98, 0.97, 0.96])
    config = _sgd(epochs=10, early_stopping=True, patience=2, tol=0.05)
    history = _trainer(objective, config).run(*_data())
    assert len(history["loss"]) == 3


def test_plateau_schedule_lowers_the_learning_rate() -> None:
    objective = ScriptedObjective([1.0])  # never improves
    config = _sgd(lr=0.4, epochs=8, lr_schedule="plateau", lr_patience=2, lr_factor=0.5)
    history = _trainer(objective, config).run(*_data())
    lrs = history["learning_rate"]
    assert lrs[0] == pytest.approx(0.4)
    assert lrs[-1] < lrs[0]
    assert set(np.round(lrs, 6)) <= {0.4, 0.2, 0.1, 0.05}
    # each epoch's step used the rate logged for it
    assert objective.w == pytest.approx(-sum(lrs))


def test_plateau_schedule_keeps_the_rate_while_improving() -> None:
    objective = ScriptedObjective([10.0 - k for k in range(8)])
    config = _sgd(lr=0.4, epochs=8, lr_schedule="plateau", lr_patience=1)
    history = _trainer(objective, config).run(*_data())
    assert history["learning_rate"] == pytest.approx([0.4] * 8)


@pytest.mark.parametrize(("clip", "moved"), [(None, 100.0), (1.0, 1.0), (10.0, 10.0)])
def test_gradient_clipping_bounds_the_step(clip, moved) -> None:
    objective = ScriptedObjective([1.0], grad=100.0)
    _trainer(objective, _sgd(lr=1.0, epochs=1, clip_grad_norm=clip)).run(*_data())
    assert objective.w == pytest.approx(-moved)


def test_callback_can_stop_training() -> None:
    class StopAtTwo(Callback):
        def on_epoch_end(self, epoch, logs):
            return epoch == 2

    objective = ScriptedObjective([3.0, 2.0, 1.0])
    recorder = WeightRecorder(objective)
    history = _trainer(objective, _sgd(epochs=10, callbacks=[recorder, StopAtTwo()])).run(*_data())
    assert len(history["loss"]) == 2
    assert "callback stopped training at epoch 2" in history["stopped"]
    assert recorder.begun == recorder.ended == 1 and len(recorder.weights) == 2


def test_plain_function_callback_sees_the_logs_and_can_stop() -> None:
    seen = []

    def stop_below(epoch, logs):
        seen.append((epoch, logs["loss"], set(logs)))
        return logs["loss"] < 2.5

    objective = ScriptedObjective([4.0, 3.0, 2.0, 1.0])
    history = _trainer(objective, _sgd(epochs=10, callbacks=[stop_below])).run(*_data())
    assert [(e, loss) for e, loss, _ in seen] == [(1, 4.0), (2, 3.0), (3, 2.0)]
    assert {"loss", "learning_rate", "time"} <= seen[0][2]
    assert len(history["loss"]) == 3


def test_non_callable_callback_is_refused() -> None:
    with pytest.raises(TypeError, match="callbacks"):
        _trainer(ScriptedObjective([1.0]), _sgd(callbacks=[42])).run(*_data())


def test_run_continues_where_it_stopped() -> None:
    objective = ScriptedObjective([3.0, 2.0, 1.0])
    trainer = _trainer(objective, _sgd(epochs=2))
    trainer.run(*_data())
    history = trainer.run(*_data(), epochs=3)
    assert trainer.epochs_done == 5 and len(history["loss"]) == 5


def test_validation_loss_and_metric_are_logged() -> None:
    model = nn.Linear(2, 1)
    trainer = Trainer(
        AutogradObjective(model, nn.functional.mse_loss),
        LoopConfig(epochs=3, batch_size=4),
        generator=torch.Generator().manual_seed(0),
        metric=lambda X, y: {"mystery": 0.5},
    )
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    history = trainer.run(X, y, validation=(X, y))
    assert len(history["val_loss"]) == 3 and history["val_mystery"] == [0.5] * 3
    # after the last step, val_loss is the loss of the final weights on that set
    with torch.no_grad():
        final = float(nn.functional.mse_loss(model(X), y))
    assert history["val_loss"][-1] == pytest.approx(final, rel=1e-6)


def test_verbose_two_prints_a_line_per_epoch(capsys) -> None:
    _trainer(ScriptedObjective([2.0, 1.0]), _sgd(epochs=2, verbose=2)).run(*_data())
    err = capsys.readouterr().err
    assert "epoch 1: loss=2" in err and "epoch 2: loss=1" in err


# -- the non-finite loss policy --------------------------------------------------------------


def test_nan_after_the_first_epoch_keeps_the_best_weights() -> None:
    objective = ScriptedObjective([3.0, 1.0, 2.0, float("nan")])
    recorder = WeightRecorder(objective)
    with pytest.warns(DivergenceWarning, match="kept the weights of epoch 2"):
        history = _trainer(objective, _sgd(epochs=10, callbacks=[recorder])).run(*_data())
    assert len(history["loss"]) == 3
    assert "non-finite loss (nan) in epoch 4" in history["stopped"]
    assert objective.w == pytest.approx(recorder.weights[1])


def test_nan_in_the_first_epoch_raises() -> None:
    objective = ScriptedObjective([float("inf")])
    with pytest.raises(DivergenceError, match=r"before any epoch completed.*learning_rate"):
        _trainer(objective, _sgd(epochs=3)).run(*_data())


def test_a_diverging_estimator_raises_in_the_first_epoch() -> None:
    X = np.random.default_rng(0).normal(size=(64, 4))
    y = X @ np.arange(1.0, 5.0)
    reg = ANNRegressor(
        (8,), optimizer="sgd", learning_rate=1e12, batch_size=4, epochs=3, device="cpu"
    )
    with pytest.raises(DivergenceError, match="learning_rate"):
        reg.fit(X, y)


def test_estimator_loss_turning_nan_keeps_the_best_epoch() -> None:
    calls = {"n": 0}

    def mse_then_nan(out, y):
        calls["n"] += torch.is_grad_enabled()  # count training steps, not evaluations
        loss = nn.functional.mse_loss(out, y)
        return loss * float("nan") if calls["n"] > 7 else loss

    X = np.random.default_rng(0).normal(size=(30, 3))
    y = X.sum(axis=1)
    weights = []
    # two batches an epoch: epoch 4 takes one step, then its second batch is NaN
    reg = ANNRegressor(
        (4,), loss=mse_then_nan, batch_size=15, epochs=10, learning_rate=0.05, device="cpu",
        validation_fraction=0.0, random_state=0,  # monitor the training loss, as asserted
    )  # fmt: skip
    reg.set_params(
        callbacks=[lambda epoch, logs: weights.append(reg.network_.flat.detach().clone())]
    )
    with pytest.warns(DivergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ == 3 and len(reg.history_["loss"]) == 3
    assert "non-finite" in reg.history_["stopped"]
    best = int(np.argmin(reg.history_["loss"]))
    torch.testing.assert_close(reg.network_.flat.detach(), weights[best])
    assert np.isfinite(reg.predict(X)).all()


# -- seeds ---------------------------------------------------------------------------------


def _fit_weights(seed: int) -> torch.Tensor:
    X, y = np.random.default_rng(1).normal(size=(40, 3)), np.arange(40) % 2
    clf = ANNClassifier((6,), epochs=3, batch_size=8, random_state=seed, device="cpu")
    return clf.fit(X, y).network_.flat.detach().clone()


def test_same_seed_same_weights_different_seed_different() -> None:
    assert torch.equal(_fit_weights(0), _fit_weights(0))
    assert not torch.equal(_fit_weights(0), _fit_weights(1))


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")


def test_no_warning_on_a_healthy_run() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _trainer(ScriptedObjective([3.0, 2.0]), _sgd(epochs=2)).run(*_data())


# -- review fixes: deferred loss reads, partial_fit, callbacks, aligned history ------------


def test_deferred_loss_reads_give_the_same_epoch_loss() -> None:
    X, y = torch.randn(40, 3, generator=torch.Generator().manual_seed(1)), torch.randn(40, 1)
    losses = []
    for every in (1, 3):
        torch.manual_seed(0)
        objective = AutogradObjective(nn.Linear(3, 1), nn.functional.mse_loss)
        config = LoopConfig(batch_size=4, epochs=3, check_every=every)
        losses.append(_trainer(objective, config).run(X, y)["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_deferred_loss_reads_still_catch_a_nan() -> None:
    objective = ScriptedObjective([1.0, 0.5, math.nan])
    trainer = _trainer(objective, _sgd(epochs=5, check_every=4))
    with pytest.warns(DivergenceWarning):
        trainer.run(*_data())
    assert trainer.epochs_done == 2
    assert "non-finite" in trainer.history["stopped"]


def test_early_stopping_keeps_the_best_weights_when_every_epoch_ran() -> None:
    objective = ScriptedObjective([3.0, 1.0, 2.0, 2.5])  # best after epoch 2, patience 10
    trainer = _trainer(objective, _sgd(epochs=4, early_stopping=True, patience=10))
    trainer.run(*_data())
    assert trainer.epochs_done == 4
    assert objective.w == pytest.approx(-0.2)  # two steps of -0.1: the weights of epoch 2


def test_run_without_early_stopping_never_rolls_back() -> None:
    objective = ScriptedObjective([1.0, 2.0, 3.0, 4.0])
    trainer = _trainer(objective, _sgd(epochs=4, early_stopping=True, patience=1))
    trainer.run(*_data(), early_stopping=False)
    assert trainer.epochs_done == 4
    assert objective.w == pytest.approx(-0.4)


def test_partial_fit_with_early_stopping_keeps_training(breast_cancer) -> None:
    X, y = breast_cancer
    # so slow that the loss never improves by the tolerance: patience runs out at once
    clf = ANNClassifier((8,), early_stopping=True, patience=1, learning_rate=1e-7, random_state=0)
    weights = []
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1])
        weights.append(clf.network_.flat.detach().clone())
    assert not any(torch.equal(a, b) for a, b in itertools.pairwise(weights))
    assert clf.n_iter_ == 4


def test_every_callback_sees_the_epoch_a_callback_stops_on() -> None:
    seen: list[int] = []
    objective = ScriptedObjective([1.0, 0.9, 0.8])
    config = _sgd(epochs=3, callbacks=[lambda e, logs: True, lambda e, logs: seen.append(e)])
    trainer = _trainer(objective, config)
    trainer.run(*_data())
    assert seen == [1]
    assert "callback" in trainer.history["stopped"]


def test_history_columns_stay_as_long_as_the_epochs(iris) -> None:
    X, y = iris
    clf = ANNClassifier((8,), epochs=3, validation_fraction=0.2, random_state=0).fit(X, y)
    clf.partial_fit(X, y)
    columns = {k: v for k, v in clf.history_.items() if isinstance(v, list)}
    assert {len(v) for v in columns.values()} == {4}
    assert math.isnan(columns["val_loss"][-1]) and not math.isnan(columns["val_loss"][0])
    assert not math.isnan(columns["accuracy"][-1])  # partial_fit measures it too
