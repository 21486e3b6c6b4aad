"""Tables in, float32 matrices out: read a CSV, split off the target, encode the rest.

:func:`read_table` reads a CSV and turns number-like string columns (``"7,380,500"``)
into numbers; :func:`~cortexkit.data.frames.split_target` separates the target column
(:mod:`cortexkit.data.frames`); :class:`~cortexkit.data.encoder.TableEncoder` standardises
numeric columns and one-hot encodes string columns.

Examples
--------
>>> import pandas as pd
>>> from cortexkit.data import TableEncoder, split_target
>>> df = pd.DataFrame({"Age": [30, 40, 50], "Geography": ["Spain", "France", "Spain"],
...                    "Exited": [0, 1, 0]})
>>> X, y = split_target(df, "Exited")
>>> encoder = TableEncoder().fit(X)
>>> encoder.get_feature_names_out().tolist()
['Age', 'Geography=France', 'Geography=Spain']
>>> encoder.transform(X).shape
(3, 3)
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cortexkit.data.encoder import COLUMN_TYPES, NUMBER, TEXT
from cortexkit.io.files import check_readable_file

__all__ = ["read_table"]

# A string column becomes numeric when every non-empty cell parses as a number. When at
# least this share parses but some cells do not, the column is taken to be numeric with
# stray text in it, which is an error rather than a silent switch to categories.
NUMERIC_SHARE = 0.9

# "7,380,500" or "-1,008.64": commas only between groups of exactly three digits.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")

_MAX_SHOWN = 5  # values quoted in one error or warning message


# -- reading ------------------------------------------------------------------------------


def read_table(
    path: str | os.PathLike[str],
    *,
    drop: list[str] | str | None = None,
    only: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a CSV of numeric and string columns.

    Column names lose surrounding whitespace, and must then be unique. A string column
    whose every non-empty cell is a number, with or without thousands separators
    (``"7,380,500"``), becomes numeric, unless ``column_types`` says otherwise.

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8, comma-separated); the first line holds the column names.
    drop : list of str, str or None, default=None
        Columns to leave out, as a list or one comma-separated string
        (``"RowNumber,CustomerId"``). Dropped columns are not parsed further.
    only : sequence of str or None, default=None
        Keep just these columns, where the file has them (a model's features and target
        at prediction time): the others are not parsed further, so a stray column cannot
        break a prediction. A column missing from the file is left for the caller to
        report.
    column_types : mapping of str to str, or None, default=None
        How to read named columns, instead of guessing from this file's cells:
        ``"text"`` keeps every cell as written (``"01"`` stays ``"01"``), ``"number"``
        requires numbers (thousands separators allowed), ``"bool"`` reads ``True`` and
        ``False`` as booleans. Pass a fitted encoder's
        :attr:`~cortexkit.data.TableEncoder.column_types_` to read new rows as the
        training rows were read. Columns not named here are guessed.

    Returns
    -------
    pandas.DataFrame
        One row per data line, columns in file order less ``drop``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty, not UTF-8 or has no data rows; if the header repeats a
        column name (pandas would silently rename the second ``y`` to ``y.1``); if
        ``drop`` names an unknown column; if a column is numeric in at least 90% of its
        non-empty cells but holds some text, or holds text where ``column_types`` says
        ``"number"`` (the message names the column, the row and the value).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "prices.csv"
    >>> _ = path.write_text('day, price ,volume\\n1,10.5,"1,200"\\n2,11.0,"3,400"\\n')
    >>> table = read_table(path, drop="day")
    >>> table
       price  volume
    0   10.5    1200
    1   11.0    3400
    >>> table["volume"].dtype
    dtype('int64')
    >>> read_table(path, column_types={"day": "text"})["day"].tolist()
    ['1', '2']
    """
    path = os.fspath(path)
    check_readable_file(path, "a CSV table")
    _check_not_idx(path)
    types = _check_column_types(column_types)
    raw = _header(path)
    header = [name.strip() for name in raw]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{path!r} repeats the column names {repeated} in its header (after stripping "
            "spaces); give each column its own name"
        )
    as_text = {r: str for r, name in zip(raw, header, strict=True) if types.get(name) == TEXT}
    try:  # a gzipped CSV is read as it is, whatever its name
        df = pd.read_csv(path, dtype=as_text, compression="gzip" if _gzipped(path) else None)
    except UnicodeDecodeError as err:
        raise _not_text(path, err) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{path!r} is a damaged gzip file ({err})") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path!r} is empty: expected a header line and data rows") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{path!r} is not a well-formed CSV: {err}") from err
    if len(df) == 0:
        raise ValueError(f"{path!r} has a header but no data rows")
    df.columns = [str(name).strip() for name in df.columns]
    df = _unnamed_columns(df, header, path)
    if len(df.columns) == 1:
        only_name = str(df.columns[0])
        for sep, what in (("\t", "tabs"), (";", "semicolons"), ("|", "bars")):
            if sep in only_name:
                raise ValueError(
                    f"{path!r} reads as one column {only_name[:60]!r}: cortexkit reads "
                    f"comma-separated files, and this one looks separated by {what}; save "
                    "it with commas (pandas: df.to_csv(path, index=False))"
                )

    to_drop = _drop_list(drop)
    unknown = [name for name in to_drop if name not in df.columns]
    if unknown:
        raise ValueError(
            f"cannot drop {unknown}: no such column in {path!r}; "
            f"available columns are {list(df.columns)}"
        )
    df = df.drop(columns=to_drop)
    if only is not None:
        wanted = set(only)
        in_file = [str(name) for name in df.columns]
        df = df[[name for name in df.columns if name in wanted]]
        df.attrs["columns_in_file"] = in_file  # for a message about the ones not kept

    for name in df.columns:
        column = df[name]
        if types.get(name) == NUMBER:
            df[name] = _maybe_numeric(column, name, required=True)
        elif types.get(name) is None and not (
            pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        ):
            df[name] = _maybe_numeric(column, name)
    return df


