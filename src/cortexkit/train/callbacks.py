"""Callbacks: hooks into the epoch loop.

Examples
--------
>>> from cortexkit.train import Callback
>>> Callback().on_epoch_end(1, {"loss": 0.5}) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Callback", "as_callback"]


class Callback:
    """Hooks into the loop. Return ``True`` from ``on_epoch_end`` to stop training.

    A plain callable ``fn(epoch, logs)`` also works as a callback (as ``on_epoch_end``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from cortexkit import ANNClassifier
    >>> from cortexkit.train import Callback
    >>> class StopAtLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs):
    ...         return logs["loss"] < 0.5  # True stops training
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ANNClassifier((16,), epochs=500, callbacks=[StopAtLoss()], random_state=0)
    >>> clf.fit(X, y).history_["stopped"]
    'a callback stopped training at epoch ...'
    """

    def on_train_begin(self, trainer: Any) -> None:
        """Called once before the first epoch with the loop
        (:class:`~cortexkit.train.EpochLoop`)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch with that epoch's losses and metrics."""
        return None

    def on_train_end(self, trainer: Any) -> None:
        """Called once after the last epoch."""


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[int, dict[str, float]], bool | None]) -> None:
        if not callable(fn):
            raise TypeError(f"callbacks must be Callback objects or callables; got {fn!r}")
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs)


def as_callback(value: Callback | Callable[[int, dict[str, float]], bool | None]) -> Callback:
    """A :class:`Callback` as given, or a plain ``fn(epoch, logs)`` as one."""
    return value if isinstance(value, Callback) else _FunctionCallback(value)
