"""AutoRec's own training options: the input offset, input dropout, the cosine schedule;
and the configuration it was fitted with, kept until the next fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cortexkit import AutoRecRecommender, load

FAST = {"random_state": 0, "device": "cpu"}


def _by_hand(est: AutoRecRecommender, users, items, offset: float) -> np.ndarray:
    """One hidden layer written out densely: sigmoid(W1 x + b1) -> W2 h + b2, where x is
    each item's ratings over the users plus ``offset`` where rated and 0 elsewhere."""
    values, mask = est._full.dense(torch.arange(est._full.shape[0]))  # (items, users)
    x = values + offset * mask
    (enc,), (dec,) = est.network_.encoder, est.network_.decoder
    with torch.no_grad():
        out = torch.sigmoid(x @ enc.weight.T + enc.bias) @ dec.weight.T + dec.bias
    u, i = est._codes(users, items)
    return np.clip(out[i, u].double().numpy(), 1.0, 5.0)


@pytest.mark.parametrize("offset", [0.0, 2.5])
def test_the_input_is_each_rating_plus_the_offset(split_ratings, tmp_path, offset) -> None:
    train, test = split_ratings
    est = AutoRecRecommender(hidden_layers=8, epochs=3, input_offset=offset, dropout=0.0, **FAST)
    est.fit(train)
    known = np.isin(test.user, est.user_ids_) & np.isin(test.item, est.item_ids_)
    users, items = test.user[known], test.item[known]
    np.testing.assert_allclose(
        est.predict(users, items), _by_hand(est, users, items, offset), rtol=1e-5, atol=1e-5
    )
    est.save(tmp_path / "m.cortex")  # the file keeps the offset the network was trained with
    np.testing.assert_array_equal(
        load(tmp_path / "m.cortex").predict(users, items), est.predict(users, items)
    )
    # the offset changes what the network reads, so the other offset's formula misses
    other = _by_hand(est, users, items, 2.5 - offset)
    assert np.abs(est.predict(users, items) - other).max() > 1e-3


def test_dropout_drops_inputs_while_training_only(split_ratings) -> None:
    train, test = split_ratings
    est = AutoRecRecommender(hidden_layers=8, epochs=30, dropout=0.4, input_offset=1.0, **FAST)
    est.fit(train)
    values = torch.full((20000,), 4.0)
    x = est._objective.inputs(values, training=True)
    dropped = x == 0
    assert float(dropped.float().mean()) == pytest.approx(0.4, abs=0.02)
    # the kept ones are scaled so that the input's expected value stays 5
    torch.testing.assert_close(x[~dropped], torch.full_like(x[~dropped], 5.0 / 0.6))
    torch.testing.assert_close(est._objective.inputs(values), torch.full_like(values, 5.0))
    # predictions never drop anything: the same every call
    np.testing.assert_array_equal(
        est.predict(test.user, test.item), est.predict(test.user, test.item)
    )
    # the drops are drawn from the fit's seed: same seed, same model; dropout changes it
    again = AutoRecRecommender(hidden_layers=8, epochs=30, dropout=0.4, input_offset=1.0, **FAST)
    np.testing.assert_array_equal(
        again.fit(train).predict(test.user, test.item), est.predict(test.user, test.item)
    )
    plain = AutoRecRecommender(hidden_layers=8, epochs=30, dropout=0.0, input_offset=1.0, **FAST)
    assert not np.array_equal(
        plain.fit(train).predict(test.user, test.item), est.predict(test.user, test.item)
    )


def test_cosine_schedule_anneals_to_zero_over_the_epochs(split_ratings) -> None:
    train, _ = split_ratings
    est = AutoRecRecommender(hidden_layers=8, epochs=8, learning_rate=0.02, **FAST).fit(train)
    assert est.lr_schedule == "cosine"  # the default
    # the rate each epoch ends on (that of the next update); the last update's is kept
    expected = [0.01 * (1 + math.cos(math.pi * k / 8)) for k in (*range(1, 8), 7)]
    np.testing.assert_allclose(est.history_["learning_rate"], expected, rtol=1e-6)
    flat = AutoRecRecommender(
        hidden_layers=8, epochs=3, learning_rate=0.02, lr_schedule=None, **FAST
    )
    np.testing.assert_allclose(flat.fit(train).history_["learning_rate"], [0.02] * 3)


def test_an_interrupted_cosine_run_resumes_on_its_schedule(split_ratings, tmp_path) -> None:
    train, test = split_ratings
    path = tmp_path / "run.ckpt"

    def make(**kw):
        return AutoRecRecommender(hidden_layers=16, epochs=6, dropout=0.3, **FAST, **kw)

    class Killed(Exception):
        pass

    def kill_at_epoch_3(epoch, logs):
        if epoch >= 3:
            raise Killed

    whole = make().fit(train)
    with pytest.raises(Killed):
        make(checkpoint=str(path), callbacks=[kill_at_epoch_3]).fit(train)
    resumed = make(checkpoint=str(path), resume=True).fit(train)
    assert resumed.n_iter_ == 6
    np.testing.assert_allclose(
        resumed.history_["learning_rate"], whole.history_["learning_rate"], rtol=1e-6
    )
    np.testing.assert_allclose(
        resumed.predict(test.user, test.item),
        whole.predict(test.user, test.item),
        rtol=1e-5,
        atol=1e-5,
    )


def test_set_params_after_fit_changes_nothing_until_the_next_fit(split_ratings, tmp_path):
    train, test = split_ratings
    est = AutoRecRecommender(hidden_layers=8, epochs=3, **FAST).fit(train)
    before = est.predict(test.user, test.item)
    est.set_params(input_offset=0.0, hidden_layers=(4, 2, 4), based="user", activation="relu")
    np.testing.assert_array_equal(est.predict(test.user, test.item), before)
    est.save(tmp_path / "m.cortex")
    np.testing.assert_array_equal(load(tmp_path / "m.cortex").predict(test.user, test.item),
                                  before)  # fmt: skip


@pytest.mark.parametrize(
    ("param", "value"),
    [("dropout", 1.0), ("dropout", -0.1), ("input_offset", float("nan")), ("input_offset", "3")],
)
def test_bad_options_are_refused_by_name(split_ratings, param, value) -> None:
    train, _ = split_ratings
    with pytest.raises((ValueError, TypeError), match=param):
        AutoRecRecommender(hidden_layers=4, epochs=1, **FAST, **{param: value}).fit(train)
