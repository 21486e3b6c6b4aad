"""``SelfOrganizingMap``: Kohonen's map on the shared estimator base and epoch loop."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from torch import Tensor

from cortexkit._validation import CALLABLE, Interval, Options, validate_data
from cortexkit.base import BASE_CONSTRAINTS, CortexEstimator
from cortexkit.defaults import SOM
from cortexkit.io.device import cpu_settings
from cortexkit.io.memory import check_fits_in_memory
from cortexkit.som.distance import DISTANCES, best_units, chunk_rows
from cortexkit.som.grid import TOPOLOGIES, Grid, check_grid
from cortexkit.som.init import INITS, initial_weights
from cortexkit.som.neighborhood import NEIGHBORHOODS, gaussian
from cortexkit.som.schedule import DECAYS, default_epochs
from cortexkit.som.step import SOMStep, rows_per_step
from cortexkit.som.views import MapViews
from cortexkit.train.config import LoopConfig

__all__ = ["SelfOrganizingMap", "map_bytes"]

ALGORITHMS = ("online", "batch")


def map_bytes(nodes: int, features: int, step_rows: int, weight_rows: int) -> int:
    """The bytes a map of ``nodes`` x ``features`` float32 weights needs to train on
    ``step_rows`` rows a step: the weights, the initialisation's copy and the update's
    ``(nodes, features)`` sums (two); the grid's coordinates (with their temporaries); and
    per step the winners' search buffer (two planes) and ``weight_rows`` rows of
    ``(rows, nodes)`` neighbourhood weights (with the grid distances they come from).

    Examples
    --------
    >>> from cortexkit.io.memory import format_bytes
    >>> format_bytes(map_bytes(3000 * 3000, 10, 100, 100))
    '6.0 GiB'
    """
    per_node = 4 * features + 6  # weights, init copy, sums; (y, x), two temporaries, den
    search = 2 * min(chunk_rows(nodes), step_rows)
    return 4 * nodes * (per_node + search + weight_rows)


class SelfOrganizingMap(MapViews, TransformerMixin, CortexEstimator):
    """A self-organising map (Kohonen): a grid of nodes whose weights learn the data's
    shape, for feature detection, clustering and outlier (fraud) detection.

    Each sample's best-matching unit (the nearest node) and its grid neighbours move
    towards the sample; the neighbourhood's radius ``sigma`` and the ``learning_rate``
    shrink as training goes on. Training is batched tensor algebra on CPU or CUDA, stepping
    through the shared epoch loop (history, early stopping on the quantisation error,
    checkpoints, resume) with no optimiser. The defaults (online mini-batches, MiniSom's
    schedules, a radius that follows the map's size, passes that follow the rows per
    node) keep the topographic error within 0.02 of MiniSom's and the quantisation error
    within 2% of it, on every data set of ``bench/quality.py som``.

    Parameters
    ----------
    grid : tuple of int, default=(10, 10)
        The map's ``(rows, cols)``.
    topology : {"rectangular", "hexagonal"}, default="rectangular"
        The node layout: eight neighbours per node, or six.
    neighborhood : str or callable, default="gaussian"
        ``"gaussian"``, ``"bubble"``, ``"mexican_hat"`` or ``"triangle"``, or
        ``fn(d2, sigma) -> Tensor`` of the squared grid distances.
    distance : str or callable, default="euclidean"
        ``"euclidean"``, ``"cosine"`` or ``"manhattan"``, or ``fn(X, W) -> (samples, nodes)``.
    learning_rate : float, default=0.5
        The online rule's starting rate (the batch algorithm has none).
    lr_schedule : str, callable or None, default="asymptotic"
        The learning rate's schedule: ``"asymptotic"`` (to a third), ``"linear"``,
        ``"exponential"``, ``"inverse"`` (to 1%) or ``"constant"``, or
        ``fn(start, progress) -> value``.
    sigma : float or None, default=None
        The neighbourhood's starting radius, in grid steps; must be > 0. None: a tenth of
        the map's longer side, 1.25 at least (3 on a 30x30 map), which keeps a large map
        from folding (:func:`~cortexkit.som.schedule.default_sigma`).
    sigma_decay : str or callable, default="asymptotic"
        As ``lr_schedule``, for ``sigma``.
    init : {"pca", "sample", "random"}, default="pca"
        The starting weights: the plane of the first two principal components, random
        rows, or uniform within each feature's range.
    algorithm : {"online", "batch"}, default="online"
        Mini-batches of sequential Kohonen updates, or Kohonen's batch map (one update per
        epoch from neighbourhood-weighted means).
    epochs : int or None, default=None
        Passes over the data; the schedules run over all of them. None: enough passes to
        present 15 samples per node, 1 at least (one pass over 13,500 rows or more on a
        30x30 map; :func:`~cortexkit.som.schedule.default_epochs`). ``partial_fit`` runs
        one pass a call, on schedules that span as many calls. The batch algorithm makes
        one update per epoch: give it ``epochs`` (tens).
    batch_size : int or None, default=None
        Samples per step. Online: the mini-batch (None: 1/20 of the samples, 16 to
        512; the first ones, and all in the first half of the training, are taken in
        smaller slices). Batch: the chunk the sums are accumulated by, which bounds
        memory (None: 1024 rows, fewer on big maps).
    validation_fraction : float, default=0.0
        Share of the rows held out to monitor the quantisation error.
    validation_split : {"random", "last"}, default="random"
        Which rows are held out.
    early_stopping : bool, default=False
        Stop when the (validation) quantisation error stops falling, keeping the best map.
    patience : int, default=5
        Epochs without improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the presentation order.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        Where to train: ``"auto"`` takes CUDA when present.
    verbose : int, default=0
        1: a progress bar on a terminal; 2: one line per epoch.
    callbacks : list or None, default=None
        :class:`~cortexkit.train.Callback` objects or ``fn(epoch, logs)`` callables.
    checkpoint : str or path-like or None, default=None
        Save the training state here (atomically) every ``checkpoint_every`` epochs.
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
    weights_ : torch.Tensor
        ``(rows * cols, n_features_in_)``: the nodes' weights, node ``k`` at row
        ``k // cols``, column ``k % cols``.
    history_ : dict
        Per epoch: ``loss`` (the mean quantisation error while training),
        ``quantization_error`` and ``topographic_error`` (on up to 1024 training rows),
        ``sigma``, ``learning_rate`` and ``time``; ``val_loss`` with a validation set.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` had them.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from cortexkit import SelfOrganizingMap
    >>> X, _ = make_blobs(300, centers=3, random_state=0)
    >>> som = SelfOrganizingMap((6, 6), sigma=1.5, epochs=5, random_state=0).fit(X)
    >>> som.transform(X[:2]).shape, som.predict(X[:2]).shape
    ((2, 2), (2,))
    >>> som.quantization_error(X) < 1.0
    True
    >>> som.anomaly_scores(X).shape, som.umatrix_scores(X).shape
    ((300,), (300,))
    >>> som.outliers(X, k=3).shape
    (3,)
    """

    _constraints = {
        **BASE_CONSTRAINTS,
        "grid": [tuple, list],  # of two positive ints: _shape says so first
        "topology": [Options(TOPOLOGIES)],
        "neighborhood": [Options(NEIGHBORHOODS), CALLABLE],
        "distance": [Options(DISTANCES), CALLABLE],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "lr_schedule": [Options(DECAYS), CALLABLE, None],
        "sigma": [Interval(float, 0, None, closed="neither"), None],
        "epochs": [Interval(int, 1, None), None],
        "sigma_decay": [Options(DECAYS), CALLABLE],
        "init": [Options(INITS)],
        "algorithm": [Options(ALGORITHMS)],
    }

    def __init__(
        self,
        grid: tuple[int, int] = SOM.grid,
        *,
        topology: str = SOM.topology,
        neighborhood: Any = SOM.neighborhood,
        distance: Any = SOM.distance,
        learning_rate: float = SOM.learning_rate,
        lr_schedule: Any = SOM.lr_schedule,
        sigma: float | None = SOM.sigma,
        sigma_decay: Any = SOM.sigma_decay,
        init: str = SOM.init,
        algorithm: str = SOM.algorithm,
        epochs: int | None = SOM.epochs,
        batch_size: int | None = None,
        validation_fraction: float = 0.0,
        validation_split: str = "random",
        early_stopping: bool = False,
        patience: int = 5,
        random_state: Any = None,
        device: Any = "auto",
        verbose: int = 0,
        callbacks: Any = None,
        checkpoint: Any = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        self.grid = grid
        self.topology = topology
        self.neighborhood = neighborhood
        self.distance = distance
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.sigma = sigma
        self.sigma_decay = sigma_decay
        self.init = init
        self.algorithm = algorithm
        self.epochs = epochs
        self.batch_size = batch_size
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []  # transform gives integer coordinates
        return tags

    # -- checks -----------------------------------------------------------------------------

    def _validate_params(self) -> None:
        check_grid(self.grid)
        super()._validate_params()

    def _shape(self) -> tuple[int, int]:
        """The map's ``(rows, cols)`` (as fitted, once fitted)."""
        return check_grid(self._settings()["grid"])

    def _loop_config(self) -> LoopConfig:
        cfg = super()._loop_config()
        p = cfg.settings
        rows, cols = self._shape()
        cfg.batch_size = partial(rows_per_step, batch_size=p["batch_size"],
                                 algorithm=p["algorithm"], nodes=rows * cols)  # fmt: skip
        if p["epochs"] is None:  # the rows fit was given (1 until fit has seen them)
            cfg.epochs = default_epochs(rows * cols, self.__dict__.get("_fit_rows", 1))
        return cfg

    # -- the base's hooks ---------------------------------------------------------------------

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        X = self._check_X(X, reset=fitting)
        if fitting:
            self._fit_rows = X.shape[0]  # what epochs=None counts passes by
        return (torch.as_tensor(np.require(X, requirements="W")),)  # a read-only view: copied

    def _check_X(self, X: Any, *, reset: bool) -> np.ndarray:
        """``X`` as finite float32, with the fitted feature count (its errors name ``X``); a
        map is trained on two rows at least (one row has no spread to lay a map out on)."""
        return np.asarray(
            validate_data(
                self,
                X,
                reset=reset,
                dtype=np.float32,
                ensure_all_finite=True,
                ensure_min_samples=2 if reset else 1,
            )
        )

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        X = parts[0]
        rows, cols = self._shape()
        p = self._settings()
        step_rows = min(
            rows_per_step(X.shape[0], batch_size=p["batch_size"], algorithm=p["algorithm"],
                          nodes=rows * cols),
            X.shape[0],
        )  # fmt: skip
        # a Gaussian on a rectangular grid makes no (step, nodes) weights past rows + cols
        separable = NEIGHBORHOODS.resolve(p["neighborhood"]) is gaussian and (
            p["topology"] == "rectangular"
        )
        weight_rows = min(step_rows, rows + cols - 1) if separable else 2 * step_rows
        check_fits_in_memory(
            map_bytes(rows * cols, X.shape[1], step_rows, weight_rows),
            f"the map (grid={(rows, cols)!r}, {X.shape[1]} features, {step_rows} rows a step)",
            self._device(),
        )
        # the PCA's covariance (2 n d^2) on one thread when small, as the loop's steps are
        with cpu_settings(2.0 * X.shape[0] * X.shape[1] ** 2, X.device):
            weights = initial_weights(self.fitted_params_["init"], X, rows, cols, generator)
        self.weights_ = weights.to(self._device())

    def _grid(self) -> Grid:
        rows, cols = self._shape()
        topology = self._settings()["topology"]
        device = self.weights_.device
        cached = self.__dict__.get("_grid_cache")
        key = (rows, cols, topology, str(device))
        if cached is None or cached[0] != key:
            cached = (key, Grid(rows, cols, topology, device))
            self._grid_cache = cached
        return cached[1]  # type: ignore[no-any-return]

    def _make_step(self) -> SOMStep:
        return SOMStep(self.weights_, self._grid())

    def _after_fit(self) -> None:
        step = None if self._loop is None else self._loop.step
        if isinstance(step, SOMStep):
            step.source = None  # the training data is not the model's to keep

    @torch.no_grad()
    def _metric(self, X: Tensor, *rest: Tensor) -> dict[str, float]:
        distance = DISTANCES.resolve(self._settings()["distance"])
        if self._grid().n_nodes < 2:  # one node: nothing to be topographically wrong about
            qe = float(best_units(X, self.weights_, distance)[0].mean())
            return {"loss": qe, "quantization_error": qe, "topographic_error": 0.0}
        dist, units = best_units(X, self.weights_, distance, k=2)
        adjacent = self._grid().adjacent(units[:, 0], units[:, 1])
        qe = float(dist[:, 0].mean())
        return {"loss": qe, "quantization_error": qe,
                "topographic_error": float((~adjacent).float().mean())}  # fmt: skip

    def _is_built(self) -> bool:
        return hasattr(self, "weights_") and hasattr(self, "history_")

    # -- model files ----------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        self._check_fitted()
        return self._common_state(), {"weights": self.weights_}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_common_state(meta)
        weights = tensors["weights"]
        rows, cols = self._shape()
        features = int(meta["n_features_in_"])
        if tuple(weights.shape) != (rows * cols, features):
            raise ValueError(
                f"weights of shape {tuple(weights.shape)} do not fit a {rows}x{cols} map of "
                f"{features} features"
            )
        self.weights_ = weights.float().to(self._device())
