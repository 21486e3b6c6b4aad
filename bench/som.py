"""SelfOrganizingMap against MiniSom and somoclu, and the 1,000,000 x 50 scale run.

Same data for all (issue 17's hard case: 12 overlapping Gaussian blobs in 20-D,
``make_blobs(n, 20, centers=12, cluster_std=5)``, standardised, float32), the same 30x30
rectangular map, the same number of sample presentations (the passes our defaults take:
``default_epochs(900, n)``, one pass from 13,500 rows on), each tool pinned to the same
thread count (``torch.set_num_threads`` and ``threadpoolctl``, which also limits somoclu's
OpenMP), in this one process, in alternating order; medians of ``--repeats`` runs. This
machine is shared: only same-run ratios mean anything.

- ``cortexkit``: ``SelfOrganizingMap((30, 30))``, the defaults (online mini-batches,
  Gaussian, sigma a tenth of the longer side (3) and learning rate 0.5 decaying
  asymptotically, PCA initialisation, ``epochs=None``); the time includes the
  initialisation.
- ``MiniSom``: ``sigma=3``, a radius fit for a 30x30 map (its docstring: sigma "needs to
  be adequate to the dimensions of the map"; the quality suite's peer, a tenth of the
  longer side), otherwise its defaults (rate 0.5, asymptotic decays),
  ``pca_weights_init(X)`` then ``train(X, presentations, random_order=True)``.
- ``somoclu``: ``Somoclu(30, 30, initialization="pca")``, ``train(X, epochs=1,
  radiuscooling="exponential", scalecooling="exponential")`` (its default linear cooling
  with one epoch returns a NaN codebook).

Every map's quantisation error (mean distance to the best-matching unit) and topographic
error (best and second-best units not touching, diagonals touching: MiniSom's rule) are
computed by one function here, on all rows.

``--big`` adds the scale run: 1,000,000 x 50 on a 50x50 map, two epochs, in a child
process whose peak resident memory during the fit is read (the peak is reset once the
data is made), on each of ``--device`` (``cpu``, ``cuda``).

``--clock cpu`` times each fit by the process's CPU time instead of the wall clock: on a
shared, loaded machine, at one thread, that is closer to what a quiet machine's wall clock
gives (a short fit loses proportionally more to waiting for a core).

Usage: ``python bench/som.py [--repeats 3] [--threads 1,2] [--sizes 20000,100000] [--big]
[--clock wall|cpu] [--quick]`` (``--quick``: 20,000 rows, one thread, one repeat).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from _quality_som import errors as quality_errors
from cortexkit import SelfOrganizingMap
from cortexkit.som.schedule import default_epochs

ROWS = COLS = 30
MINISOM_SIGMA = 3.0  # a tenth of the map's side: bench/_quality_som.py's peer


def blobs(n: int, features: int = 20, seed: int = 0) -> np.ndarray:
    X, _ = make_blobs(n, n_features=features, centers=12, cluster_std=5.0, random_state=seed)
    return StandardScaler().fit_transform(X).astype(np.float32)


def presentations(n: int) -> int:
    """The sample presentations our defaults make on ``n`` rows: every tool gets as many."""
    return default_epochs(ROWS * COLS, n) * n


def errors(codebook: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """(quantisation error, topographic error) of a (rows*cols, features) codebook."""
    return quality_errors(codebook, X, (ROWS, COLS))


def run_cortexkit(X: np.ndarray) -> np.ndarray:
    som = SelfOrganizingMap((ROWS, COLS), random_state=0, device="cpu").fit(X)
    assert som.n_iter_ * len(X) == presentations(len(X))
    return som.weights_.numpy()


def run_minisom(X: np.ndarray) -> np.ndarray:
    from minisom import MiniSom

    som = MiniSom(ROWS, COLS, X.shape[1], sigma=MINISOM_SIGMA, random_seed=0)
    som.pca_weights_init(X)
    som.train(X, presentations(len(X)), random_order=True)
    return som.get_weights().reshape(ROWS * COLS, -1)


def run_somoclu(X: np.ndarray) -> np.ndarray:
    import somoclu

    som = somoclu.Somoclu(COLS, ROWS, initialization="pca")
    som.train(X, epochs=presentations(len(X)) // len(X), radiuscooling="exponential",
              scalecooling="exponential")  # fmt: skip
    return np.asarray(som.codebook).reshape(ROWS * COLS, -1)


def somoclu_available() -> str | None:
    """None when somoclu's compiled module loads, else why not."""
    try:
        from somoclu import somoclu_wrap  # noqa: F401
    except Exception as exc:  # ImportError of the missing _somoclu_wrap extension
        return f"{type(exc).__name__}: {exc}"
    return None


