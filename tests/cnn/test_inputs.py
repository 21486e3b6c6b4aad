"""Image inputs: folders (mixed sizes and modes), IDX and .npz files, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cortexkit.cnn.layout import to_nchw
from cortexkit.cnn.sources import read_image_data
from cortexkit.data import ImageFolder, read_images


def test_mixed_sizes_and_modes_become_one(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("L", (10, 6), 200).save(tmp_path / "a" / "gray.png")
    Image.new("RGB", (10, 6), (255, 0, 0)).save(tmp_path / "a" / "red.jpg")
    Image.new("RGBA", (20, 12), (0, 0, 255, 128)).save(tmp_path / "b" / "blue.png")
    Image.new("RGB", (10, 6), (0, 255, 0)).save(tmp_path / "b" / "green.bmp")
    X, y, files = read_images(tmp_path)
    assert X.shape == (4, 6, 10, 3)  # the most common size, (height, width); RGB
    assert y.tolist() == ["a", "a", "b", "b"]
    assert [f.rsplit("/", 1)[1] for f in files] == ["gray.png", "red.jpg", "blue.png", "green.bmp"]
    np.testing.assert_array_equal(X[0, 0, 0], [200, 200, 200])  # gray to RGB
    np.testing.assert_array_equal(X[2, 3, 5], [0, 0, 255])  # RGBA: alpha dropped, resized
    gray, _, _ = read_images(tmp_path, size=4, mode="L")
    assert gray.shape == (4, 4, 4, 1)
    data = ImageFolder(tmp_path, (5, 7))
    assert data[2][0].shape == (3, 5, 7) and data[2][1] == 1 and data.classes == ["a", "b"]


def _two_classes(root) -> None:
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (4, 4), 40 * i).save(root / label / f"{i}.png")


def test_a_corrupt_image_names_the_file_or_is_skipped(tmp_path, cnn) -> None:
    _two_classes(tmp_path)
    bad = tmp_path / "a" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    with pytest.raises(ValueError, match=r"cannot read image '.*broken\.png'.*skip_bad"):
        read_images(tmp_path)
    with pytest.raises(ValueError, match=r"broken\.png"):
        cnn(epochs=1).fit(tmp_path)
    with pytest.warns(UserWarning, match=r"skipped: cannot read image '.*broken\.png'"):
        X, _, files = read_images(tmp_path, skip_bad=True)
    assert len(X) == 6 and not any("broken" in f for f in files)
    with pytest.warns(UserWarning, match="broken"):
        est = cnn(epochs=1, skip_bad=True).fit(tmp_path)
    assert est.classes_.tolist() == ["a", "b"]


def test_a_truncated_image_is_caught_too(tmp_path) -> None:
    _two_classes(tmp_path)
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "b" / "big.png")
    data = (tmp_path / "b" / "big.png").read_bytes()
    (tmp_path / "b" / "big.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"big\.png"):
        read_images(tmp_path)


def test_a_folder_with_one_class_is_refused(tmp_path, cnn) -> None:
    (tmp_path / "only").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "only" / "0.png")
    with pytest.raises(ValueError, match=r"only one class \('only'\).*at least 2"):
        cnn(epochs=1).fit(tmp_path)


def test_an_empty_folder_is_refused(tmp_path, cnn) -> None:
    with pytest.raises(ValueError, match="holds no images"):
        cnn(epochs=1).fit(tmp_path)
    with pytest.raises(FileNotFoundError, match="no image folder"):
        read_images(tmp_path / "missing")
    _two_classes(tmp_path)
    (tmp_path / "c").mkdir()
    with pytest.raises(ValueError, match=r"class folder .*c' holds no images"):
        read_images(tmp_path)


def test_images_beside_the_class_folders_are_refused(tmp_path) -> None:
    _two_classes(tmp_path)
    Image.new("L", (4, 4)).save(tmp_path / "stray.png")
    with pytest.raises(ValueError, match=r"stray.png' lies beside the class folders"):
        read_images(tmp_path)
    assert len(read_images(tmp_path, labelled=False).X) == 7  # fine for prediction


def test_labels_that_do_not_match_the_images_are_refused(tmp_path, make_bars, cnn) -> None:
    X, y = make_bars(20)
    with pytest.raises(ValueError, match="X has 20 images but y has 19 labels"):
        cnn(epochs=1).fit(X, y[:-1])
    path = tmp_path / "bars.npz"
    np.savez(path, X=X, y=y[:-2])
    with pytest.raises(ValueError, match=r"labels do not match the images.*20 images but 18"):
        read_image_data(path)
    np.savez(path, X=X)
    with pytest.raises(ValueError, match="has no labels"):
        read_image_data(path)
    with pytest.raises(ValueError, match="holds labels that are not among the classes"):
        cnn(epochs=1).fit(X, y).partial_fit(X, np.full(20, "d"))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_images_is_refused_before_training(bad, make_bars, cnn) -> None:
    X, y = make_bars(10)
    X = X.astype(np.float32)
    X[3, 2, 2] = bad
    est = cnn(epochs=1)
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first in image 3\)"):
        est.fit(X, y)
    assert not hasattr(est, "network_")


def test_wrong_shapes_and_types_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\(N, H, W\), \(N, H, W, C\) or \(N, C, H, W\)"):
        to_nchw(np.zeros((4, 16)))
    with pytest.raises(ValueError, match="must hold numbers"):
        to_nchw(np.array([[["a"]]]))
    with pytest.raises(ValueError, match="0 images"):
        to_nchw(np.zeros((0, 4, 4)))


def test_bad_parameters_are_refused_before_work(make_bars, cnn) -> None:
    X, y = make_bars(10)
    with pytest.raises(ValueError, match="augment takes"):
        cnn(augment=("zoom",)).fit(X, y)
    with pytest.raises(ValueError, match="conv_layers must be"):
        cnn(conv_layers=(8, 0)).fit(X, y)
    with pytest.raises(ValueError, match="image_size must be"):
        cnn(image_size=(1, 2, 3)).fit(X, y)
    with pytest.raises(ValueError, match="pooling must be"):
        cnn(pooling="min").fit(X, y)


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_images_too_big_for_memory_are_refused_before_loading(tmp_path, monkeypatch, save):
    import cortexkit.io.memory

    path = tmp_path / "many.npz"
    save(path, X=np.zeros((10, 8, 8), np.uint8), y=np.arange(10) % 2)
    monkeypatch.setattr(cortexkit.io.memory, "available_memory", lambda: 1024)
    loaded = []
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", lambda *a: loaded.append(a))
    with pytest.raises(ValueError, match=r"many.npz' \('X': 10x8x8 uint8, .*\) needs 3.1 KiB"):
        read_image_data(path)
    assert not loaded  # refused from the header: nothing decompressed
