"""The recommenders: AutoRec and the RBM on MovieLens 100K when it is in the cache, else
on a generated latent-factor ratings set (labelled as generated in the table and report).

Each model is scored by RMSE on held-out ratings (MovieLens: the standard u1 split;
generated: a random 20%) against the fallback every recommender uses for an unknown user,
the item's mean rating. The report shows one user's top 10, with titles where known.
"""

from __future__ import annotations

import time

from cortexkit.data.ratings import Ratings
from cortexkit.demo.common import DemoResult

__all__ = ["FAMILIES", "recommenders"]

GENERATED = "generated latent-factor ratings (not MovieLens)"


def _data() -> tuple[str, Ratings, Ratings, dict[object, str]]:
    """(label, train, test, titles): MovieLens 100K u1 when cached, else generated."""
    from cortexkit.data.datasets import load_movielens, movielens_path
    from cortexkit.recommend import random_split
    from cortexkit.recommend.synthetic import latent_factor_ratings

    try:
        folder = movielens_path("100k", download=False)
    except FileNotFoundError:
        ratings = latent_factor_ratings(500, 300, density=0.3, random_state=0)
        train, test = random_split(ratings, 0.2, random_state=0)
        return GENERATED, train, test, {}
    ml = load_movielens("100k", folder)
    if ml.n_folds:
        train, test = ml.fold(1)
    else:
        train, test = random_split(ml.ratings, 0.2, random_state=0)
    return "MovieLens 100K (u1 split)", train, test, ml.titles


def recommenders(quick: bool) -> list[DemoResult]:
    """AutoRec (item-based) and the item-based RBM; the fallback is the baseline."""
    import numpy as np

    from cortexkit.defaults import AUTOREC
    from cortexkit.recommend import rmse
    from cortexkit.recommend.autorec import AutoRecRecommender
    from cortexkit.recommend.boltzmann import BoltzmannRecommender

    label, train, test, titles = _data()
    models: list[AutoRecRecommender | BoltzmannRecommender] = [
        # its defaults; quick: 60 epochs (its learning rate decays over the epochs given,
        # and 30 left it short of the item means on the generated set)
        AutoRecRecommender(epochs=60 if quick else AUTOREC.epochs, random_state=0),
        BoltzmannRecommender(epochs=8 if quick else 30, random_state=0),
    ]
    results = []
    task = "ratings 1-5" + (" (generated)" if label == GENERATED else "")
    for model in models:
        t0 = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - t0
        pred = model.predict(test.user, test.item)  # type: ignore[attr-defined]
        _u, i = model._codes(test.user, test.item)
        baseline = np.where(i >= 0, model.item_means_[np.maximum(i, 0)], model.global_mean_)
        user = model.user_ids_[0]
        # the report shows the user's top 10 as a table, with titles where the data has them
        results.append(
            DemoResult(
                label,
                task,
                type(model).__name__,
                "RMSE (lower is better)",
                rmse(test.rating, pred),
                rmse(test.rating, baseline),
                seconds,
                model.history_,
                curve="rmse",
                estimator=model,
                context={"user": user, "titles": titles},
            )
        )
    return results


FAMILIES = [recommenders]
