"""The perceptron against a plain, one-observation-at-a-time implementation of its rule,
and its pocket against a plain count of each epoch's training mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from cortexkit import Perceptron, load


def _reference_rule(X, y, *, learning_rate=1.0, epochs=100, shuffle=True, random_state=0):
    """Rosenblatt's rule as the textbook writes it: one observation at a time.

    Returns the last weights, the updates per epoch and each epoch's end weights.
    """
    classes, y_idx = np.unique(y, return_inverse=True)
    units = 1 if len(classes) == 2 else len(classes)
    T = (y_idx[:, None] == (np.arange(units) + (units == 1))).astype(float)
    W, b = np.zeros((units, X.shape[1])), np.zeros(units)
    rng = np.random.RandomState(random_state)
    errors, snapshots = [], []
    for _ in range(epochs):
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
        snapshots.append((W.copy(), b.copy()))
        if mistakes == 0:
            break
    return W, b, errors, snapshots


def _count_mistakes(X, y, W, b) -> int:
    """Training mistakes of weights ``W``, ``b``, one row at a time."""
    classes = np.unique(y)
    wrong = 0
    for x, target in zip(X, y, strict=True):
        scores = W @ x + b
        guess = classes[int(scores[0] >= 0)] if len(W) == 1 else classes[int(np.argmax(scores))]
        wrong += int(guess != target)
    return wrong


def _noisy_blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + 1.2 * y[:, None]
    return X, y


@pytest.mark.parametrize("shuffle", [True, False])
def test_matches_the_sequential_rule_over_many_blocks(shuffle: bool) -> None:
    X, y = _noisy_blobs()  # 300 rows: several of the implementation's scoring blocks
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        clf = Perceptron(
            epochs=6, learning_rate=0.5, pocket=False, shuffle=shuffle, random_state=3
        ).fit(X, y)
    W, b, errors, _ = _reference_rule(
        X, y, learning_rate=0.5, epochs=6, shuffle=shuffle, random_state=3
    )
    np.testing.assert_allclose(clf.coef_, W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, rtol=0, atol=1e-12)
    assert clf.history_["errors"] == errors
    assert clf.n_iter_ == 6 and clf.best_epoch_ == 6 and not clf.converged_


def test_multiclass_one_vs_rest_matches_the_rule(iris) -> None:
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        clf = Perceptron(epochs=10, pocket=False, random_state=0).fit(X, y)
    W, b, errors, _ = _reference_rule(X, y, epochs=10, random_state=0)
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
        clf = Perceptron(epochs=20, random_state=0).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 20
    assert all(e > 0 for e in clf.history_["errors"])


@pytest.mark.parametrize("data", ["blobs", "iris"])
def test_pocket_keeps_the_first_epoch_with_fewest_training_mistakes(data, iris) -> None:
    X, y = _noisy_blobs() if data == "blobs" else iris
    with pytest.warns(ConvergenceWarning, match="kept the weights of epoch"):
        clf = Perceptron(epochs=15, random_state=1).fit(X, y)
    _, _, errors, snapshots = _reference_rule(X, y, epochs=15, random_state=1)
    mistakes = [_count_mistakes(X, y, W, b) for W, b in snapshots]
    assert clf.history_ == {"errors": errors, "train_errors": mistakes}
    assert clf.best_epoch_ == int(np.argmin(mistakes)) + 1  # argmin: the first of equals
    W, b = snapshots[clf.best_epoch_ - 1]
    np.testing.assert_allclose(clf.coef_, W, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, atol=1e-12)
    assert int((clf.predict(X) != y).sum()) == min(mistakes)


def test_pocket_beats_the_last_weights_on_breast_cancer(breast_cancer) -> None:
    X, y = breast_cancer  # not linearly separable: the rule never settles
    with pytest.warns(ConvergenceWarning):
        pocket = Perceptron(random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        last = Perceptron(pocket=False, random_state=0).fit(X, y)
    assert pocket.history_ == last.history_  # the same trajectory; only the weights kept differ
    mistakes = pocket.history_["train_errors"]
    assert int((pocket.predict(X) != y).sum()) == min(mistakes)
    assert int((last.predict(X) != y).sum()) == mistakes[-1] > min(mistakes)
    assert pocket.best_epoch_ < pocket.n_iter_ == last.best_epoch_ == last.n_iter_ == 100


def test_pocket_and_classic_rule_agree_on_separable_data() -> None:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])  # logical AND
    pocket = Perceptron(random_state=0).fit(X, y)
    last = Perceptron(pocket=False, random_state=0).fit(X, y)
    np.testing.assert_array_equal(pocket.coef_, last.coef_)
    np.testing.assert_array_equal(pocket.intercept_, last.intercept_)
    assert pocket.converged_ and last.converged_ and pocket.history_ == last.history_
    # the epoch before the update-free one already separated the data; on the tie, the
    # pocket names the earlier epoch, whose weights are the same
    assert pocket.history_["train_errors"][-2:] == [0, 0]
    assert pocket.best_epoch_ == pocket.n_iter_ - 1 and last.best_epoch_ == last.n_iter_


def test_model_file_keeps_the_pocket(tmp_path, iris) -> None:
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        clf = Perceptron(epochs=12, random_state=2).fit(X, y)
    assert clf.best_epoch_ < clf.n_iter_  # the pocket kept an earlier epoch
    clf.save(tmp_path / "p.cortex")
    back = load(tmp_path / "p.cortex")
    assert back.get_params() == clf.get_params()
    assert (back.best_epoch_, back.n_iter_, back.converged_) == (clf.best_epoch_, 12, False)
    assert back.history_ == clf.history_
    np.testing.assert_array_equal(back.coef_, clf.coef_)
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))


def test_uses_the_base_seeding_and_saves_the_fitted_parameters(tmp_path, iris) -> None:
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        seeded = Perceptron(epochs=5, random_state=np.random.RandomState(4)).fit(X, y)
        same = Perceptron(epochs=5, random_state=np.random.RandomState(4)).fit(X, y)
    np.testing.assert_array_equal(seeded.coef_, same.coef_)
    same.set_params(epochs=50, pocket=False)  # after fit: changes nothing until the next
    same.save(tmp_path / "p.cortex")
    back = load(tmp_path / "p.cortex")
    assert back.get_params()["epochs"] == 5 and back.get_params()["pocket"] is True
    assert back.classes_.tolist() == [0, 1, 2] and back.n_features_in_ == 4
    np.testing.assert_array_equal(back.predict(X), seeded.predict(X))


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
        ({"epochs": 0}, "epochs"),
        ({"pocket": "no"}, "pocket"),
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
