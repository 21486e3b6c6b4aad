"""AutoEncoder: kinds, masks, the anomaly threshold, images, model files and bad input."""

from __future__ import annotations

import math
import pathlib
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from cortexkit import AutoEncoder, load
from cortexkit.autoencoder import BottleneckWarning, gaussian_kl, masked_mse

FAST = {"epochs": 15, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return (load_digits().data / 16.0).astype(np.float32)


def test_plain_autoencoder_beats_the_mean(digits: np.ndarray) -> None:
    ae = AutoEncoder((32, 8), output_activation="sigmoid", **{**FAST, "epochs": 40}).fit(digits)
    error = float(((ae.predict(digits) - digits) ** 2).mean())
    assert error < 0.5 * float(digits.var(0).mean())  # the mean image's error
    assert ae.transform(digits).shape == (len(digits), 8)
    np.testing.assert_allclose(ae.inverse_transform(ae.transform(digits)), ae.predict(digits),
                               atol=1e-5)  # fmt: skip
    assert {"loss", "reconstruction", "val_loss", "val_reconstruction"} <= set(ae.history_)


def test_mask_unobserved_values_change_nothing(digits: np.ndarray) -> None:
    X = digits[:300]
    mask = np.random.default_rng(0).random(X.shape) > 0.3
    a = AutoEncoder((16, 4), **FAST).fit(np.where(mask, X, np.nan), mask=mask)
    b = AutoEncoder((16, 4), **FAST).fit(np.where(mask, X, 7.0), mask=mask)
    for (name, pa), pb in zip(a.network_.named_parameters(), b.network_.parameters(), strict=True):
        assert torch.equal(pa, pb), name
    # and the observed entries are what it learned from: not the same model as without mask
    c = AutoEncoder((16, 4), **FAST).fit(X)
    assert not torch.equal(a.network_.encoder[0].weight, c.network_.encoder[0].weight)
    scores = a.anomaly_scores(np.where(mask, X, np.inf), mask=mask)
    assert np.isfinite(scores).all()


def test_denoising_corrupts_in_training_not_in_prediction(digits: np.ndarray) -> None:
    X = digits[:200]
    ae = AutoEncoder((16, 4), kind="denoising", noise="masking", noise_level=0.5,
                     batch_size=None, **{**FAST, "epochs": 1})  # fmt: skip
    ae.partial_fit(X)
    seen: list[torch.Tensor] = []
    ae.network_.encoder[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
    ae.partial_fit(X)  # a training epoch: one batch of every row, then the metric passes
    trained = seen[0]
    nonzero = torch.as_tensor(X) != 0
    dropped = float((trained[nonzero] == 0).float().mean())
    assert 0.4 < dropped < 0.6  # about noise_level of the entries zeroed
    seen.clear()
    ae.predict(X)
    assert torch.equal(seen[0], torch.as_tensor(X))  # prediction sees the clean input
    np.testing.assert_array_equal(ae.predict(X), ae.predict(X))


def test_variational_loss_is_reconstruction_plus_closed_form_kl(digits: np.ndarray) -> None:
    ae = AutoEncoder((16, 2), kind="variational", kl_weight=0.5, trim=0.0, **{**FAST, "epochs": 2})
    ae.fit(digits[:200])
    net, x = ae.network_, torch.as_tensor(digits[:50])
    net.train()
    torch.manual_seed(3)
    loss = ae._objective.objective(x)
    torch.manual_seed(3)
    mu, logvar = net.encode_stats(x)
    z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
    closed = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)
    expected = masked_mse(net.decode(z), x) + 0.5 * closed.mean() / 64
    assert torch.allclose(gaussian_kl(mu, logvar), closed)
    assert math.isclose(float(loss), float(expected), rel_tol=1e-5)
    samples = ae.sample(5, random_state=0)
    assert samples.shape == (5, 64)
    np.testing.assert_array_equal(samples, ae.sample(5, random_state=0))
    with pytest.raises(ValueError, match="kind='variational'"):
        AutoEncoder((8, 2), **{**FAST, "epochs": 1}).fit(digits[:50]).sample(3)


def test_sparse_penalties_shrink_the_code(digits: np.ndarray) -> None:
    X = digits[:400]
    plain = AutoEncoder((32,), kind="sparse", sparsity_weight=0.0, **FAST).fit(X)
    l1 = AutoEncoder((32,), kind="sparse", sparsity_weight=1.0, **FAST).fit(X)
    assert np.abs(l1.transform(X)).mean() < 0.5 * np.abs(plain.transform(X)).mean()
    kl = AutoEncoder((32,), kind="sparse", sparsity="kl", sparsity_target=0.05,
                     sparsity_weight=0.5, activation="sigmoid", **FAST).fit(X)  # fmt: skip
    free = AutoEncoder((32,), kind="sparse", sparsity_weight=0.0, activation="sigmoid",
                       **FAST).fit(X)  # fmt: skip
    target_gap = np.abs(kl.transform(X).mean(0) - 0.05).mean()
    assert target_gap < 0.5 * np.abs(free.transform(X).mean(0) - 0.05).mean()


def test_tied_weights_share_one_tensor_in_the_estimator(digits: np.ndarray) -> None:
    ae = AutoEncoder((32, 8), tied_weights=True, **FAST).fit(digits[:300])
    names = [n for n, _ in ae.network_.named_parameters()]
    assert names == ["encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias",
                     "decoder_biases.0", "decoder_biases.1"]  # fmt: skip


@pytest.mark.parametrize(("score", "auc", "found"),
                         [("reconstruction", 0.95, 0.9), ("neighbours", 0.9, 0.6)])  # fmt: skip
def test_anomaly_threshold_is_the_training_quantile(score: str, auc: float, found: float) -> None:
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(3, 12))
    normal = rng.normal(size=(600, 3)) @ basis + 0.05 * rng.normal(size=(600, 12))
    odd = rng.normal(size=(40, 12)) * normal.std(0)  # off the 3-d subspace
    ae = AutoEncoder((3,), activation="identity", threshold_quantile=0.9, learning_rate=0.01,
                     scoring=score, **{**FAST, "epochs": 40}).fit(normal)  # fmt: skip
    assert abs(float((ae.anomaly_scores(normal) > ae.threshold_).mean()) - 0.1) < 0.01
    scores = ae.anomaly_scores(np.vstack([normal, odd]))
    labels = np.r_[np.zeros(600), np.ones(40)]
    assert roc_auc_score(labels, scores) > auc  # the neighbours score also weighs density
    flagged = ae.predict_anomaly(odd)
    assert flagged.dtype == np.int64 and flagged.mean() > found
    # score_samples keeps scikit-learn's sign: higher for rows more like the training rows
    np.testing.assert_array_equal(ae.score_samples(odd), -ae.anomaly_scores(odd))


