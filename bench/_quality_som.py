"""The SOM quality suite: ``SelfOrganizingMap`` beside MiniSom on many data sets.

Usage: ``python bench/quality.py som [--half choose|report|all] [--candidates NAMES|all]
[--seeds 0,1] [--quick] [--only NAME,NAME]``.

Data sets (every one standardised, float32; each its own map):

- ``blobs12_20d``: the issue's case, 12 overlapping Gaussian blobs in 20-D
  (``make_blobs(5000, 20, centers=12, cluster_std=5)``: centres drawn in [-10, 10]^20, so
  neighbouring clusters overlap), on a 30x30 map;
- ``blobs16_24d``, ``blobs10_30d``: the same kind, 16 blobs in 24-D (30x30) and 10 blobs
  in 30-D (25x25), standard deviations 6 and 4;
- ``swiss_roll`` (20x30) and ``s_curve`` (scikit-learn's generators, 3000 rows, noise
  0.5): a 2-D sheet rolled up in 3-D, the classic test of a map's ordering;
- scikit-learn's bundled tables ``iris``, ``wine``, ``breast_cancer``, ``diabetes`` and
  ``digits`` (8x8 images, 64 features);
- ``mnist_10k`` (``../shared/data``, 784 pixels, the first 5,000 of the 10,000 test
  images);
- ``churn`` (Churn_Modelling, numeric columns and one-hot geography and gender) and
  ``credit_card`` (the SOM fraud course's Australian credit applications) from
  ``../shared/data``;
- statsmodels' bundled tables ``sm_fair`` (6,366 x 9), ``sm_anes96`` (944 x 11),
  ``sm_star98`` (303 x 22), ``sm_randhie`` (20,190 x 10), ``sm_modechoice`` (840 x 9) and
  ``sm_macrodata`` (203 x 14).

Map sizes follow MiniSom's rule of thumb (its class docstring: about ``5 sqrt(N)`` nodes,
here a square of side ``round(sqrt(5 sqrt(N)))``, 5 at least), except where a size is
given above.

The peer: MiniSom (``bench`` extra), ``sigma`` set for the map size, as its docstring
says it must be ("adequate to the dimensions of the map"): a tenth of the map's longer
side, 1 at least (3 on 30x30, the issue's "normal setting for that map size"; the
digits example of its repository uses 4 on 30x30, ``--peer-sigma-ratio 0.133``). The
rest as documented: learning rate 0.5, its default asymptotic decays,
``pca_weights_init`` and ``train(X, num_iteration, random_order=True)`` (what its
``train_random`` does) for ``max(N, 10 x nodes)`` iterations (its examples: 1,000
iterations for Iris on 7x7, 5,000 for digits on 30x30: a few passes, 5 to 20 per node).

Metrics, by one function for both (``errors``): the quantisation error (mean distance to
the best-matching unit) and the topographic error (share of rows whose best and second
best units do not touch; diagonal neighbours touch, MiniSom's rule), on all rows; and the
fit's time (one thread, ``threadpoolctl`` too; MiniSom's and ours in the same run). The
goal (issue 17): on every data set TE <= MiniSom's + 0.02 and QE <= 1.02 x MiniSom's.

How the defaults were chosen: the candidates (``CANDIDATES``, named by ``candidate``)
were run on the ``choose`` half in rounds (the comment above ``CANDIDATES`` lists every
one and what it showed), and the defaults are the candidate that met the goal on every
choose-half set with the fewest passes; the report half was run at the end, once, at the
chosen defaults and the old ones (``--half report --seeds 0,1,2,3 --candidates
default,old``).
"""

from __future__ import annotations

import argparse
import gzip
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from _quality_common import in_half, markdown_table
from cortexkit import SelfOrganizingMap

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")

Loader = Callable[[], np.ndarray]


@dataclass
class DataSet:
    load: Loader
    grid: tuple[int, int] | None = None  # None: MiniSom's rule of thumb


