"""The model families that ``cortexkit train FAMILY`` knows, found by scanning this package.

Adding a family
---------------
Write one module here, say ``cnn.py``, that defines ``FAMILIES``: a tuple of
:class:`TrainFamily`. Nothing else is edited: :func:`discover` imports every module of
this package and collects them, and ``cortexkit train`` gives each one its subparser::

    FAMILIES = (TrainFamily("cnn", "a convolutional network on an image folder",
                            add_arguments, run),)

``add_arguments(parser)`` adds the family's own flags; the parser already carries the
shared ones (the data, ``--target``, ``--drop``, ``--test-size``, ``--seed``, ``--out``,
``--device``, ``--checkpoint``, ``--checkpoint-every``, ``--resume``, ``--quiet``,
``--debug``; see :func:`cortexkit.cli.train.shared_parent`). Take defaults from the
estimator's own defaults object (``cortexkit.defaults``), never a second copy.
``run(args)`` trains and returns the exit code; a family whose data is a CSV table calls
:func:`cortexkit.cli.tables.train_table` with a function that builds its estimator.

A family module is imported whenever the parser is built, ``--help`` included: it must
import torch, NumPy, pandas and scikit-learn inside ``run`` only, never at the top.

Examples
--------
>>> sorted(discover())[:2]
['ann', 'perceptron']
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TrainFamily", "discover"]


@dataclass(frozen=True)
class TrainFamily:
    """One ``cortexkit train FAMILY`` subcommand.

    Parameters
    ----------
    name : str
        The word after ``train``.
    help : str
        One line for ``cortexkit train --help``.
    add_arguments : callable
        ``add_arguments(parser)`` adds the family's own flags.
    run : callable
        ``run(args) -> int`` trains, saves ``args.out`` and returns the exit code.
    checkpoints : bool, default=True
        Whether it trains through the epoch loop, and so takes ``--checkpoint``,
        ``--checkpoint-every`` and ``--resume``.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    checkpoints: bool = True


def discover() -> dict[str, TrainFamily]:
    """Every family defined by a module of this package, by name.

    Raises
    ------
    RuntimeError
        If two modules define the same family name.
    """
    found: dict[str, TrainFamily] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for family in getattr(module, "FAMILIES", ()):
            if family.name in found:
                raise RuntimeError(
                    f"train family {family.name!r} is defined twice "
                    f"(second time in {module.__name__})"
                )
            found[family.name] = family
    return found