def test_early_stopping_monitors_the_validation_reconstruction(digits: np.ndarray) -> None:
    train, held = digits[:1200], digits[1200:]
    ae = AutoEncoder((16, 4), kind="denoising", noise_level=0.5, trim=0.0, **FAST)
    ae.fit(train, validation_data=held)
    val = np.asarray(ae.history_["val_loss"])
    # the best epoch's weights are back (best within the loop's tolerance of 1e-4): its
    # validation loss is the clean reconstruction error of the held-out rows
    restored = float(((ae.predict(held) - held) ** 2).mean())
    assert np.isclose(val, restored, rtol=1e-5).any()
    assert restored <= val.min() + 1e-4
    # the training loss is measured on noisy inputs; the reconstruction on clean ones
    assert ae.history_["loss"][-1] > ae.history_["reconstruction"][-1]


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
def test_convolutional_autoencoder_on_images(digits: np.ndarray, layout: str) -> None:
    images = digits.reshape(-1, 8, 8)[:600]
    X = {"NHW": images, "NHWC": images[..., None], "NCHW": images[:, None]}[layout]
    ae = AutoEncoder((16,), conv_channels=(8, 16), output_activation="sigmoid",
                     learning_rate=0.01, **FAST).fit(X)  # fmt: skip
    assert ae.network_.__class__.__name__ == "ConvAutoEncoderNetwork"
    out = ae.predict(X)
    assert out.shape == X.shape
    assert float(((out - X) ** 2).mean()) < 0.6 * float(X.var(0).mean())
    with pytest.raises(ValueError, match="fitted on"):
        ae.predict(np.zeros((2, 8, 9), dtype=np.float32))


def test_an_int_hidden_layers_is_one_layer(digits: np.ndarray) -> None:
    one = AutoEncoder(8, **{**FAST, "epochs": 2}).fit(digits[:200])
    same = AutoEncoder((8,), **{**FAST, "epochs": 2}).fit(digits[:200])
    assert one.network_.layer_sizes == [64, 8, 64]
    np.testing.assert_array_equal(one.predict(digits[:20]), same.predict(digits[:20]))
    assert one.transform(digits[:5]).shape == (5, 8)
    assert one.inverse_transform(one.transform(digits[:5])).shape == (5, 64)


