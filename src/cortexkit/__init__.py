"""cortexkit: the six classic deep-learning families behind one scikit-learn-style interface.

The public names load on first use (PEP 562), so ``import cortexkit`` (and with it
``cortexkit --help``, ``cortexkit.defaults`` and ``cortexkit.exceptions``) does not load
torch or scikit-learn.

Importing cortexkit before torch also shortens how long torch's idle OpenMP threads spin
waiting for work (``GOMP_SPINCOUNT=10000`` unless it is set; OpenMP reads it when torch
loads). With the default spin, on a machine busier than its cores, the spinning threads
starve the ones doing the work: a small recommender fit took 50.7 s beside two busy
processes on 2 cores, and 4.1 s with the short spin, which costs nothing measurable on a
quiet machine (``make bench``'s ``bench/README.md``, "Threads on a busy machine").

>>> from cortexkit import ANNClassifier, Perceptron, load
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if "torch" not in sys.modules:  # once torch has loaded OpenMP, the setting is read
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from cortexkit._version import __version__
from cortexkit.exceptions import CortexkitError, DivergenceError, ModelFileError

if TYPE_CHECKING:
    from cortexkit.ann.estimator import ANNClassifier, ANNRegressor
    from cortexkit.ann.perceptron import Perceptron
    from cortexkit.autoencoder import AutoEncoder
    from cortexkit.boltzmann.dbm import DBM
    from cortexkit.boltzmann.dbn import DBN
    from cortexkit.boltzmann.dbn_classifier import DBNClassifier
    from cortexkit.boltzmann.rbm import RBM
    from cortexkit.cnn.estimator import CNNClassifier
    from cortexkit.persist import load
    from cortexkit.recommend.autorec import AutoRecRecommender
    from cortexkit.recommend.boltzmann import BoltzmannRecommender
    from cortexkit.rnn.estimator import RNNClassifier, RNNRegressor
    from cortexkit.rnn.forecaster import RNNForecaster
    from cortexkit.som import SelfOrganizingMap

__all__ = [
    "DBM",
    "DBN",
    "RBM",
    "ANNClassifier",
    "ANNRegressor",
    "AutoEncoder",
    "AutoRecRecommender",
    "BoltzmannRecommender",
    "CNNClassifier",
    "CortexkitError",
    "DBNClassifier",
    "DivergenceError",
    "ModelFileError",
    "Perceptron",
    "RNNClassifier",
    "RNNForecaster",
    "RNNRegressor",
    "SelfOrganizingMap",
    "__version__",
    "load",
]

# public name -> the module that defines it, imported when the name is first asked for
_LAZY = {
    "ANNClassifier": "cortexkit.ann.estimator",
    "ANNRegressor": "cortexkit.ann.estimator",
    "AutoEncoder": "cortexkit.autoencoder",
    "AutoRecRecommender": "cortexkit.recommend.autorec",
    "BoltzmannRecommender": "cortexkit.recommend.boltzmann",
    "CNNClassifier": "cortexkit.cnn.estimator",
    "Perceptron": "cortexkit.ann.perceptron",
    "SelfOrganizingMap": "cortexkit.som",
    "RNNClassifier": "cortexkit.rnn.estimator",
    "RNNForecaster": "cortexkit.rnn.forecaster",
    "RNNRegressor": "cortexkit.rnn.estimator",
    "DBM": "cortexkit.boltzmann.dbm",
    "DBN": "cortexkit.boltzmann.dbn",
    "DBNClassifier": "cortexkit.boltzmann.dbn_classifier",
    "RBM": "cortexkit.boltzmann.rbm",
    "load": "cortexkit.persist",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cortexkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
