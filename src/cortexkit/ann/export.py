"""The dense networks' ONNX export (see :mod:`cortexkit.export`).

Input: ``input``, float32 ``(batch, n_features_in_)``, the numeric array ``predict`` takes
(a model trained by ``cortexkit train ann`` has its table's standardisation in front: see
``to_onnx``'s ``encoder``). Output: ``probabilities`` ``(batch, n_classes)``, columns as
``classes_`` (a classifier), or ``prediction`` in the targets' units, ``(batch,)`` or
``(batch, n_outputs)`` (a regressor).
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from cortexkit.export import ClassProbabilities, OnnxGraph, Unscale

__all__ = ["DenseExport"]


class DenseExport:
    """``_onnx_graph`` for :class:`~cortexkit.ann.base.BaseANN` (a mixin)."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        width = int(self.n_features_in_)
        example = torch.zeros(2, width)
        meta: dict[str, Any] = {}
        if hasattr(self, "feature_names_in_"):
            meta["feature_names"] = [str(c) for c in self.feature_names_in_]
        if isinstance(self, ClassifierMixin):
            meta["classes"] = self.classes_.tolist()
            return OnnxGraph(
                nn.Sequential(self.network_, ClassProbabilities()), example, "probabilities",
                f"float32 (batch, {width}): the features predict_proba takes",
                f"float32 (batch, {len(self.classes_)}): predict_proba, columns as "
                "metadata 'classes'",
                metadata=meta, table=True,
            )  # fmt: skip
        scaling = self._y_scaling
        shape = "(batch,)" if scaling.one_d else f"(batch, {scaling.n_outputs})"
        return OnnxGraph(
            nn.Sequential(self.network_, Unscale(scaling.mean, scaling.std, one_d=scaling.one_d)),
            example, "prediction",
            f"float32 (batch, {width}): the features predict takes",
            f"float32 {shape}: predict, in the targets' units",
            metadata=meta, table=True,
        )  # fmt: skip
