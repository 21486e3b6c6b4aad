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


def _dbn(**kw):
    return DBN(**{"hidden_layers": (32, 16), "epochs": 3, "random_state": 0, "device": "cpu",
                  **kw})  # fmt: skip


def test_dbn_trains_layer_by_layer_and_transforms(tmp_path, digits) -> None:
    X, _ = digits
    dbn = _dbn().fit(X)
    assert [tuple(w.shape) for w in dbn.weights_] == [(64, 32), (32, 16)]
    assert dbn.history_["layer"] == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0] and dbn.n_iter_ == 6
    assert len(dbn.history_["reconstruction_error"]) == 6
    F = dbn.transform(X[:5])
    h1 = torch.sigmoid(torch.as_tensor(X[:5], dtype=torch.float32) @ dbn.weights_[0]
                       + dbn.hidden_biases_[0])  # fmt: skip
    np.testing.assert_allclose(F, torch.sigmoid(h1 @ dbn.weights_[1] + dbn.hidden_biases_[1]),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    dbn.save(tmp_path / "dbn.cortex")
    np.testing.assert_array_equal(load(tmp_path / "dbn.cortex").transform(X), dbn.transform(X))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBN(hidden_layers=(8,), device="cpu").fit(X * 16)


def test_dbn_layers_above_the_first_train_on_the_hidden_probabilities_below(digits) -> None:
    """The second layer's turn leaves the first as it was, and its loss is its free energy
    of the first layer's hidden probabilities."""
    from cortexkit.boltzmann.units import free_energy, hidden_mean

    X, _ = digits
    kept = {}

    def keep(epoch, logs):
        kept[epoch] = two.weights_[0].clone()

    two = _dbn(hidden_layers=(32, 16), epochs=2, persistent=False, callbacks=[keep])
    two.fit(X)
    torch.testing.assert_close(two.weights_[0], kept[2])  # as the first layer's turn left it
    assert not torch.equal(kept[1], kept[2])
    V = torch.as_tensor(X, dtype=torch.float32)
    H = hidden_mean(V, two.weights_[0], two.hidden_biases_[0])
    W, b, c = two.weights_[1], two.visible_biases_[1], two.hidden_biases_[1]
    expected = float(free_energy(H, W, b, c).mean())
    assert two._layerwise.loss((V, torch.arange(len(V)))) == pytest.approx(expected, rel=1e-5)


def test_dbn_takes_a_random_state_object_like_every_estimator(digits) -> None:
    X, _ = digits
    a = _dbn(random_state=np.random.RandomState(0)).fit(X)
    b = _dbn(random_state=np.random.RandomState(0)).fit(X)
    np.testing.assert_array_equal(a.transform(X[:5]), b.transform(X[:5]))


def test_dbn_partial_fit_walks_the_layers(digits) -> None:
    X, _ = digits
    dbn = _dbn(epochs=2)
    for _ in range(5):
        dbn.partial_fit(X)
    assert dbn.n_iter_ == 5 and dbn.history_["layer"] == [1.0, 1.0, 2.0, 2.0, 2.0]


def test_dbn_early_stopping_ends_each_layers_turn(digits) -> None:
    X, _ = digits
    dbn = _dbn(epochs=30, early_stopping=True, patience=2, validation_fraction=0.2,
               learning_rate=0.5).fit(X)  # fmt: skip
    layers = dbn.history_["layer"]
    assert layers[0] == 1.0 and layers[-1] == 2.0 and len(layers) < 60
    assert "val_loss" in dbn.history_ and "val_reconstruction_error" in dbn.history_


def test_dbn_resumes_from_a_checkpoint(tmp_path, digits) -> None:
    X, _ = digits
    path = tmp_path / "dbn.ckpt"
    whole = _dbn(epochs=2).fit(X)

    def kill(epoch, logs):
        if epoch == 3:  # in the second layer's turn
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _dbn(epochs=2, checkpoint=str(path), callbacks=[kill]).fit(X)
    resumed = _dbn(epochs=2, checkpoint=str(path), resume=True).fit(X)
    assert resumed.n_iter_ == 4 and resumed.history_["layer"] == [1.0, 1.0, 2.0, 2.0]
    np.testing.assert_allclose(resumed.transform(X), whole.transform(X), rtol=1e-5, atol=1e-6)


def test_dbn_classifier_starts_from_the_pretrained_dbn(digits, monkeypatch) -> None:
    import cortexkit.boltzmann.dbn_classifier as module

    X, y = digits
    made = []
    real = module.DBN

    class Spy(real):  # type: ignore[misc, valid-type]
        def fit(self, *args, **kwargs):
            made.append(self)
            return super().fit(*args, **kwargs)

    monkeypatch.setattr(module, "DBN", Spy)
    clf = DBNClassifier(hidden_layers=(32, 16), pretrain_epochs=2, epochs=1, learning_rate=1e-9,
                        random_state=0, device="cpu").fit(X, y)  # fmt: skip
    (dbn,) = made
    assert [tuple(w.shape) for w in dbn.weights_] == [(64, 32), (32, 16)]
    assert clf.pretrain_history_["layer"] == [1.0, 1.0, 2.0, 2.0]
    # one negligible fine-tuning epoch later, the hidden layers are still the RBMs'
    for (W, b), W_rbm, c_rbm in zip(
        clf.network_.layers(), dbn.weights_, dbn.hidden_biases_, strict=False
    ):
        torch.testing.assert_close(W.detach(), W_rbm.T, atol=1e-6, rtol=0)
        torch.testing.assert_close(b.detach(), c_rbm, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBNClassifier(hidden_layers=(8,), device="cpu").fit(X * 16, y)


def test_dbn_classifier_learns_digits(digits) -> None:
    X, y = digits
    clf = DBNClassifier(hidden_layers=(64,), pretrain_epochs=5, epochs=30, random_state=0,
                        device="cpu").fit(X[:1200], y[:1200])  # fmt: skip
    assert clf.score(X[1200:], y[1200:]) > 0.85  # ten classes: chance is 0.1


@pytest.fixture(scope="module")
def dbm(digits) -> DBM:
    X, _ = digits
    return DBM(hidden_layers=(32, 16), pretrain_epochs=3, epochs=3, batch_size=20,
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


def test_dbm_anomaly_scores_rank_as_score_samples(dbm, digits) -> None:
    X, _ = digits
    free = dbm.anomaly_scores(X[:20])
    np.testing.assert_allclose(free, -dbm.score_samples(X[:20]) - dbm.log_partition()[0],
                               rtol=1e-5, atol=1e-4)  # fmt: skip
    noise = np.random.default_rng(0).random((20, 64)).round()
    assert dbm.anomaly_scores(noise).mean() > free.mean()


def test_mean_field_with_a_mask_ignores_the_unobserved_visibles() -> None:
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(6, 4, generator=g), torch.randn(4, 3, generator=g)]
    biases = [torch.zeros(6), torch.randn(4, generator=g), torch.randn(3, generator=g)]
    v = torch.rand(5, 6, generator=g)
    mask = (torch.rand(5, 6, generator=g) < 0.5).float()
    masked, _ = mean_field(v, weights, biases, steps=7, mask=mask)
    plain, _ = mean_field(v * mask, weights, biases, steps=7)
    for a, b in zip(masked, plain, strict=True):
        torch.testing.assert_close(a, b)
    noisy, _ = mean_field(v + 5 * (1 - mask), weights, biases, steps=7, mask=mask)
    for a, b in zip(noisy, plain, strict=True):  # what is masked out does not count
        torch.testing.assert_close(a, b)


def test_dbm_pretraining_doubles_the_inputs(digits, monkeypatch) -> None:
    from cortexkit.boltzmann.greedy import pretrain_dbm
    from cortexkit.boltzmann.step import CDStep

    X = torch.as_tensor(digits[0][:200], dtype=torch.float32)
    seen = []
    original = CDStep.__init__

    def spy(self, *args, **kwargs):
        seen.append((kwargs["up"], kwargs["down"]))
        original(self, *args, **kwargs)

    monkeypatch.setattr(CDStep, "__init__", spy)
    pretrain_dbm(X, [8, 6, 4], epochs=1, learning_rate=0.1, batch_size=50, seed=0,
                 device=torch.device("cpu"))  # fmt: skip
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


def test_a_dbm_of_one_hidden_layer_is_an_rbm_trained_by_mean_field(digits) -> None:
    X, _ = digits
    dbm = DBM(hidden_layers=8, pretrain_epochs=1, epochs=2, batch_size=50, random_state=0,
              device="cpu").fit(X[:300])  # fmt: skip
    assert dbm.transform(X[:4]).shape == (4, 8) and len(dbm.weights_) == 1
    exact = torch.sigmoid(torch.as_tensor(X[:4], dtype=torch.float32) @ dbm.weights_[0]
                          + dbm.biases_[1])  # fmt: skip
    np.testing.assert_allclose(dbm.transform(X[:4]), exact, rtol=1e-5, atol=1e-6)


def test_dbm_bad_input(digits) -> None:
    X, _ = digits
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBM(hidden_layers=(8, 4), device="cpu").fit(X * 16)
    with pytest.raises(ValueError, match="hidden_layers must be"):
        DBM(hidden_layers=(8, 0), device="cpu").fit(X)


@pytest.mark.parametrize("cls", [DBN, DBM])
def test_set_params_after_fit_changes_nothing_until_the_next_fit(cls, digits, tmp_path) -> None:
    X, _ = digits
    kw = {"pretrain_epochs": 1} if cls is DBM else {}
    est = cls(hidden_layers=(12, 6), epochs=1, random_state=0, device="cpu", **kw).fit(X)
    before = est.transform(X[:20])
    est.set_params(hidden_layers=(5, 4, 3), visible="gaussian")
    np.testing.assert_array_equal(est.transform(X[:20]), before)
    est.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    np.testing.assert_array_equal(back.transform(X[:20]), before)
    assert list(back.get_params()["hidden_layers"]) == [12, 6]


def test_a_loaded_dbn_partial_fit_goes_on_with_the_layer_it_was_training(tmp_path) -> None:
    import pickle

    from cortexkit import DBN, load

    X = (np.random.default_rng(0).random((60, 8)) > 0.5).astype(float)
    dbn = DBN((5, 3), epochs=2, random_state=0).fit(X)
    assert dbn.history_["layer"] == [1.0, 1.0, 2.0, 2.0]
    dbn.save(tmp_path / "d.cortex")
    for again in (load(tmp_path / "d.cortex"), pickle.loads(pickle.dumps(dbn))):
        bottom = again.weights_[0].clone()
        again.partial_fit(X)
        assert again.history_["layer"][-1] == 2.0  # the top layer, not the bottom again
        assert bool((again.weights_[0] == bottom).all())
