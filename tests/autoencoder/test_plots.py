"""The autoencoder's figures: reconstructions, code space, score histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cortexkit.autoencoder.plots import (
    code_space_png,
    reconstructions_png,
    save_png,
    score_histogram_png,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_each_figure_is_a_png_of_every_input_form(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for images in (rng.random((5, 8, 8)), rng.random((5, 64)), rng.random((5, 1, 8, 8)),
                   rng.random((5, 8, 8, 3))):  # fmt: skip
        assert reconstructions_png(images, images, corrupted=images, n=3)[:8] == PNG
    assert code_space_png(rng.normal(size=(30, 1)))[:8] == PNG
    assert code_space_png(rng.normal(size=(30, 5)), labels=np.arange(30) % 3)[:8] == PNG
    png = score_histogram_png(rng.gamma(2, size=100), threshold=3.0, log=True,
                              labels=rng.integers(0, 2, 100))  # fmt: skip
    save_png(png, tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes() == png


def test_bad_figure_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not square images"):
        reconstructions_png(np.zeros((2, 10)), np.zeros((2, 10)))
    with pytest.raises(ValueError, match="codes must be"):
        code_space_png(np.zeros(5))
    with pytest.raises(ValueError, match="does not exist"):
        save_png(b"x", tmp_path / "missing" / "a.png")
