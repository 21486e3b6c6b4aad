"""Checkpoints: everything a training run needs to continue where it stopped.

A checkpoint holds the model's weights, the step's working state (the optimiser's moments,
the learning-rate schedule), the epoch, the history, the early-stopping bookkeeping (best
epoch and its weights), and every random-number generator the run draws from: the fit's own
``torch.Generator`` (shuffling) and torch's global CPU and CUDA generators (dropout). Resumed
on the same machine with the same data and seed, a run gives the weights an uninterrupted
run gives (tested by killing a training process with SIGKILL and resuming it).

The file is a safetensors file whose tensors are every tensor of that state and whose
header holds the rest as JSON, as a model file does; it is written atomically, so a run
killed while saving leaves the previous checkpoint whole. Reading never unpickles: a
checkpoint is untrusted input, checked like a model file.

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

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import Tensor

from cortexkit._files import check_readable_file
from cortexkit.exceptions import ModelFileError

__all__ = ["CHECKPOINT_FORMAT", "read_checkpoint", "write_checkpoint"]

CHECKPOINT_FORMAT = "cortexkit-checkpoint"
CHECKPOINT_VERSION = 1


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
    from cortexkit.persist import atomic_write_bytes

    tensors: dict[str, Tensor] = {}
    document = json.dumps(
        {
            "format": CHECKPOINT_FORMAT,
            "format_version": CHECKPOINT_VERSION,
            "state": _pack(state, tensors),
        }
    )
    atomic_write_bytes(path, st_save(tensors, metadata={"cortexkit": document}))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`write_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is not a complete cortexkit checkpoint (a pickle, another safetensors
        file, a truncated or edited one), or holds NaN or infinite values.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    check_readable_file(path, "a checkpoint")

    def refuse(why: str) -> ModelFileError:
        return ModelFileError(f"{str(path)!r} is not a usable cortexkit checkpoint: {why}")

    data = path.read_bytes()
    try:
        tensors = st_load(data)
        header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
        info = json.loads(header["__metadata__"]["cortexkit"])
    except (SafetensorError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise refuse(f"not a complete checkpoint file ({type(exc).__name__}: {exc})") from None
    if not isinstance(info, dict) or info.get("format") != CHECKPOINT_FORMAT:
        raise refuse("it has no cortexkit checkpoint header")
    version = info.get("format_version")
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise refuse(f"format version {version!r} is newer than this cortexkit reads")
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise refuse(f"tensor {name!r} holds NaN or infinity")
    try:
        state = _unpack(info["state"], tensors)
    except (KeyError, ValueError, TypeError) as exc:
        raise refuse(f"its structure is damaged ({exc})") from None
    if not isinstance(state, dict):
        raise refuse("its state is not a mapping")
    return state
