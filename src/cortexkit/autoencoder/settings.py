"""What an autoencoder's settings describe: the checks that span several parameters, and
the network they build for data of a given shape (dense for tables, convolutional for
images unless ``architecture="dense"``).

``settings`` is the estimator's parameters as a mapping (``get_params()``, or the ones
frozen at fit).

Examples
--------
>>> import torch
>>> settings = {"hidden_layers": (4, 2), "decoder_layers": None, "kind": "plain",
...             "activation": "relu", "output_activation": "identity",
...             "tied_weights": False, "init": "xavier_uniform", "architecture": "auto",
...             "conv_channels": (8,)}
>>> new_network(settings, 6, None, torch.Generator().manual_seed(0)).layer_sizes
[6, 4, 2, 4, 6]
>>> new_network(settings, 64, (8, 8), torch.Generator()).__class__.__name__
'ConvAutoEncoderNetwork'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from cortexkit.autoencoder.conv import ConvAutoEncoderNetwork
from cortexkit.autoencoder.ensemble import EnsembleNetwork
from cortexkit.autoencoder.inputs import image_layout, to_channels_first, uses_conv
from cortexkit.autoencoder.network import AutoEncoderNetwork, decoder_sizes

__all__ = ["NO_LAYERS", "check_settings", "new_network", "saved_network"]


class _NoLayers:
    """A rule of the constraints table: an empty list or tuple (no decoder hidden layer)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and not value

    def __str__(self) -> str:
        return "an empty list"


NO_LAYERS = _NoLayers()


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse settings that each pass their own check but not together.

    Raises
    ------
    ValueError
        Masking noise of level 1 or more, tied weights with a decoder that is not the
        encoder's mirror, or the KL sparsity penalty with a code not in (0, 1).
    """
    s = settings
    if isinstance(s["hidden_layers"], str):  # "auto": checked again once it has widths
        return
    if s["kind"] == "denoising" and s["noise"] == "masking" and not s["noise_level"] < 1:
        raise ValueError(
            "noise_level must be in [0, 1) for noise='masking' (the probability that an "
            f"entry is zeroed); got {s['noise_level']!r}"
        )
    if s["tied_weights"] and s["decoder_layers"] is not None:
        mirror = decoder_sizes(s["hidden_layers"], None)
        if decoder_sizes(s["hidden_layers"], s["decoder_layers"]) != mirror:
            raise ValueError(
                f"tied_weights=True needs the mirrored decoder (decoder_layers=None or "
                f"{mirror}); got decoder_layers={s['decoder_layers']!r}"
            )
    activation = s["activation"]
    if s["kind"] == "sparse" and s["sparsity"] == "kl" and isinstance(activation, str):
        if activation != "sigmoid":
            raise ValueError(
                "sparsity='kl' reads the code's activations as probabilities: it needs "
                f"activation='sigmoid' (codes in (0, 1)); got {activation!r}"
            )


def new_network(
    settings: Mapping[str, Any],
    n_inputs: int,
    image_shape: tuple[int, ...] | None,
    generator: torch.Generator,
) -> nn.Module:
    """The network ``settings`` describe for data of ``n_inputs`` values per row, shaped
    ``image_shape`` (one image as given, or None for a table), its weights drawn from
    ``generator``; with ``n_estimators`` above 1, an :class:`EnsembleNetwork` of that many
    (their weights drawn one network after the other)."""
    n_members = int(settings.get("n_estimators", 1))  # model files before it have one
    if n_members > 1:
        one = {**settings, "n_estimators": 1}
        members = [new_network(one, n_inputs, image_shape, generator) for _ in range(n_members)]
        return EnsembleNetwork(members)
    common: dict[str, Any] = {
        "activation": settings["activation"],
        "output_activation": settings["output_activation"],
        "tied_weights": settings["tied_weights"],
        "variational": settings["kind"] == "variational",
        "init": settings["init"],
        "generator": generator,
    }
    hidden, decoder = settings["hidden_layers"], settings["decoder_layers"]
    if image_shape is not None and uses_conv(settings["architecture"], image_shape):
        layout = image_layout((1, *image_shape))
        chw = to_channels_first(np.empty((1, *image_shape)), layout).shape[1:]
        return ConvAutoEncoderNetwork(chw, settings["conv_channels"], hidden, decoder, **common)
    return AutoEncoderNetwork(n_inputs, hidden, decoder, **common)


def saved_network(
    settings: Mapping[str, Any],
    n_inputs: int,
    image_shape: tuple[int, ...] | None,
    tensors: Mapping[str, Tensor],
) -> nn.Module:
    """The network ``settings`` describe, holding the weights ``tensors`` (a model file's).

    Raises
    ------
    ValueError
        If the weights' names or shapes do not fit that network.
    """
    net = new_network(settings, n_inputs, image_shape, torch.Generator())
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    given = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected != given:
        raise ValueError(
            "the weights do not fit this autoencoder's parameters (layers, kind, tied "
            "weights, architecture)"
        )
    net.load_state_dict(dict(tensors))
    return net
