"""The perceptron and the ANN on a continuous, a binary and a categorical target."""

from __future__ import annotations

import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, root_mean_squared_error

from cortexkit.ann.estimator import ANNClassifier, ANNRegressor
from cortexkit.ann.perceptron import Perceptron
from cortexkit.demo.common import DemoResult, split_scaled, timed

__all__ = ["FAMILIES", "perceptron_and_ann"]


def perceptron_and_ann(quick: bool) -> list[DemoResult]:
    """Diabetes (regression), breast cancer (binary) and digits (ten classes)."""
    epochs = 30 if quick else 150
    results = []
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = split_scaled(X, y, stratify=False)
    baseline = root_mean_squared_error(y_te, DummyRegressor().fit(X_tr, y_tr).predict(X_te))
    reg = ANNRegressor(
        (32,),
        epochs=epochs,
        weight_decay=1e-3,
        early_stopping=True,
        validation_fraction=0.15,
        random_state=0,
    )
    reg, secs = timed(reg, X_tr, y_tr)
    rmse = root_mean_squared_error(y_te, reg.predict(X_te))
    metric = "RMSE (lower is better)"
    results.append(
        DemoResult("diabetes", "continuous", "ANNRegressor", metric, rmse, baseline, secs,
                   reg.history_, estimator=reg, context={"X": X_te, "y": y_te})
    )  # fmt: skip
    for name, loader, task in [
        ("breast cancer", load_breast_cancer, "binary"),
        ("digits", load_digits, "categorical (10)"),
    ]:
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = split_scaled(X, y, stratify=True)
        baseline = accuracy_score(y_te, DummyClassifier().fit(X_tr, y_tr).predict(X_te))
        models = [
            (Perceptron(epochs=epochs, random_state=0), "errors"),
            (ANNClassifier((64, 32), epochs=max(epochs // 3, 10), random_state=0), "loss"),
        ]
        for est, curve in models:
            with warnings.catch_warnings():
                # the perceptron on classes no line separates: expected, and said in the report
                warnings.simplefilter("ignore", ConvergenceWarning)
                est, secs = timed(est, X_tr, y_tr)
            score = accuracy_score(y_te, est.predict(X_te))
            results.append(
                DemoResult(name, task, type(est).__name__, "accuracy", score, baseline, secs,
                           est.history_, curve=curve, estimator=est,
                           context={"X": X_te, "y": y_te})
            )  # fmt: skip
    return results


FAMILIES = [perceptron_and_ann]
