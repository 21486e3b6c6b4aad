"""Command-line inputs that a reliability probe found taken silently or told unclearly:
constant feature columns, a one-row evaluation, ``--resume`` without a checkpoint, a
damaged model file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cortexkit.cli import run_captured

FAMILIES = {
    "ann": ["train", "ann", "--target", "y", "--epochs", "1", "--hidden-layers", "4"],
    "perceptron": ["train", "perceptron", "--target", "y", "--epochs", "1"],
    "autoencoder": ["train", "autoencoder", "--epochs", "1", "--hidden-layers", "1"],
    "rbm": ["train", "rbm", "--epochs", "1", "--scale", "minmax"],
    "som": ["som", "--grid", "3x3"],
}


def _table(tmp_path, constant: list[str], varying: list[str], target: bool):
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({c: np.full(n, 3.0) for c in constant})
    for c in varying:
        df[c] = rng.normal(size=n)
    if target:
        df["y"] = np.arange(n) % 2
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("family", FAMILIES)
def test_constant_feature_columns_are_refused_or_named(tmp_path, family) -> None:
    """Every feature column constant trained silently in every table family; some
    constant ones went unmentioned."""
    argv = FAMILIES[family]
    target = "--target" in argv
    command, rest = argv[: 1 if family == "som" else 2], argv[1 if family == "som" else 2 :]
    out = tmp_path / "m.cortex"
    data = _table(tmp_path, ["a", "b"], [], target)
    result = run_captured(*command, str(data), "--out", str(out), *rest, "--quiet")
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "every feature column of" in result.err and "['a', 'b']" in result.err
    assert not out.exists()
    data = _table(tmp_path, ["a"], ["b", "c"], target)
    with pytest.warns(UserWarning, match=r"1 feature column\(s\) hold one value .*\['a'\]"):
        result = run_captured(*command, str(data), "--out", str(out), *rest, "--quiet")
    assert result.code == 0, result.err


def test_evaluate_on_one_row_says_the_score_means_nothing(tmp_path) -> None:
    """``evaluate`` on one row printed a confusion matrix and accuracy 1.0 without a word."""
    data = _table(tmp_path, [], ["a", "b"], True)
    model = tmp_path / "m.cortex"
    trained = run_captured("train", "ann", str(data), "--target", "y", "--out", str(model),
                           "--epochs", "1", "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    one = tmp_path / "one.csv"
    pd.read_csv(data).head(1).to_csv(one, index=False)
    result = run_captured("evaluate", str(model), str(one))
    assert result.code == 0, result.err
    said = "scored on 1 row: a score on fewer than 2 says nothing about the model"
    assert result.out.splitlines()[0] == f"  note: {said}"
    scores = json.loads(run_captured("evaluate", str(model), str(one), "--json").out)
    assert scores["notes"]["rows"] == said
    two = tmp_path / "two.csv"
    pd.read_csv(data).head(2).to_csv(two, index=False)
    assert "note:" not in run_captured("evaluate", str(model), str(two)).out


def test_resume_without_a_checkpoint_says_it_starts_over_even_when_quiet(tmp_path) -> None:
    """``--resume`` with a missing checkpoint started afresh without a word under --quiet
    (resuming when the file is there is the documented behaviour)."""
    data = _table(tmp_path, [], ["a", "b"], True)
    checkpoint = tmp_path / "run.ckpt"
    result = run_captured("train", "ann", str(data), "--target", "y", "--out",
                          str(tmp_path / "m.cortex"), "--epochs", "1", "--checkpoint",
                          str(checkpoint), "--resume", "--quiet")  # fmt: skip
    assert result.code == 0, result.err
    assert f"--resume: no checkpoint at {checkpoint} yet; training from the start" in result.err


@pytest.mark.parametrize("cut", ["header", "tensors"])
def test_a_damaged_model_file_is_told_in_cortexkits_words(tmp_path, cut) -> None:
    """The message carried safetensors' own text ("invalid JSON in header: missing field
    `dtype` at line 1 column 1719")."""
    data = _table(tmp_path, [], ["a", "b"], True)
    model = tmp_path / "m.cortex"
    trained = run_captured("train", "ann", str(data), "--target", "y", "--out", str(model),
                           "--epochs", "1", "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    raw = bytearray(model.read_bytes())
    if cut == "header":
        raw[20] = ord("{")
    else:
        raw = raw[: len(raw) // 2]
    model.write_bytes(bytes(raw))
    result = run_captured("predict", str(model), str(data))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "not a complete safetensors file: it was cut short or altered" in result.err
    assert "deserializ" not in result.err and "header:" not in result.err


@pytest.mark.parametrize("family", ["ann", "perceptron", "autoencoder"])
def test_a_one_row_training_table_is_refused_before_any_work(tmp_path, family) -> None:
    """``train ann --task regress --test-size 0`` trained on one row (the API did too)."""
    argv = FAMILIES[family]
    data = tmp_path / "one.csv"
    data.write_text("a,b,y\n1,2,1\n")
    out = tmp_path / "m.cortex"
    held = [] if family == "autoencoder" else ["--test-size", "0"]
    result = run_captured(*argv[:2], str(data), "--out", str(out), *argv[2:], *held)
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "has 1 data row: training needs at least 2" in result.err and not out.exists()
