"""Boltzmann machines: the restricted Boltzmann machine, the deep belief network (and the
classifier fine-tuned from one), and the deep Boltzmann machine.

- :mod:`.units`: the units and the contrastive-divergence statistics they all share;
- :mod:`.update`: the one momentum and weight-decay update of their hand-written steps;
- :mod:`.inference`: a DBM's mean field, Gibbs sweeps and partition function;
- :mod:`.step`, :mod:`.greedy`: the update rules (CD for the RBM, joint for the DBM,
  layer-wise for the DBN, and the DBM's greedy pretraining);
- :mod:`.inputs`, :mod:`.plots`: the data checks and encoding, the figures.

>>> from cortexkit.boltzmann import DBM, DBN, RBM, DBNClassifier
"""

from cortexkit.boltzmann.dbm import DBM
from cortexkit.boltzmann.dbn import DBN
from cortexkit.boltzmann.dbn_classifier import DBNClassifier
from cortexkit.boltzmann.rbm import RBM

__all__ = ["DBM", "DBN", "RBM", "DBNClassifier"]
