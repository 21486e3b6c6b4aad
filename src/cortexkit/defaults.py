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

__all__ = [
    "ANN",
    "ANN_REGRESSOR",
    "AUTOENCODER",
    "AUTOREC",
    "BOLTZMANN_RECOMMENDER",
    "CNN",
    "DBM",
    "MAX_CATEGORIES",
    "RBM",
    "RNN",
    "SOM",
    "ANNDefaults",
    "AutoEncoderDefaults",
    "AutoRecDefaults",
    "BoltzmannRecommenderDefaults",
    "CNNDefaults",
    "DBMDefaults",
    "RBMDefaults",
    "RNNDefaults",
    "SOMDefaults",
]


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
class AutoEncoderDefaults:
    """Defaults of ``AutoEncoder`` and ``cortexkit train autoencoder``.

    An encoder whose widths follow the input's ``n`` values (``hidden_layers="auto"``):
    ``hidden_share * n`` then ``code_share * n`` ReLU units, at most ``hidden_layers``
    (128 then 32), the code always narrower than the input (the decoder mirrors it; chosen
    on the anomaly suite, ``bench/_quality_anomaly.py``); one network (``n_estimators``;
    3 is the suite's ensemble option), a loss that leaves out each batch's 20% worst
    reconstructed rows (``trim``, chosen on the same suite), an identity output, Adam
    at 1e-3 on mini-batches of 64, and early stopping on the reconstruction error of a 10%
    validation split (patience 10, at most 100 epochs). A row's anomaly score is its
    distance to the reconstructions of the nearest tenth of the training rows
    (``scoring``, chosen on the same suite); a row whose score exceeds the 0.95
    quantile of the training rows' is called an anomaly.
    """

    hidden_layers: tuple[int, ...] = (128, 32)
    hidden_share: float = 0.5
    code_share: float = 0.25
    n_estimators: int = 1
    trim: float = 0.2
    scoring: str = "neighbours"
    activation: str = "relu"
    batch_size: int = 64
    epochs: int = 100
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    early_stopping: bool = True
    validation_fraction: float = 0.1
    patience: int = 10
    threshold_quantile: float = 0.95


AUTOENCODER = AutoEncoderDefaults()
"""``AutoEncoder`` and ``cortexkit train autoencoder``."""


@dataclass(frozen=True)
class SOMDefaults:
    """Defaults of ``SelfOrganizingMap`` and ``cortexkit som`` / ``cortexkit train som``.

    A Gaussian neighbourhood whose radius starts at a tenth of the map's longer side (1.25
    at least: ``sigma=None``), learning rate 0.5, both decaying asymptotically to a third
    (MiniSom's schedule), PCA initialisation, trained online by mini-batches for enough
    passes to present 15 samples per node (``epochs=None``: one pass when the rows are
    15 times the nodes or more). Chosen in issue 17 on the choose half of the quality
    suite (``bench/_quality_som.py``, every candidate kept there): on every data set the
    topographic error is at most MiniSom's + 0.02 and the quantisation error at most
    1.02x MiniSom's (sigma a tenth of the map's longer side, as its docstring asks: one
    that fits the map). The old defaults (sigma 1 on any map, one pass) folded large
    maps: topographic error 0.52 against MiniSom's 0.13 on 12 overlapping clusters in
    20-D on a 30x30 map. ``batch_size=None`` picks the mini-batch from the sample count.
    """

    grid: tuple[int, int] = (10, 10)
    topology: str = "rectangular"
    neighborhood: str = "gaussian"
    distance: str = "euclidean"
    learning_rate: float = 0.5
    lr_schedule: str = "asymptotic"
    sigma: float | None = None
    sigma_decay: str = "asymptotic"
    init: str = "pca"
    algorithm: str = "online"
    epochs: int | None = None


SOM = SOMDefaults()
"""``SelfOrganizingMap`` and ``cortexkit som``."""


