"""Train/test splits of ratings: random, per-user leave-k-out, and temporal.

Each returns ``(train, test)``, two :class:`~cortexkit.recommend.Ratings` that share no
(user, item) pair.

Examples
--------
>>> from cortexkit.recommend import as_ratings, leave_k_out
>>> r = as_ratings([(1, i, 3) for i in range(5)] + [(2, 0, 4)])
>>> train, test = leave_k_out(r, k=2, random_state=0)
>>> len(train), len(test)  # user 2 has one rating: it stays in training
(4, 2)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cortexkit.data.ratings import Ratings

__all__ = ["SPLITS", "leave_k_out", "random_split", "split", "temporal_split"]

SPLITS = ("random", "leave-k-out", "temporal")


def _fraction(test_size: float) -> float:
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction between 0 and 1; got {test_size!r}")
    return float(test_size)


def random_split(
    ratings: Ratings, test_size: float = 0.2, *, random_state: int | None = None
) -> tuple[Ratings, Ratings]:
    """A random ``test_size`` share of the ratings is held out.

    Examples
    --------
    >>> from cortexkit.recommend import as_ratings, random_split
    >>> r = as_ratings([(u, i, 3) for u in range(10) for i in range(10)])
    >>> [len(p) for p in random_split(r, 0.2, random_state=0)]
    [80, 20]
    """
    n = len(ratings)
    n_test = round(_fraction(test_size) * n)
    if n_test < 1 or n_test >= n:
        raise ValueError(f"test_size={test_size} of {n} ratings leaves an empty part")
    order = np.random.default_rng(random_state).permutation(n)
    return ratings.take(np.sort(order[n_test:])), ratings.take(np.sort(order[:n_test]))


def leave_k_out(
    ratings: Ratings, k: int = 1, *, random_state: int | None = None
) -> tuple[Ratings, Ratings]:
    """``k`` random ratings of each user are held out; a user with ``k`` ratings or fewer
    keeps them all in training (nothing would be left to learn the user from).
    """
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    rng = np.random.default_rng(random_state)
    keys = rng.random(len(ratings))
    frame = pd.DataFrame({"user": ratings.user, "key": keys})
    rank = frame.groupby("user", sort=False)["key"].rank(method="first").to_numpy()
    count = frame.groupby("user", sort=False)["key"].transform("size").to_numpy()
    test = (rank <= k) & (count > k)
    return ratings.take(~test), ratings.take(test)


def temporal_split(ratings: Ratings, test_size: float = 0.2) -> tuple[Ratings, Ratings]:
    """The latest ``test_size`` share of the ratings (by timestamp; ties by row) is held
    out: the model is scored on the future, as it would be used.

    Raises
    ------
    ValueError
        If the ratings have no timestamps.
    """
    if ratings.timestamp is None:
        raise ValueError("a temporal split needs timestamps; these ratings have none")
    n = len(ratings)
    n_test = round(_fraction(test_size) * n)
    if n_test < 1 or n_test >= n:
        raise ValueError(f"test_size={test_size} of {n} ratings leaves an empty part")
    order = np.lexsort((np.arange(n), ratings.timestamp))
    return ratings.take(np.sort(order[: n - n_test])), ratings.take(np.sort(order[n - n_test :]))


def split(
    ratings: Ratings,
    how: str = "random",
    *,
    test_size: float = 0.2,
    k: int = 1,
    random_state: int | None = None,
) -> tuple[Ratings, Ratings]:
    """One of :data:`SPLITS` by name (``test_size`` for random and temporal, ``k`` for
    leave-k-out).

    Examples
    --------
    >>> from cortexkit.recommend import as_ratings, split
    >>> r = as_ratings([(1, 1, 3, 10), (1, 2, 4, 20), (2, 1, 5, 30), (2, 2, 1, 40)])
    >>> split(r, "temporal", test_size=0.25)[1].timestamp.tolist()
    [40]
    """
    if how == "random":
        return random_split(ratings, test_size, random_state=random_state)
    if how == "leave-k-out":
        return leave_k_out(ratings, k, random_state=random_state)
    if how == "temporal":
        return temporal_split(ratings, test_size)
    raise ValueError(f"split must be one of {list(SPLITS)}; got {how!r}")
