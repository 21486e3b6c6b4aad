"""Accuracy and ranking metrics of a recommender.

Rating accuracy: :func:`rmse` and :func:`mae` of predicted against true ratings.

Ranking quality, for each user a list of recommended items (best first) against the set of
items relevant to that user (in a test set: the ones rated at least a threshold, 4 of 5 by
default), averaged over the users that have at least one relevant item:

- :func:`precision_at_k`: relevant items among the first ``k``, divided by ``k``;
- :func:`recall_at_k`: relevant items among the first ``k``, divided by the number of
  relevant items;
- :func:`ndcg_at_k`: binary relevance discounted by ``1 / log2(position + 1)``
  (positions from 1), divided by the best possible value for that user,
  ``sum_{i=1}^{min(k, |relevant|)} 1 / log2(i + 1)``;
- :func:`catalogue_coverage`: the share of the catalogue that appears in anyone's first
  ``k`` recommendations.

Examples
--------
>>> from cortexkit.recommend.metrics import precision_at_k, recall_at_k
>>> recs = {"ann": ["a", "b", "c"]}
>>> relevant = {"ann": {"b", "z"}}
>>> precision_at_k(recs, relevant, 2), recall_at_k(recs, relevant, 2)
(0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np

__all__ = [
    "catalogue_coverage",
    "mae",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "rmse",
]

Recommendations = Mapping[Hashable, Sequence[Hashable]]
Relevant = Mapping[Hashable, Collection[Hashable]]


def _pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.shape[0]} and {p.shape[0]}")
    if not t.size:
        raise ValueError("y_true is empty: expected at least one rating")
    return t, p


def rmse(y_true: object, y_pred: object) -> float:
    """Root mean squared error.

    Examples
    --------
    >>> rmse([1, 2, 3], [1, 2, 5])  # sqrt(4 / 3)
    1.1547005383792515
    """
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true: object, y_pred: object) -> float:
    """Mean absolute error.

    Examples
    --------
    >>> mae([1, 2, 3], [2, 2, 5])
    1.0
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    return int(k)


def _per_user(recommended: Recommendations, relevant: Relevant, k: int, score) -> float:  # type: ignore[no-untyped-def]
    k = _check_k(k)
    values = [
        score(list(recommended.get(user, ()))[:k], set(rel), k)
        for user, rel in relevant.items()
        if len(rel)
    ]
    return float(np.mean(values)) if values else float("nan")


def precision_at_k(recommended: Recommendations, relevant: Relevant, k: int = 10) -> float:
    """Mean over users of (relevant items in the first ``k``) / ``k``.

    Examples
    --------
    >>> precision_at_k({1: [5, 6, 7, 8]}, {1: {6, 8, 9}}, k=4)
    0.5
    """
    return _per_user(recommended, relevant, k, lambda rec, rel, k: len(rel.intersection(rec)) / k)


def recall_at_k(recommended: Recommendations, relevant: Relevant, k: int = 10) -> float:
    """Mean over users of (relevant items in the first ``k``) / (relevant items).

    Examples
    --------
    >>> recall_at_k({1: [5, 6, 7, 8]}, {1: {6, 8, 9}}, k=4)
    0.6666666666666666
    """
    return _per_user(
        recommended, relevant, k, lambda rec, rel, k: len(rel.intersection(rec)) / len(rel)
    )


def _ndcg(rec: list[Hashable], rel: set[Hashable], k: int) -> float:
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(rec) if item in rel)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(rel))))
    return float(dcg / ideal)


def ndcg_at_k(recommended: Recommendations, relevant: Relevant, k: int = 10) -> float:
    """Mean over users of the normalised discounted cumulative gain of the first ``k``.

    Examples
    --------
    >>> ndcg_at_k({1: ["x", "a"]}, {1: {"a"}}, k=2)  # (1/log2 3) / (1/log2 2)
    0.6309297535714575
    """
    return _per_user(recommended, relevant, k, _ndcg)


def catalogue_coverage(
    recommended: Recommendations, catalogue: Collection[Hashable], k: int = 10
) -> float:
    """The share of ``catalogue`` found in at least one user's first ``k`` recommendations.

    Examples
    --------
    >>> catalogue_coverage({1: ["a", "b"], 2: ["a", "c"]}, ["a", "b", "c", "d"], k=1)
    0.25
    """
    k = _check_k(k)
    if not len(catalogue):
        raise ValueError("catalogue is empty")
    shown = {item for items in recommended.values() for item in list(items)[:k]}
    return len(shown & set(catalogue)) / len(set(catalogue))
