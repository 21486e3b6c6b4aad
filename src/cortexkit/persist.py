"""Model files: JSON configuration plus safetensors weights, in one file, never a pickle.

A model file is a safetensors file. Its tensors are the weights; its header's metadata holds,
under the key ``"cortexkit"``, a JSON document with the estimator's class, parameters,
fitted state (classes, preprocessing, history), the library version and the format version,
and under ``"sha256"`` a digest of that document and every tensor's bytes. Loading parses
JSON and raw numbers only, so a file from a stranger cannot run code (the digest detects
damage, not forgery: everything loaded is checked as untrusted input); a pickle, a truncated
or tampered file, a file of another format version or a tensor holding NaN is refused with a
:class:`~cortexkit.exceptions.ModelFileError` that says which.

Writing lives below the families (:mod:`cortexkit.model_file`, on the envelope of
:mod:`cortexkit.io.envelope`); reading lives here, above them: it rebuilds any family's class.

Examples
--------
>>> import os, tempfile
>>> from sklearn.datasets import load_iris
>>> from cortexkit import ANNClassifier, load
>>> X, y = load_iris(return_X_y=True)
>>> clf = ANNClassifier(hidden_layers=(8,), epochs=5, random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "iris.cortex")
>>> clf.save(path)
>>> (load(path).predict(X) == clf.predict(X)).all()
np.True_
"""

from __future__ import annotations

import inspect
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from cortexkit._version import __version__
from cortexkit.exceptions import ModelFileError
from cortexkit.io.device import resolve_device
from cortexkit.io.envelope import read_envelope
from cortexkit.model_file import FORMAT, FORMAT_VERSION, MODEL_CLASSES

__all__ = ["ModelFile", "load", "model_classes", "public_estimators", "read_model"]


def model_classes() -> dict[str, type]:
    """The concrete (non-abstract) estimator classes a model file may name, by class name.

    Importing the package's public names defines (and so registers) every family's
    estimators; a class defined elsewhere registers when its module is imported.
    """
    import cortexkit

    for name in getattr(cortexkit, "__all__", ()):
        getattr(cortexkit, name)  # imports a lazily loaded family
    return {k: c for k, c in MODEL_CLASSES.items() if not inspect.isabstract(c)}


def public_estimators() -> dict[str, type]:
    """cortexkit's own public estimator classes (those in ``cortexkit.__all__``), by name,
    as the registry knows them: a new family's classes appear here when it lands.

    Examples
    --------
    >>> from cortexkit.persist import public_estimators
    >>> {"ANNClassifier", "ANNRegressor", "Perceptron"} <= set(public_estimators())
    True
    """
    import cortexkit

    return {
        name: cls
        for name, cls in model_classes().items()
        if cls.__module__.startswith("cortexkit.") and name in cortexkit.__all__
    }


@dataclass
class ModelFile:
    """What a model file holds: the estimator and the extra JSON saved beside it."""

    estimator: Any
    extra: dict[str, Any] = field(default_factory=dict)
    library_version: str = __version__


def _refuse(path: str | os.PathLike[str], why: str) -> ModelFileError:
    return ModelFileError(f"{os.fspath(path)!r} is not a usable cortexkit model file: {why}")


