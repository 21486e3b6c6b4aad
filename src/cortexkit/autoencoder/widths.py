"""The autoencoder's default layer widths, which follow the input's width.

``hidden_layers="auto"`` (the default) becomes :func:`auto_widths` of the number of values
per row when ``fit`` sees the data: a hidden layer of half the input width and a code of a
quarter of it (the shares chosen on the anomaly suite, ``bench/_quality_anomaly.py``),
capped at :data:`~cortexkit.defaults.AUTOENCODER`'s ``hidden_layers`` (128 then 32 units),
the code at least 2 units and always narrower than the input, so that the network cannot
learn the identity.

Examples
--------
>>> auto_widths(5), auto_widths(30), auto_widths(64), auto_widths(784)
((3, 2), (15, 8), (32, 16), (128, 32))
>>> auto_widths(2), auto_widths(1)
((1,), (1,))
"""

from __future__ import annotations

from cortexkit.defaults import AUTOENCODER

__all__ = ["auto_widths"]


def auto_widths(n_inputs: int) -> tuple[int, ...]:
    """The default encoder widths (the last is the code) for ``n_inputs`` values per row:
    ``round(hidden_share * n)`` then ``round(code_share * n)`` units, capped at the default
    ``hidden_layers``, the code between 2 and ``n - 1`` (one layer of 1 unit for
    ``n <= 2``)."""
    n = int(n_inputs)
    cap_hidden, cap_code = AUTOENCODER.hidden_layers
    if n <= 2:
        return (1,)
    code = min(max(2, round(AUTOENCODER.code_share * n)), cap_code, n - 1)
    hidden = min(max(code + 1, round(AUTOENCODER.hidden_share * n)), cap_hidden)
    return (hidden, code)
