"""The command line on awkward tables: repeated names, codes that look like numbers, models
fitted in Python, overflowing targets, and text columns with very many values.

Each case once gave a silent wrong result or a raw traceback; now it gives the right
answer or one ``cortexkit: error:`` line with exit code 2.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cortexkit import ANNClassifier
from cortexkit.cli import Captured, main, run_captured
from cortexkit.data import encoder as encoder_module
from cortexkit.exceptions import IdentifierColumnWarning
from cortexkit.persist import read_model

QUICK = ["--epochs", "30", "--learning-rate", "0.02", "--hidden-layers", "8", "--test-size", "0",
         "--quiet"]  # fmt: skip


Result = Captured
cli = run_captured  # main(argv) with stdout and stderr captured


def one_error_line(result: Result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cortexkit: error:"), result.err
    return lines[0]


def predictions(result: Result) -> pd.DataFrame:
    assert result.code == 0, result.err
    return pd.read_csv(io.StringIO(result.out), dtype={"prediction": str})


def train(data: Path, model: Path) -> None:
    result = cli("train", "ann", str(data), "--target", "label", "--out", str(model), *QUICK)
    assert result.code == 0, result.err


def coded_table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """A label decided by a code column whose values look like numbers but one."""
    rng = np.random.default_rng(seed)
    code = rng.choice(["01", "02", "A"], size=n)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "code": code, "label": (code == "02").astype(int)}
    )


def test_a_repeated_target_column_is_refused_not_leaked(tmp_path: Path) -> None:
    data = tmp_path / "dup.csv"
    data.write_text("x,label,label\n1,0,0\n2,1,1\n3,0,0\n4,1,1\n")
    model = tmp_path / "m.cortex"
    line = one_error_line(cli("train", "ann", str(data), "--target", "label", "--out", str(model)))
    assert "['label']" in line and "repeats" in line
    assert not model.exists()


def test_codes_keep_their_training_type_at_predict_time(tmp_path: Path) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "m.cortex"
    coded_table().to_csv(data, index=False)
    assert (
        cli("train", "ann", str(data), "--target", "label", "--out", str(model), *QUICK).code == 0
    )
    digits_only = tmp_path / "new.csv"  # "01", "02" alone would be read as 1 and 2
    pd.DataFrame({"x": [0.0, 0.0, 0.5], "code": ["02", "01", "02"]}).to_csv(
        digits_only, index=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an "unseen category" would be an error here
        got = predictions(cli("predict", str(model), str(digits_only)))
    assert got["prediction"].tolist() == ["1", "0", "1"]


def test_predict_neither_needs_nor_parses_the_target(tmp_path: Path) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "m.cortex"
    table = coded_table()
    table.to_csv(data, index=False)
    assert (
        cli("train", "ann", str(data), "--target", "label", "--out", str(model), *QUICK).code == 0
    )
    broken = tmp_path / "broken-target.csv"
    table.astype({"label": object}).assign(label=["oops"] + ["1"] * (len(table) - 1)).to_csv(
        broken, index=False
    )
    reference = predictions(cli("predict", str(model), str(data)))
    pd.testing.assert_frame_equal(predictions(cli("predict", str(model), str(broken))), reference)
    # evaluate needs the target, and says where it is broken
    line = one_error_line(cli("evaluate", str(model), str(broken)))
    assert "'label'" in line and "'oops'" in line


@pytest.fixture
def python_model(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """An ANN fitted in Python on a DataFrame and saved without a table encoder."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    path = tmp_path / "python.cortex"
    ANNClassifier(hidden_layers=(8,), epochs=40, learning_rate=0.02, random_state=0).fit(X, y).save(
        path
    )
    return path, X


def test_a_python_model_takes_its_columns_by_name(python_model, tmp_path: Path) -> None:
    path, X = python_model
    ordered, swapped = tmp_path / "ordered.csv", tmp_path / "swapped.csv"
    X.to_csv(ordered, index=False)
    X[["b", "a"]].assign(extra="text").to_csv(swapped, index=False)
    reference = predictions(cli("predict", str(path), str(ordered)))
    pd.testing.assert_frame_equal(predictions(cli("predict", str(path), str(swapped))), reference)
    assert (reference["prediction"].astype(int) == (X["a"] > 0)).mean() > 0.9


