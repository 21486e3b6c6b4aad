"""The estimator contract in base.py and model.py, and the layers under it: the step's
lifecycle, the history the base owns, the parameters frozen at fit, class labels, weight
decay's one meaning, and the model-file version rule."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from sklearn.datasets import load_iris
from torch import nn

from cortexkit import ANNClassifier, ModelFileError, load
from cortexkit.ann.network import DenseNetwork
from cortexkit.io.envelope import digest
from cortexkit.model import CortexModel
from cortexkit.model_file import FORMAT_VERSION
from cortexkit.train import (
    AutogradObjective,
    EpochLoop,
    GradientStep,
    LoopConfig,
    OptimConfig,
    Run,
    Step,
)


class _RecordingStep(Step):
    """Moves one number towards each batch's mean; keeps the runs it was told about."""

    def __init__(self) -> None:
        self.w = torch.zeros(1)
        self.runs: list[Run] = []

    def begin(self, run: Run) -> None:
        self.runs.append(run)

    def __call__(self, batch):
        self.w += 0.5 * (batch[0].mean() - self.w)
        return ((batch[0] - self.w) ** 2).mean()

    def loss(self, batch) -> float:
        return float(((batch[0] - self.w) ** 2).mean())

    def state_dict(self):
        return {"w": self.w.clone()}

    def load_state_dict(self, state):
        self.w = state["w"].clone()


def test_the_loop_tells_the_step_how_long_the_run_is() -> None:
    step = _RecordingStep()
    config = LoopConfig(batch_size=4, epochs=3, settings={"sigma": 2.0})
    loop = EpochLoop(step, config, generator=torch.Generator().manual_seed(0))
    loop.run(torch.arange(10.0).reshape(-1, 1))
    loop.run(torch.arange(10.0).reshape(-1, 1), epochs=1)  # a later call: told again
    first, second = step.runs
    assert (first.epochs, first.epochs_done, first.n_train) == (3, 0, 10)
    assert (first.batch_size, first.steps_per_epoch, first.total_steps) == (4, 3, 9)
    assert first.settings["sigma"] == 2.0 and first.batches is not None
    assert second.epochs_done == 3


def test_a_per_batch_schedule_spans_the_run_begin_announces() -> None:
    objective = AutogradObjective(nn.Linear(2, 1), nn.functional.mse_loss)
    config = LoopConfig(
        batch_size=5, epochs=4, optim=OptimConfig(optimizer="sgd", lr_schedule="cosine")
    )
    loop = EpochLoop(objective, config, generator=torch.Generator().manual_seed(0))
    loop.run(torch.randn(20, 2), torch.randn(20, 1))
    assert loop.step.scheduler.T_max == 16  # 4 epochs x 4 batches
    assert loop.history["learning_rate"][-1] < 1e-4  # annealed to ~0 at the run's end


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_weight_decay_shrinks_weights_and_never_biases(optimizer: str) -> None:
    def no_loss(out, y):
        return (out * 0).sum()

    for module in (nn.Linear(3, 2), DenseNetwork([3, 2], [])):
        with torch.no_grad():
            for p in module.parameters():
                p.fill_(1.0)
        optim = OptimConfig(optimizer=optimizer, learning_rate=1.0, weight_decay=0.1, momentum=0)
        step = GradientStep(AutogradObjective(module, no_loss), optim)
        step((torch.ones(4, 3), torch.ones(4, 2)))
        if isinstance(module, nn.Linear):
            weights, biases = module.weight, module.bias
        else:
            weights, biases = module.layers()[0]
        assert torch.allclose(weights, torch.full_like(weights, 0.9))
        assert torch.equal(biases, torch.ones_like(biases))


def test_the_base_owns_the_loss_curve_and_the_best_loss() -> None:
    X, y = load_iris(return_X_y=True)
    clf = ANNClassifier((8,), epochs=6, validation_fraction=0.2, random_state=0).fit(X, y)
    assert clf.loss_curve_ == clf.history_["loss"] and len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ == min(clf.history_["val_loss"])
    again = ANNClassifier((8,), epochs=6, validation_fraction=0.0, random_state=0).fit(X, y)
    assert again.best_loss_ == min(again.loss_curve_)


