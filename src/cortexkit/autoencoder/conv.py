"""The convolutional autoencoder's network.

:class:`ConvAutoEncoderNetwork` is a stack of stride-2 3x3 convolutions (each halves the
height and width, rounding up), then the dense
:class:`~cortexkit.autoencoder.AutoEncoderNetwork` on the flattened feature maps (its
encoder ends in the code; variational and tied weights work there as in the dense
network), then stride-2 transposed convolutions back to the image's exact size. It
computes in ``(N, C, H, W)``; :func:`~cortexkit.autoencoder.inputs.image_layout` reads the
layouts images come in.

Shape:
    - Input: ``(batch, C, H, W)``
    - Code: ``(batch, hidden_layers[-1])``
    - Output: ``(batch, C, H, W)``
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cortexkit._validation import as_widths
from cortexkit.autoencoder.network import ActivationLike, AutoEncoderNetwork, Widths
from cortexkit.nn.activations import activation_module, get_activation
from cortexkit.nn.init import get_initializer

__all__ = ["ConvAutoEncoderNetwork"]


class ConvAutoEncoderNetwork(nn.Module):
    """Convolutions, a dense bottleneck, transposed convolutions.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of one image.
    conv_channels : int or sequence of int
        Output channels of each stride-2 convolution (an int: one).
    hidden_layers : int or sequence of int
        Dense units after the flattened feature maps, from the input side; the last is
        the code.
    decoder_layers : int, sequence of int or None, default=None
        Dense decoder hidden units (``None``: the mirror).
    activation : str, Activation or callable, default="relu"
        Of every layer but the output.
    output_activation : str, Activation or callable, default="identity"
        Of the reconstructed image (``"sigmoid"`` for pixels in [0, 1]).
    tied_weights, variational : bool, default=False
        Of the dense part (see :class:`~cortexkit.autoencoder.AutoEncoderNetwork`).
    init : str or callable, default="xavier_uniform"
        Weight initialiser; biases start at zero.
    generator : torch.Generator or None, default=None
        Source of the initial weights.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder.conv import ConvAutoEncoderNetwork
    >>> net = ConvAutoEncoderNetwork((1, 28, 27), (8, 16), (32, 4),
    ...                              generator=torch.Generator().manual_seed(0))
    >>> x = torch.zeros(2, 1, 28, 27)
    >>> net.encode(x).shape, net(x).shape
    (torch.Size([2, 4]), torch.Size([2, 1, 28, 27]))
    >>> net.extra_repr()
    'image_shape=(1, 28, 27), conv_channels=[8, 16]'
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        conv_channels: Widths,
        hidden_layers: Widths,
        decoder_layers: Widths | None = None,
        *,
        activation: ActivationLike = "relu",
        output_activation: ActivationLike = "identity",
        tied_weights: bool = False,
        variational: bool = False,
        init: str | Callable[..., Any] = "xavier_uniform",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        c, h, w = (int(s) for s in image_shape)
        channels = list(as_widths(conv_channels, "conv_channels"))
        self.image_shape = (c, h, w)
        self.conv_channels = channels
        self.init = init
        # (H, W) after each convolution: stride 2, padding 1, kernel 3 -> ceil(size / 2)
        sizes = [(h, w)]
        for _ in channels:
            sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
        self._sizes = sizes
        act = activation_module(get_activation(activation))
        down: list[nn.Module] = []
        for i, o in zip([c, *channels[:-1]], channels, strict=True):
            down += [nn.Conv2d(i, o, 3, stride=2, padding=1), act]
        self.down = nn.Sequential(*down)
        self.flat_shape = (channels[-1], *sizes[-1])
        self.dense = AutoEncoderNetwork(
            int(np.prod(self.flat_shape)),
            hidden_layers,
            decoder_layers,
            activation=activation,
            output_activation=activation,
            tied_weights=tied_weights,
            variational=variational,
            init=init,
            generator=generator,
        )
        up: list[nn.Module] = []
        outs = [*reversed(channels[:-1]), c]
        ins = list(reversed(channels))
        for k, (i, o) in enumerate(zip(ins, outs, strict=True)):
            (th, tw), (sh, sw) = sizes[-2 - k], sizes[-1 - k]
            # a transposed stride-2 convolution gives 2 * size - 1; pad to the exact target
            pad = (th - (2 * sh - 1), tw - (2 * sw - 1))
            up.append(nn.ConvTranspose2d(i, o, 3, stride=2, padding=1, output_padding=pad))
            last = k == len(ins) - 1
            up.append(activation_module(get_activation(output_activation)) if last else act)
        self.up = nn.Sequential(*up)
        self.reset_parameters(generator)

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, conv_channels={self.conv_channels}"

    @property
    def variational(self) -> bool:
        return self.dense.variational

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Fresh convolution weights from ``init``; biases start at zero (the dense part
        draws its own)."""
        fill = get_initializer(self.init)
        for layer in [*self.down, *self.up]:
            if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
                fill(layer.weight, generator=generator)
                layer.bias.zero_()  # type: ignore[union-attr]

    def encode_stats(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """The code's mean and log-variance (None when not variational)."""
        return self.dense.encode_stats(self.down(x).flatten(1))  # (batch, C' * H' * W')

    def encode(self, x: Tensor) -> Tensor:
        """The code ``(batch, code)``."""
        return self.encode_stats(x)[0]

    def sample_code(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """``mu + eps * exp(logvar / 2)`` (see the dense network)."""
        return self.dense.sample_code(mu, logvar)

    def decode(self, code: Tensor) -> Tensor:
        """The image ``(batch, C, H, W)`` of a code."""
        maps = self.dense.decode(code).reshape(code.shape[0], *self.flat_shape)  # traced: ONNX
        return self.up(maps)  # type: ignore[no-any-return]

    def forward(self, x: Tensor) -> Tensor:
        """The deterministic reconstruction."""
        return self.decode(self.encode(x))