def _blobs(n: int, d: int, centers: int, std: float, seed: int) -> Loader:
    def load() -> np.ndarray:
        from sklearn.datasets import make_blobs

        return make_blobs(n, n_features=d, centers=centers, cluster_std=std,
                          random_state=seed)[0]  # fmt: skip

    return load


def _sklearn(name: str) -> Loader:
    def load() -> np.ndarray:
        import sklearn.datasets as ds

        return np.asarray(getattr(ds, f"load_{name}")().data)

    return load


def _manifold(name: str) -> Loader:
    def load() -> np.ndarray:
        import sklearn.datasets as ds

        return getattr(ds, f"make_{name}")(3000, noise=0.5, random_state=0)[0]

    return load


def _statsmodels(name: str, rows: int | None = None) -> Loader:
    def load() -> np.ndarray:
        import statsmodels.datasets as sd

        df = getattr(sd, name).load_pandas().data.select_dtypes("number").dropna()
        X = df.to_numpy(dtype=np.float64)
        return X[np.random.default_rng(0).permutation(len(X))[:rows]] if rows else X

    return load


def _churn() -> np.ndarray:
    import pandas as pd

    df = pd.read_csv(DATA / "churn-modelling" / "Churn_Modelling.csv")
    df = df.drop(columns=["RowNumber", "CustomerId", "Surname", "Exited"])
    return pd.get_dummies(df, columns=["Geography", "Gender"], dtype=float).to_numpy(float)


def _credit() -> np.ndarray:
    import pandas as pd

    df = pd.read_csv(DATA / "credit-card-applications" / "Credit_Card_Applications.csv")
    return df.drop(columns=["CustomerID", "Class"]).to_numpy(float)


def _mnist() -> np.ndarray:
    with gzip.open(DATA / "mnist-idx-test10k" / "t10k-images-idx3-ubyte.gz") as fh:
        raw = np.frombuffer(fh.read(), dtype=np.uint8, offset=16)
    return raw.reshape(-1, 784)[:5000].astype(np.float64)


DATASETS: dict[str, DataSet] = {
    "blobs12_20d": DataSet(_blobs(5000, 20, 12, 5.0, 0), (30, 30)),
    "blobs16_24d": DataSet(_blobs(5000, 24, 16, 6.0, 1), (30, 30)),
    "blobs10_30d": DataSet(_blobs(4000, 30, 10, 4.0, 2), (25, 25)),
    "swiss_roll": DataSet(_manifold("swiss_roll"), (20, 30)),
    "s_curve": DataSet(_manifold("s_curve")),
    "iris": DataSet(_sklearn("iris")),
    "wine": DataSet(_sklearn("wine")),
    "breast_cancer": DataSet(_sklearn("breast_cancer")),
    "diabetes": DataSet(_sklearn("diabetes")),
    "digits": DataSet(_sklearn("digits")),
    "mnist_10k": DataSet(_mnist, (20, 20)),
    "churn": DataSet(_churn),
    "credit_card": DataSet(_credit),
    "sm_fair": DataSet(_statsmodels("fair")),
    "sm_anes96": DataSet(_statsmodels("anes96")),
    "sm_star98": DataSet(_statsmodels("star98")),
    "sm_randhie": DataSet(_statsmodels("randhie")),
    "sm_modechoice": DataSet(_statsmodels("modechoice")),
    "sm_macrodata": DataSet(_statsmodels("macrodata")),
}


def standardise(X: np.ndarray) -> np.ndarray:
    std = X.std(0)
    X = (X[:, std > 0] - X.mean(0)[std > 0]) / std[std > 0]
    return X.astype(np.float32)


def grid_for(name: str, n: int) -> tuple[int, int]:
    given = DATASETS[name].grid
    if given is not None:
        return given
    side = max(5, round(math.sqrt(5 * math.sqrt(n))))
    return side, side


