"""Inputs a reliability probe found read wrongly or silently through the API: each is now
read right or refused in one line, before any work."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from cortexkit.persist import public_estimators

PUBLIC = public_estimators()


def _float_params() -> list[tuple[str, str]]:
    return [
        (name, p)
        for name, cls in PUBLIC.items()
        for p, par in inspect.signature(cls).parameters.items()
        if isinstance(par.default, float)
    ]


@pytest.mark.parametrize(("name", "param"), _float_params())
def test_every_float_parameter_must_be_finite(name: str, param: str) -> None:
    """``SelfOrganizingMap(learning_rate=inf)`` (and NaN) was accepted."""
    for value in (math.inf, math.nan):
        est = PUBLIC[name](**{param: value})
        with pytest.raises(ValueError, match=rf"^{param} must be finite \(.*; got {value}$"):
            est._validate_params()


def _small(name: str) -> object:
    from tests.test_docstrings import SMALL, signature_of

    cls = PUBLIC[name]
    return cls(**{k: v for k, v in SMALL.items() if k in signature_of(cls)})


@pytest.mark.parametrize(
    ("name", "X", "y"),
    [
        ("ANNRegressor", np.ones((1, 3)), np.ones(1)),
        ("AutoEncoder", np.ones((1, 3)), None),
        ("RNNRegressor", np.ones((1, 4, 2)), np.ones(1)),
        ("RBM", np.full((1, 3), 0.5), None),
        ("DBM", np.full((1, 3), 0.5), None),
    ],
)
def test_one_training_row_is_refused(name: str, X: np.ndarray, y: np.ndarray | None) -> None:
    """``ANNRegressor().fit`` (and the others) trained on a single row, silently."""
    with pytest.raises(ValueError, match=rf"^{name} got 1 sample to train on .* at least 2"):
        _small(name).fit(X, y)


@pytest.mark.parametrize(
    ("name", "X", "expected"),
    [
        ("AutoEncoder", np.zeros((5, 2, 2, 2, 2)), "a table .* or images .*got 5-dimensional X"),
        ("AutoEncoder", np.zeros(5), "2-dimensional .*got 1D array. Reshape your data"),
        ("ANNRegressor", np.zeros((6, 3, 2)), "2-dimensional .*got 3-dimensional X"),
        ("ANNRegressor", np.zeros((6, 3)), "y must be .*got 3-dimensional y"),
    ],
)
def test_a_wrong_shape_of_X_is_refused_in_one_line(name: str, X: np.ndarray, expected: str) -> None:
    """sklearn's message listed every value of a 1-d X over several lines; a 3-d X for a
    table said "dim <= 2 is required", and of a 3-d y too. (An AutoEncoder's 3-d X is
    images, an RNNRegressor's 2-d X is (N, T) sequences of one feature and an ANNRegressor's
    2-d y is several outputs: all as documented.)"""
    y = None if name == "AutoEncoder" else np.zeros(len(X))
    if "y must" in expected:
        y = np.zeros((6, 2, 2))
    with pytest.raises(ValueError, match=expected) as info:
        _small(name).fit(X, y)
    assert "\n" not in str(info.value)


def test_an_annregressor_takes_a_2d_y_as_several_outputs() -> None:
    """A 2-d y gave numpy's "truth value is ambiguous"; it is several outputs."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    Y = np.c_[X[:, 0], 2 * X[:, 1]]
    est = _small("ANNRegressor").fit(X, Y)
    assert est.predict(X[:4]).shape == (4, 2)
