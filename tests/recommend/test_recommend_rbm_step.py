"""The item RBM's training step: contrastive divergence on the observed ratings only
(against the dense masked core), the shared update, and the Gibbs-step and learning-rate
schedules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cortexkit import BoltzmannRecommender
from cortexkit.boltzmann.units import cd_statistics
from cortexkit.recommend.softmax_cd import softmax_cd

FAST = {"random_state": 0, "device": "cpu"}


def _batch(rows: int = 6, units: int = 10, K: int = 5, hidden: int = 7, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    mask = (torch.rand(rows, units, generator=g) < 0.4).float()
    level = torch.randint(0, K, (rows, units), generator=g)
    v = torch.zeros(rows, units, K).scatter_(2, level[:, :, None], 1.0).reshape(rows, -1)
    W = torch.randn(units * K, hidden, generator=g)
    b, c = torch.randn(units * K, generator=g), torch.randn(hidden, generator=g)
    r, u = mask.nonzero(as_tuple=True)
    return v, mask, (r, u, level[r, u]), W, b, c


@pytest.mark.parametrize("k", [1, 2])
def test_sparse_statistics_equal_the_dense_masked_core(k) -> None:
    # mean-field negative visibles: the only draws are the hidden samples, of the same
    # shapes in the same order, so one seed gives both the same chain
    v, mask, (r, u, level), W, b, c = _batch()
    g = torch.Generator().manual_seed(3)
    dense = cd_statistics(v, W, b, c, kind="softmax", n_levels=5, gibbs_steps=k, mask=mask,
                          sample_visibles=False, generator=g)  # fmt: skip
    grads, neg = softmax_cd(r, u, level, 6, W, b, c, n_levels=5, gibbs_steps=k,
                            sample_visibles=False,
                            generator=torch.Generator().manual_seed(3))  # fmt: skip
    torch.testing.assert_close(grads["W"], dense.dW, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grads["b"], dense.db, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grads["c"], dense.dc, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(neg, dense.negative.reshape(6, 10, 5)[r, u], atol=1e-6, rtol=1e-5)


def test_sampled_levels_follow_each_units_softmax() -> None:
    # no weights: the negative level of a unit is drawn from softmax(b) of that unit
    n, K = 20000, 3
    p = torch.tensor([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    b = p.log().reshape(-1)
    units = torch.arange(n) % 2
    grads, neg = softmax_cd(torch.arange(n), units, torch.zeros(n, dtype=torch.long), n,
                            torch.zeros(2 * K, 4), b, torch.zeros(4), n_levels=K,
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert torch.equal(neg.sum(1), torch.ones(n))  # one-hot
    for unit in (0, 1):
        share = neg[units == unit].mean(0)
        torch.testing.assert_close(share, p[unit], atol=0.015, rtol=0)
    # positive minus negative counts: each unit's bias gradient sums to zero over levels
    torch.testing.assert_close(grads["b"].reshape(2, K).sum(1), torch.zeros(2), atol=1e-4, rtol=0)


def test_the_schedules_run_over_the_epochs(split_ratings) -> None:
    train, _ = split_ratings
    est = BoltzmannRecommender(hidden_layers=8, epochs=5, gibbs_steps=1, gibbs_steps_final=5,
                               learning_rate=0.1, lr_schedule="linear", **FAST)  # fmt: skip
    est.fit(train)
    assert est.history_["gibbs_steps"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    np.testing.assert_allclose(est.history_["learning_rate"], [0.1, 0.0775, 0.055, 0.0325, 0.01])
    flat = BoltzmannRecommender(hidden_layers=8, epochs=3, gibbs_steps=2, gibbs_steps_final=None,
                                lr_schedule=None, **FAST).fit(train)  # fmt: skip
    assert flat.history_["gibbs_steps"] == [2.0, 2.0, 2.0]
    assert flat.history_["learning_rate"] == [flat.learning_rate] * 3


def test_the_schedules_change_the_training(split_ratings) -> None:
    train, test = split_ratings
    kw = {"hidden_layers": 8, "epochs": 4, **FAST}
    plain = BoltzmannRecommender(gibbs_steps_final=None, lr_schedule=None, **kw).fit(train)
    ramped = BoltzmannRecommender(gibbs_steps_final=4, lr_schedule=None, **kw).fit(train)
    decayed = BoltzmannRecommender(gibbs_steps_final=None, lr_schedule="linear", **kw).fit(train)
    base = plain.predict(test.user, test.item)
    assert np.abs(ramped.predict(test.user, test.item) - base).max() > 1e-3
    assert np.abs(decayed.predict(test.user, test.item) - base).max() > 1e-3


@pytest.mark.parametrize(
    ("name", "value"),
    [("gibbs_steps_final", 0), ("lr_schedule", "cosine"), ("lr_schedule", 0.1)],
)
def test_bad_schedules_are_refused(split_ratings, name, value) -> None:
    with pytest.raises(ValueError, match=name):
        BoltzmannRecommender(**{name: value}, **FAST).fit(split_ratings[0])


def test_the_step_applies_the_shared_update_with_the_scheduled_rate(split_ratings) -> None:
    """The step moves each weight by the one momentum rule, the learning rate inside the
    velocity: velocity = m * velocity + lr * (g - wd * W); biases without the decay."""
    from cortexkit.boltzmann.update import momentum_update
    from cortexkit.recommend.machine import BoltzmannStep

    train, _ = split_ratings
    est = BoltzmannRecommender(hidden_layers=8, epochs=1, **FAST).fit(train)
    step = BoltzmannStep(est._machine, est._train_input, torch.Generator().manual_seed(0))
    grads = [torch.full_like(p, 0.5) for p in step.parameters]
    step.settings.update(learning_rate=0.2, momentum=0.5, weight_decay=0.1)
    expected = [p.clone() for p in step.parameters]
    for i, (p, g) in enumerate(zip(expected, grads, strict=True)):
        decay = 0.1 if i < len(est.weights_) else 0.0
        momentum_update(p, g.clone(), torch.zeros_like(p), learning_rate=0.2, momentum=0.5,
                        weight_decay=decay)  # fmt: skip
    step._sparse = lambda sub: ([g.clone() for g in grads], torch.zeros(()))  # type: ignore[method-assign]
    step((torch.arange(4),))
    for got, want in zip(step.parameters, expected, strict=True):
        torch.testing.assert_close(got, want)