@dataclass(frozen=True)
class AutoRecDefaults:
    """Defaults of ``AutoRecRecommender`` and ``cortexkit recommend train --model autorec``.

    One hidden layer of 500 sigmoid units (Sedhain et al., 2015), the paper's weight decay
    lambda = 200, input dropout 0.3, each observed rating's input offset by 3, Adam at 1e-2
    in batch gradient descent (every case in one update) decaying to 0 along a cosine over
    200 epochs. Chosen on a validation split carved from MovieLens-100K's u1.base (10% of
    its ratings, ``bench/tune_recommend.py``, three seeds per candidate), never on the test
    folds.

    A first round kept the learning rate constant: Adam at 1e-2 for 100 epochs (validation
    RMSE 0.891 at its best epoch). But at that rate full-batch Adam oscillates from epoch to
    epoch (one run's validation RMSE swings between 0.891 and 0.906 after epoch 60), so the
    epoch a run stops at decides its accuracy: 0.891 to 0.900 over three seeds at epoch
    100 (0.897 on average). A cosine decay ends every run still but, without the
    oscillation's regularisation, on 0.893; input dropout 0.3 (0.893 alone) and an input
    offset of 3 (0.892 alone) bring it to 0.888 together (the mean of three seeds at the
    last epoch). Dropout 0.4, offsets 2 and 4, lambda 150 and 250 epochs came within 0.001
    of it; lambda 100 and 250, 150 epochs and the one-cycle schedule were 0.001-0.0025
    worse. The five test folds, run once after the choice (``bench/recommend.py``): mean
    RMSE 0.8878, against 0.8965 for the first round's defaults.
    """

    hidden_layers: int = 500
    activation: str = "sigmoid"
    weight_decay: float = 200.0
    dropout: float = 0.3
    input_offset: float = 3.0
    learning_rate: float = 1e-2
    lr_schedule: str | None = "cosine"
    epochs: int = 200


AUTOREC = AutoRecDefaults()
"""``AutoRecRecommender`` and ``cortexkit recommend train --model autorec``."""


@dataclass(frozen=True)
class BoltzmannRecommenderDefaults:
    """Defaults of ``BoltzmannRecommender`` and ``cortexkit recommend train --model rbm``.

    The RBM for collaborative filtering of Salakhutdinov, Mnih & Hinton (2007): 100 binary
    hidden units, mini-batches of 64 cases, momentum 0.9, weight decay 0.01, 60 epochs;
    the Gibbs steps rise from 1 to 5 over the epochs (``gibbs_steps_final``, as the paper
    increases them during training) and the learning rate falls linearly from 0.05 to 0.005
    (``lr_schedule="linear"``). Chosen on a validation split carved from MovieLens-100K's
    u1.base (10% of its ratings, ``bench/tune_recommend.py``), never on the test folds: validation
    RMSE 0.919 (0.9190 and 0.9188 with two seeds), against 0.926-0.929 for the earlier
    defaults (CD-1 at a constant 0.05 for 25-40 epochs). Each schedule alone gave 0.924;
    CD steps rising to 3 or 9, 100 epochs, 150 or 200 hidden units, a rate of 0.08, batches
    of 32 or of 128 (rate 0.1) were within 0.001 or worse; weight decay 0.005 (0.923) and
    0.02 (0.935) were worse, and averaging the weights of the last 5-20 epochs gave nothing.
    """

    hidden_layers: int = 100
    gibbs_steps: int = 1
    gibbs_steps_final: int | None = 5
    batch_size: int = 64
    learning_rate: float = 0.05
    lr_schedule: str | None = "linear"
    momentum: float = 0.9
    weight_decay: float = 0.01
    epochs: int = 60


BOLTZMANN_RECOMMENDER = BoltzmannRecommenderDefaults()
"""``BoltzmannRecommender`` and ``cortexkit recommend train --model rbm``."""


