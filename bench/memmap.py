"""Memory of ``ANNClassifier.fit`` on a memmap larger than it should copy.

Writes a 2,000,000 x 100 float32 ``np.memmap`` (800 MB on disk) with a learnable binary
target (the sign of a fixed linear combination of the features plus noise), then fits
``ANNClassifier`` on it, each fit in a fresh subprocess so that its baseline is clean:

- ``memmap``: ``X`` opened with ``np.memmap(mode="r")`` and passed as it is: it stays on
  disk and is read a batch at a time. Run with ``--validation-fraction`` (default 0.1, with
  early stopping, as ``cortexkit.defaults.ANN``), whose held-out rows are gathered into
  memory, and again with none;
- ``in-memory``: the same file read into memory first (``np.array(X)``), the path a user
  without streaming takes: the growth includes that copy.

A thread reads ``RssAnon`` (anonymous resident memory: the memmap's own file pages, which
the kernel can drop at will, do not count) from ``/proc/self/status`` every 20 ms during
the fit. Each row reports the baseline before the fit, the peak during it, the growth, the
fit time and the accuracy on 50,000 held-out rows drawn in memory from the same
distribution, beside the majority-class baseline. The goal of issue 5: the memmap fit grows
by less than 300 MB. One torch thread, one BLAS/OpenMP thread (``threadpoolctl``).

Usage: ``python bench/memmap.py [--rows 2000000] [--epochs 2] [--batch-size 1024]
[--dir DIR] [--out table.md]``. The data go in a temporary folder under ``--dir`` (default:
the system's), removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

GOAL_MB = 300
N_TEST = 50_000
SEED = 0
CHUNK = 100_000  # rows written at a time


def target(X: np.ndarray, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The learnable label: sign of a fixed linear combination, plus noise (about 5% flips)."""
    score = X @ w
    return (score + rng.normal(scale=0.15 * score.std(), size=len(X)) > 0).astype(np.int64)


def make_data(folder: Path, rows: int, cols: int) -> None:
    """Write ``X.f32`` (a rows x cols float32 memmap), ``y.npy`` and the test set."""
    rng = np.random.default_rng(SEED)
    w = rng.normal(size=cols).astype(np.float32)
    X = np.memmap(folder / "X.f32", dtype=np.float32, mode="w+", shape=(rows, cols))
    y = np.empty(rows, dtype=np.int64)
    for start in range(0, rows, CHUNK):
        block = rng.standard_normal((min(CHUNK, rows - start), cols), dtype=np.float32)
        X[start : start + len(block)] = block
        y[start : start + len(block)] = target(block, w, rng)
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    X_test = rng.standard_normal((N_TEST, cols), dtype=np.float32)
    np.save(folder / "X_test.npy", X_test)
    np.save(folder / "y_test.npy", target(X_test, w, rng))


def rss_anon_mb() -> float:
    """This process's anonymous resident memory, in MB (10^6 bytes)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no RssAnon in /proc/self/status (Linux only)")


class PeakSampler(threading.Thread):
    """Samples ``RssAnon`` every ``interval`` seconds until stopped; keeps the peak."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self.samples = interval, rss_anon_mb(), 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, rss_anon_mb())
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, rss_anon_mb())
        return self.peak


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One fit in this (fresh) process; its measurements as a dict."""
    import torch
    from threadpoolctl import threadpool_limits

    from cortexkit import ANNClassifier

    torch.set_num_threads(1)
    folder = Path(args.dir)
    y = np.load(folder / "y.npy")
    X_test, y_test = np.load(folder / "X_test.npy"), np.load(folder / "y_test.npy")
    rows, cols = len(y), int(args.cols)
    X = np.memmap(folder / "X.f32", dtype=np.float32, mode="r", shape=(rows, cols))
    clf = ANNClassifier(
        hidden_layers=tuple(args.hidden_layers),
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_fraction=args.validation_fraction,
        early_stopping=args.early_stopping,
        random_state=SEED,
    )
    with threadpool_limits(limits=1):
        baseline = rss_anon_mb()
        sampler = PeakSampler()
        sampler.start()
        t0 = time.perf_counter()
        data = np.array(X) if args.worker == "in-memory" else X  # the copy is part of it
        loaded = rss_anon_mb()
        clf.fit(data, y)
        seconds = time.perf_counter() - t0
        peak = sampler.stop()
        accuracy = float(np.mean(clf.predict(X_test) == y_test))
    return {
        "path": args.worker,
        "baseline": baseline,
        "loaded": loaded - baseline,
        "peak": peak,
        "growth": peak - baseline,
        "seconds": seconds,
        "epochs": int(clf.n_iter_),
        "accuracy": accuracy,
        "majority": float(max(np.mean(y_test), 1 - np.mean(y_test))),
        "samples": sampler.samples,
    }


def run_worker(
    path: str, validation_fraction: float, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", path, "--dir", str(folder),
            "--cols", str(args.cols), "--epochs", str(args.epochs),
            "--batch-size", str(args.batch_size), "--hidden-layers", *map(str, args.hidden_layers),
            "--validation-fraction", str(validation_fraction),
            "--early-stopping" if args.early_stopping else "--no-early-stopping"]  # fmt: skip
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["validation_fraction"] = validation_fraction
    return result


def table(results: list[dict[str, Any]]) -> str:
    """The markdown table, one row per fit."""
    lines = [
        "| X passed to fit | validation_fraction | RssAnon before (MB) | peak (MB) | growth (MB) "
        f"| of which the copy (MB) | under {GOAL_MB} MB | fit (s) | epochs | test accuracy "
        "| majority class |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    names = {"memmap": '`np.memmap(mode="r")`', "in-memory": "`np.array(X)` (in memory)"}
    for r in results:
        ok = "yes" if r["growth"] < GOAL_MB else "no"
        lines.append(
            f"| {names[r['path']]} | {r['validation_fraction']:g} | {r['baseline']:.0f} "
            f"| {r['peak']:.0f} | {r['growth']:.0f} | {r['loaded']:.0f} | {ok} "
            f"| {r['seconds']:.1f} | {r['epochs']} | {r['accuracy']:.4f} | {r['majority']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--hidden-layers", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--early-stopping", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--dir", help="where the temporary data folder goes")
    parser.add_argument("--skip-in-memory", action="store_true", help="only the memmap fit")
    parser.add_argument("--out", help="also write the table to this file")
    parser.add_argument("--worker", choices=["memmap", "in-memory"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    folder = Path(tempfile.mkdtemp(prefix="cortexkit-memmap-", dir=args.dir))
    try:
        t0 = time.perf_counter()
        make_data(folder, args.rows, args.cols)
        size = (folder / "X.f32").stat().st_size / 1e6
        print(f"wrote {args.rows:,} x {args.cols} float32 ({size:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)  # fmt: skip
        runs = [("memmap", args.validation_fraction)]
        if args.validation_fraction:
            runs.append(("memmap", 0.0))
        if not args.skip_in_memory:
            runs.append(("in-memory", args.validation_fraction))
        results = [run_worker(path, frac, args, folder) for path, frac in runs]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text = table(results)
    print(text)
    print(json.dumps(results), file=sys.stderr)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