def read_model(path: str | os.PathLike[str], *, device: str | None = None) -> ModelFile:
    """Load a model file: the estimator and the extra JSON saved with it.

    ``device`` overrides the saved ``device`` parameter (e.g. ``"cpu"`` for a model trained
    on a GPU).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is a pickle, not a safetensors file, truncated, tampered with, of a newer
        format version, or holds non-finite weights.
    """
    info, tensors = read_envelope(path, format=FORMAT, version=FORMAT_VERSION, what="model file")
    cls = model_classes().get(str(info.get("class")))
    if cls is None:
        raise _refuse(path, f"unknown estimator class {info.get('class')!r}")
    # The digest only detects damage (anyone can recompute it), so everything read is
    # checked as if it came from a stranger: parameters through the estimator's own checks,
    # the state against the weights' shapes.
    saved: Any = info.get("params")
    if isinstance(saved, dict):  # a file from before a parameter: the value it trained with
        saved = {**ADDED_PARAMS.get(cls.__name__, {}), **saved}
    _check_param_names(path, cls, saved)
    try:
        params = _as_given(cls, dict(saved))
        if device is not None and "device" in params:  # a perceptron has no device
            params["device"] = device
        elif "device" in params:
            params["device"] = _usable_device(params["device"])
        est = cls(**params)
        est._validate_params()
        est._set_state(dict(info["state"]), tensors)
    except (KeyError, ValueError, RuntimeError, TypeError, IndexError) as exc:
        raise _refuse(path, f"its state does not fit {cls.__name__} ({_one_line(exc)})") from None
    extra = info.get("extra") or {}
    if not isinstance(extra, dict):
        raise _refuse(path, "its extra section is not a JSON object")
    return ModelFile(est, extra, str(info.get("library_version", "?")))


#: parameters a model file never holds: they belong to a training run, not to the model
_NOT_SAVED = frozenset({"callbacks"})

#: parameters added to a class after its files of this format were first written, each with
#: the value that reproduces how a file without it was trained (not the new default)
ADDED_PARAMS: dict[str, dict[str, Any]] = {
    "AutoEncoder": {"trim": 0.0, "scoring": "reconstruction"},
    "RNNForecaster": {"blend": 1.0},
}


def _check_param_names(path: str | os.PathLike[str], cls: type, params: Any) -> None:
    """Refuse saved parameters whose names are not exactly the class's: an unknown name
    (an edited or foreign file) or a missing one (which would silently take its default)."""
    if not isinstance(params, dict):
        raise _refuse(path, "its params section is not a JSON object")
    expected = {
        name
        for name, p in inspect.signature(cls).parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    unknown = sorted(set(params) - expected)
    missing = sorted(expected - set(params) - _NOT_SAVED)
    if unknown or missing:
        parts = [f"unknown parameter(s) {unknown}"] if unknown else []
        parts += [f"missing parameter(s) {missing}"] if missing else []
        raise _refuse(
            path,
            f"its parameters do not match {cls.__name__}'s: {' and '.join(parts)} (an edited "
            "file, or one from another cortexkit version): retrain the model",
        )


def _one_line(exc: Exception) -> str:
    """``exc``'s message on one line: torch's can span many (``load_state_dict`` lists each
    mismatch on its own line; a C++ error appends its stack frames, dropped here)."""
    text = str(exc).split("\nException raised from", 1)[0]
    return " ".join(text.split())


def _as_given(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    """The saved parameters with their JSON lists back as tuples where the class's default
    is a tuple (``hidden_layers``, a SOM's ``grid``): what ``get_params`` gave at save."""
    defaults = inspect.signature(cls).parameters
    for name, value in params.items():
        default = defaults[name].default if name in defaults else None
        if isinstance(value, list) and isinstance(default, tuple):
            params[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return params


def _usable_device(saved: Any) -> Any:
    """The saved device, or ``"auto"`` where this machine lacks it (a model trained on a
    GPU loads on a CPU-only machine), with a warning."""
    try:
        resolve_device(saved)
    except (ValueError, TypeError):
        warnings.warn(
            f"the model was saved with device={saved!r}, which this machine lacks; "
            "loading it with device='auto'",
            UserWarning,
            stacklevel=4,
        )
        return "auto"
    return saved


def load(path: str | os.PathLike[str], *, device: str | None = None) -> Any:
    """Load the estimator saved at ``path`` (see :func:`read_model`).

    Examples
    --------
    >>> import os, tempfile
    >>> from cortexkit import Perceptron, load
    >>> path = os.path.join(tempfile.mkdtemp(), "and.cortex")
    >>> Perceptron().fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]).save(path)
    >>> load(path).predict([[1, 1], [0, 1]]).tolist()
    [1, 0]
    """
    return read_model(path, device=device).estimator
