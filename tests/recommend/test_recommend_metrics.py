"""The metrics against examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cortexkit.recommend import as_ratings
from cortexkit.recommend.evaluate import score_predictions
from cortexkit.recommend.metrics import (
    catalogue_coverage,
    mae,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    rmse,
)

RECS = {"ann": ["a", "b", "c", "d"], "bob": ["e", "a", "f", "g"], "cat": ["a"]}
RELEVANT = {"ann": {"b", "d", "x"}, "bob": {"e"}, "cat": set()}  # cat: no relevant item


def test_rmse_and_mae_by_hand() -> None:
    # errors 1, -2, 0, 3: squares 1, 4, 0, 9 -> mean 3.5; absolute mean 6/4
    assert rmse([4, 3, 5, 1], [5, 1, 5, 4]) == pytest.approx(math.sqrt(3.5))
    assert mae([4, 3, 5, 1], [5, 1, 5, 4]) == pytest.approx(1.5)


def test_precision_at_k_by_hand() -> None:
    # ann: b and d in the first 4 -> 2/4; bob: e -> 1/4; cat has nothing relevant: skipped
    assert precision_at_k(RECS, RELEVANT, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    # first 2: ann has b -> 1/2; bob has e -> 1/2
    assert precision_at_k(RECS, RELEVANT, 2) == pytest.approx(0.5)


def test_recall_at_k_by_hand() -> None:
    # ann: 2 of 3 relevant; bob: 1 of 1
    assert recall_at_k(RECS, RELEVANT, 4) == pytest.approx((2 / 3 + 1) / 2)
    assert recall_at_k(RECS, RELEVANT, 1) == pytest.approx((0 + 1) / 2)


def test_ndcg_at_k_by_hand() -> None:
    # ann: hits at positions 2 and 4 -> 1/log2(3) + 1/log2(5); ideal for 3 relevant, k=4:
    # 1 + 1/log2(3) + 1/log2(4). bob: hit at position 1 -> 1.
    ann = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(RECS, RELEVANT, 4) == pytest.approx((ann + 1.0) / 2)
    # a user with no recommendations scores 0, not an error
    assert ndcg_at_k({}, {"zed": {"a"}}, 3) == 0.0


def test_catalogue_coverage_by_hand() -> None:
    # first 2: a, b, e -> 3 of the 8-item catalogue
    assert catalogue_coverage(RECS, list("abcdefgh"), 2) == pytest.approx(3 / 8)
    assert catalogue_coverage(RECS, list("abcdefgh"), 4) == pytest.approx(7 / 8)


@pytest.mark.parametrize("k", [0, -3, 2.5, True])
def test_k_must_be_positive(k) -> None:
    for metric in (precision_at_k, recall_at_k, ndcg_at_k):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            metric(RECS, RELEVANT, k)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        catalogue_coverage(RECS, ["a"], k)


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        rmse([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        mae([], [])


def test_score_predictions_ranks_each_users_test_items() -> None:
    test = as_ratings([(1, "a", 5), (1, "b", 2), (1, "c", 4), (2, "a", 3), (2, "d", 5)])
    pred = np.array([4.0, 4.5, 3.0, 5.0, 1.0])
    scores = score_predictions(test, pred, k=1)
    # user 1 ranks b (2, not relevant) first; user 2 ranks a (3, not relevant) first
    assert scores["precision@1"] == 0.0 and scores["recall@1"] == 0.0
    scores = score_predictions(test, pred, k=2)
    # user 1: b, a -> 1 hit of 2 relevant (a, c); user 2: a, d -> 1 hit of 1
    assert scores["precision@2"] == pytest.approx(0.5)
    assert scores["recall@2"] == pytest.approx((0.5 + 1) / 2)
    assert scores["coverage"] == pytest.approx(3 / 4)  # a, b, d of a, b, c, d
    assert scores["rmse"] == pytest.approx(rmse(test.rating, pred))
