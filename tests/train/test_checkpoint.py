"""Checkpoints: atomic, untrusted input, and a killed run resumes to the same weights."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from cortexkit import ANNClassifier, ANNRegressor, ModelFileError
from cortexkit.train.checkpoint import read_checkpoint, write_checkpoint

WORKER = Path(__file__).with_name("resume_worker.py")


def _run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), *args], stderr=subprocess.PIPE)


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_weights(tmp_path) -> None:
    ckpt, killed_out = tmp_path / "run.ckpt", tmp_path / "resumed.npy"
    child = _run(str(ckpt), str(killed_out))
    deadline = time.monotonic() + 120
    while not ckpt.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # a few epochs more: the kill lands mid-epoch, mid-run
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    epochs_at_kill = read_checkpoint(ckpt)["epochs_done"]
    assert 0 < epochs_at_kill < 150
    assert not killed_out.exists()

    resumed = _run(str(ckpt), str(killed_out))
    whole = _run("none", str(tmp_path / "whole.npy"))
    for proc in (resumed, whole):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    assert read_checkpoint(ckpt)["epochs_done"] == 150
    np.testing.assert_array_equal(np.load(killed_out), np.load(tmp_path / "whole.npy"))


def test_a_checkpoint_keeps_the_optimiser_and_the_history(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(64, 3))
    path = tmp_path / "reg.ckpt"
    ANNRegressor((4,), epochs=3, random_state=0, device="cpu", checkpoint=str(path)).fit(X, X[:, 0])
    state = read_checkpoint(path)
    assert state["epochs_done"] == 3 and len(state["history"]["loss"]) == 3
    moments = state["step"]["optimizer"]["state"][0]
    assert set(moments) >= {"exp_avg", "exp_avg_sq", "step"}
    assert state["extra"]["estimator"] == "ANNRegressor"


def test_checkpoints_every_n_epochs_and_at_the_end(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(32, 2))
    path = tmp_path / "every.ckpt"
    seen: list[int] = []

    def look(epoch, logs):
        if path.exists():
            seen.append(read_checkpoint(path)["epochs_done"])

    ANNRegressor(
        (3,), epochs=7, checkpoint=str(path), checkpoint_every=3, callbacks=[look],
        random_state=0, device="cpu",
    ).fit(X, X[:, 0])  # fmt: skip
    # the callback runs before the epoch's checkpoint: it sees the previous one
    assert seen == [3, 3, 3, 6]
    assert read_checkpoint(path)["epochs_done"] == 7  # the last epoch is always kept


def test_a_pickle_is_refused_not_run(tmp_path) -> None:
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"epochs_done": 1}))
    with pytest.raises(ModelFileError, match="pickle"):
        read_checkpoint(path)


def test_a_truncated_checkpoint_is_refused(tmp_path) -> None:
    path = tmp_path / "cut.ckpt"
    write_checkpoint(path, {"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ModelFileError, match="not a complete"):
        read_checkpoint(path)


def test_a_checkpoint_holding_nan_is_refused(tmp_path) -> None:
    path = tmp_path / "nan.ckpt"
    write_checkpoint(path, {"w": torch.tensor([1.0, float("nan")])})
    with pytest.raises(ModelFileError, match="NaN"):
        read_checkpoint(path)


def test_a_model_file_is_not_a_checkpoint(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(16, 2))
    model = tmp_path / "m.cortex"
    ANNRegressor((2,), epochs=1, device="cpu").fit(X, X[:, 0]).save(model)
    with pytest.raises(ModelFileError, match="its format is 'cortexkit-model'"):
        read_checkpoint(model)


def test_resuming_from_a_missing_file_starts_afresh(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(32, 2))
    path = tmp_path / "new.ckpt"
    reg = ANNRegressor((3,), epochs=2, checkpoint=str(path), resume=True, device="cpu")
    assert reg.fit(X, X[:, 0]).n_iter_ == 2
    assert path.exists()


def test_an_interrupted_checkpoint_save_leaves_the_old_one(tmp_path, monkeypatch) -> None:
    path = tmp_path / "keep.ckpt"
    write_checkpoint(path, {"epochs_done": 1})

    def broken_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        write_checkpoint(path, {"epochs_done": 2})
    monkeypatch.undo()
    assert read_checkpoint(path) == {"epochs_done": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["keep.ckpt"]


def _fit_classifier(path, X, y, epochs, resume=False):
    return ANNClassifier(
        (4,), epochs=epochs, random_state=0, device="cpu", checkpoint=str(path), resume=resume
    ).fit(X, y)


def test_resume_on_other_data_or_labels_is_refused_before_loading(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "clf.ckpt"
    _fit_classifier(path, X, y, 2)
    with pytest.raises(ValueError, match=r"other data \(rows_sha256="):
        _fit_classifier(path, X + 1, y, 4, resume=True)
    with pytest.raises(ValueError, match=r"other data \(n_samples=40"):
        _fit_classifier(path, X[:30], y[:30], 4, resume=True)
    with pytest.raises(ValueError, match=r"other data \(targets="):
        _fit_classifier(path, X, np.where(y == 1, "b", "a"), 4, resume=True)
    with pytest.raises(ValueError, match=r"other parameters \(hidden_layers=\[4\]"):
        ANNClassifier((8,), epochs=4, random_state=0, device="cpu", checkpoint=str(path),
                      resume=True).fit(X, y)  # fmt: skip
    resumed = _fit_classifier(path, X, y, 4, resume=True)
    assert resumed.history_["resumed"].endswith("after epoch 2")
    assert resumed.n_iter_ == 4


def test_resume_after_a_plateau_reduction_equals_the_uninterrupted_run(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.normal(size=64)  # noise: the loss soon plateaus
    settings = {"hidden_layers": (2,), "lr_schedule": "plateau", "learning_rate": 0.2,
                "early_stopping": False, "random_state": 0, "device": "cpu"}  # fmt: skip
    whole = ANNRegressor(epochs=40, **settings).fit(X, y)
    path = tmp_path / "plateau.ckpt"
    first = ANNRegressor(epochs=25, checkpoint=str(path), **settings).fit(X, y)
    assert min(first.history_["learning_rate"]) < 0.2  # the schedule cut the rate already
    resumed = ANNRegressor(epochs=40, checkpoint=str(path), resume=True, **settings).fit(X, y)
    assert resumed.history_["learning_rate"] == whole.history_["learning_rate"]
    assert torch.equal(resumed.network_.flat, whole.network_.flat)


def test_resume_after_early_stopping_keeps_saying_why(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(64, 3))
    path = tmp_path / "stopped.ckpt"
    settings = {"hidden_layers": (4,), "learning_rate": 1e-7, "patience": 2,
                "random_state": 0, "device": "cpu", "checkpoint": str(path)}  # fmt: skip
    first = ANNRegressor(epochs=50, **settings).fit(X, X[:, 0])
    assert "early stopping" in first.history_["stopped"] and first.n_iter_ < 50
    again = ANNRegressor(epochs=50, resume=True, **settings).fit(X, X[:, 0])
    assert again.history_["stopped"] == first.history_["stopped"]
    assert again.n_iter_ == first.n_iter_
    assert torch.equal(again.network_.flat, first.network_.flat)


def test_a_resumed_run_without_a_seed_reuses_the_checkpoints(tmp_path) -> None:
    X = np.random.default_rng(0).normal(size=(64, 3))
    path = tmp_path / "seedless.ckpt"
    settings = {"hidden_layers": (4,), "device": "cpu", "checkpoint": str(path)}
    ANNRegressor(epochs=2, **settings).fit(X, X[:, 0])  # random_state=None: a fresh seed
    seed = read_checkpoint(path)["extra"]["seed"]
    resumed = ANNRegressor(epochs=4, resume=True, **settings).fit(X, X[:, 0])
    assert resumed._fit_seed == seed  # the same validation split and order as the first run
