"""Bad input found by trying cortexkit as a new user would (the second round)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cortexkit import ANNClassifier, ANNRegressor, load


def test_x_beyond_float32_is_refused_at_fit_and_predict() -> None:
    X = np.random.default_rng(0).normal(size=(30, 3))
    model = ANNClassifier((4,), epochs=2, device="cpu").fit(X, [0, 1] * 15)
    huge = X.copy()
    huge[3, 2] = 1e300
    for call in (
        lambda: model.predict(huge),
        lambda: ANNRegressor((2,), epochs=1).fit(huge, X[:, 0]),
    ):
        with pytest.raises(
            ValueError, match=r"X holds values beyond float32's range \(1e\+300 in row 3, column 2"
        ):
            call()


def test_a_column_too_large_to_standardise_is_refused_before_training(
    cli_run, small, tmp_path
) -> None:
    frame = pd.read_csv(small["data"])
    frame.loc[5, "x2"] = 1e300
    data = tmp_path / "huge.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "m.cortex"
    result = cli_run("train", "ann", str(data), "--target", "label", "--drop", "price",
                     "--out", str(out))  # fmt: skip
    assert result.code == 2, result.err
    assert "column 'x2' holds values too large to standardise" in result.err
    assert not out.exists()


def test_a_folder_is_named_as_a_folder(cli_run, small, tmp_path) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    train = cli_run("train", "ann", str(folder), "--target", "label", "--out", str(tmp_path / "m"))
    assert train.code == 2 and "is a folder, not a CSV table" in train.err
    predict = cli_run("predict", str(folder), str(small["data"]))
    assert predict.code == 2 and "is a folder, not a model file" in predict.err
    with pytest.raises(IsADirectoryError, match="is a folder, not a model file"):
        load(folder)
    model = load(small["label"])
    with pytest.raises(ValueError, match="it is a folder; name a file in it"):
        model.save(folder)


def test_the_target_listed_in_drop_is_named(cli_run, small, tmp_path) -> None:
    result = cli_run("train", "ann", str(small["data"]), "--target", "label",
                     "--drop", "label,price", "--out", str(tmp_path / "m"))  # fmt: skip
    assert result.code == 2 and "--target 'label' is also listed in --drop" in result.err


def test_evaluate_a_model_saved_from_python_with_target(cli_run, tmp_path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    frame["y"] = (frame.a > 0).astype(int)
    model, data = tmp_path / "py.cortex", tmp_path / "py.csv"
    ANNClassifier((4,), epochs=20, random_state=0).fit(frame[["a", "b"]], frame.y).save(model)
    frame.to_csv(data, index=False)
    missing = cli_run("evaluate", str(model), str(data))
    assert missing.code == 2 and "name it with --target COL" in missing.err
    named = cli_run("evaluate", str(model), str(data), "--target", "y")
    assert named.code == 0, named.err
    assert "accuracy" in named.out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--learning-rate", "-1"], "--learning-rate must be a float in (0, inf); got -1.0"),
        (["--random-state", "-1"], "--random-state must be an int in [0, 4294967295]; got -1"),
        (["--patience", "0"], "--patience must be an int in [1, inf); got 0"),
        (["--activation", "nope"], "--activation must be one of 'threshold'"),
    ],
)
def test_bad_options_are_named_by_their_flags_before_reading(
    cli_run, tmp_path, flags, message
) -> None:
    # the data file does not even exist: the options fail first
    result = cli_run("train", "ann", str(tmp_path / "absent.csv"), "--target", "y",
                     "--out", str(tmp_path / "m"), *flags)  # fmt: skip
    assert result.code == 2
    assert message in result.err
    assert "RandomState" not in result.err and "callable" not in result.err


def test_an_empty_item_in_hidden_is_refused(cli_run, small, tmp_path) -> None:
    result = cli_run("train", "ann", str(small["data"]), "--target", "label",
                     "--hidden-layers", "64,,32", "--out", str(tmp_path / "m"))  # fmt: skip
    assert result.code == 2 and "expected comma-separated integers" in result.err


def test_predict_names_the_column_of_a_value_too_large(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame.loc[2, "x1"] = 1e300
    data = tmp_path / "big.csv"
    frame.to_csv(data, index=False)
    result = cli_run("predict", str(small["label"]), str(data))
    assert result.code == 2
    assert "column 'x1' holds a value too large for the model (1e+300 in data row 3" in result.err


def test_missing_values_are_counted_in_the_whole_file(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame.loc[:9, "x2"] = np.nan
    data = tmp_path / "holes.csv"
    frame.to_csv(data, index=False)
    result = cli_run("train", "ann", str(data), "--target", "label", "--out", str(tmp_path / "m"))
    assert result.code == 2
    assert f"column 'x2' has 10 missing values of {len(frame)}" in result.err
    assert "TableEncoder" not in result.err
