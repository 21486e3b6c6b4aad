"""Every docstring example in the package runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cortexkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(cortexkit.__path__, prefix="cortexkit."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


@pytest.mark.parametrize(
    "package", ["cortexkit", "cortexkit.nn", "cortexkit.train", "cortexkit.rnn",
                "cortexkit.data", "cortexkit.explain"],
)  # fmt: skip
def test_public_classes_have_examples(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, type) and not issubclass(obj, Exception):
            assert "Examples" in (obj.__doc__ or ""), f"{package}.{name} has no Examples section"
