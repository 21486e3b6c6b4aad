"""What every family's demo shares: the result row, the table, the split, the timer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["HEADER", "DemoResult", "format_table", "split_scaled", "timed"]

HEADER = ["data set", "task", "model", "metric", "score", "baseline", "seconds"]


@dataclass
class DemoResult:
    """One trained model on one data set.

    Examples
    --------
    >>> DemoResult("iris", "categorical (3)", "M", "accuracy", 0.95, 0.33, 0.1).row()[4:]
    ['0.9500', '0.3300', '0.10']
    """

    dataset: str
    task: str
    model: str
    metric: str
    score: float
    baseline: float
    seconds: float
    history: dict[str, Any] = field(default_factory=dict, repr=False)
    curve: str = "loss"  # which history key to plot
    # (PNG bytes, caption): what the family draws of this model beyond the report's own
    # figures (cortexkit.report.models), shown after them
    figures: list[tuple[bytes, str]] = field(default_factory=list, repr=False)
    # the trained model, and what the report may show it with: ModelEntry's fields
    # (X and y held out, corrupted, series, actual, user, titles)
    estimator: Any = field(default=None, repr=False)
    context: dict[str, Any] = field(default_factory=dict, repr=False)

    def row(self) -> list[str]:
        """The table row: scores to 4 decimals, seconds to 2."""
        return [
            self.dataset,
            self.task,
            self.model,
            self.metric,
            f"{self.score:.4f}",
            f"{self.baseline:.4f}",
            f"{self.seconds:.2f}",
        ]


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain fixed-width text table.

    Examples
    --------
    >>> print(format_table(["a", "b"], [["xy", "1"]]))
    a   b
    --  -
    xy  1
    """
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(out)


def split_scaled(X: np.ndarray, y: np.ndarray, stratify: bool) -> tuple[np.ndarray, ...]:
    """75/25 split (seed 0), standardised on the training part."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if stratify else None
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def timed(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[Any, float]:
    """``est.fit(X, y)`` and the seconds it took."""
    t0 = time.perf_counter()
    est.fit(X, y)
    return est, time.perf_counter() - t0
