"""The autoencoder's ONNX export (see :mod:`cortexkit.export`).

Input: ``input``, float32 ``(batch, *shape)`` where ``shape`` is what ``fit`` saw: the
features of a table ``(n_features_in_,)``, or the images' ``image_shape_`` (``(H, W)``,
``(H, W, C)`` or ``(C, H, W)``), every value observed (the ONNX model takes no mask).
Output: ``reconstruction``, the same shape: ``predict`` (the clean, deterministic pass; a
variational code's mean).
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

from cortexkit.autoencoder.inputs import image_layout
from cortexkit.export import OnnxGraph

__all__ = ["AutoEncoderExport"]


class AutoEncoderExport:
    """``_onnx_graph`` for :class:`~cortexkit.autoencoder.AutoEncoder` (a mixin)."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        shape = (int(self.n_features_in_),) if self.image_shape_ is None else self.image_shape_
        layout = None
        if self.image_shape_ is not None:
            layout = image_layout((1, *shape)) if self._conv() else "flat"
        text = f"float32 (batch, {', '.join(map(str, shape))})"
        return OnnxGraph(
            Reconstruct(self.network_, tuple(shape), layout),
            torch.zeros(2, *shape),
            "reconstruction",
            f"{text}: the rows (or images) predict takes, in the layout fit saw",
            f"{text}: predict, the reconstruction",
            table=self.image_shape_ is None,
        )


class Reconstruct(nn.Module):
    """The network's clean pass, from and to the layout ``fit`` saw: a table as it is
    (``layout`` None), images flattened (``"flat"``) or moved to channels first
    (``"NHW"``, ``"NHWC"``, ``"NCHW"``)."""

    def __init__(self, network: nn.Module, shape: tuple[int, ...], layout: str | None) -> None:
        super().__init__()
        self.network, self.shape, self.layout = network, shape, layout

    def forward(self, x: Tensor) -> Tensor:
        if self.layout == "flat":
            return self.network(x.flatten(1)).reshape(-1, *self.shape)  # type: ignore[no-any-return]
        if self.layout == "NHW":
            return self.network(x[:, None])[:, 0]  # type: ignore[no-any-return]
        if self.layout == "NHWC":
            return self.network(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)  # type: ignore[no-any-return]
        return self.network(x)  # type: ignore[no-any-return]