def errors(codebook: np.ndarray, X: np.ndarray, grid: tuple[int, int]) -> tuple[float, float]:
    """(quantisation error, topographic error) of a ``(rows * cols, features)`` codebook
    (node ``k`` at row ``k // cols``), on every row of ``X``."""
    cols = grid[1]
    W = torch.from_numpy(np.ascontiguousarray(codebook, dtype=np.float32))
    data = torch.from_numpy(X)
    qe, far = 0.0, 0
    for start in range(0, len(X), 2048):
        d = torch.cdist(data[start : start + 2048], W)
        best, units = d.topk(2, dim=1, largest=False)
        qe += float(best[:, 0].sum())
        r, c = units // cols, units % cols
        far += int((((r[:, 0] - r[:, 1]).abs() > 1) | ((c[:, 0] - c[:, 1]).abs() > 1)).sum())
    return qe / len(X), far / len(X)


# -- the peer ------------------------------------------------------------------------------------


def peer_sigma(grid: tuple[int, int], ratio: float) -> float:
    return max(1.0, ratio * max(grid))


def run_minisom(X: np.ndarray, grid: tuple[int, int], seed: int, ratio: float) -> np.ndarray:
    from minisom import MiniSom

    rows, cols = grid
    som = MiniSom(rows, cols, X.shape[1], sigma=peer_sigma(grid, ratio), learning_rate=0.5,
                  random_seed=seed)  # fmt: skip
    som.pca_weights_init(X)
    som.train(X, max(len(X), 10 * rows * cols), random_order=True)
    return som.get_weights().reshape(rows * cols, -1)


# -- the candidates ------------------------------------------------------------------------------


def _to_one(start: float, progress: float) -> float:
    """MiniSom's ``inverse_decay_to_one`` as a share of the run: ``start`` down to 1."""
    return start / (1 + progress * (start - 1)) if start > 1 else start


def _linear_to_one(start: float, progress: float) -> float:
    return start + progress * (1 - start) if start > 1 else start


def _to_quarter(start: float, progress: float) -> float:
    return start / (1 + 3 * progress)


def _to_fifth(start: float, progress: float) -> float:
    return start / (1 + 4 * progress)


_DECAYS: dict[str, Any] = {
    "asym": "asymptotic",  # to a third (MiniSom's default)
    "to1": _to_one,  # MiniSom's inverse_decay_to_one
    "lin1": _linear_to_one,  # MiniSom's linear_decay_to_one
    "q4": _to_quarter,
    "q5": _to_fifth,
}


def candidate(name: str) -> dict[str, Any]:
    """The parameters a candidate's name stands for: ``r{R}_{decay}_{e|n}{K}[_u{U}][_f{F}]``
    is sigma = R/100 x the map's longer side (F/100 at least, else 1), the sigma decay
    ``decay`` (``_DECAYS``), ``eK`` K passes or ``nK`` enough passes for K presentations
    per node (1 at least), ``uU`` a mini-batch of rows / U (16 to 512) and ``tT`` one of
    passes x rows / T (16 to 512)."""
    if name == "default":  # the estimator's defaults, whatever they are now
        return {}
    if name == "old":  # the defaults before issue 17: sigma 1 on any map, one pass
        return {"sigma": 1.0, "sigma_decay": "asymptotic", "epochs": 1}
    ratio, decay, length, *rest = name.split("_")
    p: dict[str, Any] = {"sigma_ratio": int(ratio[1:]) / 100, "sigma_decay": _DECAYS[decay]}
    p["epochs" if length[0] == "e" else "passes_per_node"] = int(length[1:])
    for part in rest:
        key = {"u": "updates_per_pass", "t": "updates_total", "f": "sigma_floor"}[part[0]]
        p[key] = int(part[1:]) / (100 if key == "sigma_floor" else 1)
    return p


