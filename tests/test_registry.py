"""The one name-to-callable resolver, and the registries built on it."""

from __future__ import annotations

import dataclasses
import pickle
from functools import partial

import pytest

from cortexkit._validation import Options
from cortexkit.nn import ACTIVATIONS, INITIALIZERS, LOSSES
from cortexkit.registry import Registry
from cortexkit.train import OPTIMIZERS


def double(x: float) -> float:
    return 2 * x


def square(x: float) -> float:
    return x * x


def halved(fn, x: float) -> float:
    return fn(x) / 2


def _registry(**kwargs) -> Registry:
    return Registry("transform", {"square": square, "double": double}, **kwargs)


def test_a_name_gives_its_entry() -> None:
    assert _registry().resolve("square") is square
    assert _registry()["double"] is double


def test_an_unknown_name_lists_the_valid_names_sorted() -> None:
    with pytest.raises(ValueError) as info:
        _registry().resolve("cube")
    assert str(info.value) == (
        "transform must be one of ['double', 'square'] or a callable; got 'cube'"
    )


def test_a_callable_passes_through_unchanged() -> None:
    assert _registry().resolve(abs) is abs


def test_a_callable_goes_through_the_adapter() -> None:
    registry = _registry(adapt=lambda fn: partial(halved, fn))
    assert registry.resolve(square)(4.0) == 8.0
    assert registry.resolve("square") is square  # names are not adapted


def test_an_entry_object_is_returned_unchanged() -> None:
    @dataclasses.dataclass(frozen=True)
    class Entry:
        name: str

        def __call__(self) -> str:
            return self.name

    entry = Entry("mine")
    registry = Registry("entry", {"a": Entry("a")}, adapt=Entry, entry_type=Entry)
    assert registry.resolve(entry) is entry
    assert registry.resolve(len) == Entry(len)  # a plain callable is adapted


@pytest.mark.parametrize("value", [3, 2.5, None, b"square", ["square"]])
def test_a_non_callable_is_refused(value) -> None:
    with pytest.raises(TypeError) as info:
        _registry(callable_text="a callable taking one number").resolve(value)
    assert str(info.value) == (
        "transform must be a name from ['double', 'square'] or a callable taking one number; "
        f"got {type(value).__name__}"
    )


def test_it_is_a_read_only_mapping_in_the_given_order() -> None:
    registry = _registry()
    assert list(registry) == ["square", "double"] and len(registry) == 2
    assert "square" in registry and "cube" not in registry
    assert registry.names == ["double", "square"]
    assert registry.get("cube") is None
    with pytest.raises(TypeError):
        registry["cube"] = square  # type: ignore[index]
    assert "transform" in repr(registry)


@pytest.mark.parametrize("registry", [ACTIVATIONS, LOSSES, INITIALIZERS, OPTIMIZERS])
def test_every_registry_is_one_resolver_usable_in_constraints(registry) -> None:
    assert isinstance(registry, Registry)
    assert Options(registry).values == tuple(registry)
    assert all(Options(registry).accepts(name) for name in registry)


def _functions(entry: object) -> list[object]:
    if dataclasses.is_dataclass(entry):
        fields = [getattr(entry, f.name) for f in dataclasses.fields(entry)]
        return [f for f in fields if callable(f)]
    return [entry]


@pytest.mark.parametrize("registry", [ACTIVATIONS, LOSSES, INITIALIZERS, OPTIMIZERS])
def test_entries_hold_named_module_level_functions(registry) -> None:
    # No lambdas or closures: everything pickles by reference, with no custom pickling.
    for name, entry in registry.items():
        for fn in _functions(entry):
            qualname = getattr(fn, "__qualname__", "")
            assert "<lambda>" not in qualname and "<locals>" not in qualname, (name, qualname)
            assert pickle.loads(pickle.dumps(fn)) is fn, (name, qualname)