@dataclass(frozen=True)
class CNNDefaults:
    """Defaults of ``CNNClassifier`` and ``cortexkit train cnn``.

    A small VGG-style network: two blocks of two 3x3 convolutions (32, then 64 filters),
    each followed by batch normalisation and ReLU, and each block by 2x2 max pooling; then
    flattening, dropout 0.25, a dense layer of 128 ReLU units, dropout and the softmax
    layer. AdamW at 3e-3 with a one-cycle schedule, mini-batches of 128, 12 epochs, and
    random shifts of up to 2 pixels. Measured in ``bench/cnn.py`` on MNIST (8,000 training
    images): 99.3-99.5% test accuracy.
    """

    conv_layers: tuple[int, ...] = (32, 64)
    convs_per_block: int = 2
    kernel_size: int = 3
    pooling: str = "max"
    batch_norm: bool = True
    dropout: float = 0.25
    head: str = "flatten"
    hidden_layers: tuple[int, ...] = (128,)
    augment: tuple[str, ...] = ("shift",)
    max_shift: int = 2
    batch_size: int = 128
    epochs: int = 12
    optimizer: str = "adamw"
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    lr_schedule: str = "onecycle"
    early_stopping: bool = False
    validation_fraction: float = 0.0
    patience: int = 10


CNN = CNNDefaults()
"""``CNNClassifier`` and ``cortexkit train cnn``."""


@dataclass(frozen=True)
class RNNDefaults:
    """Defaults of ``RNNForecaster``, ``RNNRegressor``, ``RNNClassifier`` and
    ``cortexkit train rnn``.

    One LSTM layer of 50 units, Adam at 1e-3 on mini-batches of 32, at most 100 epochs
    with early stopping (patience 20) on the last 10% of the windows (a chronological
    split), and a one-step horizon forecast recursively.

    The forecaster's look-back follows the season (``lookback=None``): two seasons, at
    least ``min_lookback`` steps. Each window is scaled by its own level and spread
    (``scaling="window"``), so a series that leaves its training range is followed. The
    network's learnt step is weighted on top of the seasonal-naive forecast by a ``blend``
    chosen on the validation windows (``"auto"``). All three, and the strategy, were
    chosen on the choose half of ``bench/quality.py forecast``.
    """

    cell: str = "lstm"
    lookback: int | None = None
    min_lookback: int = 12
    scaling: str = "window"
    level: str = "season"
    blend: str | float = "auto"
    horizon: int = 1
    hidden_layers: tuple[int, ...] = (50,)
    dropout: float = 0.0
    strategy: str = "recursive"
    batch_size: int = 32
    epochs: int = 100
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    early_stopping: bool = True
    validation_fraction: float = 0.1
    patience: int = 20


RNN = RNNDefaults()
"""The RNN estimators and ``cortexkit train rnn``."""


@dataclass(frozen=True)
class RBMDefaults:
    """Defaults of ``RBM`` (and the RBMs inside ``DBN``, ``DBNClassifier`` and ``DBM``) and
    of ``cortexkit train rbm|dbn|dbm``.

    PCD-1 with 20-row batches at a learning rate of 0.1, the set-up of scikit-learn's
    ``BernoulliRBM`` (which uses 10-row batches) that ``bench/boltzmann.py`` compares with;
    256 hidden units; 10 epochs.
    """

    hidden_layers: int = 256
    gibbs_steps: int = 1
    persistent: bool = True
    learning_rate: float = 0.1
    batch_size: int = 20
    epochs: int = 10


RBM = RBMDefaults()
"""``RBM`` and ``cortexkit train rbm``."""


@dataclass(frozen=True)
class DBMDefaults:
    """Defaults of ``DBM`` and of ``cortexkit train dbm``.

    Chosen in ``bench/_quality_boltzmann.py`` (the choose half of its image sets): the
    pretraining must take enough updates for the first RBM's units to leave 0.5, or the
    second RBM learns from rows that all look alike and its layer dies (the old defaults,
    100-row batches and 10 epochs without momentum, gave 180 updates on 8x8 digits and a
    dead top layer). So: 20-row batches, 30 pretraining epochs with momentum 0.5, and a
    joint learning rate low enough (0.001) not to undo the pretraining in 10 epochs.
    """

    hidden_layers: tuple[int, ...] = (500, 1000)
    pretrain_epochs: int = 30
    pretrain_learning_rate: float = 0.05
    pretrain_momentum: float = 0.5  # the pretraining RBMs' momentum (not a parameter)
    learning_rate: float = 0.001
    momentum: float = 0.5
    weight_decay: float = 0.0002
    batch_size: int = 20
    epochs: int = 10


DBM = DBMDefaults()
"""``DBM`` and ``cortexkit train dbm``."""
