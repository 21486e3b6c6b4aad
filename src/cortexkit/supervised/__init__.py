"""Supervised families: artificial neural networks (and later CNN and RNN)."""

from cortexkit.supervised.ann import ANNClassifier, ANNRegressor
from cortexkit.supervised.dense import DenseNetwork

__all__ = ["ANNClassifier", "ANNRegressor", "DenseNetwork"]
