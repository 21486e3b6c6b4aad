"""ANNClassifier against scikit-learn's MLPClassifier and plain PyTorch loops.

Every contender trains the same network (layers, ReLU, Glorot-uniform init, Adam with the
same learning rate, batch size and epochs) on the same data, in this one process. Each is
run ``--repeats`` times at one thread and at two, in interleaved order, and the median is
reported: this machine is shared, so only same-run ratios mean anything.

- ``cortexkit``: ``ANNClassifier.fit`` (float32, hand-derived backward, fused Adam);
- ``sklearn``: ``MLPClassifier`` on float64 input, its default (``alpha=0``, no early
  stopping, ``tol=0`` so it runs every epoch);
- ``torch-dataloader``: ``nn.Sequential`` + autograd + ``DataLoader(TensorDataset)``;
- ``torch-slicing``: the same without the DataLoader: shuffle once per epoch, slice
  batches, fused Adam. The bare loop that per-step time is held against.

Usage: ``python bench/ann.py [--repeats 5] [--only churn|mnist] [--out table.md]``.
Needs ``../shared/data`` (churn-modelling, mnist-idx-test10k).
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits
from torch import nn

from cortexkit import ANNClassifier
from cortexkit.data import TableEncoder, read_idx, read_table, split_target

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

# name: (hidden layers, batch size, epochs)
SETUPS = {
    "churn": ((64, 32), 32, 10),
    "mnist": ((128, 64), 200, 10),
}


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float64 train/test arrays, as a scikit-learn user would hold them."""
    if name == "churn":
        df = read_table(DATA / "churn-modelling" / "Churn_Modelling.csv",
                        drop="RowNumber,CustomerId,Surname")  # fmt: skip
        X, y = split_target(df, "Exited")
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
        enc = TableEncoder().fit(X_tr)
        return (enc.transform(X_tr).astype(np.float64), enc.transform(X_te).astype(np.float64),
                y_tr.to_numpy(), y_te.to_numpy())  # fmt: skip
    folder = DATA / "mnist-idx-test10k"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(10000, -1) / 255.0
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return images[:8000], images[8000:], labels[:8000], labels[8000:]


def torch_net(n_in: int, hidden: tuple[int, ...], n_out: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    sizes = [n_in, *hidden]
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], n_out))
    for m in layers:
        if isinstance(m, nn.Linear):  # Glorot uniform, zero bias: as cortexkit and sklearn
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return nn.Sequential(*layers)


def _torch_data(X, y, n_classes):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    if n_classes == 2:
        return Xt, torch.tensor(y, dtype=torch.float32).reshape(-1, 1), 1
    return Xt, torch.tensor(y, dtype=torch.long), n_classes


def _loss_fn(n_out: int):
    return nn.BCEWithLogitsLoss() if n_out == 1 else nn.CrossEntropyLoss()


def _predict(net: nn.Module, X: np.ndarray, n_out: int) -> np.ndarray:
    with torch.no_grad():
        out = net(torch.as_tensor(X, dtype=torch.float32))
    return ((out[:, 0] > 0).long() if n_out == 1 else out.argmax(1)).numpy()


def run_dataloader(X, y, Xte, hidden, bs, epochs, seed):
    n_classes = len(np.unique(y))
    Xt, yt, n_out = _torch_data(X, y, n_classes)
    net = torch_net(X.shape[1], hidden, n_out, seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = _loss_fn(n_out)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(Xt, yt), batch_size=bs, shuffle=True
    )
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
    return _predict(net, Xte, n_out)


def run_slicing(X, y, Xte, hidden, bs, epochs, seed):
    n_classes = len(np.unique(y))
    Xt, yt, n_out = _torch_data(X, y, n_classes)
    net = torch_net(X.shape[1], hidden, n_out, seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    loss_fn = _loss_fn(n_out)
    n = len(Xt)
    for _ in range(epochs):
        order = torch.randperm(n)
        Xs, ys = Xt[order], yt[order]
        for i in range(0, n, bs):
            opt.zero_grad()
            loss = loss_fn(net(Xs[i : i + bs]), ys[i : i + bs])
            loss.backward()
            opt.step()
    return _predict(net, Xte, n_out)


def run_sklearn(X, y, Xte, hidden, bs, epochs, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden, batch_size=bs, max_iter=epochs, alpha=0.0, tol=0.0,
                            n_iter_no_change=10**9, learning_rate_init=1e-3,
                            random_state=seed).fit(X, y)  # fmt: skip
    return clf.predict(Xte)


def run_cortexkit(X, y, Xte, hidden, bs, epochs, seed):
    # every epoch, no penalty, no validation split: as the MLPClassifier run, whatever the
    # defaults (cortexkit.defaults) say
    clf = ANNClassifier(hidden, batch_size=bs, epochs=epochs, learning_rate=1e-3,
                        weight_decay=0.0, early_stopping=False, validation_fraction=0.0,
                        lr_schedule=None, random_state=seed, device="cpu").fit(X, y)  # fmt: skip
    return clf.predict(Xte)


CONTENDERS: dict[str, Callable[..., np.ndarray]] = {
    "cortexkit": run_cortexkit,
    "sklearn": run_sklearn,
    "torch-dataloader": run_dataloader,
    "torch-slicing": run_slicing,
}


def bench(name: str, repeats: int) -> list[dict[str, object]]:
    X, Xte, y, yte = load(name)
    hidden, bs, epochs = SETUPS[name]
    steps = epochs * math.ceil(len(X) / bs)
    rows = []
    for threads in (1, 2):
        times: dict[str, list[float]] = {k: [] for k in CONTENDERS}
        accs: dict[str, list[float]] = {k: [] for k in CONTENDERS}
        torch.set_num_threads(threads)
        with threadpool_limits(threads):
            for rep in range(repeats):
                for tool, fn in CONTENDERS.items():  # interleaved: noise hits all alike
                    t0 = time.perf_counter()
                    pred = fn(X, y, Xte, hidden, bs, epochs, seed=rep)
                    times[tool].append(time.perf_counter() - t0)
                    accs[tool].append(float(np.mean(pred == yte)))
        ours = statistics.median(times["cortexkit"])
        for tool in CONTENDERS:
            med = statistics.median(times[tool])
            rows.append({
                "data": f"{name} ({len(X)}x{X.shape[1]})", "threads": threads, "tool": tool,
                "median_s": med, "step_us": med / steps * 1e6,
                "accuracy": statistics.median(accs[tool]), "speedup": med / ours,
            })  # fmt: skip
        print(f"  {name}, {threads} thread(s) done", file=sys.stderr)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    out = [
        "| data | threads | tool | median fit (s) | per step (µs) | test accuracy "
        "| cortexkit is x faster |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r['data']} | {r['threads']} | {r['tool']} | {r['median_s']:.3f} | "
            f"{r['step_us']:.0f} | {r['accuracy']:.4f} | {r['speedup']:.2f} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=sorted(SETUPS))
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"bench/ann.py needs the shared data sets at {DATA}")
    torch.set_flush_denormal(True)
    rows = []
    for name in [args.only] if args.only else list(SETUPS):
        rows += bench(name, args.repeats)
    settings = ", ".join(
        f"{k}: hidden {h}, batch {b}, {e} epochs" for k, (h, b, e) in SETUPS.items()
    )
    text = f"{table(rows)}\n\nSetups: {settings}; Adam lr 1e-3; ReLU; median of {args.repeats}."
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
