"""Data-parallel scaling: each family trained by 1 process against 2, samples per second.

Every family trains under torchrun (``torch.distributed.run --standalone``) on this
machine's CPUs: gloo on loopback, one thread per process (``OMP_NUM_THREADS=1``,
``torch.set_num_threads(1)``, ``threadpoolctl`` for BLAS), flush-denormal on. The global
batch is the same in both runs (each of 2 processes takes half of it), and so are the
data, the seed and the epochs; 1 process under torchrun is a plain single-process fit
(a group of one is not distributed).

Samples per second = training rows x epochs / the sum of the loop's epoch times
(``history_["time"]``, so start-up, data preparation and model building are left out; the
2-process time is rank 0's and includes its waits for the other rank); the median of
``--repeats`` fits after one warm-up fit. A sample is a row: an image (CNN), a sequence
(RNN), an item's ratings (item-based AutoRec).

The data: scikit-learn's 8x8 digits (1,797 images), as 64 features (ANN, autoencoder,
DBN fine-tuning, SOM, RBM on the pixels > 0.5), 8x8 images (CNN) and 8-step sequences
of 8 values (RNN); the first 2,048 MNIST test images, 28x28, in batches of 128, for a
CNN step with enough work to share (``../shared/data/mnist-idx-test10k``); AutoRec on a
generated rank-3 rating matrix (400 users x 300 items, 10% observed, ratings 1-5).

Usage: ``python bench/distributed.py [--quick] [--repeats 3]``; ``--quick`` (one epoch,
one fit) is for trying the script, not for the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-idx-test10k"

FAMILIES = (
    "ANN",
    "CNN",
    "CNN (MNIST 28x28)",
    "RNN",
    "autoencoder",
    "AutoRec",
    "DBN fine-tuning",
    "SOM",
    "RBM",
)


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def ratings() -> Any:
    import pandas as pd

    rng = np.random.default_rng(0)
    users, items = 400, 300
    score = rng.normal(size=(users, 3)) @ rng.normal(size=(3, items))
    mask = rng.random((users, items)) < 0.1
    u, i = np.nonzero(mask)
    stars = np.clip(np.round(3 + score[u, i]), 1, 5)
    return pd.DataFrame({"user": u, "item": i, "rating": stars})


def cases(epochs: int) -> dict[str, Callable[[], tuple[Any, int]]]:
    """Family -> a function that fits it once and returns ``(estimator, rows per epoch)``."""
    from cortexkit import (
        RBM,
        ANNClassifier,
        AutoEncoder,
        AutoRecRecommender,
        CNNClassifier,
        DBNClassifier,
        RNNClassifier,
        SelfOrganizingMap,
    )

    X, y = digits()
    common = dict(random_state=0, device="cpu", validation_fraction=0.0)
    stop = dict(early_stopping=False)

    def ann() -> tuple[Any, int]:
        est = ANNClassifier((128,), epochs=epochs, batch_size=64, **stop, **common)
        return est.fit(X, y), len(X)

    def cnn() -> tuple[Any, int]:
        est = CNNClassifier(epochs=epochs, batch_size=64, **stop, **common)
        return est.fit((X * 255).astype(np.uint8).reshape(-1, 8, 8), y), len(X)

    def cnn_mnist() -> tuple[Any, int]:
        from cortexkit.data import read_idx

        images = read_idx(MNIST / "t10k-images-idx3-ubyte.gz")[:2048]
        labels = read_idx(MNIST / "t10k-labels-idx1-ubyte.gz")[:2048]
        est = CNNClassifier(epochs=epochs, batch_size=128, **stop, **common)
        return est.fit(images, labels), len(images)

    def rnn() -> tuple[Any, int]:
        est = RNNClassifier(hidden_layers=(32,), epochs=epochs, batch_size=64, **stop, **common)
        return est.fit(X.reshape(-1, 8, 8), y), len(X)

    def autoencoder() -> tuple[Any, int]:
        est = AutoEncoder((64, 16), epochs=epochs, batch_size=64, **stop, **common)
        return est.fit(X), len(X)

    def autorec() -> tuple[Any, int]:
        frame = ratings()
        est = AutoRecRecommender("item", 100, epochs=epochs, batch_size=32, random_state=0,
                                 device="cpu")  # fmt: skip
        return est.fit(frame), int(frame["item"].nunique())

    def dbn() -> tuple[Any, int]:
        est = DBNClassifier((128,), pretrain_epochs=1, epochs=epochs, batch_size=64, **stop,
                            **common)  # fmt: skip
        return est.fit((X > 0.5).astype(np.float32), y), len(X)

    def som() -> tuple[Any, int]:
        return SelfOrganizingMap((10, 10), epochs=epochs, random_state=0, device="cpu").fit(X), len(
            X
        )

    def rbm() -> tuple[Any, int]:
        est = RBM(128, epochs=epochs, batch_size=64, random_state=0, device="cpu")
        return est.fit((X > 0.5).astype(np.float32)), len(X)

    made = (ann, cnn, cnn_mnist, rnn, autoencoder, autorec, dbn, som, rbm)
    return dict(zip(FAMILIES, made, strict=True))


def worker(out: str, epochs: int, repeats: int) -> None:
    """One process of a run: time every family; rank 0 writes ``out`` (JSON)."""
    import torch
    from threadpoolctl import threadpool_limits

    from cortexkit.train.distributed import init_from_env, is_main, world

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    init_from_env("cpu")
    results: dict[str, float] = {}
    with threadpool_limits(1):
        for name, fit in cases(epochs).items():
            fit()  # warm-up
            rates = []
            for _ in range(repeats):
                est, rows = fit()
                rates.append(rows * len(est.history_["time"]) / sum(est.history_["time"]))
            results[name] = statistics.median(rates)
    if is_main():
        Path(out).write_text(json.dumps({"world_size": world()[1], "rates": results}))
    if world()[1] > 1:
        torch.distributed.destroy_process_group()


def run(nproc: int, epochs: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rates.json")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={nproc}", __file__, "--worker", out, "--epochs", str(epochs),
               "--repeats", str(repeats)]  # fmt: skip
        subprocess.run(cmd, env=env, check=True)
        found = json.loads(Path(out).read_text())
    assert found["world_size"] == nproc, found
    return found["rates"]  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one epoch, one fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--worker", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    epochs, repeats = (1, 1) if args.quick else (args.epochs, args.repeats)
    if args.worker:
        worker(args.worker, epochs, repeats)
        return
    t0 = time.perf_counter()
    one, two = run(1, epochs, repeats), run(2, epochs, repeats)
    print(f"{os.cpu_count()} CPUs, 1 thread per process, {epochs} epoch(s), median of "
          f"{repeats} fit(s); {time.perf_counter() - t0:.0f} s in all\n")  # fmt: skip
    print("| family | 1 process (samples/s) | 2 processes (samples/s) | speed-up |")
    print("|---|---:|---:|---:|")
    for name in FAMILIES:
        print(f"| {name} | {one[name]:,.0f} | {two[name]:,.0f} | {two[name] / one[name]:.2f}x |")


if __name__ == "__main__":
    main()
