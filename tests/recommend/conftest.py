"""Small ratings sets for the recommender tests."""

from __future__ import annotations

import numpy as np
import pytest

from cortexkit.recommend import Ratings, as_ratings, random_split


def latent_ratings(n_users: int = 80, n_items: int = 50, *, density: float = 0.5,
                   seed: int = 0) -> Ratings:  # fmt: skip
    """Ratings 1..5 from a rank-3 latent-factor model: ``round(3 + u.v + item bias +
    noise)``, clipped, with a random ``density`` of the pairs observed."""
    rng = np.random.default_rng(seed)
    U, V = rng.normal(size=(n_users, 3)), rng.normal(size=(n_items, 3))
    bias = rng.normal(scale=0.5, size=n_items)
    scores = 3 + 0.8 * U @ V.T + bias + rng.normal(scale=0.3, size=(n_users, n_items))
    levels = np.clip(np.round(scores), 1, 5)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    return as_ratings(np.c_[users + 1, items + 101, levels[users, items]])


@pytest.fixture(scope="session")
def ratings() -> Ratings:
    return latent_ratings()


@pytest.fixture(scope="session")
def split_ratings(ratings: Ratings) -> tuple[Ratings, Ratings]:
    return random_split(ratings, 0.2, random_state=0)
