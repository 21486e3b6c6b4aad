"""Recommender systems on explicit ratings: readers, splits, metrics, and the Boltzmann and
autoencoder recommenders.

- :mod:`.ratings`: :class:`Ratings`, :func:`read_ratings` (MovieLens ``u.data``,
  ``ratings.dat``, CSV), :func:`read_titles`;
- :mod:`.splits`: random, per-user leave-k-out and temporal splits;
- :mod:`.metrics`: RMSE, MAE, precision@k, recall@k, NDCG@k, catalogue coverage;
  :func:`evaluate` scores a fitted recommender on held-out ratings;
- :class:`~cortexkit.AutoRecRecommender` and :class:`~cortexkit.BoltzmannRecommender`,
  with one interface: ``fit(ratings)``, ``predict(users, items)``,
  ``recommend(user, k, exclude_seen=True)``.

Examples
--------
>>> from cortexkit.recommend import as_ratings, random_split
>>> ratings = as_ratings([(u, i, 1 + (u * i) % 5) for u in range(8) for i in range(6)])
>>> train, test = random_split(ratings, 0.25, random_state=0)
>>> len(train), len(test)
(36, 12)
"""

from cortexkit.data.ratings import Ratings, as_ratings, read_ratings
from cortexkit.data.titles import read_titles
from cortexkit.recommend.evaluate import evaluate
from cortexkit.recommend.metrics import (
    catalogue_coverage,
    mae,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    rmse,
)
from cortexkit.recommend.splits import leave_k_out, random_split, split, temporal_split

__all__ = [
    "Ratings",
    "as_ratings",
    "catalogue_coverage",
    "evaluate",
    "leave_k_out",
    "mae",
    "ndcg_at_k",
    "precision_at_k",
    "random_split",
    "read_ratings",
    "read_titles",
    "recall_at_k",
    "rmse",
    "split",
    "temporal_split",
]
