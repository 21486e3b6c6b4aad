"""The RNN forecaster on a real series that ships with matplotlib: the EEG recording of its
``mri_with_eeg`` example (``matplotlib.cbook.get_sample_data("eeg.dat")``, 800 samples of 4
channels; channel 2 here). The last 100 samples are held out and forecast one step at a time
from the samples before, beside the naive forecast (the previous sample). The report shows
the held-out stretch, the one-step forecasts, and a 20-step forecast with its 90% interval.

matplotlib's other sample series, Google's daily prices of 2004-2008 (``goog.npz``), is a
random walk that no model beats the naive forecast on: ``bench/README.md`` shows that
honestly on the course's Google data; a demo row must beat its baseline.
"""

from __future__ import annotations

import time

import numpy as np

from cortexkit.demo.common import DemoResult
from cortexkit.rnn.forecaster import RNNForecaster

__all__ = ["FAMILIES", "eeg_channel", "rnn_forecast"]

HELD_OUT = 100


def eeg_channel(channel: int = 1) -> np.ndarray:
    """One channel of matplotlib's ``eeg.dat`` (800 float64 samples by 4 channels)."""
    from pathlib import Path

    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "eeg.dat"
    data = np.fromfile(path, dtype=np.float64).reshape(800, 4)
    return data[:, channel].copy()


def rnn_forecast(quick: bool) -> list[DemoResult]:
    """An LSTM on the EEG channel; RMSE of one-step forecasts of the last 100 samples."""
    series = eeg_channel()
    train, test = series[:-HELD_OUT], series[-HELD_OUT:]
    model = RNNForecaster(lookback=30, hidden_layers=16 if quick else 50,
                          epochs=10 if quick else 100, learning_rate=0.005,
                          random_state=0)  # fmt: skip
    t0 = time.perf_counter()
    model.fit(train)
    secs = time.perf_counter() - t0
    table = model.evaluate(test, rolling=True)
    # the report draws the last 80 training samples, the first 20 held-out ones (dashed)
    # and the model's 20-step forecast made before them, with its 90% interval
    return [
        DemoResult("EEG (matplotlib sample)", "forecast, 1 step ahead", "RNNForecaster",
                   "RMSE (lower is better)", table["model"]["rmse"], table["naive"]["rmse"],
                   secs, model.history_, estimator=model,
                   context={"series": train, "actual": test[:20]})
    ]  # fmt: skip


FAMILIES = [rnn_forecast]
