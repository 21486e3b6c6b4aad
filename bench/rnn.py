"""RNNForecaster against a plain PyTorch LSTM loop, Keras 3 and statsmodels.

Speed (Google stock, the course's set-up): 4 stacked LSTM layers of 50 units, dropout 0.2
after each, a look-back of 60 days, batches of 32, Adam at 1e-3, the 1,198 training windows
of the Open price, ``--epochs`` epochs (no early stopping, no validation), at one thread and
at two, contenders interleaved, ``--repeats`` times; the median seconds per epoch is kept,
and the 20-day test RMSE (one day ahead, from the actual prices before it, as the course
does) of the last repeat's model:

- ``cortexkit``: ``RNNForecaster(hidden_layers=(50, 50, 50, 50), dropout=0.2, lookback=60)``;
- ``torch-dataloader``: ``nn.LSTM(1, 50, num_layers=4, dropout=0.2)`` + dropout + linear,
  autograd and Adam over ``DataLoader(TensorDataset(windows, targets), shuffle=True)``;
- ``keras``: Keras 3 on its torch backend, the course's ``Sequential`` (``LSTM(50,
  return_sequences=True)`` + ``Dropout(0.2)``, four times, then ``Dense(1)``).

Accuracy (airline passengers, last 24 months held out; yearly sunspots, last 22 years held
out): LSTM and GRU forecasters (median of 3 seeds) against statsmodels' Holt-Winters
(``ExponentialSmoothing``) and ARIMA (order chosen by AIC on a small grid), by MASE (scaled
by the in-sample seasonal-naive MAE) and RMSE, beside the naive and seasonal-naive forecasts.

Usage: ``KERAS_BACKEND=torch python bench/rnn.py [--epochs 5] [--repeats 3]
[--only speed|accuracy]``. Needs ``../shared/data`` (google-stock-price, timeseries).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from cortexkit import RNNForecaster
from cortexkit.data import read_series
from cortexkit.rnn.metrics import baselines, scores

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
LOOKBACK, LAYERS, UNITS, DROPOUT, BATCH = 60, 4, 50, 0.2, 32


# -- speed ------------------------------------------------------------------------------------


def google() -> tuple[np.ndarray, np.ndarray]:
    folder = DATA / "google-stock-price"
    train = read_series(folder / "Google_Stock_Price_Train.csv", "Open", date_column="Date")
    test = read_series(folder / "Google_Stock_Price_Test.csv", "Open", date_column="Date")
    return train["Open"].to_numpy(), test["Open"].to_numpy()


def windows(series: np.ndarray, mean: float, std: float) -> tuple[np.ndarray, np.ndarray]:
    z = ((series - mean) / std).astype(np.float32)
    X = np.lib.stride_tricks.sliding_window_view(z[:-1], LOOKBACK)[:, :, None]
    return np.ascontiguousarray(X), z[LOOKBACK:, None]


def rolling_rmse(predict: Any, train: np.ndarray, test: np.ndarray) -> float:
    """RMSE of one-day-ahead forecasts of ``test`` from the actual prices before each day."""
    mean, std = train.mean(), train.std()
    whole = np.r_[train, test]
    X = np.lib.stride_tricks.sliding_window_view(((whole - mean) / std).astype(np.float32),
                                                 LOOKBACK)[len(train) - LOOKBACK : -1]  # fmt: skip
    pred = predict(np.ascontiguousarray(X[:, :, None])) * std + mean
    return float(np.sqrt(np.mean((pred.ravel() - test) ** 2)))


class TorchLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, UNITS, num_layers=LAYERS, dropout=DROPOUT, batch_first=True)
        self.drop = nn.Dropout(DROPOUT)
        self.head = nn.Linear(UNITS, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))  # type: ignore[no-any-return]


def run_cortexkit(train: np.ndarray, test: np.ndarray, epochs: int) -> tuple[float, float]:
    model = RNNForecaster(lookback=LOOKBACK, hidden_layers=(UNITS,) * LAYERS,
                          dropout=DROPOUT, batch_size=BATCH, epochs=epochs,
                          early_stopping=False, validation_fraction=0.0, random_state=0,
                          device="cpu").fit(train)  # fmt: skip
    per_epoch = statistics.median(model.history_["time"])
    return per_epoch, model.evaluate(test, train, rolling=True)["model"]["rmse"]


def run_torch(train: np.ndarray, test: np.ndarray, epochs: int) -> tuple[float, float]:
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    X, y = windows(train, train.mean(), train.std())
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                        batch_size=BATCH, shuffle=True)  # fmt: skip
    net = TorchLSTM()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        net.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(net(xb), yb)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    net.eval()
    with torch.no_grad():
        rmse = rolling_rmse(lambda x: net(torch.from_numpy(x)).numpy(), train, test)
    return statistics.median(times), rmse


def run_keras(train: np.ndarray, test: np.ndarray, epochs: int) -> tuple[float, float]:
    import keras

    keras.utils.set_random_seed(0)
    X, y = windows(train, train.mean(), train.std())
    model = keras.Sequential([keras.Input((LOOKBACK, 1))])
    for i in range(LAYERS):
        model.add(keras.layers.LSTM(UNITS, return_sequences=i < LAYERS - 1))
        model.add(keras.layers.Dropout(DROPOUT))
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            times.append(time.perf_counter() - self.t0)

    model.fit(X, y, epochs=epochs, batch_size=BATCH, verbose=0, callbacks=[Timer()])
    rmse = rolling_rmse(lambda x: np.asarray(model.predict(x, verbose=0)), train, test)
    return statistics.median(times), rmse


def speed(epochs: int, repeats: int) -> str:
    train, test = google()
    naive = float(np.sqrt(np.mean((test - np.r_[train[-1], test[:-1]]) ** 2)))
    runners = {"cortexkit": run_cortexkit, "torch-dataloader": run_torch, "keras": run_keras}
    rows = []
    for threads in (1, 2):
        seconds: dict[str, list[float]] = {name: [] for name in runners}
        rmse: dict[str, float] = {}
        with threadpool_limits(threads):
            torch.set_num_threads(threads)
            for _, (name, run) in itertools.product(range(repeats), runners.items()):
                per_epoch, rmse[name] = run(train, test, epochs)
                seconds[name].append(per_epoch)
                print(f"  {threads} thread(s), {name}: {per_epoch:.3f} s/epoch, "
                      f"RMSE {rmse[name]:.2f}", file=sys.stderr, flush=True)  # fmt: skip
        ours = statistics.median(seconds["cortexkit"])
        for name in runners:
            med = statistics.median(seconds[name])
            rows.append(f"| {threads} | {name} | {med:.3f} | {med / ours:.2f} | "
                        f"{rmse[name]:.2f} | {naive:.2f} |")  # fmt: skip
    head = ("| threads | contender | s / epoch (median) | x cortexkit's time | test RMSE "
            "(20 days, 1 ahead) | naive RMSE |\n|---|---|---|---|---|---|")  # fmt: skip
    return head + "\n" + "\n".join(rows)


# -- accuracy ---------------------------------------------------------------------------------


def series(name: str) -> tuple[np.ndarray, int, int]:
    """The values, the held-out steps and the season."""
    folder = DATA / "timeseries"
    if name == "airline":
        y = pd.read_csv(folder / "airpassengers.csv")["airpassengers"].to_numpy(float)
        return y, 24, 12
    y = pd.read_csv(folder / "sunspots_yearly.csv")["SUNACTIVITY"].to_numpy(float)
    return y, 22, 11


RNN_SETTINGS = {
    "airline": {"log": True, "difference": 1, "lookback": 24, "strategy": "direct",
                "horizon": 24},
    "sunspots": {"lookback": 30, "strategy": "recursive"},
}  # fmt: skip


def rnn_forecast(name: str, cell: str, train: np.ndarray, h: int, seed: int) -> np.ndarray:
    model = RNNForecaster(cell, hidden_layers=32, epochs=300, learning_rate=0.005, patience=40,
                          random_state=seed, device="cpu", **RNN_SETTINGS[name])  # fmt: skip
    return model.fit(train).predict(horizon=h)


def ets_forecast(name: str, train: np.ndarray, h: int, season: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if name == "airline":
        model = ExponentialSmoothing(train, trend="add", seasonal="mul", seasonal_periods=season)
    else:
        model = ExponentialSmoothing(train, trend="add", damped_trend=True, seasonal="add",
                                     seasonal_periods=season)  # fmt: skip
    return np.asarray(model.fit().forecast(h))


def arima_forecast(name: str, train: np.ndarray, h: int, season: int) -> tuple[np.ndarray, str]:
    from statsmodels.tsa.arima.model import ARIMA

    if name == "airline":  # the airline model: log, (p,1,q)(0,1,1)12, (p, q) by AIC
        best = min(
            ((ARIMA(np.log(train), order=(p, 1, q), seasonal_order=(0, 1, 1, season)).fit(), p, q)
             for p, q in itertools.product(range(3), range(3))),
            key=lambda fit: fit[0].aic,
        )  # fmt: skip
        return np.exp(best[0].forecast(h)), f"({best[1]},1,{best[2]})(0,1,1)12 on log"
    best = min(
        ((ARIMA(train, order=(p, 0, q), trend="c").fit(), p, q)
         for p, q in itertools.product(range(1, 10, 2), range(3))),
        key=lambda fit: fit[0].aic,
    )  # fmt: skip
    return np.asarray(best[0].forecast(h)), f"({best[1]},0,{best[2]})"


def accuracy() -> str:
    rows = []
    for name in ("airline", "sunspots"):
        y, h, season = series(name)
        train, test = y[:-h], y[-h:]
        found: dict[str, tuple[np.ndarray, str]] = {}
        for cell in ("lstm", "gru"):
            runs = [rnn_forecast(name, cell, train, h, seed) for seed in range(3)]
            mase = [scores(test, f, train, season)["mase"] for f in runs]
            found[f"{cell.upper()} (cortexkit)"] = (runs[int(np.argsort(mase)[1])],
                                                   f"median of 3 seeds; MASE {min(mase):.3f}-"
                                                   f"{max(mase):.3f}")  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' convergence chatter
            found["Holt-Winters ETS (statsmodels)"] = (ets_forecast(name, train, h, season), "")
            found["ARIMA (statsmodels)"] = arima_forecast(name, train, h, season)
        for base, values in baselines(train, h, season).items():
            found[base.replace("_", "-")] = (values, "")
        classical = min(scores(test, found[k][0], train, season)["mase"]
                        for k in found if "statsmodels" in k)  # fmt: skip
        for model, (forecast, note) in found.items():
            s = scores(test, forecast, train, season)
            rows.append(f"| {name} | {model} | {s['mase']:.3f} | {s['mase'] / classical:.2f} | "
                        f"{s['rmse']:.2f} | {note} |")  # fmt: skip
    head = (
        "| series | model | MASE | x best classical MASE | RMSE | note |\n|---|---|---|---|---|---|"
    )
    return head + "\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["speed", "accuracy"])
    args = parser.parse_args()
    torch.set_flush_denormal(True)
    if args.only != "accuracy":
        print(f"Speed: Google stock, {args.epochs} epochs, {args.repeats} repeats\n")
        print(speed(args.epochs, args.repeats))
    if args.only != "speed":
        with threadpool_limits(1):
            torch.set_num_threads(1)
            print("\nAccuracy (1 thread)\n")
            print(accuracy())


if __name__ == "__main__":
    main()
