"""The convolutional network: preprocessing, convolution blocks and the dense head.

:class:`Preprocess` turns a batch of raw images (uint8 or float, ``(N, C, H, W)``) into
what the convolutions take: float32, augmented while training (random flips, shifts and
small rotations, as one affine resampling per image, in torch ops on the batch's device),
normalised by the per-channel mean and standard deviation of the training images, and in
channels-last memory (NHWC), which the CPU's convolution kernels run faster on.

:class:`ConvNet` is the VGG-style body the parameters describe: blocks of convolutions
(each followed by batch normalisation and ReLU), each block closed by pooling; then the
head: flattening (or global average pooling), dropout and dense ReLU layers, and a linear
output layer of one unit per class (softmax and cross-entropy are in the loss).

Examples
--------
>>> import torch
>>> from cortexkit.cnn.network import ConvNet
>>> net = ConvNet(1, (28, 28), 10, conv_layers=(8, 16), hidden_layers=(32,))
>>> net(torch.zeros(4, 1, 28, 28)).shape
torch.Size([4, 10])
>>> net.feature_shape  # after two 2x2 poolings
(16, 7, 7)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "AUGMENTATIONS",
    "ConvNet",
    "ImageNetwork",
    "Preprocess",
    "augment_batch",
    "check_module",
    "load_state_tensors",
    "state_tensors",
]

AUGMENTATIONS = ("flip", "shift", "rotate")


def augment_batch(x: Tensor, augment: Sequence[str], max_shift: int, max_rotation: float) -> Tensor:
    """Each image of ``x`` (N, C, H, W), float, flipped left-right with probability 1/2
    (``"flip"``), shifted by a whole number of pixels in ``[-max_shift, max_shift]`` on
    each axis (``"shift"``) and rotated by an angle in ``[-max_rotation, max_rotation]``
    degrees (``"rotate"``); the pixels uncovered are 0. Draws from torch's global RNG
    (seeded by ``fit``, as dropout is).

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> torch.equal(augment_batch(x, ("shift",), 0, 0.0), x)  # nothing to draw: unchanged
    True
    """
    n, _, h, w = x.shape
    device = x.device
    theta = torch.zeros(n, 2, 3, device=device)  # (N, 2, 3): output -> input coordinates
    angle = torch.zeros(n, device=device)
    if "rotate" in augment and max_rotation > 0:
        angle = (torch.rand(n, device=device) * 2 - 1) * math.radians(max_rotation)
    cos, sin = torch.cos(angle), torch.sin(angle)
    flip = torch.ones(n, device=device)
    if "flip" in augment:
        flip = torch.where(torch.rand(n, device=device) < 0.5, -1.0, 1.0)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin * h / w
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip * w / h, cos
    if "shift" in augment and max_shift > 0:
        shift = torch.randint(-max_shift, max_shift + 1, (n, 2), device=device).float()
        theta[:, 0, 2] = shift[:, 0] * 2 / w  # normalised coordinates span 2 per image
        theta[:, 1, 2] = shift[:, 1] * 2 / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class Preprocess(nn.Module):
    """Raw images to normalised float32 (augmented while training).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(N, H, W)``, uint8 or float.
        - Output: ``(N, C, H, W)`` float32, channels-last when ``channels_last``.
    """

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        channels: int,
        *,
        augment: Sequence[str] = (),
        max_shift: int = 2,
        max_rotation: float = 10.0,
        channels_last: bool = True,
    ) -> None:
        super().__init__()
        # the training images' statistics, set by the estimator (saved with the weights)
        self.register_buffer("mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("std", torch.ones(1, channels, 1, 1))
        self.channels = channels
        self.augment = tuple(augment)
        self.max_shift = max_shift
        self.max_rotation = max_rotation
        self.channels_last = channels_last

    def extra_repr(self) -> str:
        return (
            f"channels={self.channels}, augment={self.augment}, max_shift={self.max_shift}, "
            f"max_rotation={self.max_rotation}, channels_last={self.channels_last}"
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = x.float()
        if self.training and self.augment:
            x = augment_batch(x, self.augment, self.max_shift, self.max_rotation)
        x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


class ConvNet(nn.Module):
    """Convolution blocks, then a dense head.

    Parameters
    ----------
    in_channels, image_size, n_classes
        The input's channels and ``(height, width)``, and the output units.
    conv_layers, convs_per_block, kernel_size, pooling, batch_norm, dropout, head,
    hidden_layers
        As :class:`~cortexkit.cnn.estimator.CNNClassifier`'s parameters of the same names.

    Shape:
        - Input: ``(N, in_channels, H, W)`` float.
        - Output: ``(N, n_classes)`` raw scores (logits).
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        n_classes: int,
        *,
        conv_layers: Sequence[int] = (32, 64),
        convs_per_block: int = 2,
        kernel_size: int = 3,
        pooling: str | None = "max",
        batch_norm: bool = True,
        dropout: float = 0.25,
        head: str = "flatten",
        hidden_layers: Sequence[int] = (128,),
    ) -> None:
        super().__init__()
        self.in_channels, self.image_size, self.n_classes = (
            in_channels,
            tuple(image_size),
            n_classes,
        )
        self.conv_layers, self.hidden_layers = tuple(conv_layers), tuple(hidden_layers)
        self.convs_per_block, self.kernel_size = convs_per_block, kernel_size
        self.pooling, self.head = pooling, head
        layers: list[nn.Module] = []
        channels, (h, w) = in_channels, image_size
        if conv_layers and kernel_size > max(h, w):  # a window wider than the whole image
            raise ValueError(
                f"kernel_size={kernel_size} is larger than the {h}x{w} images: use a "
                f"kernel_size (--kernel-size) of at most {max(h, w)}, or larger images "
                "(image_size)"
            )
        for filters in conv_layers:
            for _ in range(convs_per_block):
                # "same" padding keeps the size; the bias is redundant before batch norm
                layers.append(nn.Conv2d(channels, filters, kernel_size,
                                        padding=kernel_size // 2, bias=not batch_norm))  # fmt: skip
                if batch_norm:
                    layers.append(nn.BatchNorm2d(filters))
                layers.append(nn.ReLU(inplace=True))
                channels = filters
                if kernel_size % 2 == 0:  # an even kernel with padding k//2 grows by one
                    h, w = h + 1, w + 1
            if pooling is not None and min(h, w) >= 2:
                layers.append(nn.MaxPool2d(2) if pooling == "max" else nn.AvgPool2d(2))
                h, w = h // 2, w // 2
        self.features = nn.Sequential(*layers)
        self.feature_shape = (channels, h, w)
        head_layers: list[nn.Module] = []
        if head == "gap":
            head_layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            width = channels
        else:
            head_layers.append(nn.Flatten())
            width = channels * h * w
        for units in hidden_layers:
            if dropout:
                head_layers.append(nn.Dropout(dropout))
            head_layers += [nn.Linear(width, units), nn.ReLU(inplace=True)]
            width = units
        if dropout:
            head_layers.append(nn.Dropout(dropout))
        head_layers.append(nn.Linear(width, n_classes))
        self.classifier = nn.Sequential(*head_layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, image_size={self.image_size}, "
            f"n_classes={self.n_classes}, conv_layers={self.conv_layers}, "
            f"convs_per_block={self.convs_per_block}, kernel_size={self.kernel_size}, "
            f"pooling={self.pooling}, head={self.head!r}, hidden_layers={self.hidden_layers}"
        )


class ImageNetwork(nn.Module):
    """:class:`Preprocess` followed by the body (a :class:`ConvNet` or the user's module).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(N, H, W)``, uint8 or float, raw pixel values.
        - Output: ``(N, n_classes)`` logits.
    """

    def __init__(self, preprocess: Preprocess, body: nn.Module) -> None:
        super().__init__()
        self.preprocess = preprocess
        self.body = body

    def forward(self, x: Tensor) -> Tensor:
        return self.body(self.preprocess(x))  # type: ignore[no-any-return]


def check_module(net: nn.Module, probe: Tensor, n_classes: int) -> None:
    """Refuse a user's module that fails on the images ``probe`` (two of them, of the
    training shape) or does not return ``(2, n_classes)`` scores."""
    net.eval()
    try:
        with torch.no_grad():
            out = net(probe)
    except Exception as exc:
        raise ValueError(f"module fails on images of shape {tuple(probe.shape)} ({exc})") from None
    if tuple(out.shape) != (len(probe), n_classes):
        raise ValueError(
            f"module must return (N, n_classes) = ({len(probe)}, {n_classes}) scores for "
            f"{len(probe)} images; it returned shape {tuple(out.shape)}"
        )


def state_tensors(net: nn.Module) -> dict[str, Tensor]:
    """The network's state as a model file keeps it: safetensors holds no 0-d tensor (batch
    norm's step count), so those are stored as shape (1,)."""
    return {k: v.detach().cpu().contiguous().reshape(v.shape or (1,))
            for k, v in net.state_dict().items()}  # fmt: skip


def load_state_tensors(net: nn.Module, tensors: dict[str, Tensor]) -> None:
    """Load :func:`state_tensors`' output (strict: a missing or extra tensor is an error)."""
    shapes = {k: v.shape for k, v in net.state_dict().items()}
    tensors = {k: v.reshape(shapes[k]) if k in shapes and not shapes[k] else v
               for k, v in tensors.items()}  # fmt: skip
    net.load_state_dict(tensors)
