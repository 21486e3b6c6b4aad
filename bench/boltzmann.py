"""RBM against scikit-learn's BernoulliRBM; RBM and DBN features and the fine-tuned DBN on MNIST.

Speed. Both train the same machine on the first 5,000 and on all 10,000 MNIST test images
(``--rows``; 784 visible units scaled to [0, 1], 256 hidden): PCD-1 as scikit-learn does it,
batches of 20, learning rate 0.1, the same epochs. scikit-learn gets float64 input, its
default; cortexkit computes in float32. Each seed runs both, alternating, at one thread and
at two (``torch.set_num_threads`` and ``threadpoolctl``); the table gives the median fit
time and the same-run speed-up, in wall time and in the CPU time the process used (on a
shared, overloaded machine a process waits for a core: its CPU time measures its own work,
its wall time also the others'). The mean pseudo-likelihood of each fitted machine is
measured by one evaluator for both: scikit-learn's ``score_samples`` on all 10,000 images
with the same random flips (a ``BernoulliRBM`` given the fitted weights), so the two columns
compare like with like.

Quality. The first 8,000 images train, the last 2,000 test:

- logistic regression on raw pixels against logistic regression on the RBM's 256 hidden
  probabilities and on the DBN's (256, 128) features;
- ``DBNClassifier(hidden_layers=(256, 128))`` against ``ANNClassifier(hidden_layers=(256, 128))``
  (its default ReLU, and sigmoid as the DBN's), both with the same fine-tuning settings.

Selection. ``--only selection`` chooses ``DBNClassifier``'s fine-tuning weight decay the
honest way: the first 6,400 of the 8,000 training images train, the other 1,600 validate;
the test images are never read.

Usage: ``python bench/boltzmann.py [--seeds 3] [--epochs 10] [--rows 5000 10000]
[--only speed|quality|selection] [--quick]`` (``--quick``: speed only, one seed, 3 epochs,
one thread, 5,000 rows: for iterating).
Needs ``../shared/data/mnist-idx-test10k``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

from cortexkit import DBN, RBM, ANNClassifier, DBNClassifier
from cortexkit.data import read_idx

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist-idx-test10k"


def load() -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(DATA / "t10k-images-idx3-ubyte.gz").reshape(10000, -1) / 255.0
    labels = read_idx(DATA / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


def pseudo_likelihood(X: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """scikit-learn's estimate, with the same random flips for every machine."""
    judge = BernoulliRBM(n_components=W.shape[1], random_state=0)
    judge.components_ = W.T.astype(np.float64)
    judge.intercept_visible_ = b.astype(np.float64)
    judge.intercept_hidden_ = c.astype(np.float64)
    return float(judge.score_samples(X).mean())


def fit_ours(X: np.ndarray, epochs: int, seed: int) -> tuple[float, float, float]:
    t, cpu = time.perf_counter(), time.process_time()
    rbm = RBM(256, gibbs_steps=1, persistent=True, learning_rate=0.1, batch_size=20, epochs=epochs,
              random_state=seed, device="cpu").fit(X)  # fmt: skip
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    W, b, c = (t_.cpu().numpy() for t_ in (rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_))
    return took, cpu, pseudo_likelihood(X, W, b, c)


def fit_sklearn(X: np.ndarray, epochs: int, seed: int) -> tuple[float, float, float]:
    t, cpu = time.perf_counter(), time.process_time()
    rbm = BernoulliRBM(n_components=256, learning_rate=0.1, batch_size=20, n_iter=epochs,
                       random_state=seed).fit(X)  # fmt: skip
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    W = rbm.components_.T
    return took, cpu, pseudo_likelihood(X, W, rbm.intercept_visible_, rbm.intercept_hidden_)


