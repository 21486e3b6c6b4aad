"""The image data files the command line takes: a folder, an IDX pair, an ``.npz``, or (to
predict) one image file.

- A folder: one subfolder per class (or, to predict, any images at any depth).
- One image (``.png``, ``.jpg``, ...): to predict only, since it carries no label.
- An IDX pair (MNIST's format, gzip or not): the images file, and the labels file given
  with ``labels=`` or found beside it by name (``...-images-idx3-ubyte`` ->
  ``...-labels-idx1-ubyte``). A folder that holds the pair (and no subfolders) names its
  images file, as for ``train rbm``.
- An ``.npz`` archive with the images under ``X``, ``x`` or ``images`` and the labels
  (if any) under ``y`` or ``labels``.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from cortexkit.cnn.sources import read_image_data
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.npz")
>>> np.savez(path, X=np.zeros((3, 4, 4), np.uint8), y=np.array([0, 1, 0]))
>>> data = read_image_data(path)
>>> data.X.shape, data.y.tolist(), data.files[0]
((3, 4, 4), [0, 1, 0], 'tiny.npz[0]')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from cortexkit.data.idx import holds_idx, idx_images_in, read_idx
from cortexkit.data.images import IMAGE_SUFFIXES, ImageSet, _probe, load_image, read_images
from cortexkit.io.memory import check_fits_in_memory

__all__ = [
    "check_labels_flag",
    "idx_labels_path",
    "image_data_path",
    "is_folder",
    "read_image_data",
]

_X_KEYS = ("X", "x", "images")
_Y_KEYS = ("y", "labels")


def is_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an image folder (else a file, or a folder holding an IDX pair)."""
    return Path(path).is_dir() and not holds_idx(path)


def image_data_path(path: str | os.PathLike[str]) -> Path:
    """``path``, or the IDX images file of a folder that holds an IDX pair."""
    p = Path(path)
    return idx_images_in(p) if holds_idx(p) else p


def check_labels_flag(path: str | os.PathLike[str], labels: str | os.PathLike[str] | None) -> None:
    """Refuse ``--labels`` that names no file, or that is given beside data that holds its
    own labels (a class folder or an ``.npz``), before any work."""
    if labels is None:
        return
    if not Path(labels).is_file():
        raise FileNotFoundError(
            f"--labels {str(labels)!r} does not exist: name the IDX labels file (or leave "
            "--labels out to find it beside the images file)"
        )
    p = image_data_path(path)
    if p.is_dir() or p.suffix.lower() == ".npz" or p.suffix.lower() in IMAGE_SUFFIXES:
        raise ValueError(
            f"--labels is for an IDX images file, but {str(path)!r} is not one (a class "
            "folder or an .npz holds its own labels; one image has none): leave --labels out"
        )


def idx_labels_path(images: Path) -> Path:
    """The labels file beside an IDX images file, by MNIST's naming."""
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    return images.with_name(name)


def _stored_shape(archive: Any, key: str) -> tuple[tuple[int, ...], np.dtype[Any]] | None:
    """The shape and dtype of the archive's array ``key``, from its header alone (nothing
    is decompressed); None where the header cannot be read."""
    try:
        with archive.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(member)
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    return tuple(int(d) for d in shape), np.dtype(dtype)


def _check_npz_fits(path: Path, archive: Any, key: str) -> None:
    """Refuse, before loading, images that the memory cannot hold: the array as stored
    plus the float32 copy the network trains on."""
    stored = _stored_shape(archive, key)
    if stored is None:
        return
    shape, dtype = stored
    n = int(np.prod(shape, dtype=np.float64))
    check_fits_in_memory(
        n * (dtype.itemsize + 4),
        f"the images of {str(path)!r} ({key!r}: {'x'.join(map(str, shape))} {dtype}, "
        "with their float32 copy)",
    )


def _rows(path: Path, n: int) -> list[str]:
    return [f"{path.name}[{i}]" for i in range(n)]


def read_image_data(
    path: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] | None = None,
    labelled: bool = True,
    size: Any = None,
    mode: str | None = None,
    skip_bad: bool = False,
    min_classes: int = 2,
) -> ImageSet:
    """The images (and labels, when ``labelled``) of a folder, IDX pair or ``.npz``, or one
    image file (not ``labelled``). A folder needs ``min_classes`` class folders (1 to
    evaluate).

    Raises
    ------
    FileNotFoundError
        If ``path`` (or the labels file) does not exist.
    ValueError
        If the labels are missing or their count does not match the images'.
    """
    check_labels_flag(path, labels)
    p = image_data_path(path)
    if p.is_dir():
        return read_images(p, size, mode=mode, labelled=labelled, skip_bad=skip_bad,
                           min_classes=min_classes)  # fmt: skip
    if not p.is_file():
        raise FileNotFoundError(f"no image data at {str(p)!r} (a folder, IDX file or .npz)")
    y: np.ndarray | None = None
    if p.suffix.lower() in IMAGE_SUFFIXES:
        if labelled:
            raise ValueError(
                f"{str(p)!r} is one image, with no label: to score a model, give a folder with "
                "one subfolder per class (or an IDX pair, or an .npz)"
            )
        probe = _probe(p, skip_bad=False)
        assert probe is not None  # _probe raises for an unreadable image unless skip_bad
        shape = probe[0] if size is None else (size, size) if isinstance(size, int) else size
        image = load_image(p, tuple(shape), mode or ("L" if probe[1] == "L" else "RGB"))
        return ImageSet(image[None], None, [str(p)])
    if p.suffix == ".npz":
        with np.load(p, allow_pickle=False) as archive:
            x_key = next((k for k in _X_KEYS if k in archive.files), None)
            if x_key is None:
                raise ValueError(
                    f"{str(p)!r} holds {archive.files}; the images must be under one of "
                    f"{list(_X_KEYS)}"
                )
            _check_npz_fits(p, archive, x_key)
            X = archive[x_key]
            y_key = next((k for k in _Y_KEYS if k in archive.files), None)
            if labelled:
                if y_key is None:
                    raise ValueError(f"{str(p)!r} has no labels: store them under 'y' or 'labels'")
                y = archive[y_key]
    else:
        X = read_idx(p)
        if labelled:
            label_file = Path(labels) if labels is not None else idx_labels_path(p)
            if label_file == p or not label_file.is_file():
                raise FileNotFoundError(
                    f"no labels file for the IDX images {str(p)!r} (looked for "
                    f"{str(label_file)!r}); name it with --labels FILE"
                )
            y = read_idx(label_file)
    if y is not None and len(y) != len(X):
        raise ValueError(
            f"the labels do not match the images: {str(p)!r} holds {len(X)} images but "
            f"{len(y)} labels"
        )
    return ImageSet(X, y, _rows(p, len(X)))
