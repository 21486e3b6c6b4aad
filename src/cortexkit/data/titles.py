"""Item titles: ``u.item`` (``|``), ``movies.dat`` (``::``) or a CSV whose first two
columns are the identifier and the title (``movies.csv``), by the identifiers the ratings
readers use (:mod:`cortexkit.data.ratings`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from cortexkit.data.ratings import _ids, _is_number
from cortexkit.io.files import check_readable_file

__all__ = ["read_titles"]


def _text(source: str | os.PathLike[str] | IO[str], what: str) -> tuple[str, str]:
    """The file's text (latin-1 when not UTF-8, as the older MovieLens files are) and its name."""
    if hasattr(source, "read"):
        return source.read(), getattr(source, "name", "<stream>")  # type: ignore[union-attr]
    path = os.fspath(source)  # type: ignore[arg-type]
    check_readable_file(path, what)
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8"), path
    except UnicodeDecodeError:
        return raw.decode("latin-1"), path


def read_titles(source: str | os.PathLike[str] | IO[str]) -> dict[Any, str]:
    """Item titles by identifier, from ``u.item`` (``|``), ``movies.dat`` (``::``) or a CSV
    file whose first two columns are the identifier and the title (``movies.csv``).

    Examples
    --------
    >>> import io
    >>> read_titles(io.StringIO("1|Toy Story (1995)|01-Jan-1995||0|0\\n"))
    {1: 'Toy Story (1995)'}
    """
    text, shown = _text(source, "an item file (u.item, movies.dat or movies.csv)")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"item file {shown!r} is empty")
    if "::" in lines[0]:
        rows = [line.split("::")[:2] for line in lines]
    elif "|" in lines[0]:
        rows = [line.split("|")[:2] for line in lines]
    else:
        import csv

        rows = [r[:2] for r in csv.reader(lines)]
        if rows and not _is_number(rows[0][0]):
            rows = rows[1:]  # a header line
    if any(len(r) < 2 for r in rows):
        raise ValueError(f"item file {shown!r}: expected an identifier and a title on each line")
    rows = [[r[0].strip(), r[1]] for r in rows if r[0].strip() and r[1].strip()]
    if not rows:
        raise ValueError(
            f"item file {shown!r} has no line with both an identifier and a title: expected "
            "u.item (id|title|...), movies.dat (id::title::...) or movies.csv (id,title,...)"
        )
    ids = _ids(pd.Series([r[0] for r in rows]))
    return {
        k.item() if isinstance(k, np.generic) else k: r[1].strip()
        for k, r in zip(ids, rows, strict=True)
    }
