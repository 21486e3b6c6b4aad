"""Layers that learned nothing: the check every Boltzmann machine runs after its fit.

A hidden layer whose units give (almost) the same probability to every row carries no
feature: its units are dead (always off), saturated (always on) or stuck at an
uninformative value (weights that never grew). Logistic regression on such a layer scores
what guessing the majority class does. After ``fit`` (and ``partial_fit``) the RBM, the DBN
and the DBM measure each hidden layer's unit-wise spread on a sample of the training rows,
and a :class:`~cortexkit.exceptions.DeadLayerWarning` names each layer where nearly all units
barely vary.

Examples
--------
>>> import torch
>>> live = torch.rand(200, 8)
>>> dead = torch.full((200, 8), 0.004) + 1e-4 * torch.rand(200, 8)
>>> [i for i, _ in stuck_layers([live, dead])]
[1]
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import Tensor

from cortexkit.exceptions import DeadLayerWarning

__all__ = ["SHARE", "SPREAD", "ChecksLayers", "health_rows", "stuck_layers", "warn_stuck_layers"]

SPREAD = 0.005  # a unit whose probability has a smaller standard deviation across rows
SHARE = 0.95  # ... barely varies; a layer where at least this share of units does is stuck
ROWS = 1000  # at most this many training rows are checked (evenly spaced)


def health_rows(X: Tensor) -> Tensor:
    """At most ``ROWS`` training rows, evenly spaced, for the check after the fit."""
    step = max(1, len(X) // ROWS)
    return X[::step][:ROWS]


def stuck_layers(layers: Sequence[Tensor]) -> list[tuple[int, str]]:
    """The layers (0-based index, description) where at least ``SHARE`` of the units have a
    standard deviation below ``SPREAD`` across the rows; each tensor is one layer's
    probabilities, ``(rows, units)``."""
    found = []
    for i, H in enumerate(layers):
        if H.shape[0] < 2 or H.shape[1] == 0:
            continue
        spread = H.float().std(0)
        stuck = spread < SPREAD
        if float(stuck.float().mean()) < SHARE:
            continue
        mean = float(H.mean())
        state = "dead" if mean < 0.1 else "saturated" if mean > 0.9 else "stuck"
        found.append((i, f"{int(stuck.sum())} of its {H.shape[1]} units vary by less than "
                         f"{SPREAD} (standard deviation across the training rows; mean "
                         f"probability {mean:.3g}: {state})"))  # fmt: skip
    return found


ADVICE = {"DBM": "pretrain longer (pretrain_epochs), with a smaller batch_size, or lower the "
          "joint learning_rate"}  # fmt: skip
DEFAULT_ADVICE = (
    "train for more updates (epochs, a smaller batch_size) or with another learning_rate"
)


def warn_stuck_layers(model: str, layers: Sequence[Tensor]) -> None:
    """Warn (:class:`~cortexkit.exceptions.DeadLayerWarning`) once per stuck layer of
    ``model``, naming it (hidden layer 1 is the one above the visibles)."""
    advice = ADVICE.get(model, DEFAULT_ADVICE)
    for i, what in stuck_layers(layers):
        warnings.warn(
            f"{model}: hidden layer {i + 1} of {len(layers)} barely varies across samples: "
            f"{what}. Its features carry almost nothing; {advice}",
            DeadLayerWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside cortexkit: the user's ``fit`` call."""
    package = str(Path(__file__).resolve().parents[1])
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class ChecksLayers:
    """A Boltzmann machine that checks its hidden layers after each fit: ``_fit_data``
    keeps :func:`health_rows` of the training rows in ``_health``, and the estimator gives
    each checked layer's probabilities of rows in ``_layer_probabilities``."""

    _check_layers = True  # off for the RBMs inside a DBM's pretraining: the DBM checks
    # each class that mixes this in defines it: rows -> each checked layer's probabilities
    _layer_probabilities: Callable[[Tensor], list[Tensor]]

    def _after_fit(self) -> None:
        rows: Any = self.__dict__.pop("_health", None)
        if rows is not None and self._check_layers:
            with torch.no_grad():
                layers = self._layer_probabilities(rows)
            warn_stuck_layers(type(self).__name__, layers)
