"""The SOM's methods and its bad inputs: each refused with a clear error before any work."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_blobs

from cortexkit import SelfOrganizingMap, load
from cortexkit.som.anomaly import som_anomaly_scores


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@pytest.fixture(scope="module")
def fitted(iris) -> SelfOrganizingMap:
    return SelfOrganizingMap((6, 5), sigma=1.5, epochs=5, random_state=0).fit(iris[0])


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(iris, bad) -> None:
    X = iris[0].copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        SelfOrganizingMap((3, 3)).fit(X)


def test_a_wrong_feature_count_at_transform_is_refused(fitted, iris) -> None:
    with pytest.raises(ValueError, match="X has 3 features, but SelfOrganizingMap is expecting 4"):
        fitted.transform(iris[0][:, :3])


@pytest.mark.parametrize("grid", [(0, 5), (5, 0), (3,), (2.5, 3), "10x10"])
def test_a_grid_without_two_positive_sides_is_refused(iris, grid) -> None:
    with pytest.raises(ValueError, match=r"grid must be two positive integers \(rows, cols\)"):
        SelfOrganizingMap(grid).fit(iris[0])


@pytest.mark.parametrize("sigma", [0.0, -1.0])
def test_sigma_must_be_positive(iris, sigma) -> None:
    with pytest.raises(ValueError, match=r"sigma must be a float in \(0, inf\)"):
        SelfOrganizingMap((3, 3), sigma=sigma).fit(iris[0])


def test_more_outliers_than_rows_is_refused(fitted, iris) -> None:
    with pytest.raises(ValueError, match=r"k=151 asks for more outliers than X has rows \(150\)"):
        fitted.outliers(iris[0], k=151)
    with pytest.raises(ValueError, match="exactly one of k"):
        fitted.outliers(iris[0])
    with pytest.raises(ValueError, match="exactly one of k"):
        fitted.outliers(iris[0], k=3, threshold=0.5)
    with pytest.raises(ValueError, match="score must be one of"):
        fitted.outliers(iris[0], k=3, score="loudness")


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("neighborhood", "cone", "neighborhood must be one of 'gaussian'"),
        ("distance", "chebyshev", "distance must be one of 'euclidean'"),
        ("topology", "torus", "topology must be one of 'rectangular'"),
        ("lr_schedule", "fast", "lr_schedule must be one of"),
        ("init", "zeros", "init must be one of 'pca'"),
        ("algorithm", "sgd", "algorithm must be one of 'online'"),
    ],
)
def test_unknown_names_list_the_valid_ones(iris, param, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        SelfOrganizingMap((3, 3), **{param: value}).fit(iris[0])


# -- the methods ---------------------------------------------------------------------------------


def test_transform_predict_and_fit_predict_agree(fitted, iris) -> None:
    X = iris[0]
    units = fitted.predict(X)
    coords = fitted.transform(X)
    np.testing.assert_array_equal(coords[:, 0] * 5 + coords[:, 1], units)
    assert coords[:, 0].max() < 6 and coords[:, 1].max() < 5
    brute = torch.cdist(torch.as_tensor(X, dtype=torch.float32), fitted.weights_.cpu()).argmin(1)
    np.testing.assert_array_equal(units, brute.numpy())
    again = SelfOrganizingMap((6, 5), sigma=1.5, epochs=5, random_state=0).fit_predict(X)
    np.testing.assert_array_equal(again, units)  # same seed, same map


def test_errors_hit_map_labels_and_planes(fitted, iris) -> None:
    X, y = iris
    W = fitted.weights_.double().cpu().numpy()
    d = np.linalg.norm(X[:, None, :] - W[None], axis=2)
    assert fitted.quantization_error(X) == pytest.approx(d.min(1).mean(), rel=1e-5)
    first, second = np.argsort(d, axis=1)[:, 0], np.argsort(d, axis=1)[:, 1]
    apart = np.hypot(first // 5 - second // 5, first % 5 - second % 5) > 1.5
    assert fitted.topographic_error(X) == pytest.approx(apart.mean())
    hits = fitted.activation_response(X)
    assert hits.shape == (6, 5) and hits.sum() == len(X)
    labels = fitted.labels_map(X, y)
    assert sum(sum(c.values()) for c in labels.values()) == len(X)
    assert labels == {k: Counter(y[(fitted.transform(X) == k).all(1)].tolist()) for k in labels}
    planes = fitted.component_planes()
    assert planes.shape == (4, 6, 5)
    np.testing.assert_array_equal(planes[2].ravel(), fitted.weights_[:, 2].cpu().numpy())


def test_planted_outliers_rank_first() -> None:
    X, _ = make_blobs(400, n_features=4, centers=3, cluster_std=0.6, random_state=0)
    far = np.array([[40.0, 40, 40, 40], [-40, 40, -40, 40], [40, -40, 40, -40]])
    data = np.vstack([X, far])
    som = SelfOrganizingMap((6, 6), sigma=1.5, epochs=5, random_state=0).fit(X)
    top = som.outliers(data, k=3)
    assert sorted(top.tolist()) == [400, 401, 402]
    qe, um = som.anomaly_scores(data), som.umatrix_scores(data)
    assert qe.shape == um.shape == (403,) and (um >= 0).all() and (um <= 1).all()
    assert set(np.argsort(-qe)[:3].tolist()) == {400, 401, 402}  # higher: more anomalous
    # the score: the distance to the best unit plus that unit's U-matrix value (data units)
    dist = som_anomaly_scores(som, data, "qe")
    np.testing.assert_allclose(dist.mean(), som.quantization_error(data), rtol=1e-6)
    umatrix = som.distance_map(normalize=False).ravel()[som.predict(data)]
    np.testing.assert_allclose(qe, dist + umatrix, rtol=1e-5)
    assert sorted(som.outliers(data, threshold=20.0).tolist()) == [400, 401, 402]
    assert som.outliers(data, k=5, score="umatrix").shape == (5,)


def test_partial_fit_continues_and_early_stopping_watches_the_error(iris) -> None:
    X = iris[0]
    som = SelfOrganizingMap((5, 5), epochs=10, random_state=0)
    for _ in range(3):
        som.partial_fit(X)
    assert som.n_iter_ == 3 and len(som.history_["quantization_error"]) == 3
    assert som.history_["sigma"][2] < som.history_["sigma"][0]  # the schedule goes on
    stopped = SelfOrganizingMap((5, 5), epochs=200, sigma_decay="constant",
                                lr_schedule="constant", early_stopping=True,
                                validation_fraction=0.2, patience=3, random_state=0)  # fmt: skip
    stopped.fit(X)
    assert stopped.n_iter_ < 200 and "early stopping" in stopped.history_["stopped"]
    assert "val_quantization_error" in stopped.history_


def test_a_loaded_map_keeps_training(tmp_path, fitted, iris) -> None:
    fitted.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    before = back.weights_.clone()
    back.partial_fit(iris[0])
    assert back.n_iter_ == fitted.n_iter_ + 1
    assert not torch.equal(back.weights_, before)
    sigma = back.history_["sigma"]
    assert sigma[-1] <= sigma[-2] < sigma[0]  # the schedule goes on, not from the start


def test_a_one_node_map_is_k_means_with_one_centre(iris) -> None:
    X = iris[0]
    som = SelfOrganizingMap((1, 1), algorithm="batch", epochs=3, random_state=0).fit(X)
    assert som.topographic_error(X) == 0.0 and som.history_["topographic_error"] == [0.0] * 3
    np.testing.assert_allclose(som.weights_.cpu().numpy()[0], X.mean(0), atol=1e-5)


@pytest.mark.cuda
def test_a_map_trained_on_cuda_loads_on_the_cpu_with_the_same_outputs(tmp_path, iris) -> None:
    X = iris[0]
    som = SelfOrganizingMap((8, 8), epochs=3, device="cuda", random_state=0).fit(X)
    assert som.weights_.device.type == "cuda"
    assert som.quantization_error(X) < 0.5
    som.save(tmp_path / "gpu.cortex")
    back = load(tmp_path / "gpu.cortex", device="cpu")
    assert back.weights_.device.type == "cpu"
    np.testing.assert_allclose(back.weights_.numpy(), som.weights_.cpu().numpy())
    np.testing.assert_array_equal(back.predict(X), som.predict(X))
    np.testing.assert_allclose(back.anomaly_scores(X), som.anomaly_scores(X), rtol=1e-4)
    cpu = SelfOrganizingMap((8, 8), epochs=3, device="cpu", random_state=0).fit(X)
    assert abs(cpu.quantization_error(X) - som.quantization_error(X)) < 0.02


def test_a_read_only_array_trains_without_a_warning(iris) -> None:
    """A read-only array (pandas gives such views) trains without torch's "The given NumPy
    array is not writable" warning."""
    import warnings

    X = np.array(iris[0], dtype=np.float32)
    X.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SelfOrganizingMap((3, 3), random_state=0).fit(X)


