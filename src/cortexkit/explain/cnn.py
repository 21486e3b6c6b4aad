"""One image through a convolutional network, step by step, with the shapes at each step.

The classic walk-through of a CNN:

1. the input image, ``(1, C, H, W)``;
2. convolution with a few named filters (edge, blur, sharpen), to show what a filter does;
3. convolution with the network's learned filters (then batch normalisation, when the
   network has it);
4. ReLU, which sets the negative values to 0;
5. max pooling, which keeps the largest value of each 2x2 window;
6. the other blocks, then flattening into one vector;
7. the fully connected layers, and the class probabilities (softmax).

:func:`explain_cnn` prints each step's shape and writes one figure of the feature maps.
Without a model it trains a small one on scikit-learn's 8x8 digits (a second or two).

Examples
--------
>>> import io, os, tempfile
>>> from cortexkit.explain.cnn import explain_cnn
>>> out = io.StringIO()
>>> trace = explain_cnn(plot=os.path.join(tempfile.mkdtemp(), "cnn.png"), file=out)
>>> trace.steps[0].name, trace.steps[0].shape
('input image', (1, 1, 8, 8))
>>> abs(sum(trace.probabilities) - 1) < 1e-6
True
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["NAMED_FILTERS", "CNNTrace", "TraceStep", "explain_cnn"]

NAMED_FILTERS = {
    "edge": [[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]],  # Laplacian
    "blur": [[1 / 9] * 3] * 3,  # box blur
    "sharpen": [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
}
SHOWN = 8  # feature maps drawn per step


@dataclass
class TraceStep:
    """One step: its name, the output's shape, a note, and maps to draw (``(k, H, W)``)."""

    name: str
    shape: tuple[int, ...]
    note: str = ""
    maps: Tensor | None = field(default=None, repr=False)


@dataclass
class CNNTrace:
    """The walk-through of one image."""

    steps: list[TraceStep]
    classes: list[str]
    probabilities: list[float]
    predicted: str


def _small_model() -> Any:
    """A small CNN trained on scikit-learn's 8x8 digits (about a second)."""
    from sklearn.datasets import load_digits

    from cortexkit.cnn.estimator import CNNClassifier

    X, y = load_digits(return_X_y=True)
    small = CNNClassifier(
        (8, 16), convs_per_block=1, hidden_layers=(32,), augment=None, epochs=6,
        random_state=0, device="cpu",
    )  # fmt: skip
    return small.fit(X.reshape(-1, 8, 8), y)


def _image(est: Any, image: Any) -> Tensor:
    """The image as ``(1, C, H, W)`` raw values in the model's size and mode."""
    from cortexkit.cnn.plots import image_tensor
    from cortexkit.data.images import load_image

    if image is None:
        from sklearn.datasets import load_digits

        digit = load_digits().images[-1] * (255 / 16)  # a held-out-looking 8x8 digit
        resized = torch.from_numpy(digit).float()[None, None]
        resized = F.interpolate(resized, size=est.image_size_, mode="bilinear")
        arr = resized.repeat(1, est.n_channels_, 1, 1)[0].numpy().astype(np.float32)
        return torch.from_numpy(est._images(arr[None], fitting=False))
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"no image at {str(path)!r}")
        mode = est.color_mode_ or ("L" if est.n_channels_ == 1 else "RGB")
        arr = load_image(path, est.image_size_, mode)  # (H, W, C) uint8
        return image_tensor(est, arr)
    return image_tensor(est, image)


def _share_zero(t: Tensor) -> str:
    return f"{float((t == 0).float().mean()):.0%} of the values are 0"


