"""Model files: JSON configuration plus safetensors weights, in one file, never a pickle.

A model file is a safetensors file. Its tensors are the weights; its header's metadata holds,
under the key ``"cortexkit"``, a JSON document with the estimator's class, parameters,
fitted state (classes, preprocessing, history), the library version and the format version,
and under ``"sha256"`` a digest of that document and every tensor's bytes. Loading parses
JSON and raw numbers only, so a file from a stranger cannot run code (the digest detects
damage, not forgery: everything loaded is checked as untrusted input); a pickle, a truncated
or tampered file, a file of a newer format or a tensor holding NaN is refused with a
:class:`~cortexkit.exceptions.ModelFileError` that says which.

Saving is atomic: the file is written under a temporary name in the same folder, flushed,
``fsync``-ed and renamed over the target, so an interrupted save leaves the old file intact
and no partial file behind.

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

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import Tensor

from cortexkit._files import check_readable_file
from cortexkit._version import __version__
from cortexkit.exceptions import ModelFileError

__all__ = [
    "FORMAT_VERSION",
    "MODEL_CLASSES",
    "ModelFile",
    "SaveMixin",
    "atomic_write_bytes",
    "json_params",
    "load",
    "model_classes",
    "public_estimators",
    "read_model",
    "save",
]

FORMAT = "cortexkit-model"
FORMAT_VERSION = 1


#: every class that can be saved, by name: each registers itself when it is defined
MODEL_CLASSES: dict[str, type] = {}


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


class SaveMixin:
    """Gives an estimator ``save(path)``; it provides ``_get_state`` / ``_set_state``.

    A subclass registers itself (by class name) when it is defined, so :func:`load` finds
    a class from any family without this module naming it. Private classes (a leading
    underscore) and bases without ``_get_state`` are not registered. A class defined again
    in the same module (a notebook cell run twice) replaces the old one; a class from
    elsewhere never takes the name of one of cortexkit's own.
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
        the table preprocessing there); :func:`read_model` gives it back.
        """
        save(self, path, **extra)


@dataclass
class ModelFile:
    """What a model file holds: the estimator and the extra JSON saved beside it."""

    estimator: Any
    extra: dict[str, Any] = field(default_factory=dict)
    library_version: str = __version__


def _defined(cls: type) -> set[str]:
    """Names defined by ``cls`` or its bases below :class:`SaveMixin`."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is SaveMixin:
            break
        names.update(vars(klass))
    return names


def json_params(est: Any) -> dict[str, Any]:
    """The estimator's parameters as JSON values (what a model file stores).

    Raises
    ------
    ValueError
        If a parameter is not a name or a number (a callable, say), naming it.
    """
    params: dict[str, Any] = {}
    for name, value in est.get_params(deep=False).items():
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
        params[name] = value
    return params


def _digest(document: str, tensors: dict[str, Tensor]) -> str:
    h = hashlib.sha256(document.encode())
    for name in sorted(tensors):
        h.update(name.encode())
        # reshape(-1): a "contiguous" tensor can still have a last stride other than 1 (a
        # channels_last (1, C, 1, 1) tensor), which view(torch.uint8) refuses
        h.update(tensors[name].contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _file_mode(path: Path) -> int:
    """The old file's permissions, or what a plain ``open(path, "w")`` would give."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: it is a folder; name a file in it")
    if not folder.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: folder {str(folder)!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; keep the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save(est: Any, path: str | os.PathLike[str], **extra: Any) -> None:
    """Save a fitted estimator (and any JSON-serialisable ``extra``) to ``path``, atomically.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If a parameter cannot be stored (a callable activation, say) or the folder is missing.
    """
    meta, tensors = est._get_state()
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    document = json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "class": type(est).__name__,
            "params": json_params(est),
            "state": meta,
            "extra": extra,
        },
        sort_keys=True,
    )
    data = st_save(tensors, metadata={"cortexkit": document, "sha256": _digest(document, tensors)})
    atomic_write_bytes(path, data)


def _refuse(path: Path, why: str) -> ModelFileError:
    return ModelFileError(f"{str(path)!r} is not a usable cortexkit model file: {why}")


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
        format, or holds non-finite weights.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    check_readable_file(path, "a model file")
    data = path.read_bytes()
    # A safetensors file starts with its header's length (8 bytes, little-endian), which may
    # itself begin with 0x80 or "PK": sniff for a pickle only when the layout is not ours.
    header_len = int.from_bytes(data[:8], "little")
    ours = len(data) >= 8 + header_len and data[8:9] == b"{"
    if not ours and (data[:1] == b"\x80" or data[:2] == b"PK"):
        raise _refuse(
            path, "it looks like a pickle or torch.save file, which cortexkit never loads"
        )
    try:
        tensors = st_load(data)
        header = json.loads(data[8 : 8 + header_len])
    except (SafetensorError, ValueError, UnicodeDecodeError) as exc:
        raise _refuse(path, f"not a complete safetensors file ({exc})") from None
    meta = header.get("__metadata__") or {}
    if "cortexkit" not in meta:
        raise _refuse(path, "a safetensors file without cortexkit's header")
    document = meta["cortexkit"]
    try:
        info = json.loads(document)
    except json.JSONDecodeError as exc:
        raise _refuse(path, f"its JSON header is corrupt ({exc})") from None
    if info.get("format") != FORMAT:
        raise _refuse(path, f"unknown format {info.get('format')!r}")
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"it has format version {version}, newer than this cortexkit ({__version__}) "
            f"reads (up to {FORMAT_VERSION}); upgrade cortexkit",
        )
    if meta.get("sha256") != _digest(document, tensors):
        raise _refuse(path, "its checksum does not match (the file was altered or damaged)")
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise _refuse(path, f"tensor {name!r} holds NaN or infinity")
    cls = model_classes().get(info.get("class"))
    if cls is None:
        raise _refuse(path, f"unknown estimator class {info.get('class')!r}")
    # The digest only detects damage (anyone can recompute it), so everything read is
    # checked as if it came from a stranger: parameters through the estimator's own checks,
    # the state against the weights' shapes.
    try:
        params = dict(info["params"])
        if device is not None:
            params["device"] = device
        elif "device" in params:
            params["device"] = _usable_device(params["device"])
        est = cls(**params)
        est._validate_params()
        est._set_state(dict(info["state"]), tensors)
    except (KeyError, ValueError, RuntimeError, TypeError, IndexError) as exc:
        raise _refuse(path, f"its state does not fit {cls.__name__} ({exc})") from None
    extra = info.get("extra") or {}
    if not isinstance(extra, dict):
        raise _refuse(path, "its extra section is not a JSON object")
    return ModelFile(est, extra, str(info.get("library_version", "?")))


def _usable_device(saved: Any) -> Any:
    """The saved device, or ``"auto"`` where this machine lacks it (a model trained on a
    GPU loads on a CPU-only machine), with a warning."""
    from cortexkit.train.loop import resolve_device

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
