"""ONNX export: each exporting family's ONNX model, run by onnxruntime on the raw input
``predict`` takes, gives what the estimator gives, within ``TOL``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from cortexkit import (
    ANNClassifier,
    ANNRegressor,
    AutoEncoder,
    AutoRecRecommender,
    CNNClassifier,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
)

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TOL = 1e-4  # largest difference allowed between onnxruntime's output and the estimator's


def run_onnx(path: object, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": np.asarray(x, dtype=np.float32)})[0]


def assert_agrees(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    assert np.ptp(want) > 1e-3  # the outputs differ between inputs: not a constant compared
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


def metadata(path: object) -> dict[str, str]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(session.get_modelmeta().custom_metadata_map)


FAST = {"random_state": 0, "device": "cpu"}


# -- the dense networks ---------------------------------------------------------------------


@pytest.mark.parametrize("data", ["iris", "breast_cancer"])
def test_ann_classifier_gives_predict_proba(data: str, request, tmp_path) -> None:
    X, y = request.getfixturevalue(data)
    clf = ANNClassifier(hidden_layers=(8,), epochs=20, **FAST).fit(X, y)
    path = tmp_path / "ann.onnx"
    clf.to_onnx(path)
    assert_agrees(run_onnx(path, X), clf.predict_proba(X))
    assert metadata(path)["classes"] == str(clf.classes_.tolist()).replace("'", '"')


@pytest.mark.parametrize("two_targets", [False, True])
def test_ann_regressor_gives_predict_in_the_targets_units(diabetes, two_targets, tmp_path) -> None:
    X, y = diabetes
    y = np.column_stack([y, -0.5 * y + 10]) if two_targets else y
    reg = ANNRegressor(hidden_layers=(8,), epochs=20, **FAST).fit(X, y)
    reg.to_onnx(tmp_path / "reg.onnx")
    assert_agrees(run_onnx(tmp_path / "reg.onnx", X[:100]), reg.predict(X[:100]))


# -- the CNN ----------------------------------------------------------------------------------


def test_cnn_takes_raw_pixels_and_gives_predict_proba(tmp_path) -> None:
    digits = load_digits()
    images, y = digits.images[:600], digits.target[:600]  # 0-16, normalised inside
    cnn = CNNClassifier(conv_layers=(4,), convs_per_block=1, hidden_layers=(16,), augment=None,
                        epochs=2, batch_size=32, **FAST).fit(images, y)  # fmt: skip
    cnn.to_onnx(tmp_path / "cnn.onnx")
    assert_agrees(run_onnx(tmp_path / "cnn.onnx", images[:, None]), cnn.predict_proba(images))


# -- the recurrent networks -------------------------------------------------------------------


def _waves(n: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-feature sequences: a sine of a random frequency, and its noisy square; the label
    says whether the frequency is high."""
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.1, 0.6, n)
    t = np.arange(steps)
    wave = np.sin(freq[:, None] * t + rng.uniform(0, 6, (n, 1)))
    X = np.stack([wave * 3 + 5, wave**2 + rng.normal(0, 0.1, (n, steps))], axis=2)
    return X, freq


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_rnn_classifier_gives_predict_proba_for_any_length(cell: str, tmp_path) -> None:
    X, freq = _waves(200, 16)
    labels = np.where(freq > 0.35, "fast", "slow")
    clf = RNNClassifier(cell=cell, hidden_layers=(8, 8), epochs=5, **FAST).fit(X, labels)
    clf.to_onnx(tmp_path / "rnn.onnx")
    for steps in (16, 9):  # the time axis is dynamic
        Z, _ = _waves(50, steps, seed=1)
        assert_agrees(run_onnx(tmp_path / "rnn.onnx", Z), clf.predict_proba(Z))


def test_rnn_regressor_gives_predict(tmp_path) -> None:
    X, freq = _waves(200, 12)
    reg = RNNRegressor(hidden_layers=8, epochs=5, **FAST).fit(X, 100 * freq + 20)
    reg.to_onnx(tmp_path / "rnn.onnx")
    assert_agrees(run_onnx(tmp_path / "rnn.onnx", X[:50]), reg.predict(X[:50]))


