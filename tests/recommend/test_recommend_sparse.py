"""The sparse products against their dense versions, values and gradients (float64)."""

from __future__ import annotations

import torch

from cortexkit.recommend.sparse import RatingMatrix, observed_linear, sparse_linear


def _matrix() -> RatingMatrix:
    g = torch.Generator().manual_seed(0)
    observed = torch.rand(7, 9, generator=g) < 0.4
    rows, cols = observed.nonzero(as_tuple=True)
    values = 1 + 4 * torch.rand(len(rows), generator=g)
    m = RatingMatrix.from_coo(rows, cols, values, (7, 9))
    return RatingMatrix(m.indptr, m.indices, m.values.double(), m.shape)


def test_select_and_dense_agree_with_the_triples() -> None:
    m = _matrix()
    X, M = m.dense(torch.arange(7))
    rows = torch.tensor([4, 0, 4])
    part = m.select(rows)
    Xp, Mp = part.dense(torch.arange(3))
    assert torch.equal(Xp, X[rows].to(Xp.dtype)) and torch.equal(Mp, M[rows])
    assert part.nnz == int(M[rows].sum())


def test_sparse_linear_matches_dense_product_and_gradient() -> None:
    m = _matrix()
    X, _ = m.dense(torch.arange(7))
    W = torch.randn(5, 9, dtype=torch.float64, requires_grad=True)
    pattern = m.pattern()
    torch.testing.assert_close(sparse_linear(m.values, W, pattern), X.double() @ W.T)
    assert torch.autograd.gradcheck(lambda w: sparse_linear(m.values, w, pattern), (W,))


def test_observed_linear_matches_dense_product_at_the_observed_entries() -> None:
    m = _matrix()
    _, M = m.dense(torch.arange(7))
    h = torch.randn(7, 4, dtype=torch.float64, requires_grad=True)
    W = torch.randn(9, 4, dtype=torch.float64, requires_grad=True)
    pattern = m.pattern()
    torch.testing.assert_close(observed_linear(h, W, pattern), (h @ W.T)[M.bool()])
    assert torch.autograd.gradcheck(lambda a, b: observed_linear(a, b, pattern), (h, W))
