"""The building blocks: activation functions, losses, initialisers and the perceptron."""

from cortexkit.neuron.activations import ACTIVATIONS, Activation, activation_module, get_activation
from cortexkit.neuron.init import INITIALIZERS, get_initializer
from cortexkit.neuron.losses import LOSSES, Loss, get_loss
from cortexkit.neuron.perceptron import Perceptron

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "Activation",
    "Loss",
    "Perceptron",
    "activation_module",
    "get_activation",
    "get_initializer",
    "get_loss",
]
