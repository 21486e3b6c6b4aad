"""Each public estimator's own class docstring is a literal numpydoc text that documents
exactly the parameters its signature takes (in order, with the real defaults), which its
constraints table checks, and every fitted attribute that ``fit`` sets.

The estimators come from the model-file registry, as in ``test_persist.py``: a new family's
classes are checked here without editing this file.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning

from cortexkit.persist import public_estimators

PUBLIC = public_estimators()
SMALL = {"hidden_layers": (5,), "epochs": 3, "random_state": 0, "device": "cpu"}

ENTRY = re.compile(r"(?P<name>[A-Za-z_]\w*) : (?P<type>\S.*)")
DEFAULT = re.compile(r", default=(?P<value>.+)$")
NO_DEFAULT = object()  # the signature or the docstring gives none


# -- a numpydoc reader, as small as these docstrings need ------------------------------------


def sections(doc: str) -> dict[str, list[str]]:
    """The lines of each section, by its header (a line underlined with dashes)."""
    lines = inspect.cleandoc(doc).splitlines()
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    i = 0
    while i < len(lines):
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if lines[i].strip() and underline and set(underline) == {"-"}:
            current = found.setdefault(lines[i].strip(), [])
            i += 2
            continue
        if current is not None:
            current.append(lines[i])
        i += 1
    return found


def entries(doc: str, section: str) -> dict[str, str]:
    """``name -> type`` of each entry (the lines at the section's first indentation level),
    in order. Every such line must read ``name : type``."""
    found: dict[str, str] = {}
    for line in sections(doc).get(section, []):
        if not line.strip() or line[0].isspace():
            continue  # a blank line or an entry's description
        match = ENTRY.fullmatch(line)
        if match is None:
            raise AssertionError(f"{section}: {line!r} is not a 'name : type' entry")
        if match["name"] in found:
            raise AssertionError(f"{section}: {match['name']!r} is documented twice")
        found[match["name"]] = match["type"]
    return found


def documented_default(type_text: str) -> Any:
    """The value after ``default=``, as a Python literal (NO_DEFAULT when there is none)."""
    match = DEFAULT.search(type_text)
    if match is None:
        return NO_DEFAULT
    try:
        return ast.literal_eval(match["value"])
    except (ValueError, SyntaxError):
        raise AssertionError(
            f"default={match['value']} is not a literal: write the value itself"
        ) from None


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (``True`` is not ``1``, ``1`` is not ``1.0``)."""
    if isinstance(a, tuple | list) and type(a) is type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# -- the checks: each returns its problems, so a failure lists them all ---------------------


def signature_of(cls: type) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(cls).parameters)


def parameter_problems(cls: type) -> list[str]:
    """Documented parameters against the signature: names, order and defaults."""
    doc = cls.__dict__.get("__doc__") or ""
    documented = entries(doc, "Parameters")
    signature = signature_of(cls)
    problems = []
    if list(documented) != list(signature):
        problems.append(
            f"documented parameters {list(documented)} != signature {list(signature)}; "
            f"undocumented: {sorted(set(signature) - set(documented))}, "
            f"not in the signature: {sorted(set(documented) - set(signature))}"
        )
    for name, type_text in documented.items():
        if name not in signature:
            continue
        real = signature[name].default
        real = NO_DEFAULT if real is inspect.Parameter.empty else real
        said = documented_default(type_text)
        if said is NO_DEFAULT or real is NO_DEFAULT:
            if said is not real:
                problems.append(f"{name}: documented default {said!r}, signature {real!r}")
        elif not same(said, real):
            problems.append(f"{name}: documented default={said!r}, signature's is {real!r}")
    return problems


def constraint_problems(cls: type) -> list[str]:
    """The constraints table checks exactly the signature's parameters."""
    table = set(getattr(cls, "_constraints", {}))
    signature = set(signature_of(cls))
    problems = []
    if signature - table:
        problems.append(f"parameters without a constraint: {sorted(signature - table)}")
    if table - signature:
        problems.append(f"constraints of no parameter: {sorted(table - signature)}")
    return problems


def literal_problems(cls: type) -> list[str]:
    """The docstring is the class body's own string literal, not built at run time."""
    node = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(node, ast.ClassDef) and node.name == cls.__name__
    problems = []
    assigned = [
        target.id
        for stmt in node.body
        if isinstance(stmt, ast.Assign | ast.AnnAssign)
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        if isinstance(target, ast.Name)
    ]
    if "__doc__" in assigned:
        problems.append("the class body assigns __doc__")
    literal = ast.get_docstring(node, clean=False)
    if literal is None:
        problems.append("the class body does not start with a docstring literal")
    elif literal != cls.__dict__.get("__doc__"):
        problems.append("__doc__ differs from the docstring literal (changed at run time)")
    return problems


def fitted_attributes(est: Any) -> set[str]:
    """Public fitted attributes: set by fit, ending in ``_``."""
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


# -- the public estimators --------------------------------------------------------------------


def test_every_public_estimator_is_checked() -> None:
    assert {"ANNClassifier", "ANNRegressor", "Perceptron"} <= set(PUBLIC)


@pytest.mark.parametrize("cls", PUBLIC.values(), ids=PUBLIC.keys())
def test_documented_parameters_match_the_signature(cls: type) -> None:
    assert all(
        p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in signature_of(cls).values()
    ), "scikit-learn estimators take no *args or **kwargs"
    assert parameter_problems(cls) == []


