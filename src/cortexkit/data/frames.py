"""From a read table to what a model takes: the target column split off, a regression
target checked, and the feature matrix of a model fitted without a ``TableEncoder``.

Examples
--------
>>> import pandas as pd
>>> X, y = split_target(pd.DataFrame({"Age": [30, 40], "Exited": [0, 1]}), "Exited")
>>> list(X.columns), y.tolist()
(['Age'], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cortexkit._validation import FLOAT32_MAX
from cortexkit.data.columns import check_frame

__all__ = ["feature_matrix", "regression_target", "split_target"]


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
    check_frame(df, "split_target")
    if target not in df.columns:
        raise ValueError(f"target {target!r} is not a column; available columns are {list(df)}")
    y = df[target]
    missing = int(y.isna().sum())
    if missing:
        raise ValueError(f"target {target!r} has {missing} missing values of {len(y)}")
    return df.drop(columns=[target]), y


def regression_target(y: pd.Series, name: str) -> pd.Series:
    """Check a regression target: numbers, finite, and within float32's range.

    The networks compute in float32, where a larger value becomes ``inf``, so such a
    target is refused here rather than saved into a model that predicts ``inf``.

    Parameters
    ----------
    y : pandas.Series
        The target column.
    name : str
        Its name, for the messages.

    Returns
    -------
    pandas.Series of float64
        ``y`` as floats, same index.

    Raises
    ------
    ValueError
        If ``y`` is not numeric, or holds a non-finite value or one beyond float32's
        range (about 3.4e38); the message names the column, the row and the value.

    Examples
    --------
    >>> import pandas as pd
    >>> regression_target(pd.Series([1, 2]), "price").tolist()
    [1.0, 2.0]
    >>> regression_target(pd.Series([1.0, 1e39]), "price")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: target 'price' has 1 value(s) beyond float32's range (+-3.4e+38), ...
    """
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        example = y.iloc[0] if len(y) else None
        raise ValueError(
            f"a regression needs a numeric target; column {name!r} holds {y.dtype} values "
            f"such as {example!r}"
        )
    values = y.astype(np.float64)
    infinite = ~np.isfinite(values.to_numpy())
    if infinite.any():
        row = values.index[infinite.argmax()]
        raise ValueError(
            f"target {name!r} has {int(infinite.sum())} non-finite value(s): data row "
            f"{row + 1} holds {float(values[row])!r}; a regression target must be finite numbers"
        )
    too_big = values.abs().to_numpy() > FLOAT32_MAX
    if too_big.any():
        row = values.index[too_big.argmax()]
        raise ValueError(
            f"target {name!r} has {int(too_big.sum())} value(s) beyond float32's range "
            f"(+-{FLOAT32_MAX:.2g}), the precision the networks compute in: data row "
            f"{row + 1} holds {float(values[row])!r}; rescale the target (divide it by a power "
            "of ten)"
        )
    return values


def feature_matrix(
    df: pd.DataFrame,
    *,
    feature_names: Sequence[str] | None,
    n_features: int,
    exclude: Sequence[str] = (),
) -> np.ndarray:
    """The float32 matrix a model fitted without a ``TableEncoder`` expects.

    With ``feature_names`` (a model fitted on a DataFrame keeps them as
    ``feature_names_in_``) the columns are taken by name, in that order, whatever the
    file's order; other columns are ignored. Without them (a model fitted on a plain
    array), the columns other than ``exclude`` are taken by position, and their number
    must be ``n_features``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    feature_names : sequence of str or None
        The model's column names, in the order it was fitted on.
    n_features : int
        How many columns the model takes.
    exclude : sequence of str, default=()
        Columns to leave out when matching by position (the target).

    Returns
    -------
    ndarray of float32, shape (n_samples, n_features)

    Raises
    ------
    ValueError
        If a named column is missing (all are named), if the number of columns differs
        from ``n_features`` when matching by position, or if a column holds text.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"b": [2.0, 4.0], "y": [0, 1], "a": [1.0, 3.0]})
    >>> feature_matrix(df, feature_names=["a", "b"], n_features=2)
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    >>> feature_matrix(df, feature_names=["a", "c"], n_features=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the model was fitted on the columns ['a', 'c'], but ['c'] are missing ...
    """
    check_frame(df, "feature_matrix")
    columns = [str(c) for c in df.columns]
    if feature_names is not None:
        names = [str(c) for c in feature_names]
        missing = [name for name in names if name not in columns]
        if missing:
            raise ValueError(
                f"the model was fitted on the columns {names}, but {missing} are missing "
                f"from the data; its columns are {columns}"
            )
        selected = df[names]
    else:
        selected = df.drop(columns=[c for c in exclude if c in columns])
        if selected.shape[1] != n_features:
            raise ValueError(
                f"the model was fitted on {n_features} unnamed columns, matched by position, "
                f"but the data has {selected.shape[1]}: {[str(c) for c in selected.columns]}"
                + (f" (without {list(exclude)})" if exclude else "")
            )
    text = [
        str(name)
        for name in selected.columns
        if not pd.api.types.is_numeric_dtype(selected[name])
        or pd.api.types.is_bool_dtype(selected[name])
    ]
    if text:
        raise ValueError(
            f"columns {text} hold text, but this model was fitted on numbers only "
            "(no TableEncoder was saved with it)"
        )
    return selected.to_numpy(dtype=np.float32)
