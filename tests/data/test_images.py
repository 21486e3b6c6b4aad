"""Image folders: 16-bit images scaled to 8 bits; image statistics in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cortexkit.data import ImageFolder, read_images


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_images_are_scaled_not_clipped(tmp_path, suffix) -> None:
    """Every value above 255 became 255: two classes that differ only there were one
    picture. Values are divided by 257 (65535 is 255), in read_images and ImageFolder."""
    for label, level in (("dim", 1000), ("bright", 60000)):
        (tmp_path / label).mkdir()
        for i in range(2):
            image = np.full((4, 5), level, dtype=np.uint16)
            image[0, 0] = 65535 * i
            Image.fromarray(image).save(tmp_path / label / f"{i}{suffix}")
    X, y, _ = read_images(tmp_path)
    assert X.dtype == np.uint8 and X.shape == (4, 4, 5, 1)
    assert X[y == "dim"][:, 1:].max() == 4 and X[y == "bright"][:, 1:].min() == 233
    assert X[:, 0, 0, 0].tolist() == [0, 255, 0, 255]
    rgb, _, _ = read_images(tmp_path, mode="RGB")
    assert rgb[y == "bright"][:, 1:].min() == 233 and rgb.shape[-1] == 3
    folder = ImageFolder(tmp_path)
    assert int(folder[folder.targets.index(0)][0][0, 1, 1]) == 233  # "bright" sorts first


def test_32_bit_values_are_refused_naming_the_file(tmp_path) -> None:
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        Image.fromarray(np.full((3, 3), 70000, dtype=np.int32)).save(tmp_path / label / "0.tif")
    with pytest.raises(ValueError, match=r"0\.tif'.*values from 70000 to 70000, beyond 16 bits"):
        read_images(tmp_path)


class _Watched(np.ndarray):
    """An array that records the size of every slice read from it."""

    reads: list[int]

    def __getitem__(self, key):  # type: ignore[override]
        out = np.asarray(super().__getitem__(key))
        type(self).reads.append(out.size)
        return out


@pytest.mark.parametrize("shape", [(40, 3, 120, 160), (2, 1, 2100, 2100)])
def test_channel_stats_reads_bounded_float32_chunks(shape, monkeypatch) -> None:
    """channel_stats converted 1024 images at a time to float64 and squared them (16x the
    images; two 30000x30000 images failed to allocate): it reads blocks of at most
    STAT_CHUNK values, rows of an image larger than that, and keeps float64 accuracy."""
    from cortexkit.cnn import inputs

    monkeypatch.setattr(inputs, "STAT_CHUNK", 1 << 20, raising=False)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=shape, dtype=np.uint8)
    _Watched.reads = []
    mean, std = inputs.channel_stats(images.view(_Watched), shape[1])
    assert _Watched.reads and max(_Watched.reads) <= 1 << 20
    assert sum(_Watched.reads) == images.size  # every value, once
    as64 = images.astype(np.float64)
    np.testing.assert_allclose(mean, as64.mean((0, 2, 3)), rtol=1e-9)
    np.testing.assert_allclose(std, as64.std((0, 2, 3)), rtol=1e-7)
    floats = images[:2].astype(np.float32)
    mean32, _ = inputs.channel_stats(floats, shape[1])
    assert np.array_equal(floats, images[:2])  # float32 images are not squared in place
    np.testing.assert_allclose(mean32, as64[:2].mean((0, 2, 3)), rtol=1e-9)
