"""``cortexkit train cnn``, ``predict`` and ``evaluate`` on its models, ``explain cnn``."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from cortexkit.cli import run_captured

SMALL = ["--conv-layers", "8", "--convs-per-block", "1", "--hidden-layers", "16",
         "--augment", "none", "--epochs", "6", "--batch-size", "16", "--learning-rate", "0.01",
         "--device", "cpu"]  # fmt: skip


@pytest.fixture
def model(tmp_path, bar_folder):
    path = tmp_path / "bars.cortex"
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(path), *SMALL)
    assert result.code == 0, result.err
    assert "trained CNNClassifier" in result.err and "2 classes" in result.err
    return path


def test_train_predict_and_evaluate_on_a_folder(tmp_path, bar_folder, model) -> None:
    out = tmp_path / "preds.csv"
    result = run_captured("predict", str(model), str(bar_folder), "--out", str(out))
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["file", "class", "probability"]
    assert len(rows) == 120
    truth = [r["file"].split("/")[-2] for r in rows]
    assert np.mean([r["class"] == t for r, t in zip(rows, truth, strict=True)]) > 0.9
    assert all(0.5 <= float(r["probability"]) <= 1 for r in rows)

    plot = tmp_path / "confusion.png"
    result = run_captured("evaluate", str(model), str(bar_folder), "--plot", str(plot))
    assert result.code == 0, result.err
    accuracy = float(result.out.split()[1])
    assert accuracy > 0.9
    assert "precision" in result.out and "recall" in result.out and "f1" in result.out
    assert plot.read_bytes()[:4] == b"\x89PNG"
    scores = json.loads(run_captured("evaluate", str(model), str(bar_folder), "--json").out)
    assert scores["accuracy"] == accuracy or abs(scores["accuracy"] - accuracy) < 1e-4
    assert set(scores["per_class"]) == {"h", "v"}
    assert np.sum(scores["confusion_matrix"]) == 120

    # one image file: predicted as in its folder (it said "not an IDX file"); not scored
    one = next(r for r in rows if r["file"].endswith(".png"))
    alone = run_captured("predict", str(model), one["file"])
    assert alone.code == 0, alone.err
    [row] = list(csv.DictReader(io.StringIO(alone.out)))
    assert row["class"] == one["class"]
    assert abs(float(row["probability"]) - float(one["probability"])) < 1e-5
    refused = run_captured("evaluate", str(model), one["file"])
    assert refused.code == 2 and "one image, with no label" in refused.err


def test_train_and_evaluate_an_npz_and_an_idx_pair(tmp_path, make_bars, write_idx) -> None:
    X, y = make_bars(200)
    npz = tmp_path / "bars.npz"
    np.savez(npz, X=X, y=(y == "v").astype(np.int64))
    path = tmp_path / "m.cortex"
    assert run_captured("train", "cnn", str(npz), "--out", str(path), *SMALL).code == 0
    result = run_captured("evaluate", str(path), str(npz))
    assert result.code == 0 and float(result.out.split()[1]) > 0.9
    preds = run_captured("predict", str(path), str(npz)).out.splitlines()
    assert preds[0] == "file,class,probability" and preds[1].startswith("bars.npz[0],")

    write_idx(tmp_path / "b-images-idx3-ubyte.gz", X)
    write_idx(tmp_path / "b-labels-idx1-ubyte.gz", (y == "v").astype(np.uint8))
    result = run_captured("evaluate", str(path), str(tmp_path / "b-images-idx3-ubyte.gz"))
    assert result.code == 0 and float(result.out.split()[1]) > 0.9
    result = run_captured("train", "cnn", str(tmp_path / "b-labels-idx1-ubyte.gz"),
                          "--out", str(tmp_path / "x.cortex"), *SMALL)  # fmt: skip
    assert result.code == 2 and "no labels file" in result.err


def test_skip_bad_skips_a_corrupt_image_with_a_warning(tmp_path, bar_folder, model) -> None:
    (bar_folder / "h" / "zz-broken.png").write_bytes(b"garbage")
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(tmp_path / "m2"), *SMALL)
    assert result.code == 2 and "zz-broken.png" in result.err and "--skip-bad" in result.err
    with pytest.warns(UserWarning, match=r"skipped: cannot read image '.*zz-broken\.png'"):
        result = run_captured("train", "cnn", str(bar_folder), "--out", str(tmp_path / "m2"),
                              "--skip-bad", *SMALL)  # fmt: skip
    assert result.code == 0, result.err
    with pytest.warns(UserWarning, match="zz-broken"):
        result = run_captured("predict", str(model), str(bar_folder), "--skip-bad")
    assert result.code == 0 and len(result.out.splitlines()) == 121


def test_explain_cnn_walks_an_image_through_a_model(tmp_path, model) -> None:
    image = tmp_path / "bar.png"
    pixels = np.zeros((8, 8), np.uint8)
    pixels[:, 3] = 250  # a vertical bar
    Image.fromarray(pixels).save(image)
    plot = tmp_path / "explained.png"
    result = run_captured("explain", "cnn", str(image), "--model", str(model), "--plot", str(plot))
    assert result.code == 0, result.err
    for step in ["input image", "(1, 1, 8, 8)", "named filters edge, blur, sharpen",
                 "(1, 3, 8, 8)", "convolution, 8 learned 3x3 filters", "ReLU",
                 "max pooling 2x2", "(1, 8, 4, 4)", "flattening", "(1, 128)",
                 "fully connected, 128 -> 16", "class probabilities"]:  # fmt: skip
        assert step in result.out
    assert "predicted class 'v'" in result.out
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_explain_cnn_refuses_another_familys_network(tmp_path) -> None:
    from cortexkit import RNNForecaster

    path = tmp_path / "series.cortex"
    series = np.sin(np.arange(60) / 3)
    RNNForecaster(lookback=5, hidden_layers=4, epochs=1, random_state=0).fit(series).save(path)
    result = run_captured("explain", "cnn", "--model", str(path))
    assert result.code == 2
    assert "CNNClassifier" in result.err and "RNNForecaster" in result.err


def test_explain_keeps_its_dense_walkthrough() -> None:
    result = run_captured("explain", "--layers", "2,2,1", "--steps", "1")
    assert result.code == 0 and "a 2-2-1 network" in result.out


def test_train_never_writes_over_the_labels_or_an_image(
    tmp_path, bar_folder, make_bars, write_idx
) -> None:
    X, y = make_bars(40)
    images, labels = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    write_idx(images, X)
    write_idx(labels, (y == "v").astype(np.uint8))
    before = labels.read_bytes()
    model = str(tmp_path / "m.cortex")
    result = run_captured("train", "cnn", str(images), "--out", str(labels), *SMALL)
    # refused before any work: the labels are not a model file that --out may replace
    assert result.code == 2 and "is not a cortexkit model file" in result.err, result.err
    # an existing file that is not a checkpoint is refused whatever it holds
    result = run_captured("train", "cnn", str(images), "--out", model, "--checkpoint",
                          str(labels), *SMALL)  # fmt: skip
    assert result.code == 2 and "is not a cortexkit checkpoint" in result.err, result.err
    assert labels.read_bytes() == before
    image = next(bar_folder.rglob("*.png"))
    pixels = image.read_bytes()
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(image), *SMALL)
    assert result.code == 2 and "training data" in result.err, result.err
    assert image.read_bytes() == pixels


def test_evaluate_checks_plot_before_reading_the_images(
    tmp_path, bar_folder, model, monkeypatch
) -> None:
    from cortexkit.cli.families import cnn

    def no_reading(*args, **kwargs):
        raise AssertionError("the images were read before --plot was checked")

    monkeypatch.setattr(cnn, "_read", no_reading)
    svg = tmp_path / "confusion.svg"  # was written with a PNG's bytes inside
    result = run_captured("evaluate", str(model), str(bar_folder), "--plot", str(svg))
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"--plot {str(svg)!r} must end in .png" in result.err and not svg.exists()
    missing = tmp_path / "no" / "c.png"
    result = run_captured("evaluate", str(model), str(bar_folder), "--plot", str(missing))
    assert result.code == 2 and f"--plot {str(missing)!r}: folder" in result.err
    before = model.read_bytes()
    result = run_captured("evaluate", str(model), str(bar_folder), "--plot", str(model))
    assert result.code == 2 and model.read_bytes() == before


def test_evaluate_on_a_folder_of_one_class_scores_it(tmp_path, bar_folder, model) -> None:
    """A test folder holding one class's images was refused with the training message
    "needs at least 2 class subfolders"; it is a fair test set, scored as such. Training
    on it is still refused."""
    import shutil

    one = tmp_path / "only-h"
    shutil.copytree(bar_folder / "h", one / "h")
    n = len(list((one / "h").iterdir()))
    result = run_captured("evaluate", str(model), str(one), "--json")
    assert result.code == 0, result.err
    scores = json.loads(result.out)
    assert scores["images"] == n and scores["per_class"]["h"]["support"] == n
    assert scores["per_class"]["v"]["support"] == 0 and scores["accuracy"] > 0.8
    train = run_captured("train", "cnn", str(one), "--out", str(tmp_path / "m.cortex"), *SMALL)
    assert train.code == 2 and "needs at least 2 class subfolders" in train.err
