"""What every recommender shares: the ratings it is fitted on, the fallback, ``predict``
and ``recommend``.

A recommender is fitted on explicit ratings (:class:`~cortexkit.recommend.Ratings`, a
DataFrame with ``user``, ``item`` and ``rating`` columns, or rows of those) and then

- ``predict(users, items)`` gives the predicted rating of each (user, item) pair;
- ``recommend(user, k=10, exclude_seen=True)`` gives the user's ``k`` best items.

**Orientation.** ``based="item"`` makes each item a training *case*, described by its
ratings over the users; ``based="user"`` makes each user a case, described by ratings over
the items. The training ratings are held as a sparse matrix of cases by the other side
(:class:`~cortexkit.recommend.sparse.RatingMatrix`), kept in the fitted model: it is the
input from which a case's ratings are predicted, and it says what a user has already seen.

**Fallback.** A pair whose user is unknown (not in the training ratings) gets the item's
mean rating, shrunk towards the global mean by :data:`SHRINKAGE` pseudo-ratings (an item
rated once by a 5 is not a sure 5); a pair whose item is unknown gets the global mean.
``recommend`` for an unknown user ranks the items by that same fallback.

**Validation.** ``validation_fraction`` holds out that share of the training ratings
(chosen at random, not whole users or items): they are removed from the input while
training, scored each epoch (``val_loss``, ``val_rmse``) and put back for prediction.
``fit(ratings, validation_data=held_out)`` scores your own held-out ratings instead.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit.data.ratings import Ratings, as_ratings
from cortexkit.recommend.sparse import RatingMatrix

__all__ = ["SHRINKAGE", "RecommenderMixin"]

SHRINKAGE = 5.0  # pseudo-ratings at the global mean in the fallback item means


class RecommenderMixin(ABC):
    """The shared part of every recommender (see the module's docstring); it comes before
    the estimator base in the class's bases."""

    fitted_params_: dict[str, Any]  # the parameters as frozen at fit (set by the base)
    _fit_input = "ratings"  # what fit takes (the shared estimator tests read it)
    _full: RatingMatrix  # every training rating (what prediction reads)
    _matrix: RatingMatrix  # the training input (without held-out validation ratings)

    # -- fit ------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Train on the ratings ``X`` (``y`` is unused); ``validation_data=`` takes held-out
        ratings to score each epoch."""
        super().fit(X, y, **fit_params)  # type: ignore[misc]
        self._matrix = self._full  # held-out validation ratings are input again
        return self

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> tuple[Tensor]:
        if y is not None:
            raise ValueError(
                f"{type(self).__name__}.fit takes the ratings alone (a table of user, item, "
                "rating); y must be None"
            )
        if kwargs:
            raise TypeError(f"unexpected fit arguments: {sorted(kwargs)}")
        ratings = as_ratings(X)
        if fitting:
            _check_enough_ratings(ratings)
            self._encode(ratings)
        else:  # partial_fit on a fitted model: ratings of the users and items it knows
            self._full = self._matrix_of(ratings, drop_unknown=True)
            self._matrix = self._full
        return (torch.arange(self._full.shape[0]),)

    def _encode(self, ratings: Ratings) -> None:
        self.user_ids_ = np.unique(ratings.user)
        self.item_ids_ = np.unique(ratings.item)
        self.rating_scale_ = (float(ratings.scale[0]), float(ratings.scale[1]))
        values = self._fallback_values(ratings.rating)
        self.global_mean_ = float(values.mean())
        items = pd.Index(self.item_ids_).get_indexer(ratings.item)
        sums = np.bincount(items, values, minlength=len(self.item_ids_))
        counts = np.bincount(items, minlength=len(self.item_ids_))
        self.item_means_ = (sums + SHRINKAGE * self.global_mean_) / (counts + SHRINKAGE)
        self._check_ratings(ratings)
        self._full = self._matrix_of(ratings)
        self._matrix = self._full
        digest = hashlib.sha256(self._full.indices.numpy().tobytes())
        digest.update(self._full.values.numpy().tobytes())
        self._ratings_digest = digest.hexdigest()

    def _fallback_values(self, rating: np.ndarray) -> np.ndarray:
        """What the fallback means average: the ratings (a binary model: likes)."""
        return rating

    def _check_ratings(self, ratings: Ratings) -> None:  # noqa: B027 (optional hook)
        """A family's own checks on the training ratings (discrete levels, say); none by
        default."""

    def _codes(self, users: Any, items: Any) -> tuple[np.ndarray, np.ndarray]:
        """Each user's and item's index in the fitted model, -1 where unknown."""
        u = pd.Index(self.user_ids_).get_indexer(_like(self.user_ids_, users))
        i = pd.Index(self.item_ids_).get_indexer(_like(self.item_ids_, items))
        return u, i

    @property
    def _based(self) -> str:
        """The orientation the model was fitted with: ``"item"`` or ``"user"``."""
        return str(self.fitted_params_["based"])

    def _orient(self, u: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(case, other) indices of (user, item) pairs."""
        return (i, u) if self._based == "item" else (u, i)

    def _matrix_of(self, ratings: Ratings, *, drop_unknown: bool = False) -> RatingMatrix:
        u, i = self._codes(ratings.user, ratings.item)
        known = (u >= 0) & (i >= 0)
        if not drop_unknown and not known.all():  # pragma: no cover - fit's own ids
            raise AssertionError("ratings outside the fitted ids")
        cases, others = self._orient(u[known], i[known])
        shape = self._shape()
        return RatingMatrix.from_coo(
            torch.from_numpy(cases),
            torch.from_numpy(others),
            torch.from_numpy(ratings.rating[known]),
            shape,
        )

    def _shape(self) -> tuple[int, int]:
        n_users, n_items = len(self.user_ids_), len(self.item_ids_)
        return (n_items, n_users) if self._based == "item" else (n_users, n_items)

    def _target_state(self) -> dict[str, Any]:
        """What a resumed run's ratings must share with the checkpoint's."""
        return {"ratings": self._full.nnz, "sha256": self._ratings_digest}

    def _validation(
        self, parts: Any, validation_data: Any, generator: torch.Generator
    ) -> tuple[Any, tuple[Tensor, ...] | None]:
        device = self._device()  # type: ignore[attr-defined]
        if validation_data is not None:
            held = self._matrix_of(
                as_ratings(validation_data, name="validation_data"), drop_unknown=True
            )
            if not held.nnz:
                raise ValueError(
                    "validation_data holds no rating of a user and item in the training ratings"
                )
            return parts, tuple(t.to(device) for t in (held.row_of(), held.indices, held.values))
        fraction = float(getattr(self, "validation_fraction", 0.0) or 0.0)
        n_val = round(fraction * self._full.nnz)
        if n_val < 1:
            return parts, None
        chosen = torch.zeros(self._full.nnz, dtype=torch.bool)
        chosen[torch.randperm(self._full.nnz, generator=generator)[:n_val]] = True
        full, rows = self._full, self._full.row_of()
        self._matrix = RatingMatrix.from_coo(
            rows[~chosen], full.indices[~chosen], full.values[~chosen], full.shape
        )
        kept = (rows[chosen], full.indices[chosen], full.values[chosen])
        return parts, tuple(t.to(device) for t in kept)

    # -- predictions ------------------------------------------------------------------------

    @abstractmethod
    def _predict_pairs(self, cases: Tensor, others: Tensor) -> Tensor:
        """The model's predictions for known (case, other) pairs, from the training input."""

    def _pairs(self, users: Any, items: Any) -> tuple[Any, Any]:
        if items is not None:
            users, items = (
                np.atleast_1d(np.asarray(users, dtype=object)),
                np.atleast_1d(np.asarray(items, dtype=object)),
            )
            if users.shape != items.shape:
                raise ValueError(
                    f"users and items differ in length: {users.shape[0]} and {items.shape[0]}"
                )
            return users, items
        if isinstance(users, Ratings):
            return users.user, users.item
        frame = users if isinstance(users, pd.DataFrame) else None
        if frame is None:
            rows = np.asarray(users, dtype=object)
            if rows.ndim != 2 or rows.shape[1] < 2:
                raise ValueError(
                    "predict takes (users, items), or one table of user and item "
                    f"columns; got an array of shape {rows.shape}"
                )
            return rows[:, 0], rows[:, 1]
        named = {str(c).lower().replace("_", ""): c for c in frame.columns}
        user_col = next((named[a] for a in ("user", "userid") if a in named), None)
        item_col = next((named[a] for a in ("item", "itemid", "movieid") if a in named), None)
        if user_col is None or item_col is None:
            raise ValueError(
                f"predict's table needs user and item columns; found {list(frame.columns)}"
            )
        return frame[user_col].to_numpy(), frame[item_col].to_numpy()

    def predict(self, users: Any, items: Any = None) -> np.ndarray:
        """The predicted rating of each (user, item) pair.

        ``predict(users, items)`` with two equal-length sequences, or ``predict(table)``
        with a table (Ratings, DataFrame) of user and item columns. Unknown users and items
        get the fallback (see the module's docstring).
        """
        check_is_fitted(self, "item_means_")
        users, items = self._pairs(users, items)
        return self._clip(self._scores(users, items))

    def _scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The predictions before clipping to the rating scale: they rank the items that
        clipping ties (many at the top of the scale)."""
        u, i = self._codes(users, items)
        out = np.full(len(u), self.global_mean_)
        out[i >= 0] = self.item_means_[i[i >= 0]]
        known = (u >= 0) & (i >= 0)
        if known.any():
            cases, others = self._orient(u[known], i[known])
            device = self._device()  # type: ignore[attr-defined]
            with torch.no_grad():
                pred = self._predict_pairs(
                    torch.from_numpy(cases).to(device), torch.from_numpy(others).to(device)
                )
            out[known] = pred.double().cpu().numpy()
        return out

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, *self.rating_scale_)

    def seen_items(self, user: Any) -> np.ndarray:
        """The items ``user`` rated in the training ratings (none for an unknown user)."""
        check_is_fitted(self, "item_means_")
        code = self._user_code(user)
        if code < 0:
            return self.item_ids_[:0]
        m = self._full
        if self._based == "user":
            return self.item_ids_[m.indices[m.indptr[code] : m.indptr[code + 1]].numpy()]
        rows = m.row_of()[m.indices == code]
        return self.item_ids_[rows.numpy()]

    def _user_code(self, user: Any) -> int:
        return int(pd.Index(self.user_ids_).get_indexer(_like(self.user_ids_, [user]))[0])

    def recommend(self, user: Any, k: int = 10, exclude_seen: bool = True) -> pd.DataFrame:
        """The ``k`` items with the highest predicted rating for ``user``, best first.

        Returns a DataFrame with columns ``item`` and ``score`` (the predicted rating,
        clipped to the scale; items are ranked before clipping, so that several at the top
        of the scale keep their order). With
        ``exclude_seen=True`` the items the user rated in training are left out. An unknown
        user gets the items with the highest fallback (shrunk mean) rating.

        Raises
        ------
        ValueError
            If ``k`` is not a positive integer.
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0:
            raise ValueError(f"k must be a positive integer; got {k!r}")
        check_is_fitted(self, "item_means_")
        items = self.item_ids_
        code = self._user_code(user)
        if code < 0:
            scores = self.item_means_.copy()
        else:
            scores = self._scores(np.full(len(items), self.user_ids_[code], dtype=object), items)
            if exclude_seen:
                seen = pd.Index(items).get_indexer(self.seen_items(user))
                scores[seen] = -np.inf
        order = np.argsort(-scores, kind="stable")[: int(k)]  # unclipped: no ties at the top
        order = order[np.isfinite(scores[order])]
        return pd.DataFrame({"item": items[order], "score": self._clip(scores[order])})

    # -- model files --------------------------------------------------------------------------

    def _recommender_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        meta = {
            "user_ids_": [_plain(v) for v in self.user_ids_],
            "item_ids_": [_plain(v) for v in self.item_ids_],
            "rating_scale_": list(self.rating_scale_),
            "global_mean_": self.global_mean_,
            "shape": list(self._full.shape),
            "ratings_digest": self._ratings_digest,
        }
        m = self._full
        tensors = {
            "ratings.indptr": m.indptr,
            "ratings.indices": m.indices,
            "ratings.values": m.values,
            "item_means_": torch.from_numpy(self.item_means_),
        }
        return meta, tensors

    def _set_recommender_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self.user_ids_ = _ids_array(meta["user_ids_"])
        self.item_ids_ = _ids_array(meta["item_ids_"])
        low, high = (float(v) for v in meta["rating_scale_"])
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"rating_scale_ is {[low, high]}, not finite with low < high")
        self.rating_scale_ = (low, high)
        self.global_mean_ = float(meta["global_mean_"])
        self.item_means_ = tensors["item_means_"].double().numpy()
        shape = (int(meta["shape"][0]), int(meta["shape"][1]))
        if shape != self._shape() or len(self.item_means_) != len(self.item_ids_):
            raise ValueError("the ratings matrix does not fit the user and item lists")
        _check_unique(self.user_ids_, "user_ids_")
        _check_unique(self.item_ids_, "item_ids_")
        self._full = RatingMatrix(
            tensors["ratings.indptr"].long(),
            tensors["ratings.indices"].long(),
            tensors["ratings.values"].float(),
            shape,
        )
        m = self._full
        if (
            len(m.indptr) != shape[0] + 1
            or int(m.indptr[-1]) != m.nnz
            or (m.nnz and not 0 <= int(m.indices.min()) <= int(m.indices.max()) < shape[1])
        ):
            raise ValueError("the stored ratings matrix is inconsistent")
        self._matrix = self._full
        self._ratings_digest = str(meta["ratings_digest"])


