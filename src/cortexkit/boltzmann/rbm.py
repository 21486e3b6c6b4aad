"""The restricted Boltzmann machine, trained by CD-k or persistent CD without autograd.

Its step (:class:`~cortexkit.boltzmann.step.CDStep`) is the family's own
:class:`~cortexkit.train.Step`; the epoch loop around it is the shared one (shuffling,
history, early stopping, checkpoints, denormals flushed on the CPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, PositiveInts
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.health import ChecksLayers, health_rows
from cortexkit.boltzmann.inputs import (
    check_count,
    check_hidden_states,
    check_visible_data,
    decode_visible,
    encode_visible,
    rbm_width,
)
from cortexkit.boltzmann.plots import filters_png, samples_png
from cortexkit.boltzmann.step import CDStep, rbm_metrics
from cortexkit.boltzmann.units import (
    VISIBLE_KINDS,
    free_energy,
    hidden_mean,
    pseudo_likelihood,
    random_visible,
    sample_bernoulli,
    sample_visible,
    sampling_generator,
    visible_mean,
)
from cortexkit.defaults import RBM as DEFAULTS
from cortexkit.io.device import cpu_settings
from cortexkit.train.objective import chunked
from cortexkit.train.step import Step

__all__ = ["RBM", "RBM_CONSTRAINTS"]

RBM_CONSTRAINTS: dict[str, list[Any]] = {
    **BASE_CONSTRAINTS,
    "hidden_layers": [PositiveInts()],
    "visible": [Options(VISIBLE_KINDS)],
    "n_levels": [Interval(int, 2, None), None],
    "gibbs_steps": [Interval(int, 1, None)],
    "persistent": [bool],
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "momentum": [Interval(float, 0, 1, closed="left")],
    "weight_decay": [Interval(float, 0, None)],
}


class RBM(ChecksLayers, TransformerMixin, CortexEstimator):
    """A restricted Boltzmann machine: binary hidden units over Bernoulli, Gaussian or
    K-way softmax visible units, trained by contrastive divergence (CD-k) or persistent
    contrastive divergence (PCD), as batched tensor algebra without autograd.

    ``transform`` gives the hidden units' probabilities (features); the machine is also a
    generative model (``gibbs``, ``sample``) and scores rows (``score_samples``, and
    ``anomaly_scores`` with the opposite sign).

    Parameters
    ----------
    hidden_layers : int or tuple of one int, default=256
        Hidden units, at least 1 (one layer: a longer tuple is refused).
    visible : {"bernoulli", "gaussian", "softmax"}, default="bernoulli"
        The visible units: ``"bernoulli"`` takes X in [0, 1] (binary, or probabilities such
        as grey levels / 255); ``"gaussian"`` takes real X with unit variance per column
        (standardise it first; use a smaller ``learning_rate``, 1e-3 say); ``"softmax"``
        takes integer levels ``0 .. n_levels - 1`` per column (ratings, categories),
        each column a K-way unit.
    n_levels : int or None, default=None
        Levels per softmax unit (at least 2); None takes the largest level in the
        training data plus one. Ignored by the other kinds.
    gibbs_steps : int, default=1
        Gibbs steps in the negative phase (the k of CD-k), at least 1.
    persistent : bool, default=True
        Persistent contrastive divergence (PCD, as scikit-learn's ``BernoulliRBM``): the
        negative phase continues ``batch_size`` Markov chains across updates instead of
        starting at the data.
    learning_rate : float, default=0.1
        Step size of the gradient ascent on the log-likelihood, greater than 0.
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 coefficient on the weights, at least 0; biases are not decayed. Each update is
        ``velocity = momentum * velocity + learning_rate * (gradient - weight_decay * W)``.
    batch_size : int or None, default=20
        Rows per update; None uses the whole set.
    epochs : int, default=10
        Passes over the training set.
    validation_fraction : float, default=0.0
        Share of the rows held out to report ``val_loss`` (mean free energy) and the
        validation metrics each epoch; 0 holds out nothing.
    validation_split : {"random", "last"}, default="random"
        Which rows are held out: at random, or the last ones.
    early_stopping : bool, default=False
        Stop when the monitored loss (mean free energy) has not fallen for ``patience``
        epochs, and keep the weights of the best epoch.
    patience : int, default=5
        Epochs without improvement before early stopping.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, the shuffling and the Gibbs sampling of the fit.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train and transform.
    verbose : int or bool, default=0
        ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with ``(epoch, logs)``; returning True stops training.
    checkpoint : str, path or None, default=None
        A file to save the training state to after each ``checkpoint_every`` epochs.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from ``checkpoint`` when it exists.

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
    weights_ : Tensor of shape (n_visible, n_hidden)
        The weights (``n_visible`` is ``n_features_in_ * n_levels_`` for softmax units).
    visible_bias_ : Tensor of shape (n_visible,)
        The visible units' biases.
    hidden_bias_ : Tensor of shape (n_hidden,)
        The hidden units' biases.
    n_levels_ : int or None
        Levels per softmax unit (None for the other kinds).
    history_ : dict
        Per epoch: ``loss`` (the mean free energy of the training batches),
        ``reconstruction_error`` (mean squared error of the mean-field reconstruction,
        per visible column, on a sample of the training rows), ``pseudo_likelihood``
        (Bernoulli units: the mean log pseudo-likelihood), ``time``; ``val_`` versions
        with a validation set.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import RBM
    >>> X = load_digits().data / 16
    >>> rbm = RBM(hidden_layers=32, epochs=5, random_state=0, device="cpu").fit(X)
    >>> rbm.transform(X[:2]).shape
    (2, 32)
    >>> err = rbm.history_["reconstruction_error"]
    >>> bool(err[-1] < err[0])
    True
    >>> bool(rbm.anomaly_scores(1 - X[:5]).mean() > rbm.anomaly_scores(X[:5]).mean())
    True
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "hidden_layers": 8,
        "epochs": 5,
        "learning_rate": 0.01,
    }
    _constraints = RBM_CONSTRAINTS
    # factors on the bottom-up and top-down inputs while training (a DBM's greedy
    # pretraining doubles them; see cd_statistics)
    _up = 1.0
    _down = 1.0

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # computed in float32
        return tags

    def __init__(
        self,
        hidden_layers: int | tuple[int] = DEFAULTS.hidden_layers,
        *,
        visible: str = "bernoulli",
        n_levels: int | None = None,
        gibbs_steps: int = DEFAULTS.gibbs_steps,
        persistent: bool = DEFAULTS.persistent,
        learning_rate: float = DEFAULTS.learning_rate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        batch_size: int | None = DEFAULTS.batch_size,
        epochs: int = DEFAULTS.epochs,
        validation_fraction: float = 0.0,
        validation_split: str = "random",
        early_stopping: bool = False,
        patience: int = 5,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.visible = visible
        self.n_levels = n_levels
        self.gibbs_steps = gibbs_steps
        self.persistent = persistent
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _validate_params(self) -> None:
        super()._validate_params()
        rbm_width(self.hidden_layers)

    # -- data -----------------------------------------------------------------------------

    @property
    def _kind(self) -> str:
        """The visible units the model was fitted with."""
        return str(self.fitted_params_["visible"])

    @property
    def _levels(self) -> int:
        return int(getattr(self, "n_levels_", None) or 2)

    def _check(self, X: Any, *, reset: bool) -> np.ndarray:
        levels = self.fitted_params_["n_levels"] if reset else self.n_levels_
        return check_visible_data(self, X, self._kind, reset=reset, n_levels=levels)

    def _encode(self, X: np.ndarray) -> Tensor:
        return encode_visible(X, self._kind, self._levels, self._device())

    def _decode(self, v: Tensor) -> np.ndarray:
        return decode_visible(v, self._kind, self._levels)

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        X = self._check(X, reset=fitting)
        if fitting:
            self.n_levels_ = None
            if self._kind == "softmax":
                given = self.fitted_params_["n_levels"]
                self.n_levels_ = int(given or max(int(X.max()) + 1, 2))
        self._health = health_rows(V := self._encode(X))
        return (V,)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        n_visible = parts[0].shape[1]
        n_hidden = rbm_width(self.fitted_params_["hidden_layers"])
        device = self._device()
        # small random weights break the hidden units' symmetry (Hinton's guide: N(0, 0.01))
        W = 0.01 * torch.randn(n_visible, n_hidden, generator=generator)
        self.weights_ = W.to(device)
        self.visible_bias_ = torch.zeros(n_visible, device=device)
        self.hidden_bias_ = torch.zeros(n_hidden, device=device)

    def _is_built(self) -> bool:
        return hasattr(self, "weights_")

    def _make_step(self) -> Step:
        return CDStep(self.weights_, self.visible_bias_, self.hidden_bias_, kind=self._kind,
                      n_levels=self._levels, up=self._up, down=self._down)  # fmt: skip

    def _metric(self, X: Tensor) -> dict[str, float]:
        return rbm_metrics(X, self.weights_, self.visible_bias_, self.hidden_bias_,
                           kind=self._kind, n_levels=self._levels)  # fmt: skip

    # -- using the machine ----------------------------------------------------------------

    def _layer_probabilities(self, rows: Tensor) -> list[Tensor]:
        return [hidden_mean(rows, self.weights_, self.hidden_bias_)]

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> RBM:
        """Train from scratch on ``X`` (n_samples, n_features); ``y`` is ignored."""
        return super().fit(X, None, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> RBM:
        """One more epoch over ``X``, keeping the weights and the persistent chains."""
        return super().partial_fit(X, None, **kwargs)  # type: ignore[no-any-return]

    def _visible(self, X: Any) -> Tensor:
        check_is_fitted(self, "weights_")
        return self._encode(self._check(X, reset=False))

    @torch.no_grad()
    def transform(self, X: Any) -> np.ndarray:
        """The hidden units' probabilities ``P(h = 1 | x)``: (n_samples, n_hidden)."""
        V = self._visible(X)
        W, c = self.weights_, self.hidden_bias_
        return np.asarray(chunked(lambda v: hidden_mean(v, W, c), V).cpu().numpy())

    @torch.no_grad()
    def inverse_transform(self, H: Any) -> np.ndarray:
        """The visible means given hidden states or probabilities ``H`` (n_samples,
        n_hidden): probabilities for Bernoulli units, values for Gaussian ones, the most
        probable level for softmax units."""
        check_is_fitted(self, "weights_")
        H = check_hidden_states(H, self.weights_.shape[1])
        h = torch.as_tensor(H, device=self._device())
        mean = visible_mean(torch.addmm(self.visible_bias_, h, self.weights_.T), self._kind,
                            self._levels)  # fmt: skip
        return self._decode(mean)

    @torch.no_grad()
    def _run_chain(self, v: Tensor, steps: int, generator: torch.Generator) -> Tensor:
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        with cpu_settings(None, W.device):  # sigmoid-heavy: flush denormals
            for _ in range(steps):
                h = sample_bernoulli(hidden_mean(v, W, c), generator)
                mean = visible_mean(torch.addmm(b, h, W.T), self._kind, self._levels)
                v = sample_visible(mean, self._kind, self._levels, generator)
        return v

    def gibbs(self, v: Any, steps: int = 1, *, random_state: int | None = None) -> np.ndarray:
        """Run ``steps`` alternating Gibbs steps (h from v, then v from h) from each row
        of ``v``; return the visible samples, in X's form."""
        check_count("steps", steps)
        return self._decode(
            self._run_chain(
                self._visible(v), steps, sampling_generator(random_state, self._device())
            )
        )

    def sample(
        self, n_samples: int = 16, *, steps: int = 1000, random_state: int | None = None
    ) -> np.ndarray:
        """``n_samples`` rows drawn from the model: Gibbs chains run for ``steps`` from
        random visible states."""
        check_is_fitted(self, "weights_")
        check_count("n_samples", n_samples)
        check_count("steps", steps)
        g = sampling_generator(random_state, self._device())
        start = random_visible(n_samples, self.weights_.shape[0], self._kind, self._levels, g,
                               self._device())  # fmt: skip
        return self._decode(self._run_chain(start, steps, g))

    @torch.no_grad()
    def score_samples(self, X: Any) -> np.ndarray:
        """Higher for rows the model finds more probable. Bernoulli units: each row's log
        pseudo-likelihood (stochastic: one random unit flipped per row, as scikit-learn's
        ``BernoulliRBM``); other kinds: the negative free energy ``-F(x)`` (the
        log-probability up to the unknown ``log Z``)."""
        V = self._visible(X)
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        if self._kind == "bernoulli":
            g = sampling_generator(None, self._device())
            score = chunked(lambda v: pseudo_likelihood(v, W, b, c, g), V)
        else:
            score = -self._free_energy(V)
        return np.asarray(score.cpu().numpy())

    @torch.no_grad()
    def anomaly_scores(self, X: Any) -> np.ndarray:
        """Higher for rows the model finds less probable: each row's free energy ``F(x)``
        (``-log p(x)`` up to the constant ``log Z``). Deterministic, for every kind of
        visible unit; it ranks rows as ``-score_samples`` does (for Bernoulli units, whose
        ``score_samples`` is a stochastic pseudo-likelihood, it ranks them on average)."""
        return np.asarray(self._free_energy(self._visible(X)).cpu().numpy())

    def _free_energy(self, V: Tensor) -> Tensor:
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        kind = self._kind
        return chunked(lambda v: free_energy(v, W, b, c, kind), V)

    def plot_filters(
        self, path: Any = None, *, n: int = 64, shape: tuple[int, int] | None = None
    ) -> bytes:
        """The first ``n`` hidden units' receptive fields (their weights from the visible
        image) as a grid of images; PNG bytes, also written to ``path`` when given."""
        check_is_fitted(self, "weights_")
        if self._kind == "softmax":
            raise ValueError("plot_filters draws images: it needs bernoulli or gaussian visibles")
        return filters_png(self.weights_, n=n, shape=shape, title="RBM filters", path=path)

    def plot_samples(
        self,
        path: Any = None,
        *,
        n: int = 16,
        steps: int = 1000,
        shape: tuple[int, int] | None = None,
        random_state: int | None = None,
    ) -> bytes:
        """``n`` samples from the model (:meth:`sample`) as a grid of images; PNG bytes,
        also written to ``path`` when given."""
        check_is_fitted(self, "weights_")
        if self._kind == "softmax":
            raise ValueError("plot_samples draws images: it needs bernoulli or gaussian visibles")
        # the last step's visible means, not binary draws: the usual way to show samples
        g = sampling_generator(random_state, self._device())
        V = torch.as_tensor(self.sample(n, steps=steps, random_state=random_state),
                            device=self._device())  # fmt: skip
        h = sample_bernoulli(hidden_mean(V, self.weights_, self.hidden_bias_), g)
        mean = visible_mean(torch.addmm(self.visible_bias_, h, self.weights_.T), self._kind)
        return samples_png(mean, shape=shape, title=f"RBM samples ({steps} Gibbs steps)",
                           path=path)  # fmt: skip

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        meta = {"n_levels_": self.n_levels_, **self._common_state()}
        tensors = {"weights": self.weights_.cpu(), "visible_bias": self.visible_bias_.cpu(),
                   "hidden_bias": self.hidden_bias_.cpu()}  # fmt: skip
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.n_levels_ = None if meta["n_levels_"] is None else int(meta["n_levels_"])
        W, b, c = tensors["weights"], tensors["visible_bias"], tensors["hidden_bias"]
        n_hidden = rbm_width(self.fitted_params_["hidden_layers"])
        units = self.n_features_in_ * (self._levels if self._kind == "softmax" else 1)
        if W.shape != (units, n_hidden) or b.shape != (units,) or c.shape != (n_hidden,):
            raise ValueError(
                f"weights of shape {tuple(W.shape)} do not fit {units} visible and "
                f"{n_hidden} hidden units"
            )
        device = self._device()
        self.weights_ = W.to(device, torch.float32)
        self.visible_bias_ = b.to(device, torch.float32)
        self.hidden_bias_ = c.to(device, torch.float32)
