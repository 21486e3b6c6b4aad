"""Figures: the activation functions with their derivatives, and loss curves.

Every figure is a :class:`matplotlib.figure.Figure` drawn on an Agg canvas directly. There
is no ``pyplot`` and no ``matplotlib.use``: no global state changes, so an interactive
session that imports cortexkit keeps its own backend. Files are written atomically (a
temporary file in the same folder, then a rename), and the output folder must exist.

The derivatives are the activations' own chain-rule steps (``Activation.backward``, the
ones the dense network and ``cortexkit explain`` use; autograd for a user's callable). The
threshold's is the straight-through surrogate, labelled as such: its true derivative is 0.

Examples
--------
>>> import os, tempfile
>>> from cortexkit.plot import history_png, plot_activations
>>> folder = tempfile.mkdtemp()
>>> plot_activations(os.path.join(folder, "activations.png"))
>>> history_png({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]})[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cortexkit.io.envelope import atomic_write_bytes
from cortexkit.nn.activations import get_activation

__all__ = [
    "CLASSIC_ACTIVATIONS",
    "DPI",
    "MIN_FONT_PT",
    "history_png",
    "plot_activations",
    "plot_history",
    "wrap",
]

CLASSIC_ACTIVATIONS = ("threshold", "sigmoid", "tanh", "relu", "leaky_relu")
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_Z_RANGE = 4.0  # z from -4 to 4: every classic activation's interesting part
_NOT_ELEMENTWISE = {"softmax"}  # one output per vector, not per number: no curve to draw
_CURVE_SIZE = (3.4, 3.3)  # inches: three curves side by side on a report's page


def _check_path(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The path and its image format; fails before any drawing."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"path must end in one of {sorted(_FORMATS)}; got {str(path)!r}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: folder {str(folder)!r} does not exist")
    return path, fmt


MIN_FONT_PT = 9.0  # no text in a cortexkit figure is smaller (at 96 CSS pixels per inch)
DPI = 144  # PNG pixels per inch: 1.5 device pixels per CSS pixel, sharp on most screens


def _legible(fig: Figure) -> float:
    """Raise every text of ``fig`` below :data:`MIN_FONT_PT` to it; the smallest size left.

    Tick labels are made when the figure is drawn, from the axes' tick parameters, so those
    are raised too. A figure laid out before this (``tight_layout``) may then overlap: the
    figures here use ``layout="constrained"``, which lays out when drawn."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    for ax in fig.axes:
        if not ax.axison:
            continue
        defaults = (rcParams["xtick.labelsize"], rcParams["ytick.labelsize"])
        for axis, default in zip((ax.xaxis, ax.yaxis), defaults, strict=True):
            size = axis.get_tick_params().get("labelsize", default)
            if FontProperties(size=size).get_size_in_points() < MIN_FONT_PT:
                axis.set_tick_params(labelsize=MIN_FONT_PT)
    sizes = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text():
            continue
        if float(text.get_fontsize()) < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)
        sizes.append(float(text.get_fontsize()))
    return min(sizes, default=MIN_FONT_PT)


