"""ANN estimators: they learn real data, and refuse bad input before training."""

from __future__ import annotations

import pathlib
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cortexkit import ANNClassifier, ANNRegressor, load
from cortexkit.ann.network import ManualObjective
from cortexkit.exceptions import DivergenceWarning
from cortexkit.nn import ACTIVATIONS
from cortexkit.train import AutogradObjective, Callback


def _split(X, y, stratify: bool = True):
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y if stratify else None)


def _toy(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


# -- learning real data ------------------------------------------------------------------


def test_classifier_beats_the_majority_on_breast_cancer(breast_cancer) -> None:
    X_tr, X_te, y_tr, y_te = _split(*breast_cancer)
    clf = ANNClassifier((16,), epochs=20, random_state=0, device="cpu").fit(X_tr, y_tr)
    baseline = DummyClassifier().fit(X_tr, y_tr).score(X_te, y_te)
    assert baseline < 0.65
    assert clf.score(X_te, y_te) > 0.93
    assert clf.network_.layer_sizes == [30, 16, 1]  # one sigmoid unit for two classes
    assert isinstance(clf._objective, ManualObjective)  # the hand-written fast path


def test_classifier_learns_iris(iris) -> None:
    X_tr, X_te, y_tr, y_te = _split(*iris)
    clf = ANNClassifier((16,), epochs=60, learning_rate=0.01, random_state=0, device="cpu")
    clf.fit(X_tr, y_tr)
    assert clf.network_.layer_sizes == [4, 16, 3]  # one softmax unit per class
    assert clf.score(X_te, y_te) > 0.9
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_regressor_beats_the_mean_on_diabetes(diabetes) -> None:
    X_tr, X_te, y_tr, y_te = _split(*diabetes, stratify=False)
    reg = ANNRegressor((8,), epochs=50, random_state=0, device="cpu").fit(X_tr, y_tr)
    assert DummyRegressor().fit(X_tr, y_tr).score(X_te, y_te) < 0.01
    assert reg.score(X_te, y_te) > 0.3
    pred = reg.predict(X_te)
    assert pred.shape == y_te.shape and pred.dtype == np.float64
    # predictions come back in the target's units, not standardised ones
    assert abs(pred.mean() - y_tr.mean()) < 0.2 * y_tr.std()


@pytest.mark.slow
def test_classifier_beats_the_majority_on_churn(shared_data) -> None:
    path = shared_data / "churn-modelling" / "Churn_Modelling.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    df = pd.read_csv(path)
    y = df["Exited"].to_numpy()
    table = df.drop(columns=["RowNumber", "CustomerId", "Surname", "Exited"])
    X = pd.get_dummies(table, columns=["Geography", "Gender"], dtype=float).to_numpy(float)
    X_tr, X_te, y_tr, y_te = _split(X, y)
    scaler = StandardScaler().fit(X_tr)
    clf = ANNClassifier((16,), epochs=10, batch_size=64, learning_rate=0.003, random_state=0)
    clf.fit(scaler.transform(X_tr), y_tr)
    majority = 1 - y_te.mean()  # about 0.80: most customers stay
    assert clf.score(scaler.transform(X_te), y_te) > majority + 0.03


# -- outputs ------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_proba(iris, n_classes) -> None:
    X, y = iris
    keep = y < n_classes
    X, y = X[keep], y[keep]
    clf = ANNClassifier((8,), epochs=5, random_state=0, device="cpu").fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_string_labels(iris) -> None:
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = ANNClassifier((16,), epochs=40, learning_rate=0.01, random_state=0, device="cpu")
    clf.fit(X, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    pred = clf.predict(X)
    assert set(pred) <= set(names) and (pred == names).mean() > 0.85


def test_binary_string_labels_from_a_column_vector() -> None:
    X, y = _toy()
    labels = np.where(y == 1, "yes", "no").reshape(-1, 1)
    with pytest.warns(DataConversionWarning, match="column-vector"):
        clf = ANNClassifier((4,), epochs=2, random_state=0, device="cpu").fit(X, labels)
    assert clf.classes_.tolist() == ["no", "yes"] and clf.predict(X).shape == (40,)


def test_multi_output_regression() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = np.c_[X[:, 0] - 2 * X[:, 1], 100 + 10 * X[:, 2]]  # outputs of very different scales
    reg = ANNRegressor((16,), epochs=60, learning_rate=0.01, random_state=0, device="cpu")
    reg.fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (200, 2) and reg.n_outputs_ == 2
    for k in range(2):
        r2 = 1 - ((pred[:, k] - Y[:, k]) ** 2).sum() / ((Y[:, k] - Y[:, k].mean()) ** 2).sum()
        assert r2 > 0.9, k
    # a 1-D target gives 1-D predictions
    assert reg.fit(X, Y[:, 0]).predict(X).shape == (200,)


def test_partial_fit_improves_the_loss() -> None:
    X, y = _toy(200)
    clf = ANNClassifier((8,), learning_rate=0.01, random_state=0, device="cpu")
    for _ in range(15):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    assert clf.loss_curve_[-1] < 0.6 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.9


def test_partial_fit_takes_the_classes_on_the_first_call() -> None:
    X, y = _toy(60)
    y = y + 2 * (X[:, 2] > 1)  # classes 0..3
    clf = ANNClassifier((8,), random_state=0, device="cpu")
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2, 3])
    clf.partial_fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2, 3] and clf.predict_proba(X).shape == (60, 4)
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(X, np.full(60, 7))