def test_dense_architecture_flattens_images(digits: np.ndarray) -> None:
    images = digits.reshape(-1, 8, 8)[:200]
    ae = AutoEncoder((16, 4), architecture="dense", **{**FAST, "epochs": 2}).fit(images)
    assert ae.network_.layer_sizes[0] == 64 and ae.predict(images).shape == images.shape


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "variational"},
        {"tied_weights": True},
        {"kind": "denoising", "noise": "masking"},
        {"images": True},
    ],
    ids=["plain", "variational", "tied", "denoising", "conv"],
)
def test_save_load_gives_identical_outputs(tmp_path: pathlib.Path, digits, params) -> None:
    params = dict(params)
    X = digits[:200].reshape(-1, 8, 8) if params.pop("images", False) else digits[:200]
    ae = AutoEncoder((16, 4), **params, **{**FAST, "epochs": 3}).fit(X)
    ae.save(tmp_path / "ae.ck")
    back = load(tmp_path / "ae.ck")
    for method in ("predict", "transform", "anomaly_scores", "score_samples"):
        np.testing.assert_array_equal(getattr(back, method)(X), getattr(ae, method)(X))
    assert back.threshold_ == ae.threshold_ and back.image_shape_ == ae.image_shape_


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_is_refused(digits: np.ndarray, value: float) -> None:
    X = digits[:50].copy()
    X[3, 5] = value
    with pytest.raises(
        ValueError, match=r"X contains NaN or infinity \(at index \(3, 5\)\); pass mask="
    ):
        AutoEncoder((8, 2), **FAST).fit(X)
    mask = np.ones(X.shape, dtype=bool)
    with pytest.raises(ValueError, match="mark it unobserved in mask="):
        AutoEncoder((8, 2), **FAST).fit(X, mask=mask)


def test_mask_of_the_wrong_shape_is_refused(digits: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"mask has shape \(50, 63\) but X has shape \(50, 64\)"):
        AutoEncoder((8, 2), **FAST).fit(digits[:50], mask=np.ones((50, 63), dtype=bool))
    with pytest.raises(ValueError, match="mask must hold booleans or 0/1"):
        AutoEncoder((8, 2), **FAST).fit(digits[:50], mask=np.full((50, 64), 2))


@pytest.mark.parametrize("level", [1.0, 1.5])
def test_masking_noise_level_outside_0_1_is_refused(digits: np.ndarray, level: float) -> None:
    ae = AutoEncoder((8, 2), kind="denoising", noise="masking", noise_level=level, **FAST)
    with pytest.raises(ValueError, match=r"noise_level must be in \[0, 1\) for noise='masking'"):
        ae.fit(digits[:50])
    with pytest.raises(ValueError, match="noise_level must be a float in"):
        AutoEncoder((8, 2), noise_level=-0.1, **FAST).fit(digits[:50])


def test_a_code_as_wide_as_the_input_warns() -> None:
    X = np.random.default_rng(0).normal(size=(60, 6))
    with pytest.warns(BottleneckWarning, match="the code has 6 units for 6 input values"):
        AutoEncoder((8, 6), **{**FAST, "epochs": 1}).fit(X)
    with warnings.catch_warnings():  # a denoising or sparse autoencoder needs no bottleneck
        warnings.simplefilter("error", BottleneckWarning)
        AutoEncoder((8, 6), kind="denoising", **{**FAST, "epochs": 1}).fit(X)


def test_other_bad_parameters_are_named(digits: np.ndarray) -> None:
    X = digits[:50]
    with pytest.raises(ValueError, match="hidden_layers must be"):
        AutoEncoder((8, 0), **FAST).fit(X)
    with pytest.raises(ValueError, match="tied_weights=True needs the mirrored decoder"):
        AutoEncoder((8, 2), decoder_layers=(4,), tied_weights=True, **FAST).fit(X)
    with pytest.raises(ValueError, match=r"sparsity='kl' .* activation='sigmoid'"):
        AutoEncoder((8, 2), kind="sparse", sparsity="kl", **FAST).fit(X)
    with pytest.raises(ValueError, match="architecture='conv' needs images"):
        AutoEncoder((8, 2), architecture="conv", **FAST).fit(X)
    with pytest.raises(ValueError, match="kind must be one of"):
        AutoEncoder((8, 2), kind="contractive", **FAST).fit(X)


