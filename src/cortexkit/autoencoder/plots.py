"""What an autoencoder shows: reconstructions beside their inputs, the code space, and the
anomaly scores.

Each function returns PNG bytes (what the demo's report embeds); :func:`save_png` writes
them to a file atomically. Figures are drawn on an Agg canvas without ``pyplot``, as in
:mod:`cortexkit.plot`.

Examples
--------
>>> import numpy as np
>>> from cortexkit.autoencoder.plots import score_histogram_png
>>> score_histogram_png(np.random.default_rng(0).gamma(2, size=200), threshold=5.0)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cortexkit.io.envelope import atomic_write_bytes
from cortexkit.plot import _render

__all__ = ["code_space_png", "reconstructions_png", "save_png", "score_histogram_png"]


def _as_images(X: Any) -> np.ndarray:
    """``(n, H, W)`` or ``(n, H, W, C)`` arrays to draw; a flat square row is reshaped."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 2:
        side = round(np.sqrt(arr.shape[1]))
        if side * side != arr.shape[1]:
            raise ValueError(
                f"rows of {arr.shape[1]} values are not square images; pass (n, H, W) arrays"
            )
        return arr.reshape(len(arr), side, side)
    if arr.ndim == 4 and arr.shape[1] <= 4 < arr.shape[3]:  # (n, C, H, W)
        arr = np.moveaxis(arr, 1, 3)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4):
        raise ValueError(f"images must be (n, H, W), (n, H, W, C) or (n, C, H, W); got {arr.shape}")
    return arr


def reconstructions_png(
    inputs: Any,
    reconstructions: Any,
    *,
    corrupted: Any = None,
    n: int = 8,
    title: str | None = None,
) -> bytes:
    """The first ``n`` images (top row), optionally their corrupted versions (middle row),
    and their reconstructions (bottom row).

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit.autoencoder.plots import reconstructions_png
    >>> x = np.random.default_rng(0).random((4, 8, 8))
    >>> reconstructions_png(x, x * 0.9, n=4)[:4]
    b'\\x89PNG'
    """
    rows = [("input", _as_images(inputs))]
    if corrupted is not None:
        rows.append(("corrupted", _as_images(corrupted)))
    rows.append(("reconstruction", _as_images(reconstructions)))
    n = min(n, *(len(r[1]) for r in rows))
    # 0.95 in an image: ten and their row labels fit a report's page (10.7 in)
    fig = Figure(figsize=(0.95 * n + 1.2, 1.05 * len(rows) + 0.4), layout="constrained")
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (name, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            image = np.clip(images[c], 0.0, 1.0) if images.ndim == 4 else images[c]
            ax.imshow(image, cmap="gray" if images.ndim == 3 else None)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=10)
    if title:
        fig.suptitle(title)
    return _render(fig)


def code_space_png(codes: Any, labels: Any = None, title: str | None = None) -> bytes:
    """The codes as points in 2-D, coloured by label. Codes of more than two dimensions
    are drawn on their first two principal components (said on the axes).

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit.autoencoder.plots import code_space_png
    >>> code_space_png(np.random.default_rng(0).normal(size=(50, 3)), labels=[0, 1] * 25)[:4]
    b'\\x89PNG'
    """
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 1:
        raise ValueError(f"codes must be (n_samples, n_dims); got shape {z.shape}")
    axis = ("code 1", "code 2")
    if z.shape[1] == 1:
        z = np.column_stack([z[:, 0], np.zeros(len(z))])
    elif z.shape[1] > 2:
        centred = z - z.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        z = centred @ vt[:2].T
        axis = ("principal component 1 of the codes", "principal component 2")
    fig = Figure(figsize=(5.2, 4.2), layout="constrained")
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=6, alpha=0.6)
    else:
        lab = np.asarray(labels)
        for value in np.unique(lab):
            pick = lab == value
            ax.scatter(z[pick, 0], z[pick, 1], s=6, alpha=0.6, label=str(value))
        # beside the axes, where it hides no point
        ax.legend(frameon=False, fontsize=9, markerscale=2, loc="center left",
                  bbox_to_anchor=(1.0, 0.5), ncol=2 if len(np.unique(lab)) > 10 else 1)  # fmt: skip
    ax.set_xlabel(axis[0])
    ax.set_ylabel(axis[1])
    ax.set_title(title or "Code space")
    return _render(fig)


def score_histogram_png(
    scores: Any,
    *,
    threshold: float | None = None,
    labels: Any = None,
    log: bool = False,
    title: str | None = None,
) -> bytes:
    """A histogram of anomaly scores (one per label value when ``labels`` are given), with
    the threshold as a vertical line; ``log=True`` bins the scores' base-10 logarithms
    (the threshold's label keeps its own value).

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit.autoencoder.plots import score_histogram_png
    >>> score_histogram_png(np.arange(10.0), labels=[0] * 8 + [1] * 2)[:4]
    b'\\x89PNG'
    """
    s = np.asarray(scores, dtype=np.float64)
    where = threshold
    if log:
        s = np.log10(np.maximum(s, 1e-300))
        where = None if threshold is None else float(np.log10(max(threshold, 1e-300)))
    fig = Figure(figsize=(5.2, 3.8), layout="constrained")
    ax = fig.add_subplot()
    bins = np.histogram_bin_edges(s[np.isfinite(s)], bins=40).tolist()
    if labels is None:
        ax.hist(s, bins=bins, alpha=0.8)
    else:
        lab = np.asarray(labels)
        for value in np.unique(lab):
            ax.hist(s[lab == value], bins=bins, alpha=0.6, label=f"label {value}")
    if threshold is not None and where is not None:
        ax.axvline(where, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    if labels is not None or threshold is not None:
        ax.legend(frameon=False)
    name = "reconstruction error (anomaly score)"
    ax.set_xlabel(f"log10 {name}" if log else name)
    ax.set_ylabel("rows")
    ax.set_title(title or "Anomaly scores")
    return _render(fig)


def save_png(png: bytes, path: str | os.PathLike[str]) -> None:
    """Write PNG bytes to ``path`` atomically (the folder must exist)."""
    folder = os.path.dirname(os.fspath(path)) or "."
    if not os.path.isdir(folder):
        raise ValueError(f"cannot save to {os.fspath(path)!r}: folder {folder!r} does not exist")
    atomic_write_bytes(path, png)
