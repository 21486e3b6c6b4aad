"""Targets that scikit-learn would trip over get cortexkit's own words, before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def strict_json(text: str):
    def refuse(name: str):
        raise ValueError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def one_error(result) -> str:
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cortexkit: error: "), result.err
    return lines[0]


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_evaluate_json_on_one_class_has_null_and_says_why(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    data = write(frame[frame["label"] == 1], tmp_path / "ones.csv")
    result = cli_run("evaluate", str(small["label"]), str(data), "--json")
    assert result.code == 0, result.err
    metrics = strict_json(result.out)
    assert metrics["roc_auc"] is None
    assert metrics["notes"]["roc_auc"] == "only one class present in the data (1)"
    assert "classes present" in metrics["notes"]["balanced_accuracy"]
    assert 0 <= metrics["accuracy"] <= 1
    text = cli_run("evaluate", str(small["label"]), str(data)).out
    assert "roc_auc            n/a (only one class present in the data (1))" in text


def test_evaluate_r2_on_one_row_is_null(cli_run, small, tmp_path) -> None:
    data = write(pd.read_csv(small["data"]).head(1), tmp_path / "one.csv")
    result = cli_run("evaluate", str(small["price"]), str(data), "--json")
    assert result.code == 0, result.err
    metrics = strict_json(result.out)
    assert metrics["r2"] is None
    assert metrics["notes"]["r2"] == "not defined on fewer than two rows"
    assert metrics["rmse"] >= 0


def test_evaluate_names_labels_the_model_never_saw(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame.loc[:4, "label"] = 2
    data = write(frame, tmp_path / "three.csv")
    line = one_error(cli_run("evaluate", str(small["label"]), str(data)))
    assert line == (
        "cortexkit: error: target column 'label' holds 1 label the model never saw: ['2'] "
        "(it knows ['0', '1'])"
    )
    assert "average" not in line


def test_evaluate_names_text_labels_for_a_numeric_model(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame["label"] = np.where(frame["label"] == 1, "yes", "no")
    line = one_error(
        cli_run("evaluate", str(small["label"]), str(write(frame, tmp_path / "t.csv")))
    )
    assert "'label'" in line and "['no', 'yes']" in line
    assert "Mix of label input types" not in line


def test_evaluate_accepts_labels_written_as_floats(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame["label"] = frame["label"].astype(float)  # 1.0 in the file is class 1
    result = cli_run("evaluate", str(small["label"]), str(write(frame, tmp_path / "f.csv")))
    assert result.code == 0, result.err


def test_evaluate_regression_needs_a_numeric_target(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"]).assign(price="cheap")
    line = one_error(
        cli_run("evaluate", str(small["price"]), str(write(frame, tmp_path / "t.csv")))
    )
    # the target is read with the type it had in training, so the reader names it first
    assert "column 'price' held numbers in training" in line and "'cheap'" in line


def train(cli_run, data: Path, out: Path, target: str, *extra: str):
    return cli_run("train", "ann", str(data), "--target", target, "--drop", "label,price",
                   "--epochs", "1", "--out", str(out), *extra)  # fmt: skip


@pytest.mark.parametrize("test_size", ["0.2", "0"])
def test_a_class_per_row_is_refused_before_training(cli_run, small, tmp_path, test_size) -> None:
    frame = pd.read_csv(small["data"]).assign(name=lambda t: [f"row{i}" for i in range(len(t))])
    out = tmp_path / "m.cortex"
    result = train(cli_run, write(frame, tmp_path / "t.csv"), out, "name", "--test-size", test_size)
    line = one_error(result)
    assert "target 'name' has a different value in each of its" in line
    assert not out.exists()
    assert "training" not in result.err  # refused before training began


def test_single_row_classes_with_a_hold_out_are_named(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"])
    frame["kind"] = np.where(frame["x1"] > 0, "up", "down")
    frame.loc[0, "kind"] = "odd"
    data = write(frame, tmp_path / "t.csv")
    out = tmp_path / "m.cortex"
    line = one_error(train(cli_run, data, out, "kind"))
    assert "target 'kind': 1 of its 3 classes have a single row (['odd'])" in line
    assert "--test-size 0" in line
    assert not out.exists()
    assert train(cli_run, data, out, "kind", "--test-size", "0").code == 0  # as suggested


def test_a_single_class_is_refused(cli_run, small, tmp_path) -> None:
    frame = pd.read_csv(small["data"]).assign(kind="same")
    line = one_error(train(cli_run, write(frame, tmp_path / "t.csv"), tmp_path / "m", "kind"))
    assert "target 'kind' holds a single class ('same')" in line
