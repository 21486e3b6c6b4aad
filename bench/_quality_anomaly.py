"""The anomaly suite of ``bench/quality.py``: ROC AUC of anomaly scores on 28 tasks.

Usage: ``python bench/quality.py anomaly [--half choose|report|all] [--seeds 3]
[--candidates] [--quick] [--out table.md]``.

The tasks (``bench/_anomaly_sets.py``) follow ADBench's protocol on classification
data: one class (or a small sample of the rare class) is the anomaly, 5% of the rows;
every model fits on all the rows, anomalies included, without their labels, and scores
the same rows; the labels only compute the ROC AUC. Each seed draws its own rows and
seeds the models. The table gives each task's mean over the seeds, and the mean over the
tasks of the half.

Peers (scikit-learn's defaults, as its documentation advises): ``iforest`` is
``IsolationForest()``, its ``-score_samples``; ``pca`` is the squared reconstruction
error from ``PCA(n_components=0.9)`` (the components that keep 90% of the variance).
Contenders, at their defaults: ``ae`` is ``AutoEncoder().anomaly_scores``, ``ae-ens3`` is
``AutoEncoder(n_estimators=3)``, the ensemble option, and ``som`` is
``SelfOrganizingMap().anomaly_scores``.

How the defaults were chosen (``--candidates`` on ``--half choose``; every candidate tried
is listed below and stays runnable):

- ``WIDTHS``: rules that make the autoencoder's layer widths follow the input width ``d``,
  each scored two ways from one fit: ``std``, each entry's squared error divided by its
  mean over the rows (``anomaly_scores``), and ``mse``, the plain mean squared error;
  for ``d/2-d/4`` also ``std+t2``, plus the codes' mean squared standardised value
  (Hotelling's T2 beside the residual, as PCA monitoring pairs them).
  Each is ``(hidden share, code share)``: the hidden layer ``round(share * d)`` units
  (capped at 128), the code ``round(share * d)`` (capped at 32, at least 2 and always
  below ``d``); ``None`` as the hidden share means no hidden layer. ``(128, 32)`` is the
  old fixed default, for reference.
- ``ENSEMBLES``: ``n_estimators``, the autoencoders (of the chosen widths) trained side
  by side whose errors are averaged (the single network is the widths' row); with them,
  ``TRAINING``: variants of one network's training (fewer epochs, weight decay, a
  denoising autoencoder).
- ``SOM_SCORES``: what the default map calls a sample's anomaly score, from one fit:
  its distance to the best-matching unit (``qe``), the U-matrix value there (``umatrix``),
  their sum in data units (``qe+umatrix``), or the mean distance to its ``k`` nearest
  units (``knn3``, ``knn5``).

The choice is the candidate with the best mean ROC AUC on the choose half, preferring the
simpler one within 0.005; the goals are read on the report half (``--half report``).

What the choose half said (2 seeds; the tables are in ``bench/README.md``):

- widths, 15 tasks: ``d/2-d/4|std`` 0.777 (IsolationForest 0.794, the old fixed
  ``(128, 32)`` 0.664); ``std`` beat ``mse`` for every rule (by 0.004 to 0.017).
  ``std+t2``, tried first in a prototype on the 13 tasks without MNIST: 0.785 against
  ``std``'s 0.802, dropped.
- ensembles: ``n_estimators=3`` 0.908, 5 0.904, one network 0.893 (IsolationForest 0.912),
  on the first 5 tasks only: the run was stopped there, the shared machine being too busy
  to finish it in time. The fewer, so 3.
- SOM scores, 3 seeds, 15 tasks: on the default map (and on the sigma-3 map) ``qe`` 0.756
  (0.769), ``umatrix`` 0.738 (0.700), ``qe+umatrix`` 0.800 (0.784), ``knn3`` 0.792 (0.776),
  ``knn5`` 0.803 (0.780); IsolationForest 0.789. ``qe+umatrix`` has the best mean over
  both maps (0.792), the sum of the two classic SOM signals.
- Second round (2026-12-07, after the report half missed; choose half only, 15 tasks):
  ``SOM_EXTRA`` on the default map, 1 seed: ``qe+umatrix`` 0.818, ``smooth1/2/3``
  0.752/0.793/0.796, ``smooth1/2/3+umatrix`` 0.810/0.811/0.813, ``smooth1/2/3-plain``
  0.784/0.795/0.792, ``cblof4`` 0.764, ``cblof8`` 0.789 (IsolationForest 0.798): none
  beats ``qe+umatrix``, which stays. The autoencoder's ``TRAINING`` variants, 2 seeds:
  the default 0.777, ``epochs=10`` 0.767, ``epochs=25`` 0.785, ``batch_size=16`` 0.784,
  ``learning_rate=1e-2`` 0.749, ``n_estimators=3`` 0.785 (IsolationForest 0.794): within
  0.01 of the default, none reaches IsolationForest. (All of these ran at ``trim=0``.)
- Third round: the trimmed loss (``trim``: each batch's worst reconstructed share of rows
  left out of the loss, so that the unlabelled anomalies are not learnt), 2 seeds, choose
  half: ``trim`` 0 0.777, 0.05 0.782, 0.1 0.781, 0.2 0.801, 0.3 0.800, 0.4 0.802, 0.5
  0.798 (IsolationForest 0.794). The smallest within 0.005 of the best, 0.2, became the
  default. At ``trim=0.2``, the ensembles (``ENSEMBLES``, 2 seeds, every choose task): one
  network 0.801, ``n_estimators=3`` 0.809, 5 0.813 (IsolationForest 0.794); 5 is within
  0.005 of 3, so the ensemble option stays 3. The ``WIDTHS`` again at ``trim=0.2``
  (``--candidates widths``, 2 seeds): ``d/2-d/4`` std 0.801 (the default) / mse 0.804,
  ``d-d/4`` 0.789 / 0.788, ``d/2-d/8`` 0.803 / 0.810, ``code-d/2`` 0.803 / **0.812**,
  ``code-d/4`` 0.776 / 0.782, ``fixed-128-32`` 0.781 / 0.782, ``d/2-d/4|std+t2`` 0.765.
  Under trimming, the plain mean squared error now edges out the standardised one, and
  one code layer of ``d/2`` is best, 0.011 above the default: past the 0.005 that makes
  a change. Two more seeds (2 and 3, a throwaway script kept at
  ``/work/notes/widths2.py``) put it back in the noise: default 0.796, ``code-d/2|mse``
  0.784, ``d/2-d/8|mse`` 0.816 (IsolationForest 0.776). Over the 4 seeds ``d/2-d/8|mse``
  (hidden ``d/2``, code ``d/8``, the plain squared error) is the steady one: 0.813 against
  0.799. It was tried as the default (code ``d/8``, the plain error), and the report
  half read 0.638 for the autoencoder (0.623 at today's default) but 0.625 for the
  3-network ensemble (0.635). The README's breast-cancer example fell from 0.938 to
  0.871, and docs/autoencoder.md's planted-outlier example from above 0.8 to 0.793.
  The evidence is mixed and within the noise, so it was reverted. It needs more seeds
  and more tasks before it can become the default.
- Fourth round (``--candidates scores``, 4 seeds, choose half; the report half had lost
  on anomalies that lie between the other classes, which a reconstruction interpolates):
  other scores from the default network's one fit. ``std`` (the default) 0.799, ``mse``
  0.801, ``l1`` (mean absolute error) 0.803, ``l1std`` 0.803, ``medstd`` (each entry's
  error over its median) 0.796, ``varstd`` (over the column's variance) 0.792,
  ``top10std`` (the worst tenth of the entries) 0.783 (IsolationForest 0.785): none beats
  the default by more than 0.005, so it stays. A density term in the code space
  (2 seeds: the mean distance to the ``k`` nearest codes, standardised, alone or added
  to ``std``, each divided by its mean): ``knn5`` 0.621, ``knn10`` 0.631, ``std+knn5``
  0.785, ``std+knn10`` 0.789, against ``std``'s 0.801: the codes are no density to
  speak of, dropped. The distance to the nearest training rows' reconstructions (``near``:
  the mean of the ``k`` smallest mean squared distances, ``k`` a share of the rows), 4
  seeds: ``near0.05`` 0.818, ``near0.1`` 0.817, ``near0.1-es`` (each entry over its error
  scale) 0.810, ``near0.1-var`` (over its column's variance) 0.798, against ``std``'s
  0.799 (IsolationForest 0.785). ``near0.1`` became the default score
  (``AutoEncoder(scoring="neighbours")``, ``ae[neighbours]``: 0.817 from the codes
  it keeps): the two shares tie, and a tenth keeps a cluster of anomalies up to a tenth of
  the rows from hiding among its own reconstructions. At that score, two training
  variants that fit small tables harder (4 seeds, a throwaway script): ``batch_size=16``
  0.818, ``learning_rate=3e-3`` 0.822, against 0.817: within 0.005, the defaults stay.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from _anomaly_sets import TASKS, task
from _quality_common import in_half, markdown_table
from cortexkit import AutoEncoder, SelfOrganizingMap
from cortexkit.autoencoder.scoring import nearest_distances

Scorer = Callable[[np.ndarray, int], dict[str, np.ndarray]]

#: every width rule tried: name -> (hidden share or None, code share) or fixed widths
WIDTHS: dict[str, tuple[float | None, float] | tuple[int, int]] = {
    "fixed-128-32": (128, 32),
    "d/2-d/4": (0.5, 0.25),
    "d-d/4": (1.0, 0.25),
    "d/2-d/8": (0.5, 0.125),
    "code-d/2": (None, 0.5),
    "code-d/4": (None, 0.25),
}
#: every ensemble size tried (seeds of the default autoencoder, scores averaged)
ENSEMBLES = (3, 5)
#: training variants tried at the chosen widths (one network each)
TRAINING: dict[str, dict[str, object]] = {
    "epochs=30": {"epochs": 30},
    "weight_decay=1e-3": {"weight_decay": 1e-3},
    "denoising": {"kind": "denoising"},
    "epochs=10": {"epochs": 10},
    "epochs=25": {"epochs": 25},
    "batch_size=16": {"batch_size": 16},
    "learning_rate=1e-2": {"learning_rate": 1e-2},
    "learning_rate=3e-3": {"learning_rate": 3e-3},
    "trim=0": {"trim": 0.0},
    "trim=0.05": {"trim": 0.05},
    "trim=0.1": {"trim": 0.1},
    "trim=0.3": {"trim": 0.3},
    "trim=0.4": {"trim": 0.4},
    "trim=0.5": {"trim": 0.5},
    "ens3-trim=0": {"n_estimators": 3, "trim": 0.0},
}
#: the ensemble option the report half scores
ENSEMBLE = 3
#: every SOM score tried (the library's, :func:`cortexkit.som.anomaly.som_anomaly_scores`)
SOM_SCORES = ("qe", "umatrix", "qe+umatrix", "knn3", "knn5")
#: SOM scores tried in this script only: the distance to the BMU's weight on a smoothed map
#: (each node's weight averaged over the grid with a Gaussian of this width, hits-weighted
#: or not, plus the U-matrix or not), and a CBLOF-style score (the nodes clustered by
#: k-means, weighted by hits; the distance to the nearest node of a large cluster)
SOM_EXTRA = {"smooth1": 1.0, "smooth2": 2.0, "smooth3": 3.0, "cblof4": 4, "cblof8": 8}
#: the maps the SOM scores are read from: the default, and a smoother one (sigma 3, as
#: MiniSom's documentation advises for a 10x10 map), so that the choice holds whatever
#: schedule the map's defaults settle on
SOM_MAPS: dict[str, dict[str, object]] = {"": {}, "-sigma3": {"sigma": 3.0}}


def widths_of(rule: tuple[float | None, float] | tuple[int, int], d: int) -> tuple[int, ...]:
    """The layer widths a rule of ``WIDTHS`` gives for ``d`` input columns."""
    if isinstance(rule[0], int) and isinstance(rule[1], int):
        return (rule[0], rule[1])
    hidden, code = rule
    c = max(2, min(32, round(float(code) * d)))
    c = max(1, min(c, d - 1))
    if hidden is None:
        return (c,)
    return (max(c + 1, min(128, round(float(hidden) * d))), c)


def iforest(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    return {"iforest": -IsolationForest(random_state=seed).fit(X).score_samples(X)}


def pca(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    model = PCA(n_components=0.9, random_state=seed).fit(X)
    return {"pca": ((X - model.inverse_transform(model.transform(X))) ** 2).sum(1)}


def _ae(X: np.ndarray, seed: int, **params: object) -> AutoEncoder:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoEncoder(random_state=seed, **params).fit(X)  # type: ignore[arg-type]


def autoencoder(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    ens = _ae(X, seed, n_estimators=ENSEMBLE)
    return {"ae": _ae(X, seed).anomaly_scores(X), f"ae-ens{ENSEMBLE}": ens.anomaly_scores(X)}


def som(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    return {"som": SelfOrganizingMap(random_state=seed).fit(X).anomaly_scores(X)}


def width_candidates(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    out = {}
    for name, rule in WIDTHS.items():
        ae = _ae(X, seed, hidden_layers=widths_of(rule, X.shape[1]))
        out[f"ae[{name}|std]"] = ae.anomaly_scores(X)
        out[f"ae[{name}|mse]"] = ((ae.predict(X) - X) ** 2).mean(1)
        if name == "d/2-d/4":  # plus Hotelling's T2 of the codes (PCA's T2 + Q statistic)
            Z = ae.transform(X)
            live = Z.std(0) > 1e-6
            t2 = (((Z[:, live] - Z[:, live].mean(0)) / Z[:, live].std(0)) ** 2).mean(1)
            out[f"ae[{name}|std+t2]"] = out[f"ae[{name}|std]"] + t2
    return out


def score_candidates(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """:data:`SCORES`, from one default autoencoder per seed (the fourth round)."""
    ae = _ae(X, seed)
    flat = X.reshape(len(X), -1)
    E = ae.predict(X).astype(np.float64).reshape(len(X), -1) - flat
    S, A = E**2, np.abs(E)

    def floored(v: np.ndarray) -> np.ndarray:  # as the library floors error_scale_
        return np.maximum(v, max(float(v.mean()) * 1e-3, 1e-12))

    scale = ae.error_scale_.cpu().numpy().astype(np.float64).reshape(1, -1)
    out = {"ae[std]": (S / scale).mean(1), "ae[mse]": S.mean(1), "ae[l1]": A.mean(1),
           "ae[l1std]": (A / floored(A.mean(0))).mean(1),
           "ae[medstd]": (S / floored(np.median(S, 0))).mean(1),
           "ae[varstd]": (S / floored(flat.var(0))).mean(1)}  # fmt: skip
    top = max(1, S.shape[1] // 10)
    out["ae[top10std]"] = np.sort(S / floored(S.mean(0)), 1)[:, -top:].mean(1)
    Z = ae.transform(X).astype(np.float64)
    Z = (Z - Z.mean(0)) / np.where(Z.std(0) > 1e-8, Z.std(0), 1.0)
    near = np.sort(torch.cdist(torch.as_tensor(Z), torch.as_tensor(Z)).numpy(), 1)
    std = out["ae[std]"]
    for k in (5, 10):  # the row itself among them, as when the training rows are the reference
        knn = near[:, : k + 1].mean(1)
        out[f"ae[knn{k}]"] = knn
        out[f"ae[std+knn{k}]"] = std / std.mean() + knn / knn.mean()
    # the distance to the nearest training rows' reconstructions (``scoring=
    # "neighbours"``): k a share of the rows; plain, or each entry over its error scale or
    # its column's variance; the library's own, from the codes it keeps
    F, H = torch.as_tensor(flat, dtype=torch.float64), torch.as_tensor(flat + E)
    for share in (0.05, 0.1):
        k = max(1, round(share * len(X)))
        out[f"ae[near{share}]"] = nearest_distances(F, H, k).numpy()
    for label, w in (("es", scale), ("var", floored(flat.var(0)).reshape(1, -1))):
        root = torch.as_tensor(np.sqrt(w))
        out[f"ae[near0.1-{label}]"] = nearest_distances(F / root, H / root, k).numpy()
    out["ae[neighbours]"] = ae.anomaly_scores(X)
    return out


def ensemble_candidates(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    out = {f"ae-ens{n}": _ae(X, seed, n_estimators=n).anomaly_scores(X) for n in ENSEMBLES}
    out.update({f"ae[{k}]": _ae(X, seed, **p).anomaly_scores(X) for k, p in TRAINING.items()})
    return out


def som_candidates(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    from cortexkit.som.anomaly import som_anomaly_scores

    out = {}
    for label, params in SOM_MAPS.items():
        model = SelfOrganizingMap(random_state=seed, **params).fit(X)  # type: ignore[arg-type]
        out.update({f"som{label}[{s}]": som_anomaly_scores(model, X, s) for s in SOM_SCORES})
        if not label:
            out.update({f"som[{k}]": v for k, v in som_extra_scores(model, X).items()})
    return out


def som_extra_scores(model: SelfOrganizingMap, X: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`SOM_EXTRA` scores of the rows ``X`` on the fitted map ``model``."""
    from sklearn.cluster import KMeans

    W = model.weights_.cpu().numpy().astype(np.float64)
    units = model._best(X)[1].cpu().numpy()
    hits = np.bincount(units, minlength=len(W)).astype(np.float64)
    grid = model._grid()
    d2 = grid.squared_distances(torch.arange(len(W))).cpu().numpy().astype(np.float64)
    umatrix = model.distance_map(normalize=False).ravel()[units]
    out = {}
    for name, width in SOM_EXTRA.items():
        if name.startswith("smooth"):
            kernel = np.exp(-d2 / (2 * float(width) ** 2))
            for label, k in (("", kernel * hits[None, :]), ("-plain", kernel)):
                smooth = (k @ W) / (k.sum(1, keepdims=True) + 1e-12)
                dist = np.sqrt(((X - smooth[units]) ** 2).sum(1))
                out[f"{name}{label}"] = dist
                if not label:
                    out[f"{name}+umatrix"] = dist + umatrix
            continue
        km = KMeans(n_clusters=min(int(width), len(W)), n_init=4, random_state=0)
        labels = km.fit(W, sample_weight=hits + 1e-3).labels_
        size = np.bincount(labels, weights=hits, minlength=km.n_clusters)
        order, large = np.argsort(-size), set()
        share = np.cumsum(size[order]) / size.sum()
        for i, c in enumerate(order):  # CBLOF's rule: 90% of the rows, or a 5x drop in size
            large.add(c)
            if share[i] >= 0.9 or (i + 1 < len(order) and size[c] >= 5 * size[order[i + 1]]):
                break
        big = W[np.isin(labels, list(large))]
        out[name] = np.sqrt(((X[:, None, :] - big[None]) ** 2).sum(-1)).min(1)
    return out


