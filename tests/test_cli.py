"""The ``cortexkit`` command, run in-process through ``main(argv)``.

One small synthetic table (numeric and string columns, and three targets: binary,
continuous, three string classes) is written once per module and the three ANNs trained on
it are shared by the predict / evaluate tests. Bad input must give exit code 2 and a single
``cortexkit: error: ...`` line, never a traceback; ``--debug`` lets the exception through.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

import cortexkit
from cortexkit.cli import Captured, main, run_captured
from cortexkit.exceptions import ModelFileError, UnseenCategoryWarning
from cortexkit.persist import read_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
N_ROWS = 300
COLORS = ["blue", "green", "red"]
# Small and quick, but enough to learn the synthetic targets well.
FAST = ["--epochs", "40", "--learning-rate", "0.01", "--hidden-layers", "16"]
# target -> the other target columns, dropped when training on it
TARGETS = {
    "label": ["id", "price", "kind"],
    "price": ["id", "label", "kind"],
    "kind": ["id", "label", "price"],
}
METRIC_LINE = re.compile(r"^\s+(\w+)\s+(-?\d+\.\d+)$")


Result = Captured
run_cli = run_captured  # main(argv) with stdout and stderr captured


def cli_capsys(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    capsys.readouterr()  # drop anything printed before
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def synthetic_table(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Two numbers, one colour; a binary, a continuous and a three-class string target."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(COLORS, size=n)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "x1": x1,
            "x2": x2,
            "color": color,
            "label": (x1 + 1.5 * (color == "red") > 0.5).astype(int),
            "price": 3 * x1 - 2 * x2 + 4 * (color == "blue") + rng.normal(scale=0.1, size=n),
            "kind": np.where(x1 > 0.5, "high", np.where(x1 < -0.5, "low", "mid")),
        }
    )


def parse_metrics(text: str) -> dict[str, float]:
    """The ``  name   0.1234`` lines of a metrics block."""
    found = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def parse_confusion(text: str) -> tuple[list[str], np.ndarray]:
    """The labels and counts of the printed confusion matrix."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "confusion matrix" in line)
    labels = lines[start + 1].split()
    rows = [lines[start + 2 + i].split() for i in range(len(labels))]
    assert [row[0] for row in rows] == labels
    return labels, np.array([[int(v) for v in row[1:]] for row in rows])


def assert_one_error_line(result: Result) -> str:
    """Exit code 2, no traceback, and exactly one ``cortexkit: error:`` line, the last one."""
    assert result.code == 2, result
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("cortexkit: error:")]
    assert len(errors) == 1, result.err
    assert result.err.splitlines()[-1] == errors[0]
    return errors[0]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "table.csv"
    synthetic_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(table: Path) -> dict[str, tuple[Path, Result]]:
    """One ANN per target: its model file and what ``train`` printed."""
    models = {}
    for target, drop in TARGETS.items():
        path = table.parent / f"{target}.cortex"
        result = run_cli(
            "train", "ann", str(table), "--target", target, "--drop", ",".join(drop),
            *FAST, "--out", str(path),
        )  # fmt: skip
        models[target] = (path, result)
    return models


# -- train ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "estimator", "task", "metrics"),
    [
        ("label", "ANNClassifier", "classify", {"accuracy", "balanced_accuracy", "f1", "roc_auc"}),
        ("price", "ANNRegressor", "regress", {"rmse", "mae", "r2"}),
        ("kind", "ANNClassifier", "classify", {"accuracy", "balanced_accuracy", "f1", "roc_auc"}),
    ],
)
def test_train_ann_saves_model_and_prints_held_out_metrics(
    trained, target, estimator, task, metrics
) -> None:
    path, result = trained[target]
    assert result.code == 0, result.err
    assert path.is_file()
    # x1, x2 and one column per colour: the other targets and the id were dropped.
    assert f"training {estimator} on 240 rows x 5 features ({task}, target '{target}')" in (
        result.err
    )
    assert f"saved {path}" in result.out
    assert "held-out 20% (60 rows):" in result.out
    printed = parse_metrics(result.out)
    assert set(printed) == metrics
    if task == "classify":
        assert printed["accuracy"] >= 0.9
        _, counts = parse_confusion(result.out)
        assert counts.sum() == 60
        assert np.trace(counts) / 60 == pytest.approx(printed["accuracy"], abs=1e-4)
    else:
        assert printed["r2"] >= 0.9
        assert "confusion matrix" not in result.out