def _unnamed_columns(df: pd.DataFrame, header: list[str], path: str) -> pd.DataFrame:
    """Drop the columns with no name in the header that hold nothing (a trailing comma on
    every line); refuse an unnamed column that holds data, saying where it is."""
    for position, name in enumerate(header):
        if name or position >= len(df.columns):
            continue
        column = df.iloc[:, position]
        if column.notna().any():
            raise ValueError(
                f"column {position + 1} of {path!r} has no name in the header but holds "
                "data; name it"
            )
    keep = [i for i, name in enumerate(header) if name or i >= len(df.columns)]
    return df.iloc[:, keep] if len(keep) < len(df.columns) else df


def _not_text(path: str, err: UnicodeDecodeError) -> ValueError:
    """The error for a file that is not UTF-8 text, naming what it is when that is plain: a
    gzip archive or an IDX array (MNIST's images and labels) is not a table."""
    kind = "; it is a gzip archive of something else than a CSV table" if _gzipped(path) else ""
    return ValueError(f"{path!r} is not UTF-8 text ({err.reason} at byte {err.start}){kind}")


def _check_not_idx(path: str) -> None:
    """Refuse an IDX array (MNIST's images or labels, gzipped or not): its bytes can pass
    for text (labels 0-9 are control characters)."""
    packed = _gzipped(path)
    try:
        with (gzip.open if packed else open)(path, "rb") as file:
            start = file.read(4)
    except (OSError, EOFError, zlib.error):
        return  # a damaged gzip file: reading it says so
    if len(start) == 4 and start[:2] == b"\0\0" and start[2] in (8, 9, 11, 12, 13, 14):
        what = "a gzipped IDX array" if packed else "an IDX array"
        raise ValueError(
            f"{path!r} is {what} (images or labels), not a CSV table: image families "
            "(train cnn, rbm) take it"
        )


def _gzipped(path: str) -> bool:
    """Whether the file starts with gzip's magic number (``table.csv.gz``, say)."""
    with open(path, "rb") as file:
        return file.read(2) == b"\x1f\x8b"


def _header(path: str) -> list[str]:
    """The column names as the file writes them, before pandas renames repeats.

    Read as pandas reads the file: UTF-8 (a byte-order mark is ignored), commas, double
    quotes, blank lines before the header skipped.
    """
    try:
        opener: Any = gzip.open if _gzipped(path) else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
            for row in csv.reader(file):
                if len(row) > 1 or (row and row[0].strip()):
                    return row
    except UnicodeDecodeError as err:
        raise _not_text(path, err) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{path!r} is a damaged gzip file ({err})") from None
    except csv.Error as err:
        raise ValueError(f"{path!r} is not a well-formed CSV: {err}") from err
    raise ValueError(f"{path!r} is empty: expected a header line and data rows")


def _check_column_types(column_types: Mapping[str, str] | None) -> dict[str, str]:
    if column_types is None:
        return {}
    if not isinstance(column_types, Mapping):
        raise TypeError(
            f"column_types must map column names to {list(COLUMN_TYPES)}; got {column_types!r}"
        )
    bad = {name: kind for name, kind in column_types.items() if kind not in COLUMN_TYPES}
    if bad:
        raise ValueError(f"column_types must be one of {list(COLUMN_TYPES)}; got {bad}")
    return {str(name).strip(): kind for name, kind in column_types.items()}


def _drop_list(drop: list[str] | str | None) -> list[str]:
    if drop is None:
        return []
    if isinstance(drop, str):
        return [name.strip() for name in drop.split(",") if name.strip()]
    if not all(isinstance(name, str) for name in drop):
        raise TypeError(f"drop must be a list of column names or one string; got {drop!r}")
    return [name.strip() for name in drop]


def _maybe_numeric(column: pd.Series, name: str, *, required: bool = False) -> pd.Series:
    """``column`` as numbers if its text is numbers; unchanged if it is mostly text.

    ``required``: the column must be numbers (it was at training time), so any text is an
    error."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column
    text = column[column.notna()].astype(str).str.strip()
    text = text[text != ""]
    if len(text) == 0:
        return column
    grouped = text.str.fullmatch(_THOUSANDS)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna()
    if not bad.any():
        # Blank cells become NaN; the column stays int64 when nothing is missing.
        return pd.to_numeric(cleaned.astype(object).reindex(column.index))
    share = 1.0 - bad.mean()
    if required:
        row = bad.idxmax()
        raise ValueError(
            f"column {name!r} held numbers in training, but data row {row + 1} holds {text[row]!r} "
            f"({int(bad.sum())} such cells in all, e.g. {text[bad].unique()[:_MAX_SHOWN].tolist()})"
        )
    if share >= NUMERIC_SHARE:
        row = bad.idxmax()
        shown = text[bad].unique()[:_MAX_SHOWN].tolist()
        raise ValueError(
            f"a string in a numeric column: column {name!r} is numbers in {share:.1%} of its "
            f"non-empty cells, but data row {row + 1} holds {text[row]!r} "
            f"({int(bad.sum())} such cells in all, e.g. {shown})"
        )
    return column
