"""Initial codebooks by name: ``"pca"``, ``"sample"`` or ``"random"``.

- ``"pca"``: the nodes span the plane of the data's first two principal components, from
  -1 to +1 along each unit eigenvector around the mean (MiniSom's ``pca_weights_init``):
  the map starts already ordered, so a few passes suffice. The covariance is accumulated a
  chunk of rows at a time.
- ``"sample"``: distinct random rows of the data.
- ``"random"``: uniform within each feature's range.

Examples
--------
>>> import torch
>>> from cortexkit.som.init import initial_weights
>>> X = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
>>> W = initial_weights("pca", X, 2, 2, torch.Generator().manual_seed(0))
>>> W.shape, [round(v, 3) for v in W.mean(0).tolist()]
(torch.Size([4, 2]), [1.0, 0.5])
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["INITS", "initial_weights"]

INITS = ("pca", "sample", "random")
_CHUNK = 65536


def _mean_and_covariance(X: Tensor) -> tuple[Tensor, Tensor]:
    """The mean and covariance (float64), a chunk of rows at a time: the mean summed in
    float64, each chunk's products of centred rows in the data's dtype (no float64 copy
    of the data, and centred first, so no large sums cancel)."""
    n, d = X.shape
    total = torch.zeros(d, dtype=torch.float64, device=X.device)
    for start in range(0, n, _CHUNK):
        total += X[start : start + _CHUNK].sum(0, dtype=torch.float64)
    mean = total / n
    centre = mean.to(X.dtype)
    cov = torch.zeros((d, d), dtype=torch.float64, device=X.device)
    for start in range(0, n, _CHUNK):
        xc = X[start : start + _CHUNK] - centre  # (chunk, features)
        cov += (xc.T @ xc).double()
    return mean, cov / max(n - 1, 1)


def initial_weights(
    init: str, X: Tensor, rows: int, cols: int, generator: torch.Generator
) -> Tensor:
    """``(rows * cols, features)`` starting weights for the data ``X``, on its device."""
    n, d = X.shape
    nodes = rows * cols
    if init == "sample":
        picks = torch.randint(0, n, (nodes,), generator=generator)
        if n >= nodes:
            picks = torch.randperm(n, generator=generator)[:nodes]
        return X[picks.to(X.device)].clone().float()
    if init == "random":
        low = torch.stack([X[s : s + _CHUNK].amin(0) for s in range(0, n, _CHUNK)]).amin(0)
        high = torch.stack([X[s : s + _CHUNK].amax(0) for s in range(0, n, _CHUNK)]).amax(0)
        u = torch.rand((nodes, d), generator=generator).to(X.device)
        return (low + u * (high - low)).float()
    if init != "pca":
        raise ValueError(f"init must be one of {list(INITS)}; got {init!r}")
    mean, cov = _mean_and_covariance(X)
    if d == 1:  # one feature: a line along it
        axes = torch.ones((1, 1), dtype=torch.float64, device=X.device)
        pc1, pc2 = axes[0], torch.zeros_like(axes[0])
    else:
        values, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
        order = torch.argsort(values, descending=True)
        pc1, pc2 = vectors[:, order[0]], vectors[:, order[1]]
    a = torch.linspace(-1, 1, rows, dtype=torch.float64, device=X.device)
    b = torch.linspace(-1, 1, cols, dtype=torch.float64, device=X.device)
    if rows == 1:
        a = torch.zeros(1, dtype=torch.float64, device=X.device)
    if cols == 1:
        b = torch.zeros(1, dtype=torch.float64, device=X.device)
    W = mean + a.repeat_interleave(cols)[:, None] * pc1 + b.repeat(rows)[:, None] * pc2
    return W.float()
