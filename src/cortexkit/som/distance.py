"""Distances by name, and the best-matching-unit search that every SOM method shares.

The search runs a chunk of samples at a time into one reused buffer (kept per thread,
from one search to the next), so memory stays at ``chunk x nodes`` whatever the sample
count (a 1,000,000-row set on a 2,500-node map never holds a samples-by-nodes matrix).
For the Euclidean distance a chunk costs one matrix product:
``||x - w||^2 = ||x||^2 - 2 x.w + ||w||^2``, where ``||x||^2`` does not change which node
is nearest and is added to the winners only. On the CPU the winner's index comes from
the minimum's mask rather than ``min(dim)`` (:func:`_row_min`).

A distance is a :class:`Distance`: ``scores(xb, prepared, out)`` gives a
``(samples, nodes)`` matrix whose row minimum is the best-matching unit, ``finish(best,
xb)`` turns the minimum scores into distances, and ``prepare(W)`` precomputes what depends
on the weights only. A user's callable ``fn(xb, W) -> (samples, nodes)`` of distances works
wherever a name does.

Examples
--------
>>> import torch
>>> from cortexkit.som.distance import DISTANCES, best_units
>>> W = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
>>> X = torch.tensor([[0.0, 1.0], [3.0, 3.0]])
>>> dist, units = best_units(X, W, DISTANCES.resolve("euclidean"))
>>> units.tolist(), [round(float(d), 4) for d in dist]
([0, 1], [1.0, 1.0])
>>> best_units(X, W, DISTANCES.resolve("manhattan"))[0].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

from cortexkit.registry import Registry

__all__ = ["DISTANCES", "Distance", "best_units", "chunk_rows"]

CHUNK_ELEMENTS = 2**20  # a chunk's samples x nodes at most (4 MB of float32)
MAX_CHUNK = 1024  # samples per chunk at most


@dataclass(frozen=True)
class Distance:
    """How far samples are from nodes; see the module's docstring."""

    name: str
    prepare: Callable[[Tensor], tuple[Tensor, ...]]
    scores: Callable[[Tensor, tuple[Tensor, ...], Tensor | None], Tensor]
    finish: Callable[[Tensor, Tensor], Tensor]


# -- Euclidean: one matrix product per chunk ---------------------------------------------------


def _euclidean_prepare(W: Tensor) -> tuple[Tensor, ...]:
    return W, (W * W).sum(1)


def _euclidean_scores(xb: Tensor, prep: tuple[Tensor, ...], out: Tensor | None) -> Tensor:
    W, w2 = prep
    return torch.addmm(w2, xb, W.T, alpha=-2, out=out)  # ||w||^2 - 2 x.w, (chunk, nodes)


def _euclidean_finish(best: Tensor, xb: Tensor) -> Tensor:
    norms = (xb * xb).sum(1)  # (chunk,)
    return (best + (norms if best.dim() == 1 else norms[:, None])).clamp_min(0).sqrt()


# -- cosine: one minus the cosine similarity -------------------------------------------------


def _unit(t: Tensor) -> Tensor:
    return t / t.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _cosine_prepare(W: Tensor) -> tuple[Tensor, ...]:
    return (_unit(W),)


def _cosine_scores(xb: Tensor, prep: tuple[Tensor, ...], out: Tensor | None) -> Tensor:
    return torch.mm(_unit(xb), prep[0].T, out=out).neg_()


def _cosine_finish(best: Tensor, xb: Tensor) -> Tensor:
    return 1 + best


# -- Manhattan ----------------------------------------------------------------------------------


def _plain_prepare(W: Tensor) -> tuple[Tensor, ...]:
    return (W,)


def _manhattan_scores(xb: Tensor, prep: tuple[Tensor, ...], out: Tensor | None) -> Tensor:
    return torch.cdist(xb, prep[0], p=1.0)


def _identity_finish(best: Tensor, xb: Tensor) -> Tensor:
    return best


