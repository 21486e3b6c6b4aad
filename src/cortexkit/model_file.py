"""Writing a model file: the registry of classes that can be saved, their parameters as
JSON, and :func:`save`. Reading one back (:func:`cortexkit.load`) lives in
:mod:`cortexkit.persist`, above the families, which know how to rebuild themselves.

A model file is an envelope (:mod:`cortexkit.io.envelope`) whose JSON document holds the
estimator's class, the parameters it was fitted with, its fitted state (classes,
preprocessing, history), the library version and the format version; its tensors are the
weights.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch

from cortexkit._version import __version__
from cortexkit.io.envelope import write_envelope

__all__ = ["FORMAT", "FORMAT_VERSION", "MODEL_CLASSES", "SaveMixin", "json_params", "save"]

FORMAT = "cortexkit-model"
#: 2: the one vocabulary (``hidden_layers``, ``gibbs_steps``, ``lr_schedule``, ...);
#: 3: the forecaster's window scaling, the autoencoder's ensemble and error scale, the SOM
#: and Boltzmann defaults (issue 17); a file's parameters must be exactly its class's
FORMAT_VERSION = 3

#: every class that can be saved, by name: each registers itself when it is defined
MODEL_CLASSES: dict[str, type] = {}


class SaveMixin:
    """Gives an estimator ``save(path)``; it provides ``_get_state`` / ``_set_state``.

    A subclass registers itself (by class name) when it is defined, so
    :func:`cortexkit.load` finds a class from any family without naming it. Private classes
    (a leading underscore) and bases without ``_get_state`` are not registered. A class
    defined again in the same module (a notebook cell run twice) replaces the old one; a
    class from elsewhere never takes the name of one of cortexkit's own.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_") or "_get_state" not in _defined(cls):
            return
        known = MODEL_CLASSES.get(cls.__name__)
        ours = known is not None and known.__module__.startswith("cortexkit.")
        if known is None or known.__module__ == cls.__module__ or not ours:
            MODEL_CLASSES[cls.__name__] = cls

    def save(self, path: str | os.PathLike[str], **extra: Any) -> None:
        """Write the fitted model to ``path`` atomically (JSON config + safetensors weights).

        ``extra`` is any JSON-serialisable data to keep beside it (the command line keeps
        the table preprocessing there); :func:`cortexkit.persist.read_model` gives it back.
        """
        save(self, path, **extra)


def _defined(cls: type) -> set[str]:
    """Names defined by ``cls`` or its bases below :class:`SaveMixin`."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is SaveMixin:
            break
        names.update(vars(klass))
    return names


def json_params(est: Any, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The estimator's parameters (or ``params``) as JSON values (what a model file stores).

    Raises
    ------
    ValueError
        If a parameter is not a name or a number (a callable, say), naming it.
    """
    out: dict[str, Any] = {}
    given = est.get_params(deep=False) if params is None else params
    for name, value in given.items():
        if name == "callbacks":
            continue  # callbacks belong to a training run, not to the model
        if name == "random_state" and isinstance(value, np.random.RandomState):
            value = None
        if isinstance(value, torch.device):
            value = str(value)
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        try:
            json.dumps(value)
        except TypeError:
            raise ValueError(
                f"cannot save {type(est).__name__}: parameter {name}={value!r} is not a name "
                "or number (a callable cannot go in a model file); use a built-in name"
            ) from None
        out[name] = value
    return out


def save(est: Any, path: str | os.PathLike[str], **extra: Any) -> None:
    """Save a fitted estimator (and any JSON-serialisable ``extra``) to ``path``, atomically.

    The parameters saved are those the estimator was fitted with (``fitted_params_``),
    so a ``set_params`` after ``fit`` does not change what the file holds.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If a parameter cannot be stored (a callable activation, say) or the folder is missing.
    """
    meta, tensors = est._get_state()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "class": type(est).__name__,
        "params": json_params(est, getattr(est, "fitted_params_", None)),
        "state": meta,
        "extra": extra,
    }
    write_envelope(path, document, tensors, what="model file")
