"""Forecasting a time series with a recurrent network.

The series (target first, exogenous columns after) is transformed as
:mod:`cortexkit.rnn.transforms` says (log, difference) and cut into windows of
``lookback`` steps, each scaled by its own level and spread (or, ``scaling="series"``,
the series by its training part); a multi-step forecast is rolled out recursively or
directly (:mod:`cortexkit.rnn.windows`). Several series make one global model
(:mod:`cortexkit.rnn.panel`).

Prediction intervals come from bootstrapped residuals (:mod:`cortexkit.rnn.intervals`): at
the end of ``fit`` the model forecasts ``max(horizon, 24)`` steps (``horizon`` when the
series is too short, or for a direct forecast with exogenous columns) from the last origins
of its series; those errors, divided by the scale of the window each forecast read, widen
a new forecast into an interval at the scale of the window it reads.

Everything after ``fit`` (forecasts, intervals, evaluation, the model file) reads the
parameters the model was fitted with (``fitted_params_``), not the live ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from cortexkit._validation import Interval, Options, as_widths
from cortexkit.base import GradientEstimator, check_fits_in_memory
from cortexkit.defaults import RNN
from cortexkit.rnn.base import RNN_CONSTRAINTS
from cortexkit.rnn.blend import chosen_blend, random_walks, season_beats_last
from cortexkit.rnn.export import ForecasterExport
from cortexkit.rnn.forecaster_files import ForecasterFiles
from cortexkit.rnn.forecasting import Forecasts
from cortexkit.rnn.intervals import error_steps, relative_errors
from cortexkit.rnn.network import EVAL_ROWS, SequenceNetwork, SequenceObjective, training_bytes
from cortexkit.rnn.panel import (
    as_series_list,
    by_distance_to_end,
    default_lookback,
    default_season,  # fmt: skip
)
from cortexkit.rnn.transforms import SeriesTransform, series_matrix
from cortexkit.rnn.windows import Windowing, WindowScaled

__all__ = ["RNNForecaster"]

TAIL = 10_000  # training rows a fitted model keeps: the history it continues, and MASE's


class RNNForecaster(ForecasterExport, Forecasts, ForecasterFiles, GradientEstimator):
    """A recurrent network (LSTM, GRU or vanilla RNN) that forecasts a time series.

    ``fit(X)`` takes the series: a 1-d array or pandas Series, or a 2-d array or
    DataFrame whose ``target`` column is forecast and whose other columns are exogenous
    inputs. A list of such series, or a long table with a ``series_column``, trains one
    global model on the windows of all of them. ``predict(horizon=H)`` forecasts the
    ``H`` steps after the training data (``(n_series, H)`` for a global model);
    ``predict(series, horizon=H)`` those after another history (a new series too);
    :meth:`predict_interval` adds bounds, and :meth:`evaluate` scores a forecast against
    what happened, beside the naive and seasonal-naive forecasts.

    The defaults are those of :data:`cortexkit.defaults.RNN`, shared with
    ``cortexkit train rnn``.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`), or a factory
        ``f(input_size, hidden_size, batch_first=True)`` of one recurrent layer.
    lookback : int or None, default=None
        Steps of history the network reads for each forecast; ``None``: two seasons
        (``season_``), at least 12, at most half of what the shortest series leaves
        (``lookback_``).
    horizon : int, default=1
        Steps the network is trained to forecast (``"direct"``: its outputs), and the
        default length of :meth:`predict`.
    hidden_layers : int or sequence of int, default=(50,)
        Units of each stacked recurrent layer, from the input side (an int is one layer);
        the layers may differ in width.
    dropout : float, default=0.0
        Dropout after each recurrent layer, in [0, 1).
    strategy : {"recursive", "direct"}, default="recursive"
        How a multi-step forecast is made (see the module's docstring).
    target : str, int or None, default=None
        The column to forecast, by name or position; ``None``: the first.
    difference : int, default=0
        ``1`` trains on the first differences (a trending series), and sums the forecast
        back; ``0`` trains on the levels.
    log : bool, default=False
        Train on the logarithm (a series that grows by a factor; it must be positive).
    scaling : {"window", "series"}, default="window"
        ``"window"``: each window is scaled by its own last value and mean absolute step
        (instance normalisation), so levels never seen in training are followed;
        ``"series"``: the series is standardised by its training part (one series only).
    level : {"last", "season", "auto"}, default="season"
        With ``scaling="window"``, what each forecast step is learnt relative to: the
        window's last value (the naive forecast), or the value a season before it (the
        seasonal-naive forecast) when the look-back holds a season. ``"auto"``: the season
        where the seasonal-naive forecast's in-sample error is below the naive one's (on
        the training rows, averaged over the series), else the last value (``level_``).
    blend : float in [0, 1] or "auto", default="auto"
        With ``scaling="window"``, the weight of the network's learnt step on top of the
        forecast it is learnt relative to (``level``): ``1`` is the network's forecast,
        ``0`` the naive (or seasonal-naive) one. ``"auto"`` picks it, in steps of 0.1, by
        the squared error of ``horizon``-step forecasts from the validation windows
        (``blend_``; 1 with fewer than 10 of them): a series the network cannot beat falls
        back to the naive forecast, and series whose steps all pass as white noise (random
        walks, :func:`~cortexkit.rnn.blend.looks_like_walk`) get it outright.
    season : int or None, default=None
        The season length: the default look-back covers two of them, and
        :meth:`evaluate`'s seasonal-naive forecast and MASE use it; ``None`` infers it
        from the training series (``season_``).
    series_column : str or None, default=None
        In a long table, the column naming the series each row belongs to: one global
        model is trained on all of them (rows in time order within each series).
    batch_size : int or None, default=32
        Windows per weight update (``None``: all of them).
    gradient_descent : {"stochastic", "batch", "mini-batch"} or None, default=None
        A readable alias that sets the batch size.
    epochs : int, default=100
        The most passes over the windows (early stopping may end training sooner).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or callable, default="adam"
        The optimiser (see :data:`cortexkit.train.OPTIMIZERS`).
    learning_rate : float, default=1e-3
        The step size, greater than 0.
    weight_decay : float, default=0.0
        L2 penalty on the weights, never the biases.
    momentum : float, default=0.9
        Momentum for ``optimizer="sgd"``, in [0, 1).
    nesterov : bool, default=False
        Nesterov momentum for ``optimizer="sgd"``.
    validation_fraction : float, default=0.1
        Share of the windows, the latest ones, held out to report ``val_loss`` and
        monitor early stopping; the scaling never sees them.
    validation_split : {"last"}, default="last"
        Always the last windows: a shuffled split would let the future leak into training.
    early_stopping : bool, default=True
        Stop when the monitored loss has not improved for ``patience`` epochs, and keep the
        best epoch's weights.
    patience : int, default=20
        Epochs without improvement before early stopping.
    lr_schedule : {"plateau", "onecycle", "cosine"} or None, default=None
        ``"plateau"`` halves the learning rate after 5 epochs without improvement.
        ``"onecycle"`` (warm up, then anneal) and ``"cosine"`` (anneal) take it to nearly
        0 by the last epoch, batch by batch.
    clip_grad_norm : float or None, default=None
        Rescale the gradient when its norm exceeds this.
    random_state : int, RandomState or None, default=None
        Seeds the weights, the shuffling and dropout, for this fit only.
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        Where to train: ``"auto"`` uses CUDA when present.
    verbose : int or bool, default=0
        ``0``: silent; ``1``: a progress bar; ``2``: also a line per epoch.
    callbacks : list of Callback or callable, or None, default=None
        Called after each epoch with its logs; returning ``True`` stops training.
    checkpoint : str, path-like or None, default=None
        A file to save a resumable checkpoint to.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from ``checkpoint`` when that file exists.

    Attributes
    ----------
    fitted_params_ : dict
        The parameters the last ``fit`` ran with: ``predict``, ``save`` and ``load`` use
        them, so a ``set_params`` after ``fit`` changes nothing until the next ``fit``.
    best_loss_ : float
        The best monitored loss: the lowest validation loss, or the lowest training loss
        without a validation set.
    network_ : SequenceNetwork
        The trained network: ``n_features_in_`` inputs per step, ``horizon`` outputs
        (``"direct"``) or ``n_features_in_`` (``"recursive"``).
    season_ : int
        The season length (``season``, or inferred; 1: none).
    lookback_ : int
        The look-back the network reads (``lookback``, or two seasons).
    level_ : str
        What each step is learnt relative to: ``level``, the one ``"auto"`` chose, or
        ``"last"`` for random walks (``random_walk_``).
    blend_ : float
        The weight of the network's step on top of the (seasonal) naive forecast: ``blend``,
        or the one chosen on the validation windows (0 for random walks).
    random_walk_ : bool
        Whether ``blend="auto"`` found every training series a random walk (see ``blend``).
    series_ids_ : list of str
        The series, in the order a global model's ``predict`` returns them: the values of
        ``series_column``, or the positions in the list (``["0"]`` for one series).
    history_ : dict of lists of length n_iter_
        Per-epoch ``"loss"``, ``"val_loss"``, ``"learning_rate"`` and ``"time"`` (losses
        in standardised units), and why training stopped, if early.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of shape (n_iter_,)
        The training loss of each epoch.
    n_features_in_ : int
        Columns of the series: the target and the exogenous ones.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names, when the series was a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from cortexkit import RNNForecaster
    >>> t = np.arange(300)
    >>> series = np.sin(2 * np.pi * t / 25)
    >>> model = RNNForecaster(lookback=30, horizon=10, strategy="direct", hidden_layers=16,
    ...                       epochs=60, learning_rate=0.01, random_state=0).fit(series)
    >>> forecast = model.predict(horizon=10)
    >>> future = np.sin(2 * np.pi * np.arange(300, 310) / 25)
    >>> float(np.abs(forecast - future).max()) < 0.2
    True
    >>> lower, upper = model.predict_interval(horizon=10, coverage=0.9)
    >>> bool((lower < upper).all() and (upper - lower).max() < 0.2)
    True
    """

    _constraints = {
        **RNN_CONSTRAINTS,
        "lookback": [Interval(int, 1, None), None],
        "horizon": [Interval(int, 1, None)],
        "strategy": [Options(["recursive", "direct"])],
        "target": [str, Interval(int, 0, None), None],
        "difference": [Interval(int, 0, 1)],
        "log": [bool],
        "scaling": [Options(["window", "series"])],
        "level": [Options(["last", "season", "auto"])],
        "blend": [Interval(float, 0, 1, closed="both"), Options(["auto"])],
        "season": [Interval(int, 1, None), None],
        "series_column": [str, int, None],
        "validation_split": [Options(["last"])],
    }

    def __init__(
        self,
        cell: Any = RNN.cell,
        *,
        lookback: int | None = RNN.lookback,
        horizon: int = RNN.horizon,
        hidden_layers: int | Sequence[int] = RNN.hidden_layers,
        dropout: float = RNN.dropout,
        strategy: str = RNN.strategy,
        target: str | int | None = None,
        difference: int = 0,
        log: bool = False,
        scaling: str = RNN.scaling,
        level: str = RNN.level,
        blend: str | float = RNN.blend,
        season: int | None = None,
        series_column: str | None = None,
        batch_size: int | None = RNN.batch_size,
        gradient_descent: str | None = None,
        epochs: int = RNN.epochs,
        optimizer: Any = RNN.optimizer,
        learning_rate: float = RNN.learning_rate,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = RNN.validation_fraction,
        validation_split: str = "last",
        early_stopping: bool = RNN.early_stopping,
        patience: int = RNN.patience,
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
        self.cell = cell
        self.lookback = lookback
        self.horizon = horizon
        self.hidden_layers = hidden_layers
        self.dropout = dropout
        self.strategy = strategy
        self.target = target
        self.difference = difference
        self.log = log
        self.scaling = scaling
        self.level = level
        self.blend = blend
        self.season = season
        self.series_column = series_column
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

    # -- the series ---------------------------------------------------------------------------

    def _windowing(self) -> Windowing:
        """How the series is cut into windows, as fitted."""
        p = self.fitted_params_
        level = getattr(self, "level_", p["level"])
        lag = self.season_ if level == "season" and self.season_ <= self.lookback_ else 1
        return Windowing(int(self.lookback_), int(p["horizon"]), int(p["difference"]),
                         p["strategy"] == "direct", p["scaling"] == "window", lag,
                         float(getattr(self, "blend_", 1.0)))  # fmt: skip

    def _window(self) -> int:
        """Raw steps one forecast reads: the look-back, plus one per difference."""
        return self._windowing().steps_read

    def _values(self, X: Any, *, name: str, fitting: bool = False) -> np.ndarray:
        """The series as a checked float matrix, target first (:func:`series_matrix`)."""
        return series_matrix(self, X, name=name, fitting=fitting)

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        """The windows and their targets: views into one series tensor on the device."""
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        p = self.fitted_params_
        series, ids = as_series_list(X, p["series_column"], name="X")
        if fitting:
            if ids is not None and p["scaling"] == "series":
                raise ValueError("scaling='series' reads one series; a global model (a list of "
                                 "series, or series_column) needs scaling='window'")  # fmt: skip
            every = [self._values(series[0], name="X", fitting=True)]
            every += [self._values(x, name="X") for x in series[1:]]
            self._fit_ids = ids
            self._settle(every)
        else:
            every = [self._values(x, name="X") for x in series]
        plan, t = self._windowing(), self._transform
        parts = []
        for values in every:
            plan.check_length(len(values))
            scaled = torch.as_tensor(t.scale(t.apply(values))).to(self._device())  # one copy
            parts.append(plan.cut(scaled))
        if fitting:
            self._fit_values = every
        return parts[0] if len(parts) == 1 else by_distance_to_end(parts)

    def _settle(self, every: list[np.ndarray]) -> None:
        """The season, the look-back and the transform, from the training series."""
        p = self.fitted_params_
        self.season_ = default_season(p["season"], [v[:, 0] for v in every])
        if p["lookback"] is None:
            steps_out = int(p["horizon"]) if p["strategy"] == "direct" else 1
            self.lookback_ = default_lookback(self.season_, shortest=min(map(len, every)),
                                              steps_out=steps_out,
                                              difference=int(p["difference"]))  # fmt: skip
        else:
            self.lookback_ = int(p["lookback"])
        plan, values = self._windowing(), every[0]
        plan.check_length(len(values))
        rows = plan.training_rows(len(values), p["validation_fraction"])
        self._transform = SeriesTransform.fit(values, log=p["log"], difference=plan.difference,
                                              rows=rows, columns=self._columns,
                                              scale=p["scaling"] == "series")  # fmt: skip
        self.level_ = p["level"]
        if p["level"] == "auto":  # the training rows as the network reads them
            fraction = p["validation_fraction"]
            seen = [self._transform.apply(v)[: plan.training_rows(len(v), fraction), 0]
                    for v in every]  # fmt: skip
            fits = self.season_ <= self.lookback_ and season_beats_last(seen, self.season_)
            self.level_ = "season" if fits else "last"
        auto = p["blend"] == "auto" and p["scaling"] == "window"
        self.random_walk_ = auto and random_walks(every, self.season_)
        if self.random_walk_:
            self.level_ = "last"  # a random walk's season is noise: its base is the naive one

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        plan, F = self._windowing(), int(self.n_features_in_)
        outputs = plan.horizon if plan.direct else F
        sizes = [F, *as_widths(self.fitted_params_["hidden_layers"], "hidden_layers"), outputs]
        check_fits_in_memory(training_bytes(sizes, min(len(parts[0]), EVAL_ROWS), plan.lookback),
                             f"the network (layers {sizes}, look-back {plan.lookback})",
                             self._device())  # fmt: skip
        self.network_ = self._network(outputs, generator).to(self._device())
        self._objective = self._new_objective()

    def _new_objective(self) -> SequenceObjective:
        """The training objective: the loss in each window's own scale, or the series'."""
        scaled = self.fitted_params_["scaling"] == "window"
        return SequenceObjective(WindowScaled(self.network_) if scaled else self.network_,
                                 functional.mse_loss)  # fmt: skip

    def _network(self, outputs: int, generator: torch.Generator) -> SequenceNetwork:
        p = self.fitted_params_
        return SequenceNetwork(
            int(self.n_features_in_), as_widths(p["hidden_layers"], "hidden_layers"), outputs,
            p["cell"], dropout=float(p["dropout"]), generator=generator,
        )  # fmt: skip

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> RNNForecaster:
        """Train on the series ``X`` (``y`` is ignored)."""
        return super().fit(X, y, **fit_params)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> RNNForecaster:
        """One more epoch over the series ``X``, keeping the weights (the first call builds
        the network and fixes the scaling)."""
        if self._is_built():  # the series the intervals and the tail come from
            series, _ = as_series_list(X, self.fitted_params_["series_column"], name="X")
            self._fit_values = [self._values(x, name="X") for x in series]
        return super().partial_fit(X, y, **kwargs)  # type: ignore[no-any-return]

    def _after_fit(self) -> None:
        """Keep the series' tails and the errors the intervals come from (relative to the
        scale of the window each forecast read)."""
        every = self._fit_values
        del self._fit_values
        if self._fit_ids is None:
            self.series_ids_, self._several = ["0"], False
        else:
            self.series_ids_, self._several = list(self._fit_ids), True
        self._relative = True
        p, w = self.fitted_params_, self._window()
        blend = p.get("blend", 1.0)  # a model file from before the blend: 1
        self.blend_ = 0.0 if self.random_walk_ else 1.0 if blend == "auto" else float(blend)
        if blend == "auto" and p["scaling"] == "window" and not self.random_walk_:
            self.blend_ = chosen_blend(self._forecast, every, window=w, steps=int(p["horizon"]),
                                       fraction=float(p["validation_fraction"]),
                                       device=self._device())  # fmt: skip
        keep = max(TAIL // len(every), w)
        self._tails = [v[-keep:].copy() for v in every]
        chained = p["strategy"] == "recursive" or every[0].shape[1] == 1
        steps = error_steps(int(p["horizon"]), chained=chained,
                            n_steps=min(map(len, every)), window=w)  # fmt: skip
        self._residuals = relative_errors(self._forecast, every, window=w, steps=steps,
                                          fraction=p["validation_fraction"])  # fmt: skip
