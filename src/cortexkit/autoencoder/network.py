"""A dense encoder and decoder whose activations are chosen by name.

:class:`AutoEncoderNetwork` maps ``n_inputs`` values to a code of ``hidden_layers[-1]``
units and back. Each layer is ``a = f(z)``, ``z = a_prev W^T + b``; the hidden layers
(the code included) use ``activation``, the reconstruction ``output_activation``, any name
of :data:`cortexkit.nn.ACTIVATIONS` or a callable. The decoder mirrors the encoder
unless ``decoder_layers`` is given.

- ``tied_weights=True``: each decoder layer uses the transpose of its mirror encoder
  layer's weight, *the same tensor* (the decoder keeps only its biases), so the model has
  about half the weights and a gradient step moves both sides at once.
- ``variational=True``: the code layer becomes two heads, the mean and the log-variance of
  a Gaussian posterior (linear, no activation); :meth:`~AutoEncoderNetwork.forward` decodes
  the mean, and :meth:`~AutoEncoderNetwork.sample_code` draws ``mu + eps * sigma`` (the
  reparameterisation trick).

AutoRec (Sedhain et al., 2015) is the one-hidden-layer case:
``AutoEncoderNetwork(n_items, (500,), activation="sigmoid", output_activation="identity")``
trained with :func:`~cortexkit.autoencoder.masked_mse`.

Shape:
    - Input: ``(batch, n_inputs)``
    - Code: ``(batch, hidden_layers[-1])``
    - Output: ``(batch, n_inputs)``
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cortexkit._validation import as_widths
from cortexkit.nn.activations import Activation, get_activation
from cortexkit.nn.init import get_initializer

__all__ = ["AutoEncoderNetwork", "decoder_sizes"]

ActivationLike = str | Activation | Callable[[Tensor], Tensor]
Widths = int | Sequence[int]


def decoder_sizes(hidden_layers: Widths, decoder_layers: Widths | None) -> list[int]:
    """The decoder's hidden layer sizes: ``decoder_layers``, or the encoder's hidden
    layers (``hidden_layers`` but the code) in reverse (the mirror) when it is None.

    Examples
    --------
    >>> decoder_sizes((128, 64, 32), None)
    [64, 128]
    >>> decoder_sizes((128, 32), (16, 64))
    [16, 64]
    """
    if decoder_layers is None:
        return [int(s) for s in reversed(as_widths(hidden_layers, "hidden_layers")[:-1])]
    if isinstance(decoder_layers, list | tuple) and not decoder_layers:
        return []
    return list(as_widths(decoder_layers, "decoder_layers"))


class AutoEncoderNetwork(nn.Module):
    """Dense encoder ``n_inputs -> ... -> code`` and decoder ``code -> ... -> n_inputs``.

    Parameters
    ----------
    n_inputs : int
        Values per sample.
    hidden_layers : int or sequence of int
        Units per encoder layer, from the input side; the last is the code. An int is one
        layer (the code).
    decoder_layers : int, sequence of int or None, default=None
        Units per decoder hidden layer (the output layer of ``n_inputs`` units follows;
        ``()``: none); ``None`` mirrors the encoder.
    activation : str, Activation, callable or a sequence of them, default="relu"
        Of every hidden layer, the code included: one for all, or one per layer (the
        encoder's, then the decoder's hidden ones). A variational code has none.
    output_activation : str, Activation or callable, default="identity"
        Of the reconstruction (``"sigmoid"`` for values in [0, 1]).
    tied_weights : bool, default=False
        Decoder weights are the transposes of the encoder's (one shared tensor each); needs
        the mirrored decoder.
    variational : bool, default=False
        A Gaussian code: mean and log-variance heads.
    init : str or callable, default="xavier_uniform"
        Weight initialiser by name (see :data:`cortexkit.nn.INITIALIZERS`); biases
        start at zero.
    generator : torch.Generator or None, default=None
        Source of the initial weights.
    dtype : torch.dtype, default=torch.float32
        Of the weights.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import AutoEncoderNetwork
    >>> net = AutoEncoderNetwork(6, (4, 2), activation="tanh", tied_weights=True,
    ...                          generator=torch.Generator().manual_seed(0))
    >>> x = torch.randn(3, 6)
    >>> net.encode(x).shape, net(x).shape
    (torch.Size([3, 2]), torch.Size([3, 6]))
    >>> net.layer_sizes
    [6, 4, 2, 4, 6]
    >>> net.extra_repr()
    'layer_sizes=[6, 4, 2, 4, 6], activation=tanh, output_activation=identity, tied_weights=True'
    >>> sum(p.numel() for p in net.parameters())  # 6*4 + 4*2 weights, 4+2+4+6 biases
    48
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_layers: Widths,
        decoder_layers: Widths | None = None,
        *,
        activation: ActivationLike | Sequence[ActivationLike] = "relu",
        output_activation: ActivationLike = "identity",
        tied_weights: bool = False,
        variational: bool = False,
        init: str | Callable[..., Any] = "xavier_uniform",
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        enc = list(as_widths(hidden_layers, "hidden_layers"))
        if n_inputs < 1:
            raise ValueError(f"n_inputs must be a positive int; got {n_inputs!r}")
        dec = decoder_sizes(enc, decoder_layers)
        if tied_weights and decoder_layers is not None and dec != decoder_sizes(enc, None):
            raise ValueError(
                f"tied_weights=True needs the mirrored decoder {decoder_sizes(enc, None)}; "
                f"got decoder_layers={decoder_layers!r}"
            )
        self.n_inputs = int(n_inputs)
        self.encoder_sizes = [self.n_inputs, *enc]
        self.decoder_sizes = [enc[-1], *dec, self.n_inputs]
        self.tied_weights = bool(tied_weights)
        self.variational = bool(variational)
        self.init = init
        n_hidden = len(enc) + len(dec)
        if isinstance(activation, str | Activation) or callable(activation):
            acts: list[Any] = [activation] * n_hidden
        else:
            acts = list(activation)
            if len(acts) != n_hidden:
                raise ValueError(
                    f"activation lists one per hidden layer (encoder then decoder): expected "
                    f"{n_hidden}, got {len(acts)}"
                )
        resolved = [get_activation(a) for a in acts]
        self.encoder_activations = resolved[: len(enc)]
        if self.variational:  # the Gaussian code is linear
            self.encoder_activations[-1] = get_activation("identity")
        self.decoder_activations = [*resolved[len(enc) :], get_activation(output_activation)]

        pairs = list(zip(self.encoder_sizes[:-1], self.encoder_sizes[1:], strict=True))
        self.encoder = nn.ModuleList(nn.Linear(i, o, dtype=dtype) for i, o in pairs)
        # the variational log-variance head, beside the mean head (the last encoder layer)
        self.logvar = nn.Linear(pairs[-1][0], pairs[-1][1], dtype=dtype) if variational else None
        dec_pairs = list(zip(self.decoder_sizes[:-1], self.decoder_sizes[1:], strict=True))
        if self.tied_weights:
            # only the biases: the weights are the encoder's own tensors, transposed
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.zeros(o, dtype=dtype)) for _, o in dec_pairs
            )
            self.decoder = nn.ModuleList()
        else:
            self.decoder = nn.ModuleList(nn.Linear(i, o, dtype=dtype) for i, o in dec_pairs)
        self.reset_parameters(generator)

    @property
    def layer_sizes(self) -> list[int]:
        """Units per layer, input first: ``[n_inputs, *hidden_layers, *decoder, n_inputs]``."""
        return [*self.encoder_sizes, *self.decoder_sizes[1:]]

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw fresh weights (``init``, from ``generator``); biases start at zero, so the
        first reconstruction is centred on each layer's weighted input."""
        fill = get_initializer(self.init)
        layers = [*self.encoder, *self.decoder]
        if self.logvar is not None:
            layers.append(self.logvar)
        for layer in layers:
            fill(layer.weight, generator=generator)
            layer.bias.zero_()
        if self.logvar is not None:
            # a small start for the log-variance head: sigma near 1, the prior's
            self.logvar.weight.mul_(0.1)
        for b in getattr(self, "decoder_biases", []):
            b.zero_()

    def extra_repr(self) -> str:
        hidden = self.encoder_activations[:-1] if self.variational else self.encoder_activations
        names = [a.name for a in [*hidden, *self.decoder_activations[:-1]]]
        text = f"layer_sizes={self.layer_sizes}"
        if names:  # a variational code alone has no hidden activation
            shown = names[0] if len(set(names)) == 1 else "[" + ", ".join(names) + "]"
            text += f", activation={shown}"
        text += f", output_activation={self.decoder_activations[-1].name}"
        if self.tied_weights:
            text += ", tied_weights=True"
        if self.variational:
            text += ", variational=True"
        return text

    def encode_stats(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """The code's mean (the code itself when not variational) and log-variance
        (None when not variational)."""
        h = x
        last = len(self.encoder) - 1
        for k, (layer, act) in enumerate(zip(self.encoder, self.encoder_activations, strict=True)):
            if k == last and self.logvar is not None:
                return layer(h), self.logvar(h)  # (batch, code) each
            h = act(layer(h))
        return h, None

    def encode(self, x: Tensor) -> Tensor:
        """The code ``(batch, code)``: the posterior mean for a variational network."""
        return self.encode_stats(x)[0]

    def sample_code(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """``mu + eps * exp(logvar / 2)``, ``eps`` from torch's global RNG (what the fit
        seeds), differentiable in ``mu`` and ``logvar``."""
        return mu + torch.randn_like(mu) * (0.5 * logvar).exp()

    def decode(self, code: Tensor) -> Tensor:
        """The reconstruction ``(batch, n_inputs)`` of a code ``(batch, code)``."""
        h = code
        n_enc = len(self.encoder)
        for j, act in enumerate(self.decoder_activations):
            if self.tied_weights:
                # decoder layer j is the mirror of encoder layer n_enc - 1 - j
                mirror = cast(nn.Linear, self.encoder[n_enc - 1 - j])
                h = act(F.linear(h, mirror.weight.t(), self.decoder_biases[j]))
            else:
                h = act(self.decoder[j](h))
        return h

    def forward(self, x: Tensor) -> Tensor:
        """The deterministic reconstruction (a variational network decodes the mean)."""
        return self.decode(self.encode(x))
