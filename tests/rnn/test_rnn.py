"""RNNRegressor and RNNClassifier on (N, T, F) sequences, variable lengths included."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cortexkit import RNNClassifier, RNNRegressor, load
from cortexkit.rnn.inputs import as_sequences
from cortexkit.rnn.network import CELLS, SequenceNetwork

FAST = {"hidden_layers": 16, "epochs": 30, "learning_rate": 0.01, "random_state": 0,
        "device": "cpu"}  # fmt: skip


def _sums(n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Sequences of 3 to 12 steps (2 features); the target is the sum of feature 0."""
    seqs = [rng.normal(size=(int(rng.integers(3, 13)), 2)) for _ in range(n)]
    return seqs, np.array([s[:, 0].sum() for s in seqs])


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_cell_learns_a_sum_over_variable_lengths(cell) -> None:
    rng = np.random.default_rng(0)
    seqs, y = _sums(600, rng)
    reg = RNNRegressor(cell, **FAST).fit(seqs, y)
    test, y_test = _sums(200, rng)
    baseline = np.mean((y_test - y.mean()) ** 2)
    assert np.mean((reg.predict(test) - y_test) ** 2) < 0.2 * baseline


def test_padding_is_never_read() -> None:
    rng = np.random.default_rng(1)
    seqs, y = _sums(100, rng)
    reg = RNNRegressor(**{**FAST, "epochs": 3}).fit(seqs, y)
    padded, lengths = as_sequences(seqs)
    garbage = padded.copy()
    steps = np.arange(padded.shape[1])[None, :] >= lengths[:, None]
    garbage[steps] = 1e6  # whatever sits in the padding
    alone = np.array([reg.predict([s])[0] for s in seqs[:10]])
    np.testing.assert_allclose(reg.predict(garbage, lengths=lengths)[:10], alone, rtol=1e-5,
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(reg.predict(seqs)[:10], alone, rtol=1e-5, atol=1e-5)


def test_packed_network_reads_each_sequence_last_real_step() -> None:
    net = SequenceNetwork(1, (4,), 1, "gru", generator=torch.Generator().manual_seed(0))
    x = torch.randn(3, 6, 1)
    lengths = torch.tensor([6, 2, 4])
    packed = net(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(packed[i], net(x[i : i + 1, :n])[0])


def test_classifier_on_two_dimensional_sequences_and_strings() -> None:
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(300, 15)), axis=1)
    labels = np.where(X[:, -1] > X[:, 0], "up", "down")
    clf = RNNClassifier(**FAST).fit(X, labels)
    assert clf.classes_.tolist() == ["down", "up"]
    assert clf.score(X, labels) > 0.9
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(1), 1)


@pytest.mark.parametrize(
    ("X", "kwargs", "message"),
    [
        (np.zeros((4, 3, 2, 1)), {}, "must be \\(N, T, F\\)"),
        (np.zeros((4, 3, 2)), {"lengths": [1, 2, 3]}, "lengths must be 4 integers"),
        (np.zeros((4, 3, 2)), {"lengths": [1, 2, 3, 4]}, "lengths must lie in \\[1, 3\\]"),
        ([np.zeros((3, 2)), np.zeros((2, 1))], {}, "different feature counts"),
        (np.full((4, 3, 2), np.nan), {}, "NaN or infinity"),
    ],
    ids=["4-d", "lengths-count", "lengths-range", "widths", "nan"],
)
def test_bad_sequences_are_refused(X, kwargs, message) -> None:
    reg = RNNRegressor(**FAST)
    with pytest.raises(ValueError, match=message):
        reg.fit(X, np.zeros(len(X)), **kwargs)
    assert not hasattr(reg, "network_")


def test_save_load_with_lengths(tmp_path) -> None:
    rng = np.random.default_rng(2)
    seqs, y = _sums(80, rng)
    labels = y > 0
    clf = RNNClassifier(**{**FAST, "epochs": 3}).fit(seqs, labels)
    clf.save(tmp_path / "c.cortex")
    back = load(tmp_path / "c.cortex")
    np.testing.assert_array_equal(back.predict_proba(seqs), clf.predict_proba(seqs))


@pytest.mark.cuda
def test_cuda_fit_and_cpu_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(3)
    seqs, y = _sums(200, rng)
    reg = RNNRegressor(**{**FAST, "epochs": 5, "device": "cuda"}).fit(seqs, y)
    assert next(reg.network_.parameters()).is_cuda
    reg.save(tmp_path / "r.cortex")
    back = load(tmp_path / "r.cortex", device="cpu")
    # cuDNN's packed-sequence LSTM may run its products in TF32 (10-bit mantissa): seen on an
    # H200, CPU and GPU predictions of this model differed by up to 2.4e-3
    np.testing.assert_allclose(back.predict(seqs), reg.predict(seqs), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("lengths", [None, torch.tensor([7, 3, 5, 1, 2])])
def test_equal_widths_are_torchs_num_layers_stack(cell, lengths) -> None:
    # the same weights, the same seed: the same outputs and gradients, dropout included
    net = SequenceNetwork(3, (8, 8, 8), 2, cell, dropout=0.3,
                          generator=torch.Generator().manual_seed(0))  # fmt: skip
    stack = CELLS.resolve(cell)(3, 8, num_layers=3, dropout=0.3, batch_first=True)
    with torch.no_grad():
        for k, layer in enumerate(net.layers):
            for name, p in layer.named_parameters():
                getattr(stack, name.replace("_l0", f"_l{k}")).copy_(p)
    x = torch.randn(5, 7, 3)
    torch.manual_seed(1)
    out = net(x, lengths)
    torch.manual_seed(1)
    if lengths is None:
        top = stack(x)[0][:, -1]
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                         enforce_sorted=False)  # fmt: skip
        state = stack(packed)[1]
        top = (state[0] if isinstance(state, tuple) else state)[-1]
    torch.testing.assert_close(out, net.head(net.drop(top)), rtol=0, atol=0)


def test_layers_of_different_widths_train_save_and_load(tmp_path) -> None:
    rng = np.random.default_rng(2)
    seqs, y = _sums(120, rng)
    reg = RNNRegressor("gru", **{**FAST, "hidden_layers": (12, 4), "epochs": 3, "dropout": 0.2})
    reg.fit(seqs, y)
    assert reg.network_.layer_sizes == [2, 12, 4, 1]
    assert [layer.hidden_size for layer in reg.network_.layers] == [12, 4]
    assert "hidden_layers=(12, 4)" in repr(reg.network_)
    reg.save(tmp_path / "m.cortex")
    np.testing.assert_array_equal(load(tmp_path / "m.cortex").predict(seqs), reg.predict(seqs))


def test_an_int_is_one_layer() -> None:
    rng = np.random.default_rng(3)
    seqs, y = _sums(40, rng)
    reg = RNNRegressor(**{**FAST, "hidden_layers": 5, "epochs": 1}).fit(seqs, y)
    assert reg.network_.layer_sizes == [2, 5, 1] and len(reg.network_.layers) == 1


@pytest.mark.parametrize("hidden_layers", [0, (), (8, 0), (8, "wide"), True])
def test_hidden_layers_must_be_positive_widths(hidden_layers) -> None:
    rng = np.random.default_rng(3)
    seqs, y = _sums(20, rng)
    with pytest.raises(ValueError, match="hidden_layers"):
        RNNRegressor(**{**FAST, "hidden_layers": hidden_layers}).fit(seqs, y)
