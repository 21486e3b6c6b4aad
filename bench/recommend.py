"""The recommenders against Surprise on MovieLens 100K's five standard splits (u1..u5).

Every model is fitted on ``uN.base`` and scored on ``uN.test`` with the same function
(:func:`cortexkit.recommend.evaluate.score_predictions`): RMSE, MAE, and precision@10 /
NDCG@10 by ranking each user's test items by predicted rating (relevant: rated >= 4).
Contenders, with their defaults:

- ``AutoRecRecommender(based="item")`` (I-AutoRec) and ``based="user"`` (U-AutoRec);
- ``BoltzmannRecommender(model="rbm", based="item")``, ``based="user"``, ``model="dbm"``;
- Surprise 1.1 ``SVD()``, ``KNNBaseline()``, ``BaselineOnly()`` (``pip install
  scikit-surprise``; the bench extra, never a runtime dependency).

This machine is shared, so the whole table is run pinned to one thread (torch and BLAS,
``threadpoolctl``), the models of a fold interleaved; ``--threads 2`` reruns fold 1 at two
threads for the fit-time column's ratio. Medians of the per-fold fit times are shown.

Usage: ``python bench/recommend.py [--folds 1,2,3,4,5] [--only NAME,...] [--path FOLDER]``.
Needs MovieLens 100K with its splits (``shared/data/movielens-100k/fetch.sh``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from cortexkit import AutoRecRecommender, BoltzmannRecommender
from cortexkit.data.datasets import load_movielens
from cortexkit.recommend import Ratings
from cortexkit.recommend.evaluate import score_predictions


class _Surprise:
    """A Surprise algorithm behind ``fit(ratings)`` / ``predict(users, items)``."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def fit(self, ratings: Ratings) -> _Surprise:
        from surprise import Dataset, Reader

        frame = ratings.to_frame()[["user", "item", "rating"]]
        data = Dataset.load_from_df(frame, Reader(rating_scale=ratings.scale))
        self.algo = self.make()
        self.algo.fit(data.build_full_trainset())
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.array([self.algo.predict(u, i).est for u, i in zip(users, items, strict=True)])


def _surprise(name: str) -> Callable[[], _Surprise]:
    def make() -> _Surprise:
        import surprise

        def algo() -> Any:
            if name == "KNNBaseline":
                return surprise.KNNBaseline(verbose=False)
            if name == "BaselineOnly":
                return surprise.BaselineOnly(verbose=False)
            return surprise.SVD(random_state=0)

        return _Surprise(algo)

    return make


CONTENDERS: dict[str, Callable[[], Any]] = {
    "I-AutoRec (cortexkit)": lambda: AutoRecRecommender("item", random_state=0, device="cpu"),
    "U-AutoRec (cortexkit)": lambda: AutoRecRecommender("user", random_state=0, device="cpu"),
    "item RBM (cortexkit)": lambda: BoltzmannRecommender(
        "rbm", "item", random_state=0, device="cpu"
    ),
    "user RBM (cortexkit)": lambda: BoltzmannRecommender(
        "rbm", "user", random_state=0, device="cpu"
    ),
    "item DBM (cortexkit)": lambda: BoltzmannRecommender(
        "dbm", "item", random_state=0, device="cpu"
    ),
    "Surprise SVD": _surprise("SVD"),
    "Surprise KNNBaseline": _surprise("KNNBaseline"),
    "Surprise BaselineOnly": _surprise("BaselineOnly"),
}


def run_fold(name: str, train: Ratings, test: Ratings, threads: int) -> dict[str, float]:
    torch.set_num_threads(threads)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = CONTENDERS[name]()
        t0 = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - t0
        scores = score_predictions(test, model.predict(test.user, test.item), k=10)
    scores["fit_s"] = seconds
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="1,2,3,4,5")
    parser.add_argument("--only", help="comma-separated contender names")
    parser.add_argument("--threads", type=int, default=1, help="also time fold 1 at this many")
    parser.add_argument("--path", help="the MovieLens 100K folder (default: the cache)")
    args = parser.parse_args()
    ml = load_movielens("100k", args.path)
    names = [n for n in CONTENDERS if not args.only or n in args.only.split(",")]
    folds = [int(f) for f in args.folds.split(",")]
    results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for fold in folds:
        train, test = ml.fold(fold)
        for name in names:
            results[name].append(run_fold(name, train, test, 1))
            r = results[name][-1]
            print(f"fold {fold} {name}: RMSE {r['rmse']:.4f}, {r['fit_s']:.1f} s", flush=True)
    two: dict[str, float] = {}
    if args.threads > 1:
        train, test = ml.fold(folds[0])
        two = {n: run_fold(n, train, test, args.threads)["fit_s"] for n in names}
    print(
        f"\nMovieLens 100K, folds {args.folds}: mean over folds; fit time median per fold, "
        "1 thread" + (f" (and {args.threads} threads, fold {folds[0]})" if two else "")
    )
    print()
    extra = f" | fit s ({args.threads} thr.)" if two else ""
    print(f"| model | RMSE | MAE | precision@10 | NDCG@10 | fit s (1 thr.){extra} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if two else ""))
    for name in names:
        rs = results[name]
        mean = {k: float(np.mean([r[k] for r in rs])) for k in rs[0]}
        fit = statistics.median(r["fit_s"] for r in rs)
        cells = [
            f"{mean['rmse']:.4f}",
            f"{mean['mae']:.4f}",
            f"{mean['precision@10']:.4f}",
            f"{mean['ndcg@10']:.4f}",
            f"{fit:.1f}",
        ]
        if two:
            cells.append(f"{two[name]:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
