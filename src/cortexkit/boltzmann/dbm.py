"""A deep Boltzmann machine (Salakhutdinov & Hinton, 2009): greedy pretraining of RBMs
with the inputs doubled where the DBM gives a layer two neighbours, then joint training of
all layers with a mean-field posterior (positive phase) and persistent Markov chains
(negative phase), as the family's own step without autograd.
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

from cortexkit._validation import Interval, Options
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.dbn import check_layers
from cortexkit.boltzmann.inference import (
    ais_log_partition,
    gibbs_sweep,
    layer_input,
    mean_field,
    recognition,
    variational_free_energy,
)
from cortexkit.boltzmann.plots import image_grid_png, image_shape, save_figure
from cortexkit.boltzmann.rbm import RBM, check_visible_data
from cortexkit.boltzmann.units import sample_bernoulli
from cortexkit.io.device import cpu_settings
from cortexkit.train.objective import chunks
from cortexkit.train.step import Step

__all__ = ["DBM", "DBMStep", "pretrain_dbm"]


def pretrain_dbm(
    X: Tensor,
    layers: Sequence[int],
    *,
    visible: str = "bernoulli",
    epochs: int,
    learning_rate: float,
    batch_size: int | None,
    seed: int,
    device: torch.device,
) -> tuple[list[Tensor], list[Tensor], list[dict[str, Any]]]:
    """Greedy pretraining for a DBM: one CD-1 RBM per layer, the bottom one with its
    bottom-up input doubled, the top one with its top-down input doubled and the middle
    ones with both (in the DBM each of those layers hears from two neighbours, in its RBM
    from one). Returns the DBM's weights, its biases (a layer shared by two RBMs takes the
    mean of their two biases) and each RBM's history."""
    data = X.cpu().numpy()
    rbms = []
    for i, size in enumerate(layers):
        rbm = RBM(size, visible=visible if i == 0 else "bernoulli", k=1, persistent=False,
                  learning_rate=learning_rate, batch_size=batch_size, epochs=epochs,
                  random_state=seed + i, device=str(device))  # fmt: skip
        rbm._up = 2.0 if i < len(layers) - 1 else 1.0
        rbm._down = 2.0 if i > 0 else 1.0
        rbm.fit(data)
        with torch.no_grad():
            t = torch.as_tensor(data, device=device)
            up = torch.sigmoid(torch.addmm(rbm.hidden_bias_, t, rbm.weights_, alpha=rbm._up))
        data = up.cpu().numpy()
        rbms.append(rbm)
    weights = [r.weights_.clone() for r in rbms]
    biases = [rbms[0].visible_bias_.clone()]
    for i, r in enumerate(rbms):
        above = rbms[i + 1].visible_bias_ if i + 1 < len(rbms) else r.hidden_bias_
        biases.append(0.5 * (r.hidden_bias_ + above))
    return weights, biases, [r.history_ for r in rbms]


