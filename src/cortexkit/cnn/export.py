"""The CNN's ONNX export (see :mod:`cortexkit.export`).

Input: ``input``, float32 ``(batch, n_channels_, height, width)`` at ``image_size_``: the
images' raw pixel values (0-255 for 8-bit images), channels first; the per-channel
normalisation of the training images is inside. (``predict`` also takes ``(N, H, W)`` and
``(N, H, W, C)`` arrays, folders and other sizes, which it rearranges and resizes first.)
Output: ``probabilities`` ``(batch, n_classes)``, ``predict_proba``, columns as
``classes_``.
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from cortexkit.export import ClassProbabilities, OnnxGraph

__all__ = ["ImageExport"]


class ImageExport:
    """``_onnx_graph`` for :class:`~cortexkit.cnn.base.BaseCNN` (a mixin)."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        shape = (int(self.n_channels_), *(int(s) for s in self.image_size_))
        return OnnxGraph(
            nn.Sequential(self.network_, ClassProbabilities()),  # a unit per class: softmax
            torch.zeros(2, *shape),
            "probabilities",
            f"float32 (batch, {', '.join(map(str, shape))}): images (channels, height, width), "
            "raw pixel values",
            f"float32 (batch, {len(self.classes_)}): predict_proba, columns as metadata 'classes'",
            metadata={"classes": self.classes_.tolist()},
        )
