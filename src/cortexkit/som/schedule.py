"""Decay schedules by name, for the learning rate and the neighbourhood radius.

A schedule maps the start value and the share of training done, ``progress`` in [0, 1]
(samples presented over ``epochs`` times the sample count), to the current value. A user's
callable ``fn(start, progress) -> float`` works wherever a name does.

- ``"asymptotic"``: ``start / (1 + 2 progress)``, down to a third (MiniSom's default);
- ``"linear"``: straight down to 1% of the start;
- ``"exponential"``: geometrically down to 1% of the start (somoclu's exponential cooling);
- ``"inverse"``: ``start / (1 + 99 progress)``, fast at first, to 1% of the start;
- ``"constant"``: no decay.

Where the schedules start and how long they run, when not given (issue 17's quality
suite, ``bench/_quality_som.py``, chose both on half of 19 data sets):

- :func:`default_sigma`: a tenth of the map's longer side, 1.25 at least (3 on a 30x30
  map). A radius of 1 on any map (the old default) lets a large map fold: on 12
  overlapping clusters in 20-D its topographic error was 0.52 against MiniSom's 0.13.
  The floor keeps small maps (12 wide or less), which train for many passes, from
  ending at a radius that unties neighbours;
- :func:`default_epochs`: enough passes for 15 sample presentations per node, 1 at least.
  A map learns per node: one pass over 150 rows cannot train 64 nodes, while one pass
  over 100,000 rows trains a 30x30 map.

Examples
--------
>>> from cortexkit.som.schedule import DECAYS
>>> [round(DECAYS.resolve(name)(0.9, 1.0), 4) for name in DECAYS]
[0.3, 0.009, 0.009, 0.009, 0.9]
"""

from __future__ import annotations

import math
from collections.abc import Callable

from cortexkit.registry import Registry

__all__ = [
    "DECAYS",
    "PRESENTATIONS_PER_NODE",
    "SIGMA_FLOOR",
    "SIGMA_SHARE",
    "asymptotic",
    "constant",
    "default_epochs",
    "default_sigma",
    "exponential",
    "inverse",
    "linear",
]

Decay = Callable[[float, float], float]
FLOOR = 0.01  # where the decaying schedules end, as a share of the start
SIGMA_SHARE = 0.1  # the default sigma, as a share of the map's longer side
SIGMA_FLOOR = 1.25  # and at least this
PRESENTATIONS_PER_NODE = 15  # the default training length, in presentations per node


def default_sigma(rows: int, cols: int) -> float:
    """The neighbourhood's starting radius when ``sigma=None``: a tenth of the map's longer
    side, 1.25 at least.

    Examples
    --------
    >>> default_sigma(30, 30), default_sigma(10, 10), default_sigma(20, 40)
    (3.0, 1.25, 4.0)
    """
    return max(SIGMA_FLOOR, SIGMA_SHARE * max(rows, cols))


def default_epochs(nodes: int, n_rows: int) -> int:
    """The passes when ``epochs=None``: enough for 15 sample presentations per node, 1 at
    least.

    Examples
    --------
    >>> default_epochs(900, 100_000), default_epochs(900, 5000), default_epochs(64, 150)
    (1, 3, 7)
    """
    return max(1, math.ceil(PRESENTATIONS_PER_NODE * nodes / max(n_rows, 1)))


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