def test_partial_fit_regressor_keeps_the_optimiser_state(diabetes) -> None:
    X, y = diabetes
    reg = ANNRegressor((8,), learning_rate=0.01, random_state=0, device="cpu")
    reg.partial_fit(X, y)
    trainer = reg._loop
    reg.partial_fit(X, y)
    assert reg._loop is trainer and reg.n_iter_ == 2
    assert reg.loss_curve_[1] < reg.loss_curve_[0]


def test_validation_fraction_reports_validation_metrics(breast_cancer, diabetes) -> None:
    clf = ANNClassifier((8,), epochs=4, validation_fraction=0.2, random_state=0, device="cpu")
    history = clf.fit(*breast_cancer).history_
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 4
    assert all(0.5 < a <= 1 for a in history["val_accuracy"][1:])
    reg = ANNRegressor((8,), epochs=4, validation_fraction=0.25, random_state=0, device="cpu")
    history = reg.fit(*diabetes).history_
    assert len(history["val_loss"]) == len(history["val_r2"]) == 4


def test_validation_data_is_used_as_given(iris) -> None:
    X, y = iris
    clf = ANNClassifier((8,), epochs=3, random_state=0, device="cpu")
    clf.fit(X, y, validation_data=(X[:10], y[:10]))
    pred = clf.predict(X[:10])
    assert clf.history_["val_accuracy"][-1] == pytest.approx((pred == y[:10]).mean())
    with pytest.raises(TypeError, match="unexpected"):
        clf.fit(X, y, sample_weight=np.ones(len(y)))


def test_early_stopping_through_the_estimator(diabetes) -> None:
    reg = ANNRegressor(
        (32,),
        epochs=500,
        learning_rate=0.01,
        early_stopping=True,
        patience=3,
        validation_fraction=0.2,
        random_state=0,
        device="cpu",
    ).fit(*diabetes)
    assert reg.n_iter_ < 500 and "early stopping" in reg.history_["stopped"]


def test_callable_activation_trains_like_the_named_one() -> None:
    # the named activation takes the hand-written path, the callable takes autograd
    X, y = _toy(64)
    named = ANNClassifier((6,), activation="tanh", epochs=3, random_state=0, device="cpu")
    func = ANNClassifier((6,), activation=torch.tanh, epochs=3, random_state=0, device="cpu")
    named.fit(X, y)
    func.fit(X, y)
    assert isinstance(func._objective, AutogradObjective)
    torch.testing.assert_close(
        named.network_.flat.detach(), func.network_.flat.detach(), rtol=1e-4, atol=1e-5
    )


