"""Explicit ratings: one table of (user, item, rating[, timestamp]), and its readers.

:class:`Ratings` is what every recommender's ``fit`` takes (a DataFrame with ``user``,
``item`` and ``rating`` columns, or an array of such rows, is converted by
:func:`as_ratings`). It is checked once, on the way in:

- it holds at least one rating;
- every rating is a finite number inside the declared ``scale`` (MovieLens: 1 to 5);
- **duplicates**: when a (user, item) pair occurs more than once, the most recent rating
  wins (the largest timestamp; without timestamps, or at equal ones, the later row). A
  user who rated a film again changed their mind; the earlier rating is dropped.

Readers: :func:`read_ratings` takes MovieLens ``u.data`` (tab-separated, no header),
``ratings.dat`` (``::``-separated) and CSV files with ``user,item,rating[,timestamp]``
(a header naming those columns, or ``userId``/``movieId`` as in the newer MovieLens sets,
or no header and the columns in that order). :func:`~cortexkit.data.titles.read_titles`
reads ``u.item`` (pipe-separated, latin-1), ``movies.dat`` (``::``) or ``movies.csv``.

Identifiers are kept as they were given, as text: ``"007"`` and ``"7"`` are two users. They
are stored as integers only when every one is an integer written plainly (no leading zero
or sign), where text and number are one to one; otherwise as strings. A file that writes one
number two ways (``007`` and ``7``) is read as written, with a warning naming an example.

Examples
--------
>>> import io
>>> from cortexkit.recommend import read_ratings
>>> text = "1\\t10\\t5\\t100\\n1\\t20\\t3\\t101\\n2\\t10\\t4\\t102\\n1\\t10\\t2\\t103\\n"
>>> r = read_ratings(io.StringIO(text))
>>> len(r), r.rating.tolist()  # (1, 10) rated twice: the later rating, 2, is kept
(3, [3.0, 4.0, 2.0])
"""

from __future__ import annotations

import codecs
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from cortexkit.io.files import check_readable_file

__all__ = ["DEFAULT_SCALE", "Ratings", "as_ratings", "read_ratings"]

DEFAULT_SCALE = (1.0, 5.0)

# accepted header names of each column (compared in lower case, without "_" and " ")
_ALIASES = {
    "user": ("user", "userid", "users", "customer", "customerid"),
    "item": ("item", "itemid", "items", "movie", "movieid", "product", "productid"),
    "rating": ("rating", "ratings", "score", "stars"),
    "timestamp": ("timestamp", "time", "date", "unixtime"),
}


@dataclass(frozen=True)
class Ratings:
    """Explicit ratings, one row per (user, item) pair; build it with :func:`as_ratings`
    or :func:`read_ratings`, which check it.

    Parameters
    ----------
    user, item : ndarray of shape (n_ratings,)
        The identifiers, as given (integers or strings).
    rating : ndarray of shape (n_ratings,)
        The ratings (float64).
    timestamp : ndarray of shape (n_ratings,) or None
        When each rating was given (for a temporal split), if known.
    scale : tuple of float
        The declared rating scale ``(lowest, highest)``.

    Examples
    --------
    >>> from cortexkit.recommend import as_ratings
    >>> r = as_ratings([(1, "a", 4), (2, "a", 5), (2, "b", 1)])
    >>> len(r), r.n_users, r.n_items, r.scale
    (3, 2, 2, (1.0, 5.0))
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray | None = None
    scale: tuple[float, float] = DEFAULT_SCALE

    def __len__(self) -> int:
        return len(self.rating)

    @property
    def n_users(self) -> int:
        """Distinct users."""
        return len(pd.unique(self.user))

    @property
    def n_items(self) -> int:
        """Distinct items."""
        return len(pd.unique(self.item))

    def take(self, rows: np.ndarray) -> Ratings:
        """The given rows (an index or boolean mask), as ratings of their own."""
        ts = None if self.timestamp is None else self.timestamp[rows]
        return Ratings(self.user[rows], self.item[rows], self.rating[rows], ts, self.scale)

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with columns ``user``, ``item``, ``rating`` (and ``timestamp``)."""
        frame = pd.DataFrame({"user": self.user, "item": self.item, "rating": self.rating})
        if self.timestamp is not None:
            frame["timestamp"] = self.timestamp
        return frame


