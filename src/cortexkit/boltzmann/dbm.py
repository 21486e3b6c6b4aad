"""A deep Boltzmann machine (Salakhutdinov & Hinton, 2009): greedy pretraining of RBMs
with the inputs doubled where the DBM gives a layer two neighbours
(:func:`~cortexkit.boltzmann.greedy.pretrain_dbm`), then joint training of all layers with a
mean-field posterior (positive phase) and persistent Markov chains (negative phase), as the
family's own step without autograd (:class:`~cortexkit.boltzmann.step.DBMStep`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, PositiveInts, as_widths
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.greedy import pretrain_dbm
from cortexkit.boltzmann.health import ChecksLayers, health_rows
from cortexkit.boltzmann.inference import (
    ais_log_partition,
    layer_input,
    mean_field,
    random_states,
    recognition,
    run_chains,
    variational_free_energy,
)
from cortexkit.boltzmann.inputs import check_count, check_visible_data
from cortexkit.boltzmann.plots import filters_png, samples_png
from cortexkit.boltzmann.step import DBMStep
from cortexkit.boltzmann.units import sample_bernoulli, sampling_generator
from cortexkit.defaults import DBM as DEFAULTS
from cortexkit.io.device import cpu_settings
from cortexkit.train.objective import chunked, chunks
from cortexkit.train.step import Step

__all__ = ["DBM"]


class DBM(ChecksLayers, TransformerMixin, CortexEstimator):
    """A deep Boltzmann machine with binary hidden units (Salakhutdinov & Hinton, 2009).

    Unlike a :class:`DBN`, every layer is undirected and hears from the layers above and
    below: the posterior over the hidden layers is approximated by mean field. ``fit``
    pretrains a stack of RBMs greedily, their inputs doubled where the DBM gives a layer
    two neighbours, then trains all layers jointly: the mean-field posterior of each batch
    (the positive phase) against persistent Gibbs chains (the negative phase).

    Parameters
    ----------
    hidden_layers : int or tuple of int, default=(500, 1000)
        Hidden units per layer, from the visible side (with one layer, the DBM is an RBM
        trained by mean field against persistent chains).
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The visible units: ``"bernoulli"`` takes X in [0, 1]; ``"gaussian"`` takes
        standardised real X (unit variance; use smaller learning rates).
    pretrain_epochs : int, default=30
        CD-1 epochs per RBM in greedy pretraining (0 starts from small random weights),
        with momentum 0.5. Too few updates leave the upper layers dead: the fit warns
        (``DeadLayerWarning``) when a layer barely varies across the training rows.
    pretrain_learning_rate : float, default=0.05
        The RBMs' learning rate.
    learning_rate : float, default=0.001
        The joint training's learning rate.
    momentum : float, default=0.5
        Momentum of the joint updates, in [0, 1).
    weight_decay : float, default=0.0002
        L2 coefficient on the weights in joint training; biases are not decayed. Each
        update is ``velocity = momentum * velocity + learning_rate * (gradient -
        weight_decay * W)``.
    mean_field_steps : int, default=10
        Mean-field sweeps per batch (the positive phase).
    gibbs_steps : int, default=1
        Gibbs sweeps of the persistent chains per update (the negative phase).
    n_chains : int, default=100
        Persistent chains (fantasy particles).
    batch_size : int or None, default=20
        Rows per update (pretraining and joint training); None uses the whole set.
    epochs : int, default=10
        Epochs of joint training.
    validation_fraction : float, default=0.0
        Share of the rows held out to report ``val_loss`` each epoch.
    validation_split : {"random", "last"}, default="random"
        Which rows are held out.
    early_stopping : bool, default=False
        Stop when the monitored loss stops falling, keeping the best weights.
    patience : int, default=5
        Epochs without improvement before early stopping.
    random_state : int, RandomState or None, default=None
        Seeds pretraining, the chains and the shuffling.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train and infer.
    verbose : int or bool, default=0
        ``1``: a progress bar on a terminal; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch of joint training with ``(epoch, logs)``.
    checkpoint : str, path or None, default=None
        A file for checkpoints of the joint training.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue the joint training from ``checkpoint`` (pretraining runs again first).

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
    weights_ : list of Tensor
        ``weights_[l]`` joins layer ``l`` to layer ``l + 1`` (layer 0 is the visible one).
    biases_ : list of Tensor
        Each layer's biases, the visible layer's first.
    pretrain_history_ : list of dict
        Each pretraining RBM's ``history_``, bottom first.
    history_ : dict
        Per epoch of joint training: ``loss`` (the mean variational free energy of the
        training batches, ``E_q[E] - H(q)``: ``-log p(x) - log Z`` is at most this),
        ``reconstruction_error`` (of the visibles from the first hidden layer's posterior,
        on a sample of the training rows), ``time``; ``val_`` versions with a validation set.
    n_iter_ : int
        Epochs of joint training run.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from cortexkit import DBM
    >>> X = load_digits().data / 16
    >>> dbm = DBM(hidden_layers=(32, 16), pretrain_epochs=2, epochs=2, random_state=0,
    ...           device="cpu").fit(X)
    >>> dbm.transform(X[:3]).shape
    (3, 16)
    >>> [p.shape for p in dbm.posteriors(X[:3])]
    [(3, 32), (3, 16)]
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    _pretrain_momentum = DEFAULTS.pretrain_momentum
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian", "hidden_layers": (8, 4), "pretrain_epochs": 2, "epochs": 3,
        "batch_size": 20, "learning_rate": 0.001, "pretrain_learning_rate": 0.01,
    }  # fmt: skip
    _constraints: dict[str, list[Any]] = {
        **BASE_CONSTRAINTS,
        "hidden_layers": [PositiveInts()],
        "visible": [Options(("bernoulli", "gaussian"))],
        "pretrain_epochs": [Interval(int, 0, None)],
        "pretrain_learning_rate": [Interval(float, 0, None, closed="neither")],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
        "mean_field_steps": [Interval(int, 1, None)],
        "gibbs_steps": [Interval(int, 1, None)],
        "n_chains": [Interval(int, 1, None)],
    }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # computed in float32
        return tags

    def __init__(
        self,
        hidden_layers: int | Sequence[int] = DEFAULTS.hidden_layers,
        *,
        visible: str = "bernoulli",
        pretrain_epochs: int = DEFAULTS.pretrain_epochs,
        pretrain_learning_rate: float = DEFAULTS.pretrain_learning_rate,
        learning_rate: float = DEFAULTS.learning_rate,
        momentum: float = DEFAULTS.momentum,
        weight_decay: float = DEFAULTS.weight_decay,
        mean_field_steps: int = 10,
        gibbs_steps: int = 1,
        n_chains: int = 100,
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
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_learning_rate = pretrain_learning_rate
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.mean_field_steps = mean_field_steps
        self.gibbs_steps = gibbs_steps
        self.n_chains = n_chains
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

    @staticmethod
    def _widths(hidden_layers: Any) -> tuple[int, ...]:
        return as_widths(hidden_layers, "hidden_layers")

    def _validate_params(self) -> None:
        super()._validate_params()
        self._widths(self.hidden_layers)

    @property
    def _kind(self) -> str:
        """The visible units the model was fitted with."""
        return str(self.fitted_params_["visible"])

    @property
    def _steps(self) -> int:
        return int(self.fitted_params_["mean_field_steps"])

    # -- training -------------------------------------------------------------------------

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        X = check_visible_data(self, X, self._kind, reset=fitting)
        V = torch.as_tensor(X, device=self._device())
        self._health = health_rows(V)
        return (V,)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        X = parts[0]
        p = self.fitted_params_
        sizes = self._widths(p["hidden_layers"])
        device = self._device()
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        if p["pretrain_epochs"]:
            W, b, hist = pretrain_dbm(
                X, sizes, visible=self._kind, epochs=p["pretrain_epochs"],
                learning_rate=p["pretrain_learning_rate"], batch_size=p["batch_size"],
                seed=seed, device=device, momentum=self._pretrain_momentum,
            )  # fmt: skip
        else:
            dims = [X.shape[1], *sizes]
            W = [0.01 * torch.randn(a, c, generator=generator).to(device)
                 for a, c in itertools.pairwise(dims)]  # fmt: skip
            b, hist = [torch.zeros(d, device=device) for d in dims], []
        self.weights_, self.biases_, self.pretrain_history_ = W, b, hist
        # the chains start at training rows and their bottom-up posteriors, sampled
        n_chains = int(p["n_chains"])
        rows = torch.randint(0, len(X), (n_chains,), generator=generator).to(X.device)
        g = torch.Generator(device=device).manual_seed(seed)
        v = X[rows] if self._kind == "gaussian" else sample_bernoulli(X[rows], g)
        self._chains_init = [v, *(sample_bernoulli(m, g) for m in recognition(v, W, b))]

    def _is_built(self) -> bool:
        return hasattr(self, "weights_")

    def _make_step(self) -> Step:
        chains = getattr(self, "_chains_init", None)
        if chains is None:  # a loaded model continuing: chains from random states
            sizes = [len(bias) for bias in self.biases_]
            chains = random_states(int(self.fitted_params_["n_chains"]), sizes, self._kind,
                                   device=self._device())  # fmt: skip
        return DBMStep(self.weights_, self.biases_, chains, visible=self._kind)

    @torch.no_grad()
    def _metric(self, X: Tensor) -> dict[str, float]:
        err, rows = 0.0, 0
        for s in chunks(len(X)):
            xb = X[s]
            mu, _ = mean_field(xb, self.weights_, self.biases_, steps=self._steps)
            rec = torch.addmm(self.biases_[0], mu[0], self.weights_[0].T)
            rec = rec if self._kind == "gaussian" else torch.sigmoid(rec)
            err += float(((rec - xb) ** 2).mean(1).sum())
            rows += len(xb)
        return {"reconstruction_error": err / max(rows, 1)}

    def _layer_probabilities(self, rows: Tensor) -> list[Tensor]:
        return mean_field(rows, self.weights_, self.biases_, steps=self._steps)[0]

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> DBM:
        """Pretrain, then train jointly on ``X`` (n_samples, n_features) in [0, 1]; ``y``
        is ignored."""
        self.__dict__.pop("_log_z", None)
        return super().fit(X, None, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> DBM:
        """One more epoch of joint training (the first call pretrains)."""
        self.__dict__.pop("_log_z", None)
        return super().partial_fit(X, None, **kwargs)  # type: ignore[no-any-return]

    # -- inference ------------------------------------------------------------------------

    def _visible(self, X: Any) -> Tensor:
        check_is_fitted(self, "weights_")
        X = check_visible_data(self, X, self._kind, reset=False)
        return torch.as_tensor(X, device=self._device())

    @torch.no_grad()
    def posteriors(self, X: Any) -> list[np.ndarray]:
        """Each hidden layer's mean-field posterior ``q(h_l = 1 | x)``, bottom first."""
        V = self._visible(X)

        def joined(v: Tensor) -> Tensor:  # every layer side by side: (rows, sum of widths)
            return torch.cat(mean_field(v, self.weights_, self.biases_, steps=self._steps)[0], 1)

        widths = [len(b) for b in self.biases_[1:]]
        parts = chunked(joined, V).split(widths, dim=1)
        return [np.asarray(p.cpu().numpy()) for p in parts]

    def transform(self, X: Any) -> np.ndarray:
        """The top layer's mean-field posterior: (n_samples, hidden_layers[-1])."""
        return self.posteriors(X)[-1]

    @torch.no_grad()
    def sample(
        self, n_samples: int = 16, *, steps: int = 1000, random_state: int | None = None
    ) -> np.ndarray:
        """``n_samples`` visible rows (binary) from Gibbs chains run for ``steps`` sweeps
        from random states; the visible probabilities of the last sweep are in
        :meth:`plot_samples`."""
        return self._chains(n_samples, steps, random_state)[0].cpu().numpy()

    def _chains(self, n: int, steps: int, random_state: int | None) -> list[Tensor]:
        check_is_fitted(self, "weights_")
        check_count("n_samples", n)
        check_count("steps", steps)
        g = sampling_generator(random_state, self._device())
        return run_chains(n, steps, self.weights_, self.biases_, self._kind, g)

    def log_partition(
        self, *, n_runs: int = 100, n_betas: int = 1000, random_state: int | None = 0
    ) -> tuple[float, float]:
        """An AIS estimate of ``log Z`` and its standard error (see
        :func:`~cortexkit.boltzmann.inference.ais_log_partition`); kept for
        :meth:`score_samples` until the next fit."""
        check_is_fitted(self, "weights_")
        g = torch.Generator(device=self._device())
        if random_state is not None:
            g.manual_seed(int(random_state))
        with cpu_settings(None, self._device()):  # sigmoid-heavy: flush denormals
            self._log_z = ais_log_partition(self.weights_, self.biases_, n_runs=n_runs,
                                            n_betas=n_betas, generator=g,
                                            visible=self._kind)  # fmt: skip
        return self._log_z

    @torch.no_grad()
    def score_samples(self, X: Any) -> np.ndarray:
        """Higher for rows the model finds more probable: a lower bound on each row's
        log-likelihood, ``-F_q(x) - log Z``, with the mean-field free energy ``F_q`` and
        the AIS estimate of ``log Z`` (computed by :meth:`log_partition` on first use)."""
        free = self._free_energy(self._visible(X))
        log_z = getattr(self, "_log_z", None) or self.log_partition()
        return np.asarray(-free.cpu().numpy() - log_z[0])

    @torch.no_grad()
    def anomaly_scores(self, X: Any) -> np.ndarray:
        """Higher for rows the model finds less probable: each row's mean-field free energy
        ``F_q(x)``. It ranks rows as ``-score_samples`` does (the two differ by the constant
        ``log Z``), without estimating ``log Z``."""
        return np.asarray(self._free_energy(self._visible(X)).cpu().numpy())

    def _free_energy(self, V: Tensor) -> Tensor:
        W, b, kind = self.weights_, self.biases_, self._kind

        def free(v: Tensor) -> Tensor:
            mu, _ = mean_field(v, W, b, steps=self._steps)
            return variational_free_energy(v, mu, W, b, kind)

        return chunked(free, V)

    def plot_filters(
        self, path: Any = None, *, n: int = 64, shape: tuple[int, int] | None = None
    ) -> bytes:
        """The first hidden layer's receptive fields as images; PNG bytes, also written to
        ``path`` when given."""
        check_is_fitted(self, "weights_")
        return filters_png(self.weights_[0], n=n, shape=shape, title="DBM filters (layer 1)",
                           path=path)  # fmt: skip

    def plot_samples(
        self,
        path: Any = None,
        *,
        n: int = 16,
        steps: int = 1000,
        shape: tuple[int, int] | None = None,
        random_state: int | None = None,
    ) -> bytes:
        """Samples of the model (the visible probabilities after ``steps`` Gibbs sweeps) as
        images; PNG bytes, also written to ``path`` when given."""
        states = self._chains(n, steps, random_state)
        with torch.no_grad():
            p = layer_input(states, self.weights_, self.biases_, 0)
            p = p if self._kind == "gaussian" else torch.sigmoid(p)
        return samples_png(p, shape=shape, title=f"DBM samples ({steps} Gibbs sweeps)",
                           path=path)  # fmt: skip

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        meta = {"pretrain_history_": self.pretrain_history_, **self._common_state()}
        tensors = {f"weights.{i}": w.cpu() for i, w in enumerate(self.weights_)}
        tensors.update({f"biases.{i}": b.cpu() for i, b in enumerate(self.biases_)})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.pretrain_history_ = list(meta["pretrain_history_"])
        dims = [self.n_features_in_, *self._widths(self.fitted_params_["hidden_layers"])]
        device = self._device()
        self.weights_, self.biases_ = [], []
        for i in range(len(dims) - 1):
            w = tensors[f"weights.{i}"]
            if tuple(w.shape) != (dims[i], dims[i + 1]):
                raise ValueError(f"weights.{i} has shape {tuple(w.shape)}; layers {dims} need "
                                 f"{(dims[i], dims[i + 1])}")  # fmt: skip
            self.weights_.append(w.to(device, torch.float32))
        for i, d in enumerate(dims):
            b = tensors[f"biases.{i}"]
            if tuple(b.shape) != (d,):
                raise ValueError(f"biases.{i} has shape {tuple(b.shape)}; expected ({d},)")
            self.biases_.append(b.to(device, torch.float32))