def test_one_activation_per_hidden_layer() -> None:
    X, y = _toy()
    clf = ANNClassifier((5, 4), activation=["tanh", "sigmoid"], epochs=1, device="cpu")
    acts = [a.name for a in clf.fit(X, y).network_.activations]
    assert acts == ["tanh", "sigmoid", "identity"]
    with pytest.raises(ValueError, match="activation lists one per hidden layer"):
        ANNClassifier((5, 4), activation=["tanh"]).fit(X, y)


def test_no_hidden_layer_is_logistic_regression() -> None:
    X, y = _toy(100)
    clf = ANNClassifier((), epochs=30, learning_rate=0.05, random_state=0, device="cpu")
    assert clf.fit(X, y).network_.layer_sizes == [3, 1]
    assert clf.score(X, y) > 0.9


def test_an_int_is_one_hidden_layer() -> None:
    X, y = _toy()
    clf = ANNClassifier(7, epochs=1, random_state=0, device="cpu").fit(X, y)
    assert clf.network_.layer_sizes == [3, 7, 1]
    assert "layer_sizes=[3, 7, 1], activations=['relu']" in repr(clf.network_)


def test_set_params_after_fit_changes_nothing_until_the_next_fit(tmp_path) -> None:
    X, y = _toy(60)
    clf = ANNClassifier((6,), activation="relu", epochs=3, random_state=0, device="cpu")
    proba = clf.fit(X, y).predict_proba(X)
    clf.set_params(activation="tanh", hidden_layers=(2, 2), init="uniform")
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    clf.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")  # with the network it was fitted with
    assert [a.name for a in back.network_.activations] == ["relu", "identity"]
    assert back.get_params()["activation"] == "relu"
    np.testing.assert_array_equal(back.predict_proba(X), proba)
    clf.partial_fit(X, y)  # continues the fitted network
    assert clf.network_.layer_sizes == [3, 6, 1]
    assert clf.fit(X, y).network_.layer_sizes == [3, 2, 2, 1]  # the new ones, now


def test_pickle_and_clone() -> None:
    X, y = _toy()
    clf = ANNClassifier((6,), epochs=3, random_state=0, device="cpu").fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    back.partial_fit(X, y)  # and it can go on learning
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "network_")


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_pickled_classifier_predicts_and_steps_the_same(activation: str) -> None:
    # Plain pickling, no custom __reduce__: the named functions pickle by reference.
    X, y = _toy()
    clf = ANNClassifier((5,), activation=activation, epochs=2, random_state=0, device="cpu")
    back = pickle.loads(pickle.dumps(clf.fit(X, y)))
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert type(back._objective) is ManualObjective  # still the hand-derived fast path
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    losses = [obj.compute_gradients(Xt, yt[:, None]) for obj in (clf._objective, back._objective)]
    assert torch.equal(*losses)
    assert torch.equal(back.network_.flat.grad, clf.network_.flat.grad)


def test_in_a_pipeline(iris) -> None:
    X, y = iris
    pipe = make_pipeline(StandardScaler(), ANNClassifier((8,), epochs=5, device="cpu"))
    assert pipe.fit(X, y).predict(X).shape == (150,)


# -- bad input, refused before any training -----------------------------------------------


class Started(Callback):
    """Records whether training began."""

    def __init__(self) -> None:
        self.started = False

    def on_train_begin(self, trainer) -> None:
        self.started = True


X_OK, Y_OK = _toy()