def _from_callable(fn: Callable[[Tensor, Tensor], Tensor]) -> Distance:
    """A user's ``fn(xb, W) -> (samples, nodes)`` distances as a :class:`Distance`."""

    def scores(xb: Tensor, prep: tuple[Tensor, ...], out: Tensor | None) -> Tensor:
        return torch.as_tensor(fn(xb, prep[0]))

    return Distance(getattr(fn, "__name__", "callable"), _plain_prepare, scores, _identity_finish)


DISTANCES: Registry[Distance] = Registry(
    "distance",
    {
        "euclidean": Distance(
            "euclidean", _euclidean_prepare, _euclidean_scores, _euclidean_finish
        ),
        "cosine": Distance("cosine", _cosine_prepare, _cosine_scores, _cosine_finish),
        "manhattan": Distance("manhattan", _plain_prepare, _manhattan_scores, _identity_finish),
    },
    adapt=_from_callable,
    entry_type=Distance,
    callable_text="a callable fn(X, W) -> (samples, nodes) distances",
)


@lru_cache(maxsize=8)
def _positions(nodes: int) -> Tensor:
    """``0, 1, ..., nodes - 1`` as float32 (shared, never written to)."""
    return torch.arange(nodes, dtype=torch.float32)


_WORKSPACES = threading.local()  # per thread: {(dtype, device): flat buffer}
KEEP_ELEMENTS = 2**21  # a workspace up to this size (8 MB of float32) is kept for reuse


