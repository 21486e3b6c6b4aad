"""Shared parts of ``bench/quality.py``: the half a data set belongs to, and the tables.

Every suite chooses its defaults on one half of its data sets and reports on the other.
The half is a property of the data set's name alone (a hash), so adding a data set never
moves another one from one half to the other, and the order of a list changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

CHOOSE = "choose"
REPORT = "report"
HALVES = (CHOOSE, REPORT)


def half_of(name: str) -> str:
    """``"choose"`` or ``"report"``: the half the data set ``name`` belongs to, for good."""
    return CHOOSE if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else REPORT


def in_half(names: Iterable[str], half: str) -> list[str]:
    """The names in ``half`` (``"choose"``, ``"report"`` or ``"all"``), in their order."""
    if half not in (*HALVES, "all"):
        raise ValueError(f"half must be 'choose', 'report' or 'all', got {half!r}")
    return [name for name in names if half == "all" or half_of(name) == half]


def markdown_table(rows: Sequence[dict[str, object]], digits: int = 3) -> str:
    """A markdown table of ``rows`` (dicts with the same keys); floats to ``digits`` places."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(value: object) -> str:
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
