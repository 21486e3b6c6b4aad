"""``cortexkit train rbm|dbn|dbm`` and ``cortexkit predict`` on Boltzmann models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from cortexkit import load
from cortexkit.cli import run_captured


def _run(*argv: str) -> tuple[int, str]:
    result = run_captured(*argv)
    return result.code, result.err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boltzmann")
    X = load_digits().data[:400] / 16
    np.savez(folder / "d.npz", X=X)
    pd.DataFrame(X, columns=[f"p{i}" for i in range(64)]).to_csv(folder / "d.csv", index=False)
    return folder, X


@pytest.mark.parametrize(
    ("family", "flags"),
    [
        ("rbm", ["--hidden-layers", "12", "--epochs", "2", "--gibbs-steps", "2"]),
        ("dbn", ["--hidden-layers", "12,6", "--epochs", "2", "--no-persistent"]),
        (
            "dbm",
            [
                "--hidden-layers",
                "12,6",
                "--epochs",
                "1",
                "--pretrain-epochs",
                "1",
                "--batch-size",
                "20",
            ],
        ),
    ],
)
def test_train_then_predict_writes_the_hidden_features(data, family, flags) -> None:
    folder, X = data
    model = folder / f"{family}.cortex"
    code, err = _run(*["train", family, str(folder / "d.npz"), "--out", str(model),
                                 "--device", "cpu", *flags])  # fmt: skip
    assert code == 0, err
    out = folder / f"{family}.csv"
    code, err = _run(*["predict", str(model), str(folder / "d.csv"), "--out", str(out)])
    assert code == 0, err
    features = pd.read_csv(out)
    expected = load(model).transform(X)
    assert list(features.columns) == [f"h{i}" for i in range(expected.shape[1])]
    np.testing.assert_allclose(features.to_numpy(), expected, rtol=1e-5, atol=1e-6)


def test_idx_images_are_scaled_to_the_unit_interval(tmp_path) -> None:
    import gzip

    images = np.random.default_rng(0).integers(0, 256, size=(30, 4, 4), dtype=np.uint8)
    header = bytes([0, 0, 8, 3]) + b"".join(int(n).to_bytes(4, "big") for n in images.shape)
    with gzip.open(tmp_path / "x-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(header + images.tobytes())
    code, err = _run("train", "rbm", str(tmp_path), "--out", str(tmp_path / "m.cortex"),
                     "--hidden-layers", "4", "--epochs", "1", "--device", "cpu")  # fmt: skip
    assert code == 0, err
    assert load(tmp_path / "m.cortex").n_features_in_ == 16


def test_bad_input_exits_with_one_clear_line(data) -> None:
    folder, _ = data
    code, err = _run(*["train", "rbm", str(folder / "d.csv"), "--out",
                                 str(folder / "x.cortex"), "--gibbs-steps", "0"])  # fmt: skip
    assert code != 0 and "--gibbs-steps" in err
    code, err = _run(*["train", "rbm", str(folder / "d.csv"), "--out",
                                 str(folder / "x.cortex"), "--scale", "none",
                                 "--learning-rate", "0.1",
                                 "--epochs", "1", "--visible", "bernoulli"])  # fmt: skip
    assert code == 0, err  # already in [0, 1]
    np.savez(folder / "big.npz", X=np.full((5, 3), 7.0))
    code, err = _run(*["train", "rbm", str(folder / "big.npz"), "--out",
                                 str(folder / "y.cortex"), "--scale", "none"])  # fmt: skip
    assert code != 0 and "[0, 1]" in err


def test_options_and_data_are_refused_by_flag_before_training(tmp_path) -> None:
    """Out-of-range options name their flag and fail before the data is read; NaN and data
    outside [0, 1] are one line naming DATA and ``--scale``."""
    out = tmp_path / "m.cortex"
    missing = str(tmp_path / "absent.csv")  # the data is never read
    for argv, expected in (
        (["rbm", "--momentum", "-5"], "--momentum must be"),
        (["dbm", "--pretrain-learning-rate", "-1"], "--pretrain-learning-rate must be"),
        (["dbn", "--weight-decay", "-1"], "--weight-decay must be"),
    ):
        code, err = _run("train", argv[0], missing, "--out", str(out), *argv[1:])
        assert code == 2 and expected in err, err
    np.savez(tmp_path / "nan.npz", X=np.where(np.eye(4) > 0, np.nan, 0.5))
    code, err = _run("train", "rbm", str(tmp_path / "nan.npz"), "--out", str(out))
    assert code == 2 and "NaN" in err and len(err.strip().splitlines()) == 1
    assert "row 1, column 1" in err  # counted from 1
    np.savez(tmp_path / "big.npz", X=np.full((5, 3), 7.0))
    code, err = _run("train", "dbn", str(tmp_path / "big.npz"), "--out", str(out))
    assert code == 2 and "--scale minmax" in err
    assert not out.exists()


def test_predict_reuses_the_training_scale_and_drop(tmp_path) -> None:
    """``--scale max`` divides by the training data's largest value, and ``predict`` divides
    new rows by that same number, dropping the same columns: one row's features are its
    features in the whole table."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.integers(0, 50, size=(40, 5)), columns=list("abcde"))
    table.insert(0, "id", np.arange(1000, 1040))
    table.to_csv(tmp_path / "t.csv", index=False)
    table.iloc[[3]].to_csv(tmp_path / "one.csv", index=False)
    table.iloc[[3]].drop(columns="id").to_csv(tmp_path / "one_no_id.csv", index=False)
    model = tmp_path / "m.cortex"
    code, err = _run("train", "rbm", str(tmp_path / "t.csv"), "--scale", "max", "--drop", "id",
                     "--hidden-layers", "4", "--epochs", "2", "--out", str(model),
                     "--quiet")  # fmt: skip
    assert code == 0, err
    inputs = table.drop(columns="id").to_numpy("float64")
    expected = load(model).transform((inputs / inputs.max()).astype("float32"))
    for name in ("t.csv", "one.csv", "one_no_id.csv"):
        out = tmp_path / f"{name}.features.csv"
        code, err = _run("predict", str(model), str(tmp_path / name), "--out", str(out))
        assert code == 0, err
        got = pd.read_csv(out).to_numpy()
        want = expected if name == "t.csv" else expected[[3]]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_scaling_is_per_column_and_gaussian_units_are_standardised(tmp_path) -> None:
    """A column of large identifiers need not squeeze the others towards 0 (as ``--scale
    max``, one divisor for the whole table, does): ``minmax`` maps every column onto [0, 1];
    ``--visible gaussian`` standardises each column by default; and a model saved from
    Python (no scaling kept) predicts on the data as it is."""
    from cortexkit.cli.families.boltzmann import scale_matrix

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"id": 15_600_000 + np.arange(60), "a": rng.integers(0, 10, 60),
                          "b": rng.normal(5, 2, 60)})  # fmt: skip
    X, shift, divisor = scale_matrix(table.to_numpy(), "minmax")
    np.testing.assert_allclose(X.min(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(X.max(axis=0), 1, atol=1e-6)
    assert shift[0] == 15_600_000 and divisor[0] == 59
    X, _, _ = scale_matrix(table.to_numpy(), "auto", visible="gaussian")
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-4)
    constant = scale_matrix(np.full((4, 2), 3.0), "standard")[0]
    np.testing.assert_allclose(constant, 0)  # a constant column is centred, not divided by 0

    table.to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "g.cortex"
    code, err = _run("train", "rbm", str(tmp_path / "t.csv"), "--visible", "gaussian",
                     "--hidden-layers", "3", "--epochs", "1", "--out", str(model),
                     "--quiet")  # fmt: skip
    assert code == 0, err
    out = tmp_path / "g.csv"
    code, err = _run("predict", str(model), str(tmp_path / "t.csv"), "--out", str(out))
    assert code == 0, err
    raw = table.to_numpy("float64")
    standard = ((raw - raw.mean(axis=0)) / raw.std(axis=0)).astype("float32")
    np.testing.assert_allclose(pd.read_csv(out), load(model).transform(standard), atol=1e-5)

    from cortexkit import RBM

    plain = tmp_path / "plain.cortex"
    small = table[["a"]] / 9
    small.to_csv(tmp_path / "a.csv", index=False)
    est = RBM(2, epochs=1, random_state=0)
    est.fit(small.to_numpy().astype("float32"))
    est.save(plain)
    code, err = _run("predict", str(plain), str(tmp_path / "a.csv"), "--out", str(out))
    assert code == 0, err
    want = est.transform(small.to_numpy().astype("float32"))
    np.testing.assert_allclose(pd.read_csv(out), want, atol=1e-5)


def test_dbn_checkpoints_and_resumes(tmp_path, data) -> None:
    folder, X = data
    common = ["train", "dbn", str(folder / "d.npz"), "--hidden-layers", "8,4", "--epochs", "2",
              "--device", "cpu", "--quiet"]  # fmt: skip
    whole, resumed = tmp_path / "whole.cortex", tmp_path / "resumed.cortex"
    assert _run(*common, "--out", str(whole))[0] == 0
    ckpt = str(tmp_path / "dbn.ckpt")
    assert _run(*common, "--out", str(tmp_path / "a.cortex"), "--checkpoint", ckpt)[0] == 0
    code, err = _run(*common, "--out", str(resumed), "--checkpoint", ckpt, "--resume")
    assert code == 0, err
    np.testing.assert_array_equal(load(resumed).transform(X), load(whole).transform(X))


def test_a_value_beyond_float32_is_refused_without_numpy_s_warning(tmp_path) -> None:
    """A value of 1e39 leaked numpy's "overflow encountered in cast" and then said the data
    ran "to inf"; it is refused in one line naming the column and --scale."""
    import warnings

    rng = np.random.default_rng(0)
    data = tmp_path / "big.csv"
    pd.DataFrame({"a": rng.random(30), "b": np.r_[1e39, rng.random(29)]}).to_csv(data, index=False)
    out = tmp_path / "m.cortex"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = run_captured("train", "rbm", str(data), "--epochs", "1", "--out", str(out))
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert "column 2 (counting from 1) reaches 1e+39" in result.err
    assert "--scale max, minmax or standard" in result.err and not out.exists()
    scaled = run_captured("--quiet", "train", "rbm", str(data), "--epochs", "1", "--scale",
                          "minmax", "--out", str(out))  # fmt: skip
    assert scaled.code == 0, scaled.err


@pytest.mark.parametrize("family", ["rbm", "dbm"])
def test_held_out_rows_beyond_the_minmax_range_are_clipped(tmp_path, family) -> None:
    """Rows of the same file held out of a --scale minmax training landed just outside
    [0, 1] and were refused with a message asking for the scaling already done: they are
    clipped to [0, 1], with a warning that counts them."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    train, held = tmp_path / "train.csv", tmp_path / "held.csv"
    table.iloc[:40].to_csv(train, index=False)
    held_out = table.iloc[40:]
    held_out.to_csv(held, index=False)
    model = tmp_path / "m.cortex"
    fit = run_captured("--quiet", "train", family, str(train), "--scale", "minmax",
                       "--hidden-layers", "4" if family == "rbm" else "4,3", "--epochs", "1",
                       *(["--pretrain-epochs", "1"] if family == "dbm" else []),
                       "--out", str(model))  # fmt: skip
    assert fit.code == 0, fit.err
    lo, hi = table.iloc[:40].min(), table.iloc[:40].max()
    outside = int(((held_out < lo) | (held_out > hi)).to_numpy().sum())
    assert outside > 0
    with pytest.warns(UserWarning, match=f"{outside} values fall outside the training data"):
        result = run_captured("predict", str(model), str(held))
    assert result.code == 0, result.err
    assert "--scale minmax" not in result.err
    assert len(pd.read_csv(__import__("io").StringIO(result.out))) == 20
