"""DBN, DBNClassifier and DBM: pretraining, fine-tuning, mean field, AIS, save/load."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from cortexkit import DBM, DBN, DBNClassifier, load
from cortexkit.boltzmann.inference import ais_log_partition, layer_input, mean_field


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def test_dbn_stacks_rbms_and_transforms(tmp_path, digits) -> None:
    X, _ = digits
    dbn = DBN(layers=(32, 16), epochs=3, random_state=0, device="cpu").fit(X)
    assert [r.n_hidden for r in dbn.rbms_] == [32, 16]
    assert dbn.rbms_[1].n_features_in_ == 32
    F = dbn.transform(X[:5])
    np.testing.assert_allclose(F, dbn.rbms_[1].transform(dbn.rbms_[0].transform(X[:5])))
    dbn.save(tmp_path / "dbn.cortex")
    np.testing.assert_array_equal(load(tmp_path / "dbn.cortex").transform(X), dbn.transform(X))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBN(layers=(8,), device="cpu").fit(X * 16)


def test_dbn_classifier_starts_from_the_rbm_weights(digits, monkeypatch) -> None:
    import cortexkit.boltzmann.dbn as dbn_module

    X, y = digits
    made = []
    real = dbn_module.pretrain

    def spy(*args, **kwargs):
        made.extend(real(*args, **kwargs))
        return made

    monkeypatch.setattr(dbn_module, "pretrain", spy)
    clf = DBNClassifier(layers=(32, 16), pretrain_epochs=2, epochs=1, learning_rate=1e-9,
                        random_state=0, device="cpu").fit(X, y)  # fmt: skip
    assert [r.n_hidden for r in made] == [32, 16] and len(clf.pretrain_history_) == 2
    # one negligible fine-tuning epoch later, the hidden layers are still the RBMs'
    for (W, b), rbm in zip(clf.network_.layers(), made, strict=False):
        torch.testing.assert_close(W.detach(), rbm.weights_.T, atol=1e-6, rtol=0)
        torch.testing.assert_close(b.detach(), rbm.hidden_bias_, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBNClassifier(layers=(8,), device="cpu").fit(X * 16, y)


def test_dbn_classifier_learns_digits(digits) -> None:
    X, y = digits
    clf = DBNClassifier(layers=(64,), pretrain_epochs=5, epochs=30, random_state=0,
                        device="cpu").fit(X[:1200], y[:1200])  # fmt: skip
    assert clf.score(X[1200:], y[1200:]) > 0.85  # ten classes: chance is 0.1


@pytest.fixture(scope="module")
def dbm(digits) -> DBM:
    X, _ = digits
    return DBM(layers=(32, 16), pretrain_epochs=3, epochs=3, batch_size=20,
               pretrain_learning_rate=0.1, learning_rate=0.01, random_state=0,
               device="cpu").fit(X)  # fmt: skip


def test_dbm_mean_field_reaches_a_fixed_point(dbm, digits) -> None:
    X, _ = digits
    v = torch.as_tensor(X[:50], dtype=torch.float32)
    mu, steps = mean_field(v, dbm.weights_, dbm.biases_, steps=500, tol=1e-6)
    assert steps < 500
    # one more update (every layer in turn) moves no unit by more than the tolerance
    states = [v, *mu]
    for layer in range(1, len(states)):
        new = torch.sigmoid(layer_input(states, dbm.weights_, dbm.biases_, layer))
        assert float((new - states[layer]).abs().max()) < 1e-5
        states[layer] = new


def test_dbm_records_its_objective_and_transforms(dbm, digits, tmp_path) -> None:
    X, _ = digits
    assert len(dbm.history_["loss"]) == 3 and all(np.isfinite(dbm.history_["loss"]))
    assert len(dbm.pretrain_history_) == 2
    F = dbm.transform(X[:7])
    assert F.shape == (7, 16) and ((F >= 0) & (F <= 1)).all()
    assert dbm.sample(3, steps=5, random_state=0).shape == (3, 64)
    dbm.save(tmp_path / "dbm.cortex")
    back = load(tmp_path / "dbm.cortex")
    np.testing.assert_array_equal(back.transform(X), dbm.transform(X))


def test_dbm_pretraining_doubles_the_inputs(digits) -> None:
    from cortexkit.boltzmann.dbm import pretrain_dbm

    X = torch.as_tensor(digits[0][:200], dtype=torch.float32)
    seen = []
    import cortexkit.boltzmann.rbm as rbm_module

    original = rbm_module.CDStep.__init__

    def spy(self, rbm, chains):
        seen.append((rbm._up, rbm._down))
        original(self, rbm, chains)

    rbm_module.CDStep.__init__ = spy  # type: ignore[method-assign]
    try:
        pretrain_dbm(X, [8, 6, 4], epochs=1, learning_rate=0.1, batch_size=50, seed=0,
                     device=torch.device("cpu"))  # fmt: skip
    finally:
        rbm_module.CDStep.__init__ = original  # type: ignore[method-assign]
    # bottom: bottom-up doubled; middle: both; top: top-down doubled
    assert seen == [(2.0, 1.0), (2.0, 2.0), (1.0, 2.0)]


def _exact_log_z(weights, biases) -> float:
    sizes = [len(b) for b in biases]
    total = []
    for states in itertools.product(
        *[list(itertools.product([0.0, 1.0], repeat=n)) for n in sizes]
    ):
        s = [torch.tensor(x, dtype=torch.float64) for x in states]
        e = sum(float(si @ bi.double()) for si, bi in zip(s, biases, strict=True))
        e += sum(float(s[i] @ weights[i].double() @ s[i + 1]) for i in range(len(weights)))
        total.append(e)
    return float(torch.logsumexp(torch.tensor(total), 0))


def test_ais_matches_the_exact_partition_function_of_a_tiny_dbm() -> None:
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(4, 3, generator=g), torch.randn(3, 2, generator=g)]
    biases = [0.5 * torch.randn(n, generator=g) for n in (4, 3, 2)]
    exact = _exact_log_z(weights, biases)
    estimate, err = ais_log_partition(weights, biases, n_runs=200, n_betas=300,
                                      generator=torch.Generator().manual_seed(1))  # fmt: skip
    assert abs(estimate - exact) < 0.05, (estimate, exact, err)
    assert math.isfinite(err)


def test_dbm_bad_input(digits) -> None:
    X, _ = digits
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBM(layers=(8, 4), device="cpu").fit(X * 16)
    with pytest.raises(ValueError, match="at least two hidden layers"):
        DBM(layers=(8,), device="cpu").fit(X)
    with pytest.raises(ValueError, match="layers must be a positive int"):
        DBM(layers=(8, 0), device="cpu").fit(X)
