"""What a second probe of the command line found: outputs that would destroy a file, an
export that named the wrong problem, and scores that say nothing about the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cortexkit.cli import run_captured


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = (X[:, 0] > 0).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _train(table, out, *extra):
    return run_captured("train", "ann", str(table), "--target", "y", "--epochs", "2",
                        "--out", str(out), "--quiet", *extra)  # fmt: skip


def test_train_refuses_to_write_its_model_over_a_file_that_is_not_one(table, tmp_path) -> None:
    precious = tmp_path / "results.csv"
    precious.write_text("keep,me\n1,2\n")
    result = _train(table, precious)
    assert result.code == 2
    assert "exists and is not a cortexkit model file" in result.err
    assert precious.read_text() == "keep,me\n1,2\n"
    model = tmp_path / "m.cortex"
    assert _train(table, model).code == 0
    assert _train(table, model).code == 0, "a model file may be trained again in place"


def test_export_refuses_to_write_over_a_file_that_is_not_an_onnx_model(table, tmp_path) -> None:
    pytest.importorskip("onnx")
    model = tmp_path / "m.cortex"
    assert _train(table, model).code == 0
    result = run_captured("export", str(model), "--out", str(table))
    assert result.code == 2 and "is not an ONNX model" in result.err
    assert table.read_text().startswith("a,b,c,y")
    onnx = tmp_path / "m.onnx"
    assert run_captured("export", str(model), "--out", str(onnx)).code == 0
    assert run_captured("export", str(model), "--out", str(onnx)).code == 0  # replaced


def test_an_output_path_that_ends_in_a_slash_is_a_folder(table, tmp_path) -> None:
    result = _train(table, f"{tmp_path}/newdir/")
    assert result.code == 2 and "is a folder" in result.err
    assert not (tmp_path / "newdir").exists()


def test_exporting_a_perceptron_says_it_cannot_be_exported(table, tmp_path) -> None:
    model = tmp_path / "p.cortex"
    done = run_captured("train", "perceptron", str(table), "--target", "y", "--out", str(model))
    assert done.code == 0, done.err
    result = run_captured("export", str(model), "--out", str(tmp_path / "p.onnx"))
    assert result.code == 2
    assert "cannot be exported" in result.err and "device" not in result.err


def test_evaluate_warns_when_no_held_out_rating_is_of_a_known_user_and_item(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = [(u, i, int(rng.integers(1, 6))) for u in range(1, 30) for i in range(1, 20)]
    train = tmp_path / "train.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(train, index=False)
    strangers = tmp_path / "strangers.csv"
    pd.DataFrame([(900 + k, 800 + k, 3) for k in range(20)],
                 columns=["user", "item", "rating"]).to_csv(strangers, index=False)  # fmt: skip
    model = tmp_path / "r.cortex"
    done = run_captured("recommend", "train", str(train), "--model", "autorec", "--epochs", "2",
                        "--out", str(model), "--quiet")  # fmt: skip
    assert done.code == 0, done.err
    with pytest.warns(UserWarning, match="every prediction is the fallback"):
        result = run_captured("recommend", "evaluate", str(model), str(strangers))
    assert result.code == 0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when the model knows the pairs
        assert run_captured("recommend", "evaluate", str(model), str(train)).code == 0


def test_a_text_file_given_as_a_model_is_named_as_one(table, tmp_path) -> None:
    for command in (("export", str(table), "--out", str(tmp_path / "x.onnx")),
                    ("predict", str(table), str(table))):  # fmt: skip
        result = run_captured(*command)
        assert result.code == 2
        assert "is a text file (a CSV or a table?), not a model file" in result.err
        assert "safetensors" not in result.err


def test_train_rnn_names_a_series_column_that_is_not_there(tmp_path) -> None:
    data = tmp_path / "panel.csv"
    pd.DataFrame({"t": range(40), "alpha": np.arange(40) % 7, "beta": np.arange(40) % 3}).to_csv(
        data, index=False
    )
    result = run_captured("train", "rnn", str(data), "--series-column", "zzz", "--epochs", "1",
                          "--out", str(tmp_path / "m.cortex"))  # fmt: skip
    assert result.code == 2
    assert "--series-column 'zzz' is not a column" in result.err
