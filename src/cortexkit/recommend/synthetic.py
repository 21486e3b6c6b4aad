"""A generated ratings set with a known latent-factor structure (for demos and tests).

Each user ``u`` and item ``i`` gets ``rank`` latent factors drawn from N(0, 1); the rating
is ``round(3 + 0.8 * p_u . q_i + b_i + e)``, clipped to 1..5, with an item bias
``b_i ~ N(0, 0.5^2)`` and noise ``e ~ N(0, 0.3^2)``. A random ``density`` share of the
(user, item) pairs is observed. A model that finds the factors predicts well; the item
mean alone cannot.

Examples
--------
>>> from cortexkit.recommend.synthetic import latent_factor_ratings
>>> r = latent_factor_ratings(20, 10, density=0.5, random_state=0)
>>> r.scale, set(r.rating.tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
((1.0, 5.0), True)
"""

from __future__ import annotations

import numpy as np

from cortexkit.data.ratings import Ratings, as_ratings

__all__ = ["latent_factor_ratings"]


def latent_factor_ratings(
    n_users: int = 300,
    n_items: int = 200,
    *,
    rank: int = 3,
    density: float = 0.2,
    random_state: int = 0,
) -> Ratings:
    """Ratings of users ``1..n_users`` on items ``101..100 + n_items`` (see the module)."""
    rng = np.random.default_rng(random_state)
    P, Q = rng.normal(size=(n_users, rank)), rng.normal(size=(n_items, rank))
    bias = rng.normal(scale=0.5, size=n_items)
    scores = 3 + 0.8 * P @ Q.T + bias + rng.normal(scale=0.3, size=(n_users, n_items))
    levels = np.clip(np.round(scores), 1, 5)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    return as_ratings(np.c_[users + 1, items + 101, levels[users, items]])