@pytest.mark.parametrize("cls", PUBLIC.values(), ids=PUBLIC.keys())
def test_constraints_table_covers_the_signature(cls: type) -> None:
    assert "_constraints" in {k for klass in cls.__mro__ for k in vars(klass)}
    assert constraint_problems(cls) == []


@pytest.mark.parametrize("cls", PUBLIC.values(), ids=PUBLIC.keys())
def test_docstring_is_a_literal(cls: type) -> None:
    assert literal_problems(cls) == []


IMAGE_ESTIMATORS = {"CNNClassifier"}  # take images (N, H, W), not a table


def _fit_small(cls: type) -> Any:
    """A quick fit on a DataFrame with string column names (so ``feature_names_in_`` is
    set), with the target the estimator takes."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    t = X["a"].to_numpy()
    if cls.__name__ in IMAGE_ESTIMATORS:  # images, not a table: (N, H, W)
        X = rng.integers(0, 256, size=(40, 8, 8)).astype(np.uint8)
    elif getattr(cls, "_input_range", None) == (0, 1):  # Bernoulli visible units
        X = 1 / (1 + np.exp(-X))
    accepted = signature_of(cls)
    est = cls(**{k: v for k, v in SMALL.items() if k in accepted})
    if getattr(cls, "_fit_input", "") == "ratings":  # a recommender: fitted on ratings
        users, items = np.nonzero(rng.random((12, 8)) < 0.6)
        ratings = pd.DataFrame({"user": users, "item": items, "rating": 1 + (users + items) % 5})
        return est.fit(ratings)
    y = t > 0 if is_classifier(est) else 2 * t + 1 if is_regressor(est) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("cls", PUBLIC.values(), ids=PUBLIC.keys())
def test_documented_attributes_are_the_fitted_ones(cls: type) -> None:
    documented = set(entries(cls.__dict__.get("__doc__") or "", "Attributes"))
    fitted = fitted_attributes(_fit_small(cls))
    assert fitted, "fit set no public attribute"
    assert sorted(fitted - documented) == [], "fitted attributes missing from Attributes"
    # fitted on a DataFrame, every documented attribute is set (feature_names_in_ too)
    assert sorted(documented - fitted) == [], "documented attributes that fit does not set"


# -- the checks catch what they are for ---------------------------------------------------------


class _Documented:
    """A toy class documented as the estimators must be.

    Parameters
    ----------
    size : int or sequence of int, default=(100,)
        Sizes.
    rate : float, default=1e-3
        A rate.
    name : {"a", "b"} or None, default=None
        A name.
    flag : bool, default=True
        A flag.

    Attributes
    ----------
    curve_ : list of shape (n_iter_,)
        A curve.
    """

    _constraints = {"size": [], "rate": [], "name": [], "flag": []}

    def __init__(
        self, size: tuple[int, ...] = (100,), *, rate: float = 1e-3, name: str | None = None,
        flag: bool = True,
    ) -> None:  # fmt: skip
        self.size, self.rate, self.name, self.flag = size, rate, name, flag


class _Undocumented(_Documented):
    __doc__ = _Documented.__doc__  # the docstring as it was, before ``extra`` came

    _constraints = {**_Documented._constraints, "extra": []}

    def __init__(self, size: tuple[int, ...] = (100,), *, extra: int = 1) -> None:
        super().__init__(size)
        self.extra = extra


class _WrongDefaults(_Documented):
    __doc__ = (_Documented.__doc__ or "").replace("default=True", "default=1")

    def __init__(
        self, size: tuple[int, ...] = (64, 32), *, rate: float = 1e-2, name: str | None = "a",
        flag: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(size, rate=rate, name=name, flag=flag)


def test_the_checks_pass_a_well_documented_class() -> None:
    doc = _Documented.__doc__ or ""
    assert list(entries(doc, "Parameters")) == ["size", "rate", "name", "flag"]
    assert list(entries(doc, "Attributes")) == ["curve_"]
    assert parameter_problems(_Documented) == []
    assert constraint_problems(_Documented) == []
    assert literal_problems(_Documented) == []


def test_an_undocumented_parameter_fails() -> None:
    problems = parameter_problems(_Undocumented)
    assert len(problems) == 1 and "undocumented: ['extra']" in problems[0]
    assert "not in the signature: ['flag', 'name', 'rate']" in problems[0]
    assert "constraints of no parameter: ['flag', 'name', 'rate']" in constraint_problems(
        _Undocumented
    )


def test_a_wrong_default_fails() -> None:
    problems = parameter_problems(_WrongDefaults)
    assert [p.split(":")[0] for p in problems] == ["size", "rate", "name", "flag"]
    assert "documented default=1, signature's is True" in problems[-1]


def test_a_docstring_built_at_run_time_fails() -> None:
    assert literal_problems(_WrongDefaults) == [
        "the class body assigns __doc__",
        "the class body does not start with a docstring literal",
    ]


def test_a_malformed_entry_or_a_non_literal_default_fails() -> None:
    with pytest.raises(AssertionError, match="not a 'name : type' entry"):
        entries("Title.\n\nParameters\n----------\nsize: int\n    Sizes.\n", "Parameters")
    with pytest.raises(AssertionError, match="not a literal"):
        documented_default("int, default=ANN.epochs")
