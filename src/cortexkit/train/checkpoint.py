"""Checkpoints: everything a training run needs to continue where it stopped.

A checkpoint holds the model's weights, the step's working state (the optimiser's moments,
the learning-rate schedule), the epoch, the history, the early-stopping bookkeeping (best
epoch and its weights), and every random-number generator the run draws from: the fit's own
``torch.Generator`` (shuffling) and torch's global CPU and CUDA generators (dropout). Resumed
on the same machine with the same data and seed, a run gives the weights an uninterrupted
run gives (tested by killing a training process with SIGKILL and resuming it).

The file is an envelope (:mod:`cortexkit.io.envelope`), as a model file is: its tensors are
every tensor of that state and its JSON header holds the rest, with a digest of both; it is
written atomically, so a run killed while saving leaves the previous checkpoint whole.
Reading never unpickles: a checkpoint is untrusted input, checked like a model file.

Examples
--------
>>> import os, tempfile, torch
>>> from cortexkit.train.checkpoint import read_checkpoint, write_checkpoint
>>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
>>> write_checkpoint(path, {"epoch": 3, "state": {0: torch.ones(2)}, "pair": (1, None)})
>>> read_checkpoint(path)
{'epoch': 3, 'state': {0: tensor([1., 1.])}, 'pair': (1, None)}
"""

from __future__ import annotations

import os
from typing import Any

from torch import Tensor

from cortexkit.exceptions import ModelFileError
from cortexkit.io.envelope import read_envelope, write_envelope

__all__ = ["CHECKPOINT_FORMAT", "read_checkpoint", "write_checkpoint"]

CHECKPOINT_FORMAT = "cortexkit-checkpoint"
#: 2: the envelope with a digest, and the one vocabulary in its parameter fingerprint
CHECKPOINT_VERSION = 2


def _pack(value: Any, tensors: dict[str, Tensor]) -> Any:
    """JSON for ``value``, moving every tensor into ``tensors`` (keys and tuples kept)."""
    if isinstance(value, Tensor):
        name = f"t{len(tensors)}"
        tensors[name] = value.detach().cpu().contiguous()
        return {"$tensor": name}
    if isinstance(value, dict):
        return {"$dict": [[_pack(k, tensors), _pack(v, tensors)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_pack(v, tensors) for v in value]}
    if isinstance(value, list):
        return [_pack(v, tensors) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"cannot checkpoint a {type(value).__name__}")


def _unpack(doc: Any, tensors: dict[str, Tensor]) -> Any:
    if isinstance(doc, list):
        return [_unpack(v, tensors) for v in doc]
    if not isinstance(doc, dict):
        return doc
    if set(doc) == {"$tensor"}:
        return tensors[doc["$tensor"]]
    if set(doc) == {"$tuple"}:
        return tuple(_unpack(v, tensors) for v in doc["$tuple"])
    if set(doc) == {"$dict"}:
        return {_unpack(k, tensors): _unpack(v, tensors) for k, v in doc["$dict"]}
    raise ValueError(f"unexpected entry {sorted(doc)}")


def write_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts, lists, tuples, numbers, strings and tensors) atomically."""
    tensors: dict[str, Tensor] = {}
    document = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "state": _pack(state, tensors),
    }
    write_envelope(path, document, tensors, what="checkpoint")


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`write_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is not a complete cortexkit checkpoint (a pickle, another safetensors
        file, a truncated or edited one, another format version), or holds NaN or infinite
        values.
    """
    info, tensors = read_envelope(
        path, format=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION, what="checkpoint"
    )
    try:
        state = _unpack(info["state"], tensors)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(
            f"{os.fspath(path)!r} is not a usable cortexkit checkpoint: its structure is "
            f"damaged ({exc})"
        ) from None
    if not isinstance(state, dict):
        raise ModelFileError(
            f"{os.fspath(path)!r} is not a usable cortexkit checkpoint: its state is not a mapping"
        )
    return state
