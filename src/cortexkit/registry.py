"""Names to callables: the one resolver behind every string option.

Activations, losses, initialisers and optimisers (and, later, SOM neighbourhoods and RNN
cells) are chosen by name, and a user-supplied callable works wherever a name does. A
:class:`Registry` holds one family's named entries and turns what the user gave into an
entry: a known name gives its entry, a callable is passed through (or wrapped by the
registry's adapter), anything else is refused with an error that lists the valid names.

Entries are named module-level functions, never lambdas or closures, so anything that holds
them (a fitted network, an estimator) pickles by plain ``pickle``, with no custom
``__reduce__``.

A new family adds its registry in a couple of lines:

>>> from cortexkit.registry import Registry
>>> def gaussian(d2, sigma):
...     return (-d2 / (2 * sigma**2)).exp()
>>> def bubble(d2, sigma):
...     return (d2 <= sigma**2).float()
>>> NEIGHBOURHOODS = Registry("neighbourhood", {"gaussian": gaussian, "bubble": bubble})
>>> NEIGHBOURHOODS.resolve("bubble") is bubble
True
>>> NEIGHBOURHOODS.resolve(min) is min  # a callable passes through
True
>>> NEIGHBOURHOODS.resolve("mexican_hat")
Traceback (most recent call last):
    ...
ValueError: neighbourhood must be one of ['bubble', 'gaussian'] or a callable; got 'mexican_hat'
>>> NEIGHBOURHOODS.resolve(2.0)
Traceback (most recent call last):
    ...
TypeError: neighbourhood must be a name from ['bubble', 'gaussian'] or a callable; got float
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar, cast

__all__ = ["Registry"]

E = TypeVar("E")


class Registry(Mapping[str, E], Generic[E]):
    """A read-only mapping of names to entries, with :meth:`resolve`.

    It iterates in the order the entries were given (so ``Options(registry)`` in a
    constraints table lists them in that order); error messages list the names sorted.

    Parameters
    ----------
    what : str
        The argument's name, as the error messages say it (``"activation"``).
    entries : mapping of str to entry
        The named entries: module-level functions, or frozen objects holding them.
    adapt : callable, optional
        Turns a user's callable into an entry (for instance, gives a plain activation
        function an autograd backward). Default: the callable is the entry.
    entry_type : type, optional
        Instances of this type are entries already and are returned unchanged.
    callable_text : str
        How the TypeError describes an acceptable callable.

    Examples
    --------
    An adapter gives a user's callable the interface the entries have: here the entries
    take a ``scale`` keyword, and a plain one-argument function is given one that it ignores.

    >>> from functools import partial
    >>> from cortexkit.registry import Registry
    >>> def ones(n, *, scale=1.0):
    ...     return [scale] * n
    >>> def call_without_scale(fn, n, *, scale=1.0):
    ...     return fn(n)
    >>> def adapt(fn):
    ...     return partial(call_without_scale, fn)
    >>> FILLS = Registry("fill", {"ones": ones}, adapt=adapt)
    >>> FILLS.resolve("ones")(2, scale=0.5), FILLS.resolve(list)("ab", scale=0.5)
    ([0.5, 0.5], ['a', 'b'])
    >>> list(FILLS), "ones" in FILLS, FILLS.names
    (['ones'], True, ['ones'])
    """

    def __init__(
        self,
        what: str,
        entries: Mapping[str, E],
        *,
        adapt: Callable[[Callable[..., Any]], E] | None = None,
        entry_type: type | None = None,
        callable_text: str = "a callable",
    ) -> None:
        self.what = what
        self._entries: Mapping[str, E] = MappingProxyType(dict(entries))
        self._adapt = adapt
        self._entry_type = entry_type
        self._callable_text = callable_text

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {list(self._entries)})"

    @property
    def names(self) -> list[str]:
        """The valid names, sorted (as the error messages list them)."""
        return sorted(self._entries)

    def resolve(self, value: object) -> E:
        """The entry for ``value``: a name, an entry, or a callable.

        Raises
        ------
        ValueError
            If ``value`` is a string that names no entry; the message lists the valid names.
        TypeError
            If ``value`` is neither a string, an entry nor callable.
        """
        if self._entry_type is not None and isinstance(value, self._entry_type):
            return cast(E, value)
        if isinstance(value, str):
            try:
                return self._entries[value]
            except KeyError:
                raise ValueError(
                    f"{self.what} must be one of {self.names} or a callable; got {value!r}"
                ) from None
        if callable(value):
            return self._adapt(value) if self._adapt is not None else cast(E, value)
        raise TypeError(
            f"{self.what} must be a name from {self.names} or {self._callable_text}; "
            f"got {type(value).__name__}"
        )
