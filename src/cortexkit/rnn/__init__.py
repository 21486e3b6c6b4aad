"""Recurrent networks for time series: the forecaster, and sequence regression and
classification (vanilla RNN, LSTM, GRU cells).

>>> from cortexkit.rnn import RNNClassifier, RNNForecaster, RNNRegressor
"""

from cortexkit.rnn.estimator import RNNClassifier, RNNRegressor
from cortexkit.rnn.forecaster import RNNForecaster

__all__ = ["RNNClassifier", "RNNForecaster", "RNNRegressor"]