def test_a_python_model_refuses_renamed_columns_naming_them(python_model, tmp_path) -> None:
    path, X = python_model
    renamed = tmp_path / "renamed.csv"
    X.rename(columns={"a": "alpha"}).to_csv(renamed, index=False)
    line = one_error_line(cli("predict", str(path), str(renamed)))
    assert "['a'] are missing" in line


def test_a_model_fitted_on_an_array_refuses_a_different_column_count(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    path = tmp_path / "array.cortex"
    ANNClassifier(hidden_layers=(4,), epochs=2, random_state=0).fit(X, X[:, 0] > 0).save(path)
    data = tmp_path / "four.csv"
    pd.DataFrame(rng.normal(size=(5, 4)), columns=list("abcd")).to_csv(data, index=False)
    line = one_error_line(cli("predict", str(path), str(data)))
    assert "fitted on 3 unnamed columns" in line and "has 4" in line


def test_a_target_beyond_float32_is_refused_before_saving(tmp_path: Path) -> None:
    data, model = tmp_path / "big.csv", tmp_path / "m.cortex"
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    pd.DataFrame({"x": x, "price": x * 1e39}).to_csv(data, index=False)
    line = one_error_line(
        cli("train", "ann", str(data), "--target", "price", "--out", str(model), *QUICK)
    )
    assert "'price'" in line and "float32" in line
    assert not model.exists()


def test_identifier_columns_are_named_and_capped(tmp_path: Path) -> None:
    table = coded_table(300)
    table["surname"] = [f"name{i}" for i in np.random.default_rng(1).integers(0, 150, 300)]
    data, model = tmp_path / "names.csv", tmp_path / "m.cortex"
    table.to_csv(data, index=False)
    with pytest.warns(IdentifierColumnWarning, match="'surname'"):
        result = cli("train", "ann", str(data), "--target", "label", "--out", str(model), *QUICK)
    assert result.code == 0, result.err
    state = read_model(model).extra["table"]
    assert state["max_categories"] == 50 and state["n_other"]["surname"] > 0
    assert len(state["categories"]["surname"]) == 49
    assert read_model(model).estimator.n_features_in_ == 1 + 3 + 50  # x, code, surname


def test_max_categories_option_caps_and_unseen_values_go_to_other(tmp_path: Path) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "m.cortex"
    coded_table().to_csv(data, index=False)
    result = cli("train", "ann", str(data), "--target", "label", "--out", str(model),
                 "--max-categories", "2", *QUICK)  # fmt: skip
    assert result.code == 0, result.err
    state = read_model(model).extra["table"]
    assert state["max_categories"] == 2 and len(state["categories"]["code"]) == 1
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": [0.0], "code": ["ZZ"]}).to_csv(new, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(predictions(cli("predict", str(model), str(new)))) == 1


@pytest.mark.parametrize("bad", ["1", "0", "many"])
def test_max_categories_option_rejects_bad_values(bad: str, tmp_path: Path, capsys) -> None:
    argv = ["train", "ann", "d.csv", "--target", "y", "--out", "m", "--max-categories", bad]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "--max-categories" in capsys.readouterr().err


def test_no_cap_and_too_little_memory_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "m.cortex"
    coded_table().to_csv(data, index=False)
    monkeypatch.setattr(encoder_module, "available_memory", lambda: 1024)
    line = one_error_line(cli("train", "ann", str(data), "--target", "label",
                              "--max-categories", "none", "--out", str(model), *QUICK))  # fmt: skip
    assert "120 rows x 4 features" in line and "'code' (3 columns)" in line
    assert not model.exists()


def test_text_labels_that_look_like_numbers_are_evaluated_as_text(tmp_path: Path) -> None:
    table = coded_table(150)
    table["label"] = table["code"]  # labels "01", "02", "A": the model predicts the code
    data, model = tmp_path / "train.csv", tmp_path / "m.cortex"
    table.to_csv(data, index=False)
    train(data, model)
    digits_only = tmp_path / "digits.csv"  # "01", "02" alone would be read as 1 and 2
    table[table["code"] != "A"].to_csv(digits_only, index=False)
    result = cli("evaluate", str(model), str(digits_only), "--json")
    assert result.code == 0, result.err
    assert '"accuracy": 1.0' in result.out
