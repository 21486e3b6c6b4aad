"""``AutoEncoder``: representation, denoising, sparse and variational autoencoders, dense or
convolutional, with per-row reconstruction errors as anomaly scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options, PositiveInts, as_widths
from cortexkit.autoencoder.ensemble import members_of
from cortexkit.autoencoder.export import AutoEncoderExport
from cortexkit.autoencoder.files import AutoEncoderFiles
from cortexkit.autoencoder.inputs import AutoEncoderInputs, BottleneckWarning
from cortexkit.autoencoder.objective import AutoEncoderObjective
from cortexkit.autoencoder.scoring import AnomalyScores
from cortexkit.autoencoder.settings import NO_LAYERS, check_settings, new_network
from cortexkit.autoencoder.widths import auto_widths
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator, check_fits_in_memory
from cortexkit.defaults import AUTOENCODER
from cortexkit.nn.activations import ACTIVATIONS
from cortexkit.nn.init import INITIALIZERS
from cortexkit.train.objective import chunked

__all__ = ["AutoEncoder", "BottleneckWarning"]

KINDS = ("plain", "denoising", "sparse", "variational")


class AutoEncoder(
    AnomalyScores,
    AutoEncoderExport,
    AutoEncoderFiles,
    AutoEncoderInputs,
    TransformerMixin,
    GradientEstimator,
):
    """An autoencoder: an encoder to a code, a decoder back, trained to reconstruct.

    ``transform`` gives the codes, ``predict`` the reconstruction, ``anomaly_scores`` how
    far each row lies from the reconstructions of the training rows nearest it
    (``scoring``): *higher means more anomalous*. By default the widths follow the
    input (the code is always narrower), and each batch's worst reconstructed fifth is
    left out of the loss (``trim``), so that rare rows stay badly reconstructed.
    ``n_estimators=3`` trains three networks side by side and averages them, a steadier
    score. ``score_samples`` is its negative (scikit-learn's sign). After ``fit``,
    ``threshold_`` is the ``threshold_quantile`` quantile of the training rows' scores,
    and ``predict_anomaly`` calls a row above it an anomaly (1).

    Tables are ``(n_samples, n_features)`` arrays or DataFrames (standardise them first:
    the loss weighs every column alike). Images are ``(N, H, W)``, ``(N, H, W, C)`` or
    ``(N, C, H, W)`` arrays (at most 4 channels); with ``architecture="auto"`` they get a
    convolutional encoder and decoder, ``"dense"`` flattens them. ``fit(X, mask=M)`` trains
    on the entries where ``M`` is true only: the others may hold anything (NaN included),
    are fed to the network as 0, and count in neither the loss nor its gradient.

    Parameters
    ----------
    hidden_layers : "auto", int or sequence of int, default="auto"
        Units per dense encoder layer, from the input side; the last is the code (an int
        is one layer: the code). The convolutional architecture puts them after its
        flattened feature maps. ``"auto"`` follows the ``n`` input values:
        :func:`~cortexkit.autoencoder.widths.auto_widths`, ``n/2`` then ``n/4`` units
        (at most 128 then 32; a code of 2 to ``n - 1``), so ``fitted_params_`` holds the
        widths used.
    n_estimators : int, default=1
        Networks trained side by side (their own initial weights, the same batches, the
        mean of their losses): ``predict`` and the scores average their reconstructions
        (the ``"reconstruction"`` score: their errors); ``transform`` gives their codes.
    trim : float, default=0.2
        The share of each batch's rows, those with the largest reconstruction errors, left
        out of the training loss (a trimmed loss), in [0, 1), so an unlabelled set's rare
        rows stay badly reconstructed (anomaly suite: mean ROC AUC 0.777 to 0.801).
    scoring : {"neighbours", "reconstruction"}, default="neighbours"
        :meth:`anomaly_scores`: the mean squared distance to the reconstructions of the
        nearest 10% of the training rows (2,048 kept at most, as ``reference_codes_``), or
        the standardised reconstruction error (:mod:`cortexkit.autoencoder.scoring`).
    decoder_layers : int, sequence of int or None, default=None
        Units per decoder hidden layer (``()``: none, the code goes straight to the
        output); ``None`` mirrors the encoder.
    kind : {"plain", "denoising", "sparse", "variational"}, default="plain"
        ``"denoising"`` corrupts the inputs while training (``noise``, ``noise_level``),
        ``"sparse"`` penalises the code (``sparsity``, ``sparsity_target``,
        ``sparsity_weight``), ``"variational"`` learns a Gaussian code with a KL term
        (``kl_weight``) and can :meth:`sample`.
    activation : str or callable, default="relu"
        Of every hidden layer, the code included (a variational code is linear): a name
        from :data:`cortexkit.nn.ACTIVATIONS` or a callable.
    output_activation : str or callable, default="identity"
        Of the reconstruction: ``"identity"`` for standardised tables, ``"sigmoid"`` for
        values in [0, 1] such as pixels.
    tied_weights : bool, default=False
        Each dense decoder layer uses the transpose of its mirror encoder layer's weight,
        one shared tensor (the decoder must mirror the encoder).
    noise : {"gaussian", "masking"}, default="gaussian"
        The corruption of ``kind="denoising"``: add ``noise_level`` times standard normal
        noise, or set each entry to 0 with probability ``noise_level``.
    noise_level : float, default=0.2
        The noise's standard deviation (``"gaussian"``, at least 0) or the probability that
        an entry is zeroed (``"masking"``, in [0, 1)).
    sparsity : {"l1", "kl"}, default="l1"
        The penalty of ``kind="sparse"``: the mean absolute code activation, or the KL
        divergence of each code unit's mean activation from ``sparsity_target`` (needs
        codes in (0, 1): ``activation="sigmoid"``).
    sparsity_target : float, default=0.05
        The mean activation that ``sparsity="kl"`` pulls each code unit towards, in (0, 1).
    sparsity_weight : float, default=0.001
        Weight of the sparsity penalty, at least 0.
    kl_weight : float, default=1.0
        Weight of the variational KL term (divided by the number of input values), at
        least 0.
    architecture : {"auto", "dense", "conv"}, default="auto"
        ``"auto"``: convolutional for images, dense for tables.
    conv_channels : int or sequence of int, default=(16, 32)
        Channels of the stride-2 3x3 convolutions of the convolutional architecture (an
        int: one convolution).
    threshold_quantile : float, default=0.95
        The quantile of the training rows' anomaly scores that becomes ``threshold_``, in
        (0, 1):
        about ``1 - threshold_quantile`` of rows like the training rows are called
        anomalies.
    init : str or callable, default="xavier_uniform"
        Weight initialiser by name (see :data:`cortexkit.nn.INITIALIZERS`) or a
        callable that fills a weight tensor in place; biases start at zero.
    batch_size : int or None, default=64
        Observations per weight update: ``1`` is stochastic gradient descent, ``None`` is
        batch gradient descent, ``n`` is mini-batch gradient descent.
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size; ``None`` uses ``batch_size``.
    epochs : int, default=100
        The most passes over the training set (early stopping may end training sooner).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        A name (see :data:`cortexkit.train.OPTIMIZERS`), a ``torch.optim.Optimizer``
        subclass, or a callable ``factory(params, lr=..., weight_decay=...)``.
    learning_rate : float, default=0.001
        The step size, greater than 0.
    weight_decay : float, default=0.0
        L2 penalty on the weights, added to their gradient as ``weight_decay * w``; biases
        are not decayed.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the rows, in [0, 1), held out; their reconstruction error is
        ``val_loss``, which early stopping monitors. ``0`` holds out nothing.
    validation_split : {"random", "last"}, default="random"
        The validation rows at random, or the last rows (for series).
    early_stopping : bool, default=True
        Stop when the monitored loss (the validation reconstruction error, else the
        training loss) has not improved for ``patience`` epochs, and restore the best
        epoch's weights.
    patience : int, default=10
        Epochs without improvement before early stopping, at least 1.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement.
        ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal) take it to nearly
        0 by the last epoch, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this; ``None`` never rescales it.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling, the validation split, the denoising noise
        and the variational draws, for this fit only. ``None`` draws a fresh seed each fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present, else the CPU.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with its logs; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a checkpoint to every ``checkpoint_every`` epochs and after the
        last. ``None`` saves none.
    checkpoint_every : int, default=1
        Epochs between checkpoints, at least 1.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists. Needs ``checkpoint``.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    loss_curve_ : list of float
        The training loss of each epoch.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    network_ : AutoEncoderNetwork or ConvAutoEncoderNetwork
        The trained network (``encode``, ``decode``, ``layer_sizes``).
    error_scale_ : torch.Tensor
        Each input entry's mean squared reconstruction error over the training rows (the
        network's input shape, one row): the ``"reconstruction"`` score divides by it.
    reference_codes_ : torch.Tensor or None
        The codes of the training rows the ``"neighbours"`` score measures against (None
        with ``"reconstruction"``).
    threshold_ : float
        The ``threshold_quantile`` quantile of the training rows' anomaly scores;
        :meth:`predict_anomaly` calls a row above it an anomaly.
    image_shape_ : tuple of int or None
        The shape of one training image as given (``(H, W)``, ``(H, W, C)`` or
        ``(C, H, W)``), or None for a table.
    history_ : dict of lists of length n_iter_
        Per epoch: ``"loss"`` (the training objective: reconstruction on the corrupted
        input plus the kind's penalty), ``"reconstruction"`` (the clean reconstruction
        error on up to 1,024 training rows), ``"val_loss"`` and ``"val_reconstruction"``
        (the validation rows' reconstruction error), ``"learning_rate"`` and ``"time"``;
        ``"stopped"`` and ``"validation"`` say why training ended early or held nothing out.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Values per sample seen in ``fit`` (pixels times channels for images).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import AutoEncoder
    >>> X = load_digits().data / 16.0
    >>> ae = AutoEncoder((32, 8), output_activation="sigmoid", epochs=30, random_state=0)
    >>> ae = ae.fit(X)
    >>> ae.transform(X).shape, ae.predict(X).shape
    ((1797, 8), (1797, 64))
    >>> float(((ae.predict(X) - X) ** 2).mean()) < float(X.var(0).mean())  # beats the mean
    True
    >>> scores = ae.anomaly_scores(X)
    >>> float(np.mean(scores > ae.threshold_))  # about 1 - threshold_quantile
    0.05...
    """

    network_: Any  # set by fit: an AutoEncoderNetwork or a ConvAutoEncoderNetwork

    _constraints = {
        **GRADIENT_CONSTRAINTS,
        "hidden_layers": [PositiveInts(), Options(["auto"])],
        "n_estimators": [Interval(int, 1, None)],
        "trim": [Interval(float, 0, 1, closed="left")],
        "scoring": [Options(["neighbours", "reconstruction"])],
        "decoder_layers": [PositiveInts(), NO_LAYERS, None],
        "kind": [Options(KINDS)],
        "activation": [Options(ACTIVATIONS), CALLABLE],
        "output_activation": [Options(ACTIVATIONS), CALLABLE],
        "tied_weights": [bool],
        "noise": [Options(["gaussian", "masking"])],
        "noise_level": [Interval(float, 0, None)],
        "sparsity": [Options(["l1", "kl"])],
        "sparsity_target": [Interval(float, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(float, 0, None)],
        "kl_weight": [Interval(float, 0, None)],
        "architecture": [Options(["auto", "dense", "conv"])],
        "conv_channels": [PositiveInts()],
        "threshold_quantile": [Interval(float, 0, 1, closed="neither")],
        "init": [Options(INITIALIZERS), CALLABLE],
    }

    def __init__(
        self,
        hidden_layers: str | int | Sequence[int] = "auto",
        *,
        n_estimators: int = AUTOENCODER.n_estimators,
        trim: float = AUTOENCODER.trim,
        scoring: str = AUTOENCODER.scoring,
        decoder_layers: int | Sequence[int] | None = None,
        kind: str = "plain",
        activation: Any = AUTOENCODER.activation,
        output_activation: Any = "identity",
        tied_weights: bool = False,
        noise: str = "gaussian",
        noise_level: float = 0.2,
        sparsity: str = "l1",
        sparsity_target: float = 0.05,
        sparsity_weight: float = 0.001,
        kl_weight: float = 1.0,
        architecture: str = "auto",
        conv_channels: int | Sequence[int] = (16, 32),
        threshold_quantile: float = AUTOENCODER.threshold_quantile,
        init: Any = "xavier_uniform",
        batch_size: int | None = AUTOENCODER.batch_size,
        gradient_descent: str | None = None,
        epochs: int = AUTOENCODER.epochs,
        optimizer: Any = AUTOENCODER.optimizer,
        learning_rate: float = AUTOENCODER.learning_rate,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = AUTOENCODER.validation_fraction,
        validation_split: str = "random",
        early_stopping: bool = AUTOENCODER.early_stopping,
        patience: int = AUTOENCODER.patience,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.n_estimators = n_estimators
        self.trim = trim
        self.scoring = scoring
        self.decoder_layers = decoder_layers
        self.kind = kind
        self.activation = activation
        self.output_activation = output_activation
        self.tied_weights = tied_weights
        self.noise = noise
        self.noise_level = noise_level
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.kl_weight = kl_weight
        self.architecture = architecture
        self.conv_channels = conv_channels
        self.threshold_quantile = threshold_quantile
        self.init = init
        self.batch_size = batch_size
        self.gradient_descent = gradient_descent
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.clip_grad_norm = clip_grad_norm
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    # -- parameter checks beyond the table --------------------------------------------------

    def _validate_params(self) -> None:
        super()._validate_params()
        check_settings(self.get_params(deep=False))

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        net = new_network(self.fitted_params_, self.n_features_in_, self.image_shape_, generator)
        n_weights = sum(p.numel() for p in net.parameters())
        rows = min(len(parts[0]), 8192)
        sizes = getattr(net, "layer_sizes", [self.n_features_in_])
        need = 16 * n_weights + 12 * rows * sum(sizes) * len(members_of(net))
        check_fits_in_memory(need, f"the autoencoder ({n_weights:,} weights)", self._device())
        self.network_ = net.to(self._device())
        self._objective = AutoEncoderObjective.from_settings(self.network_, self.fitted_params_)

    def _check_bottleneck(self) -> None:
        """Resolve ``hidden_layers="auto"`` into ``fitted_params_``, then check the code."""
        if isinstance(self.fitted_params_["hidden_layers"], str):
            self.fitted_params_["hidden_layers"] = auto_widths(self.n_features_in_)
            check_settings(self.fitted_params_)
        super()._check_bottleneck()

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def _metric(self, X: Tensor, mask: Tensor | None = None) -> dict[str, float]:
        """The reconstruction error of a set: what early stopping monitors."""
        error = self._objective.loss(X, mask)
        return {"loss": error, "reconstruction": error}

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> AutoEncoder:
        """Train from scratch on ``X`` (``y`` is ignored; it may hold labels).

        ``mask=`` (same shape as ``X``, True or 1 where observed) restricts the loss to the
        observed entries. ``validation_data=X_val`` (or ``(X_val, None)``) replaces
        ``validation_fraction``. Sets ``threshold_`` from the training rows' scores.
        """
        super().fit(X, y, **fit_params)
        self._set_threshold(X, fit_params.get("mask"))
        return self

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> AutoEncoder:
        """One more epoch over ``X`` (``mask=`` as in :meth:`fit`), keeping the weights and
        the optimiser's state; ``threshold_`` and ``reference_codes_`` come from these rows."""
        super().partial_fit(X, y, **kwargs)
        self._set_threshold(X, kwargs.get("mask"))
        return self

    # -- using the model -------------------------------------------------------------------------

    def _code_width(self) -> int:
        code = as_widths(self.fitted_params_["hidden_layers"], "hidden_layers")[-1]
        return code * int(self.fitted_params_.get("n_estimators", 1))

    def _encoded(self, X: Any, mask: Any) -> tuple[Tensor, ...]:
        check_is_fitted(self, "network_")
        return self._tensors(*self._check_X(X, mask, reset=False))

    @torch.no_grad()
    def transform(self, X: Any, mask: Any = None) -> np.ndarray:
        """The codes, ``(n_samples, code)`` (a variational code's mean; side by side)."""
        x = self._encoded(X, mask)[0]
        self.network_.eval()
        return chunked(self.network_.encode, x).cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def inverse_transform(self, X: Any) -> np.ndarray:
        """The reconstructions that codes ``X`` (``(n_samples, code)``) decode to, in the
        layout of the data ``fit`` saw."""
        check_is_fitted(self, "network_")
        codes = np.asarray(X, dtype=np.float32)
        width = self._code_width()
        if codes.ndim != 2 or codes.shape[1] != width:
            raise ValueError(f"codes must have shape (n_samples, {width}); got {codes.shape}")
        if not np.isfinite(codes).all():
            raise ValueError("codes contain NaN or infinity")
        z = torch.as_tensor(codes, device=self._device())
        self.network_.eval()
        return self._outputs(chunked(self.network_.decode, z))

    def predict(self, X: Any, mask: Any = None) -> np.ndarray:
        """The reconstruction of ``X``, in its own layout (the clean, deterministic pass:
        no denoising noise, a variational code's mean); with ``mask=`` it fills the
        unobserved entries."""
        x = self._encoded(X, mask)[0]
        return self._outputs(self._forward(self.network_, x))

    @torch.no_grad()
    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """``n_samples`` new samples decoded from codes drawn from the prior N(0, I)
        (``kind="variational"`` only), in the layout of the data ``fit`` saw."""
        check_is_fitted(self, "network_")
        kind = self.fitted_params_["kind"]
        if kind != "variational":
            raise ValueError(f"sample needs kind='variational'; this model is {kind!r}")
        if not Interval(int, 1, None).accepts(n_samples):
            raise ValueError(f"n_samples must be a positive int; got {n_samples!r}")
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
        width = self._code_width()
        z = torch.randn(int(n_samples), width, generator=torch.Generator().manual_seed(seed))
        self.network_.eval()
        return self._outputs(self.network_.decode(z.to(self._device())))
