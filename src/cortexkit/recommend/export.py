"""AutoRec's ONNX export (see :mod:`cortexkit.export`).

Input: ``input``, float32 ``(batch, n)``: each row one case's ratings, NaN where it has
none. For ``based="user"`` a case is a user and ``n`` the items, in the order of
``item_ids_`` (metadata ``columns``); for ``based="item"`` a case is an item and ``n`` the
users, in the order of ``user_ids_``. ``input_offset`` is added inside. Output:
``ratings`` ``(batch, n)``: the predicted rating of every item for that user (of every
user for that item), clipped to ``rating_scale_``: for a user of the training ratings with
their training ratings as input, what ``predict(user, item)`` gives for each item.
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

from cortexkit.export import OnnxGraph

__all__ = ["AutoRecExport"]


class AutoRecExport:
    """``_onnx_graph`` for :class:`~cortexkit.recommend.AutoRecRecommender` (a mixin)."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        user = self._based == "user"
        ids = self.item_ids_ if user else self.user_ids_
        case, other = ("user", "item") if user else ("item", "user")
        low, high = self.rating_scale_
        row = RatingRow(self.network_, float(self.fitted_params_["input_offset"]), low, high)
        return OnnxGraph(
            row, torch.full((2, len(ids)), float("nan")), "ratings",
            f"float32 (batch, {len(ids)}): a {case}'s rating of each {other} (columns as "
            "metadata 'columns'), NaN where there is none",
            f"float32 (batch, {len(ids)}): the predicted rating of each {other}, clipped to "
            f"[{low:g}, {high:g}]",
            metadata={"based": self._based, "columns": ids.tolist()},
        )  # fmt: skip


class RatingRow(nn.Module):
    """Rating rows (NaN: none) to predicted rating rows: the observed ratings plus
    ``offset`` (missing ones 0), the autoencoder's pass, clipped to ``[low, high]``."""

    def __init__(self, network: nn.Module, offset: float, low: float, high: float) -> None:
        super().__init__()
        self.network, self.offset, self.low, self.high = network, offset, low, high

    def forward(self, ratings: Tensor) -> Tensor:
        observed = ~torch.isnan(ratings)
        x = torch.where(observed, ratings + self.offset, torch.zeros_like(ratings))
        return self.network(x).clamp(self.low, self.high)  # type: ignore[no-any-return]
