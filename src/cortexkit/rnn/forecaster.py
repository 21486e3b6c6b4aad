"""Forecasting a time series with a recurrent network.

The series (target first, exogenous columns after) is optionally logged and differenced,
standardised with the mean and spread of its training part only, and cut into windows of
``lookback`` steps. The windows are views into the one series tensor (``Tensor.unfold``):
a batch gathers its rows, the set of windows is never copied, so a long series costs its
own size and no more.

Two strategies make a multi-step forecast:

- ``"recursive"``: the network predicts the next step of every column; each prediction is
  fed back as the newest step of the window, as often as the horizon asks.
- ``"direct"``: the network predicts the next ``horizon`` values of the target at once
  (multi-output). A longer forecast of a univariate series chains such blocks.

Prediction intervals come from bootstrapped residuals: at the end of ``fit`` the model
forecasts ``max(horizon, 24)`` steps (``horizon`` when the series is too short, or for a
direct forecast with exogenous columns) from the last origins of its series (its validation
part, at least 30 origins), and the empirical quantiles of those errors, step by step, widen
a new forecast into an interval. Beyond those steps the last step's spread grows as the
square root of the steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils.validation import check_is_fitted
from torch import Tensor
from torch.nn import functional

from cortexkit._validation import CALLABLE, Interval, Options
from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator, check_fits_in_memory
from cortexkit.data.series import series_values
from cortexkit.defaults import RNN
from cortexkit.rnn.metrics import forecast_table, infer_season, scores
from cortexkit.rnn.network import CELLS, SequenceNetwork, SequenceObjective

__all__ = ["RNNForecaster"]

TAIL = 10_000  # training rows a fitted model keeps: the history it continues, and MASE's
MIN_ORIGINS = 30  # forecasts whose errors make the intervals
MAX_HORIZON = 100_000  # steps one forecast may run: each is one pass of the network
ERROR_STEPS = 24  # steps ahead those errors are measured, at least (when the series allows)


class RNNForecaster(GradientEstimator):
    """A recurrent network (LSTM, GRU or vanilla RNN) that forecasts a time series.

    ``fit(X)`` takes the series: a 1-d array or pandas Series, or a 2-d array or
    DataFrame whose ``target`` column is forecast and whose other columns are exogenous
    inputs. ``predict(horizon=H)`` forecasts the ``H`` steps after the training data;
    ``predict(series, horizon=H)`` those after another history;
    :meth:`predict_interval` adds bounds, and :meth:`evaluate` scores a forecast against
    what happened, beside the naive and seasonal-naive forecasts.

    The defaults are those of :data:`cortexkit.defaults.RNN`, shared with
    ``cortexkit train rnn``.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"} or callable, default="lstm"
        The recurrent unit (see :data:`cortexkit.rnn.network.CELLS`), or a
        factory ``f(input_size, hidden_size, num_layers=, dropout=, batch_first=True)``.
    lookback : int, default=12
        Steps of history the network reads for each forecast.
    horizon : int, default=1
        Steps the network is trained to forecast (``"direct"``: its outputs), and the
        default length of :meth:`predict`.
    hidden_size : int, default=50
        Units per recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers.
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
    season : int or None, default=None
        The season length for :meth:`evaluate`'s seasonal-naive forecast and MASE;
        ``None`` infers it from the training series (``season_``).
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
        L2 penalty on every weight.
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
        The season length :meth:`evaluate` uses (``season``, or inferred; 1: none).
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
    >>> model = RNNForecaster(lookback=30, horizon=10, strategy="direct", hidden_size=16,
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
        **GRADIENT_CONSTRAINTS,
        "cell": [Options(CELLS), CALLABLE],
        "lookback": [Interval(int, 1, None)],
        "horizon": [Interval(int, 1, None)],
        "hidden_size": [Interval(int, 1, None)],
        "num_layers": [Interval(int, 1, None)],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "strategy": [Options(["recursive", "direct"])],
        "target": [str, Interval(int, 0, None), None],
        "difference": [Interval(int, 0, 1)],
        "log": [bool],
        "season": [Interval(int, 1, None), None],
        "validation_split": [Options(["last"])],
    }

    def __init__(
        self,
        cell: Any = RNN.cell,
        *,
        lookback: int = RNN.lookback,
        horizon: int = RNN.horizon,
        hidden_size: int = RNN.hidden_size,
        num_layers: int = RNN.num_layers,
        dropout: float = RNN.dropout,
        strategy: str = RNN.strategy,
        target: str | int | None = None,
        difference: int = 0,
        log: bool = False,
        season: int | None = None,
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
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.strategy = strategy
        self.target = target
        self.difference = difference
        self.log = log
        self.season = season
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

    def _window(self) -> int:
        """Raw steps one forecast reads: the look-back, plus one per difference."""
        return int(self.lookback) + int(self.difference)

    def _steps_out(self) -> int:
        """Steps each training window's target covers."""
        return int(self.horizon) if self.strategy == "direct" else 1

    def _values(self, X: Any, *, name: str, fitting: bool) -> np.ndarray:
        """The series as a checked float matrix, target first."""
        values, names = series_values(X, self.target, name=name)
        if fitting:
            self.n_features_in_ = values.shape[1]
            if hasattr(X, "columns"):
                self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            else:
                self.__dict__.pop("feature_names_in_", None)
            self._columns = names
        elif values.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} has {values.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the target and its exogenous columns)"
            )
        elif hasattr(X, "columns") and hasattr(self, "feature_names_in_"):
            if names != self._columns:
                raise ValueError(f"{name} has the columns {names}; the model was fitted on "
                                 f"{self._columns}")  # fmt: skip
        big = float(np.abs(values).max(initial=0.0))
        if big > np.finfo(np.float32).max:
            raise ValueError(f"{name} holds values beyond float32's range (up to {big:.3g}), "
                             "which the network and its model file cannot hold; rescale the "
                             "series")  # fmt: skip
        if self.log and (values <= 0).any():
            raise ValueError(f"log=True needs a positive series; {name} holds "
                             f"{values.min():.6g}")  # fmt: skip
        return values

    def _transform(self, values: np.ndarray) -> np.ndarray:
        """Log (when asked) and difference along the time axis (the second to last)."""
        z = np.log(values) if self.log else values
        return np.diff(z, axis=-2) if self.difference else z

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        """The windows and their targets: views into one series tensor on the device."""
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        values = self._values(X, name="X", fitting=fitting)
        need = int(self.lookback) + int(self.horizon) + int(self.difference)
        if len(values) < need:
            raise ValueError(
                f"the series has {len(values)} steps (n_samples = {len(values)}); lookback="
                f"{self.lookback} + "
                f"horizon={self.horizon}"
                + (f" + difference={self.difference}" if self.difference else "")
                + f" need at least {need}"
            )
        z = self._transform(values)
        L, h = int(self.lookback), self._steps_out()
        n = len(z) - L - h + 1
        if fitting:
            n_val = round(self.validation_fraction * n) if self.validation_fraction else 0
            n_train = n - n_val if 1 <= n_val < n else n
            rows = n_train + L + h - 1  # the transformed rows the training windows cover
            raw = values[: rows + int(self.difference)]
            spread = raw.std(axis=0)
            if (spread == 0).any():
                j = int(np.argmax(spread == 0))
                raise ValueError(
                    f"the series' column {self._columns[j]!r} is constant ({raw[0, j]:.6g} at "
                    "every step of the training part): its scaling would divide by zero"
                )
            std = z[:rows].std(axis=0)
            self._mean = z[:rows].mean(axis=0)
            self._std = np.where(std > 0, std, 1.0)  # a straight line's differences
            self._fit_values = values
        scaled = torch.as_tensor(((z - self._mean) / self._std).astype(np.float32))
        scaled = scaled.to(self._device())  # (steps, columns): the only copy
        windows = scaled.unfold(0, L, 1)[:n].transpose(1, 2)  # (n, lookback, columns), a view
        if self.strategy == "direct":
            targets = scaled[L:, 0].unfold(0, h, 1)[:n]  # (n, horizon), a view
        else:
            targets = scaled[L : L + n]  # (n, columns): the next step
        return windows, targets

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        F = int(self.n_features_in_)
        outputs = int(self.horizon) if self.strategy == "direct" else F
        H, layers = int(self.hidden_size), int(self.num_layers)
        n_weights = 4 * layers * (H * (F + H) + 2 * H) + H * outputs
        rows = min(len(parts[0]), 4096)
        check_fits_in_memory(
            16 * n_weights + 4 * 8 * rows * int(self.lookback) * H * layers,
            f"the network ({layers} x {H} units, look-back {self.lookback})",
            self._device(),
        )
        net = SequenceNetwork(F, H, outputs, self.cell, n_layers=layers,
                              dropout=float(self.dropout), generator=generator)  # fmt: skip
        self.network_ = net.to(self._device())
        self._objective = SequenceObjective(self.network_, functional.mse_loss)

    def _is_built(self) -> bool:
        return hasattr(self, "network_")

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> RNNForecaster:
        """Train on the series ``X`` (``y`` is ignored)."""
        super().fit(X, y, **fit_params)
        self._keep_series()
        return self

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> RNNForecaster:
        """One more epoch over the series ``X``, keeping the weights (the first call builds
        the network and fixes the scaling)."""
        first = not self._is_built()
        super().partial_fit(X, y, **kwargs)
        if not first:
            self._fit_values = self._values(X, name="X", fitting=False)
        self._keep_series()
        return self

    def _keep_series(self) -> None:
        """Keep the series' tail, the season, and the errors the intervals come from."""
        values = self._fit_values
        del self._fit_values
        self.loss_curve_ = list(self.history_["loss"])
        self._tail = values[-max(TAIL, self._window()) :].copy()
        self.season_ = int(self.season) if self.season else infer_season(values[:, 0])
        steps = int(self.horizon)
        chained = self.strategy == "recursive" or values.shape[1] == 1
        if chained and len(values) - self._window() - ERROR_STEPS + 1 >= MIN_ORIGINS:
            steps = max(steps, ERROR_STEPS)  # intervals measured, not extrapolated, this far
        self._residuals = self._origin_errors(values, steps)

    def _origin_errors(self, values: np.ndarray, steps: int) -> np.ndarray:
        """Errors (actual - forecast) of ``steps``-step forecasts from the last origins,
        shape (origins, steps)."""
        W = self._window()
        count = len(values) - W - steps + 1
        if count < 1:
            return np.zeros((0, steps))
        take = min(count, max(MIN_ORIGINS, round(self.validation_fraction * count)))
        first = count - take
        windows = sliding_window_view(values, W, axis=0)[first:count].transpose(0, 2, 1)
        actual = sliding_window_view(values[W:, 0], steps)[first:count]
        return actual - self._forecast(windows, steps)

    # -- forecasting --------------------------------------------------------------------------

    @torch.no_grad()
    def _forecast(self, raw: np.ndarray, steps: int) -> np.ndarray:
        """Forecasts of ``steps`` target values after each raw window ``(batch, >= window,
        columns)``, in the series' units, shape ``(batch, steps)``."""
        L = int(self.lookback)
        level = (np.log(raw) if self.log else raw)[:, -1, 0]
        z = self._transform(raw)[:, -L:]
        s = torch.as_tensor(((z - self._mean) / self._std).astype(np.float32),
                            device=self._device())  # fmt: skip
        net = self.network_
        net.eval()
        out: list[Tensor] = []
        done = 0
        while done < steps:
            pred = net(s)  # (batch, outputs)
            if self.strategy == "recursive":
                out.append(pred[:, :1])
                s = torch.cat([s[:, 1:], pred[:, None, :]], dim=1)
                done += 1
            else:
                out.append(pred)
                done += pred.shape[1]
                if done < steps:
                    if s.shape[2] != 1:
                        raise ValueError(
                            f"a direct forecast with exogenous columns reaches horizon="
                            f"{self.horizon} steps at most; asked for {steps} (fit with a "
                            "longer horizon, or strategy='recursive')"
                        )
                    s = torch.cat([s, pred[:, :, None]], dim=1)[:, -L:]
        t = torch.cat(out, dim=1)[:, :steps].double().cpu().numpy()
        t = t * self._std[0] + self._mean[0]
        if self.difference:
            t = level[:, None] + np.cumsum(t, axis=1)
        return np.exp(t) if self.log else t

    def _history(self, history: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        if history is None:
            return np.asarray(self._tail)
        if isinstance(history, int | np.integer) and not isinstance(history, bool):
            raise TypeError(f"pass the horizon by keyword: predict(horizon={int(history)})")
        values = self._values(history, name="history", fitting=False)
        if len(values) < self._window():
            raise ValueError(
                f"history has {len(values)} steps; the model reads {self._window()} "
                f"(lookback={self.lookback}" + (" + 1 difference)" if self.difference else ")")
            )
        return values

    def _steps(self, horizon: Any) -> int:
        h = self.horizon if horizon is None else horizon
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or not 1 <= h <= MAX_HORIZON:
            raise ValueError(f"horizon must be an int in [1, {MAX_HORIZON}]; got {h!r}")
        return int(h)

    def predict(self, history: Any = None, *, horizon: int | None = None) -> np.ndarray:
        """The ``horizon`` (default: the fitted ``horizon``) values after ``history``
        (default: the training series), shape ``(horizon,)``."""
        steps = self._steps(horizon)
        values = self._history(history)
        return self._forecast(values[None, -self._window() :], steps)[0]

    def predict_interval(
        self, history: Any = None, *, horizon: int | None = None, coverage: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds that hold the next ``horizon`` values with probability
        ``coverage`` (from the fit's bootstrapped forecast errors), each ``(horizon,)``.

        The bounds are the forecast plus the errors' quantiles, so a model whose errors lean
        one way gets an interval shifted that way: it need not contain the forecast."""
        if (
            isinstance(coverage, bool)
            or not isinstance(coverage, float | int)
            or not (0 < coverage < 1)
        ):
            raise ValueError(f"coverage must be a float in (0, 1); got {coverage!r}")
        point = self.predict(history, horizon=horizon)
        res = np.asarray(self._residuals)
        if len(res) < 2:
            raise ValueError("the training series left too few forecasts to estimate errors")
        q = np.quantile(res, [(1 - coverage) / 2, (1 + coverage) / 2], axis=0)  # (2, steps)
        k = np.arange(len(point))
        known = np.minimum(k, res.shape[1] - 1)
        grow = np.sqrt(np.maximum(k + 1, res.shape[1]) / res.shape[1])
        return point + q[0, known] * grow, point + q[1, known] * grow

    def evaluate(
        self,
        actual: Any,
        history: Any = None,
        *,
        season: int | None = None,
        rolling: bool = False,
    ) -> dict[str, dict[str, float]]:
        """RMSE, MAE, MAPE and MASE of the forecast of ``actual`` (the steps after
        ``history``, default: after the training series), beside the naive and
        seasonal-naive forecasts (``season``, default ``season_``).

        ``rolling=False`` forecasts every step of ``actual`` at once from the history's
        end. ``rolling=True`` forecasts one step at a time, each from the actual values
        before it (a one-step-ahead test), and the baselines then repeat the previous
        value and the value a season earlier.
        """
        past = self._history(history)
        future = self._values(actual, name="actual", fitting=False)
        m = int(season) if season else self.season_
        if not rolling:
            return forecast_table(future[:, 0], self.predict(past, horizon=len(future)),
                                  past[:, 0], m)  # fmt: skip
        whole = np.concatenate([past, future])
        W, start = self._window(), len(past)
        windows = sliding_window_view(whole, W, axis=0)[start - W : len(whole) - W]
        forecast = self._forecast(windows.transpose(0, 2, 1), 1)[:, 0]
        target = whole[:, 0]
        lag = m if start >= m else 1
        table = {"model": scores(future[:, 0], forecast, past[:, 0], m)}
        table["naive"] = scores(future[:, 0], target[start - 1 : -1], past[:, 0], m)
        table["seasonal_naive"] = scores(
            future[:, 0], target[start - lag : len(target) - lag], past[:, 0], m
        )
        return table

    # -- model files --------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        check_is_fitted(self, "network_")
        meta = {
            **self._common_state(),
            "sizes": list(self.network_.sizes),
            "mean": self._mean.tolist(),
            "std": self._std.tolist(),
            "season_": self.season_,
            "columns": self._columns,
        }
        tensors = {f"net.{k}": v.detach().cpu() for k, v in self.network_.state_dict().items()}
        tensors["tail"] = torch.from_numpy(np.array(self._tail, dtype=np.float64, order="C"))
        tensors["residuals"] = torch.from_numpy(np.array(self._residuals, order="C"))
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        n_in, hidden, n_out, layers = (int(v) for v in meta["sizes"])
        net = SequenceNetwork(n_in, hidden, n_out, self.cell, n_layers=layers,
                              dropout=float(self.dropout), generator=torch.Generator())  # fmt: skip
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        self.network_ = net.to(self._device())
        self._set_common_state(meta)
        self.loss_curve_ = list(self.history_.get("loss", []))
        self._mean, self._std = np.asarray(meta["mean"]), np.asarray(meta["std"])
        self.season_ = int(meta["season_"])
        self._columns = list(meta["columns"])
        self._tail = tensors["tail"].double().numpy()
        self._residuals = tensors["residuals"].double().numpy()
        self._objective = SequenceObjective(self.network_, functional.mse_loss)