class DBMStep(Step):
    """One joint update of a DBM: mean-field posteriors of the batch (the positive phase)
    against persistent Gibbs chains (the negative phase), one matrix product per layer.
    ``loss`` is the batch's mean variational free energy."""

    def __init__(self, dbm: DBM, chains: list[Tensor]) -> None:
        self.dbm = dbm
        self.chains = chains
        self.parameters = [*dbm.weights_, *dbm.biases_]
        self.velocity = [torch.zeros_like(p) for p in self.parameters] if dbm.momentum else None

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        dbm = self.dbm
        W, b = dbm.weights_, dbm.biases_
        v = batch[0]
        mu, _ = mean_field(v, W, b, steps=dbm.mean_field_steps)
        loss = variational_free_energy(v, mu, W, b, dbm.visible).mean()
        for _ in range(dbm.gibbs_steps):
            self.chains = gibbs_sweep(self.chains, W, b, None, dbm.visible)
        pos, neg = [v, *mu], self.chains
        n, m = len(v), len(neg[0])
        lr, decay, mom = float(dbm.learning_rate), float(dbm.weight_decay), float(dbm.momentum)
        grads: list[Tensor] = []
        for layer in range(1, len(pos)):
            lower = torch.cat([pos[layer - 1], neg[layer - 1]])  # (batch + chains, n_{l-1})
            upper = torch.cat([pos[layer] / n, neg[layer] / -m])  # signed, scaled
            g = lower.T @ upper
            if decay:
                g.add_(W[layer - 1], alpha=-decay)
            grads.append(g)
        for layer in range(len(pos)):
            grads.append(pos[layer].mean(0) - neg[layer].mean(0))
        for i, (p, g) in enumerate(zip(self.parameters, grads, strict=True)):
            if self.velocity is not None:
                g = self.velocity[i].mul_(mom).add_(g)
            p.add_(g, alpha=lr)
        return loss

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        dbm = self.dbm
        mu, _ = mean_field(batch[0], dbm.weights_, dbm.biases_, steps=dbm.mean_field_steps)
        energy = variational_free_energy(batch[0], mu, dbm.weights_, dbm.biases_, dbm.visible)
        return float(energy.mean())

    def state_dict(self) -> dict[str, Tensor]:
        return {f"p{i}": p.clone() for i, p in enumerate(self.parameters)}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for i, p in enumerate(self.parameters):
            p.copy_(state[f"p{i}"])

    def working_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"chains": [c.clone() for c in self.chains]}
        if self.velocity is not None:
            state["velocity"] = [t.clone() for t in self.velocity]
        return state

    def load_working_state(self, state: dict[str, Any]) -> None:
        self.chains = [c.to(self.parameters[0].device) for c in state["chains"]]
        if "velocity" in state and self.velocity is not None:
            for t, saved in zip(self.velocity, state["velocity"], strict=True):
                t.copy_(saved)

    def flops(self, batch: tuple[Tensor, ...]) -> float | None:
        sizes = [w.shape[0] * w.shape[1] for w in self.dbm.weights_]
        rows, chains = batch[0].shape[0], self.chains[0].shape[0]
        per_pass = 2.0 * sum(sizes)
        return per_pass * (rows * 2 * (self.dbm.mean_field_steps + 1) + chains * 2 + rows + chains)


