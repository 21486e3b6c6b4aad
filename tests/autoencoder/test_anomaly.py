"""AutoEncoder anomaly scores: default widths that follow the input, standardised errors,
the n_estimators ensemble and its model file."""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.metrics import roc_auc_score

from cortexkit import AutoEncoder, load
from cortexkit.autoencoder.ensemble import EnsembleNetwork
from cortexkit.autoencoder.widths import auto_widths

FAST = {"epochs": 40, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def wine_task() -> tuple[np.ndarray, np.ndarray]:
    """ADBench's protocol on wine: classes 1 and 2 are the inliers, 6 rows of class 0 the
    anomalies; every column standardised."""
    X, y = load_wine(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = np.r_[np.flatnonzero(y != 0), rng.choice(np.flatnonzero(y == 0), 6, replace=False)]
    X = X[rows]
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), (y[rows] == 0).astype(int)


def test_the_default_code_is_narrower_than_a_5_column_table() -> None:
    X = np.random.default_rng(0).normal(size=(200, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no BottleneckWarning at the defaults
        ae = AutoEncoder(epochs=2, random_state=0).fit(X)
    assert ae.hidden_layers == "auto"
    assert ae.fitted_params_["hidden_layers"] == auto_widths(5) == (3, 2)
    assert ae.transform(X).shape == (200, 2)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 12, 64, 300, 784])
def test_auto_widths_always_leave_a_bottleneck(n: int) -> None:
    widths = auto_widths(n)
    assert widths[-1] < max(n, 2) and all(w >= 1 for w in widths)
    assert widths[0] <= 128 and widths[-1] <= 32


def test_the_reconstruction_score_ranks_a_rare_class_above_the_others(
    wine_task: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = wine_task
    ae = AutoEncoder(scoring="reconstruction", **FAST).fit(X)
    scores = ae.anomaly_scores(X)
    assert roc_auc_score(y, scores) > 0.75  # chance is 0.5
    np.testing.assert_allclose(ae.score_samples(X), -scores)
    assert ae.error_scale_.shape == (X.shape[1],) and bool((ae.error_scale_ > 0).all())
    assert ae.reference_codes_ is None
    # each column's error divided by its training mean: the training rows average 1
    assert abs(float(scores.mean()) - 1.0) < 1e-4


def test_the_neighbours_score_is_the_distance_to_the_nearest_reconstructions(
    wine_task: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = wine_task
    ae = AutoEncoder(**FAST).fit(X)
    assert ae.scoring == "neighbours" and ae.reference_codes_.shape == (len(X), 3)
    distances = ((X[:, None, :] - ae.predict(X)[None]) ** 2).mean(2)  # every row is kept
    k = round(0.1 * len(X))
    expected = np.sort(distances, 1)[:, :k].mean(1)
    scores = ae.anomaly_scores(X)
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-6)
    assert roc_auc_score(y, scores) > 0.75
    np.testing.assert_allclose(ae.score_samples(X), -scores)
    assert np.mean(scores > ae.threshold_) == pytest.approx(0.05, abs=0.01)


def test_the_neighbours_score_finds_anomalies_between_the_classes() -> None:
    # Two classes on a plane in 6-d, and 5% of the rows half-way between them: the network
    # reconstructs the plane, those rows included, but they lie far from the rows it
    # reconstructs (the report half's iris-1 and digits-0 in small).
    rng = np.random.default_rng(0)
    plane = np.linalg.qr(rng.normal(size=(6, 2)))[0].T
    side = np.r_[np.full(190, -3.0), np.full(190, 3.0), np.zeros(20)]
    X = np.c_[side + rng.normal(0, 0.5, 400), rng.normal(0, 0.5, 400)] @ plane
    y = (side == 0).astype(int)
    learnt = {**FAST, "epochs": 100, "learning_rate": 0.01}  # the plane, learnt
    scores = {s: AutoEncoder(scoring=s, **learnt).fit(X).anomaly_scores(X)
              for s in ("neighbours", "reconstruction")}  # fmt: skip
    assert roc_auc_score(y, scores["neighbours"]) > 0.95
    assert roc_auc_score(y, scores["reconstruction"]) < 0.7


def test_at_most_reference_rows_are_kept_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    from cortexkit.autoencoder import scoring

    monkeypatch.setattr(scoring, "REFERENCE_ROWS", 50)
    X = np.random.default_rng(0).normal(size=(491, 5)).astype(np.float32)  # 50 rows 10 apart
    ae = AutoEncoder(epochs=2, random_state=0).fit(X)
    kept = torch.as_tensor(ae.transform(X[::10]), dtype=torch.float32)
    torch.testing.assert_close(ae.reference_codes_, kept)
    distances = ((X[:, None, :] - ae.predict(X[::10])[None]) ** 2).mean(2)
    expected = np.sort(distances, 1)[:, :5].mean(1)  # a tenth of the 50
    np.testing.assert_allclose(ae.anomaly_scores(X), expected, rtol=1e-4, atol=1e-6)


def test_ensemble_averages_its_members_and_survives_a_model_file(
    wine_task: tuple[np.ndarray, np.ndarray], tmp_path: pathlib.Path
) -> None:
    X, y = wine_task
    ens = AutoEncoder(n_estimators=3, **FAST).fit(X)
    assert isinstance(ens.network_, EnsembleNetwork) and len(ens.network_.members) == 3
    code = auto_widths(X.shape[1])[-1]
    assert ens.transform(X).shape == (len(X), 3 * code)
    np.testing.assert_allclose(ens.inverse_transform(ens.transform(X)), ens.predict(X), atol=1e-5)
    scores = ens.anomaly_scores(X)
    assert roc_auc_score(y, scores) > 0.75
    ens.save(tmp_path / "ens.ckm")
    back = load(tmp_path / "ens.ckm")
    assert back.n_estimators == 3 and back.threshold_ == ens.threshold_
    np.testing.assert_allclose(back.anomaly_scores(X), scores, rtol=1e-6)
    torch.testing.assert_close(back.error_scale_, ens.error_scale_)
    np.testing.assert_array_equal(back.predict_anomaly(X), ens.predict_anomaly(X))


def test_members_start_apart_and_train_on_their_own_loss() -> None:
    X = np.random.default_rng(1).normal(size=(120, 6)).astype(np.float32)
    ens = AutoEncoder(n_estimators=2, epochs=3, random_state=0).fit(X)
    a, b = (m.encoder[0].weight for m in ens.network_.members)
    assert not torch.allclose(a, b)  # their own initial weights
    loss = ens._objective.objective(torch.as_tensor(X))
    own = [
        ens._objective._member_objective(m, torch.as_tensor(X), None) for m in ens.network_.members
    ]
    torch.testing.assert_close(loss, torch.stack(own).mean())


def test_bad_n_estimators_is_named() -> None:
    with pytest.raises(ValueError, match="n_estimators"):
        AutoEncoder(n_estimators=0).fit(np.zeros((10, 3)))


def test_nearest_distances_keep_their_digits_far_from_zero() -> None:
    from cortexkit.autoencoder.scoring import nearest_distances

    rng = np.random.default_rng(0)
    ref = 1000 + 0.01 * rng.normal(size=(30, 4))  # far from 0, close together
    x = 1000 + 0.01 * rng.normal(size=(5, 4))
    brute = np.sort(((x[:, None] - ref[None]) ** 2).mean(2), 1)
    got = nearest_distances(
        torch.tensor(x, dtype=torch.float32), torch.tensor(ref, dtype=torch.float32), k=3
    )
    np.testing.assert_allclose(got.numpy(), brute[:, :3].mean(1), rtol=0.05)
    everything = nearest_distances(torch.tensor(x), torch.tensor(ref), k=100)  # k past the rows
    np.testing.assert_allclose(everything.numpy(), brute.mean(1), rtol=1e-6)
