"""The model families that ``cortexkit train FAMILY`` knows, found by scanning this package.

Adding a family
---------------
Write one module here, say ``cnn.py``, that defines ``FAMILIES``: a tuple of
:class:`TrainFamily`. Nothing else is edited: :func:`discover` imports every module of
this package and collects them, and ``cortexkit train`` gives each one its subparser::

    FAMILIES = (TrainFamily("cnn", "a convolutional network on an image folder",
                            add_arguments, run),)

``add_arguments(parser)`` adds the family's own flags; the parser already carries the
shared ones (the data, ``--target``, ``--drop``, ``--test-size``, ``--random-state``, ``--out``,
``--device``, ``--checkpoint``, ``--checkpoint-every``, ``--resume``, ``--quiet``,
``--debug``; see :func:`cortexkit.cli.train.shared_parent`). Take defaults from the
estimator's own defaults object (``cortexkit.defaults``), never a second copy.
``run(args)`` trains and returns the exit code; a family whose data is a CSV table calls
:func:`cortexkit.cli.tables.train_table` with a function that builds its estimator.

A family whose data is not a supervised table (an image folder, a series, an unlabelled
table) says ``table=False``: its parser then gets only the data, ``--random-state``, ``--device``,
``--out`` (and the checkpoint flags), and adds its own (``--column``, ``--label-column``).

``cortexkit predict`` and ``cortexkit evaluate`` read tables for the dense families. A
family whose models need something else (images, hidden features, anomaly scores) names
its estimator classes in ``models`` and gives ``predict(args, model_file) -> int`` and/or
``evaluate(args, model_file) -> int``; ``predict_arguments(parser)`` and
``evaluate_arguments(parser)`` add their flags to those commands (a flag another family
already added is shared, not added twice: see :func:`add_flag`).

A family module is imported whenever the parser is built, ``--help`` included: it must
import torch, NumPy, pandas and scikit-learn inside ``run`` only, never at the top.

Examples
--------
>>> {"ann", "perceptron"} <= set(discover())
True
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainFamily", "add_flag", "discover", "handler"]


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
    table : bool, default=True
        Whether its data is a CSV table with a ``--target`` column (and so takes
        ``--target``, ``--drop``, ``--max-categories`` and ``--test-size``).
    models : tuple of str, default=()
        The estimator class names whose model files ``predict`` and ``evaluate`` below
        handle.
    predict, evaluate : callable, optional
        ``predict(args, model_file) -> int`` for ``cortexkit predict MODEL DATA`` on one
        of ``models`` (``model_file`` is a :class:`cortexkit.persist.ModelFile`); the
        table reader handles the others.
    predict_arguments, evaluate_arguments : callable, optional
        ``f(parser)`` adds this family's flags to ``predict`` / ``evaluate``.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    checkpoints: bool = True
    table: bool = True
    models: tuple[str, ...] = ()
    predict: Callable[[argparse.Namespace, Any], int] | None = None
    evaluate: Callable[[argparse.Namespace, Any], int] | None = None
    predict_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    evaluate_arguments: Callable[[argparse.ArgumentParser], None] | None = None


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


def handler(class_name: str, command: str) -> Callable[[argparse.Namespace, Any], int] | None:
    """The ``predict`` or ``evaluate`` function of the family that handles ``class_name``
    models, or None when the table reader does.

    Examples
    --------
    >>> handler("ANNClassifier", "predict") is None
    True
    """
    for family in discover().values():
        if class_name in family.models:
            found = getattr(family, command)
            if found is not None:
                return found  # type: ignore[no-any-return]
    return None


def add_flag(parser: argparse.ArgumentParser, *flags: str, **kwargs: Any) -> None:
    """``parser.add_argument(*flags, **kwargs)``, unless a family already added the first
    flag to this command (two families may share ``--label-column``, say).

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_flag(p, "--plot", help="a figure")
    >>> add_flag(p, "--plot", help="the same flag, from another family")
    >>> p.parse_args(["--plot", "a.png"]).plot
    'a.png'
    """
    if flags[0] in parser._option_string_actions:
        return
    parser.add_argument(*flags, **kwargs)
