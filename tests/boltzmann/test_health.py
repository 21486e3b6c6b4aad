"""The warning after a Boltzmann machine's fit: a hidden layer that barely varies across
samples (dead or saturated) is named; a live one is not. And the DBM's defaults learn a live
top layer on 8x8 digits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from cortexkit import DBM, DBN, RBM
from cortexkit.boltzmann.health import stuck_layers
from cortexkit.exceptions import DeadLayerWarning


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def _dead_layers(fit) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if issubclass(w.category, DeadLayerWarning)]


def test_stuck_layers_finds_dead_and_saturated_layers_only() -> None:
    g = torch.Generator().manual_seed(0)
    live = torch.rand(300, 20, generator=g)
    dead = 0.003 + 1e-4 * torch.rand(300, 20, generator=g)
    saturated = 1 - dead
    found = stuck_layers([live, dead, saturated])
    assert [i for i, _ in found] == [1, 2]
    assert "dead" in found[0][1] and "saturated" in found[1][1]


def test_an_rbm_whose_hidden_units_died_is_named(digits) -> None:
    X, _ = digits
    rbm = RBM(16, epochs=2, random_state=0, device="cpu")
    assert _dead_layers(lambda: rbm.fit(X)) == []  # a live RBM fits without the warning
    # hidden biases so negative that every unit is off for every row: a dead layer
    rbm.hidden_bias_ -= 30.0
    messages = _dead_layers(lambda: rbm.partial_fit(X))
    assert len(messages) == 1 and "RBM: hidden layer 1 of 1" in messages[0]
    assert "dead" in messages[0]


def test_a_dbn_and_a_dbm_name_their_dead_layer(digits) -> None:
    X, _ = digits
    dbn = DBN((32, 8), epochs=2, random_state=0, device="cpu")
    assert _dead_layers(lambda: dbn.fit(X)) == []
    dbn.hidden_biases_[1] += 40.0  # the top layer always on: saturated
    messages = _dead_layers(lambda: dbn.partial_fit(X))
    assert len(messages) == 1 and "DBN: hidden layer 2 of 2" in messages[0]
    assert "saturated" in messages[0]
    dbm = DBM((32, 16), pretrain_epochs=2, epochs=1, random_state=0, device="cpu")
    dbm.fit(X)
    dbm.biases_[2] -= 40.0  # the top layer always off: dead
    messages = _dead_layers(lambda: dbm.partial_fit(X))
    assert any("DBM: hidden layer 2 of 2" in m and "dead" in m for m in messages)


@pytest.mark.slow
def test_dbm_defaults_learn_a_live_top_layer_on_digits(digits) -> None:
    X, y = digits
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    dbm = DBM(random_state=0, device="cpu")
    assert _dead_layers(lambda: dbm.fit(X_tr)) == []
    F_tr, F_te = dbm.transform(X_tr), dbm.transform(X_te)
    acc = LogisticRegression(C=100, max_iter=500).fit(F_tr, y_tr).score(F_te, y_te)
    # a trivial baseline (the majority class) scores about 0.1; the dead top layer did too
    assert acc > 0.85