# Every candidate tried, by round (choose half unless said; "met" = sets meeting the goal):
# 1. one seed, the whole choose half: old 0/11; r10_asym_e1 4/11 (a tenth of the side
#    mends the folding: TE below MiniSom's everywhere, but one pass leaves small tables'
#    QE 1.1-1.3x); r10_asym_e2 8/11; r10_asym_n5 6/11; r10_asym_n10 9/11 (swiss roll QE
#    1.039, s-curve 1.024); r15_asym_n10 1/11 (lower TE, QE 1.04-1.38x).
#    Before it, a first look on both halves (a slip: --half all, one seed, blobs12_20d,
#    blobs16_24d, iris and wine): r15_to1_e1 (sigma down to 1: QE 1.4-1.8x on 8x8 maps);
#    then on iris, wine, diabetes and sm_macrodata: r10_asym_e3, r10_asym_e5,
#    r10_asym_e10, r15_asym_e5, r10_to1_e5 (QE 1.3-1.55x), r10_asym_n5, r10_asym_n10.
# 2. two seeds, the eight tightest sets: r10_asym_n20 8/8 (4 passes on 30x30 maps of
#    5,000 rows); r10_q4_n10 2/8 and r10_q5_n10 1/8 (QE down, TE up to +0.11);
#    r8_asym_n10 6/8; r12_q4_n10 6/8.
# 3. two seeds, swiss roll, s-curve, modechoice, breast cancer, blobs16_24d: smaller
#    mini-batches r10_asym_n10_u40 5/5 (worst QE 1.019) and r10_asym_n10_u80 3/5;
#    r10_asym_n15 5/5 (worst 1.005).
# 4. the whole choose half at r10_asym_n15, two seeds: 10/11, sm_macrodata's TE +0.039
#    (six seeds: +0.029; 8x8 maps start at sigma 1 and end at a third). Six seeds on the
#    small maps (macrodata, wine, diabetes, breast cancer, modechoice):
#    r10_asym_n15_f125 5/5 (worst QE 1.001), r10_asym_n15_f150 1/5 (QE 1.03-1.07x),
#    r12_asym_n15 (= the default on 8x8 maps, no help). Chosen: r10_asym_n15_f125, now
#    the estimator's defaults ("default"): 11/11 on the choose half over seeds 0-3.
# 5. speed of the multi-pass fits (fewer rows than 15 per node), two seeds: larger
#    mini-batches, rows / 10 or rows / 7 (r10_asym_n15_u10_f125, r10_asym_n15_u7_f125: 6/6
#    on the multi-pass sets, 1.3-1.7x faster), and passes x rows / 20
#    (r10_asym_n15_t20_f125: 11/11 on the whole choose half, 1.3-2x faster, but worst QE
#    1.019x, diabetes, against 1.006x). Not taken: the margin is too thin for data nobody
#    tuned to, and the speed goal is stated at one pass, where nothing changes.
# 6. the peer's sigma (two seeds, six sets): against MiniSom at sigma = side / 7.5
#    (``--peer-sigma-ratio 0.133``, its digits example's 4 on 30x30) the default has
#    3-18% lower QE but TE up to 0.05 higher (7/11 met): the two maps lie on one QE-TE
#    frontier, and the goal pairs the peer's sigma with ours. r13_asym_n15_f125 (sigma
#    side / 7.7) meets it against that peer (6/6) and fails it against side / 10 (1/6);
#    r12_asym_n15_f125 3/6 against side / 10. The defaults follow the peer.
CANDIDATES: dict[str, dict[str, Any]] = {
    name: candidate(name)
    for name in (
        "default", "old", "r15_to1_e1", "r10_asym_e1", "r10_asym_e2", "r10_asym_e3",
        "r10_asym_e5", "r10_asym_e10", "r15_asym_e5", "r10_to1_e5", "r10_asym_n5",
        "r10_asym_n10", "r15_asym_n10", "r10_asym_n20", "r10_q4_n10", "r10_q5_n10",
        "r8_asym_n10", "r12_q4_n10", "r10_asym_n10_u40", "r10_asym_n10_u80",
        "r10_asym_n15", "r12_asym_n15", "r10_asym_n15_f125", "r10_asym_n15_f150",
        "r10_asym_n15_u10_f125", "r10_asym_n15_u7_f125", "r10_asym_n15_t20_f125",
        "r12_asym_n15_f125", "r13_asym_n15_f125",
    )
}  # fmt: skip


