"""Artificial neural networks: the perceptron (one neuron, its own NumPy loop), and the dense
network for regression and classification with its hand-written backward pass.

>>> from cortexkit.ann import ANNClassifier, ANNRegressor, Perceptron
"""

from cortexkit.ann.estimator import ANNClassifier, ANNRegressor
from cortexkit.ann.network import DenseNetwork
from cortexkit.ann.perceptron import Perceptron

__all__ = ["ANNClassifier", "ANNRegressor", "DenseNetwork", "Perceptron"]
