"""Each family's guide in docs/ names every parameter of its estimators.

A parameter the loop shares (``epochs``, ``batch_size``, ``checkpoint``...) may be named in
docs/training.md instead. A new parameter without a line in its guide fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cortexkit

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = {
    "ann.md": ["Perceptron", "ANNClassifier", "ANNRegressor"],
    "cnn.md": ["CNNClassifier"],
    "rnn.md": ["RNNForecaster", "RNNRegressor", "RNNClassifier"],
    "som.md": ["SelfOrganizingMap"],
    "boltzmann.md": ["RBM", "DBN", "DBNClassifier", "DBM"],
    "autoencoder.md": ["AutoEncoder"],
    "recommend.md": ["AutoRecRecommender", "BoltzmannRecommender"],
}


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_a_guide_names_every_parameter(guide: str) -> None:
    path = DOCS / guide
    if not path.exists():
        pytest.fail(f"docs/{guide} is missing: every family has a user guide")
    text = path.read_text(encoding="utf-8")
    shared = (DOCS / "training.md").read_text(encoding="utf-8")
    for name in GUIDES[guide]:
        assert f"`{name}" in text, f"docs/{guide} never names {name}"
        params = getattr(cortexkit, name)().get_params(deep=False)
        missing = [p for p in params if f"`{p}`" not in text and f"`{p}`" not in shared]
        assert not missing, f"docs/{guide} does not describe {name}'s {missing}"


def test_every_public_estimator_has_a_guide() -> None:
    covered = {name for names in GUIDES.values() for name in names}
    estimators = {
        name
        for name in cortexkit.__all__
        if isinstance(getattr(cortexkit, name), type)
        and hasattr(getattr(cortexkit, name), "get_params")
    }
    assert estimators <= covered, f"no guide for {sorted(estimators - covered)}"
