"""Image folders, read with Pillow: all at once (:func:`read_images`) or one image at a time
(:class:`ImageFolder`, a ``Dataset`` for folders larger than memory).

A labelled folder has one subfolder per class (its name is the label) holding png, jpg,
bmp, gif, tiff or webp files, at any depth below it. An unlabelled folder (for prediction)
is read whole, every image at any depth, in sorted order.

Every image is converted to one size and one colour mode: ``size`` (an int for a square, or
``(height, width)``), by default the size most images have; ``mode`` ``"L"`` (gray) or
``"RGB"``, by default gray when every image is, else RGB (RGBA's alpha channel is dropped).
An unreadable image is an error naming the file; ``skip_bad=True`` skips it with a warning.

Images are 8 bits a channel. A 16-bit gray image (PNG or TIFF, Pillow's modes ``I;16`` and
``I``) is **scaled**, not clipped: each value is divided by 257 and rounded, so 0 stays 0
and 65535 becomes 255 (Pillow's own conversion clips everything above 255 to white). An
image with values outside 0 to 65535 (32-bit) is refused, naming the file.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from PIL import Image
>>> from cortexkit.data import read_images
>>> root = tempfile.mkdtemp()
>>> for label in ("cat", "dog"):
...     os.makedirs(os.path.join(root, label))
...     for i in range(2):
...         Image.new("RGB", (6, 4)).save(os.path.join(root, label, f"{i}.png"))
>>> X, y, files = read_images(root)
>>> X.shape, y.tolist()
((4, 4, 6, 3), ['cat', 'cat', 'dog', 'dog'])
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["IMAGE_SUFFIXES", "ImageFolder", "ImageSet", "list_images", "read_images"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


class ImageSet(NamedTuple):
    """What :func:`read_images` returns."""

    X: np.ndarray  # (N, H, W, C) uint8
    y: np.ndarray | None  # (N,) class names, or None for an unlabelled folder
    files: list[str]  # each image's path


@dataclass
class Listing:
    """The images of a folder, checked: their files, labels, and the size and mode that
    every image will be converted to."""

    files: list[Path]
    labels: list[str] | None
    size: tuple[int, int]  # (height, width)
    mode: str  # "L" or "RGB"


def _size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    pair = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if len(pair) != 2 or not all(isinstance(s, int | np.integer) and s >= 1 for s in pair):
        raise ValueError(f"size must be an int or (height, width) of ints >= 1; got {size!r}")
    return int(pair[0]), int(pair[1])


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _probe(file: Path, skip_bad: bool) -> tuple[tuple[int, int], str] | None:
    """The image's (height, width) and mode from its header (and a check of its data), or
    None when it is unreadable and ``skip_bad``."""
    from PIL import Image

    try:
        with Image.open(file) as im:
            size, mode = (im.height, im.width), im.mode
            im.verify()
        return size, mode
    except Exception as exc:  # Pillow raises many kinds for a damaged file
        message = f"cannot read image {str(file)!r}: {exc}"
        if not skip_bad:
            raise ValueError(
                message + " (skip_bad=True, or --skip-bad, skips such files)"
            ) from None
        warnings.warn(f"skipped: {message}", UserWarning, stacklevel=3)
        return None


def list_images(
    path: str | os.PathLike[str],
    *,
    size: Any = None,
    mode: str | None = None,
    labelled: bool = True,
    skip_bad: bool = False,
    min_classes: int = 2,
) -> Listing:
    """Find and check a folder's images (their headers only): see the module's docstring.

    ``min_classes`` is how many class folders a labelled folder needs: 2 to train a
    classifier, 1 to evaluate one (a folder of one class's images is a fair test set).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    ValueError
        If it holds no image, a labelled folder has fewer than two classes, a class folder
        is empty, images lie beside the class folders, or an image is unreadable (unless
        ``skip_bad``).
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no image folder at {str(root)!r}")
    if mode not in (None, "L", "RGB"):
        raise ValueError(f"mode must be 'L', 'RGB' or None; got {mode!r}")
    wanted = _size(size)
    files = _image_files(root)
    if not files:
        raise ValueError(
            f"the folder {str(root)!r} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    labels: list[str] | None = None
    if labelled:
        loose = [f for f in files if f.parent == root]
        if loose:
            raise ValueError(
                f"{str(loose[0])!r} lies beside the class folders of {str(root)!r}; a labelled "
                "folder holds one subfolder per class, each image inside its class's"
            )
        classes = sorted(p.name for p in root.iterdir() if p.is_dir())
        empty = [c for c in classes if not _image_files(root / c)]
        if empty:
            raise ValueError(f"the class folder {str(root / empty[0])!r} holds no images")
        if len(classes) < min_classes:
            raise ValueError(
                f"the folder {str(root)!r} has only one class ({classes[0]!r}); a classifier "
                "needs at least 2 class subfolders"
            )
        labels = [f.relative_to(root).parts[0] for f in files]
    kept, kept_labels, sizes, modes = [], [], [], []
    for i, f in enumerate(files):
        probed = _probe(f, skip_bad)
        if probed is None:
            continue
        kept.append(f)
        sizes.append(probed[0])
        modes.append(probed[1])
        if labels is not None:
            kept_labels.append(labels[i])
    if not kept:
        raise ValueError(f"no readable image in {str(root)!r}")
    if labels is not None and len(set(kept_labels)) < min_classes:
        raise ValueError(f"fewer than 2 classes of {str(root)!r} hold a readable image")
    chosen = wanted or Counter(sizes).most_common(1)[0][0]
    chosen_mode = mode or ("L" if all(m in _GRAY_MODES for m in modes) else "RGB")
    return Listing(kept, kept_labels if labels is not None else None, chosen, chosen_mode)


def load_image(file: Path, size: tuple[int, int], mode: str) -> np.ndarray:
    """One image as ``(H, W, C)`` uint8 in ``mode`` and ``size`` (height, width).

    Raises
    ------
    ValueError
        If Pillow cannot decode it, naming the file.
    """
    from PIL import Image

    try:
        with Image.open(file) as opened:
            im = _eight_bits(opened).convert(mode)  # RGBA -> RGB drops alpha; P, CMYK too
            if (im.height, im.width) != size:
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            array = np.array(im, dtype=np.uint8)  # a writable copy
    except Exception as exc:
        raise ValueError(f"cannot read image {str(file)!r}: {exc}") from None
    return array[:, :, None] if array.ndim == 2 else array


def _eight_bits(image: Any) -> Any:
    """A 16-bit gray image (modes ``I;16*`` and ``I``) scaled to 8 bits: divided by 257 and
    rounded (65535 becomes 255), where Pillow's ``convert`` clips above 255. Others as
    they are.

    Examples
    --------
    >>> from PIL import Image
    >>> wide = Image.fromarray(np.array([[0, 1000, 60000, 65535]], dtype=np.uint16))
    >>> wide.mode, np.asarray(_eight_bits(wide)).tolist()
    ('I;16', [[0, 4, 233, 255]])
    """
    from PIL import Image

    if not (image.mode == "I" or image.mode.startswith("I;16")):
        return image
    values = np.asarray(image).astype(np.int64)
    if values.size and (values.min() < 0 or values.max() > 65535):
        raise ValueError(
            f"it holds values from {values.min()} to {values.max()}, beyond 16 bits; convert "
            "it to 8 or 16 bits a channel"
        )
    return Image.fromarray(((values + 128) // 257).astype(np.uint8), mode="L")


def read_images(
    path: str | os.PathLike[str],
    size: Any = None,
    *,
    mode: str | None = None,
    labelled: bool = True,
    skip_bad: bool = False,
    min_classes: int = 2,
) -> ImageSet:
    """Read a folder of images into memory: ``X`` ``(N, H, W, C)`` uint8, the labels ``y``
    (the class folders' names; None when ``labelled=False``) and the files.
    ``min_classes`` is :func:`list_images`'s.

    See the module's docstring for the layout, sizes and modes.
    """
    listing = list_images(path, size=size, mode=mode, labelled=labelled, skip_bad=skip_bad,
                          min_classes=min_classes)  # fmt: skip
    h, w = listing.size
    channels = 1 if listing.mode == "L" else 3
    X = np.empty((len(listing.files), h, w, channels), dtype=np.uint8)
    keep = np.ones(len(listing.files), dtype=bool)
    for i, f in enumerate(listing.files):
        try:
            X[i] = load_image(f, listing.size, listing.mode)
        except ValueError as exc:
            if not skip_bad:
                raise
            warnings.warn(f"skipped: {exc}", UserWarning, stacklevel=2)
            keep[i] = False
    files = [str(f) for f, k in zip(listing.files, keep, strict=True) if k]
    y = None if listing.labels is None else np.asarray(listing.labels)[keep]
    return ImageSet(X[keep], y, files)


class ImageFolder(Dataset):
    """A labelled image folder as a map-style ``Dataset``: item ``i`` is the image, a
    ``(C, H, W)`` uint8 tensor, and its class index into ``classes``. The images are read
    from disk when asked for (a ``DataLoader``'s workers read them in parallel).

    Parameters
    ----------
    path : str or path-like
        The folder, one subfolder per class.
    size : int, (int, int) or None, default=None
        ``(height, width)`` every image is resized to; None: the most common size.
    mode : {"L", "RGB"} or None, default=None
        The colour mode; None: gray when every image is, else RGB.
    skip_bad : bool, default=False
        Skip unreadable images with a warning instead of raising.

    Examples
    --------
    >>> import os, tempfile
    >>> from PIL import Image
    >>> from cortexkit.data import ImageFolder
    >>> root = tempfile.mkdtemp()
    >>> for label in ("a", "b"):
    ...     os.makedirs(os.path.join(root, label))
    ...     Image.new("L", (5, 5)).save(os.path.join(root, label, "0.png"))
    >>> data = ImageFolder(root)
    >>> len(data), data.classes, data[1][0].shape, data[1][1]
    (2, ['a', 'b'], torch.Size([1, 5, 5]), 1)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        size: Any = None,
        *,
        mode: str | None = None,
        skip_bad: bool = False,
    ) -> None:
        listing = list_images(path, size=size, mode=mode, labelled=True, skip_bad=skip_bad)
        assert listing.labels is not None
        self.files = listing.files
        self.size = listing.size
        self.mode = listing.mode
        self.classes = sorted(set(listing.labels))
        index = {c: i for i, c in enumerate(self.classes)}
        self.targets = [index[label] for label in listing.labels]

    @property
    def labels(self) -> np.ndarray:
        """Each image's class name."""
        return np.asarray(self.classes)[self.targets]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = load_image(self.files[i], self.size, self.mode)  # (H, W, C)
        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))), self.targets[i]
