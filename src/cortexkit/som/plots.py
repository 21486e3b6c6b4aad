"""Figures of a trained map, square or hexagonal: the U-matrix with a marker per class, the
hit map and the component planes.

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure` on an Agg canvas
(no ``pyplot``, no global state); :func:`save_figure` writes one atomically and
:func:`figure_png` gives its PNG bytes (what the demo report shows). Nodes are drawn as
squares or as hexagons at their grid positions, row 0 at the top.

Examples
--------
>>> import os, tempfile
>>> from sklearn.datasets import load_iris
>>> from cortexkit import SelfOrganizingMap
>>> from cortexkit.som.plots import figure_png, save_figure, umatrix_figure
>>> X, y = load_iris(return_X_y=True)
>>> som = SelfOrganizingMap((5, 5), topology="hexagonal", random_state=0).fit(X)
>>> save_figure(umatrix_figure(som, X, y), os.path.join(tempfile.mkdtemp(), "u.png"))
>>> figure_png(umatrix_figure(som))[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from cortexkit.io.envelope import atomic_write_bytes
from cortexkit.plot import _check_path, _render

__all__ = [
    "component_planes_figure",
    "figure_png",
    "hits_figure",
    "save_figure",
    "umatrix_figure",
]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def _cells(som: Any) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each node's centre ``(x, y)`` on the plane and its polygon."""
    grid = som._grid()
    coords = grid.coordinates.cpu().numpy()
    centres = np.stack([coords[:, 1], coords[:, 0]], axis=1)  # x = column, y = row
    if grid.topology == "hexagonal":
        radius = 1 / math.sqrt(3)  # pointy-top hexagons whose neighbours are 1 apart
        angles = np.radians(90 + 60 * np.arange(6))
        shape = np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius
    else:
        shape = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    return centres, [c + shape for c in centres]


def _draw(fig: Figure, ax: Any, som: Any, values: np.ndarray, cmap: str, label: str) -> None:
    centres, polygons = _cells(som)
    cells = PolyCollection(polygons, array=np.asarray(values, dtype=float).ravel(), cmap=cmap,
                           edgecolors="white", linewidths=0.3)  # fmt: skip
    ax.add_collection(cells)
    ax.set_xlim(centres[:, 0].min() - 1, centres[:, 0].max() + 1)
    ax.set_ylim(centres[:, 1].max() + 1, centres[:, 1].min() - 1)  # row 0 on top
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(cells, ax=ax, fraction=0.046, pad=0.04, label=label)


def _new(width: float = 5.2, height: float = 4.6) -> Figure:  # two side by side on a page
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def umatrix_figure(som: Any, X: Any = None, y: Any = None, *, title: str | None = None) -> Figure:
    """The U-matrix (dark: nodes close to their neighbours; light: borders). With ``X`` and
    ``y``, each sample is drawn at its best-matching unit with a marker per class (slightly
    jittered, so that a node's samples do not hide one another)."""
    fig = _new()
    ax = fig.add_subplot()
    _draw(fig, ax, som, som.distance_map(), "bone_r", "mean distance to neighbours")
    if X is not None and y is not None:
        labels = np.asarray(y)
        centres, _ = _cells(som)
        at = centres[som.predict(X)]
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, size=at.shape)
        for i, cls in enumerate(np.unique(labels)):
            rows = labels == cls
            x, y_ = (at[rows] + jitter[rows]).T
            ax.scatter(x, y_, marker=_MARKERS[i % len(_MARKERS)], s=14, facecolors="none",
                       edgecolors=f"C{i}", linewidths=1, label=str(cls))  # fmt: skip
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=9,
                  title="class", ncols=min(len(np.unique(labels)), 6))  # fmt: skip
    ax.set_title(title or "U-matrix")
    return fig


def hits_figure(som: Any, X: Any, *, title: str | None = None) -> Figure:
    """The hit map: how many samples each node wins."""
    fig = _new()
    ax = fig.add_subplot()
    _draw(fig, ax, som, som.activation_response(X), "viridis", "samples")
    ax.set_title(title or "hit map")
    return fig


def component_planes_figure(som: Any, features: Any = None, *, columns: int = 4) -> Figure:
    """One small map per feature: that feature's weight at each node. ``features`` picks
    them by index or name (default: all, up to 16)."""
    planes = som.component_planes()
    names = [str(n) for n in getattr(som, "feature_names_in_", range(len(planes)))]
    if features is None:
        picks = list(range(min(len(planes), 16)))
    else:
        picks = [names.index(str(f)) if str(f) in names else int(f) for f in features]
    cols = min(columns, len(picks))
    rows = math.ceil(len(picks) / cols)
    fig = _new(3.2 * cols, 2.8 * rows)
    for i, k in enumerate(picks):
        ax = fig.add_subplot(rows, cols, i + 1)
        _draw(fig, ax, som, planes[k], "coolwarm", "")
        ax.set_title(names[k], fontsize=9)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    return _render(fig, "png")


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write the figure to ``path`` (``.png``, ``.svg`` or ``.pdf``), atomically; the folder
    must exist."""
    checked, fmt = _check_path(path)
    atomic_write_bytes(checked, _render(fig, fmt))
