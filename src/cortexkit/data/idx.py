"""IDX files (the MNIST format), optionally gzip-compressed.

The format: a big-endian header of two zero bytes, a type code (0x08 = unsigned byte, ...),
the number of dimensions, then each dimension as a 4-byte integer, then the data.

Examples
--------
>>> import gzip, os, tempfile
>>> import numpy as np
>>> from cortexkit.data import read_idx
>>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte.gz")
>>> with gzip.open(path, "wb") as fh:
...     _ = fh.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
>>> read_idx(path)
array([7, 8, 9], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["holds_idx", "idx_images_in", "read_idx"]

_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into an array of its shape and type.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the header is not IDX or the data are shorter than the header says.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {str(path)!r}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{str(path)!r} is a damaged gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ValueError(f"{str(path)!r} is not an IDX file (bad magic number)")
    dtype, ndim = _TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header < expected:
        raise ValueError(
            f"{str(path)!r} is truncated: the header announces shape {shape} "
            f"({expected} bytes) but {len(raw) - header} bytes follow"
        )
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def idx_images_in(folder: str | os.PathLike[str]) -> Path:
    """The one IDX images file (``*images*idx*``, MNIST's ``...-images-idx3-ubyte[.gz]``)
    in ``folder``, so that a folder holding an IDX pair names its images file.

    Raises
    ------
    ValueError
        If the folder holds no such file, or more than one (``train-`` and ``t10k-``, say).
    """
    images = sorted(
        f for f in Path(folder).iterdir() if f.is_file() and "images" in f.name and "idx" in f.name
    )
    if len(images) != 1:
        raise ValueError(
            f"folder {str(folder)!r} should hold one IDX images file (*-images-idx3-ubyte"
            f"[.gz]); found {[f.name for f in images] or 'none'}: name the file itself"
        )
    return images[0]


def holds_idx(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds IDX images files and no subfolders (so it is not a folder
    of class subfolders)."""
    p = Path(folder)
    if not p.is_dir():
        return False
    entries = list(p.iterdir())
    return not any(e.is_dir() for e in entries) and any(
        "images" in e.name and "idx" in e.name for e in entries
    )
