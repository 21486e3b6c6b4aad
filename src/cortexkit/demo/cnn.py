"""The CNN on scikit-learn's bundled 8x8 digits, with its first filters and one digit's
feature maps in the report."""

from __future__ import annotations

from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from cortexkit.cnn.estimator import CNNClassifier
from cortexkit.demo.common import DemoResult, timed

__all__ = ["FAMILIES", "cnn_digits"]


def cnn_digits(quick: bool) -> list[DemoResult]:
    """A two-block CNN on the 8x8 digits (75/25 split), against the majority class."""
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)  # (N, H, W) gray images, values 0-16
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    baseline = accuracy_score(y_te, DummyClassifier().fit(X_tr, y_tr).predict(X_te))
    clf = CNNClassifier(
        (16, 32),
        convs_per_block=1,
        hidden_layers=(64,),
        augment=None,  # a 2-pixel shift is a quarter of an 8x8 digit
        epochs=8 if quick else 30,
        random_state=0,
    )
    clf, secs = timed(clf, X_tr, y_tr)
    score = accuracy_score(y_te, clf.predict(X_te))
    # the report draws the confusion matrix, the first convolution's 16 learned 3x3 filters
    # and the first test digit's feature maps after the first block (convolution, batch
    # norm, ReLU)
    result = DemoResult("digits 8x8", "images (10)", "CNNClassifier", "accuracy", score,
                        baseline, secs, clf.history_, estimator=clf,
                        context={"X": X_te, "y": y_te})  # fmt: skip
    return [result]


FAMILIES = [cnn_digits]
