"""Tiny images that a small CNN tells apart in a second: horizontal or vertical bars."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SIZE = 8


def bars(n: int, seed: int = 0, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 images ``(n, size, size)``, a bright bar on noise: horizontal (label
    ``"h"``) or vertical (``"v"``), at a random row or column."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 60, size=(n, size, size)).astype(np.uint8)
    y = np.where(rng.random(n) < 0.5, "h", "v")
    where = rng.integers(1, size - 1, n)
    for i in range(n):
        if y[i] == "h":
            X[i, where[i], :] = 250
        else:
            X[i, :, where[i]] = 250
    return X, y


def small_cnn(**params: object) -> object:
    """A CNN small and quick enough for 8x8 images."""
    from cortexkit import CNNClassifier

    defaults = {"conv_layers": (8,), "convs_per_block": 1, "hidden_layers": (16,),
                "augment": None, "epochs": 5, "batch_size": 16, "learning_rate": 0.01,
                "random_state": 0, "device": "cpu"}  # fmt: skip
    return CNNClassifier(**{**defaults, **params})


def write_folder(root: Path, X: np.ndarray, y: np.ndarray, mode: str = "L") -> Path:
    """Each image as a PNG in its class's subfolder."""
    for i, (image, label) in enumerate(zip(X, y, strict=True)):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).convert(mode).save(folder / f"{i:04d}.png")
    return root


@pytest.fixture
def bar_folder(tmp_path: Path) -> Path:
    X, y = bars(120, seed=1)
    return write_folder(tmp_path / "bars", X, y)


@pytest.fixture
def make_bars():
    return bars


@pytest.fixture
def cnn():
    return small_cnn


@pytest.fixture
def folder_of():
    return write_folder


def _write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` (uint8) as a gzipped IDX file."""
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def write_idx():
    return _write_idx
