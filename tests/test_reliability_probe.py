"""Inputs a reliability probe found read wrongly or silently through the API: each is now
read right or refused in one line, before any work."""

from __future__ import annotations

import inspect
import math

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
