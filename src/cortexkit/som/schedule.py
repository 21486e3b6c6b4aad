"""Decay schedules by name, for the learning rate and the neighbourhood radius.

A schedule maps the start value and the share of training done, ``progress`` in [0, 1]
(samples presented over ``epochs`` times the sample count), to the current value. A user's
callable ``fn(start, progress) -> float`` works wherever a name does.

- ``"asymptotic"``: ``start / (1 + 2 progress)``, down to a third (MiniSom's default);
- ``"linear"``: straight down to 1% of the start;
- ``"exponential"``: geometrically down to 1% of the start (somoclu's exponential cooling);
- ``"inverse"``: ``start / (1 + 99 progress)``, fast at first, to 1% of the start;
- ``"constant"``: no decay.

Examples
--------
>>> from cortexkit.som.schedule import DECAYS
>>> [round(DECAYS.resolve(name)(0.9, 1.0), 4) for name in DECAYS]
[0.3, 0.009, 0.009, 0.009, 0.9]
"""

from __future__ import annotations

from collections.abc import Callable

from cortexkit.registry import Registry

__all__ = ["DECAYS", "asymptotic", "constant", "exponential", "inverse", "linear"]

Decay = Callable[[float, float], float]
FLOOR = 0.01  # where the decaying schedules end, as a share of the start


def asymptotic(start: float, progress: float) -> float:
    """``start / (1 + 2 progress)``: a third of the start at the end."""
    return start / (1 + 2 * progress)


def linear(start: float, progress: float) -> float:
    """From ``start`` to 1% of it in a straight line."""
    return start * (1 - (1 - FLOOR) * progress)


def exponential(start: float, progress: float) -> float:
    """From ``start`` to 1% of it geometrically."""
    return float(start * FLOOR**progress)


def inverse(start: float, progress: float) -> float:
    """``start / (1 + 99 progress)``."""
    return start / (1 + (1 / FLOOR - 1) * progress)


def constant(start: float, progress: float) -> float:
    """``start`` throughout."""
    return start


DECAYS: Registry[Decay] = Registry(
    "decay",
    {
        "asymptotic": asymptotic,
        "linear": linear,
        "exponential": exponential,
        "inverse": inverse,
        "constant": constant,
    },
)