def _with_nan(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


def _with_inf(X):
    X = X.copy()
    X[5, 0] = np.inf
    return X


def _with_string(X):
    X = X.astype(object)
    X[2, 2] = "abc"
    return X


BAD_DATA = [
    ("nan in X", lambda: (_with_nan(X_OK), Y_OK), "Input X contains NaN"),
    ("inf in X", lambda: (_with_inf(X_OK), Y_OK), "Input X contains infinity"),
    ("1-D X", lambda: (X_OK[:, 0], Y_OK), "X must be 2-dimensional"),
    ("3-D X", lambda: (X_OK[:, :, None], Y_OK), "got 3-dimensional X"),
    ("empty", lambda: (X_OK[:0], Y_OK[:0]), "0 sample"),
    ("string in a numeric column", lambda: (_with_string(X_OK), Y_OK), "X must hold numbers"),
    ("y too short", lambda: (X_OK, Y_OK[:-1]), "inconsistent numbers of samples"),
    ("nan in y", lambda: (X_OK, np.where(np.arange(40) == 0, np.nan, Y_OK)), "Input y contains"),
]


@pytest.mark.parametrize("cls", [ANNClassifier, ANNRegressor])
@pytest.mark.parametrize(("case", "make", "message"), BAD_DATA, ids=[c[0] for c in BAD_DATA])
def test_bad_data_is_refused_before_training(cls, case, make, message) -> None:
    started = Started()
    X, y = make()
    with pytest.raises(ValueError, match=message):
        cls(epochs=1, callbacks=[started], device="cpu").fit(X, y)
    assert not started.started


def test_single_class_is_refused() -> None:
    started = Started()
    with pytest.raises(ValueError, match="y has only one class"):
        ANNClassifier(callbacks=[started]).fit(X_OK, np.zeros(40))
    assert not started.started


def test_multi_column_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="y must be 1-dimensional"):
        ANNClassifier().fit(X_OK, np.c_[Y_OK, Y_OK])


BAD_PARAMS = [
    ({"activation": "foo"}, "activation"),
    ({"optimizer": "foo"}, "optimizer"),
    ({"init": "foo"}, "init"),
    ({"epochs": 0}, "epochs"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"batch_size": 0}, "batch_size"),
    ({"gradient_descent": "minibatch"}, "gradient_descent"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"lr_schedule": "exponential"}, "lr_schedule"),
    ({"clip_grad_norm": -1.0}, "clip_grad_norm"),
    ({"momentum": 1.0}, "momentum"),
    ({"patience": 0}, "patience"),
    ({"random_state": -5}, "random_state"),
    ({"callbacks": "print"}, "callbacks"),
    ({"hidden_layers": 0}, "hidden_layers"),
    ({"hidden_layers": (8, 0)}, "hidden_layers"),
    ({"hidden_layers": (8, "wide")}, "hidden_layers"),
    ({"init_scale": 0.0}, "init_scale"),
]


@pytest.mark.parametrize("cls", [ANNClassifier, ANNRegressor])
@pytest.mark.parametrize(("params", "name"), BAD_PARAMS, ids=[p[1] for p in BAD_PARAMS])
def test_bad_parameters_name_themselves(cls, params, name) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be"):
        cls(**params).fit(X_OK, Y_OK)


def test_unknown_option_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError) as info:
        ANNClassifier(activation="foo").fit(X_OK, Y_OK)
    assert "'relu'" in str(info.value) and "'sigmoid'" in str(info.value)
    assert "got 'foo'" in str(info.value)
    with pytest.raises(ValueError, match=r"^loss must be one of 'mse', 'mae', 'huber'"):
        ANNRegressor(loss="foo").fit(X_OK, Y_OK.astype(float))


def test_validation_fraction_too_small_for_the_data_trains_without_one() -> None:
    # early stopping is on by default, so a table too small to hold rows out still fits;
    # the history says that the training loss was monitored instead
    clf = ANNClassifier((4,), epochs=3, validation_fraction=0.01).fit(X_OK, Y_OK)
    assert "val_loss" not in clf.history_
    assert "validation_fraction=0.01" in clf.history_["validation"]


def test_wrong_feature_count_at_predict() -> None:
    clf = ANNClassifier((4,), epochs=1, device="cpu").fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 2 features, but ANNClassifier is expecting 3"):
        clf.predict(X_OK[:, :2])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict_proba(_with_nan(X_OK))


def test_regressor_wrong_target_count_in_partial_fit() -> None:
    reg = ANNRegressor((4,), device="cpu").partial_fit(X_OK, np.c_[Y_OK, Y_OK])
    with pytest.raises(ValueError, match="y has 1 targets; the model predicts 2"):
        reg.partial_fit(X_OK, Y_OK)