class DBM(TransformerMixin, CortexEstimator):
    """A deep Boltzmann machine with binary units (Salakhutdinov & Hinton, 2009).

    Unlike a :class:`DBN`, every layer is undirected and hears from the layers above and
    below: the posterior over the hidden layers is approximated by mean field. ``fit``
    pretrains a stack of RBMs greedily, their inputs doubled where the DBM gives a layer
    two neighbours, then trains all layers jointly: the mean-field posterior of each batch
    (the positive phase) against persistent Gibbs chains (the negative phase).

    Parameters
    ----------
    layers : int or sequence of int, default=(500, 1000)
        Hidden units per layer, bottom first (at least two layers: one is an RBM).
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The visible units: ``"bernoulli"`` takes X in [0, 1]; ``"gaussian"`` takes
        standardised real X (unit variance; use smaller learning rates).
    pretrain_epochs : int, default=10
        CD-1 epochs per RBM in greedy pretraining (0 starts from small random weights).
    pretrain_learning_rate : float, default=0.05
        The RBMs' learning rate.
    learning_rate : float, default=0.005
        The joint training's learning rate.
    momentum : float, default=0.5
        Momentum of the joint updates, in [0, 1).
    weight_decay : float, default=0.0002
        L2 penalty on the weights in joint training.
    mean_field_steps : int, default=10
        Mean-field sweeps per batch (the positive phase).
    gibbs_steps : int, default=1
        Gibbs sweeps of the persistent chains per update (the negative phase).
    n_chains : int, default=100
        Persistent chains (fantasy particles).
    batch_size : int or None, default=100
        Rows per update; None uses the whole set.
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
    >>> dbm = DBM(layers=(32, 16), pretrain_epochs=2, epochs=2, random_state=0,
    ...           device="cpu").fit(X)
    >>> dbm.transform(X[:3]).shape
    (3, 16)
    >>> [p.shape for p in dbm.posteriors(X[:3])]
    [(3, 32), (3, 16)]
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian", "layers": (8, 4), "pretrain_epochs": 2, "epochs": 3,
        "batch_size": 20, "learning_rate": 0.001, "pretrain_learning_rate": 0.01,
    }  # fmt: skip
    _constraints: dict[str, list[Any]] = {
        **BASE_CONSTRAINTS,
        "layers": [Interval(int, 1, None), list, tuple],
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
        layers: int | Sequence[int] = (500, 1000),
        *,
        visible: str = "bernoulli",
        pretrain_epochs: int = 10,
        pretrain_learning_rate: float = 0.05,
        learning_rate: float = 0.005,
        momentum: float = 0.5,
        weight_decay: float = 0.0002,
        mean_field_steps: int = 10,
        gibbs_steps: int = 1,
        n_chains: int = 100,
        batch_size: int | None = 100,
        epochs: int = 10,
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
        self.layers = layers
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

    def _layers(self) -> list[int]:
        sizes = check_layers(self.layers)
        if len(sizes) < 2:
            raise ValueError(f"layers must list at least two hidden layers for a DBM (one is an "
                             f"RBM: use RBM); got {self.layers!r}")  # fmt: skip
        return sizes

    def _validate_params(self) -> None:
        super()._validate_params()
        self._layers()

    # -- training -------------------------------------------------------------------------

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        X = check_visible_data(self, X, self.visible, reset=fitting)
        return (torch.as_tensor(X, device=self._device()),)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        X = parts[0]
        sizes = self._layers()
        device = self._device()
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        if self.pretrain_epochs:
            W, b, hist = pretrain_dbm(
                X, sizes, visible=self.visible, epochs=self.pretrain_epochs,
                learning_rate=self.pretrain_learning_rate, batch_size=self.batch_size,
                seed=seed, device=device,
            )  # fmt: skip
        else:
            dims = [X.shape[1], *sizes]
            W = [0.01 * torch.randn(a, c, generator=generator).to(device)
                 for a, c in itertools.pairwise(dims)]  # fmt: skip
            b, hist = [torch.zeros(d, device=device) for d in dims], []
        self.weights_, self.biases_, self.pretrain_history_ = W, b, hist
        # the chains start at training rows and their bottom-up posteriors, sampled
        rows = torch.randint(0, len(X), (self.n_chains,), generator=generator).to(X.device)
        g = torch.Generator(device=device).manual_seed(seed)
        v = X[rows] if self.visible == "gaussian" else sample_bernoulli(X[rows], g)
        self._chains_init = [v, *(sample_bernoulli(m, g) for m in recognition(v, W, b))]

    def _is_built(self) -> bool:
        return hasattr(self, "weights_")

    def _make_step(self) -> Step:
        chains = getattr(self, "_chains_init", None)
        if chains is None:  # a loaded model continuing: chains from random states
            shapes = [len(bias) for bias in self.biases_]
            chains = [torch.bernoulli(torch.full((self.n_chains, n), 0.5, device=self._device()))
                      for n in shapes]  # fmt: skip
            if self.visible == "gaussian":
                chains[0] = torch.randn_like(chains[0])
        return DBMStep(self, chains)

    @torch.no_grad()
    def _metric(self, X: Tensor) -> dict[str, float]:
        err, rows = 0.0, 0
        for s in chunks(len(X)):
            xb = X[s]
            mu, _ = mean_field(xb, self.weights_, self.biases_, steps=self.mean_field_steps)
            rec = torch.addmm(self.biases_[0], mu[0], self.weights_[0].T)
            rec = rec if self.visible == "gaussian" else torch.sigmoid(rec)
            err += float(((rec - xb) ** 2).mean(1).sum())
            rows += len(xb)
        return {"reconstruction_error": err / max(rows, 1)}

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

    @torch.no_grad()
    def posteriors(self, X: Any) -> list[np.ndarray]:
        """Each hidden layer's mean-field posterior ``q(h_l = 1 | x)``, bottom first."""
        check_is_fitted(self, "weights_")
        V = torch.as_tensor(check_visible_data(self, X, self.visible, reset=False),
                            device=self._device())  # fmt: skip
        parts: list[list[Tensor]] = [[] for _ in self.weights_]
        for s in chunks(len(V)):
            mu, _ = mean_field(V[s], self.weights_, self.biases_, steps=self.mean_field_steps)
            for out, m in zip(parts, mu, strict=True):
                out.append(m)
        return [np.asarray(torch.cat(p).cpu().numpy()) if p else np.zeros((0, len(b)), np.float32)
                for p, b in zip(parts, self.biases_[1:], strict=True)]  # fmt: skip

    def transform(self, X: Any) -> np.ndarray:
        """The top layer's mean-field posterior: (n_samples, layers[-1])."""
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
        for name, value in (("n_samples", n), ("steps", steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value!r}")
        device = self._device()
        g = torch.Generator(device=device)
        g.manual_seed(
            int(random_state) if random_state is not None else int(torch.randint(0, 2**31, (1,)))
        )
        states = [torch.bernoulli(torch.full((n, len(b)), 0.5, device=device), generator=g)
                  for b in self.biases_]  # fmt: skip
        if self.visible == "gaussian":
            states[0] = torch.randn(states[0].shape, generator=g, device=device)
        with cpu_settings(None, device):  # sigmoid-heavy: flush denormals
            for _ in range(steps):
                states = gibbs_sweep(states, self.weights_, self.biases_, g, self.visible)
        return states

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
                                            visible=self.visible)  # fmt: skip
        return self._log_z

    @torch.no_grad()
    def score_samples(self, X: Any) -> np.ndarray:
        """A lower bound on each row's log-likelihood: ``-F_q(x) - log Z``, with the
        mean-field free energy ``F_q`` and the AIS estimate of ``log Z`` (computed by
        :meth:`log_partition` on first use)."""
        check_is_fitted(self, "weights_")
        V = torch.as_tensor(check_visible_data(self, X, self.visible, reset=False),
                            device=self._device())  # fmt: skip
        log_z = getattr(self, "_log_z", None) or self.log_partition()
        out = []
        for s in chunks(len(V)):
            mu, _ = mean_field(V[s], self.weights_, self.biases_, steps=self.mean_field_steps)
            out.append(-variational_free_energy(V[s], mu, self.weights_, self.biases_,
                                                self.visible))  # fmt: skip
        score = torch.cat(out) if out else V.new_zeros(0)
        return np.asarray(score.cpu().numpy() - log_z[0])

    def plot_filters(
        self, path: Any = None, *, n: int = 64, shape: tuple[int, int] | None = None
    ) -> bytes:
        """The first hidden layer's receptive fields as images; PNG bytes, also written to
        ``path`` when given."""
        check_is_fitted(self, "weights_")
        W = self.weights_[0].T[:n].cpu().numpy()
        png = image_grid_png(W, image_shape(W.shape[1], shape), title="DBM filters (layer 1)",
                             symmetric=True)  # fmt: skip
        return save_figure(png, path)

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
            p = p if self.visible == "gaussian" else torch.sigmoid(p)
        shown = p.cpu().numpy()
        png = image_grid_png(shown, image_shape(shown.shape[1], shape),
                             title=f"DBM samples ({steps} Gibbs sweeps)")  # fmt: skip
        return save_figure(png, path)

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        meta = {"pretrain_history_": self.pretrain_history_, **self._common_state()}
        tensors = {f"weights.{i}": w.cpu() for i, w in enumerate(self.weights_)}
        tensors.update({f"biases.{i}": b.cpu() for i, b in enumerate(self.biases_)})
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.pretrain_history_ = list(meta.get("pretrain_history_", []))
        dims = [self.n_features_in_, *self._layers()]
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
