"""The CD / PCD statistics against an exact computation: on a tiny RBM every visible and
hidden state is enumerated, and the Monte-Carlo mean of the statistics over many rows must
match the exact expectation of the CD-k estimator."""

from __future__ import annotations

import itertools

import pytest
import torch

from cortexkit.boltzmann.units import (
    cd_statistics,
    free_energy,
    hidden_mean,
    sample_visible,
    softmax_last,
    visible_mean,
)

ROWS = 200_000


def _binary_states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def _softmax_states(units: int, levels: int) -> torch.Tensor:
    eye = torch.eye(levels, dtype=torch.float64)
    return torch.stack(
        [
            torch.cat([eye[i] for i in combo])
            for combo in itertools.product(range(levels), repeat=units)
        ]
    )


def _exact(W, b, c, v0, *, kind, levels, k, chain=None):
    """Exact E[dW], E[db], E[dc] of CD-k from data row v0 (or PCD from a fixed chain)."""
    H = _binary_states(W.shape[1])
    V = (
        _binary_states(W.shape[0])
        if kind == "bernoulli"
        else _softmax_states(W.shape[0] // levels, levels)
    )
    p_h_v = hidden_mean(V, W, c)  # (nv, nh) P(h_j = 1 | v)
    P_h_given_v = torch.prod(
        torch.where(H[None] == 1, p_h_v[:, None], 1 - p_h_v[:, None]), 2
    )  # (nv, nH)
    # P(v | h): product over units of the unit's probability of its state
    mean = visible_mean(H @ W.T + b, kind, levels)  # (nH, n_visible)
    if kind == "bernoulli":
        P_v_given_h = torch.prod(torch.where(V[None] == 1, mean[:, None], 1 - mean[:, None]), 2)
    else:  # one-hot states: product of the chosen levels' probabilities
        P_v_given_h = torch.exp(torch.log(mean) @ V.T)  # (nH, nv)
    ph0 = hidden_mean(v0[None], W, c)[0]
    if chain is None:
        d_h = torch.prod(torch.where(H == 1, ph0, 1 - ph0), 1)  # (nH,)
    else:
        d_h = (H == chain).all(1).double()
    for step in range(k):
        d_v = d_h @ P_v_given_h
        if step < k - 1:
            d_h = d_v @ P_h_given_v
    neg_vh = (V * d_v[:, None]).T @ p_h_v
    dW = torch.outer(v0, ph0) - neg_vh
    db = v0 - d_v @ V
    dc = ph0 - d_v @ p_h_v
    return dW, db, dc


def _model(nv, nh, seed):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(nv, nh, generator=g, dtype=torch.float64)
    b = 0.5 * torch.randn(nv, generator=g, dtype=torch.float64)
    c = 0.5 * torch.randn(nh, generator=g, dtype=torch.float64)
    return W, b, c


@pytest.mark.parametrize("k", [1, 2])
def test_cd_k_matches_the_exact_expectation_bernoulli(k: int) -> None:
    W, b, c = _model(4, 3, 0)
    v0 = torch.tensor([1.0, 0, 1, 1], dtype=torch.float64)
    s = cd_statistics(v0.repeat(ROWS, 1), W, b, c, gibbs_steps=k,
                      generator=torch.Generator().manual_seed(1))  # fmt: skip
    for got, want in zip(
        (s.dW, s.db, s.dc), _exact(W, b, c, v0, kind="bernoulli", levels=2, k=k), strict=True
    ):
        torch.testing.assert_close(got, want, atol=8e-3, rtol=0)


def test_pcd_matches_the_exact_expectation_from_its_chain_state() -> None:
    W, b, c = _model(4, 3, 2)
    v0 = torch.tensor([0.0, 1, 1, 0], dtype=torch.float64)
    h = torch.tensor([1.0, 0, 1], dtype=torch.float64)
    s = cd_statistics(v0.repeat(ROWS, 1), W, b, c, chain=h.repeat(ROWS, 1),
                      generator=torch.Generator().manual_seed(3))  # fmt: skip
    exact = _exact(W, b, c, v0, kind="bernoulli", levels=2, k=1, chain=h)
    for got, want in zip((s.dW, s.db, s.dc), exact, strict=True):
        torch.testing.assert_close(got, want, atol=8e-3, rtol=0)
    assert s.chain is not None and s.chain.shape == (ROWS, 3)


@pytest.mark.parametrize("k", [1, 2])
def test_cd_k_matches_the_exact_expectation_softmax(k: int) -> None:
    W, b, c = _model(6, 3, 4)  # two 3-level units
    v0 = torch.tensor([0.0, 1, 0, 0, 0, 1], dtype=torch.float64)
    s = cd_statistics(v0.repeat(ROWS, 1), W, b, c, kind="softmax", n_levels=3, gibbs_steps=k,
                      generator=torch.Generator().manual_seed(5))  # fmt: skip
    for got, want in zip(
        (s.dW, s.db, s.dc), _exact(W, b, c, v0, kind="softmax", levels=3, k=k), strict=True
    ):
        torch.testing.assert_close(got, want, atol=8e-3, rtol=0)


def test_a_masked_softmax_row_trains_the_rbm_of_its_observed_units_only() -> None:
    W, b, c = _model(9, 3, 6)  # three 3-level units; the middle one unobserved
    v0 = torch.tensor([0.0, 0, 1, 1, 0, 0, 0, 1, 0], dtype=torch.float64)
    mask = torch.tensor([[1.0, 0, 1]]).double().repeat(ROWS, 1)
    s = cd_statistics(v0.repeat(ROWS, 1), W, b, c, kind="softmax", n_levels=3, mask=mask,
                      generator=torch.Generator().manual_seed(7))  # fmt: skip
    keep = torch.tensor([0, 1, 2, 6, 7, 8])
    exact = _exact(W[keep], b[keep], c, v0[keep], kind="softmax", levels=3, k=1)
    torch.testing.assert_close(s.dW[keep], exact[0], atol=8e-3, rtol=0)
    torch.testing.assert_close(s.db[keep], exact[1], atol=8e-3, rtol=0)
    torch.testing.assert_close(s.dc, exact[2], atol=8e-3, rtol=0)
    assert float(s.dW[3:6].abs().max()) == 0.0 and float(s.db[3:6].abs().max()) == 0.0


@pytest.mark.parametrize("k", [1, 2])
def test_the_recommenders_observed_only_cd_matches_the_exact_expectation(k: int) -> None:
    from cortexkit.recommend.softmax_cd import softmax_cd

    W, b, c = _model(9, 3, 6)  # three 3-level units; the middle one unobserved
    rows = torch.arange(ROWS).repeat_interleave(2)  # each row rates units 0 and 2
    units = torch.tensor([0, 2]).repeat(ROWS)
    levels = torch.tensor([2, 1]).repeat(ROWS)
    grads, _ = softmax_cd(rows, units, levels, ROWS, W, b, c, n_levels=3, gibbs_steps=k,
                          generator=torch.Generator().manual_seed(8))  # fmt: skip
    keep = torch.tensor([0, 1, 2, 6, 7, 8])
    v0 = torch.tensor([0.0, 0, 1, 0, 1, 0], dtype=torch.float64)
    exact = _exact(W[keep], b[keep], c, v0, kind="softmax", levels=3, k=k)
    torch.testing.assert_close(grads["W"][keep], exact[0], atol=8e-3, rtol=0)
    torch.testing.assert_close(grads["b"][keep], exact[1], atol=8e-3, rtol=0)
    torch.testing.assert_close(grads["c"], exact[2], atol=8e-3, rtol=0)
    assert float(grads["W"][3:6].abs().max()) == 0.0 and float(grads["b"][3:6].abs().max()) == 0.0


def test_softmax_last_is_a_softmax() -> None:
    x = torch.randn(50, 7, 5, generator=torch.Generator().manual_seed(0)) * 30
    torch.testing.assert_close(softmax_last(x), torch.softmax(x, -1))


def test_softmax_sampling_draws_each_level_with_its_probability() -> None:
    p = torch.tensor([[0.2, 0.5, 0.3]]).repeat(100_000, 1)
    draws = sample_visible(p, "softmax", 3, torch.Generator().manual_seed(0))
    assert bool((draws.sum(1) == 1).all())
    torch.testing.assert_close(draws.mean(0), p[0], atol=6e-3, rtol=0)


def test_free_energy_gives_the_exact_marginal() -> None:
    W, b, c = _model(4, 3, 8)
    V = _binary_states(4)
    H = _binary_states(3)
    energy = -(V @ b)[:, None] - (H @ c)[None] - V @ W @ H.T  # (nv, nh)
    log_p = torch.logsumexp(-energy, 1)
    torch.testing.assert_close(-free_energy(V, W, b, c), log_p)


def test_the_one_momentum_update_rule() -> None:
    """velocity = m * velocity + lr * (g - wd * W), W += velocity; without momentum no
    buffer is needed and the step is lr * (g - wd * W)."""
    from cortexkit.boltzmann.update import momentum_update

    g = torch.Generator().manual_seed(0)
    W, grads = torch.randn(3, 2, generator=g), [torch.randn(3, 2, generator=g) for _ in range(3)]
    expected, v = W.clone(), torch.zeros_like(W)
    param, velocity = W.clone(), torch.zeros_like(W)
    for grad in grads:
        v = 0.9 * v + 0.1 * (grad - 0.01 * expected)
        expected = expected + v
        momentum_update(param, grad.clone(), velocity, learning_rate=0.1, momentum=0.9,
                        weight_decay=0.01)  # fmt: skip
    torch.testing.assert_close(param, expected)
    plain = W.clone()
    momentum_update(plain, grads[0].clone(), None, learning_rate=0.1, weight_decay=0.01)
    torch.testing.assert_close(plain, W + 0.1 * (grads[0] - 0.01 * W))
    with pytest.raises(ValueError, match="velocity"):
        momentum_update(plain, grads[0].clone(), None, learning_rate=0.1, momentum=0.5)