@pytest.mark.cuda
def test_a_model_trained_on_cuda_gives_the_same_outputs_on_the_cpu(
    tmp_path: pathlib.Path, digits: np.ndarray
) -> None:
    images = digits.reshape(-1, 8, 8)
    for X in (digits, images):
        ae = AutoEncoder((16, 4), kind="variational", epochs=5, random_state=0, device="cuda")
        ae.fit(X)
        assert next(ae.network_.parameters()).device.type == "cuda"
        ae.save(tmp_path / "ae.ck")
        cpu = load(tmp_path / "ae.ck", device="cpu")
        np.testing.assert_allclose(cpu.predict(X), ae.predict(X), atol=1e-5)
        np.testing.assert_allclose(cpu.anomaly_scores(X), ae.anomaly_scores(X), rtol=1e-4)
        assert ae.history_["loss"][-1] < ae.history_["loss"][0]  # it learned on the GPU


@pytest.mark.parametrize("images", [False, True], ids=["table", "images"])
def test_set_params_after_fit_changes_nothing_until_the_next_fit(
    tmp_path: pathlib.Path, digits: np.ndarray, images: bool
) -> None:
    X = digits[:200].reshape(-1, 8, 8) if images else digits[:200]
    ae = AutoEncoder((16, 4), kind="variational", threshold_quantile=0.9,
                     **{**FAST, "epochs": 2}).fit(X)  # fmt: skip
    methods = ("predict", "transform", "anomaly_scores", "score_samples", "predict_anomaly")
    before = {m: getattr(ae, m)(X) for m in methods}
    sampled, threshold = ae.sample(3, random_state=0), ae.threshold_
    ae.set_params(hidden_layers=(8, 2), kind="plain", threshold_quantile=0.5,
                  architecture="dense", activation="tanh", noise_level=0.9)  # fmt: skip
    for m in methods:
        np.testing.assert_array_equal(getattr(ae, m)(X), before[m], err_msg=m)
    np.testing.assert_array_equal(ae.sample(3, random_state=0), sampled)
    assert ae.inverse_transform(before["transform"]).shape == X.shape
    ae.save(tmp_path / "ae.ck")
    back = load(tmp_path / "ae.ck")
    assert tuple(back.hidden_layers) == (16, 4) and back.kind == "variational"
    np.testing.assert_array_equal(back.predict(X), before["predict"])
    assert back.threshold_ == threshold
    ae.fit(X)  # the next fit takes the new parameters
    assert ae.transform(X).shape == (len(X), 2) and ae.network_.__class__.__name__ == (
        "AutoEncoderNetwork"
    )


def test_layer_widths_take_an_int_and_an_empty_decoder(digits: np.ndarray) -> None:
    X = digits[:100]
    ae = AutoEncoder((16, 4), decoder_layers=(), **{**FAST, "epochs": 1}).fit(X)
    assert ae.network_.layer_sizes == [64, 16, 4, 64]
    images = X.reshape(-1, 8, 8)
    conv = AutoEncoder(4, conv_channels=8, **{**FAST, "epochs": 1}).fit(images)
    assert "conv_channels=[8]" in repr(conv.network_)
    with pytest.raises(ValueError, match="conv_channels must be"):
        AutoEncoder(4, conv_channels=(8, 0), **FAST).fit(images)


def test_the_trimmed_loss_leaves_out_each_batch_s_worst_rows(digits: np.ndarray) -> None:
    ae = AutoEncoder((16, 4), trim=0.25, **{**FAST, "epochs": 1}).fit(digits[:200])
    x = torch.as_tensor(digits[:40])
    rows = ((ae.network_(x) - x) ** 2).mean(1)
    kept = rows.sort().values[:30]  # 75% of 40 rows
    assert math.isclose(float(ae._objective.objective(x)), float(kept.mean()), rel_tol=1e-5)
    assert float(kept.mean()) < float(rows.mean())


def test_trimming_keeps_a_rare_class_badly_reconstructed(digits: np.ndarray) -> None:
    # ADBench's protocol: 5% of the rows are one digit; the autoencoder fits them unlabelled
    labels = load_digits().target
    rng = np.random.default_rng(0)
    inliers = np.flatnonzero(labels != 7)
    rare = rng.choice(np.flatnonzero(labels == 7), size=len(inliers) // 19, replace=False)
    X, y = digits[np.r_[inliers, rare]], np.r_[np.zeros(len(inliers)), np.ones(len(rare))]
    auc = {t: roc_auc_score(y, AutoEncoder(trim=t, random_state=0, device="cpu").fit(X)
                            .anomaly_scores(X)) for t in (0.0, 0.2)}  # fmt: skip
    assert auc[0.2] > auc[0.0] + 0.05 and auc[0.2] > 0.8