def test_set_params_after_fit_changes_nothing_until_the_next_fit(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    clf = ANNClassifier((8,), epochs=3, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(hidden_layers=(3, 3), epochs=1)
    assert clf.fitted_params_["hidden_layers"] == (8,)
    clf.save(tmp_path / "m.cortex")
    loaded = load(tmp_path / "m.cortex")
    assert loaded.hidden_layers == (8,)  # a tuple again, as it was given
    np.testing.assert_allclose(loaded.predict_proba(X), before, rtol=1e-6)
    clf.fit(X, y)  # the next fit takes the new parameters
    assert tuple(clf.fitted_params_["hidden_layers"]) == (3, 3)


def test_class_labels_encode_decode_and_refuse_unknown_ones() -> None:
    model = CortexModel()
    codes = model._encode_classes(["cat", "dog", "cat"])
    assert codes.tolist() == [0, 1, 0]
    assert model._decode_classes([1, 0]).tolist() == ["dog", "cat"]
    assert model._encode_classes([2, 2], classes=[1, 2, 3]).tolist() == [1, 1]
    with pytest.raises(ValueError, match="not among the classes"):
        model._encode_classes([4], classes=[1, 2, 3])
    state = model._common_state()
    restored = CortexModel()
    restored._set_common_state(json.loads(json.dumps(state)))
    assert restored.classes_.tolist() == [1, 2, 3] and restored.classes_.dtype == int


def _with_version(path, version) -> None:
    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    info = json.loads(header["__metadata__"]["cortexkit"])
    info["format_version"] = version
    document = json.dumps(info, sort_keys=True)
    tensors = st_load(data)
    metadata = {"cortexkit": document, "sha256": digest(document, tensors)}
    path.write_bytes(st_save(tensors, metadata=metadata))


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (FORMAT_VERSION - 1, "older cortexkit"),
        (FORMAT_VERSION + 1, "upgrade cortexkit"),
        ("2", "not a whole number"),
        (0, "not a whole number"),
        (-1, "not a whole number"),
        (True, "not a whole number"),
        (None, "not a whole number"),
    ],
)
def test_a_model_file_of_another_format_version_is_refused(tmp_path, version, says) -> None:
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "m.cortex"
    ANNClassifier((4,), epochs=1, random_state=0).fit(X, y).save(path)
    _with_version(path, version)
    with pytest.raises(ModelFileError, match=says):
        load(path)


def test_best_loss_is_nan_when_no_epoch_has_a_finite_loss() -> None:
    from cortexkit.model import set_curves

    class Bare:
        history_ = {"loss": [math.nan]}

    bare = Bare()
    set_curves(bare)
    assert math.isnan(bare.best_loss_)


def test_resuming_a_sized_schedule_with_other_epochs_is_refused(tmp_path) -> None:
    from cortexkit import ANNRegressor

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.normal(size=64)
    ck = tmp_path / "run.ckpt"
    ANNRegressor((4,), epochs=2, lr_schedule="cosine", checkpoint=ck, random_state=0).fit(X, y)
    longer = ANNRegressor((4,), epochs=4, lr_schedule="cosine", checkpoint=ck, resume=True,
                          random_state=0)  # fmt: skip
    with pytest.raises(ValueError, match=r"other parameters .*epochs=2"):
        longer.fit(X, y)
    # without a schedule sized by the epochs, a resume may run longer
    ANNRegressor((4,), epochs=2, checkpoint=ck, random_state=0).fit(X, y)
    ANNRegressor((4,), epochs=4, checkpoint=ck, resume=True, random_state=0).fit(X, y)


def test_set_params_device_after_fit_changes_nothing(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    clf = ANNClassifier((4,), epochs=2, device="cpu", random_state=0).fit(X, y)
    before = clf.predict(X)
    clf.set_params(device="meta", random_state=5)
    np.testing.assert_array_equal(clf.predict(X), before)


def test_date_labels_save_and_load(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    dates = np.array(["2020-01-01", "2021-01-01", "2022-01-01"], dtype="datetime64[D]")[y]
    clf = ANNClassifier((4,), epochs=2, random_state=0).fit(X, dates)
    clf.save(tmp_path / "m.cortex")
    loaded = load(tmp_path / "m.cortex")
    assert loaded.classes_.dtype == dates.dtype
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_weight_decay_folded_into_the_dense_backward_matches_the_step_s(optimizer) -> None:
    X, y = load_iris(return_X_y=True)
    kw = dict(epochs=3, optimizer=optimizer, weight_decay=0.05, random_state=0,
              validation_fraction=0.0)  # fmt: skip
    folded = ANNClassifier((8,), **kw).fit(X, y)
    # a clipping bound never reached keeps the step's own WeightDecay (no folding)
    stepped = ANNClassifier((8,), clip_grad_norm=1e30, **kw).fit(X, y)
    assert folded._loop.step._decay is None and stepped._loop.step._decay is not None
    torch.testing.assert_close(folded.network_.flat, stepped.network_.flat, rtol=1e-5, atol=1e-6)
    plain = ANNClassifier((8,), **{**kw, "weight_decay": 0.0}).fit(X, y)
    assert not torch.allclose(folded.network_.flat, plain.network_.flat)
