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
