"""The scores ``cortexkit train`` (held-out rows) and ``cortexkit evaluate`` print.

A score that the data cannot define (ROC AUC when one class is absent, R² on one row) is
``None`` (``null`` in JSON, ``n/a`` in text), and ``notes`` says why.
"""

from __future__ import annotations

from typing import Any

__all__ = ["align_labels", "few_rows_note", "format_metrics", "metrics"]


def align_labels(y: Any, classes: Any, target: str) -> Any:
    """The target column as the model's class labels; refuses labels it never saw.

    Labels match by their text, so a column read as ``"1"`` matches class ``1``.

    Parameters
    ----------
    y : pandas.Series
        The target column as read.
    classes : numpy.ndarray
        The model's ``classes_``.
    target : str
        The column's name, for the message.

    Raises
    ------
    ValueError
        If ``y`` has missing values or labels that are not in ``classes``; the message
        names the column, the unseen labels and the known ones.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> align_labels(pd.Series(["1", "0"]), np.array([0, 1]), "y").tolist()
    [1, 0]
    >>> align_labels(pd.Series([0, 2]), np.array([0, 1]), "y")
    Traceback (most recent call last):
    ...
    ValueError: target column 'y' holds 1 label the model never saw: ['2'] (it knows ['0', '1'])
    """
    import numpy as np
    import pandas as pd

    missing = int(y.isna().sum())
    if missing:
        raise ValueError(f"target column {target!r} has {missing} missing values of {len(y)}")
    if pd.api.types.is_float_dtype(y) and bool((y == y.round()).all()):
        y = y.astype(np.int64)  # 1.0 in the file is class 1
    lookup = {str(c): c for c in classes.tolist()}
    text = y.astype(str)
    unseen = sorted(set(text) - set(lookup))
    if unseen:
        shown = unseen[:10] + (["..."] if len(unseen) > 10 else [])
        what = "label" if len(unseen) == 1 else "labels"
        raise ValueError(
            f"target column {target!r} holds {len(unseen)} {what} the model never saw: "
            f"{shown} (it knows {list(lookup)})"
        )
    return np.asarray([lookup[t] for t in text], dtype=classes.dtype)


def metrics(est: Any, X: Any, y: Any, task: str) -> dict[str, Any]:
    """Regression: RMSE, MAE, R². Classification: accuracy, balanced accuracy, F1, ROC AUC
    and the confusion matrix. Scores the data cannot define are ``None``, with a note.

    ``baseline`` holds what a model that ignores the inputs scores on the same rows: the
    majority class's accuracy (the most frequent class in ``y``), or the RMSE and MAE of
    predicting ``y``'s mean. A model worth keeping beats it."""
    pred = est.predict(X)
    out = _regression(y, pred) if task == "regress" else _classification(est, X, y, pred)
    note = few_rows_note(len(y))
    if note is not None:
        out.setdefault("notes", {})["rows"] = note
    return out


def _regression(y: Any, pred: Any) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics as m

    notes = {}
    if len(y) < 2:
        r2 = None
        notes["r2"] = "not defined on fewer than two rows"
    else:
        r2 = float(m.r2_score(y, pred))
    out: dict[str, Any] = {
        "rmse": float(m.root_mean_squared_error(y, pred)),
        "mae": float(m.mean_absolute_error(y, pred)),
        "r2": r2,
    }
    mean = np.broadcast_to(np.mean(y, axis=0), np.shape(y))
    out["baseline"] = {
        "model": "the mean of the target",
        "rmse": float(m.root_mean_squared_error(y, mean)),
        "mae": float(m.mean_absolute_error(y, mean)),
    }
    return _finite(out, notes)


def _classification(est: Any, X: Any, y: Any, pred: Any) -> dict[str, Any]:
    import warnings

    import numpy as np
    from sklearn import metrics as m

    labels = list(est.classes_)
    binary = len(labels) == 2
    present = set(np.unique(y).tolist())
    absent = [str(v) for v in labels if v not in present]
    notes = {}
    with warnings.catch_warnings():
        if absent:  # said once in the notes, not as scikit-learn's warnings
            warnings.simplefilter("ignore", UserWarning)
            notes["balanced_accuracy"] = "averaged over the classes present in the data"
        out: dict[str, Any] = {
            "accuracy": float(m.accuracy_score(y, pred)),
            "balanced_accuracy": float(m.balanced_accuracy_score(y, pred)),
            "f1": float(
                m.f1_score(
                    y,
                    pred,
                    average="binary" if binary else "macro",
                    pos_label=labels[-1] if binary else 1,
                    zero_division=0.0,
                )
            ),
        }
    scores = est.predict_proba(X) if hasattr(est, "predict_proba") else est.decision_function(X)
    if absent:
        out["roc_auc"] = None
        notes["roc_auc"] = (
            f"only one class present in the data ({next(iter(present))})"
            if len(absent) == len(labels) - 1
            else f"classes {absent} are absent from the data"
        )
    elif binary:
        positive = scores[:, 1] if scores.ndim == 2 else scores
        out["roc_auc"] = float(m.roc_auc_score(np.asarray(y) == labels[1], positive))
    else:  # one-vs-rest, macro: works for scores that are not probabilities too
        out["roc_auc"] = float(
            np.mean([m.roc_auc_score(np.asarray(y) == k, scores[:, i])
                     for i, k in enumerate(labels)])
        )  # fmt: skip
    _, counts = np.unique(np.asarray(y), return_counts=True)
    out["baseline"] = {"model": "the majority class", "accuracy": float(counts.max() / len(y))}
    out["labels"] = [str(v) for v in labels]
    out["confusion_matrix"] = m.confusion_matrix(y, pred, labels=labels).tolist()
    return _finite(out, notes)


def _finite(out: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
    """NaN or infinite scores become ``None`` with a note; ``notes`` is added if any."""
    import math

    for name, value in out.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[name] = None
            notes.setdefault(name, f"not defined for this data (computed {value})")
    if notes:
        out["notes"] = notes
    return out


def format_metrics(metrics: dict[str, Any]) -> str:
    """One ``  name   0.1234`` line per score, the baseline's scores, then the confusion
    matrix."""
    notes = metrics.get("notes", {})
    lines = [f"  note: {notes['rows']}"] if "rows" in notes else []
    for name, value in metrics.items():
        if isinstance(value, float):
            lines.append(f"  {name:<18} {value:.4f}")
        elif value is None:
            lines.append(f"  {name:<18} n/a ({notes.get(name, 'not defined for this data')})")
    baseline = metrics.get("baseline")
    if baseline:
        scores = ", ".join(f"{k} {v:.4f}" for k, v in baseline.items() if k != "model")
        lines.append(f"  baseline           {scores} ({baseline['model']}, inputs ignored)")
    if "confusion_matrix" in metrics:
        labels = metrics["labels"]
        width = max(8, *(len(s) for s in labels))
        lines.append("  confusion matrix (rows: actual, columns: predicted)")
        lines.append("  " + " " * width + "".join(f"{s:>{width}}" for s in labels))
        for label, row in zip(labels, metrics["confusion_matrix"], strict=True):
            lines.append("  " + f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def few_rows_note(n: int, what: str = "row") -> str | None:
    """What to say beside scores computed on fewer than 2 rows (or images): one right or
    wrong answer is no measure of a model."""
    if n >= 2:
        return None
    return (
        f"scored on {n} {what}{'' if n == 1 else 's'}: a score on fewer than 2 says nothing "
        "about the model"
    )
