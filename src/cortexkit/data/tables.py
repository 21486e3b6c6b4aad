"""Tables in, float32 matrices out: read a CSV, split off the target, encode the rest.

:func:`read_table` reads a CSV and turns number-like string columns (``"7,380,500"``)
into numbers; :func:`split_target` separates the target column; :class:`TableEncoder`
standardises numeric columns and one-hot encodes string columns, and saves its learned
state as plain JSON (:meth:`TableEncoder.to_state`) so it can live inside a model file.

Examples
--------
>>> import pandas as pd
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

import os
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from cortexkit.exceptions import ModelFileError, UnseenCategoryWarning

__all__ = ["TableEncoder", "read_table", "split_target"]

# A string column becomes numeric when every non-empty cell parses as a number. When at
# least this share parses but some cells do not, the column is taken to be numeric with
# stray text in it, which is an error rather than a silent switch to categories.
NUMERIC_SHARE = 0.9

# "7,380,500" or "-1,008.64": commas only between groups of exactly three digits.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")

NUMERIC = "numeric"
CATEGORICAL = "categorical"
_STATE_VERSION = 1
_MAX_SHOWN = 5  # values quoted in one error or warning message


# -- reading ------------------------------------------------------------------------------


def read_table(
    path: str | os.PathLike[str],
    *,
    drop: list[str] | str | None = None,
    only: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV of numeric and string columns.

    Column names lose surrounding whitespace. A string column whose every non-empty cell
    is a number, with or without thousands separators (``"7,380,500"``), becomes numeric.

    Parameters
    ----------
    path : str or path-like
        The CSV file; the first line holds the column names.
    drop : list of str, str or None, default=None
        Columns to leave out, as a list or one comma-separated string
        (``"RowNumber,CustomerId"``). Dropped columns are not parsed further.
    only : sequence of str or None, default=None
        Keep just these columns, where the file has them (a model's features and target
        at prediction time): the others are not parsed further, so a stray column cannot
        break a prediction. A column missing from the file is left for the caller to
        report.

    Returns
    -------
    pandas.DataFrame
        One row per data line, columns in file order less ``drop``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty or has no data rows, if ``drop`` names an unknown column,
        or if a column is numeric in at least 90% of its non-empty cells but holds some
        text (the message names the column, the row and the value).

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
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    try:
        df = pd.read_csv(path)
    except UnicodeDecodeError as err:
        raise ValueError(f"{path!r} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path!r} is empty: expected a header line and data rows") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{path!r} is not a well-formed CSV: {err}") from err
    if len(df) == 0:
        raise ValueError(f"{path!r} has a header but no data rows")

    df.columns = [str(name).strip() for name in df.columns]
    repeated = sorted({name for name in df.columns if list(df.columns).count(name) > 1})
    if repeated:
        raise ValueError(f"{path!r} repeats column names {repeated} (after stripping spaces)")

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
        df = df[[name for name in df.columns if name in wanted]]

    for name in df.columns:
        column = df[name]
        if not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            df[name] = _maybe_numeric(column, name)
    return df


def _drop_list(drop: list[str] | str | None) -> list[str]:
    if drop is None:
        return []
    if isinstance(drop, str):
        return [name.strip() for name in drop.split(",") if name.strip()]
    if not all(isinstance(name, str) for name in drop):
        raise TypeError(f"drop must be a list of column names or one string; got {drop!r}")
    return [name.strip() for name in drop]


def _maybe_numeric(column: pd.Series, name: str) -> pd.Series:
    """``column`` as numbers if its text is numbers; unchanged if it is mostly text."""
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
    if share >= NUMERIC_SHARE:
        row = bad.idxmax()
        shown = text[bad].unique()[:_MAX_SHOWN].tolist()
        raise ValueError(
            f"a string in a numeric column: column {name!r} is numbers in {share:.1%} of its "
            f"non-empty cells, but row {row} holds {text[row]!r} "
            f"({int(bad.sum())} such cells in all, e.g. {shown})"
        )
    return column


def split_target(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target column from the features.

    Parameters
    ----------
    df : pandas.DataFrame
        The table, target included.
    target : str
        The name of the column to predict.

    Returns
    -------
    X : pandas.DataFrame
        ``df`` without ``target``, other columns in their order.
    y : pandas.Series
        The target column, same index as ``X``.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        If ``target`` is not a column (the message lists the columns) or has missing
        values.

    Examples
    --------
    >>> import pandas as pd
    >>> X, y = split_target(pd.DataFrame({"a": [1, 2], "label": [0, 1]}), "label")
    >>> list(X.columns), y.tolist()
    (['a'], [0, 1])
    """
    _check_frame(df, "split_target")
    if target not in df.columns:
        raise ValueError(f"target {target!r} is not a column; available columns are {list(df)}")
    y = df[target]
    missing = int(y.isna().sum())
    if missing:
        raise ValueError(f"target {target!r} has {missing} missing values of {len(y)}")
    return df.drop(columns=[target]), y


