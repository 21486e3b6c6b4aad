"""The defaults on MovieLens 100K's u1 split (skipped when MovieLens is not in the cache:
``shared/data/movielens-100k/fetch.sh`` puts it there). The five-fold means, against
Surprise, are in ``bench/recommend.py`` / ``bench/README.md``; u1 is the hardest fold."""

from __future__ import annotations

import pytest

from cortexkit import AutoRecRecommender, BoltzmannRecommender
from cortexkit.data.datasets import load_movielens, movielens_path
from cortexkit.recommend import evaluate


@pytest.fixture(scope="module")
def u1():
    try:
        folder = movielens_path("100k", download=False)
    except FileNotFoundError:
        pytest.skip("MovieLens 100K is not in the cache (run shared/data/movielens-100k/fetch.sh)")
    ml = load_movielens("100k", folder)
    if not ml.n_folds:
        pytest.skip("the cached MovieLens 100K lacks the u1..u5 splits")
    return ml.fold(1)


@pytest.mark.slow
def test_item_autorec_defaults_on_u1(u1) -> None:
    train, test = u1
    scores = evaluate(AutoRecRecommender(random_state=0, device="cpu").fit(train), test)
    # Surprise's SVD scores about 0.95 on u1; its item-mean fallback alone about 1.02
    assert scores["rmse"] < 0.91, scores


@pytest.mark.slow
def test_item_rbm_defaults_on_u1(u1) -> None:
    train, test = u1
    scores = evaluate(BoltzmannRecommender(random_state=0, device="cpu").fit(train), test)
    assert scores["rmse"] < 0.95, scores
