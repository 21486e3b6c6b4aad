"""TableEncoder: a table of numbers and text in, one bounded float32 matrix out.

Numeric columns are standardised; text columns are one-hot encoded, with at most
``max_categories`` columns each (the rarest values share one ``<other>`` column). The
encoded size is checked against the memory available before anything is allocated, and
the learned state is plain JSON (:meth:`TableEncoder.to_state`), so it can live inside a
model file, together with how each column must be read back (:attr:`column_types_`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from cortexkit._validation import FLOAT32_MAX
from cortexkit.data.columns import (
    IDENTIFIER_VALUES,
    ROWS_PER_VALUE,
    check_count,
    check_frame,
    check_max_categories,
    check_no_missing,
    numeric_identifier,
)
from cortexkit.defaults import MAX_CATEGORIES
from cortexkit.exceptions import (
    IdentifierColumnWarning,
    ModelFileError,
    TableTooLargeError,
    UnseenCategoryWarning,
)
from cortexkit.io.memory import available_memory, format_bytes

__all__ = ["DEFAULT_MAX_CATEGORIES", "OTHER", "TableEncoder"]

NUMERIC = "numeric"
CATEGORICAL = "categorical"
# How a column is read back from a CSV at prediction time (see read_table's column_types).
NUMBER, BOOL, TEXT = "number", "bool", "text"
COLUMN_TYPES = (NUMBER, BOOL, TEXT)

# One-hot columns per text column, "<other>" included (cortexkit.defaults, shared with the
# CLI). A value seen in only a handful of rows gives the network nothing to learn from, yet
# costs a full column: 50 keeps every everyday category (continents, months, product
# lines, most country lists in practice) and bounds a table of c text columns to 50 * c
# encoded columns (1M rows, 10 text columns: 2 GB of float32, where a column of surnames
# alone would ask for tens of GB).
DEFAULT_MAX_CATEGORIES = MAX_CATEGORIES
OTHER = "<other>"  # the name of the shared column in get_feature_names_out: "Surname=<other>"

_FLOAT32_BYTES = 4
_STATE_VERSION = 2
_MAX_SHOWN = 5  # values quoted in one error or warning message


class TableEncoder(TransformerMixin, BaseEstimator):
    """Standardise numeric columns and one-hot encode the others, into one float32 matrix.

    Numeric columns (ints and floats) are centred on their training mean and divided by
    their training standard deviation (``ddof=0``; a constant column divides by 1).
    String, object, category and bool columns become one 0/1 column per category seen in
    ``fit``; categories are compared by their string form (``True`` and ``"True"`` are
    one category), so the learned state is plain JSON. Missing values are an error in
    every column: impute or drop them first.

    A column with more than ``max_categories`` distinct values keeps its
    ``max_categories - 1`` most frequent ones (ties broken by the value) and puts the
    rest in one shared ``<other>`` column, and ``fit`` warns naming the column (unless it
    is warned about as an identifier, below). At transform time a value that ``fit`` never
    saw goes to ``<other>`` in such a column, silently, since the network learned what
    ``<other>`` means; in a column without ``<other>`` it is all zeros, with one
    :class:`~cortexkit.exceptions.UnseenCategoryWarning` per column.

    ``fit`` warns (:class:`~cortexkit.exceptions.IdentifierColumnWarning`) about text
    columns that look like identifiers: more than 50 distinct values and fewer than 5
    rows per value on average (surnames, customer IDs); and about integer columns named
    like one (``CustomerID``, ``user_id``, ``RowNumber``) whose values are all distinct.
    ``transform`` refuses, with :class:`~cortexkit.exceptions.TableTooLargeError`, a
    matrix larger than the memory available, naming the widest columns, before
    allocating it.

    Output order: the numeric columns in the order they appear in the training frame,
    then one block per categorical column, in training-frame order, with that column's
    categories sorted and ``<other>`` last. :meth:`get_feature_names_out` names them
    ``Age``, ``Geography=France`` and ``Surname=<other>``.

    Parameters
    ----------
    max_categories : int >= 2 or None, default=50
        One-hot columns per text column, ``<other>`` included; ``None`` keeps every
        category.

    Attributes
    ----------
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The training columns, in order.
    n_features_in_ : int
        How many training columns.
    kinds_ : dict of str to str
        ``"numeric"`` or ``"categorical"`` for each training column.
    column_types_ : dict of str to str
        How to read each training column back from a CSV: ``"number"``, ``"bool"`` or
        ``"text"`` (``read_table(..., column_types=encoder.column_types_)``), so that
        codes such as ``"01"`` stay text at prediction time.
    means_ : dict of str to float
        Training mean of each numeric column.
    stds_ : dict of str to float
        Training standard deviation of each numeric column, 1.0 where it was 0.
    categories_ : dict of str to list of str
        Sorted categories kept for each categorical column (``<other>`` not included).
    n_other_ : dict of str to int
        For each categorical column, how many distinct training values went to
        ``<other>``; 0 means the column has no ``<other>`` column.

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
    >>> city = pd.DataFrame({"city": ["Oslo", "Oslo", "Rome", "Rome", "Pisa", "Bern"]})
    >>> with warnings.catch_warnings(record=True) as caught:  # "'city' (4 values; ...)"
    ...     capped = TableEncoder(max_categories=3).fit(city)
    >>> capped.get_feature_names_out().tolist()
    ['city=Oslo', 'city=Rome', 'city=<other>']
    >>> capped.transform(pd.DataFrame({"city": ["Rome", "Pisa", "Lima"]}))
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 1.]], dtype=float32)
    """

    def __init__(self, *, max_categories: int | None = DEFAULT_MAX_CATEGORIES) -> None:
        self.max_categories = max_categories

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
        cap = check_max_categories(self.max_categories)
        check_frame(X, "TableEncoder.fit")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"TableEncoder.fit needs at least one row and column; got {X.shape}")
        names = [str(name) for name in X.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"TableEncoder.fit needs unique column names; got {names}")

        kinds: dict[str, str] = {}
        types: dict[str, str] = {}
        means: dict[str, float] = {}
        stds: dict[str, float] = {}
        categories: dict[str, list[str]] = {}
        n_other: dict[str, int] = {}
        identifiers: list[str] = []
        folded: list[str] = []
        for name, column in zip(names, (X[c] for c in X.columns), strict=True):
            check_no_missing(column, name)
            kinds[name] = _kind_of(column, name)
            if kinds[name] == NUMERIC:
                types[name] = NUMBER
                values = column.to_numpy(dtype=np.float64)
                with np.errstate(over="ignore", invalid="ignore"):
                    means[name] = float(values.mean())
                    std = float(values.std())
                if not (np.isfinite(means[name]) and np.isfinite(std)):
                    big = float(np.abs(values).max())
                    raise ValueError(
                        f"column {name!r} holds values too large to standardise (up to "
                        f"{big:.3g}): their spread overflows; rescale the column or --drop it"
                    )
                stds[name] = std if std > 0 else 1.0
                if numeric_identifier(name, column):
                    identifiers.append(f"{name!r} ({len(column)} distinct integers)")
                continue
            types[name] = BOOL if pd.api.types.is_bool_dtype(column) else TEXT
            counts = column.astype(str).value_counts(sort=False)
            identifier = len(counts) > IDENTIFIER_VALUES and len(column) < ROWS_PER_VALUE * len(
                counts
            )
            if identifier:
                identifiers.append(f"{name!r} ({len(counts)} values in {len(column)} rows)")
            if cap is not None and len(counts) > cap:
                # The cap - 1 most frequent values; ties go to the smaller value.
                ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                categories[name] = sorted(value for value, _ in ranked[: cap - 1])
                n_other[name] = len(counts) - (cap - 1)
                if not identifier:  # an identifier's warning says more
                    folded.append(f"{name!r} ({len(counts)} values; {n_other[name]} share <other>)")
            else:
                categories[name] = sorted(counts.index)
                n_other[name] = 0
        if identifiers:
            warnings.warn(
                f"column(s) {', '.join(identifiers)} look like identifiers: most of their "
                "values are too rare to learn from; consider dropping them "
                "(--drop on the command line; read_table(drop=...) in Python)",
                IdentifierColumnWarning,
                stacklevel=2,
            )
        if folded and cap is not None:
            warnings.warn(
                f"column(s) {', '.join(folded)} have more than max_categories={cap} values: "
                f"the {cap - 1} most frequent are kept and the rarest fold into one <other> "
                "column; raise max_categories (--max-categories) to keep them apart, or drop "
                "the column (--drop)",
                UserWarning,
                stacklevel=2,
            )
        return self._set_fitted(names, kinds, types, means, stds, categories, n_other)

    def _set_fitted(
        self,
        names: list[str],
        kinds: dict[str, str],
        types: dict[str, str],
        means: dict[str, float],
        stds: dict[str, float],
        categories: dict[str, list[str]],
        n_other: dict[str, int],
    ) -> TableEncoder:
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.kinds_ = kinds
        self.column_types_ = types
        self.means_ = means
        self.stds_ = stds
        self.categories_ = categories
        self.n_other_ = n_other
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
            Columns in the order of :meth:`get_feature_names_out`.

        Raises
        ------
        TableTooLargeError
            If the matrix would not fit in the memory available now; nothing is
            allocated, and the message names the widest columns.
        """
        check_is_fitted(self, "kinds_")
        check_frame(X, "TableEncoder.transform")
        missing = [name for name in self.kinds_ if name not in X.columns]
        if missing:
            raise ValueError(
                f"columns {missing} were in the training data but are missing here; "
                f"got columns {X.attrs.get('columns_in_file') or [str(c) for c in X.columns]}"
            )
        widths = self._widths()
        self._check_memory(len(X), widths)

        out = np.empty((len(X), sum(widths.values())), dtype=np.float32)  # (n_samples, n_out)
        start = 0
        for name in self._numeric_columns():
            out[:, start] = self._standardise(X[name], name)
            start += 1
        for name, cats in self.categories_.items():
            block = out[:, start : start + widths[name]]  # a view: (n_samples, width)
            self._one_hot(X[name], name, cats, block)
            start += widths[name]
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: ``Age``, ``Geography=France``, ``Surname=<other>``.

        Returns
        -------
        ndarray of str, shape (n_features_out,)
        """
        check_is_fitted(self, "kinds_")
        names = list(self._numeric_columns())
        for name, cats in self.categories_.items():
            names.extend(f"{name}={cat}" for cat in cats)
            if self.n_other_[name]:
                names.append(f"{name}={OTHER}")
        return np.asarray(names, dtype=object)

    def to_state(self) -> dict[str, Any]:
        """The learned state as a JSON-serialisable dict; see :meth:`from_state`."""
        check_is_fitted(self, "kinds_")
        return {
            "version": _STATE_VERSION,
            "max_categories": self.max_categories,
            "columns": list(self.kinds_),
            "kinds": [self.kinds_[name] for name in self.kinds_],
            "column_types": dict(self.column_types_),
            "means": dict(self.means_),
            "stds": dict(self.stds_),
            "categories": {name: list(cats) for name, cats in self.categories_.items()},
            "n_other": dict(self.n_other_),
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
            if version != _STATE_VERSION:
                raise ModelFileError(
                    f"TableEncoder state version {version!r}; this cortexkit reads version "
                    f"{_STATE_VERSION} only: train the model again"
                )
            columns = [str(name) for name in state["columns"]]
            kinds = dict(zip(columns, state["kinds"], strict=True))
            numeric = [name for name in columns if kinds[name] == NUMERIC]
            categorical = [name for name in columns if kinds[name] == CATEGORICAL]
            means = {name: float(state["means"][name]) for name in numeric}
            stds = {name: float(state["stds"][name]) for name in numeric}
            categories = {name: [str(c) for c in state["categories"][name]] for name in categorical}
            cap = state["max_categories"]
            n_other = {name: check_count(state["n_other"][name]) for name in categorical}
            types = {name: str(state["column_types"][name]) for name in columns}
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, ModelFileError):
                raise
            raise ModelFileError(f"not a TableEncoder state: {err!r}") from err
        if set(kinds.values()) - {NUMERIC, CATEGORICAL}:
            raise ModelFileError(f"TableEncoder state has unknown column kinds: {kinds}")
        if any((types[name] == NUMBER) != (kinds[name] == NUMERIC) for name in columns) or set(
            types.values()
        ) - set(COLUMN_TYPES):
            raise ModelFileError(f"TableEncoder state has inconsistent column types: {types}")
        if not all(np.isfinite(v) for v in [*means.values(), *stds.values()]) or any(
            s <= 0 for s in stds.values()
        ):
            raise ModelFileError("TableEncoder state has non-finite means or non-positive stds")
        try:
            encoder = cls(max_categories=check_max_categories(cap))
        except (TypeError, ValueError) as err:
            raise ModelFileError(f"TableEncoder state: {err}") from err
        return encoder._set_fitted(columns, kinds, types, means, stds, categories, n_other)

    # -- helpers --------------------------------------------------------------------------

    def _numeric_columns(self) -> list[str]:
        return [name for name, kind in self.kinds_.items() if kind == NUMERIC]

    def _widths(self) -> dict[str, int]:
        """Output columns per input column, in output order."""
        widths = dict.fromkeys(self._numeric_columns(), 1)
        for name, cats in self.categories_.items():
            widths[name] = len(cats) + (1 if self.n_other_[name] else 0)
        return widths

    def _check_memory(self, n_rows: int, widths: dict[str, int]) -> None:
        needed = n_rows * sum(widths.values()) * _FLOAT32_BYTES
        available = available_memory()
        if available is None or needed <= available:
            return
        widest = sorted(widths.items(), key=lambda item: -item[1])[:3]
        shown = ", ".join(f"{name!r} ({width} columns)" for name, width in widest)
        raise TableTooLargeError(
            f"encoding {n_rows:,} rows x {sum(widths.values()):,} features as float32 needs "
            f"{format_bytes(needed)}, but only {format_bytes(available)} of memory is "
            f"available; the widest columns are {shown}: drop them or lower max_categories "
            "(--max-categories)"
        )

    def _standardise(self, column: pd.Series, name: str) -> np.ndarray:
        check_no_missing(column, name)
        if _kind_of(column, name) != NUMERIC:
            raise ValueError(
                f"column {name!r} was numeric in fit but has dtype {column.dtype} here"
            )
        values = column.to_numpy(dtype=np.float64)
        scaled = (values - self.means_[name]) / self.stds_[name]  # (n_samples,)
        too_big = ~(np.abs(scaled) <= FLOAT32_MAX)  # inf after the float32 cast, or NaN
        if too_big.any():
            row = int(np.argmax(too_big))
            raise ValueError(
                f"column {name!r} holds a value too large for the model ({values[row]:.3g} "
                f"in data row {row + 1}; training saw mean {self.means_[name]:.3g}, std "
                f"{self.stds_[name]:.3g})"
            )
        return scaled

    def _one_hot(self, column: pd.Series, name: str, cats: list[str], block: np.ndarray) -> None:
        """Fill ``block`` (n_samples, width) with the one-hot codes of ``column``."""
        check_no_missing(column, name)
        text = column.astype(str)
        codes = pd.Index(cats).get_indexer(text).astype(np.int64)  # (n_samples,), -1: not kept
        block[:] = 0.0
        unseen = codes < 0
        if self.n_other_[name]:
            codes[unseen] = len(cats)  # the <other> column
        elif unseen.any():
            values = sorted(set(text[unseen]))
            warnings.warn(
                f"column {name!r} has {len(values)} value(s) not seen in fit, encoded as "
                f"all zeros: {values[:_MAX_SHOWN]}{' ...' if len(values) > _MAX_SHOWN else ''}",
                UnseenCategoryWarning,
                stacklevel=4,  # _one_hot <- transform <- set_output wrapper <- caller
            )
        rows = np.flatnonzero(codes >= 0)
        block[rows, codes[rows]] = 1.0


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