def _check_frame(df: Any, where: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where} expects a pandas DataFrame; got {type(df).__name__}")


# -- encoding -----------------------------------------------------------------------------


def _kind_of(column: pd.Series, name: str) -> str:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return CATEGORICAL
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMERIC
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    ):
        return CATEGORICAL
    raise ValueError(
        f"column {name!r} has dtype {dtype}, which TableEncoder cannot encode; "
        "expected numbers, strings, categories or booleans"
    )


class TableEncoder(TransformerMixin, BaseEstimator):
    """Standardise numeric columns and one-hot encode the others, into one float32 matrix.

    Numeric columns (ints and floats) are centred on their training mean and divided by
    their training standard deviation (``ddof=0``; a constant column divides by 1).
    String, object, category and bool columns become one 0/1 column per category seen in
    ``fit``; categories are compared by their string form (``True`` and ``"True"`` are
    one category), so the learned state is plain JSON. Missing values are an error in
    every column: impute or drop them first.

    Output order: the numeric columns in the order they appear in the training frame,
    then one block per categorical column, in training-frame order, with that column's
    categories sorted. :meth:`get_feature_names_out` names them ``Age`` and
    ``Geography=France``.

    Attributes
    ----------
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The training columns, in order.
    n_features_in_ : int
        How many training columns.
    kinds_ : dict of str to str
        ``"numeric"`` or ``"categorical"`` for each training column.
    means_ : dict of str to float
        Training mean of each numeric column.
    stds_ : dict of str to float
        Training standard deviation of each numeric column, 1.0 where it was 0.
    categories_ : dict of str to list of str
        Sorted categories of each categorical column.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"Age": [30.0, 50.0], "Gender": ["Male", "Female"]})
    >>> encoder = TableEncoder().fit(train)
    >>> encoder.get_feature_names_out().tolist()
    ['Age', 'Gender=Female', 'Gender=Male']
    >>> encoder.transform(train)
    array([[-1.,  0.,  1.],
           [ 1.,  1.,  0.]], dtype=float32)
    >>> restored = TableEncoder.from_state(encoder.to_state())
    >>> (restored.transform(train) == encoder.transform(train)).all()
    np.True_
    """

    def __init__(self) -> None:
        pass

    def fit(self, X: pd.DataFrame, y: Any = None) -> TableEncoder:
        """Learn each column's kind, and its mean and std or its categories.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_features)
            Training table with at least one row and no missing values.
        y : ignored

        Returns
        -------
        self : TableEncoder
        """
        _check_frame(X, "TableEncoder.fit")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"TableEncoder.fit needs at least one row and column; got {X.shape}")
        names = [str(name) for name in X.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"TableEncoder.fit needs unique column names; got {names}")

        kinds: dict[str, str] = {}
        means: dict[str, float] = {}
        stds: dict[str, float] = {}
        categories: dict[str, list[str]] = {}
        for name, column in zip(names, (X[c] for c in X.columns), strict=True):
            _check_no_missing(column, name)
            kinds[name] = _kind_of(column, name)
            if kinds[name] == NUMERIC:
                values = column.to_numpy(dtype=np.float64)
                means[name] = float(values.mean())
                std = float(values.std())
                stds[name] = std if std > 0 else 1.0
            else:
                categories[name] = sorted(set(column.astype(str)))

        return self._set_fitted(names, kinds, means, stds, categories)

    def _set_fitted(
        self,
        names: list[str],
        kinds: dict[str, str],
        means: dict[str, float],
        stds: dict[str, float],
        categories: dict[str, list[str]],
    ) -> TableEncoder:
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.kinds_ = kinds
        self.means_ = means
        self.stds_ = stds
        self.categories_ = categories
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Encode ``X`` with what ``fit`` learned.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, any)
            Must hold every training column, by name; other columns are ignored.

        Returns
        -------
        ndarray of float32, shape (n_samples, n_features_out)
            Columns in the order of :meth:`get_feature_names_out`. A category not seen in
            ``fit`` is all zeros in its block, with one :class:`UnseenCategoryWarning` per
            column.
        """
        check_is_fitted(self, "kinds_")
        _check_frame(X, "TableEncoder.transform")
        missing = [name for name in self.kinds_ if name not in X.columns]
        if missing:
            raise ValueError(
                f"TableEncoder.transform: columns {missing} were in fit but are missing here; "
                f"got columns {[str(c) for c in X.columns]}"
            )

        blocks: list[np.ndarray] = []
        for name in self._numeric_columns():
            blocks.append(self._standardise(X[name], name))  # (n_samples, 1)
        for name, cats in self.categories_.items():
            blocks.append(self._one_hot(X[name], name, cats))  # (n_samples, len(cats))
        return np.hstack(blocks).astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: ``Age`` for numeric, ``Geography=France`` for one-hot.

        Returns
        -------
        ndarray of str, shape (n_features_out,)
        """
        check_is_fitted(self, "kinds_")
        names = list(self._numeric_columns())
        for name, cats in self.categories_.items():
            names.extend(f"{name}={cat}" for cat in cats)
        return np.asarray(names, dtype=object)

    def to_state(self) -> dict[str, Any]:
        """The learned state as a JSON-serialisable dict; see :meth:`from_state`."""
        check_is_fitted(self, "kinds_")
        return {
            "version": _STATE_VERSION,
            "columns": list(self.kinds_),
            "kinds": [self.kinds_[name] for name in self.kinds_],
            "means": dict(self.means_),
            "stds": dict(self.stds_),
            "categories": {name: list(cats) for name, cats in self.categories_.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TableEncoder:
        """A fitted encoder from :meth:`to_state`'s dict (after a JSON round trip too).

        Raises
        ------
        ModelFileError
            If ``state`` is not a state this version can read.
        """
        try:
            version = state["version"]
            columns = [str(name) for name in state["columns"]]
            kinds = dict(zip(columns, state["kinds"], strict=True))
            numeric = [name for name in columns if kinds[name] == NUMERIC]
            categorical = [name for name in columns if kinds[name] == CATEGORICAL]
            means = {name: float(state["means"][name]) for name in numeric}
            stds = {name: float(state["stds"][name]) for name in numeric}
            categories = {name: [str(c) for c in state["categories"][name]] for name in categorical}
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"not a TableEncoder state: {err!r}") from err
        if version != _STATE_VERSION:
            raise ModelFileError(f"TableEncoder state version {version!r}; expected 1")
        if set(kinds.values()) - {NUMERIC, CATEGORICAL}:
            raise ModelFileError(f"TableEncoder state has unknown column kinds: {kinds}")
        if not all(np.isfinite(v) for v in [*means.values(), *stds.values()]) or any(
            s <= 0 for s in stds.values()
        ):
            raise ModelFileError("TableEncoder state has non-finite means or non-positive stds")

        return cls()._set_fitted(list(columns), kinds, means, stds, categories)

    # -- helpers --------------------------------------------------------------------------

    def _numeric_columns(self) -> list[str]:
        return [name for name, kind in self.kinds_.items() if kind == NUMERIC]

    def _standardise(self, column: pd.Series, name: str) -> np.ndarray:
        _check_no_missing(column, name)
        if _kind_of(column, name) != NUMERIC:
            raise ValueError(
                f"column {name!r} was numeric in fit but has dtype {column.dtype} here"
            )
        values = column.to_numpy(dtype=np.float64)
        return ((values - self.means_[name]) / self.stds_[name])[:, None]

    def _one_hot(self, column: pd.Series, name: str, cats: list[str]) -> np.ndarray:
        _check_no_missing(column, name)
        text = column.astype(str).to_numpy(dtype=object)
        hot = text[:, None] == np.asarray(cats, dtype=object)[None, :]  # (n_samples, n_cats)
        unseen = ~hot.any(axis=1)
        if unseen.any():
            values = sorted(set(text[unseen]))
            warnings.warn(
                f"column {name!r} has {len(values)} value(s) not seen in fit, encoded as "
                f"all zeros: {values[:_MAX_SHOWN]}{' ...' if len(values) > _MAX_SHOWN else ''}",
                UnseenCategoryWarning,
                stacklevel=4,  # _one_hot <- transform <- set_output wrapper <- caller
            )
        return hot.astype(np.float64)


def _check_no_missing(column: pd.Series, name: str) -> None:
    missing = int(column.isna().sum())
    if missing:
        raise ValueError(
            f"column {name!r} has {missing} missing values of {len(column)}; "
            "TableEncoder needs complete data, so impute or drop them first"
        )
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        infinite = int(np.isinf(column.to_numpy(dtype=np.float64)).sum())
        if infinite:
            raise ValueError(
                f"column {name!r} has {infinite} infinite values of {len(column)}; "
                "TableEncoder needs finite numbers"
            )
