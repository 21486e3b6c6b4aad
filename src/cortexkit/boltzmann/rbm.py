"""The restricted Boltzmann machine, trained by CD-k or persistent CD without autograd.

Its step (:class:`CDStep`) is the family's own :class:`~cortexkit.train.Step`: the
statistics of :func:`~cortexkit.boltzmann.units.cd_statistics` (the positive and negative
phases fused into one matrix product each) added to the weights in place. The epoch loop
around it is the shared one (shuffling, history, checkpoints, denormals flushed on the CPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from cortexkit._validation import Interval, Options, check_float32_range, validate_data
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.boltzmann.plots import image_grid_png, image_shape, save_figure
from cortexkit.boltzmann.units import (
    VISIBLE_KINDS,
    cd_statistics,
    free_energy,
    hidden_mean,
    pseudo_likelihood,
    reconstruct,
    sample_bernoulli,
    sample_visible,
    visible_mean,
)
from cortexkit.defaults import RBM as DEFAULTS
from cortexkit.io.device import cpu_settings
from cortexkit.train.objective import chunks
from cortexkit.train.step import Step

__all__ = ["RBM", "RBM_CONSTRAINTS", "CDStep", "check_unit_range", "check_visible_data"]

RBM_CONSTRAINTS: dict[str, list[Any]] = {
    **BASE_CONSTRAINTS,
    "n_hidden": [Interval(int, 1, None)],
    "visible": [Options(VISIBLE_KINDS)],
    "n_levels": [Interval(int, 2, None), None],
    "k": [Interval(int, 1, None)],
    "persistent": [bool],
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "momentum": [Interval(float, 0, 1, closed="left")],
    "weight_decay": [Interval(float, 0, None)],
}


def check_visible_data(
    est: Any, X: Any, kind: str, *, reset: bool, n_levels: int | None = None
) -> np.ndarray:
    """``X`` checked for visible units of ``kind``: 2-d, finite numbers, the fitted width,
    in [0, 1] for Bernoulli units, integer levels in ``[0, n_levels)`` for softmax units."""
    X = validate_data(est, X, reset=reset, dtype=[np.float32, np.float64], ensure_min_samples=1)
    check_float32_range(X, "X")
    check_unit_range(X, kind, n_levels)
    return np.asarray(X, dtype=np.float32)


def check_unit_range(X: np.ndarray, kind: str, n_levels: int | None = None) -> None:
    """Refuse values outside what visible units of ``kind`` take: [0, 1] for Bernoulli
    units, integer levels in ``[0, n_levels)`` for softmax units."""
    if kind == "bernoulli" and X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            f"visible='bernoulli' takes X in [0, 1] (probabilities or binary pixels); got "
            f"values from {X.min():.4g} to {X.max():.4g}. Scale it (pixels / 255, say) or use "
            "visible='gaussian' for standardised real data"
        )
    if kind == "softmax" and X.size:
        top = n_levels if n_levels is not None else None
        bad = (X < 0) | (X != np.round(X)) | ((X >= top) if top is not None else False)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            expected = f"[0, {top})" if top is not None else "0, 1, 2, ..."
            raise ValueError(
                f"visible='softmax' takes X as integer levels {expected}; got "
                f"{float(X[row, col]):g} in row {int(row)}, column {int(col)} (counting from 0)"
            )


class CDStep(Step):
    """One CD-k / PCD-k update of an RBM's weights on a batch, without autograd.

    ``loss`` is the batch's mean free energy (of the data, before the update): it needs no
    sampling, so a validation set is scored the same way.
    """

    def __init__(self, rbm: RBM, chains: int) -> None:
        self.rbm = rbm
        self.chains = chains
        W = rbm.weights_
        self.parameters = [W, rbm.visible_bias_, rbm.hidden_bias_]
        self.chain: Tensor | None = (
            torch.zeros(chains, W.shape[1], dtype=W.dtype, device=W.device)
            if rbm.persistent
            else None
        )
        self.velocity = [torch.zeros_like(p) for p in self.parameters] if rbm.momentum else None
        # on the CPU, NumPy's PCG64 draws the uniforms (faster; see units.uniform), seeded
        # from torch's global generator, which the fit seeds from random_state
        self.rng = (
            np.random.default_rng(int(torch.randint(0, 2**63 - 1, (1,))))
            if W.device.type == "cpu"
            else None
        )

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        rbm = self.rbm
        W, b, c = self.parameters
        v = batch[0]
        s = cd_statistics(v, W, b, c, kind=rbm.visible, n_levels=rbm._levels, k=rbm.k,
                          chain=self.chain, mask=batch[1] if len(batch) > 1 else None,
                          up=rbm._up, down=rbm._down, generator=self.rng)  # fmt: skip
        n = s.n_positive
        loss = (free_energy_from(s.positive, s.pre[:n], b, rbm.visible)).mean()
        if s.chain is not None:
            self.chain = s.chain
        lr, decay = float(rbm.learning_rate), float(rbm.weight_decay)
        db, dc = s.db, s.dc
        if self.velocity is None:  # plain gradient ascent: the weight gradient added in place
            if decay:
                W.mul_(1.0 - lr * decay)
            W.addmm_(s.visible.T, s.signed_hidden, alpha=lr)
            b.add_(db, alpha=lr)
            c.add_(dc, alpha=lr)
        else:
            vW, vb, vc = self.velocity
            mom = float(rbm.momentum)
            vW.mul_(mom).addmm_(s.visible.T, s.signed_hidden)
            if decay:
                vW.add_(W, alpha=-decay)
            vb.mul_(mom).add_(db)
            vc.mul_(mom).add_(dc)
            W.add_(vW, alpha=lr)
            b.add_(vb, alpha=lr)
            c.add_(vc, alpha=lr)
        return loss

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        W, b, c = self.parameters
        return float(free_energy(batch[0], W, b, c, self.rbm.visible).mean())

    def state_dict(self) -> dict[str, Tensor]:
        W, b, c = self.parameters
        return {"weights": W.clone(), "visible_bias": b.clone(), "hidden_bias": c.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for p, key in zip(self.parameters, ("weights", "visible_bias", "hidden_bias"), strict=True):
            p.copy_(state[key])

    def working_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if self.chain is not None:
            state["chain"] = self.chain.clone()
        if self.velocity is not None:
            state["velocity"] = [t.clone() for t in self.velocity]
        if self.rng is not None:
            state["rng"] = self.rng.bit_generator.state
        return state

    def load_working_state(self, state: dict[str, Any]) -> None:
        if "rng" in state and self.rng is not None:
            self.rng.bit_generator.state = state["rng"]
        if "chain" in state and self.chain is not None:
            self.chain = state["chain"].to(self.chain.device)
        if "velocity" in state and self.velocity is not None:
            for t, saved in zip(self.velocity, state["velocity"], strict=True):
                t.copy_(saved)

    def flops(self, batch: tuple[Tensor, ...]) -> float | None:
        rows, n_visible = batch[0].shape
        n_hidden = self.parameters[0].shape[1]
        # per Gibbs step a visible and a hidden product, plus the fused products
        return 2.0 * n_visible * n_hidden * (2 * rows * (self.rbm.k + 1) + rows)


def free_energy_from(v: Tensor, pre: Tensor, b: Tensor, kind: str) -> Tensor:
    """:func:`~cortexkit.boltzmann.units.free_energy` from an already computed hidden input
    ``pre = v @ W + c``."""
    hidden_term = torch.nn.functional.softplus(pre).sum(1)
    if kind == "gaussian":
        return 0.5 * ((v - b) ** 2).sum(1) - hidden_term
    return -(v @ b) - hidden_term


class RBM(TransformerMixin, CortexEstimator):
    """A restricted Boltzmann machine: binary hidden units over Bernoulli, Gaussian or
    K-way softmax visible units, trained by contrastive divergence (CD-k) or persistent
    contrastive divergence (PCD), as batched tensor algebra without autograd.

    ``transform`` gives the hidden units' probabilities (features); the machine is also a
    generative model (``gibbs``, ``sample``) and scores rows (``score_samples``).

    Parameters
    ----------
    n_hidden : int, default=256
        Hidden units, at least 1.
    visible : {"bernoulli", "gaussian", "softmax"}, default="bernoulli"
        The visible units: ``"bernoulli"`` takes X in [0, 1] (binary, or probabilities such
        as grey levels / 255); ``"gaussian"`` takes real X with unit variance per column
        (standardise it first; use a smaller ``learning_rate``, 1e-3 say); ``"softmax"``
        takes integer levels ``0 .. n_levels - 1`` per column (ratings, categories),
        each column a K-way unit.
    n_levels : int or None, default=None
        Levels per softmax unit (at least 2); None takes the largest level in the
        training data plus one. Ignored by the other kinds.
    k : int, default=1
        Gibbs steps in the negative phase (CD-k), at least 1.
    persistent : bool, default=True
        Persistent contrastive divergence (PCD, as scikit-learn's ``BernoulliRBM``): the
        negative phase continues ``batch_size`` Markov chains across updates instead of
        starting at the data.
    learning_rate : float, default=0.1
        Step size of the gradient ascent on the log-likelihood, greater than 0.
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 penalty on the weights (not the biases), at least 0.
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
    >>> rbm = RBM(n_hidden=32, epochs=5, random_state=0, device="cpu").fit(X)
    >>> rbm.transform(X[:2]).shape
    (2, 32)
    >>> err = rbm.history_["reconstruction_error"]
    >>> bool(err[-1] < err[0])
    True
    """

    # X in [0, 1] by default (Bernoulli visibles): what generic tests feed it
    _input_range = (0, 1)
    # small settings for scikit-learn's conformance checks (tests/test_sklearn_checks.py)
    _check_params: dict[str, Any] = {
        "visible": "gaussian",
        "n_hidden": 8,
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
        n_hidden: int = DEFAULTS.n_hidden,
        *,
        visible: str = "bernoulli",
        n_levels: int | None = None,
        k: int = DEFAULTS.k,
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
        self.n_hidden = n_hidden
        self.visible = visible
        self.n_levels = n_levels
        self.k = k
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

    # -- data -----------------------------------------------------------------------------

    @property
    def _levels(self) -> int:
        return int(getattr(self, "n_levels_", None) or 2)

    def _check(self, X: Any, *, reset: bool) -> np.ndarray:
        levels = self.n_levels if reset else getattr(self, "n_levels_", None)
        return check_visible_data(self, X, self.visible, reset=reset, n_levels=levels)

    def _encode(self, X: np.ndarray) -> Tensor:
        """Rows as visible states on the device (one-hot columns for softmax units)."""
        t = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32), device=self._device())
        if self.visible == "softmax":
            levels = self._levels
            hot = torch.nn.functional.one_hot(t.long(), levels)  # (rows, units, levels)
            return hot.reshape(len(t), -1).to(torch.float32)
        return t

    def _decode(self, v: Tensor) -> np.ndarray:
        """Visible states back in X's form (softmax: the level of each unit)."""
        if self.visible == "softmax":
            v = v.reshape(len(v), -1, self._levels).argmax(2).to(torch.float32)
        return np.asarray(v.cpu().numpy(), dtype=np.float32)

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        X = self._check(X, reset=fitting)
        if fitting:
            self.n_levels_ = None
            if self.visible == "softmax":
                self.n_levels_ = int(self.n_levels or max(int(X.max()) + 1, 2))
        return (self._encode(X),)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        n_visible = parts[0].shape[1]
        device = self._device()
        # small random weights break the hidden units' symmetry (Hinton's guide: N(0, 0.01))
        W = 0.01 * torch.randn(n_visible, self.n_hidden, generator=generator)
        self.weights_ = W.to(device)
        self.visible_bias_ = torch.zeros(n_visible, device=device)
        self.hidden_bias_ = torch.zeros(self.n_hidden, device=device)
        self._train_rows = len(parts[0])

    def _is_built(self) -> bool:
        return hasattr(self, "weights_")

    def _make_step(self) -> Step:
        # batch_size=None (whole-set batches): one chain per row
        return CDStep(self, self.batch_size or int(getattr(self, "_train_rows", 1)))

    @torch.no_grad()
    def _metric(self, X: Tensor) -> dict[str, float]:
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        err, pl, rows = 0.0, 0.0, 0
        for s in chunks(len(X)):
            xb = X[s]
            rec = reconstruct(xb, W, b, c, self.visible, self._levels)
            err += float(((rec - xb) ** 2).mean(1).sum())
            if self.visible == "bernoulli":
                pl += float(pseudo_likelihood(xb, W, b, c).sum())
            rows += len(xb)
        out = {"reconstruction_error": err / max(rows, 1)}
        if self.visible == "bernoulli":
            out["pseudo_likelihood"] = pl / max(rows, 1)
        return out

    # -- using the machine ----------------------------------------------------------------

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
        out = [hidden_mean(V[s], W, c) for s in chunks(len(V))] or [V.new_zeros(0, len(c))]
        return np.asarray(torch.cat(out).cpu().numpy())

    @torch.no_grad()
    def inverse_transform(self, H: Any) -> np.ndarray:
        """The visible means given hidden states or probabilities ``H`` (n_samples,
        n_hidden): probabilities for Bernoulli units, values for Gaussian ones, the most
        probable level for softmax units."""
        check_is_fitted(self, "weights_")
        H = np.asarray(H, dtype=np.float32)
        if H.ndim != 2 or H.shape[1] != self.n_hidden or not np.isfinite(H).all():
            raise ValueError(
                f"H must be a finite (n_samples, {self.n_hidden}) array of hidden states; "
                f"got shape {H.shape}"
            )
        h = torch.as_tensor(H, device=self._device())
        mean = visible_mean(torch.addmm(self.visible_bias_, h, self.weights_.T), self.visible,
                            self._levels)  # fmt: skip
        return self._decode(mean)

    @torch.no_grad()
    def _run_chain(self, v: Tensor, steps: int, generator: torch.Generator) -> Tensor:
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        with cpu_settings(None, W.device):  # sigmoid-heavy: flush denormals
            for _ in range(steps):
                h = sample_bernoulli(hidden_mean(v, W, c), generator)
                mean = visible_mean(torch.addmm(b, h, W.T), self.visible, self._levels)
                v = sample_visible(mean, self.visible, self._levels, generator)
        return v

    def _generator(self, random_state: int | None) -> torch.Generator:
        g = torch.Generator(device=self._device())
        seed = random_state if random_state is not None else int(torch.randint(0, 2**31, (1,)))
        return g.manual_seed(int(seed))

    def gibbs(self, v: Any, steps: int = 1, *, random_state: int | None = None) -> np.ndarray:
        """Run ``steps`` alternating Gibbs steps (h from v, then v from h) from each row
        of ``v``; return the visible samples, in X's form."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an int >= 1; got {steps!r}")
        return self._decode(self._run_chain(self._visible(v), steps, self._generator(random_state)))

    def sample(
        self, n_samples: int = 16, *, steps: int = 1000, random_state: int | None = None
    ) -> np.ndarray:
        """``n_samples`` rows drawn from the model: Gibbs chains run for ``steps`` from
        random visible states."""
        check_is_fitted(self, "weights_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise ValueError(f"n_samples must be an int >= 1; got {n_samples!r}")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an int >= 1; got {steps!r}")
        g = self._generator(random_state)
        n_visible = self.weights_.shape[0]
        start = torch.full((n_samples, n_visible), 0.5, device=self._device())
        if self.visible == "softmax":
            start.fill_(1.0 / self._levels)
        if self.visible == "gaussian":
            start = torch.randn(n_samples, n_visible, generator=g, device=self._device())
        else:
            start = sample_visible(start, self.visible, self._levels, g)
        return self._decode(self._run_chain(start, steps, g))

    @torch.no_grad()
    def score_samples(self, X: Any) -> np.ndarray:
        """Bernoulli units: each row's log pseudo-likelihood (stochastic: one random unit
        flipped per row, as scikit-learn's ``BernoulliRBM``); other kinds: the negative
        free energy ``-F(x)`` (the log-probability up to the unknown ``log Z``)."""
        V = self._visible(X)
        W, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        if self.visible == "bernoulli":
            g = self._generator(None)
            score = torch.cat([pseudo_likelihood(V[s], W, b, c, g) for s in chunks(len(V))])
        else:
            score = torch.cat([-free_energy(V[s], W, b, c, self.visible) for s in chunks(len(V))])
        return np.asarray(score.cpu().numpy())

    def plot_filters(
        self, path: Any = None, *, n: int = 64, shape: tuple[int, int] | None = None
    ) -> bytes:
        """The first ``n`` hidden units' receptive fields (their weights from the visible
        image) as a grid of images; PNG bytes, also written to ``path`` when given."""
        check_is_fitted(self, "weights_")
        if self.visible == "softmax":
            raise ValueError("plot_filters draws images: it needs bernoulli or gaussian visibles")
        W = self.weights_.T[:n].cpu().numpy()  # (n, n_visible)
        png = image_grid_png(W, image_shape(W.shape[1], shape), title="RBM filters",
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
        """``n`` samples from the model (:meth:`sample`) as a grid of images; PNG bytes,
        also written to ``path`` when given."""
        if self.visible == "softmax":
            raise ValueError("plot_samples draws images: it needs bernoulli or gaussian visibles")
        check_is_fitted(self, "weights_")
        # the last step's visible means, not binary draws: the usual way to show samples
        g = self._generator(random_state)
        V = torch.as_tensor(self.sample(n, steps=steps, random_state=random_state),
                            device=self._device())  # fmt: skip
        h = sample_bernoulli(hidden_mean(V, self.weights_, self.hidden_bias_), g)
        mean = visible_mean(torch.addmm(self.visible_bias_, h, self.weights_.T), self.visible)
        shown = mean.cpu().numpy()
        png = image_grid_png(shown, image_shape(shown.shape[1], shape),
                             title=f"RBM samples ({steps} Gibbs steps)")  # fmt: skip
        return save_figure(png, path)

    # -- model files ----------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "weights_")
        meta = {"n_levels_": self.n_levels_, **self._common_state()}
        tensors = {"weights": self.weights_.cpu(), "visible_bias": self.visible_bias_.cpu(),
                   "hidden_bias": self.hidden_bias_.cpu()}  # fmt: skip
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        self.n_levels_ = None if meta.get("n_levels_") is None else int(meta["n_levels_"])
        W, b, c = tensors["weights"], tensors["visible_bias"], tensors["hidden_bias"]
        units = self.n_features_in_ * (self._levels if self.visible == "softmax" else 1)
        if W.shape != (units, self.n_hidden) or b.shape != (units,) or c.shape != (self.n_hidden,):
            raise ValueError(
                f"weights of shape {tuple(W.shape)} do not fit {units} visible and "
                f"{self.n_hidden} hidden units"
            )
        device = self._device()
        self.weights_ = W.to(device, torch.float32)
        self.visible_bias_ = b.to(device, torch.float32)
        self.hidden_bias_ = c.to(device, torch.float32)
