"""Parameter checks declared once per estimator, as a table of what each accepts.

Each estimator lists, per parameter, the allowed forms (the ``_constraints`` class
attribute); :func:`validate_params` checks them all at the start of ``fit``, before any
work, and the error names the parameter, what was expected and what was received.

Examples
--------
>>> validate_params({"epochs": 0}, {"epochs": [Interval(int, 1, None)]})
Traceback (most recent call last):
...
ValueError: epochs must be an int in [1, inf); got 0
>>> validate_params({"sigma": float("inf")}, {"sigma": [Interval(float, 0, None)]})
Traceback (most recent call last):
...
ValueError: sigma must be finite (a float in [0, inf)); got inf
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import validate_data as _sklearn_validate_data

__all__ = [
    "CALLABLE",
    "FLOAT32_MAX",
    "Interval",
    "Options",
    "PositiveInts",
    "as_widths",
    "check_float32_range",
    "describe",
    "validate_data",
    "validate_params",
]

CALLABLE = "callable"


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (``int`` or ``float``) between ``low`` and ``high``."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right" or "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real):
            return False
        value = float(value)
        if not math.isfinite(value):  # inf and NaN pass no bound a parameter needs
            return False
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return bool(lo_ok and hi_ok)

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        article = "an" if self.kind is int else "a"
        return f"{article} {self.kind.__name__} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __init__(self, values: Iterable[str]) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class PositiveInts:
    """An int > 0, or a non-empty list or tuple of them (layer widths, say); with
    ``allow_empty``, an empty list or tuple too (no hidden layer).

    Examples
    --------
    >>> rule = PositiveInts()
    >>> rule.accepts(8), rule.accepts((16, 8)), rule.accepts(()), rule.accepts([4, 0])
    (True, True, False, False)
    >>> PositiveInts(allow_empty=True).accepts(())
    True
    """

    allow_empty: bool = False

    def accepts(self, value: Any) -> bool:
        if _is_positive_int(value):
            return True
        return (
            isinstance(value, list | tuple)
            and (len(value) > 0 or self.allow_empty)
            and all(_is_positive_int(v) for v in value)
        )

    def __str__(self) -> str:
        if self.allow_empty:
            return "an int > 0 or a list of them"
        return "an int > 0 or a non-empty list of them"


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0


def as_widths(value: Any, name: str, *, allow_empty: bool = False) -> tuple[int, ...]:
    """``value`` (an int > 0, or a non-empty list or tuple of them; empty too with
    ``allow_empty``) as a tuple of ints: an int means one layer.

    Raises
    ------
    ValueError
        Naming ``name``, if ``value`` is anything else.

    Examples
    --------
    >>> as_widths(8, "hidden_layers"), as_widths([16, 8], "hidden_layers")
    ((8,), (16, 8))
    >>> as_widths((16, -1), "hidden_layers")
    Traceback (most recent call last):
    ...
    ValueError: hidden_layers must be an int > 0 or a non-empty list of them; got (16, -1)
    """
    rule = PositiveInts(allow_empty)
    if not rule.accepts(value):
        raise ValueError(f"{name} must be {rule}; got {value!r}")
    return (int(value),) if _is_positive_int(value) else tuple(int(v) for v in value)


def saved_floats(value: Any, name: str, size: int | None, *, positive: bool = False) -> np.ndarray:
    """A model file's list of ``size`` (``None``: any number of) finite numbers (> 0 with
    ``positive``: a scale that divides) as a float array.

    Raises
    ------
    ValueError
        Naming ``name``, if ``value`` is anything else.

    Examples
    --------
    >>> saved_floats([0.5, 2], "x_std", 2, positive=True)
    array([0.5, 2. ])
    >>> saved_floats([0.5, "NaN"], "x_std", 2)
    Traceback (most recent call last):
    ...
    ValueError: x_std must be a list of 2 finite numbers; got [0.5, 'NaN']
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.full(0, np.nan)
    shape_ok = arr.ndim == 1 and (size is None or len(arr) == size)
    ok = shape_ok and bool(np.isfinite(arr).all())
    if not ok or (positive and not (arr > 0).all()):
        what = "numbers > 0" if positive else "finite numbers"
        count = "" if size is None else f"{size} "
        raise ValueError(f"{name} must be a list of {count}{what}; got {value!r}")
    return arr


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(X: np.ndarray, name: str, first_row: int = 0) -> np.ndarray:
    """Refuse values that float32, the networks' precision, would turn into infinity."""
    if X.dtype == np.float64 and X.size:
        big = np.abs(X) > FLOAT32_MAX
        if big.any():
            row, col = np.argwhere(big)[0]
            raise ValueError(
                f"{name} holds values beyond float32's range ({X[row, col]:.3g} in row "
                f"{first_row + int(row)}, column {int(col)}; the limit is {FLOAT32_MAX:.3g}); "
                "the network computes in float32: rescale the features"
            )
    return X


def _accepts(rule: Any, value: Any) -> bool:
    if rule is None:
        return value is None
    if rule is bool:
        return isinstance(value, bool | int) and value in (0, 1)
    if rule == CALLABLE:
        return callable(value)
    if isinstance(rule, type):
        return isinstance(value, rule)
    return bool(rule.accepts(value))


def describe(rule: Any) -> str:
    if rule is None:
        return "None"
    if rule is bool:
        return "a bool"
    if rule == CALLABLE:
        return "a callable"
    if isinstance(rule, type):
        return f"a {rule.__name__}"
    return str(rule)


def validate_params(params: Mapping[str, Any], constraints: Mapping[str, list[Any]]) -> None:
    """Check each parameter against its allowed forms.

    Raises
    ------
    ValueError
        Naming the first parameter that fits none of its forms.
    """
    for name, rules in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if not any(_accepts(rule, value) for rule in rules):
            expected = " or ".join(describe(r) for r in rules)
            if _non_finite(value) and any(isinstance(r, Interval) for r in rules):
                expected = f"finite ({expected})"
            raise ValueError(f"{name} must be {expected}; got {value!r}")


def _non_finite(value: Any) -> bool:
    """Whether ``value`` is a number that is infinite or NaN."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and not math.isfinite(float(value))
    )


def validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data``, naming ``X`` in the errors where its own do not."""
    try:
        return _sklearn_validate_data(estimator, *args, **kwargs)
    except ValueError as exc:
        message = str(exc)
        if message.startswith("could not convert"):  # a string in a numeric column
            raise ValueError(
                f"X must hold numbers only ({message}); encode string columns first, "
                "e.g. with sklearn.preprocessing.OneHotEncoder"
            ) from None
        if message.startswith("Expected 2D array"):  # sklearn's own lists every value
            got = message.split(",", 1)[1].split(" instead", 1)[0].strip()
            raise ValueError(
                f"X must be 2-dimensional (n_samples, n_features); {got}. Reshape your data: "
                "X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a single sample"
            ) from None
        if message.startswith("Found array with dim"):
            dim = message.split()[4].rstrip(",")
            if args and _ndim(args[0]) == int(dim):
                raise ValueError(
                    f"X must be 2-dimensional (n_samples, n_features); got {dim}-dimensional X"
                ) from None
            raise ValueError(
                f"y must be 1-dimensional (n_samples,) or 2-dimensional (n_samples, n_outputs)"
                f"; got {dim}-dimensional y"
            ) from None
        raise


def _ndim(X: Any) -> int:
    """``X``'s number of dimensions (-1 where it has none to tell)."""
    try:
        return int(getattr(X, "ndim", None) or np.ndim(X))
    except (TypeError, ValueError):
        return -1
