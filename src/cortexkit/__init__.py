"""cortexkit: the six classic deep-learning families behind one scikit-learn-style interface.

>>> from cortexkit import ANNClassifier, Perceptron, load
"""

from cortexkit._version import __version__
from cortexkit.exceptions import CortexkitError, DivergenceError, ModelFileError
from cortexkit.neuron.perceptron import Perceptron
from cortexkit.persist import load
from cortexkit.supervised.ann import ANNClassifier, ANNRegressor

__all__ = [
    "ANNClassifier",
    "ANNRegressor",
    "CortexkitError",
    "DivergenceError",
    "ModelFileError",
    "Perceptron",
    "__version__",
    "load",
]