def as_ratings(
    data: Any, *, scale: tuple[float, float] | None = None, name: str = "ratings"
) -> Ratings:
    """Check and convert ``data`` into :class:`Ratings`.

    Parameters
    ----------
    data : Ratings, DataFrame, array-like of shape (n, 3) or (n, 4)
        A DataFrame needs ``user``, ``item`` and ``rating`` columns (``timestamp``
        optional; the header aliases of :func:`read_ratings` are accepted); rows are
        ``(user, item, rating[, timestamp])``.
    scale : tuple of float, optional
        The declared scale ``(lowest, highest)``; default: the Ratings' own, else 1 to 5.
    name : str, default="ratings"
        What the data is called in error messages.

    Raises
    ------
    ValueError
        If it is empty, lacks a user, item or rating column, holds a rating that is not a
        number, not finite or outside ``scale``.

    Examples
    --------
    >>> as_ratings([(1, 2, 7)])
    Traceback (most recent call last):
    ...
    ValueError: ratings: rating 7.0 (rating 1, from 1) is outside the declared scale 1.0 to 5.0; ...
    """
    if isinstance(data, Ratings):
        scale = data.scale if scale is None else scale
        frame = data.to_frame()
    elif isinstance(data, pd.DataFrame):
        frame = _named_columns(data, name)
    else:
        rows = np.asarray(data, dtype=object)
        if rows.ndim != 2 or rows.shape[1] not in (3, 4):
            if rows.size == 0:
                raise ValueError(f"{name} is empty: expected at least one rating")
            raise ValueError(
                f"{name} must be a DataFrame with user, item and rating columns or rows of "
                f"(user, item, rating[, timestamp]); got an array of shape {rows.shape}"
            )
        columns = ["user", "item", "rating", "timestamp"][: rows.shape[1]]
        frame = pd.DataFrame(rows, columns=columns)
    return _checked(frame, DEFAULT_SCALE if scale is None else scale, name)


def _named_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The frame's user, item, rating (and timestamp) columns, found by their aliases."""
    found = _roles(frame.columns, name)
    return frame[list(found.values())].set_axis(list(found), axis=1)


def _roles(columns: Any, name: str) -> dict[str, Any]:
    """Each role's column (user, item, rating, then timestamp where there is one)."""
    found: dict[str, Any] = {}
    for column in columns:
        key = str(column).lower().replace("_", "").replace(" ", "")
        for role, aliases in _ALIASES.items():
            if key in aliases and role not in found:
                found[role] = column
    for role in ("user", "item", "rating"):
        if role not in found:
            raise ValueError(
                f"{name} has no {role} column: expected one named "
                f"{' or '.join(repr(a) for a in _ALIASES[role][:3])}; found columns "
                f"{[str(c) for c in columns]}"
            )
    return {r: found[r] for r in _ALIASES if r in found}


def _ids(column: pd.Series, what: str = "identifier", name: str = "ratings") -> np.ndarray:
    """Integers when every identifier is an integer written plainly, else strings as given:
    ``"007"`` and ``"7"`` stay two identifiers (a warning names them)."""
    if pd.api.types.is_integer_dtype(column):
        return column.to_numpy(np.int64)
    kind = pd.api.types.infer_dtype(column, skipna=True)
    # text ("007") stays as given: through numbers it would become 7
    numbers = (
        None if "string" in kind or "mixed" in kind else pd.to_numeric(column, errors="coerce")
    )
    if numbers is not None and numbers.notna().all() and (numbers == np.round(numbers)).all():
        return numbers.to_numpy(np.int64)  # 42.0 (a float array's rows) is user 42
    text = column.astype(str).str.strip()
    integer = text.str.fullmatch(r"[+-]?\d{1,18}")
    if len(text) and integer.all() and text.str.fullmatch(r"0|-?[1-9]\d*").all():
        return text.astype(np.int64).to_numpy()  # plain integers: "7" is 7 and back
    if integer.any():
        forms = pd.Series(text[integer].unique())
        number = forms.astype(np.int64)
        clash = number.duplicated(keep=False)
        if clash.any():
            same = forms[number == number[clash].iloc[0]].tolist()
            warnings.warn(
                f"{name}: the {what}s {' and '.join(repr(f) for f in same[:2])} are one "
                f"number written two ways; they are read as two {what}s (identifiers are "
                "text): write them the same way if they are one",
                UserWarning,
                stacklevel=4,
            )
    return text.to_numpy(dtype=object)