def _render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure's bytes in ``fmt``, every text at least :data:`MIN_FONT_PT`. A PNG is
    drawn at :data:`DPI` and records its DPI and smallest font size in text chunks
    (``cortexkit-dpi``, ``cortexkit-min-font-pt``): the report sizes the image by them."""
    FigureCanvasAgg(fig)  # attaches itself to the figure
    smallest = _legible(fig)
    buffer = io.BytesIO()
    if fmt == "png":
        metadata = {"cortexkit-dpi": str(DPI), "cortexkit-min-font-pt": f"{smallest:g}"}
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    else:
        fig.savefig(buffer, format=fmt)
    return buffer.getvalue()


def _activations_figure(names: Sequence[str]) -> Figure:
    z = torch.linspace(-_Z_RANGE, _Z_RANGE, 801, dtype=torch.float64)
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(4.0 * cols, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        act = get_activation(name)
        with torch.no_grad():
            a = act(z)
            derivative = act.backward(z, a, torch.ones_like(z))
        ax.axhline(0.0, color="0.8", linewidth=0.8)
        ax.axvline(0.0, color="0.8", linewidth=0.8)
        ax.plot(z.numpy(), a.numpy(), label="f(z)", linewidth=2.0)
        if name == "threshold":
            ax.plot(
                z.numpy(),
                derivative.numpy(),
                "--",
                label="f'(z): straight-through\nsurrogate",
            )
            ax.text(
                0.02,
                0.6,
                "true derivative: 0\n(undefined at z = 0)",
                transform=ax.transAxes,
                fontsize=8,
                color="0.35",
            )
        else:
            ax.plot(z.numpy(), derivative.numpy(), "--", label="f'(z)")
        ax.set_title(name)
        ax.set_xlabel("z")
        ax.legend(loc="center right" if name == "threshold" else "upper left", fontsize=8)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle("Activation functions f(z) and their derivatives f'(z)")
    return fig


def plot_activations(path: str | os.PathLike[str], names: Sequence[str] | None = None) -> None:
    """Draw activation functions and their derivatives, one subplot each, to ``path``.

    Parameters
    ----------
    path : str or PathLike
        A ``.png``, ``.svg`` or ``.pdf`` file in an existing folder; replaced atomically.
    names : sequence of str, optional
        Activation names from :data:`cortexkit.nn.ACTIVATIONS`; default the classic
        ones, :data:`CLASSIC_ACTIVATIONS` (threshold, sigmoid, tanh, relu, leaky_relu).
        ``softmax`` acts on a whole vector, so it has no curve and is refused.

    Raises
    ------
    ValueError
        If the folder does not exist, the format is unknown, or a name is unknown or not
        element-wise.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "act.png")
    >>> plot_activations(path, names=["sigmoid", "relu", "gelu"])
    >>> open(path, "rb").read(4)
    b'\\x89PNG'
    """
    path, fmt = _check_path(path)
    if names is None:
        names = CLASSIC_ACTIVATIONS
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) == 0:
        raise ValueError(f"names must be a non-empty sequence of activation names; got {names!r}")
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"names must hold activation names (str); got {name!r}")
        get_activation(name)  # unknown: ValueError listing the valid names
        if name in _NOT_ELEMENTWISE:
            raise ValueError(
                f"names: {name!r} is not element-wise (one output per vector), so it has no "
                "curve to draw"
            )
    atomic_write_bytes(path, _render(_activations_figure(list(names)), fmt))


def _series(history: Mapping[str, Any], key: str, required: bool) -> list[float]:
    values = history.get(key)
    if values is None and not required:
        return []
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        array = np.empty((0, 0))
    if isinstance(values, str | bytes) or array.ndim != 1:
        raise ValueError(f"history[{key!r}] must be a list of numbers; got {values!r}")
    if required and array.size == 0:
        raise ValueError(f"history[{key!r}] must hold at least one value; got {values!r}")
    return np.where(np.isfinite(array), array, np.nan).tolist()  # a gap where it diverged


def _history_figure(history: Mapping[str, Any], title: str | None, key: str = "loss") -> Figure:
    if not isinstance(history, Mapping):
        raise ValueError(
            f"history must be a dict with a list 'loss' (and optionally 'val_loss'); "
            f"got {type(history).__name__}"
        )
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a str or None; got {title!r}")
    name = key.replace("_", " ")
    curves = {f"training {name}": _series(history, key, required=True)}
    val = _series(history, f"val_{key}", required=False)
    if val:
        curves[f"validation {name}"] = val
    fig = Figure(figsize=_CURVE_SIZE, layout="constrained")
    ax = fig.subplots()
    for label, values in curves.items():
        epochs = range(1, len(values) + 1)
        ax.plot(epochs, values, marker="o" if len(values) <= 30 else None, label=label)
    best_curve = curves.get(f"validation {name}", curves[f"training {name}"])
    finite = [(v, e) for e, v in enumerate(best_curve, start=1) if math.isfinite(v)]
    if finite:
        best, epoch = min(finite)
        which = "validation" if f"validation {name}" in curves else "training"
        ax.plot(
            [epoch],
            [best],
            "k*",
            markersize=10,
            label=f"lowest {which}: {best:.4g} (epoch {epoch})",
        )
    everything = [v for values in curves.values() for v in values if math.isfinite(v)]
    if everything and min(everything) > 0 and max(everything) / min(everything) > 100:
        ax.set_yscale("log")  # a loss falling over decades reads better on a log scale
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    longest = max(len(values) for values in curves.values())
    if longest <= 2:  # one or two epochs: whole-numbered ticks need the room made for them
        ax.set_xlim(0.5, longest + 0.5)
        ax.set_xticks(range(1, longest + 1))
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    shown = title if title is not None else f"{name.capitalize()} per epoch"
    ax.set_title(wrap(shown, _CURVE_SIZE[0], 10.0), fontsize=10)
    ax.grid(True, alpha=0.3)
    # below the axes, where it covers no curve
    fig.legend(loc="outside lower center", frameon=False, fontsize=MIN_FONT_PT)
    return fig


def wrap(text: str, width_in: float, points: float) -> str:
    """``text`` broken into lines that fit ``width_in`` inches (less 0.3 in of margin) at
    ``points`` (a glyph is at most about 0.6 em wide on average): a long title wraps
    instead of being clipped.

    Examples
    --------
    >>> wrap("BoltzmannRecommender on generated ratings (not MovieLens)", 3.4, 10)
    'BoltzmannRecommender on generated\\nratings (not MovieLens)'
    """
    import textwrap

    chars = max(8, int((width_in - 0.3) * 72 / (0.6 * points)))
    return "\n".join(textwrap.wrap(text, chars)) or text


def history_png(
    history: Mapping[str, Any], title: str | None = None, *, key: str = "loss"
) -> bytes:
    """The loss curve of ``history`` as PNG bytes, e.g. to embed as base64 in HTML.

    Parameters
    ----------
    history : dict
        ``"loss"``: the training loss per epoch (at least one value); optionally
        ``"val_loss"``. Other keys are ignored; NaN or infinite values leave a gap.
    title : str, optional
        Default "Loss per epoch".
    key : str, default="loss"
        The curve to draw (with ``"val_" + key`` beside it when present), e.g.
        ``"errors"`` for the perceptron's mistakes per epoch.

    Examples
    --------
    >>> import base64
    >>> png = history_png({"loss": [1.0, 0.6, 0.5]}, title="ANN")
    >>> base64.b64encode(png).decode()[:8]
    'iVBORw0K'
    """
    return _render(_history_figure(history, title, key), "png")


def plot_history(
    history: Mapping[str, Any], path: str | os.PathLike[str], title: str | None = None
) -> None:
    """Draw the loss curve of ``history`` (see :func:`history_png`) to ``path``, atomically.

    ``path`` is a ``.png``, ``.svg`` or ``.pdf`` file in an existing folder.

    Raises
    ------
    ValueError
        If the folder does not exist, the format is unknown or ``history`` is malformed.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "loss.png")
    >>> plot_history({"loss": [0.9, 0.5], "val_loss": [1.0, 0.8]}, path)
    >>> os.path.getsize(path) > 1000
    True
    """
    path, fmt = _check_path(path)
    atomic_write_bytes(path, _render(_history_figure(history, title), fmt))
