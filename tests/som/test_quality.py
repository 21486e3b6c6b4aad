"""What a trained map must get right: clusters in contiguous regions, a low topographic
error, batch training that never worsens the quantisation error, the hexagonal layout,
one pass as good as MiniSom's, and identical maps after a save and load."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_blobs
from sklearn.preprocessing import StandardScaler

from cortexkit import SelfOrganizingMap, load
from cortexkit.som.distance import DISTANCES, best_units
from cortexkit.som.grid import Grid


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(600, n_features=5, centers=3, cluster_std=0.5, center_box=(-10, 10),
                      random_state=1)  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _connected(grid: Grid, units: set[int]) -> bool:
    neighbours = grid.neighbours()
    start = next(iter(units))
    seen, stack = {start}, [start]
    while stack:
        for j in neighbours[stack.pop()]:
            if j in units and j not in seen:
                seen.add(j)
                stack.append(j)
    return seen == units


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_three_separated_blobs_map_to_contiguous_regions(blobs, topology) -> None:
    X, y = blobs
    som = SelfOrganizingMap((8, 8), topology=topology, sigma=3.0, epochs=10, random_state=0)
    som.fit(X)
    assert som.topographic_error(X) < 0.05
    regions = [set(som.predict(X[y == k]).tolist()) for k in range(3)]
    for region in regions:
        assert _connected(som._grid(), region)
    assert not (regions[0] & regions[1] or regions[0] & regions[2] or regions[1] & regions[2])
    assert som.history_["topographic_error"][-1] < 0.1  # recorded per epoch


def test_batch_mode_with_a_fixed_sigma_never_raises_the_quantisation_error() -> None:
    X = StandardScaler().fit_transform(load_iris().data)  # 150 rows: the metric sees them all
    som = SelfOrganizingMap((6, 6), algorithm="batch", sigma=1.0, sigma_decay="constant",
                            init="random", epochs=15, random_state=0).fit(X)  # fmt: skip
    qe = np.asarray(som.history_["quantization_error"])
    assert qe[-1] < 0.6 * som.history_["loss"][0]  # the random start's error
    assert np.all(np.diff(qe) <= 1e-6), qe
    # the epoch's loss is the error of the map it started from: one epoch behind
    np.testing.assert_allclose(som.history_["loss"][1:], qe[:-1], rtol=1e-5)
    assert som.quantization_error(X) == pytest.approx(qe[-1], rel=1e-5)


def test_hexagonal_neighbours_are_six_at_distance_one() -> None:
    grid = Grid(5, 6, "hexagonal")
    neighbours = grid.neighbours()
    for r in range(1, 4):
        for c in range(1, 5):
            k = grid.index(r, c)
            d2 = grid.squared_distances(torch.tensor([k]))[0]
            assert sorted(neighbours[k]) == torch.nonzero((d2 - 1).abs() < 1e-5).flatten().tolist()
            assert len(neighbours[k]) == 6
            assert float(d2[d2 > 0].min()) == pytest.approx(1.0)
            # the next ring: sqrt(3) (across an edge pair) and 2 (straight on)
            ring = sorted({round(float(v), 4) for v in d2 if 1.01 < v < 4.01})
            assert ring == [3.0, 4.0]
    # an even row's node touches the odd rows at its own and the previous column; an odd
    # row's at its own and the next
    assert sorted(neighbours[grid.index(2, 2)]) == sorted(
        grid.index(r, c) for r, c in [(1, 1), (1, 2), (2, 1), (2, 3), (3, 1), (3, 2)]
    )
    assert sorted(neighbours[grid.index(1, 2)]) == sorted(
        grid.index(r, c) for r, c in [(0, 2), (0, 3), (1, 1), (1, 3), (2, 2), (2, 3)]
    )
    assert len(neighbours[grid.index(0, 0)]) == 2  # a corner
    assert len(Grid(5, 6).neighbours()[Grid(5, 6).index(2, 2)]) == 8  # rectangular: 8


def test_the_u_matrix_is_the_mean_distance_to_touching_nodes() -> None:
    som = SelfOrganizingMap((2, 2), topology="hexagonal", random_state=0).fit(np.eye(3))
    W = torch.tensor([[0.0, 0, 0], [3, 0, 0], [0, 4, 0], [0, 0, 12]])
    som.weights_ = W.clone()
    # hexagonal 2x2: node 0 touches 1 and 2; node 3 (odd row, shifted) touches 1 and 2;
    # nodes 1 and 2 touch all three others
    d = lambda a, b: float((W[a] - W[b]).norm())  # noqa: E731
    expected = np.array([
        (d(0, 1) + d(0, 2)) / 2, (d(1, 0) + d(1, 2) + d(1, 3)) / 3,
        (d(2, 0) + d(2, 1) + d(2, 3)) / 3, (d(3, 1) + d(3, 2)) / 2,
    ])  # fmt: skip
    np.testing.assert_allclose(som.distance_map(normalize=False).ravel(), expected, rtol=1e-6)
    np.testing.assert_allclose(som.distance_map().max(), 1.0)


def test_one_pass_matches_minisom_s_quality() -> None:
    minisom = pytest.importorskip("minisom")
    X, _ = make_blobs(3000, n_features=10, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    peer = minisom.MiniSom(10, 10, 10, random_seed=0)
    peer.pca_weights_init(X)
    peer.train(X, len(X), random_order=True)  # one pass, the same presentations
    ours = SelfOrganizingMap((10, 10), random_state=0).fit(X)  # the defaults: epochs=1
    assert ours.n_iter_ == 1
    assert ours.quantization_error(X) <= 1.02 * peer.quantization_error(X)
    assert ours.topographic_error(X) <= peer.topographic_error(X) + 0.02


@pytest.mark.parametrize("name", ["euclidean", "cosine", "manhattan"])
def test_the_chunked_search_finds_the_brute_force_winner(name) -> None:
    g = torch.Generator().manual_seed(0)
    X, W = torch.randn(3000, 7, generator=g), torch.randn(40, 7, generator=g)
    dist, units = best_units(X, W, DISTANCES.resolve(name))
    if name == "euclidean":
        full = torch.cdist(X.double(), W.double())
    elif name == "manhattan":
        full = torch.cdist(X.double(), W.double(), p=1)
    else:
        full = (
            1
            - torch.nn.functional.normalize(X.double())
            @ torch.nn.functional.normalize(W.double()).T
        )
    best, idx = full.min(1)
    assert (units == idx).float().mean() > 0.999  # float32 ties aside
    np.testing.assert_allclose(dist.numpy(), best.numpy(), rtol=1e-3, atol=1e-3)
    two, which = best_units(X, W, DISTANCES.resolve(name), k=2)
    assert torch.equal(which[:, 0], units) and bool((two[:, 1] >= two[:, 0] - 1e-5).all())


@pytest.mark.parametrize("rows", [None, 6])  # a fresh buffer, or a caller's small one
def test_the_search_settles_ties_and_nans_as_min_does(rows) -> None:
    # the fast path's mask-times-positions product would sum tied columns: those rows are
    # taken again, so the winner is the first of the tied nodes, as torch's min gives it
    g = torch.Generator().manual_seed(0)
    W = torch.randn(30, 3, generator=g)
    W[9] = W[4]
    W[17] = W[4]  # three identical nodes
    X = torch.cat([W[4:5] + 1e-3, torch.randn(20, 3, generator=g), W[12:13]])
    scratch = None if rows is None else torch.empty(rows, 30)
    dist, units = best_units(X, W, DISTANCES.resolve("euclidean"), scratch=scratch)
    assert torch.equal(units, torch.cdist(X, W).min(1).indices)
    assert units[0] == 4 and units[-1] == 12
    two, which = best_units(X, W, DISTANCES.resolve("euclidean"), k=2, scratch=scratch)
    assert which[0].tolist() == [4, 9]  # the second best is the next tied node
    assert torch.allclose(two[:, 0], dist, atol=1e-3)
    X[3, 1] = float("nan")  # a NaN row matches no node; the others are untouched
    dist2, units2 = best_units(X, W, DISTANCES.resolve("euclidean"), scratch=scratch)
    keep = torch.arange(len(X)) != 3
    assert torch.equal(units2[keep], units[keep]) and bool(dist2[3].isnan())


@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "mexican_hat", "triangle"])
@pytest.mark.parametrize("algorithm", ["online", "batch"])
def test_every_neighbourhood_and_algorithm_learns(blobs, neighborhood, algorithm) -> None:
    X, _ = blobs
    som = SelfOrganizingMap((5, 5), neighborhood=neighborhood, algorithm=algorithm, sigma=1.0,
                            init="random", epochs=5, random_state=0).fit(X)  # fmt: skip
    qe = som.history_["quantization_error"]
    assert np.isfinite(qe).all()
    assert qe[-1] < som.history_["loss"][0]  # better than the random start
    assert som.quantization_error(X) < 0.6


def test_save_and_load_give_an_identical_map(tmp_path, blobs) -> None:
    X, _ = blobs
    som = SelfOrganizingMap((6, 7), topology="hexagonal", distance="cosine", epochs=3,
                            random_state=0).fit(X)  # fmt: skip
    som.save(tmp_path / "som.cortex")
    back = load(tmp_path / "som.cortex")
    assert torch.equal(back.weights_, som.weights_)
    np.testing.assert_array_equal(back.predict(X), som.predict(X))
    np.testing.assert_array_equal(back.transform(X), som.transform(X))
    np.testing.assert_array_equal(back.distance_map(), som.distance_map())
    np.testing.assert_array_equal(back.anomaly_scores(X), som.anomaly_scores(X))
    np.testing.assert_array_equal(back.umatrix_scores(X), som.umatrix_scores(X))
    assert back.history_ == som.history_


def test_a_checkpoint_resumes_to_the_uninterrupted_map(tmp_path, blobs) -> None:
    X, _ = blobs
    path = tmp_path / "som.ckpt"
    whole = SelfOrganizingMap((5, 5), epochs=4, random_state=0).fit(X)

    def crash(epoch: int, logs: dict) -> None:
        if epoch == 3:  # after epoch 2's checkpoint, before epoch 3's
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        SelfOrganizingMap((5, 5), epochs=4, random_state=0, checkpoint=str(path),
                          callbacks=[crash]).fit(X)  # fmt: skip
    resumed = SelfOrganizingMap((5, 5), epochs=4, random_state=0, checkpoint=str(path),
                                resume=True).fit(X)  # fmt: skip
    assert resumed.n_iter_ == 4
    assert torch.equal(resumed.weights_, whole.weights_)


def test_the_separable_gaussian_sums_equal_the_dense_ones() -> None:
    from cortexkit.som.neighborhood import gaussian
    from cortexkit.som.schedule import asymptotic
    from cortexkit.som.step import SOMStep
    from cortexkit.train.step import Run

    g = torch.Generator().manual_seed(0)
    grid, W = Grid(7, 9), torch.randn(63, 5, generator=g)
    xb = torch.randn(300, 5, generator=g)
    step = SOMStep(W, grid)
    settings = {"neighborhood": gaussian, "distance": "euclidean", "learning_rate": 0.5,
                "sigma": 1.3, "lr_schedule": asymptotic, "sigma_decay": "asymptotic",
                "algorithm": "online"}  # fmt: skip
    step.begin(Run(epochs=1, n_train=1000, batch_size=100, steps_per_epoch=10,
                   settings=settings))  # fmt: skip
    assert step.horizon == 1000
    assert step._separable
    units = best_units(xb, W, DISTANCES.resolve("euclidean"))[1]
    num, den = step._separable_sums(xb, units, 1.3)
    H = gaussian(grid.squared_distances(units), 1.3)  # (batch, nodes): the dense weights
    torch.testing.assert_close(num, H.T @ xb, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(den, H.sum(0), rtol=1e-5, atol=1e-4)
