"""``cortexkit train autoencoder``, and ``predict`` / ``evaluate`` on its model files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cortexkit import load
from cortexkit.cli import run_captured

FAST = ["--epochs", "40", "--learning-rate", "0.01", "--hidden-layers", "8,2", "--quiet"]


def anomaly_table(n: int = 300, n_odd: int = 15, seed: int = 0) -> pd.DataFrame:
    """Rows on a 2-d plane in 5 numbers (and a text column), plus rows off it; ``odd`` marks
    them, ``id`` numbers the rows."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(2, 5))
    normal = rng.normal(size=(n, 2)) @ basis + 0.05 * rng.normal(size=(n, 5))
    odd = 2 * rng.normal(size=(n_odd, 5))
    df = pd.DataFrame(np.vstack([normal, odd]), columns=[f"x{i}" for i in range(5)])
    df["colour"] = np.where(df["x0"] > 0, "red", "blue")
    df["odd"] = np.r_[np.zeros(n, int), np.ones(n_odd, int)]
    df.insert(0, "id", np.arange(len(df)))
    return df


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ae-cli")
    data = folder / "t.csv"
    anomaly_table().to_csv(data, index=False)
    model = folder / "ae.ck"
    result = run_captured("train", "autoencoder", str(data), "--label-column", "odd",
                          "--drop", "id", "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 0, result.err
    return {"data": data, "model": model, "stdout": result.out}


def test_train_leaves_the_label_out_and_scores_it(trained: dict[str, Any]) -> None:
    est = load(trained["model"])
    assert est.n_features_in_ == 5 + 2  # x0..x4 and colour's two one-hot columns
    out = trained["stdout"]
    assert "roc_auc" in out and "average_precision" in out


def test_predict_writes_the_anomaly_scores(trained: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = run_captured("predict", str(trained["model"]), str(trained["data"]),
                          "--out", str(out), "--quiet")  # fmt: skip
    assert result.code == 0, result.err
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["score", "anomaly"] and len(scores) == 315
    est = load(trained["model"])
    assert ((scores["score"] > est.threshold_).astype(int) == scores["anomaly"]).all()
    # the off-plane rows score highest
    odd = anomaly_table()["odd"].to_numpy()
    assert scores["score"][odd == 1].mean() > 3 * scores["score"][odd == 0].mean()


def test_evaluate_prints_roc_auc_and_average_precision(trained: dict[str, Any]) -> None:
    result = run_captured("evaluate", str(trained["model"]), str(trained["data"]),
                          "--label-column", "odd", "--json")  # fmt: skip
    assert result.code == 0, result.err
    scores = json.loads(result.out)
    assert scores["anomaly_label"] == "1" and scores["rows"] == 315
    assert scores["roc_auc"] > 0.95 and scores["average_precision"] > 0.7
    # the label column it was trained with is the default; text output names both metrics
    plain = run_captured("evaluate", str(trained["model"]), str(trained["data"]))
    assert plain.code == 0 and "roc_auc" in plain.out and "average_precision" in plain.out


def test_bad_label_columns_are_named(trained: dict[str, Any], tmp_path: Path) -> None:
    result = run_captured("train", "autoencoder", str(trained["data"]), "--label-column",
                          "nope", "--out", str(tmp_path / "m.ck"), *FAST)  # fmt: skip
    assert result.code != 0 and "--label-column 'nope' is not a column" in result.err
    result = run_captured("evaluate", str(trained["model"]), str(trained["data"]),
                          "--label-column", "odd", "--anomaly-label", "7")  # fmt: skip
    assert result.code != 0 and "--anomaly-label '7'" in result.err
    result = run_captured("train", "autoencoder", str(trained["data"]), "--noise-level", "1.5",
                          "--kind", "denoising", "--noise", "masking",
                          "--out", str(tmp_path / "m.ck"), *FAST)  # fmt: skip
    assert result.code != 0 and "--noise-level must be in [0, 1)" in result.err


def test_a_label_that_cannot_be_scored_fails_before_training(tmp_path: Path) -> None:
    """One class in the label column, or an --anomaly-label it lacks: exit 2 before any
    training, and no model file left behind."""
    one_class = anomaly_table().query("odd == 0")
    data = tmp_path / "normal.csv"
    one_class.to_csv(data, index=False)
    model = tmp_path / "m.ck"
    result = run_captured("train", "autoencoder", str(data), "--label-column", "odd",
                          "--drop", "id", "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 2 and "exactly 2 classes" in result.err
    assert not model.exists() and "trained in" not in result.out + result.err
    data = tmp_path / "t.csv"
    anomaly_table().to_csv(data, index=False)
    result = run_captured("train", "autoencoder", str(data), "--label-column", "odd",
                          "--anomaly-label", "7", "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 2 and "--anomaly-label '7'" in result.err and not model.exists()


def test_evaluate_scores_the_anomaly_label_chosen_at_training(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    """Training stores the anomalous class (there the rarer, 1); a file where anomalies
    are the majority is scored against 1 too, not against its own rarer class."""
    every = anomaly_table(n_odd=40)  # the training rows' plane; 10 of its rows, 40 off it
    table = pd.concat([every[every["odd"] == 0].head(10), every[every["odd"] == 1]])
    data = tmp_path / "mostly-odd.csv"
    table.to_csv(data, index=False)
    result = run_captured("evaluate", str(trained["model"]), str(data), "--json")
    assert result.code == 0, result.err
    scores = json.loads(result.out)
    assert scores["anomaly_label"] == "1" and scores["anomaly_share"] == 0.8
    assert scores["roc_auc"] > 0.9
    normal = tmp_path / "relabelled.csv"  # the stored label is not in this column
    table.assign(odd=table["odd"] + 2).to_csv(normal, index=False)
    result = run_captured("evaluate", str(trained["model"]), str(normal))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "model's anomaly label '1' is not a value" in result.err
    assert "--anomaly-label V" in result.err


def test_evaluate_without_a_stored_label_asks_for_one(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    anomaly_table().to_csv(data, index=False)
    model = tmp_path / "m.ck"
    result = run_captured("train", "autoencoder", str(data), "--drop", "id,odd",
                          "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 0, result.err
    result = run_captured("evaluate", str(model), str(data), "--label-column", "odd")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "does not say which value of 'odd' marks an anomaly" in result.err
    assert "--anomaly-label V" in result.err
    result = run_captured("evaluate", str(model), str(data), "--label-column", "odd",
                          "--anomaly-label", "1", "--json")  # fmt: skip
    assert result.code == 0 and json.loads(result.out)["anomaly_label"] == "1"


def test_default_widths_follow_the_table_and_n_estimators_averages(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    anomaly_table(n=120, n_odd=6).to_csv(data, index=False)
    model = tmp_path / "ens.ck"
    result = run_captured("train", "autoencoder", str(data), "--label-column", "odd",
                          "--drop", "id", "--out", str(model), "--epochs", "5",
                          "--n-estimators", "2", "--quiet")  # fmt: skip
    assert result.code == 0, result.err
    est = load(model)
    assert est.n_estimators == 2 and len(est.network_.members) == 2
    assert tuple(est.hidden_layers) == (4, 2)  # 7 encoded columns: half, then a quarter
