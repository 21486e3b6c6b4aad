"""Autoencoders: denoising digits, and anomaly scores on a table."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from cortexkit.autoencoder import AutoEncoder
from cortexkit.autoencoder.objective import corrupt
from cortexkit.autoencoder.plots import code_space_png, score_histogram_png
from cortexkit.demo.common import DemoResult, timed

__all__ = ["FAMILIES", "autoencoders"]

NOISE = 0.3  # share of pixels zeroed, in training and in the demo's test images


def denoising_digits(quick: bool) -> DemoResult:
    """A convolutional denoising autoencoder on the 8x8 digits: test images with 30% of
    their pixels zeroed, reconstructed; scored by the error against the clean images,
    next to the error of the corrupted images themselves (doing nothing)."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # (n, 8, 8) in [0, 1]
    X_tr, X_te, _y_tr, y_te = train_test_split(
        images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    ae = AutoEncoder(
        (64, 16),
        kind="denoising",
        noise="masking",
        noise_level=NOISE,
        conv_channels=(16, 32),
        output_activation="sigmoid",
        learning_rate=3e-3,
        batch_size=32,  # a step small enough for one CPU thread (fast on a busy machine)
        epochs=12 if quick else 120,
        random_state=0,
    )
    ae, secs = timed(ae, X_tr, None)  # type: ignore[arg-type]  # y is ignored
    noisy = corrupt(torch.as_tensor(X_te), "masking", NOISE, torch.Generator().manual_seed(1))
    noisy_np = noisy.numpy()
    restored = ae.predict(noisy_np)
    error = float(((restored - X_te) ** 2).mean())
    baseline = float(((noisy_np - X_te) ** 2).mean())
    # the report shows the test digits, the same with 30% of their pixels zeroed, and the
    # reconstructions (context); the code space is the demo's own figure
    figures = [
        (
            code_space_png(ae.transform(X_te), labels=y_te, title="Codes of the test digits"),
            "The 16-d codes of the test digits on their first two principal components, "
            "coloured by the digit (never shown to the autoencoder)",
        ),
    ]
    return DemoResult("digits 8x8", f"denoising ({NOISE:.0%} masked)", "AutoEncoder (conv)",
                      "MSE vs clean (lower is better)", error, baseline, secs, ae.history_,
                      figures=figures, estimator=ae,
                      context={"X": X_te, "corrupted": noisy_np})  # fmt: skip


def anomalies_in_a_table(quick: bool) -> DemoResult:
    """Anomaly scores on breast cancer: trained on benign rows only, the test rows' scores
    (their distance to the benign rows' reconstructions) rank the malignant ones (ROC AUC;
    0.5 is chance)."""
    X, y = load_breast_cancer(return_X_y=True)  # y: 1 benign, 0 malignant
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_tr[y_tr == 1])
    ae = AutoEncoder((16, 4), epochs=60 if quick else 300, learning_rate=3e-3, random_state=0)
    ae, secs = timed(ae, scaler.transform(X_tr[y_tr == 1]), None)  # type: ignore[arg-type]
    scores = ae.anomaly_scores(scaler.transform(X_te))
    anomalous = (y_te == 0).astype(int)
    auc = float(roc_auc_score(anomalous, scores))
    label_names = np.where(anomalous == 1, "malignant", "benign")
    figure = score_histogram_png(scores, threshold=ae.threshold_, labels=label_names, log=True,
                                 title="Anomaly scores of the test rows")  # fmt: skip
    caption = (
        "Breast-cancer test rows: the autoencoder, trained on benign rows only, places "
        f"malignant ones farther from the benign rows' reconstructions (ROC AUC {auc:.3f}); "
        "the dashed line is threshold_, the 0.95 quantile of the training rows' scores"
    )
    context = {"X": scaler.transform(X_te), "y": label_names}  # the report lists the outliers
    return DemoResult("breast cancer (anomaly)", "anomaly (malignant)", "AutoEncoder", "ROC AUC",
                      auc, 0.5, secs, ae.history_, figures=[(figure, caption)], estimator=ae,
                      context=context)  # fmt: skip


def autoencoders(quick: bool) -> list[DemoResult]:
    """Denoising digits and anomaly scores on a table."""
    return [denoising_digits(quick), anomalies_in_a_table(quick)]


FAMILIES = [autoencoders]
