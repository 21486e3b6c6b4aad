"""The perceptron against a plain, one-observation-at-a-time implementation of its rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from cortexkit import Perceptron


def _reference_rule(X, y, *, learning_rate=1.0, max_epochs=100, shuffle=True, random_state=0):
    """Rosenblatt's rule as the textbook writes it: one observation at a time."""
    classes, y_idx = np.unique(y, return_inverse=True)
    units = 1 if len(classes) == 2 else len(classes)
    T = (y_idx[:, None] == (np.arange(units) + (units == 1))).astype(float)
    W, b = np.zeros((units, X.shape[1])), np.zeros(units)
    rng = np.random.RandomState(random_state)
    errors = []
    for _ in range(max_epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        mistakes = 0
        for i in order:
            fired = (W @ X[i] + b >= 0).astype(float)
            err = T[i] - fired
            if np.any(err != 0):
                W += learning_rate * np.outer(err, X[i])
                b += learning_rate * err
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return W, b, errors


def _noisy_blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + 1.2 * y[:, None]
    return X, y


@pytest.mark.parametrize("shuffle", [True, False])
def test_matches_the_sequential_rule_over_many_blocks(shuffle: bool) -> None:
    X, y = _noisy_blobs()  # 300 rows: several of the implementation's scoring blocks
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        clf = Perceptron(max_epochs=6, learning_rate=0.5, shuffle=shuffle, random_state=3).fit(X, y)
    W, b, errors = _reference_rule(
        X, y, learning_rate=0.5, max_epochs=6, shuffle=shuffle, random_state=3
    )
    np.testing.assert_allclose(clf.coef_, W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, rtol=0, atol=1e-12)
    assert clf.history_["errors"] == errors
    assert clf.n_iter_ == 6 and not clf.converged_


def test_multiclass_one_vs_rest_matches_the_rule(iris) -> None:
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        clf = Perceptron(max_epochs=10, random_state=0).fit(X, y)
    W, b, errors = _reference_rule(X, y, max_epochs=10, random_state=0)
    np.testing.assert_allclose(clf.coef_, W, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, atol=1e-12)
    assert clf.history_["errors"] == errors
    scores = clf.decision_function(X)
    assert scores.shape == (150, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(1)])
    assert clf.score(X, y) > 0.8


def test_logical_and_converges() -> None:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    clf = Perceptron(random_state=0).fit(X, y)
    assert clf.converged_ and clf.history_["errors"][-1] == 0
    assert clf.predict(X).tolist() == [0, 0, 0, 1]
    assert clf.coef_.shape == (1, 2) and clf.intercept_.shape == (1,)
    # the unit fires exactly where its weighted sum is non-negative
    np.testing.assert_array_equal(clf.decision_function(X) >= 0, clf.predict(X) == 1)


def test_xor_does_not_converge_and_warns() -> None:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 1, 1, 0])
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        clf = Perceptron(max_epochs=20, random_state=0).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 20
    assert all(e > 0 for e in clf.history_["errors"])


def test_string_labels() -> None:
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array(["off", "off", "off", "on"])
    clf = Perceptron(random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["off", "on"]
    assert clf.predict(X).tolist() == y.tolist()


def test_single_class_is_refused() -> None:
    with pytest.raises(ValueError, match="y has only one class"):
        Perceptron().fit(np.ones((4, 2)), np.zeros(4))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"random_state": -1}, "random_state"),
    ],
)
def test_bad_parameters_name_themselves(params, name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be"):
        Perceptron(**params).fit(np.eye(2), [0, 1])


def test_bad_inputs_name_x() -> None:
    X = np.array([[0.0, np.nan], [1.0, 1.0]])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        Perceptron().fit(X, [0, 1])
    clf = Perceptron(random_state=0).fit(np.eye(3), [0, 1, 1])
    with pytest.raises(ValueError, match="X has 2 features"):
        clf.predict(np.eye(2))
