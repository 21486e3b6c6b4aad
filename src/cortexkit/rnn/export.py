"""The recurrent networks' ONNX export (see :mod:`cortexkit.export`).

- :class:`~cortexkit.rnn.RNNRegressor` and :class:`~cortexkit.rnn.RNNClassifier`: input
  ``input``, float32 ``(batch, time, n_features_in_)``, the raw sequences ``predict``
  takes (all of one length: the ONNX model has no ``lengths``; any length works), their
  standardisation inside; output ``prediction`` in the targets' units, ``(batch,)`` or
  ``(batch, n_outputs)``, or ``probabilities`` ``(batch, n_classes)``, columns as
  ``classes_``.
- :class:`~cortexkit.rnn.RNNForecaster`: its one-step forecast. Input ``input``, float32
  ``(batch, time, n_columns)``: windows of the raw series (target first, exogenous
  columns after, as ``fit`` took them), at least ``lookback + difference`` steps each, of
  which the last ones are read; the log, difference and scaling are inside. Output
  ``forecast`` ``(batch,)``: the next value of the target after each window, what
  ``predict(window, horizon=1)`` gives.
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

from cortexkit.export import ClassProbabilities, OnnxGraph, Standardise, Unscale
from cortexkit.rnn.windows import Windowing

__all__ = ["ForecasterExport", "SequenceExport"]

_SEQUENCES = {0: "batch", 1: "time"}


class SequenceExport:
    """``_onnx_graph`` for :class:`~cortexkit.rnn.base.BaseRNN` (a mixin)."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        width = int(self.n_features_in_)
        scale = Standardise(self._x_mean, self._x_std)
        doc = f"float32 (batch, time, {width}): the raw sequences, all of one length"
        if isinstance(self, ClassifierMixin):
            return OnnxGraph(
                nn.Sequential(scale, self.network_, ClassProbabilities()),
                torch.zeros(2, 3, width), "probabilities", doc,
                f"float32 (batch, {len(self.classes_)}): predict_proba, columns as metadata "
                "'classes'",
                dynamic=_SEQUENCES, metadata={"classes": self.classes_.tolist()},
            )  # fmt: skip
        shape = "(batch,)" if self._y_1d else f"(batch, {self.n_outputs_})"
        unscale = Unscale(self._y_mean, self._y_std, one_d=self._y_1d)
        return OnnxGraph(
            nn.Sequential(scale, self.network_, unscale), torch.zeros(2, 3, width),
            "prediction", doc, f"float32 {shape}: predict, in the targets' units",
            dynamic=_SEQUENCES,
        )  # fmt: skip


class ForecasterExport:
    """``_onnx_graph`` for :class:`~cortexkit.rnn.RNNForecaster` (a mixin): the one-step
    forecast."""

    def _onnx_graph(self: Any) -> OnnxGraph:
        check_is_fitted(self, "network_")
        plan, t = self._windowing(), self._transform
        columns = int(self.n_features_in_)
        step = OneStep(self.network_, plan, t.log, t.difference, t.mean, t.std)
        return OnnxGraph(
            step, torch.ones(2, plan.steps_read, columns), "forecast",
            f"float32 (batch, time >= {plan.steps_read}, {columns}): windows of the raw series "
            "(target first, as in fit), the last steps read",
            "float32 (batch,): the next value of the target after each window "
            "(predict(window, horizon=1))",
            dynamic=_SEQUENCES, metadata={"columns": list(self._columns)},
        )  # fmt: skip


class OneStep(nn.Module):
    """Raw windows ``(batch, time, columns)`` to the next target value ``(batch,)``: log,
    difference, the last ``lookback`` steps scaled, the network, and back."""

    mean: Tensor
    std: Tensor

    def __init__(
        self, network: nn.Module, plan: Windowing, log: bool, difference: int, mean: Any,
        std: Any,
    ) -> None:  # fmt: skip
        super().__init__()
        self.network, self.plan = network, plan
        self.lookback, self.log, self.difference = int(plan.lookback), bool(log), int(difference)
        self.scale = Standardise(mean, std)

    def forward(self, raw: Tensor) -> Tensor:
        level = torch.log(raw) if self.log else raw
        z = level[:, 1:] - level[:, :-1] if self.difference else level
        # the next step, scaled (each window by its own level and scale, when fitted so)
        pred = self.plan._step(self.network, self.scale(z[:, -self.lookback :]))[:, 0]
        t = pred * self.scale.std[0] + self.scale.mean[0]
        if self.difference:
            t = level[:, -1, 0] + t
        return torch.exp(t) if self.log else t
