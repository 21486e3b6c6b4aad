"""Shared fixtures: small real data sets and the shared data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data_path(*parts: str) -> Path:
    """A file or folder under ``../shared/data``; skips the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder (``repo_root/../shared/data``); skips when absent."""
    return shared_data_path()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``cuda`` skip where torch sees no GPU."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_torch() -> None:
    # Tests that draw from torch's global generator get the same numbers every run.
    torch.manual_seed(0)


def _standardised(X: np.ndarray) -> np.ndarray:
    return StandardScaler().fit_transform(X)


@pytest.fixture(scope="session")
def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Binary classification: 569 x 30, standardised."""
    X, y = load_breast_cancer(return_X_y=True)
    return _standardised(X), y


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Three classes: 150 x 4, standardised."""
    X, y = load_iris(return_X_y=True)
    return _standardised(X), y


@pytest.fixture(scope="session")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """Regression: 442 x 10, standardised X, raw y."""
    X, y = load_diabetes(return_X_y=True)
    return _standardised(X), y
