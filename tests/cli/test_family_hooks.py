"""A family that is not a supervised table: its own train flags, predict and evaluate."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pytest

from cortexkit.cli import families, run_captured
from cortexkit.cli.families import TrainFamily, add_flag


def _own_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--column", required=True)


def _predict_flags(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, "--horizon", type=int, default=3)


def _train(args: argparse.Namespace) -> int:
    print(f"trained on {args.data} column {args.column} seed {args.random_state}")
    return 0


def _predict(args: argparse.Namespace, model_file: Any) -> int:
    print(f"{type(model_file.estimator).__name__} horizon {args.horizon}")
    return 0


@pytest.fixture
def series_family(monkeypatch: pytest.MonkeyPatch) -> None:
    real = families.discover()
    fake = TrainFamily(
        "series", "a series", _own_flags, _train, checkpoints=False, table=False,
        models=("ANNRegressor",), predict=_predict, predict_arguments=_predict_flags,
    )  # fmt: skip
    monkeypatch.setattr(families, "discover", lambda: {**real, "series": fake})
    import cortexkit.cli.predict as predict
    import cortexkit.cli.train as train

    monkeypatch.setattr(predict, "discover", families.discover)
    monkeypatch.setattr(train, "discover", families.discover)


def test_a_family_without_a_table_takes_no_target(series_family: None, tmp_path: Any) -> None:
    result = run_captured("train", "series", "s.csv", "--column", "Close",
                          "--out", str(tmp_path / "m.ck"))  # fmt: skip
    assert result.code == 0, result.err
    assert "column Close seed 0" in result.out
    refused = run_captured("train", "series", "s.csv", "--column", "C", "--target", "y",
                           "--out", str(tmp_path / "m.ck"))  # fmt: skip
    assert refused.code == 2 and "--target" in refused.err


def test_predict_hands_the_family_s_models_to_its_handler(
    series_family: None, tmp_path: Any
) -> None:
    from cortexkit import ANNRegressor

    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    path = tmp_path / "m.ck"
    ANNRegressor((4,), epochs=2).fit(X, X[:, 0]).save(path)
    result = run_captured("predict", str(path), "ignored.csv", "--horizon", "7")
    assert result.code == 0, result.err
    assert result.out.strip() == "ANNRegressor horizon 7"


def test_resume_says_whether_a_checkpoint_was_found(tmp_path: Any) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    ck = tmp_path / "run.ckpt"
    args = ["train", "ann", str(data), "--target", "y", "--epochs", "2", "--hidden-layers", "4",
            "--out", str(tmp_path / "m.ck"), "--checkpoint", str(ck), "--resume"]  # fmt: skip
    first = run_captured(*args)
    assert first.code == 0, first.err
    assert "no checkpoint at" in first.err and ck.exists()
    again = run_captured(*args)
    assert again.code == 0, again.err
    assert "continuing from the checkpoint" in again.err
