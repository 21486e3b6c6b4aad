"""The envelope of every file cortexkit writes with weights in it: one safetensors file whose
header metadata holds a JSON document (under ``"cortexkit"``) and a SHA-256 digest of that
document and every tensor's bytes (under ``"sha256"``). Model files and checkpoints both use
it; what the document says is theirs.

Writing is atomic: the bytes go to a temporary file in the same folder, are flushed,
``fsync``-ed and renamed over the target, so an interrupted save leaves the old file intact
and no partial file behind. Reading parses JSON and raw numbers only, so a file from a
stranger cannot run code; a pickle, a truncated or edited file, another format, a version
other than the one this cortexkit writes, or a tensor holding NaN is refused with a
:class:`~cortexkit.exceptions.ModelFileError` that says which.

Examples
--------
>>> import os, tempfile, torch
>>> path = os.path.join(tempfile.mkdtemp(), "w.cortex")
>>> write_envelope(path, {"format": "demo", "format_version": 1}, {"w": torch.ones(2)})
>>> document, tensors = read_envelope(path, format="demo", version=1, what="demo file")
>>> document["format"], tensors["w"].tolist()
('demo', [1.0, 1.0])
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import Tensor

from cortexkit.exceptions import ModelFileError
from cortexkit.io.files import check_readable_file

__all__ = ["atomic_write_bytes", "digest", "envelope_format", "read_envelope", "write_envelope"]

MAX_HEADER = 100_000_000  # bytes of safetensors header envelope_format reads at most


def digest(document: str, tensors: dict[str, Tensor]) -> str:
    """SHA-256 of the JSON document and every tensor (by name, in name order)."""
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


def _save_error(path: Path, exc: OSError, what: str) -> OSError:
    """``exc`` (of the same class and errno) in one line that names the target ``path``
    (a ``what``: "file", "checkpoint"), never the hidden temporary file the save wrote
    first; a full disk says so and what to do."""
    why = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = (
            f"the disk is full ({why}); the old {what}, if any, is kept: free some space, "
            "or name a path on another disk"
        )
    elif isinstance(exc, PermissionError):
        why = f"folder {str(path.parent)!r} is not writable ({why})"
    error = type(exc)(f"cannot save the {what} {str(path)!r}: {why}")
    error.errno = exc.errno
    return error


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, what: str = "file") -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    Raises
    ------
    OSError
        Of the class and errno the system gave (a full disk, a read-only folder), in one
        line that names ``path`` as a ``what`` ("file", "checkpoint"), never the temporary
        file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: it is a folder; name a file in it")
    if not folder.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: folder {str(folder)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # a read-only folder, say: named, not the temporary file
        raise _save_error(path, exc, what) from None
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; keep the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _save_error(path, exc, what) from None
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


def write_envelope(
    path: str | os.PathLike[str],
    document: dict[str, Any],
    tensors: dict[str, Tensor],
    *,
    what: str = "file",
) -> None:
    """Write ``document`` (JSON; it names its ``format`` and ``format_version``) and
    ``tensors`` to ``path`` atomically, with their digest; ``what`` names the kind of file
    in errors (see :func:`atomic_write_bytes`)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    text = json.dumps(document, sort_keys=True)
    atomic_write_bytes(
        path,
        st_save(tensors, metadata={"cortexkit": text, "sha256": digest(text, tensors)}),
        what=what,
    )


def envelope_format(path: str | os.PathLike[str]) -> str | None:
    """The ``format`` a cortexkit envelope at ``path`` declares (``"cortexkit-model"``,
    ``"cortexkit-checkpoint"``), read from its header alone; None for any other file (or
    one that cannot be read). Nothing is verified: :func:`read_envelope` does that.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> path = os.path.join(tempfile.mkdtemp(), "w.cortex")
    >>> write_envelope(path, {"format": "demo", "format_version": 1}, {"w": torch.ones(2)})
    >>> envelope_format(path), envelope_format(os.devnull)
    ('demo', None)
    """
    try:
        with open(path, "rb") as fh:
            length = int.from_bytes(fh.read(8), "little")
            if not 0 < length <= MAX_HEADER:
                return None
            header = json.loads(fh.read(length))
        document = json.loads(header["__metadata__"]["cortexkit"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    found = document.get("format") if isinstance(document, dict) else None
    return found if isinstance(found, str) else None


def check_format_version(version: Any, current: int) -> str | None:
    """Why ``version`` cannot be read by a reader of version ``current``, or None.

    Examples
    --------
    >>> check_format_version(2, 2) is None
    True
    >>> check_format_version("2", 2)
    "its format version '2' is not a whole number of at least 1"
    """
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return f"its format version {version!r} is not a whole number of at least 1"
    if version > current:
        return (
            f"it has format version {version}, newer than this cortexkit reads "
            f"({current}); upgrade cortexkit"
        )
    if version < current:
        return (
            f"it has format version {version}, written by an older cortexkit; this one reads "
            f"version {current} only: train the model again and save it"
        )
    return None


def _looks_like_text(head: bytes) -> bool:
    """Whether the first bytes of a file read as text: no NUL byte, and valid UTF-8 (a cut
    multibyte character at the end is allowed)."""
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return True


def read_envelope(
    path: str | os.PathLike[str], *, format: str, version: int, what: str
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """The JSON document and the tensors of an envelope of ``format`` at ``version``.

    ``what`` names the kind of file in messages ("model file", "checkpoint").

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is a pickle, not a complete safetensors file, of another format or
        version, altered (the digest does not match), or holds NaN or infinity.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {str(path)!r}")
    check_readable_file(path, f"a {what}")

    def refuse(why: str) -> ModelFileError:
        return ModelFileError(f"{str(path)!r} is not a usable cortexkit {what}: {why}")

    data = path.read_bytes()
    # A safetensors file starts with its header's length (8 bytes, little-endian), which may
    # itself begin with 0x80 or "PK": sniff for a pickle only when the layout is not ours.
    header_len = int.from_bytes(data[:8], "little")
    ours = len(data) >= 8 + header_len and data[8:9] == b"{"
    if not ours and (data[:1] == b"\x80" or data[:2] == b"PK"):
        raise refuse("it looks like a pickle or torch.save file, which cortexkit never loads")
    if not ours and len(data) >= 8 and data[8:9] != b"{" and _looks_like_text(data[:512]):
        raise refuse("it is a text file (a CSV or a table?), not a model file")
    try:
        tensors = st_load(data)
        header = json.loads(data[8 : 8 + header_len])
    except (SafetensorError, ValueError, UnicodeDecodeError):
        # safetensors' own text ("invalid JSON in header: missing field `dtype`") helps no one
        raise refuse(
            "not a complete safetensors file: it was cut short or altered; save or copy it again"
        ) from None
    meta = (header.get("__metadata__") or {}) if isinstance(header, dict) else {}
    if "cortexkit" not in meta:
        raise refuse("a safetensors file without cortexkit's header")
    text = meta["cortexkit"]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(f"its JSON header is corrupt ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != format:
        found = document.get("format") if isinstance(document, dict) else None
        raise refuse(f"its format is {found!r}, not {format!r}")
    why = check_format_version(document.get("format_version"), version)
    if why is not None:
        raise refuse(why)
    if meta.get("sha256") != digest(text, tensors):
        raise refuse("its checksum does not match (the file was altered or damaged)")
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise refuse(f"tensor {name!r} holds NaN or infinity")
    return document, tensors