def test_train_guesses_the_task_and_keeps_the_preprocessing(trained) -> None:
    label, price, kind = (read_model(trained[t][0]) for t in ("label", "price", "kind"))
    assert type(label.estimator).__name__ == "ANNClassifier"
    assert label.estimator.classes_.tolist() == [0, 1]
    assert type(price.estimator).__name__ == "ANNRegressor"
    assert kind.estimator.classes_.tolist() == ["high", "low", "mid"]
    assert (label.extra["target"], label.extra["task"]) == ("label", "classify")
    assert (price.extra["target"], price.extra["task"]) == ("price", "regress")
    assert label.extra["drop"] == TARGETS["label"]
    assert label.extra["table"]["columns"] == ["x1", "x2", "color"]
    assert label.extra["table"]["categories"]["color"] == COLORS


def test_task_option_overrides_the_guess(table, tmp_path, capsys) -> None:
    model = tmp_path / "m.cortex"
    result = cli_capsys(
        capsys, "train", "ann", str(table), "--target", "label", "--task", "regress",
        "--drop", "id,price,kind", "--epochs", "2", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert set(parse_metrics(result.out)) == {"rmse", "mae", "r2"}
    assert type(read_model(model).estimator).__name__ == "ANNRegressor"


def test_test_size_zero_trains_on_everything(table, tmp_path, capsys) -> None:
    model = tmp_path / "m.cortex"
    result = cli_capsys(
        capsys, "train", "ann", str(table), "--target", "label", "--drop", "id,price,kind",
        "--test-size", "0", "--epochs", "2", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert model.is_file()
    assert "held-out" not in result.out
    assert "training ANNClassifier on 300 rows" in result.err


def test_quiet_keeps_stdout_to_results(table, tmp_path, capsys) -> None:
    model = tmp_path / "m.cortex"
    result = cli_capsys(
        capsys, "--quiet", "train", "ann", str(table), "--target", "label",
        "--drop", "id,price,kind", "--epochs", "2", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0
    assert result.out.startswith("held-out 20% (60 rows):")
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith("trained in ")


def test_train_perceptron_classifies(table, tmp_path, capsys) -> None:
    model = tmp_path / "p.cortex"
    result = cli_capsys(
        capsys, "train", "perceptron", str(table), "--target", "label",
        "--drop", "id,price,kind", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "training Perceptron on 240 rows x 5 features" in result.err
    # label is linearly separable in (x1, color=red): the perceptron finds a separator.
    assert parse_metrics(result.out)["accuracy"] >= 0.95

    result = cli_capsys(capsys, "predict", str(model), str(table))
    predictions = pd.read_csv(io.StringIO(result.out))
    assert list(predictions.columns) == ["prediction"]  # a threshold unit has no probabilities
    truth = synthetic_table()["label"]
    assert accuracy_score(truth, predictions["prediction"]) >= 0.95

    result = cli_capsys(capsys, "evaluate", str(model), str(table), "--json")
    assert result.code == 0
    metrics = json.loads(result.out)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(truth, predictions["prediction"]))
    assert {"balanced_accuracy", "f1", "roc_auc", "confusion_matrix"} <= set(metrics)


def test_train_perceptron_refuses_a_regression_task(table, tmp_path, capsys) -> None:
    model = tmp_path / "p.cortex"
    result = cli_capsys(
        capsys, "train", "perceptron", str(table), "--target", "price",
        "--drop", "id,label,kind", "--out", str(model),
    )  # fmt: skip
    line = assert_one_error_line(result)
    assert "perceptron is a classifier" in line
    assert "train ann" in line
    assert not model.exists()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_train_perceptron_on_three_classes(table, tmp_path, capsys) -> None:
    model = tmp_path / "p.cortex"
    result = cli_capsys(
        capsys, "train", "perceptron", str(table), "--target", "kind",
        "--drop", "id,label,price", "--epochs", "20", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "accuracy" in parse_metrics(result.out)


# -- predict --------------------------------------------------------------------------------


def predict_frame(capsys, model: Path, data: Path, out: Path) -> pd.DataFrame:
    result = cli_capsys(capsys, "predict", str(model), str(data), "--out", str(out))
    assert result.code == 0, result.err
    assert result.out == ""
    frame = pd.read_csv(out)
    assert f"wrote {len(frame)} predictions to {out}" in result.err
    return frame


def test_predict_writes_one_row_per_input_row_with_probabilities(
    trained, table, tmp_path, capsys
) -> None:
    out = tmp_path / "predictions.csv"
    predictions = predict_frame(capsys, trained["label"][0], table, out)
    assert list(predictions.columns) == ["prediction", "proba_0", "proba_1"]
    assert len(predictions) == N_ROWS
    proba = predictions[["proba_0", "proba_1"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(predictions["prediction"], proba.argmax(axis=1))
    truth = synthetic_table()["label"]
    assert accuracy_score(truth, predictions["prediction"]) >= 0.9


def test_predict_to_stdout_matches_the_file(trained, table, tmp_path, capsys) -> None:
    from_file = predict_frame(capsys, trained["kind"][0], table, tmp_path / "p.csv")
    result = cli_capsys(capsys, "predict", str(trained["kind"][0]), str(table))
    assert result.code == 0
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(result.out)), from_file)


def test_predict_multiclass_string_labels(trained, table, tmp_path, capsys) -> None:
    predictions = predict_frame(capsys, trained["kind"][0], table, tmp_path / "p.csv")
    columns = ["proba_high", "proba_low", "proba_mid"]
    assert list(predictions.columns) == ["prediction", *columns]
    assert set(predictions["prediction"]) <= {"high", "low", "mid"}
    proba = predictions[columns].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    best = np.array(["high", "low", "mid"])[proba.argmax(axis=1)]
    np.testing.assert_array_equal(predictions["prediction"], best)
    assert accuracy_score(synthetic_table()["kind"], predictions["prediction"]) >= 0.9


def test_predict_regression_has_only_predictions(trained, table, tmp_path, capsys) -> None:
    predictions = predict_frame(capsys, trained["price"][0], table, tmp_path / "p.csv")
    assert list(predictions.columns) == ["prediction"]
    assert len(predictions) == N_ROWS
    assert r2_score(synthetic_table()["price"], predictions["prediction"]) >= 0.9


def test_predict_works_on_raw_rows_in_any_shape(trained, table, tmp_path, capsys) -> None:
    """Target or not, dropped columns or not, extra columns, any column order: same answer."""
    model = trained["label"][0]
    reference = predict_frame(capsys, model, table, tmp_path / "ref.csv")
    raw = synthetic_table()
    variants = {
        "no target": raw.drop(columns=["label"]),
        "features only": raw[["x1", "x2", "color"]],
        "reordered, with extras": raw.assign(note="hello", score=1.5)[
            ["note", "color", "x2", "score", "x1"]
        ],
    }
    for name, frame in variants.items():
        data = tmp_path / f"{name}.csv"
        frame.to_csv(data, index=False)
        got = predict_frame(capsys, model, data, tmp_path / f"{name}-out.csv")
        pd.testing.assert_frame_equal(got, reference, obj=name)


def test_predict_without_a_feature_is_a_clear_error(trained, tmp_path, capsys) -> None:
    data = tmp_path / "no-color.csv"
    synthetic_table(20)[["x1", "x2"]].to_csv(data, index=False)
    line = assert_one_error_line(cli_capsys(capsys, "predict", str(trained["label"][0]), str(data)))
    assert "'color'" in line
    assert "missing" in line


def test_predict_with_an_unseen_category_warns_and_predicts(trained, tmp_path, capsys) -> None:
    data = tmp_path / "purple.csv"
    pd.DataFrame({"x1": [0.1, 2.0], "x2": [0.2, 0.0], "color": ["purple", "red"]}).to_csv(
        data, index=False
    )
    with pytest.warns(UnseenCategoryWarning, match="purple"):
        result = cli_capsys(capsys, "predict", str(trained["label"][0]), str(data))
    assert result.code == 0, result.err
    predictions = pd.read_csv(io.StringIO(result.out))
    assert len(predictions) == 2
    assert predictions["prediction"].iloc[1] == 1  # x1 = 2 and red: clearly positive


def test_predict_ignores_columns_dropped_at_training(tmp_path, capsys) -> None:
    raw = synthetic_table(100)
    raw["note"] = [str(i) for i in range(len(raw))]
    raw.loc[5, "note"] = "abc"  # numbers with one stray text cell: read_table refuses it
    data = tmp_path / "notes.csv"
    raw.to_csv(data, index=False)
    model = tmp_path / "m.cortex"
    result = cli_capsys(
        capsys, "train", "ann", str(data), "--target", "label",
        "--drop", "id,price,kind,note", "--epochs", "2", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    result = cli_capsys(capsys, "predict", str(model), str(data))
    assert result.code == 0, result.err


# -- evaluate -------------------------------------------------------------------------------


def test_evaluate_classification_text_and_json(trained, table, tmp_path, capsys) -> None:
    model = trained["label"][0]
    predictions = predict_frame(capsys, model, table, tmp_path / "p.csv")
    truth = synthetic_table()["label"]

    result = cli_capsys(capsys, "evaluate", str(model), str(table))
    assert result.code == 0, result.err
    result_text = result.out
    printed = parse_metrics(result.out)
    assert set(printed) == {"accuracy", "balanced_accuracy", "f1", "roc_auc"}
    labels, counts = parse_confusion(result.out)
    assert labels == ["0", "1"]
    assert counts.sum() == N_ROWS
    assert counts.sum(axis=1).tolist() == np.bincount(truth).tolist()  # rows are actual

    result = cli_capsys(capsys, "evaluate", str(model), str(table), "--json")
    assert result.code == 0
    metrics = json.loads(result.out)
    assert set(metrics) == {
        "accuracy", "balanced_accuracy", "f1", "roc_auc", "baseline", "labels",
        "confusion_matrix",
    }  # fmt: skip
    majority = np.bincount(truth).max() / len(truth)
    assert metrics["baseline"] == {"model": "the majority class", "accuracy": majority}
    assert f"baseline           accuracy {majority:.4f}" in result_text
    assert metrics["labels"] == ["0", "1"]
    assert metrics["confusion_matrix"] == counts.tolist()
    # The oracle: sklearn on the predict command's own output.
    assert metrics["accuracy"] == pytest.approx(accuracy_score(truth, predictions["prediction"]))
    assert metrics["roc_auc"] == pytest.approx(
        roc_auc_score(truth, predictions["proba_1"]), abs=1e-6
    )
    for name, value in printed.items():
        assert value == pytest.approx(metrics[name], abs=5e-5)


def test_evaluate_multiclass(trained, table, capsys) -> None:
    result = cli_capsys(capsys, "evaluate", str(trained["kind"][0]), str(table), "--json")
    assert result.code == 0, result.err
    metrics = json.loads(result.out)
    assert metrics["labels"] == ["high", "low", "mid"]
    counts = np.array(metrics["confusion_matrix"])
    assert counts.shape == (3, 3)
    assert np.trace(counts) / N_ROWS == pytest.approx(metrics["accuracy"])
    assert 0.9 <= metrics["roc_auc"] <= 1.0


def test_evaluate_regression(trained, table, tmp_path, capsys) -> None:
    model = trained["price"][0]
    predictions = predict_frame(capsys, model, table, tmp_path / "p.csv")["prediction"]
    truth = synthetic_table()["price"]

    result = cli_capsys(capsys, "evaluate", str(model), str(table))
    assert result.code == 0, result.err
    assert set(parse_metrics(result.out)) == {"rmse", "mae", "r2"}
    assert "confusion" not in result.out

    metrics = json.loads(cli_capsys(capsys, "evaluate", str(model), str(table), "--json").out)
    assert set(metrics) == {"rmse", "mae", "r2", "baseline"}
    mean = np.full(len(truth), truth.mean())
    assert metrics["baseline"]["rmse"] == pytest.approx(root_mean_squared_error(truth, mean))
    assert metrics["baseline"]["mae"] == pytest.approx(mean_absolute_error(truth, mean))
    assert metrics["rmse"] < metrics["baseline"]["rmse"]  # the model learned something
    assert metrics["rmse"] == pytest.approx(root_mean_squared_error(truth, predictions), rel=1e-5)
    assert metrics["mae"] == pytest.approx(mean_absolute_error(truth, predictions), rel=1e-5)
    assert metrics["r2"] == pytest.approx(r2_score(truth, predictions), rel=1e-5)


def test_evaluate_needs_the_target_column(trained, tmp_path, capsys) -> None:
    data = tmp_path / "unlabelled.csv"
    synthetic_table(20).drop(columns=["label"]).to_csv(data, index=False)
    line = assert_one_error_line(
        cli_capsys(capsys, "evaluate", str(trained["label"][0]), str(data))
    )
    assert "no target column 'label'" in line


# -- bad input ------------------------------------------------------------------------------


class Payload:
    """A pickle that would create a file if anything unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


BAD_INPUT_NAMES = [
    "missing data file",
    "empty data file",
    "unknown target",
    "unknown drop column",
    "unknown activation",
    "test size above 1",
    "output folder missing",
    "missing model file",
    "corrupt model file",
    "pickle as model",
    "pickle to evaluate",
    "data file as model",
    "missing predict data",
]


def bad_inputs(table: Path, model: Path, folder: Path) -> dict[str, tuple[list[str], type]]:
    """Name -> (argv, the exception ``--debug`` lets through); writes the bad files."""
    corrupt = folder / "corrupt.cortex"
    corrupt.write_bytes(b"\x07" + np.random.default_rng(0).bytes(511))
    pickled = folder / "model.pkl"
    pickled.write_bytes(pickle.dumps(Payload(folder / "pwned")))
    empty = folder / "empty.csv"
    empty.write_text("")
    out = str(folder / "out.cortex")

    def train_to(dest: str) -> list[str]:
        return ["train", "ann", str(table), "--out", dest, "--epochs", "1"]

    train = train_to(out)
    return {
        "missing data file": (
            ["train", "ann", str(folder / "nope.csv"), "--target", "label", "--out", out],
            FileNotFoundError,
        ),
        "empty data file": (
            ["train", "ann", str(empty), "--target", "label", "--out", out],
            ValueError,
        ),
        "unknown target": ([*train, "--target", "nope"], ValueError),
        "unknown drop column": ([*train, "--target", "label", "--drop", "id,nope"], ValueError),
        "unknown activation": (
            [*train, "--target", "label", "--drop", "id,price,kind", "--activation", "swishy"],
            ValueError,
        ),
        "test size above 1": ([*train, "--target", "label", "--test-size", "1.5"], ValueError),
        "output folder missing": (
            [*train_to(str(folder / "no" / "m.cortex")), "--target", "label", "--drop", "id"],
            ValueError,
        ),
        "missing model file": (["predict", str(folder / "nope.cortex"), str(table)], OSError),
        "corrupt model file": (["predict", str(corrupt), str(table)], ModelFileError),
        "pickle as model": (["predict", str(pickled), str(table)], ModelFileError),
        "pickle to evaluate": (["evaluate", str(pickled), str(table)], ModelFileError),
        "data file as model": (["evaluate", str(table), str(table)], ModelFileError),
        "missing predict data": (["predict", str(model), str(folder / "nope.csv")], OSError),
    }


@pytest.mark.parametrize("name", BAD_INPUT_NAMES)
def test_bad_input_is_one_line_and_exit_code_2(name, trained, table, tmp_path, capsys) -> None:
    cases = bad_inputs(table, trained["label"][0], tmp_path)
    assert list(cases) == BAD_INPUT_NAMES
    argv, error = cases[name]
    line = assert_one_error_line(cli_capsys(capsys, *argv))
    assert len(line) > len("cortexkit: error: ") + 10  # says something
    # With --quiet there is no chatter at all: the error is the whole of stderr.
    quiet = cli_capsys(capsys, "--quiet", *argv)
    assert quiet.code == 2
    assert quiet.err == line + "\n"
    assert not (tmp_path / "out.cortex").exists()
    assert not (tmp_path / "pwned").exists()  # the pickle was refused, not run

    with pytest.raises(error):
        main(["--debug", *argv])


def test_error_messages_name_the_problem(trained, table, tmp_path, capsys) -> None:
    cases = bad_inputs(table, trained["label"][0], tmp_path)
    expected = {
        "missing data file": "nope.csv",
        "unknown target": "'nope'",
        "unknown drop column": "'nope'",
        "unknown activation": "'swishy'",
        "test size above 1": "1.5",
        "pickle as model": "pickle",
        "corrupt model file": "not a usable cortexkit model file",
    }
    for name, text in expected.items():
        line = assert_one_error_line(cli_capsys(capsys, *cases[name][0]))
        assert text in line, (name, line)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "ann", "data.csv", "--out", "m.cortex"],  # no --target
        ["train", "svm", "data.csv", "--target", "y", "--out", "m.cortex"],
        ["train", "ann", "data.csv", "--target", "y", "--out", "m", "--hidden-layers", "0,4"],
        ["train", "ann", "d.csv", "--target", "y", "--out", "m", "--gradient-descent", "sideways"],
        ["explain", "--layers", "0,1"],
        ["explain", "--layers", "3,x,1"],
        [],
    ],
)
def test_argparse_rejects_malformed_command_lines(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_programming_errors_are_not_hidden(monkeypatch) -> None:
    import cortexkit.demo

    def boom(*args, **kwargs):
        raise RuntimeError("a bug, not bad input")

    monkeypatch.setattr(cortexkit.demo, "run_demo", boom)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["demo"])


def test_interrupt_exits_130(monkeypatch, capsys) -> None:
    import cortexkit.demo

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cortexkit.demo, "run_demo", interrupted)
    assert main(["demo"]) == 130
    assert capsys.readouterr().err == "cortexkit: interrupted\n"


# -- explain --------------------------------------------------------------------------------


def test_explain_prints_the_seven_steps(capsys) -> None:
    result = cli_capsys(capsys, "explain")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("cortexkit explain: a 3-4-1 network, sigmoid units, mse loss")
    headers = [line for line in lines if re.match(r"Step \d\. ", line)]
    assert [h.split(".")[0] for h in headers] == [f"Step {i}" for i in range(1, 8)]
    assert "Forward propagation" in headers[2]
    assert "Backpropagation" in headers[4]
    check = next(line for line in lines if "chain rule vs autograd" in line)
    assert check.rstrip().endswith("OK")
    # Step 7's table: epochs 0..2 of each mode, loss going down in every mode.
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("epoch"))
    table = np.array([[float(v) for v in line.split()] for line in lines[start + 1 : start + 4]])
    assert table[:, 0].tolist() == [0, 1, 2]
    assert (np.diff(table[:, 1:], axis=0) < 0).all()


def test_explain_options_change_the_network(capsys) -> None:
    result = cli_capsys(
        capsys, "explain", "--layers", "2,3,1", "--activation", "tanh", "--loss", "mae",
        "--learning-rate", "0.1", "--steps", "1",
    )  # fmt: skip
    assert result.code == 0
    first = result.out.splitlines()[0]
    assert "a 2-3-1 network, tanh units, mae loss, learning rate 0.1" in first
    assert "1 epoch in each mode" in result.out
    assert "OK" in result.out


def test_explain_is_deterministic_for_a_seed(capsys) -> None:
    one = cli_capsys(capsys, "explain", "--random-state", "3").out
    two = cli_capsys(capsys, "explain", "--random-state", "3").out
    other = cli_capsys(capsys, "explain", "--random-state", "4").out
    assert one == two
    assert one != other


def test_explain_plot_activations_writes_a_png(tmp_path, capsys) -> None:
    path = tmp_path / "activations.png"
    result = cli_capsys(capsys, "explain", "--plot-activations", str(path))
    assert result.code == 0
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert "Step 1" not in result.out  # drawing replaces the walk-through
    assert f"wrote {path}" in result.err


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["explain", "--activation", "nope"], "'nope'"),
        (["explain", "--loss", "nope"], "'nope'"),
        (["explain", "--steps", "0"], "steps"),
        (["explain", "--learning-rate", "-1"], "learning_rate"),
        (["explain", "--plot-activations", "activations.txt"], ".png"),
        (["explain", "--plot-activations", "no/such/folder/a.png"], "does not exist"),
    ],
)
def test_explain_bad_options_are_clean_errors(argv, text, capsys) -> None:
    line = assert_one_error_line(cli_capsys(capsys, *argv))
    assert text in line


# -- the installed entry point --------------------------------------------------------------


def test_version_in_process(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"cortexkit {cortexkit.__version__}"


def test_console_script_runs() -> None:
    script = Path(sys.executable).with_name("cortexkit")
    assert script.is_file(), f"console script not installed next to {sys.executable}"
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cortexkit {cortexkit.__version__}"


# -- real data ------------------------------------------------------------------------------


@pytest.mark.slow
def test_churn_end_to_end(tmp_path, capsys) -> None:
    data = SHARED_DATA / "churn-modelling" / "Churn_Modelling.csv"
    if not data.is_file():
        pytest.skip(f"shared data not available: {data}")
    model = tmp_path / "churn.cortex"
    result = cli_capsys(
        capsys, "train", "ann", str(data), "--target", "Exited",
        "--drop", "RowNumber,CustomerId,Surname", "--random-state", "0", "--out", str(model),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "held-out 20% (2000 rows):" in result.out
    held_out = parse_metrics(result.out)
    assert held_out["accuracy"] >= 0.855, result.out
    # Geography (3) and Gender (2) one-hot, plus 8 numeric columns.
    assert "on 8000 rows x 13 features (classify, target 'Exited')" in result.err

    result = cli_capsys(capsys, "evaluate", str(model), str(data), "--json")
    assert result.code == 0, result.err
    metrics = json.loads(result.out)
    assert np.array(metrics["confusion_matrix"]).sum() == 10_000
    assert metrics["accuracy"] >= 0.85
    assert metrics["roc_auc"] >= 0.8


# -- review fixes -------------------------------------------------------------------------


def test_a_boolean_target_predicts_booleans(tmp_path) -> None:
    table = synthetic_table().assign(flag=lambda t: t["label"] == 1)
    data = tmp_path / "bool.csv"
    table.to_csv(data, index=False)
    model = tmp_path / "bool.cortex"
    drop = "id,label,price,kind"
    result = run_cli("--quiet", "train", "ann", str(data), "--target", "flag", "--drop", drop,
                     "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 0, result.err
    assert read_model(model).estimator.classes_.tolist() == [False, True]
    out = tmp_path / "pred.csv"
    assert run_cli("--quiet", "predict", str(model), str(data), "--out", str(out)).code == 0
    assert set(pd.read_csv(out)["prediction"]) <= {True, False}
    assert parse_metrics(run_cli("evaluate", str(model), str(data)).out)["accuracy"] > 0.9


def test_regress_on_a_text_target_names_the_target(tmp_path) -> None:
    data = tmp_path / "t.csv"
    synthetic_table().to_csv(data, index=False)
    result = run_cli("train", "ann", str(data), "--target", "kind", "--task", "regress",
                     "--out", str(tmp_path / "m.cortex"))  # fmt: skip
    assert result.code == 2
    assert "numeric target" in result.err and "'kind'" in result.err


def test_infinite_values_fail_before_anything_is_saved(tmp_path) -> None:
    table = synthetic_table()
    table.loc[5, "x2"] = np.inf
    data = tmp_path / "inf.csv"
    table.to_csv(data, index=False)
    model = tmp_path / "m.cortex"
    result = run_cli("train", "ann", str(data), "--target", "label", "--drop",
                     "id,price,kind", "--out", str(model), *FAST)  # fmt: skip
    assert result.code == 2
    assert "'x2'" in result.err and "infinite" in result.err
    assert not model.exists()


def test_a_test_size_too_small_to_split_names_the_option(tmp_path) -> None:
    data = tmp_path / "t.csv"
    synthetic_table(n=20).to_csv(data, index=False)
    result = run_cli("train", "ann", str(data), "--target", "kind", "--test-size", "0.01",
                     "--out", str(tmp_path / "m.cortex"))  # fmt: skip
    assert result.code == 2
    assert "--test-size" in result.err


def test_an_unavailable_device_is_one_clear_line(tmp_path) -> None:
    data = tmp_path / "t.csv"
    synthetic_table().to_csv(data, index=False)
    result = run_cli("train", "ann", str(data), "--target", "label", "--device", "cuda:3",
                     "--out", str(tmp_path / "m.cortex"))  # fmt: skip
    if result.code == 0:  # pragma: no cover - a machine with four GPUs
        pytest.skip("this machine has that GPU")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "cuda:3" in result.err
