"""Scoring a recommender on held-out ratings: accuracy and ranking in one call.

The ranking protocol is the one Surprise's documentation uses, so that every model (ours
and the peers in ``bench/recommend.py``) is scored the same way at the same cost: for each
user of the test set, that user's test items are ranked by predicted rating (ties by the
test set's order); the relevant ones are those the user rated at least ``threshold``
(4 of 5). Precision@k divides by ``k``, so a user with fewer than ``k`` test items caps it;
that cap is the same for every model. Catalogue coverage is the share of the test set's
items that appear in some user's first ``k``.

Examples
--------
>>> import numpy as np
>>> from cortexkit.recommend import as_ratings
>>> from cortexkit.recommend.evaluate import score_predictions
>>> test = as_ratings([(1, "a", 5), (1, "b", 2), (1, "c", 4)])
>>> scores = score_predictions(test, np.array([4.0, 3.0, 3.0]), k=2)
>>> scores["rmse"], scores["precision@2"], scores["recall@2"]
(1.0, 0.5, 0.5)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cortexkit.data.ratings import Ratings, as_ratings
from cortexkit.recommend.metrics import (
    catalogue_coverage,
    mae,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    rmse,
)

__all__ = ["baseline_scores", "evaluate", "score_predictions"]


def score_predictions(
    test: Ratings,
    predicted: np.ndarray,
    *,
    k: int = 10,
    threshold: float = 4.0,
    truth: np.ndarray | None = None,
) -> dict[str, float]:
    """RMSE, MAE, precision@k, recall@k, NDCG@k and coverage of ``predicted`` (one
    prediction per test rating, in the test set's order). RMSE and MAE compare with
    ``truth`` (default: the ratings; a liked / not-liked model's: 1 or 0)."""
    predicted = np.asarray(predicted, dtype=np.float64)
    if predicted.shape != test.rating.shape:
        raise ValueError(
            f"expected one prediction per test rating ({len(test)}); got {predicted.shape[0]}"
        )
    frame = pd.DataFrame(
        {
            "user": test.user,
            "item": test.item,
            "true": test.rating,
            "pred": predicted,
            "row": np.arange(len(test)),
        }
    )
    ranked = frame.sort_values(
        ["user", "pred", "row"], ascending=[True, False, True], kind="stable"
    )
    recommended: dict[Any, list[Any]] = {}
    relevant: dict[Any, set[Any]] = {}
    for user, group in ranked.groupby("user", sort=False):
        recommended[user] = group["item"].tolist()
        relevant[user] = set(group.loc[group["true"] >= threshold, "item"])
    truth = test.rating if truth is None else np.asarray(truth, dtype=np.float64)
    return {
        "rmse": rmse(truth, predicted),
        "mae": mae(truth, predicted),
        f"precision@{k}": precision_at_k(recommended, relevant, k),
        f"recall@{k}": recall_at_k(recommended, relevant, k),
        f"ndcg@{k}": ndcg_at_k(recommended, relevant, k),
        "coverage": catalogue_coverage(recommended, pd.unique(test.item), k),
    }


def evaluate(model: Any, test: Any, *, k: int = 10, threshold: float = 4.0) -> dict[str, float]:
    """Score a fitted recommender on held-out ratings ``test`` (see the module's docstring).

    A liked / not-liked model (``BoltzmannRecommender(binary=True)``) predicts the
    probability of a like: its RMSE and MAE compare that with 1 for a liked test rating
    (at least its ``liked_at``) and 0 for the others, not with the stars.

    Examples
    --------
    >>> from cortexkit import AutoRecRecommender
    >>> from cortexkit.recommend import as_ratings, evaluate, random_split
    >>> ratings = as_ratings([(u, i, 1 + (u + 2 * i) % 5) for u in range(20) for i in range(15)])
    >>> train, test = random_split(ratings, 0.2, random_state=0)
    >>> model = AutoRecRecommender(hidden_layers=8, epochs=20, random_state=0).fit(train)
    >>> sorted(evaluate(model, test, k=5))
    ['coverage', 'mae', 'ndcg@5', 'precision@5', 'recall@5', 'rmse']
    """
    test = as_ratings(test, name="test ratings")
    convert = getattr(model, "_fallback_values", None)  # a binary model's: liked (1) or not
    truth = None if convert is None else convert(test.rating)
    return score_predictions(
        test, model.predict(test.user, test.item), k=k, threshold=threshold, truth=truth
    )


def baseline_scores(model: Any, test: Any) -> dict[str, float]:
    """The RMSE and MAE of the model's own fallback on ``test``: each item's mean training
    rating (shrunk towards the global mean), the global mean for an item never seen.

    It is the score to beat: a recommender that does not beat its items' means has learned
    nothing about its users. A liked / not-liked model's fallback is each item's share of
    likes, scored as :func:`evaluate` scores the model.

    Examples
    --------
    >>> from cortexkit import AutoRecRecommender
    >>> from cortexkit.recommend import as_ratings, random_split
    >>> ratings = as_ratings([(u, i, 1 + (u + 2 * i) % 5) for u in range(20) for i in range(15)])
    >>> train, test = random_split(ratings, 0.2, random_state=0)
    >>> model = AutoRecRecommender(hidden_layers=8, epochs=20, random_state=0).fit(train)
    >>> sorted(baseline_scores(model, test))
    ['mae', 'rmse']
    """
    test = as_ratings(test, name="test ratings")
    _, items = model._codes(np.asarray(test.user), np.asarray(test.item))
    means = np.full(len(items), model.global_mean_)
    means[items >= 0] = model.item_means_[items[items >= 0]]
    truth = np.asarray(model._fallback_values(np.asarray(test.rating)), dtype=np.float64)
    means = model._clip(means)
    return {"rmse": rmse(truth, means), "mae": mae(truth, means)}
