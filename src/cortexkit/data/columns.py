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
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_count",
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
