"""The one set of defaults that the estimators and the command line share.

The ANN estimators' signatures and ``cortexkit train ann`` both read their defaults from
here, so a script and the command line train the same model unless told otherwise. This
module imports nothing heavy: ``cortexkit --help`` reads it without loading torch.

The values are chosen in ``bench/defaults.py`` (5-fold cross-validation against
scikit-learn's ``MLPClassifier()`` / ``MLPRegressor()`` on its bundled tables and on churn);
``bench/README.md`` keeps the table.

Examples
--------
>>> from cortexkit.defaults import ANN
>>> ANN.batch_size
32
>>> from cortexkit.defaults import ANN_REGRESSOR
>>> ANN_REGRESSOR.weight_decay
0.03
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["ANN", "ANN_REGRESSOR", "MAX_CATEGORIES", "RBM", "ANNDefaults", "RBMDefaults"]


@dataclass(frozen=True)
class ANNDefaults:
    """Defaults of ``ANNClassifier``, ``ANNRegressor`` and ``cortexkit train ann``.

    :data:`ANN` holds the classifier's (``ANNClassifier``, ``--task classify``) and
    :data:`ANN_REGRESSOR` the regressor's (``ANNRegressor``, ``--task regress``), which
    differ only in the L2 penalty.

    One hidden layer of 100 ReLU units (the shape of scikit-learn's MLP), mini-batches of
    32, Adam at 1e-3, an L2 penalty of 3e-3 (3e-2 for the regressor), and early stopping:
    10% of the training rows are held out, training stops after 30 epochs without a lower
    validation loss (at most 200 epochs) and the weights of the best epoch are restored.
    Chosen by inner cross-validation on training folds only, among the candidates in
    ``bench/defaults.py``.
    """

    hidden_layers: tuple[int, ...] = (100,)
    activation: str = "relu"
    batch_size: int = 32
    epochs: int = 200
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 3e-3
    early_stopping: bool = True
    validation_fraction: float = 0.1
    patience: int = 30


ANN = ANNDefaults()
"""``ANNClassifier`` and ``cortexkit train ann --task classify``."""

ANN_REGRESSOR = replace(ANN, weight_decay=3e-2)
"""``ANNRegressor`` and ``cortexkit train ann --task regress``: the classifier's defaults
with an L2 penalty of 3e-2, chosen for the regressor alone (inner cross-validation on
diabetes and a Friedman #1 guard set, ``bench/defaults.py``)."""

# One-hot columns per text column of a table (TableEncoder, --max-categories), the shared
# "<other>" column included; the reasons are in cortexkit/data/encoder.py.
MAX_CATEGORIES = 50


@dataclass(frozen=True)
class RBMDefaults:
    """Defaults of ``RBM`` (and the RBMs inside ``DBN``, ``DBNClassifier`` and ``DBM``) and
    of ``cortexkit train rbm|dbn|dbm``.

    PCD-1 with 20-row batches at a learning rate of 0.1, the set-up of scikit-learn's
    ``BernoulliRBM`` (which uses 10-row batches) that ``bench/boltzmann.py`` compares with;
    256 hidden units; 10 epochs.
    """

    n_hidden: int = 256
    k: int = 1
    persistent: bool = True
    learning_rate: float = 0.1
    batch_size: int = 20
    epochs: int = 10


RBM = RBMDefaults()
"""``RBM`` and ``cortexkit train rbm``."""
