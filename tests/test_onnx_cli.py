"""ONNX export's refusals, path checks and atomic writes, and ``cortexkit export``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from cortexkit import (
    DBM,
    DBN,
    RBM,
    ANNClassifier,
    BoltzmannRecommender,
    CNNClassifier,
    Perceptron,
    SelfOrganizingMap,
)
from cortexkit.cli import run_captured
from cortexkit.exceptions import NotExportableError

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TOL = 1e-4


def run_onnx(path: object, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": np.asarray(x, dtype=np.float32)})[0]


@pytest.mark.parametrize(
    "cls", [SelfOrganizingMap, RBM, DBN, DBM, BoltzmannRecommender, Perceptron]
)
def test_a_family_that_cannot_export_says_so_in_one_line(cls: type, tmp_path) -> None:
    path = tmp_path / "m.onnx"
    with pytest.raises(NotExportableError, match=f"^{cls.__name__} cannot be exported to ONNX"
                       ) as info:  # fmt: skip
        cls().to_onnx(path)
    assert "\n" not in str(info.value)
    assert not path.exists()


def test_a_bad_path_is_refused_before_any_work(tmp_path) -> None:
    unfitted = ANNClassifier()  # the path is checked before the model
    with pytest.raises(ValueError, match=r"folder .* does not exist"):
        unfitted.to_onnx(tmp_path / "missing" / "m.onnx")
    with pytest.raises(ValueError, match="is a folder"):
        unfitted.to_onnx(tmp_path)
    with pytest.raises(ValueError, match="must be a file path"):
        unfitted.to_onnx(3)  # type: ignore[arg-type]


def test_a_failed_export_leaves_the_old_file_and_no_temporary_file(iris, tmp_path) -> None:
    X, y = iris
    path = tmp_path / "m.onnx"
    path.write_bytes(b"the old file")
    clf = ANNClassifier(hidden_layers=(4,), epochs=2, random_state=0).fit(X, y)
    clf.network_.activations[0] = _Unexportable()  # torch cannot trace it to ONNX
    with pytest.raises(NotExportableError, match="ANNClassifier could not be exported"):
        clf.to_onnx(path)
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


class _Unexportable(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.tanh(x.detach().numpy()))


class _FixedBatch(nn.Module):
    """A user's CNN body that reads the batch size as a number (traced as a constant)."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.reshape(len(x), -1))


def test_a_model_traced_with_a_fixed_batch_size_is_refused(tmp_path) -> None:
    digits = load_digits()
    cnn = CNNClassifier(module=_FixedBatch(), epochs=1, augment=None, random_state=0,
                        device="cpu").fit(digits.images[:200], digits.target[:200])  # fmt: skip
    with pytest.raises(NotExportableError, match="another batch size"):
        cnn.to_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# -- the command ------------------------------------------------------------------------------


def _table(n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(50, 10, n), rng.normal(size=n)
    city = rng.choice(["Paris", "Oslo", "Rome"], n)
    label = ((x1 - 50) / 10 + x2 + (city == "Oslo") > 0.5).astype(int)
    return pd.DataFrame({"x1": x1, "city": city, "x2": x2, "label": label})


def test_export_command_puts_the_tables_scaling_in_the_model(tmp_path) -> None:
    from cortexkit.data import TableEncoder
    from cortexkit.persist import read_model

    data, model, out = tmp_path / "t.csv", tmp_path / "m.cortex", tmp_path / "m.onnx"
    df = _table()
    df.to_csv(data, index=False)
    flags = ["--target", "label", "--epochs", "20", "--hidden-layers", "8", "--out", str(model)]
    trained = run_captured("--quiet", "train", "ann", str(data), *flags)
    assert trained.code == 0, trained.err
    result = run_captured("--quiet", "export", str(model), "--format", "onnx", "--out", str(out))
    assert result.code == 0, result.err
    mf = read_model(model)
    encoder = TableEncoder.from_state(mf.extra["table"])
    encoded = encoder.transform(df.drop(columns="label"))
    raw = encoded.copy()  # the numeric columns as they are, then the one-hot columns
    raw[:, :2] = df[["x1", "x2"]].to_numpy()
    want = mf.estimator.predict_proba(encoded)
    assert np.ptp(want) > 1e-3
    np.testing.assert_allclose(run_onnx(out, raw), want, rtol=0, atol=TOL)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    names = session.get_modelmeta().custom_metadata_map["feature_names"]
    assert names == '["x1", "x2", "city=Oslo", "city=Paris", "city=Rome"]'


def test_export_command_refuses_a_som_in_one_line_with_exit_2(iris, tmp_path) -> None:
    model, out = tmp_path / "som.cortex", tmp_path / "som.onnx"
    SelfOrganizingMap(grid=(3, 3), epochs=2, random_state=0).fit(iris[0]).save(model)
    result = run_captured("export", str(model), "--format", "onnx", "--out", str(out))
    assert result.code == 2
    assert result.err.startswith("cortexkit: error: SelfOrganizingMap cannot be exported to ONNX")
    assert result.err.count("\n") == 1
    assert not out.exists()


def test_export_command_checks_its_flags_before_reading_the_model(tmp_path) -> None:
    missing = str(tmp_path / "no" / "m.onnx")
    result = run_captured("export", str(tmp_path / "absent.cortex"), "--out", missing)
    assert result.code == 2 and "folder" in result.err and "does not exist" in result.err
    wrong = run_captured("export", "m.cortex", "--format", "tflite", "--out", "m.tflite")
    assert wrong.code == 2 and "invalid choice: 'tflite'" in wrong.err
