"""Small ratings sets for the recommender tests."""

from __future__ import annotations

import pytest

from cortexkit.recommend import Ratings, random_split
from cortexkit.recommend.synthetic import latent_factor_ratings


@pytest.fixture(scope="session")
def ratings() -> Ratings:
    return latent_factor_ratings(100, 120, density=0.4, random_state=0)


@pytest.fixture(scope="session")
def split_ratings(ratings: Ratings) -> tuple[Ratings, Ratings]:
    return random_split(ratings, 0.2, random_state=0)