def bench(n: int, threads: int, repeats: int, clock: str = "wall") -> list[dict[str, object]]:
    X = blobs(n)
    tools: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "cortexkit": run_cortexkit,
        "MiniSom": run_minisom,
    }
    if somoclu_available() is None:
        tools["somoclu"] = run_somoclu
    times: dict[str, list[float]] = {name: [] for name in tools}
    now = time.process_time if clock == "cpu" else time.perf_counter
    quality: dict[str, tuple[float, float]] = {}
    torch.set_num_threads(threads)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            for name, fn in tools.items():  # alternating order, same conditions
                t0 = now()
                codebook = fn(X)
                times[name].append(now() - t0)
                quality.setdefault(name, errors(codebook, X))
    rows = []
    for name in tools:
        qe, te = quality[name]
        rows.append({"n": n, "threads": threads, "tool": name, "seconds": statistics.median(
            times[name]), "qe": qe, "te": te, "all": times[name]})  # fmt: skip
    return rows


def table(rows: list[dict[str, object]]) -> str:
    out = ["| data | threads | tool | seconds (median) | QE | TE | x faster than MiniSom "
           "| x faster than somoclu |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in rows:
        peers = {
            r["tool"]: r for r in rows if r["n"] == row["n"] and r["threads"] == row["threads"]
        }
        cells = []
        for peer in ("MiniSom", "somoclu"):
            p = peers.get(peer)
            cells.append("" if p is None or p is row else f"{p['seconds'] / row['seconds']:.1f}")
        out.append(f"| {row['n']:,} x 20 | {row['threads']} | {row['tool']} | "
                   f"{row['seconds']:.3f} | {row['qe']:.4f} | {row['te']:.4f} | "
                   f"{cells[0]} | {cells[1]} |")  # fmt: skip
    return "\n".join(out)


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def big_worker(threads: int, device: str) -> None:
    """The 1,000,000 x 50, 50x50 run; prints JSON (run in a child process).

    The data is made a chunk at a time in float32 (no float64 copy), then the process's
    peak resident memory is reset (``/proc/self/clear_refs``), so that the peak read
    after ``fit`` is the fit's own, the data included.
    """
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 50
    centres = rng.normal(0, 3, (8, d)).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        rows = min(100_000, n - start)
        X[start : start + rows] = centres[rng.integers(0, 8, rows)]
        X[start : start + rows] += rng.standard_normal((rows, d), dtype=np.float32)
    X -= X.mean(0)
    X /= X.std(0)
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM, the peak RSS
        fh.write("5")
    before = _status_mb("VmRSS")
    with threadpool_limits(threads):
        som = SelfOrganizingMap((50, 50), epochs=2, random_state=0, device=device).fit(X)
    peak = _status_mb("VmHWM")
    gpu = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    print(json.dumps({"threads": threads, "peak_mb": peak, "before_mb": before,
                      "data_mb": X.nbytes / 2**20, "gpu_mb": gpu, "epoch_s": som.history_["time"],
                      "qe": som.history_["quantization_error"][-1],
                      "te": som.history_["topographic_error"][-1]}))  # fmt: skip


def big(threads: list[int], devices: list[str]) -> str:
    out = [
        "| data | map | device | threads | seconds per epoch | peak RSS in fit (MB) "
        "| above the data (MB) | GPU peak (MB) | QE (sample) | TE (sample) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for device in devices:
        for t in threads if device == "cpu" else threads[:1]:
            command = [sys.executable, __file__, "--big-worker", str(t), "--device", device]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.splitlines()[-1])
            per_epoch = ", ".join(f"{s:.2f}" for s in r["epoch_s"])
            out.append(
                f"| 1,000,000 x 50 | 50x50 | {device} | {t} | {per_epoch} | {r['peak_mb']:.0f} "
                f"| {r['peak_mb'] - r['before_mb']:.0f} | {r['gpu_mb']:.0f} | {r['qe']:.3f} "
                f"| {r['te']:.3f} |"
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--big", action="store_true", help="also the 1,000,000 x 50 run")
    parser.add_argument("--device", default="cpu", help="the --big run's devices, e.g. cpu,cuda")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="time fits by the wall clock or by the process's CPU time",
    )
    parser.add_argument("--big-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 1 thread, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.threads, args.repeats = "20000", "1", 1
    if args.big_worker is not None:
        big_worker(args.big_worker, args.device)
        return
    threads = [int(t) for t in args.threads.split(",")]
    missing = somoclu_available()
    if missing:
        print(f"somoclu left out: its compiled module does not load ({missing})")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        for t in threads:
            rows += bench(n, t, args.repeats, args.clock)
            done = [f"{r['tool']} {r['all']}" for r in rows[-3:] if r["n"] == n]
            print(f"done {n} at {t} thread(s): " + ", ".join(done), file=sys.stderr)
    print(table(rows))
    if args.big:
        print()
        print(big(threads, args.device.split(",")))


if __name__ == "__main__":
    main()
