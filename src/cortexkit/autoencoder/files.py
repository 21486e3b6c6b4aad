"""An autoencoder's model file: the network's weights, the anomaly threshold, the error
scale and the reference codes its scores read, and the image shape ``fit`` saw.

:class:`AutoEncoderFiles` is a part of :class:`~cortexkit.AutoEncoder`, kept apart by
idea; it is not for use on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit.autoencoder.objective import AutoEncoderObjective
from cortexkit.autoencoder.settings import saved_network

__all__ = ["AutoEncoderFiles"]


class AutoEncoderFiles:
    """The model-file methods of :class:`~cortexkit.AutoEncoder`."""

    fitted_params_: dict[str, Any]
    network_: Any
    n_features_in_: int
    image_shape_: tuple[int, ...] | None
    threshold_: float
    error_scale_: Tensor
    reference_codes_: Tensor | None
    _objective: AutoEncoderObjective

    if TYPE_CHECKING:  # provided by the estimator and its other parts

        def _device(self) -> torch.device: ...
        def _common_state(self) -> dict[str, Any]: ...
        def _set_common_state(self, meta: dict[str, Any]) -> None: ...
        def _checked_threshold(
            self, meta: dict[str, Any], tensors: dict[str, Tensor]
        ) -> tuple[float, Tensor]: ...
        def _checked_codes(self, codes: Tensor | None) -> Tensor | None: ...

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            "threshold_": self.threshold_,
            "image_shape_": None if self.image_shape_ is None else list(self.image_shape_),
            **self._common_state(),
        }
        tensors = {k: v.detach().cpu() for k, v in self.network_.state_dict().items()}
        tensors["error_scale_"] = self.error_scale_.detach().cpu()
        if self.reference_codes_ is not None:
            tensors["reference_codes_"] = self.reference_codes_.detach().cpu()
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        shape = meta["image_shape_"]
        self.image_shape_ = None if shape is None else tuple(int(s) for s in shape)
        tensors = dict(tensors)
        self.threshold_, self.error_scale_ = self._checked_threshold(meta, tensors)
        self.reference_codes_ = self._checked_codes(tensors.pop("reference_codes_", None))
        net = saved_network(self.fitted_params_, self.n_features_in_, self.image_shape_, tensors)
        self.network_ = net.to(self._device())
        self._objective = AutoEncoderObjective.from_settings(self.network_, self.fitted_params_)