def _series(n: int = 240) -> np.ndarray:
    t = np.arange(n)
    noise = np.random.default_rng(0).normal(0, 0.3, n)
    return 20 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 24) + noise


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "recursive"},
        {"strategy": "direct", "horizon": 4, "log": True, "difference": 1, "cell": "gru"},
        {"strategy": "recursive", "blend": 0.4},
    ],
    ids=["recursive", "direct-log-difference", "blend"],
)
def test_forecaster_gives_its_one_step_forecast(params: dict, tmp_path) -> None:
    series = _series()
    est = RNNForecaster(lookback=12, hidden_layers=8, epochs=3, **params, **FAST).fit(series)
    est.to_onnx(tmp_path / "fc.onnx")
    windows = np.stack([series[s : s + 20] for s in range(0, 200, 5)])[:, :, None]
    want = np.array([est.predict(w[:, 0], horizon=1)[0] for w in windows])
    assert_agrees(run_onnx(tmp_path / "fc.onnx", windows), want)


def test_forecaster_with_an_exogenous_column(tmp_path) -> None:
    series = _series()
    frame = np.column_stack([series, np.cos(np.arange(len(series)) / 5)])
    est = RNNForecaster(lookback=10, hidden_layers=8, epochs=3, **FAST).fit(frame)
    est.to_onnx(tmp_path / "fc.onnx")
    windows = np.stack([frame[s : s + 10] for s in range(0, 200, 7)])
    want = np.array([est.predict(w, horizon=1)[0] for w in windows])
    assert_agrees(run_onnx(tmp_path / "fc.onnx", windows), want)


# -- autoencoders and AutoRec -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "params"),
    [
        ("table", {}),
        ("table", {"kind": "variational"}),  # the code's mean
        ("table", {"kind": "denoising", "tied_weights": True}),  # no noise outside training
        ("NHW-dense", {"architecture": "dense"}),
        ("NHWC-conv", {}),
        ("NCHW-conv", {}),
    ],
)
def test_autoencoder_gives_the_reconstruction_in_the_fitted_layout(
    layout: str, params: dict, tmp_path
) -> None:
    images = (load_digits().images[:300] / 16.0).astype(np.float32)
    X = {"table": images.reshape(-1, 64), "NHW-dense": images, "NHWC-conv": images[..., None],
         "NCHW-conv": images[:, None]}[layout]  # fmt: skip
    ae = AutoEncoder((16, 4), conv_channels=(4,), epochs=3, **params, **FAST).fit(X)
    ae.to_onnx(tmp_path / "ae.onnx")
    assert_agrees(run_onnx(tmp_path / "ae.onnx", X), ae.predict(X))


@pytest.mark.parametrize("based", ["user", "item"])
def test_autorec_gives_a_cases_predicted_ratings(based: str, tmp_path) -> None:
    from cortexkit.recommend.synthetic import latent_factor_ratings

    ratings = latent_factor_ratings(60, 50, density=0.3, random_state=0)
    est = AutoRecRecommender(based, hidden_layers=16, epochs=20, **FAST).fit(ratings)
    est.to_onnx(tmp_path / "autorec.onnx")
    user = based == "user"
    cases, others = (ratings.user, ratings.item) if user else (ratings.item, ratings.user)
    case_ids, other_ids = (est.user_ids_, est.item_ids_) if user else (est.item_ids_, est.user_ids_)
    rows = np.full((len(case_ids), len(other_ids)), np.nan)  # NaN: not rated
    rows[np.searchsorted(case_ids, cases), np.searchsorted(other_ids, others)] = ratings.rating
    got = run_onnx(tmp_path / "autorec.onnx", rows)
    pairs = np.array([(c, o) for c in case_ids for o in other_ids], dtype=object)
    users, items = (pairs[:, 0], pairs[:, 1]) if user else (pairs[:, 1], pairs[:, 0])
    want = est.predict(users, items).reshape(len(case_ids), len(other_ids))
    assert_agrees(got, want)
