"""The RBM estimator: learning on digits, bad input, save/load, generation, CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from cortexkit import RBM, load
from cortexkit.boltzmann.step import CDStep
from cortexkit.boltzmann.units import cd_statistics


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data / 16


def _rbm(**kw):
    return RBM(**{"hidden_layers": 32, "epochs": 8, "random_state": 0, "device": "cpu", **kw})


def test_reconstruction_error_falls_over_epochs_on_digits(digits) -> None:
    rbm = _rbm().fit(digits)
    err = rbm.history_["reconstruction_error"]
    assert len(err) == 8 and err[-1] < 0.75 * err[0]
    pl = rbm.history_["pseudo_likelihood"]
    assert np.mean(pl[-3:]) > np.mean(pl[:2])


@pytest.mark.parametrize("persistent", [True, False])
def test_cd_and_pcd_both_learn_and_cd_k_runs(digits, persistent) -> None:
    rbm = _rbm(persistent=persistent, gibbs_steps=2).fit(digits)
    err = rbm.history_["reconstruction_error"]
    assert err[-1] < err[0]


def test_the_step_adds_exactly_the_cd_statistics(digits) -> None:
    rbm = _rbm(epochs=1, learning_rate=0.05, momentum=0.0, persistent=False).fit(digits)
    W0, b0, c0 = (t.clone() for t in (rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_))
    step = CDStep(rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_)
    step.begin(_run(rbm, batch_size=20))
    batch = torch.as_tensor(digits[:20], dtype=torch.float32)
    step.rng = np.random.default_rng(5)
    step((batch,))
    # the step's negative phase takes the visible probabilities, not samples of them
    s = cd_statistics(batch, W0, b0, c0, gibbs_steps=1, generator=np.random.default_rng(5),
                      sample_visibles=False)  # fmt: skip
    torch.testing.assert_close(rbm.weights_, W0 + 0.05 * s.dW)
    torch.testing.assert_close(rbm.visible_bias_, b0 + 0.05 * s.db)
    torch.testing.assert_close(rbm.hidden_bias_, c0 + 0.05 * s.dc)


def _run(est, *, batch_size=20, n_train=100, epochs=1):
    from cortexkit.train.step import Run

    return Run(epochs=epochs, epochs_done=0, n_train=n_train, batch_size=batch_size,
               steps_per_epoch=1, batches=None, settings=est.get_params())  # fmt: skip


def test_the_step_applies_the_shared_momentum_and_weight_decay_rule(digits) -> None:
    """With momentum and weight decay: velocity = m * velocity + lr * (dW - wd * W), W +=
    velocity; the biases without the decay term."""
    rbm = _rbm(epochs=1, persistent=False).fit(digits)
    rbm.set_params(learning_rate=0.05, momentum=0.5, weight_decay=0.01)
    step = CDStep(rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_)
    step.begin(_run(rbm))
    batch = torch.as_tensor(digits[:20], dtype=torch.float32)
    W, b, c = (t.clone() for t in (rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_))
    vW, vb, vc = (torch.zeros_like(t) for t in (W, b, c))
    for seed in (1, 2):
        step.rng = np.random.default_rng(seed)
        step((batch,))
        s = cd_statistics(batch, W, b, c, generator=np.random.default_rng(seed),
                          sample_visibles=False)  # fmt: skip
        vW = 0.5 * vW + 0.05 * (s.dW - 0.01 * W)
        vb, vc = 0.5 * vb + 0.05 * s.db, 0.5 * vc + 0.05 * s.dc
        W, b, c = W + vW, b + vb, c + vc
    torch.testing.assert_close(rbm.weights_, W)
    torch.testing.assert_close(rbm.visible_bias_, b)
    torch.testing.assert_close(rbm.hidden_bias_, c)


def test_momentum_and_weight_decay_train(digits) -> None:
    rbm = _rbm(momentum=0.5, weight_decay=1e-3).fit(digits)
    assert rbm.history_["reconstruction_error"][-1] < rbm.history_["reconstruction_error"][0]


def test_softmax_and_gaussian_visibles(digits) -> None:
    levels = np.round(digits * 4)
    soft = _rbm(visible="softmax", epochs=4).fit(levels)
    assert soft.n_levels_ == 5 and soft.weights_.shape == (64 * 5, 32)
    back = soft.inverse_transform(soft.transform(levels[:10]))
    assert back.shape == (10, 64) and set(np.unique(back)) <= set(range(5))
    # the reconstruction's levels agree with the data far more than chance (1/5)
    assert (back == levels[:10]).mean() > 0.6
    z = (digits - digits.mean(0)) / (digits.std(0) + 0.1)
    gauss = _rbm(visible="gaussian", learning_rate=0.001, epochs=4).fit(z)
    err = gauss.history_["reconstruction_error"]
    assert err[-1] < err[0]
    assert np.isfinite(gauss.score_samples(z[:5])).all()


def test_sample_gibbs_and_scores(digits) -> None:
    rbm = _rbm().fit(digits)
    s = rbm.sample(5, steps=20, random_state=0)
    assert s.shape == (5, 64) and set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_array_equal(s, rbm.sample(5, steps=20, random_state=0))
    assert rbm.gibbs(digits[:3], steps=2, random_state=1).shape == (3, 64)
    # data score higher than noise under the pseudo-likelihood
    noise = np.random.default_rng(0).random((200, 64)).round()
    assert rbm.score_samples(digits[:200]).mean() > rbm.score_samples(noise).mean() + 5
    png = rbm.plot_filters(n=16)
    assert png[:4] == b"\x89PNG"
    assert rbm.plot_samples(n=4, steps=10)[:4] == b"\x89PNG"


def test_anomaly_scores_are_the_free_energy_higher_for_outliers(digits) -> None:
    rbm = _rbm().fit(digits)
    scores = rbm.anomaly_scores(digits[:50])
    assert scores.shape == (50,)
    np.testing.assert_array_equal(scores, rbm.anomaly_scores(digits[:50]))  # deterministic
    noise = np.random.default_rng(0).random((50, 64)).round()
    assert rbm.anomaly_scores(noise).mean() > scores.mean()
    # against score_samples' sign: higher = more normal (on average for Bernoulli units)
    assert np.corrcoef(scores, rbm.score_samples(digits[:50]))[0, 1] < 0
    z = (digits - digits.mean(0)) / (digits.std(0) + 0.1)
    gauss = _rbm(visible="gaussian", learning_rate=0.001, epochs=2).fit(z)
    np.testing.assert_allclose(gauss.anomaly_scores(z[:9]), -gauss.score_samples(z[:9]),
                               rtol=1e-6)  # fmt: skip


def test_set_params_after_fit_changes_nothing_until_the_next_fit(tmp_path, digits) -> None:
    rbm = _rbm(epochs=2).fit(digits)
    before = rbm.transform(digits)
    rbm.set_params(hidden_layers=7, visible="gaussian", gibbs_steps=3)
    np.testing.assert_array_equal(rbm.transform(digits), before)
    rbm.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    np.testing.assert_array_equal(back.transform(digits), before)
    assert back.get_params()["hidden_layers"] == 32  # the parameters it was fitted with
    assert rbm.fit(digits).transform(digits).shape == (len(digits), 7)  # the next fit


def test_partial_fit_continues_the_chains(digits) -> None:
    rbm = _rbm()
    rbm.partial_fit(digits)
    rbm.partial_fit(digits)
    assert rbm.n_iter_ == 2 and len(rbm.history_["loss"]) == 2


def test_save_load_gives_identical_transforms(tmp_path, digits) -> None:
    for rbm in (
        _rbm(epochs=2).fit(digits),
        _rbm(visible="softmax", epochs=2).fit(np.round(digits * 3)),
    ):
        X = digits if rbm.visible == "bernoulli" else np.round(digits * 3)
        rbm.save(tmp_path / "m.cortex")
        back = load(tmp_path / "m.cortex")
        np.testing.assert_array_equal(back.transform(X), rbm.transform(X))
        np.testing.assert_array_equal(back.inverse_transform(back.transform(X[:5])),
                                      rbm.inverse_transform(rbm.transform(X[:5])))  # fmt: skip


# -- bad input ----------------------------------------------------------------------------


def test_bernoulli_data_outside_the_unit_interval_is_refused(digits) -> None:
    with pytest.raises(ValueError, match=r"visible='bernoulli' takes X in \[0, 1\].*16"):
        _rbm().fit(digits * 16)
    rbm = _rbm(epochs=1).fit(digits)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rbm.transform(-digits)


@pytest.mark.parametrize("steps", [0, -1])
def test_gibbs_steps_must_be_positive(digits, steps) -> None:
    with pytest.raises(ValueError, match=r"gibbs_steps must be an int in \[1, inf\); got"):
        _rbm(gibbs_steps=steps).fit(digits)


@pytest.mark.parametrize("hidden", [0, -3, (4, 0)])
def test_hidden_layers_must_be_positive(digits, hidden) -> None:
    with pytest.raises(ValueError, match="hidden_layers must be"):
        _rbm(hidden_layers=hidden).fit(digits)


def test_one_hidden_layer_an_int_or_a_tuple_of_one(digits) -> None:
    assert _rbm(hidden_layers=(16,), epochs=1).fit(digits).transform(digits[:2]).shape == (2, 16)
    with pytest.raises(ValueError, match=r"an RBM has one hidden layer.*DBN"):
        _rbm(hidden_layers=(16, 8)).fit(digits)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused(digits, bad) -> None:
    X = digits.copy()
    X[3, 4] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        _rbm().fit(X)


def test_wrong_feature_count_at_transform(digits) -> None:
    rbm = _rbm(epochs=1).fit(digits)
    with pytest.raises(ValueError, match="X has 10 features, but RBM is expecting 64"):
        rbm.transform(digits[:, :10])


def test_softmax_levels_must_be_integers_in_range() -> None:
    with pytest.raises(ValueError, match="integer levels"):
        _rbm(visible="softmax").fit(np.array([[0.5, 1.0], [1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"integer levels \[0, 3\)"):
        _rbm(visible="softmax", n_levels=3).fit(np.array([[0, 1.0], [1.0, 3.0]]))


@pytest.mark.cuda
def test_cuda_fit_and_cpu_round_trip(tmp_path, digits) -> None:
    rbm = _rbm(device="cuda").fit(digits)
    assert rbm.weights_.is_cuda
    rbm.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex", device="cpu")
    np.testing.assert_allclose(back.transform(digits), rbm.transform(digits), atol=1e-5)