def speed(seeds: int, epochs: int, thread_counts: list[int], n_rows: list[int]) -> str:
    images, _ = load()
    rows = [
        "| rows | threads | contender | fit wall time, median (s) | speed-up, wall (same run) | "
        "fit CPU time, median (s) | speed-up, CPU time | pseudo-likelihood, mean over seeds "
        "| per seed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, threads in itertools.product(n_rows, thread_counts):
        X = images[:n]
        times: dict[str, list[float]] = {"cortexkit": [], "sklearn": []}
        cpus: dict[str, list[float]] = {"cortexkit": [], "sklearn": []}
        pl: dict[str, list[float]] = {"cortexkit": [], "sklearn": []}
        torch.set_num_threads(threads)
        with threadpool_limits(threads):
            for seed in range(seeds):
                order = [fit_ours, fit_sklearn] if seed % 2 == 0 else [fit_sklearn, fit_ours]
                for fit in order:
                    name = "cortexkit" if fit is fit_ours else "sklearn"
                    took, cpu, score = fit(X, epochs, seed)
                    times[name].append(took)
                    cpus[name].append(cpu)
                    pl[name].append(score)
                    print(f"rows={n} threads={threads} seed={seed} {name}: {took:.2f}s "
                          f"(CPU {cpu:.2f}s) PL={score:.2f}", flush=True)  # fmt: skip
        ratio = statistics.median(
            s / o for s, o in zip(times["sklearn"], times["cortexkit"], strict=True)
        )
        cpu_ratio = statistics.median(
            s / o for s, o in zip(cpus["sklearn"], cpus["cortexkit"], strict=True)
        )
        for name in ("cortexkit", "sklearn"):
            ours = name == "cortexkit"
            per = ", ".join(f"{v:.2f}" for v in pl[name])
            rows.append(f"| {n} | {threads} | {name} | {statistics.median(times[name]):.2f} | "
                        f"{f'{ratio:.2f}x' if ours else '1x'} | "
                        f"{statistics.median(cpus[name]):.2f} | "
                        f"{f'{cpu_ratio:.2f}x' if ours else '1x'} | "
                        f"{statistics.mean(pl[name]):.2f} | {per} |")  # fmt: skip
    return "\n".join(rows)


def logistic(F_tr: np.ndarray, y_tr: np.ndarray, F_te: np.ndarray, y_te: np.ndarray) -> float:
    """Test accuracy of a logistic regression whose C (1 or 100) is chosen on the last 20%
    of the training rows: sigmoid features want weak regularisation, raw pixels less so."""
    cut = int(0.8 * len(F_tr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = {
            C: LogisticRegression(C=C, max_iter=300).fit(F_tr[:cut], y_tr[:cut])
            .score(F_tr[cut:], y_tr[cut:])
            for C in (1.0, 100.0)
        }  # fmt: skip
        best = max(scores, key=lambda C: scores[C])
        clf = LogisticRegression(C=best, max_iter=300).fit(F_tr, y_tr)
    return float(clf.score(F_te, y_te))


def quality(epochs: int) -> str:
    X, y = load()
    X_tr, X_te, y_tr, y_te = X[:8000], X[8000:], y[:8000], y[8000:]
    rows = ["| model | test accuracy | fit time (s) |", "| --- | --- | --- |"]

    def add(name: str, acc: float, took: float) -> None:
        rows.append(f"| {name} | {acc:.4f} | {took:.1f} |")
        print(rows[-1], flush=True)

    t = time.perf_counter()
    add(
        "logistic regression, raw pixels", logistic(X_tr, y_tr, X_te, y_te), time.perf_counter() - t
    )
    t = time.perf_counter()
    rbm = RBM(256, learning_rate=0.05, batch_size=20, epochs=epochs, random_state=0,
              device="cpu").fit(X_tr)  # fmt: skip
    acc = logistic(rbm.transform(X_tr), y_tr, rbm.transform(X_te), y_te)
    add(f"logistic regression, RBM(256) features ({epochs} epochs)", acc, time.perf_counter() - t)
    t = time.perf_counter()
    dbn = DBN((256, 128), learning_rate=0.05, batch_size=20, epochs=epochs, random_state=0,
              device="cpu").fit(X_tr)  # fmt: skip
    acc = logistic(dbn.transform(X_tr), y_tr, dbn.transform(X_te), y_te)
    add("logistic regression, DBN(256, 128) features", acc, time.perf_counter() - t)
    tune = {"epochs": 60, "patience": 10, "random_state": 0, "device": "cpu"}
    for name, est in [
        ("ANNClassifier((256, 128)), ReLU", ANNClassifier((256, 128), **tune)),
        ("ANNClassifier((256, 128)), sigmoid",
         ANNClassifier((256, 128), activation="sigmoid", **tune)),
        (f"DBNClassifier((256, 128)), pretrained {epochs} epochs/layer (default weight_decay=0)",
         DBNClassifier((256, 128), pretrain_epochs=epochs, pretrain_learning_rate=0.05, **tune)),
        (f"DBNClassifier((256, 128)), pretrained {epochs} epochs/layer, weight_decay=1e-4",
         DBNClassifier((256, 128), pretrain_epochs=epochs, pretrain_learning_rate=0.05,
                       weight_decay=1e-4, **tune)),
    ]:  # fmt: skip
        t = time.perf_counter()
        est.fit(X_tr, y_tr)
        add(name, float(est.score(X_te, y_te)), time.perf_counter() - t)
    return "\n".join(rows)


def selection(epochs: int) -> str:
    """Validation accuracy of ``DBNClassifier((256, 128))`` per fine-tuning weight decay."""
    X, y = load()
    X_fit, y_fit, X_val, y_val = X[:6400], y[:6400], X[6400:8000], y[6400:8000]
    rows = ["| fine-tuning weight_decay | validation accuracy | fit time (s) |",
            "| ---: | ---: | ---: |"]  # fmt: skip
    for wd in (3e-3, 1e-3, 3e-4, 1e-4, 0.0):
        t = time.perf_counter()
        est = DBNClassifier((256, 128), pretrain_epochs=epochs, pretrain_learning_rate=0.05,
                            weight_decay=wd, epochs=60, patience=10, random_state=0,
                            device="cpu").fit(X_fit, y_fit)  # fmt: skip
        rows.append(f"| {wd:g} | {est.score(X_val, y_val):.4f} | {time.perf_counter() - t:.1f} |")
        print(rows[-1], flush=True)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--only", choices=("speed", "quality", "selection"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 10000])
    parser.add_argument("--quick", action="store_true", help="speed only: 1 seed, 3 epochs, "
                        "1 thread, 5,000 rows")  # fmt: skip
    parser.add_argument("--out", help="also write the tables to this markdown file")
    args = parser.parse_args()
    if args.quick:
        args.only, args.seeds, args.epochs, args.threads, args.rows = "speed", 1, 3, [1], [5000]
    parts = []
    if args.only in (None, "speed"):
        title = (f"RBM vs BernoulliRBM: MNIST {' and '.join(f'{n:,}' for n in args.rows)} rows "
                 f"x 784, 256 hidden, PCD-1, batch 20, lr 0.1, "
                 f"{args.epochs} epochs, {args.seeds} seeds")  # fmt: skip
        parts.append(title + "\n\n" + speed(args.seeds, args.epochs, args.threads, args.rows))
    if args.only in (None, "quality"):
        torch.set_num_threads(2)
        with threadpool_limits(2):
            parts.append("Features and fine-tuning: MNIST, 8,000 train / 2,000 test images\n\n"
                         + quality(args.epochs))  # fmt: skip
    if args.only == "selection":
        torch.set_num_threads(2)
        with threadpool_limits(2):
            parts.append("DBNClassifier fine-tuning weight decay: 6,400 train / 1,600 validation "
                         "of the 8,000 training images\n\n" + selection(args.epochs))  # fmt: skip
    text = "\n\n".join(parts)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