def explain_cnn(
    image: Any = None,
    model: Any = None,
    *,
    plot: str | os.PathLike[str] | None = None,
    file: TextIO | None = None,
) -> CNNTrace:
    """Walk ``image`` (a file, an array, or None for a digit) through ``model`` (a fitted
    :class:`~cortexkit.cnn.estimator.CNNClassifier`, a model file's path, or None for a
    small one trained on the spot); print the steps to ``file`` and draw them to ``plot``.
    """
    from cortexkit.cnn.plots import first_conv

    out = sys.stdout if file is None else file
    if model is None:
        est = _small_model()
    elif isinstance(model, str | os.PathLike):
        from cortexkit.persist import load

        est = load(model, device="cpu")
    else:
        est = model
    from cortexkit.cnn.estimator import CNNClassifier

    if not isinstance(est, CNNClassifier) or not hasattr(est, "network_"):
        raise ValueError(
            "model must be a fitted CNNClassifier (or its model file), "
            f"not {'an unfitted ' if isinstance(est, CNNClassifier) else ''}{type(est).__name__}"
        )
    x = _image(est, image).to(est._device())
    net = est.network_.eval()
    steps: list[TraceStep] = []
    with torch.no_grad():
        steps.append(TraceStep("input image", tuple(x.shape), f"{x.shape[1]} channel(s)",
                               x[0].float()))  # fmt: skip
        h = net.preprocess(x)
        gray = h.mean(1, keepdim=True)
        kernels = torch.tensor(list(NAMED_FILTERS.values()), device=h.device)[:, None]
        named = F.conv2d(gray, kernels, padding=1)
        steps.append(TraceStep("named filters " + ", ".join(NAMED_FILTERS), tuple(named.shape),
                               "3x3 convolutions of the normalised image", named[0]))  # fmt: skip
        features = getattr(net.body, "features", None)
        layers = None if features is None else list(features)
        if layers is None:  # a user's module: its first convolution, ReLU, pooling
            conv = first_conv(net)
            layers = [conv, nn.ReLU(), nn.MaxPool2d(2)]
        for layer in layers:
            h = layer(h)
            steps.append(_layer_step(layer, h))
        classifier = getattr(net.body, "classifier", None)
        if classifier is not None:
            for layer in classifier:
                h = layer(h)
                steps.append(_layer_step(layer, h))
            logits = h
        else:
            logits = net(x)
            steps.append(TraceStep("the rest of the module", tuple(logits.shape)))
        proba = torch.softmax(logits, 1)[0].cpu()
    classes = [str(c) for c in est.classes_]
    steps.append(TraceStep("softmax: class probabilities", tuple(proba[None].shape)))
    predicted = classes[int(proba.argmax())]
    trace = CNNTrace(steps, classes, proba.tolist(), predicted)
    _print(trace, out)
    if plot is not None:
        from cortexkit.io.envelope import atomic_write_bytes

        atomic_write_bytes(plot, _figure(trace))
        print(f"wrote the feature maps to {plot}", file=out)
    return trace


def _layer_step(layer: nn.Module, h: Tensor) -> TraceStep:
    shape = tuple(h.shape)
    maps = h[0, :SHOWN] if h.dim() == 4 else None
    if isinstance(layer, nn.Conv2d):
        k = layer.kernel_size
        return TraceStep(f"convolution, {layer.out_channels} learned {k[0]}x{k[1]} filters",
                         shape, "", maps)  # fmt: skip
    if isinstance(layer, nn.BatchNorm2d):
        return TraceStep("batch normalisation", shape)
    if isinstance(layer, nn.ReLU):
        return TraceStep("ReLU", shape, _share_zero(h), maps)
    if isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
        kind = "max" if isinstance(layer, nn.MaxPool2d) else "average"
        return TraceStep(f"{kind} pooling 2x2", shape, "each map halved", maps)
    if isinstance(layer, nn.Flatten | nn.AdaptiveAvgPool2d):
        what = "flattening" if isinstance(layer, nn.Flatten) else "global average pooling"
        return TraceStep(what, shape)
    if isinstance(layer, nn.Linear):
        return TraceStep(f"fully connected, {layer.in_features} -> {layer.out_features}", shape)
    if isinstance(layer, nn.Dropout):
        return TraceStep("dropout (off when predicting)", shape)
    return TraceStep(type(layer).__name__, shape)


def _print(trace: CNNTrace, out: TextIO) -> None:
    width = max(len(s.name) for s in trace.steps)
    for i, s in enumerate(trace.steps, start=1):
        note = f"  ({s.note})" if s.note else ""
        print(f"{i:>2}. {s.name:<{width}}  {s.shape!s:<18}{note}", file=out)
    top = np.argsort(trace.probabilities)[::-1][:3]
    shown = ", ".join(f"{trace.classes[i]}: {trace.probabilities[i]:.3f}" for i in top)
    print(f"predicted class {trace.predicted!r} ({shown})", file=out)


def _figure(trace: CNNTrace) -> bytes:
    """One row per step with maps (up to 8 maps each), then the probabilities."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cortexkit.plot import _render

    drawn = [s for s in trace.steps if s.maps is not None]
    rows = len(drawn) + 1
    fig = Figure(figsize=(SHOWN * 1.2, rows * 1.35 + 0.6))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(rows, SHOWN)
    for r, s in enumerate(drawn):
        assert s.maps is not None
        maps = s.maps.cpu()
        for c in range(min(len(maps), SHOWN)):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(maps[c].numpy(), cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(f"{s.name} {s.shape}", fontsize=7, loc="left")
    ax = fig.add_subplot(grid[rows - 1, :])
    ax.bar(trace.classes, trace.probabilities, color="tab:blue")
    ax.set_ylim(0, 1)
    ax.set_title(f"class probabilities: predicted {trace.predicted!r}", fontsize=8)
    fig.tight_layout()
    return _render(fig)