def run(names: list[str], seeds: int, scorers: list[Scorer]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in names:
        aucs: dict[str, list[float]] = {}
        start = time.perf_counter()
        for seed in range(seeds):
            X, y = task(name, seed)
            for scorer in scorers:
                for method, scores in scorer(X, seed).items():
                    aucs.setdefault(method, []).append(roc_auc_score(y, scores))
        row: dict[str, object] = {"task": name, "rows x cols": f"{len(X)} x {X.shape[1]}"}
        row.update({m: float(np.mean(v)) for m, v in aucs.items()})
        rows.append(row)
        print(f"{name}: {time.perf_counter() - start:.0f} s", row, flush=True)
    methods = [k for k in rows[0] if k not in ("task", "rows x cols")]
    mean: dict[str, object] = {"task": f"**mean of {len(rows)}**", "rows x cols": ""}
    mean.update({m: float(np.mean([float(r[m]) for r in rows])) for m in methods})  # type: ignore[arg-type]
    return [*rows, mean]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="quality.py anomaly", description=__doc__)
    parser.add_argument("--half", default="report", choices=["choose", "report", "all"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--candidates", choices=["widths", "ensemble", "som", "scores"],
                        default=None)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="one seed, every third task")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    names = in_half(TASKS, args.half)
    seeds = args.seeds
    if args.quick:
        names, seeds = names[::3], 1
    extra = {"widths": [width_candidates], "ensemble": [ensemble_candidates],
             "som": [som_candidates], "scores": [score_candidates],
             None: [autoencoder, som]}[args.candidates]  # fmt: skip
    with threadpool_limits(1):
        rows = run(names, seeds, [iforest, pca, *extra])
    table = markdown_table(rows)
    print(f"\nanomaly suite, {args.half} half, {seeds} seed(s), ROC AUC\n\n{table}")
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