def _workspace(rows: int, nodes: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """A ``(rows, nodes)`` buffer for a search, kept per thread and reused by the next.

    A search's buffer lives only within one call, so one per thread serves every map
    that thread trains or queries. A fresh buffer of a few MB costs its page faults on
    every fit (about 1-2 ms on a 30x30 map: 5-10% of a 10,000-row fit); up to
    ``KEEP_ELEMENTS`` it is kept.
    """
    size = rows * nodes
    buffers: dict[tuple[torch.dtype, torch.device], Tensor] = _WORKSPACES.__dict__.setdefault(
        "buffers", {}
    )
    buffer = buffers.get((dtype, device))
    if buffer is None or buffer.numel() < size:
        buffer = torch.empty(size, dtype=dtype, device=device)
        if size <= KEEP_ELEMENTS:
            buffers[(dtype, device)] = buffer
    return buffer[:size].view(rows, nodes)


def _row_min(
    scores: Tensor,
    positions: Tensor | None,
    out: Tensor | None = None,
    rescore: Callable[[Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Each row's minimum and the column where it is (``scores.min(1)``).

    On the CPU torch's ``min(dim)`` with indices is much slower than ``amin``, so
    (given ``positions``, the column numbers as floats) the index is found as one
    matrix-vector product instead: the mask of where a row equals its minimum (into
    ``out``, shaped as ``scores``; ``out=scores`` overwrites them, with ``rescore(rows)``
    to compute rows again), times the column numbers. A row with one minimum gets its
    column exactly (whole numbers below 2^24 are exact in float32). A tie would sum the
    tied columns and a NaN row matches nothing, so when the mask does not hold one match
    per row, the rows without exactly one are taken again by ``min``.
    """
    if positions is None:
        best, idx = scores.min(1)
        return best, idx
    best = scores.amin(1)  # (rows,)
    # (rows, nodes), one 1 a row; written as floats (the product needs them, and a bool
    # result would take a conversion)
    mask = torch.eq(scores, best[:, None], out=torch.empty_like(scores) if out is None else out)
    idx = torch.mv(mask, positions).long()  # (rows,)
    if float(mask.sum()) != scores.shape[0]:  # a tie or a NaN somewhere: redo those rows
        again = (mask.sum(1) != 1).nonzero().squeeze(1)
        if mask is scores:
            assert rescore is not None, "overwriting the scores needs rescore"
            best[again], idx[again] = rescore(again).min(1)
        else:
            best[again], idx[again] = scores[again].min(1)
    return best, idx


def chunk_rows(n_nodes: int) -> int:
    """Samples per chunk of the search: 1024, fewer on a big map (at most 2^20 scores)."""
    return max(16, min(MAX_CHUNK, CHUNK_ELEMENTS // max(n_nodes, 1)))


def best_units(
    X: Tensor,
    W: Tensor,
    distance: Distance,
    *,
    k: int = 1,
    scratch: Tensor | None = None,
    finish: bool = True,
) -> tuple[Tensor, Tensor]:
    """The distance to the best-matching unit and its index, for each row of ``X``.

    With ``k=2`` both are ``(samples, 2)``: the best and the second-best unit (what the
    topographic error needs). Chunks of :func:`chunk_rows` samples reuse one buffer.
    ``scratch``, a ``(rows, nodes)`` buffer of the weights' dtype and device, is that
    buffer (the chunks then have ``rows`` at most, half that with ``k=2``); by default it is
    the thread's workspace (:func:`_workspace`).
    ``finish=False`` gives the minimum scores in place of the distances
    (``distance.finish(scores, X)`` turns them into distances), for a caller that needs
    only some of them.
    """
    n, nodes = X.shape[0], W.shape[0]
    prep = distance.prepare(W)
    planes = 2 if k == 2 else 1  # k=2 keeps the scores, and the mask beside them
    size = min(chunk_rows(nodes), n)
    positions = None  # the CPU's faster indexed minimum (_row_min)
    if k <= 2 and W.device.type == "cpu" and W.dtype == torch.float32 and nodes < 2**24:
        positions = _positions(nodes)
    if scratch is None or scratch.shape[1] != nodes or scratch.shape[0] < planes:
        # room for k=2's two planes, so that the per-epoch metrics reuse a step's buffer
        scratch = _workspace(2 * size, nodes, W.dtype, W.device)
    size = min(size, scratch.shape[0] // planes)
    if n == size:  # one chunk (a training step's batch)
        return _search(X, prep, distance, k, positions, scratch, finish)
    shape = (n,) if k == 1 else (n, k)
    dist = torch.empty(shape, dtype=W.dtype, device=W.device)
    units = torch.empty(shape, dtype=torch.long, device=W.device)
    for start in range(0, n, size):
        xb = X[start : start + size]
        rows = xb.shape[0]
        dist[start : start + rows], units[start : start + rows] = _search(
            xb, prep, distance, k, positions, scratch, finish
        )
    return dist, units


def _search(
    xb: Tensor,
    prep: tuple[Tensor, ...],
    distance: Distance,
    k: int,
    positions: Tensor | None,
    scratch: Tensor,
    finish: bool = True,
) -> tuple[Tensor, Tensor]:
    """:func:`best_units` of one chunk, its scores written into ``scratch`` and, with
    ``k=1``, overwritten by the minimum's mask (half the memory to stream through; ``k=2``
    takes two minimum passes, cheaper than ``topk`` on the CPU)."""
    rows, nodes = xb.shape[0], scratch.shape[1]
    scores = distance.scores(xb, prep, scratch[:rows])  # (rows, nodes)
    own = scores.data_ptr() == scratch.data_ptr()  # a user's distances stay as they are
    if k == 1:
        best, idx = _row_min(scores, positions, scores if own else None,
                             lambda again: distance.scores(xb[again], prep, None))  # fmt: skip
    elif k == 2 and positions is not None and nodes > 1:  # the best, then the best of the rest
        mask = scratch[rows : 2 * rows]
        first, at = _row_min(scores, positions, mask)
        rest = (scores.scatter_ if own else scores.scatter)(1, at[:, None], math.inf)
        second, next_at = _row_min(rest, positions, mask)
        best, idx = torch.stack([first, second], 1), torch.stack([at, next_at], 1)
    else:
        best, idx = scores.topk(k, dim=1, largest=False)
    return (distance.finish(best, xb) if finish else best), idx