def test_predict_before_fit() -> None:
    with pytest.raises(NotFittedError):
        ANNClassifier().predict(X_OK)
    with pytest.raises(NotFittedError):
        ANNRegressor().predict(X_OK)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_refused() -> None:
    with pytest.raises(ValueError, match="no CUDA device"):
        ANNClassifier(device="cuda").fit(X_OK, Y_OK)


def test_partial_fit_after_load_carries_the_history_on(tmp_path, iris) -> None:
    X, y = iris
    clf = ANNClassifier(hidden_layers=(8,), epochs=3, random_state=0).fit(X, y)
    path = tmp_path / "iris.cortex"
    clf.save(path)
    loaded = load(path)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 4
    assert loaded.history_["loss"][:3] == clf.history_["loss"]
    assert len(loaded.history_["loss"]) == 4


def test_sgd_with_nesterov_momentum_learns(iris) -> None:
    X, y = iris
    plain = ANNClassifier(
        hidden_layers=(16,), optimizer="sgd", momentum=0.0, learning_rate=0.01, epochs=20,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    nesterov = ANNClassifier(
        hidden_layers=(16,), optimizer="sgd", momentum=0.9, nesterov=True, learning_rate=0.01,
        epochs=20, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert nesterov._loop.optimizer.param_groups[0]["nesterov"] is True
    assert nesterov.history_["loss"][-1] < plain.history_["loss"][-1]
    assert nesterov.score(X, y) > 0.9


# -- bad input found by trying it as a new user --------------------------------------------


def test_labels_mixing_text_and_numbers_are_named() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array([1, "a", 1, "a", 2, "b"], dtype=object)
    with pytest.raises(ValueError, match=r"y mixes text and non-text labels .*y\.astype\(str\)"):
        ANNClassifier((2,), epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="classes mixes text"):
        classes = np.array(["a", 1, "b", "2"], dtype=object)
        ANNClassifier((2,), epochs=1).partial_fit(X, y.astype(str), classes=classes)


def test_a_target_beyond_float32_is_refused_before_training() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="beyond float32's range"):
        ANNRegressor((2,), epochs=1).fit(X, [1e39, 2.0, 3.0, 4.0, 5.0, 6.0])


def test_a_network_larger_than_memory_is_refused_before_allocating() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match=r"the network \(layers \[2, 10000000000, 1\].*memory"):
        ANNClassifier((10**10,), epochs=1).fit(X, [0, 1] * 3)


def test_read_only_input_trains_without_torch_warnings() -> None:
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    X.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ANNClassifier((2,), epochs=1).fit(X, [0, 1] * 10).predict(X)


def test_a_nan_in_partial_fit_puts_back_the_weights_from_before_the_call() -> None:
    X = np.random.default_rng(0).normal(size=(20, 3))
    reg = ANNRegressor((4,), epochs=1, random_state=0, device="cpu")
    for _ in range(3):
        reg.partial_fit(X, X[:, 0])
    before = reg.network_.flat.detach().clone()
    with pytest.warns(DivergenceWarning, match="before this partial_fit call"):
        reg.partial_fit(X * 1e30, X[:, 0])  # squares beyond float32: the loss is inf
    assert torch.equal(reg.network_.flat.detach(), before)
    assert reg.n_iter_ == 3


def test_validation_data_may_be_a_dataset() -> None:
    from torch.utils.data import TensorDataset

    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    own = TensorDataset(torch.tensor(X[:10]), torch.tensor(y[:10]))
    clf = ANNClassifier((4,), epochs=2, random_state=0, device="cpu")
    clf.fit(X, y, validation_data=own)
    assert len(clf.history_["val_loss"]) == 2


@pytest.mark.cuda
def test_a_model_trained_on_cuda_predicts_the_same_on_the_cpu(tmp_path: pathlib.Path) -> None:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    clf = ANNClassifier((16,), epochs=20, random_state=0, device="cuda").fit(X, y)
    assert next(clf.network_.parameters()).device.type == "cuda"
    path = tmp_path / "m.ck"
    clf.save(path)
    cpu = load(path, device="cpu")
    np.testing.assert_allclose(cpu.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    assert clf.score(X, y) > 0.9
