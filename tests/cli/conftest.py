"""Fixtures for the command-line tests: a small table and two models trained on it once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cortexkit.cli import Captured, run_captured

FAST = ["--epochs", "5", "--learning-rate", "0.01", "--hidden-layers", "8"]


Result = Captured
run_cli = run_captured  # main(argv) with stdout and stderr captured


def small_table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Two numbers, a binary label and a continuous price."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "label": (x1 > 0).astype(int), "price": 2 * x1 - x2})


@pytest.fixture(scope="session")
def cli_run():
    return run_cli


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The table's path and an ANN per target (``label``: classifier, ``price``: regressor)."""
    folder = tmp_path_factory.mktemp("cli-small")
    data = folder / "small.csv"
    small_table().to_csv(data, index=False)
    paths = {"data": data}
    for target, drop in [("label", "price"), ("price", "label")]:
        model = folder / f"{target}.cortex"
        result = run_cli("--quiet", "train", "ann", str(data), "--target", target,
                         "--drop", drop, *FAST, "--out", str(model))  # fmt: skip
        assert result.code == 0, result.err
        paths[target] = model
    return paths