def _checked(frame: pd.DataFrame, scale: tuple[float, float], name: str) -> Ratings:
    low, high = float(scale[0]), float(scale[1])
    if not low < high:
        raise ValueError(f"scale must be (lowest, highest) with lowest < highest; got {scale}")
    if len(frame) == 0:
        raise ValueError(f"{name} is empty: expected at least one rating")
    for role in ("user", "item"):
        if frame[role].isna().any():
            row = int(np.flatnonzero(frame[role].isna().to_numpy())[0])
            raise ValueError(f"{name}: the {role} is missing in rating {row + 1} (from 1)")
    rating = pd.to_numeric(frame["rating"], errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(rating)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: rating {frame['rating'].iloc[row]!r} (rating {row + 1}, from 1) is not a "
            "number; "
            f"ratings must be numbers from {low} to {high}"
        )
    outside = (rating < low) | (rating > high)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{name}: rating {rating[row]} (rating {row + 1}, from 1) is outside the declared "
            f"scale {low} to {high}; if that is not the scale, pass scale=(lowest, highest) "
            "(on the command line: --scale LOW,HIGH)"
        )
    timestamp = None
    if "timestamp" in frame:
        timestamp = pd.to_numeric(frame["timestamp"], errors="coerce").to_numpy(np.float64)
        if not np.isfinite(timestamp).all():
            row = int(np.flatnonzero(~np.isfinite(timestamp))[0])
            raise ValueError(
                f"{name}: timestamp {frame['timestamp'].iloc[row]!r} (rating {row + 1}, from 1) is "
                "not a number"
            )
        if (timestamp == np.round(timestamp)).all():
            timestamp = timestamp.astype(np.int64)
    user, item = _ids(frame["user"], "user", name), _ids(frame["item"], "item", name)
    keep = _latest(user, item, timestamp)
    ratings = Ratings(user, item, rating, timestamp, (low, high))
    return ratings if keep is None else ratings.take(keep)


def _latest(user: np.ndarray, item: np.ndarray, timestamp: np.ndarray | None) -> np.ndarray | None:
    """Rows to keep so that each (user, item) pair appears once, the most recent rating
    (largest timestamp, then the later row); None when there are no duplicates."""
    pairs = pd.DataFrame({"u": user, "i": item})
    duplicated = pairs.duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return None
    order = np.arange(len(user))
    if timestamp is not None:
        order = np.lexsort((order, timestamp))  # by time, then by row
    last = ~pairs.iloc[order].duplicated(keep="last").to_numpy()
    return np.sort(order[last])


# -- files ----------------------------------------------------------------------------------


def _bytes(source: str | os.PathLike[str] | IO[str], what: str) -> tuple[bytes, str, str]:
    """The file's bytes, their encoding (latin-1 when not UTF-8) and its name."""
    if hasattr(source, "read"):
        text = source.read()  # type: ignore[union-attr]
        return text.encode("utf-8"), "utf-8", getattr(source, "name", "<stream>")
    path = os.fspath(source)  # type: ignore[arg-type]
    check_readable_file(path, what)
    raw = Path(path).read_bytes()
    decoder, view, step = codecs.getincrementaldecoder("utf-8")(), memoryview(raw), 1 << 20
    try:  # by the megabyte: no copy of the whole text
        for start in range(0, len(raw), step):
            decoder.decode(view[start : start + step], final=start + step >= len(raw))
    except UnicodeDecodeError:
        return raw, "latin-1", path
    return raw, "utf-8", path


# a field that is an integer written other than plainly ("007", "+7", "-0"): identifiers
# read as text keep such forms, which a parse into int64 would lose
_UNPLAIN = re.compile(rb"(?:^|[,\t])[ ]*(?:\+|-?0\d|-0(?:[,\t\r\n]|$))", re.MULTILINE)