def run_ours(X: np.ndarray, grid: tuple[int, int], seed: int, params: dict[str, Any]) -> np.ndarray:
    p = dict(params)
    ratio, floor = p.pop("sigma_ratio", None), p.pop("sigma_floor", 1.0)
    if ratio is not None:
        p["sigma"] = max(floor, ratio * max(grid))
    per_node = p.pop("passes_per_node", None)
    if per_node is not None:
        p["epochs"] = max(1, math.ceil(per_node * grid[0] * grid[1] / len(X)))
    updates = p.pop("updates_per_pass", None)  # batch_size = rows / updates, 16 to 512
    if updates is not None:
        p["batch_size"] = int(min(max(len(X) // updates, 16), 512))
    total = p.pop("updates_total", None)  # batch_size = passes x rows / total, 16 to 512
    if total is not None:
        p["batch_size"] = int(min(max(p["epochs"] * len(X) // total, 16), 512))
    som = SelfOrganizingMap(grid, random_state=seed, device="cpu", **p).fit(X)
    return som.weights_.numpy()


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    t0 = time.process_time()
    out = fn()
    return out, time.process_time() - t0


def evaluate(
    names: list[str], candidates: list[str], seeds: list[int], ratio: float
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in names:
        X = standardise(DATASETS[name].load())
        grid = grid_for(name, len(X))
        peer = [timed(partial(run_minisom, X, grid, s, ratio)) for s in seeds]
        peer_err = [errors(cb, X, grid) for cb, _ in peer]
        p_qe = statistics.mean(e[0] for e in peer_err)
        p_te = statistics.mean(e[1] for e in peer_err)
        p_t = statistics.median(t for _, t in peer)
        for cand in candidates:
            params = CANDIDATES[cand] if cand in CANDIDATES else candidate(cand)
            ours = [timed(partial(run_ours, X, grid, s, params)) for s in seeds]
            err = [errors(cb, X, grid) for cb, _ in ours]
            qe = statistics.mean(e[0] for e in err)
            te = statistics.mean(e[1] for e in err)
            t = statistics.median(t for _, t in ours)
            rows.append({
                "data": name, "shape": f"{X.shape[0]}x{X.shape[1]}",
                "map": f"{grid[0]}x{grid[1]}", "candidate": cand,
                "TE": te, "MiniSom TE": p_te, "QE": qe, "MiniSom QE": p_qe,
                "QE ratio": qe / p_qe, "x faster": p_t / max(t, 1e-9),
                "ok": "yes" if te <= p_te + 0.02 and qe <= 1.02 * p_qe else "NO",
            })  # fmt: skip
            print(markdown_table(rows[-1:]).splitlines()[-1], flush=True)
    return rows


def summary(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for cand in dict.fromkeys(str(r["candidate"]) for r in rows):
        mine = [r for r in rows if r["candidate"] == cand]
        out.append({
            "candidate": cand,
            "sets met": f"{sum(r['ok'] == 'yes' for r in mine)}/{len(mine)}",
            "mean TE - MiniSom's": statistics.mean(
                float(r["TE"]) - float(r["MiniSom TE"]) for r in mine),  # type: ignore[arg-type]
            "worst QE ratio": max(float(r["QE ratio"]) for r in mine),  # type: ignore[arg-type]
            "median x faster": statistics.median(float(r["x faster"]) for r in mine),  # type: ignore[arg-type]
        })  # fmt: skip
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="quality.py som", description=__doc__.splitlines()[0])
    parser.add_argument("--half", default="report", choices=["choose", "report", "all"])
    parser.add_argument("--candidates", default="default",
                        help="comma-separated names from CANDIDATES, or 'all'")  # fmt: skip
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--only", default=None, help="comma-separated data sets")
    parser.add_argument("--peer-sigma-ratio", type=float, default=0.1)
    parser.add_argument("--quick", action="store_true", help="one seed")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    names = in_half(args.only.split(",") if args.only else DATASETS, args.half)
    candidates = list(CANDIDATES) if args.candidates == "all" else args.candidates.split(",")
    seeds = [int(s) for s in args.seeds.split(",")][: 1 if args.quick else None]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = evaluate(names, candidates, seeds, args.peer_sigma_ratio)
    print()
    print(markdown_table(rows))
    if len(candidates) > 1:
        print()
        print(markdown_table(summary(rows)))
