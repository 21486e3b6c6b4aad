"""``cortexkit demo``: every family on data that ships with the installed dependencies.

Each family contributes a function to :data:`FAMILIES` that trains its models and returns
:class:`DemoResult` rows; the demo prints one table (data set, task, model, metric, the
trivial baseline's metric, time) and writes an HTML report with a loss curve per model.
Later families add their function to the list.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import accuracy_score, root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from cortexkit.neuron.perceptron import Perceptron
from cortexkit.report import Report
from cortexkit.supervised.ann import ANNClassifier, ANNRegressor

__all__ = ["FAMILIES", "DemoResult", "run_demo"]


@dataclass
class DemoResult:
    """One trained model on one data set."""

    dataset: str
    task: str
    model: str
    metric: str
    score: float
    baseline: float
    seconds: float
    history: dict[str, Any] = field(default_factory=dict, repr=False)
    curve: str = "loss"  # which history key to plot

    def row(self) -> list[str]:
        return [
            self.dataset,
            self.task,
            self.model,
            self.metric,
            f"{self.score:.4f}",
            f"{self.baseline:.4f}",
            f"{self.seconds:.2f}",
        ]


HEADER = ["data set", "task", "model", "metric", "score", "baseline", "seconds"]


def _split(X: np.ndarray, y: np.ndarray, stratify: bool) -> tuple[np.ndarray, ...]:
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if stratify else None
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def _timed(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[Any, float]:
    t0 = time.perf_counter()
    est.fit(X, y)
    return est, time.perf_counter() - t0


def perceptron_and_ann(quick: bool) -> list[DemoResult]:
    """The perceptron and the ANN on a continuous, a binary and a categorical target."""
    epochs = 30 if quick else 150
    results = []
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = _split(X, y, stratify=False)
    baseline = root_mean_squared_error(y_te, DummyRegressor().fit(X_tr, y_tr).predict(X_te))
    reg = ANNRegressor(
        (32,),
        epochs=epochs,
        weight_decay=1e-3,
        early_stopping=True,
        validation_fraction=0.15,
        random_state=0,
    )
    reg, secs = _timed(reg, X_tr, y_tr)
    rmse = root_mean_squared_error(y_te, reg.predict(X_te))
    metric = "RMSE (lower is better)"
    results.append(
        DemoResult("diabetes", "continuous", "ANNRegressor", metric, rmse, baseline, secs,
                   reg.history_)
    )  # fmt: skip
    for name, loader, task in [
        ("breast cancer", load_breast_cancer, "binary"),
        ("digits", load_digits, "categorical (10)"),
    ]:
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = _split(X, y, stratify=True)
        baseline = accuracy_score(y_te, DummyClassifier().fit(X_tr, y_tr).predict(X_te))
        models = [
            (Perceptron(epochs=epochs, random_state=0), "errors"),
            (ANNClassifier((64, 32), epochs=max(epochs // 3, 10), random_state=0), "loss"),
        ]
        for est, curve in models:
            est, secs = _timed(est, X_tr, y_tr)
            score = accuracy_score(y_te, est.predict(X_te))
            results.append(
                DemoResult(name, task, type(est).__name__, "accuracy", score, baseline, secs,
                           est.history_, curve=curve)
            )  # fmt: skip
    return results


FAMILIES: list[Callable[[bool], list[DemoResult]]] = [perceptron_and_ann]


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain fixed-width text table."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(out)


def run_demo(
    out_dir: str | os.PathLike[str] = "demo-output",
    *,
    quick: bool = False,
    file: TextIO | None = None,
) -> list[DemoResult]:
    """Run every family's demo, print the table and write ``out_dir/report.html``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from cortexkit.plot import history_png

    stream = sys.stdout if file is None else file
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: list[DemoResult] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the perceptron on overlapping classes
        for family in FAMILIES:
            results.extend(family(quick))
    rows = [r.row() for r in results]
    print(format_table(HEADER, rows), file=stream)
    report = Report("cortexkit demo")
    report.paragraph(
        "Each model is trained on 75% of a data set bundled with scikit-learn and scored on "
        "the other 25%. The baseline is a trivial predictor (majority class, or the mean). "
        "The perceptron is a classifier (a threshold unit outputs 0 or 1), so it has no "
        "continuous row; its curve counts the mistakes per epoch."
    )
    report.table(HEADER, rows)
    report.heading("Training curves")
    for r in results:
        report.figure(
            history_png(r.history, f"{r.model} on {r.dataset}", key=r.curve),
            f"{r.model} on {r.dataset}: {r.curve} per epoch",
        )
    path = out / "report.html"
    report.write(path)
    print(f"\nreport: {path}", file=stream)
    return results
