"""AutoEncoder against a plain PyTorch loop (speed) and IsolationForest (anomaly scores).

Speed: the same autoencoder (784-128-32-128-784, ReLU hidden layers and code, sigmoid
output, Glorot-uniform weights and zero biases, mean squared error, Adam at 1e-3, batches
of 128, every epoch run, no validation split) trained on the first 8,000 MNIST test images
by ``AutoEncoder.fit`` and by a plain PyTorch loop over a ``DataLoader(TensorDataset)``.
Both are run ``--repeats`` times at one thread and at two, interleaved, and the medians
are compared in the same run (the machine is shared). Equal reconstruction error is
checked on the 2,000 held-out images.

Anomaly: the credit-card applications, ``CustomerID`` dropped, every column standardised
on all rows (no label is used to fit anything), ``Class`` as the label with its rarer
class (1) as the anomaly: the ROC AUC and average precision of each model's scores over
``--seeds`` seeds. The autoencoders keep their defaults (no tuning on the labels);
IsolationForest keeps scikit-learn's. Two rows score a default ``SelfOrganizingMap``:
each row's quantisation error (``anomaly_scores``), and the U-matrix value of its
best-matching unit (``umatrix_scores``, the classic fraud-detection score).

Usage: ``python bench/autoencoder.py [--repeats 3] [--seeds 5] [--only speed|anomaly]
[--out table.md]``. Needs ``../shared/data`` (mnist-idx-test10k, credit-card-applications).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from cortexkit import AutoEncoder, SelfOrganizingMap
from cortexkit.data import read_idx, read_table

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
LAYERS, BATCH, EPOCHS, LR = (128, 32), 128, 10, 1e-3


# -- speed ---------------------------------------------------------------------------------------


def mnist() -> tuple[np.ndarray, np.ndarray]:
    folder = DATA / "mnist-idx-test10k"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(10000, -1) / 255.0
    images = images.astype(np.float32)
    return images[:8000], images[8000:]


def torch_autoencoder(n_in: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    sizes = [n_in, *LAYERS, *reversed(LAYERS[:-1]), n_in]
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        linear = nn.Linear(a, b)
        nn.init.xavier_uniform_(linear.weight)  # as cortexkit: Glorot uniform, zero bias
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.Sigmoid() if k == len(sizes) - 2 else nn.ReLU()]
    return nn.Sequential(*layers)


def run_torch_dataloader(X: np.ndarray, X_te: np.ndarray, seed: int) -> float:
    net = torch_autoencoder(X.shape[1], seed)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    Xt = torch.as_tensor(X)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(Xt), batch_size=BATCH, shuffle=True
    )
    for _ in range(EPOCHS):
        for (xb,) in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(net(xb), xb)
            loss.backward()
            opt.step()
    with torch.no_grad():
        te = torch.as_tensor(X_te)
        return float(nn.functional.mse_loss(net(te), te))


def run_cortexkit(X: np.ndarray, X_te: np.ndarray, seed: int) -> float:
    ae = AutoEncoder(LAYERS, output_activation="sigmoid", batch_size=BATCH, epochs=EPOCHS,
                     learning_rate=LR, early_stopping=False, validation_fraction=0.0,
                     random_state=seed, device="cpu").fit(X)  # fmt: skip
    return float(ae.anomaly_scores(X_te).mean())


SPEED: dict[str, Callable[[np.ndarray, np.ndarray, int], float]] = {
    "cortexkit AutoEncoder": run_cortexkit,
    "torch loop + DataLoader": run_torch_dataloader,
}


def speed(repeats: int) -> str:
    X, X_te = mnist()
    out = [
        "| threads | tool | median fit (s) | held-out MSE | time ratio (cortexkit / torch) |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for fn in SPEED.values():  # one untimed run each: torch's first-use costs (the
        fn(X[:512], X_te[:64], 0)  # optimiser's imports) fall on neither tool's timings
    for threads in (1, 2):
        times: dict[str, list[float]] = {k: [] for k in SPEED}
        errors: dict[str, list[float]] = {k: [] for k in SPEED}
        torch.set_num_threads(threads)
        with threadpool_limits(threads):
            for rep in range(repeats):
                for tool, fn in SPEED.items():  # interleaved: noise hits both alike
                    t0 = time.perf_counter()
                    errors[tool].append(fn(X, X_te, rep))
                    times[tool].append(time.perf_counter() - t0)
        ours = statistics.median(times["cortexkit AutoEncoder"])
        theirs = statistics.median(times["torch loop + DataLoader"])
        for tool in SPEED:
            ratio = f"{ours / theirs:.2f}" if tool.startswith("cortexkit") else ""
            out.append(f"| {threads} | {tool} | {statistics.median(times[tool]):.2f} | "
                       f"{statistics.median(errors[tool]):.4f} | {ratio} |")  # fmt: skip
        print(f"  speed, {threads} thread(s) done", file=sys.stderr)
    return "\n".join(out) + (
        f"\n\nMNIST test images: 8,000 to train, 2,000 held out; {LAYERS} encoder, mirrored "
        f"decoder; batch {BATCH}, {EPOCHS} epochs, Adam {LR}; median of {repeats}."
    )


# -- anomaly scores ------------------------------------------------------------------------------


def credit_cards() -> tuple[np.ndarray, np.ndarray]:
    df = read_table(DATA / "credit-card-applications" / "Credit_Card_Applications.csv",
                    drop="CustomerID")  # fmt: skip
    y = df.pop("Class").to_numpy().astype(int)
    return StandardScaler().fit_transform(df.to_numpy(dtype=np.float64)), y


def _autoencoder(**params: object) -> Callable[[np.ndarray, int], np.ndarray]:
    def scores(X: np.ndarray, seed: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the default code (32) is wider than 14 inputs
            ae = AutoEncoder(**params, random_state=seed, device="cpu").fit(X)  # type: ignore[arg-type]
        return ae.anomaly_scores(X)

    return scores


def isolation_forest(X: np.ndarray, seed: int) -> np.ndarray:
    return -IsolationForest(random_state=seed).fit(X).score_samples(X)  # higher: odder


def _som(method: str) -> Callable[[np.ndarray, int], np.ndarray]:
    """A default ``SelfOrganizingMap``'s outlier score: ``anomaly_scores`` (the
    quantisation error) or ``umatrix_scores`` (the U-matrix value of the sample's
    best-matching unit)."""

    def scores(X: np.ndarray, seed: int) -> np.ndarray:
        som = SelfOrganizingMap(random_state=seed).fit(X)
        return np.asarray(getattr(som, method)(X), dtype=np.float64)

    return scores


ANOMALY: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "AutoEncoder() (plain, 128-32)": _autoencoder(),
    "AutoEncoder((128, 7)) (what the CLI picks for 14 columns)": _autoencoder(
        hidden_layers=(128, 7)
    ),
    "AutoEncoder((16, 4))": _autoencoder(hidden_layers=(16, 4)),
    "AutoEncoder(kind='denoising')": _autoencoder(kind="denoising"),
    "AutoEncoder(kind='variational')": _autoencoder(kind="variational"),
    "IsolationForest()": isolation_forest,
    "SelfOrganizingMap(): quantisation error": _som("anomaly_scores"),
    "SelfOrganizingMap(): U-matrix of the best unit": _som("umatrix_scores"),
}


def anomaly(seeds: int) -> str:
    X, y = credit_cards()
    out = ["| model | ROC AUC (mean ± sd) | average precision | seconds per fit |",
           "| --- | ---: | ---: | ---: |"]  # fmt: skip
    for name, fn in ANOMALY.items():
        aucs, aps, secs = [], [], []
        for seed in range(seeds):
            t0 = time.perf_counter()
            scores = fn(X, seed)
            secs.append(time.perf_counter() - t0)
            aucs.append(roc_auc_score(y, scores))
            aps.append(average_precision_score(y, scores))
        out.append(f"| {name} | {np.mean(aucs):.3f} ± {np.std(aucs):.3f} | "
                   f"{np.mean(aps):.3f} | {statistics.median(secs):.2f} |")  # fmt: skip
        print(f"  anomaly: {name} done", file=sys.stderr)
    return "\n".join(out) + (
        f"\n\nCredit-card applications: {len(X)} rows x {X.shape[1]} standardised columns; "
        f"anomaly = Class 1 ({y.mean():.1%} of rows); scores on the rows fitted on (no "
        f"label used); {seeds} seeds."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=["speed", "anomaly"])
    parser.add_argument("--out", help="also write the tables to this file")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"bench/autoencoder.py needs the shared data sets at {DATA}")
    torch.set_flush_denormal(True)
    parts = []
    if args.only in (None, "speed"):
        parts.append(speed(args.repeats))
    if args.only in (None, "anomaly"):
        torch.set_num_threads(1)
        with threadpool_limits(1):
            parts.append(anomaly(args.seeds))
    text = "\n\n".join(parts)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
