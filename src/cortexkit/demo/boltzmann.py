"""Boltzmann machines on scikit-learn's 8x8 digits: what an RBM's hidden units look for
(its filters), what it dreams (Gibbs samples), and whether RBM, DBN and DBM features beat
the raw pixels under logistic regression (their score is in the task column)."""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from cortexkit.boltzmann import DBM, DBN, RBM
from cortexkit.demo.common import DemoResult

__all__ = ["FAMILIES", "boltzmann_machines"]


def _logistic(F_tr: np.ndarray, y_tr: np.ndarray, F_te: np.ndarray, y_te: np.ndarray) -> float:
    # one BLAS thread: on a busy shared machine spin-waiting threads slow it down, and the
    # problem is far too small to share
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # weakly regularised (C=100) for every representation: sigmoid features need it,
        # and the raw pixels lose little by it
        clf = LogisticRegression(C=100.0, max_iter=500)
        return float(clf.fit(F_tr, y_tr).score(F_te, y_te))


def boltzmann_machines(quick: bool) -> list[DemoResult]:
    """RBM, DBN and DBM features of the digits (pixels / 16) against the raw pixels."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    raw = _logistic(X_tr, y_tr, X_te, y_te)
    # the baseline column is the trivial predictor, as for every family; the raw pixels'
    # score under the same logistic regression is in the task column, to compare with
    baseline = float(DummyClassifier().fit(X_tr, y_tr).score(X_te, y_te))
    epochs = 5 if quick else 30
    results = []

    t = time.perf_counter()
    rbm = RBM(100, persistent=False, learning_rate=0.06, batch_size=10, epochs=epochs,
              random_state=0).fit(X_tr)  # fmt: skip
    secs = time.perf_counter() - t
    score = _logistic(rbm.transform(X_tr), y_tr, rbm.transform(X_te), y_te)
    # the report draws the filters of the RBM, DBN and DBM; the samples are the demo's own
    figures = [
        (rbm.plot_samples(n=16, steps=100 if quick else 1000, random_state=0),
         "RBM: samples of the model after Gibbs sampling from noise"),
    ]  # fmt: skip
    task = f"features (raw pixels: {raw:.4f})"
    results.append(DemoResult("digits 8x8", task, "RBM(100) + logistic regression", "accuracy",
                              score, baseline, secs, rbm.history_, curve="reconstruction_error",
                              figures=figures, estimator=rbm))  # fmt: skip

    t = time.perf_counter()
    dbn = DBN((100, 64), persistent=False, learning_rate=0.06, batch_size=10, epochs=epochs,
              random_state=0)  # fmt: skip
    dbn.fit(X_tr)
    secs = time.perf_counter() - t
    score = _logistic(dbn.transform(X_tr), y_tr, dbn.transform(X_te), y_te)
    results.append(DemoResult("digits 8x8", task, "DBN(100, 64) + logistic regression",
                              "accuracy", score, baseline, secs, dbn.history_,
                              curve="reconstruction_error", estimator=dbn))  # fmt: skip

    t = time.perf_counter()
    dbm = DBM((100, 64), pretrain_epochs=epochs, pretrain_learning_rate=0.05,
              learning_rate=0.005, batch_size=10, epochs=max(epochs // 2, 3),
              random_state=0).fit(X_tr)  # fmt: skip
    secs = time.perf_counter() - t
    F_tr, F_te = np.hstack(dbm.posteriors(X_tr)), np.hstack(dbm.posteriors(X_te))
    score = _logistic(F_tr, y_tr, F_te, y_te)
    samples = dbm.plot_samples(n=16, steps=100 if quick else 1000, random_state=0)
    figures = [(samples, "DBM: samples of the model (visible probabilities, Gibbs sweeps)")]
    model = "DBM(100, 64) posteriors + logistic regression"
    results.append(DemoResult("digits 8x8", task, model, "accuracy", score, baseline, secs,
                              dbm.history_, curve="loss", figures=figures,
                              estimator=dbm))  # fmt: skip
    return results


FAMILIES = [boltzmann_machines]