def _numeric_frame(
    raw: bytes, header: bool, name: str, options: dict[str, Any]
) -> pd.DataFrame | None:
    """The ratings parsed straight into int64 identifiers and float64 ratings (and int64
    timestamps): no Python string per field. None where that would not read the file as
    the text parse does (identifiers that are not plain integers, a rating that is not a
    number, a missing field ...): the caller then reads every field as text."""
    if _UNPLAIN.search(raw):
        return None
    dtypes = {"user": np.int64, "item": np.int64, "rating": np.float64, "timestamp": np.int64}
    try:
        if header:
            names = pd.read_csv(io.BytesIO(raw), nrows=0, **options)
            if names.columns.duplicated().any():
                return None
            found = {column: role for role, column in _roles(names.columns, name).items()}
        else:
            width = len(pd.read_csv(io.BytesIO(raw), nrows=1, dtype=str, **options).columns)
            if width < 3:
                return None
            found = dict(enumerate(["user", "item", "rating", "timestamp"][: min(width, 4)]))
        frame = pd.read_csv(
            io.BytesIO(raw),
            usecols=list(found),
            dtype={column: dtypes[role] for column, role in found.items()},
            **options,
        )
    except (ValueError, TypeError, OverflowError):
        return None
    if any(frame[c].dtype != dtypes[r] for c, r in found.items()):
        return None
    return frame[list(found)].set_axis(list(found.values()), axis=1)


def read_ratings(
    source: str | os.PathLike[str] | IO[str],
    *,
    scale: tuple[float, float] = DEFAULT_SCALE,
) -> Ratings:
    """Read a ratings file: MovieLens ``u.data`` (tabs), ``ratings.dat`` (``::``) or CSV.

    The layout is recognised from the first line: ``::`` or a tab separates the fields of
    the MovieLens files (user, item, rating, timestamp); otherwise it is a CSV file. Any
    of them may start with a header naming ``user``, ``item``, ``rating`` (and
    ``timestamp``) columns (``userId``, ``movieId`` are accepted; a first line whose third
    field is not a number is a header), or have none and the columns in that order.

    Parameters
    ----------
    source : path or text stream
        The file.
    scale : tuple of float, default=(1.0, 5.0)
        The declared rating scale; a rating outside it is an error.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is empty, has fewer than three columns, lacks a user, item or rating
        column, or holds a rating that is not a number or outside ``scale``.

    Examples
    --------
    >>> import io
    >>> read_ratings(io.StringIO("userId,movieId,rating\\n1,31,2.5\\n")).item.tolist()
    [31]
    """
    raw, encoding, shown = _bytes(source, "a ratings file (user, item, rating[, timestamp])")
    name = f"ratings file {shown!r}"
    first = next((line.decode(encoding) for line in io.BytesIO(raw) if line.strip()), None)
    if first is None:
        raise ValueError(f"{name} is empty: expected lines of user, item, rating[, timestamp]")
    if "::" in first:
        raw, first, sep = raw.replace(b"::", b"\t"), first.replace("::", "\t"), "\t"
    else:
        sep = "\t" if "\t" in first else ","
    fields = [f.strip() for f in first.split(sep)]
    # a header names its columns: the third field of a data line is a rating, a number
    header = not _is_number(fields[2] if len(fields) > 2 else fields[0])
    options: dict[str, Any] = {
        "sep": sep,
        "header": 0 if header else None,
        "encoding": encoding,
        "skipinitialspace": True,
        "skip_blank_lines": True,
    }
    frame = _numeric_frame(raw, header, name, options)
    if frame is None:  # text, or something to refuse: every field as written
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, **options)
    del raw
    if header:
        return as_ratings(frame, scale=scale, name=name)
    if frame.shape[1] < 3:
        raise ValueError(
            f"{name} has {frame.shape[1]} column(s): expected user, item, rating"
            "[, timestamp] (a header line may name them)"
        )
    frame = frame.iloc[:, :4].set_axis(
        ["user", "item", "rating", "timestamp"][: min(frame.shape[1], 4)], axis=1
    )
    return as_ratings(frame, scale=scale, name=name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
