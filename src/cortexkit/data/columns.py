"""Checks on a table's columns that the readers, the encoder and the command line share.

Examples
--------
>>> import pandas as pd
>>> check_no_missing(pd.Series([1.0, None]), "age")
Traceback (most recent call last):
...
ValueError: column 'age' has 1 missing value of 2; the model needs complete data...
"""

from __future__ import annotations

import re
import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_constant_columns",
    "check_count",
    "check_enough_rows",
    "check_frame",
    "check_max_categories",
    "check_no_missing",
    "numeric_identifier",
]

# A text column with more than this many distinct values and fewer than
# ROWS_PER_VALUE rows per value on average looks like an identifier (names, IDs).
IDENTIFIER_VALUES = 50
ROWS_PER_VALUE = 5
# A numeric column named like an identifier ("CustomerID", "user_id", "RowNumber") whose
# integers are all distinct is one too: a feature of pure noise, or a leak of the row order.
_ID_NAME = re.compile(
    r"^(?i:ids?)$|[a-z0-9](?:ID|Id)s?$|(?i:[_\- ]id)$|^(?i:id[_\- ])"  # id, CustomerID, user_id
    r"|[a-z](?:Number|No)$|(?i:_(?:number|no))$"  # RowNumber, item_no
)


def check_frame(df: Any, where: str) -> None:
    """Raise TypeError unless ``df`` is a pandas DataFrame."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where} expects a pandas DataFrame; got {type(df).__name__}")


def check_enough_rows(df: Any, where: str) -> None:
    """Refuse a training table of fewer than 2 rows, before any work: one row cannot be
    told from noise, nor scaled."""
    if len(df) < 2:
        raise ValueError(
            f"{where} has {len(df)} data row{'' if len(df) == 1 else 's'}: training needs at "
            "least 2"
        )


def check_constant_columns(X: Any, where: str, *, warn: bool = True) -> None:
    """Refuse a training table (a DataFrame, or a matrix whose columns are counted from 1)
    whose every feature column holds one value in every row; warn, naming them, when some
    do (unless not ``warn``: an image's blank border pixels are no news).

    Examples
    --------
    >>> check_constant_columns(pd.DataFrame({"a": [1, 1], "b": [2, 2]}), "'t.csv'")
    Traceback (most recent call last):
    ...
    ValueError: every feature column of 't.csv' holds one value in every row (['a', 'b'])...
    """
    if len(X) < 2 or X.shape[1] == 0:
        return
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        same = [X[c].nunique(dropna=False) <= 1 for c in X.columns]
    else:
        names = [f"column {j + 1}" for j in range(X.shape[1])]
        same = (np.asarray(X[0]) == np.asarray(X)).all(axis=0).tolist()
    constant = [n for n, s in zip(names, same, strict=True) if s]
    shown = constant[:10] + (["..."] if len(constant) > 10 else [])
    if len(constant) == len(names):
        raise ValueError(
            f"every feature column of {where} holds one value in every row ({shown}): "
            "there is nothing to learn from; check the file (and --drop, --target)"
        )
    if constant and warn:
        warnings.warn(
            f"{where}: {len(constant)} feature column(s) hold one value in every row and "
            f"carry nothing to learn: {shown} (--drop them)",
            UserWarning,
            stacklevel=2,
        )


def check_no_missing(column: pd.Series, name: str) -> None:
    """Raise ValueError, naming ``name``, if ``column`` has missing or infinite values."""
    missing = int(column.isna().sum())
    if missing:
        raise ValueError(
            f"column {name!r} has {missing} missing "
            f"value{'' if missing == 1 else 's'} of {len(column)}; the model needs complete "
            "data: fill them in, or drop the column"
        )
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        infinite = int(np.isinf(column.to_numpy(dtype=np.float64)).sum())
        if infinite:
            raise ValueError(
                f"column {name!r} has {infinite} infinite values of {len(column)}; the "
                "network needs finite numbers"
            )


def numeric_identifier(name: str, column: pd.Series) -> bool:
    """Whether a numeric column is named like an identifier and holds distinct integers."""
    return (
        len(column) > IDENTIFIER_VALUES
        and pd.api.types.is_integer_dtype(column)
        and _ID_NAME.search(str(name)) is not None
        and column.is_unique
    )


def check_max_categories(value: Any) -> int | None:
    """``max_categories`` checked: an int >= 2, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 2:
        raise ValueError(f"max_categories must be an integer >= 2 or None; got {value!r}")
    return int(value)


def check_count(value: Any) -> int:
    """A count read from a saved state: an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"expected a count, got {value!r}")
    return int(value)