def test_set_params_after_fit_changes_nothing_until_the_next_fit(tmp_path, iris) -> None:
    X = iris[0]
    som = SelfOrganizingMap((4, 5), topology="hexagonal", distance="cosine", epochs=2,
                            random_state=0).fit(X)  # fmt: skip
    methods = ("predict", "transform", "anomaly_scores", "umatrix_scores",
               "activation_response")  # fmt: skip
    before = {m: getattr(som, m)(X) for m in methods}
    qe, te, umatrix = som.quantization_error(X), som.topographic_error(X), som.distance_map()
    som.set_params(grid=(3, 3), topology="rectangular", distance="manhattan")
    for m in methods:
        np.testing.assert_array_equal(getattr(som, m)(X), before[m], err_msg=m)
    assert som.quantization_error(X) == qe and som.topographic_error(X) == te
    np.testing.assert_array_equal(som.distance_map(), umatrix)
    assert som.component_planes().shape == (4, 4, 5)
    som.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    assert list(back.grid) == [4, 5] and back.topology == "hexagonal"
    np.testing.assert_array_equal(back.anomaly_scores(X), before["anomaly_scores"])
    som.fit(X)  # the next fit takes the new parameters
    assert som.weights_.shape == (9, 4) and som.distance_map().shape == (3, 3)


