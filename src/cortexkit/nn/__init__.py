"""The neuron's building blocks by name: activation functions, losses and initialisers."""

from cortexkit.nn.activations import ACTIVATIONS, Activation, activation_module, get_activation
from cortexkit.nn.init import INITIALIZERS, get_initializer
from cortexkit.nn.losses import LOSSES, Loss, get_loss

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "Activation",
    "Loss",
    "activation_module",
    "get_activation",
    "get_initializer",
    "get_loss",
]
