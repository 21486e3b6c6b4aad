"""Trains an ANN with a checkpoint (run by test_checkpoint.py in a subprocess).

Usage: python resume_worker.py CHECKPOINT|none OUT.npy
"""

import sys

import numpy as np
from sklearn.datasets import make_classification

from cortexkit import ANNClassifier


def main() -> None:
    checkpoint = None if sys.argv[1] == "none" else sys.argv[1]
    X, y = make_classification(1500, 20, n_informative=8, random_state=0)
    clf = ANNClassifier(
        (64, 32),
        epochs=150,
        batch_size=32,
        validation_fraction=0.1,
        early_stopping=True,
        patience=1000,  # keep every epoch, but keep tracking the best one
        lr_schedule="plateau",
        random_state=0,
        device="cpu",
        checkpoint=checkpoint,
        resume=checkpoint is not None,
    ).fit(X, y)
    np.save(sys.argv[2], clf.network_.flat.detach().numpy())


if __name__ == "__main__":
    main()