def test_each_partial_fit_call_batches_by_its_own_row_count(iris) -> None:
    """The online rule's default mini-batch is 1/20 of the rows of the call (16 to 512)."""
    from cortexkit.train import Run

    X = np.vstack([iris[0]] * 10)  # 1500 rows: batches of 75; 150 rows: of 16
    som = SelfOrganizingMap((4, 4), random_state=0)
    runs: list[Run] = []
    som.partial_fit(X)
    begin = som._loop.step.begin
    som._loop.step.begin = lambda run: (runs.append(run), begin(run))[-1]
    som.partial_fit(X[:150])
    som.partial_fit(X)
    assert [(r.n_train, r.batch_size, r.epochs_done) for r in runs] == [(150, 16, 1), (1500, 75, 2)]


# -- memory: refused before any work ---------------------------------------------------------


def test_a_map_too_big_for_memory_is_refused_before_any_work(iris, monkeypatch) -> None:
    """A moderate grid on a machine with 1 MiB free: refused at once, naming the grid and
    the size (without the estimate the fit would allocate and train)."""
    import time

    import cortexkit.io.memory

    monkeypatch.setattr(cortexkit.io.memory, "available_memory", lambda: 2**20)
    som = SelfOrganizingMap((300, 300), epochs=50, random_state=0)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"grid=\(300, 300\).* needs [\d.]+ MiB of memory"):
        som.fit(iris[0])
    assert time.perf_counter() - start < 2.0
    assert not hasattr(som, "weights_")


def test_an_absurd_grid_is_refused_by_its_size() -> None:
    with pytest.raises(ValueError, match=r"grid=\(100000, 100000\) has 10,000,000,000 nodes"):
        SelfOrganizingMap((100_000, 100_000)).fit(np.zeros((4, 2)))
