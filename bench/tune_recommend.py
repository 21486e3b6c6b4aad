"""How the recommenders' defaults were chosen: on a validation split of u1.base only.

The test folds (u1.test .. u5.test) are never looked at here. A random 10% of the ratings
in MovieLens-100K's ``u1.base`` (seed 0) is held out; each candidate is fitted on the other
90% with ``validation_data=`` the held-out ratings, so one fit gives the validation RMSE
after every epoch (the best epoch count is read off the curve). Pinned to one thread.

Usage: ``python bench/tune_recommend.py [autorec|rbm] [--path ML100K_FOLDER]``. The
results are in ``bench/README.md`` (Recommender systems); the choices in
``cortexkit.defaults`` (``AUTOREC``, ``BOLTZMANN_RECOMMENDER``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from cortexkit.datasets import movielens_path
from cortexkit.recommend import random_split, read_ratings
from cortexkit.recommend.autorec import AutoRecRecommender
from cortexkit.recommend.boltzmann import BoltzmannRecommender

CANDIDATES = {
    "autorec": [
        {"learning_rate": 3e-3, "weight_decay": 200.0, "epochs": 300},
        {"learning_rate": 1e-2, "weight_decay": 200.0, "epochs": 150},
        {"learning_rate": 3e-3, "weight_decay": 100.0, "epochs": 300},
        {"learning_rate": 1e-2, "weight_decay": 400.0, "epochs": 150},
    ],
    "rbm": [
        {"learning_rate": 0.1, "weight_decay": 0.01, "epochs": 40},
        {"learning_rate": 0.05, "weight_decay": 0.01, "epochs": 40},
        {"learning_rate": 0.1, "weight_decay": 0.03, "epochs": 20},
        {"learning_rate": 0.05, "weight_decay": 0.01, "n_hidden": 200, "epochs": 20},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("family", choices=sorted(CANDIDATES))
    parser.add_argument("--path", default=None)
    parser.add_argument("--only", nargs="*", help="candidates to run (as printed dicts)")
    args = parser.parse_args()
    folder = movielens_path("100k", args.path)
    train, val = random_split(read_ratings(folder / "u1.base"), 0.1, random_state=0)
    torch.set_num_threads(1)
    print("| candidate | best epoch | val RMSE at best | val RMSE at last | s/epoch |")
    print("| --- | ---: | ---: | ---: | ---: |")
    parser_only = [c for c in CANDIDATES[args.family] if args.only is None or str(c) in args.only]
    for params in parser_only:
        cls = AutoRecRecommender if args.family == "autorec" else BoltzmannRecommender
        est = cls(random_state=0, device="cpu", **params)
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t0 = time.perf_counter()
            est.fit(train, validation_data=val)
            seconds = time.perf_counter() - t0
        curve = np.asarray(est.history_["val_rmse"])
        best = int(np.argmin(curve))
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        print(
            f"| {shown} | {best + 1} | {curve[best]:.4f} | {curve[-1]:.4f} | "
            f"{seconds / len(curve):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