def _like(reference: np.ndarray, values: Any) -> np.ndarray:
    """``values`` as the fitted identifiers' type: integers typed as text (a command line's
    ``--user 42``) are matched with integer identifiers."""
    values = np.atleast_1d(np.asarray(values, dtype=object))
    if reference.dtype.kind in "iu":
        out = np.empty(len(values), dtype=object)
        for j, v in enumerate(values):
            try:
                out[j] = int(v) if not isinstance(v, float) or float(v).is_integer() else v
            except (TypeError, ValueError):
                out[j] = v
        return out
    return np.asarray([str(v) for v in values], dtype=object)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_unique(ids: np.ndarray, name: str) -> None:
    """A ValueError where a model file lists one identifier twice: that user or item would
    have two rows, and no lookup could tell them apart."""
    index = pd.Index(ids)
    if not index.is_unique:
        twice = index[index.duplicated()].unique()
        raise ValueError(
            f"{name} lists {len(twice)} identifier(s) twice or more, e.g. {twice[0]!r}"
        )


def _ids_array(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, int) for v in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray([str(v) for v in values], dtype=object)


def _check_enough_ratings(ratings: Ratings) -> None:
    """Refuse ratings with fewer than 2 distinct users or items, before any training: one
    user (or one item) leaves nothing to learn from the others."""
    if ratings.n_users < 2 or ratings.n_items < 2:
        pair = " (a user-item pair rated twice counts once, the latest)" if len(ratings) else ""
        raise ValueError(
            f"the ratings hold {len(ratings)} distinct rating(s) by {ratings.n_users} user(s) "
            f"of {ratings.n_items} item(s){pair}: a recommender needs at least 2 users and 2 "
            "items"
        )
