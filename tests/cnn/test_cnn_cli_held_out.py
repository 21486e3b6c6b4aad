"""``train cnn``: a held-out score (``--test-size``), ``val_accuracy`` in the summary, a
folder that holds an IDX pair, and flags refused before any work."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cortexkit.cli import run_captured

SMALL = ["--conv-layers", "8", "--convs-per-block", "1", "--hidden-layers", "16",
         "--augment", "none", "--epochs", "6", "--batch-size", "16", "--learning-rate", "0.01",
         "--device", "cpu"]  # fmt: skip


def _held_out(out: str) -> tuple[int, float, float]:
    found = re.search(r"held-out 25% \((\d+) images\): accuracy ([\d.]+); majority class "
                      r"'\w+' ([\d.]+)", out)  # fmt: skip
    assert found, out
    return int(found[1]), float(found[2]), float(found[3])


def test_test_size_reports_held_out_accuracy_beside_the_majority_class(
    tmp_path, bar_folder
) -> None:
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(tmp_path / "m.cortex"),
                          "--test-size", "0.25", *SMALL)  # fmt: skip
    assert result.code == 0, result.err
    n, accuracy, baseline = _held_out(result.out)
    assert n == 30  # a quarter of 120 images, stratified
    assert accuracy > 0.85 and accuracy > baseline + 0.2 and 0.3 < baseline < 0.7


def test_test_size_is_a_share(tmp_path, bar_folder) -> None:
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(tmp_path / "m.cortex"),
                          "--test-size", "1.5", *SMALL)  # fmt: skip
    assert result.code == 2 and "--test-size" in result.err and "[0, 1)" in result.err
    assert not (tmp_path / "m.cortex").exists()


def test_validation_fraction_reports_val_accuracy_in_the_summary(tmp_path, make_bars) -> None:
    X, y = make_bars(160)
    npz = tmp_path / "bars.npz"
    np.savez(npz, X=X, y=y)
    result = run_captured("train", "cnn", str(npz), "--out", str(tmp_path / "m.cortex"),
                          "--validation-fraction", "0.25", *SMALL)  # fmt: skip
    assert result.code == 0, result.err
    found = re.search(r"val_accuracy ([\d.]+)", result.err)
    assert found, result.err
    assert float(found[1]) > 0.8


def test_train_and_evaluate_take_the_folder_that_holds_an_idx_pair(
    tmp_path, make_bars, write_idx
) -> None:
    X, y = make_bars(160)
    folder = tmp_path / "mnist-like"
    folder.mkdir()
    write_idx(folder / "b-images-idx3-ubyte.gz", X)
    write_idx(folder / "b-labels-idx1-ubyte.gz", (y == "v").astype(np.uint8))
    model = tmp_path / "m.cortex"
    result = run_captured("train", "cnn", str(folder), "--out", str(model),
                          "--test-size", "0.25", *SMALL)  # fmt: skip
    assert result.code == 0, result.err
    assert "8x8, 1 channel(s), 2 classes" in result.err
    assert _held_out(result.out)[1] > 0.85
    result = run_captured("evaluate", str(model), str(folder))
    assert result.code == 0 and float(result.out.split()[1]) > 0.85
    # two pairs (train- and t10k-) in one folder: name the file
    write_idx(folder / "c-images-idx3-ubyte.gz", X)
    result = run_captured("train", "cnn", str(folder), "--out", str(model), *SMALL)
    assert result.code == 2 and "should hold one IDX images file" in result.err


@pytest.mark.parametrize("size", ["1,2,3", "8,8,8", "0", "a"])
def test_image_size_takes_one_int_or_height_and_width(tmp_path, bar_folder, size) -> None:
    """``--image-size 1,2,3`` was taken as 1x3."""
    out = tmp_path / "m.cortex"
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(out),
                          "--image-size", size, *SMALL)  # fmt: skip
    assert result.code == 2 and "--image-size" in result.err and result.err.count("\n") == 1
    assert not out.exists()


def test_kernel_larger_than_the_images_is_refused(tmp_path, bar_folder) -> None:
    """``--kernel-size 99`` on 8x8 images trained a network that saw mostly padding."""
    out = tmp_path / "m.cortex"
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(out),
                          "--kernel-size", "99", *SMALL)  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1
    assert "kernel_size=99" in result.err and "8x8 images" in result.err
    assert "--kernel-size" in result.err and not out.exists()
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(out),
                          "--kernel-size", "8", *SMALL)  # fmt: skip
    assert result.code == 0, result.err


def test_a_labels_file_that_does_not_exist_is_refused(tmp_path, bar_folder, make_bars) -> None:
    """``--labels`` naming no file was ignored (for a folder or an .npz, always)."""
    missing = str(tmp_path / "nope-labels-idx1-ubyte")
    out = tmp_path / "m.cortex"
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(out),
                          "--labels", missing, *SMALL)  # fmt: skip
    assert result.code == 2 and f"--labels {missing!r} does not exist" in result.err
    labels = tmp_path / "real-labels-idx1-ubyte"
    labels.write_bytes(b"\0\0\x08\x01\0\0\0\0")
    result = run_captured("train", "cnn", str(bar_folder), "--out", str(out),
                          "--labels", str(labels), *SMALL)  # fmt: skip
    assert result.code == 2 and "leave --labels out" in result.err and not out.exists()
