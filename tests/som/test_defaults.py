"""The defaults that keep a map's topology (issue 17): a radius that follows the map's size,
passes that follow the rows per node, and what they do on overlapping clusters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from cortexkit import SelfOrganizingMap
from cortexkit.cli.families.som import add_arguments
from cortexkit.som.schedule import DECAYS, default_epochs, default_sigma


@pytest.fixture(scope="module")
def overlapping() -> np.ndarray:
    """12 overlapping Gaussian clusters in 20-D (the issue's kind of data, smaller)."""
    X, _ = make_blobs(1500, n_features=20, centers=12, cluster_std=5.0, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32)


def test_the_default_radius_follows_the_map_s_longer_side() -> None:
    assert default_sigma(30, 30) == 3.0
    assert default_sigma(20, 50) == 5.0
    assert default_sigma(8, 8) == 1.25  # small maps: a floor
    assert default_sigma(1, 1) == 1.25


def test_the_default_passes_present_fifteen_rows_per_node() -> None:
    assert default_epochs(900, 13_500) == 1  # 15 x 900 rows: one pass
    assert default_epochs(900, 13_499) == 2
    assert default_epochs(64, 150) == 7  # ceil(960 / 150)
    assert default_epochs(100, 10**6) == 1


def test_asymptotic_decay_ends_at_a_third_and_falls_steadily() -> None:
    decay = DECAYS.resolve("asymptotic")
    values = [decay(3.0, p) for p in np.linspace(0, 1, 11)]
    assert values[0] == 3.0 and values[-1] == pytest.approx(1.0)
    assert all(a > b for a, b in itertools.pairwise(values))


def test_the_fit_uses_the_defaults_and_explicit_values_win(overlapping) -> None:
    X = overlapping[:300]
    som = SelfOrganizingMap((12, 12), random_state=0).fit(X)
    assert som.n_iter_ == default_epochs(144, 300) == 8
    # the logged radius is the schedule's after each epoch, from 1.25 down to a third
    sigma = som.history_["sigma"]
    assert sigma[-1] == pytest.approx(1.25 / 3) and sigma[-1] < sigma[0] < 1.25
    given = SelfOrganizingMap((12, 12), sigma=4.0, epochs=2, random_state=0).fit(X)
    assert given.n_iter_ == 2
    assert given.history_["sigma"][-1] == pytest.approx(4.0 / 3)
    assert given.get_params()["sigma"] == 4.0 and som.get_params()["sigma"] is None


def test_the_default_map_keeps_its_topology_on_overlapping_clusters(overlapping) -> None:
    X = overlapping
    new = SelfOrganizingMap((20, 20), random_state=0).fit(X)
    old = SelfOrganizingMap((20, 20), sigma=1.0, epochs=1, random_state=0).fit(X)
    assert old.topographic_error(X) > 0.25  # sigma 1 on a 20x20 map folds it
    assert new.topographic_error(X) < 0.15
    assert new.quantization_error(X) <= 1.02 * old.quantization_error(X)


def test_the_default_map_is_as_good_as_minisom_at_a_radius_fit_for_the_map(overlapping) -> None:
    minisom = pytest.importorskip("minisom")
    X = overlapping
    peer = minisom.MiniSom(20, 20, X.shape[1], sigma=2.0, learning_rate=0.5, random_seed=0)
    peer.pca_weights_init(X)
    peer.train(X, 4000, random_order=True)  # 10 presentations per node
    ours = SelfOrganizingMap((20, 20), random_state=0).fit(X)
    assert ours.topographic_error(X) <= peer.topographic_error(X) + 0.02
    assert ours.quantization_error(X) <= 1.02 * peer.quantization_error(X)


def test_the_cli_leaves_sigma_and_epochs_to_the_estimator() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    assert args.sigma is None and args.epochs is None
    assert parser.parse_args(["--sigma", "2.5", "--epochs", "3"]).epochs == 3
