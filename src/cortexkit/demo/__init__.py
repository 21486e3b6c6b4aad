"""``cortexkit demo``: every family on data that ships with the installed dependencies.

Each family contributes functions of ``quick`` that train its models and return
:class:`DemoResult` rows; the demo prints one table (data set, task, model, metric, the
trivial baseline's metric, time) and writes an HTML report with a curve per model.

Adding a family
---------------
Write one module in this package, say ``cnn.py``, that ends with
``FAMILIES = [cnn_demo]``, where ``cnn_demo(quick: bool) -> list[DemoResult]``. Nothing
else is edited: :data:`FAMILIES` collects every module's list, in module-name order.
Shared helpers (the split, the timer, the row) are in :mod:`cortexkit.demo.common`. A
result's ``estimator`` and ``context`` (held-out data) go to the report, which draws what
it draws of any model (:mod:`cortexkit.report.models`: the curve, confusion matrix,
filters, U-matrix, forecast, top-k table...); its ``figures`` (PNG bytes and a caption)
are what only the demo draws (Gibbs samples, a code space), shown after those.
Warnings are not silenced for you: a :class:`~cortexkit.exceptions.DivergenceWarning`
must reach the user; silence only what you expect, around the call that raises it.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from cortexkit.demo.common import HEADER, DemoResult, format_table
from cortexkit.report import Report
from cortexkit.report.models import ModelEntry, add_models

__all__ = ["FAMILIES", "HEADER", "DemoResult", "entry", "format_table", "run_demo"]

DemoFamily = Callable[[bool], list[DemoResult]]


def _discover() -> list[DemoFamily]:
    """Every ``FAMILIES`` entry of this package's modules, in module-name order."""
    found: list[DemoFamily] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "FAMILIES", []))
    return found


FAMILIES: list[DemoFamily] = _discover()


def run_demo(
    out_dir: str | os.PathLike[str] = "demo-output",
    *,
    quick: bool = False,
    file: TextIO | None = None,
) -> list[DemoResult]:
    """Run every family's demo, print the table and write ``out_dir/report.html``."""
    stream = sys.stdout if file is None else file
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: list[DemoResult] = []
    for family in FAMILIES:
        results.extend(family(quick))
    rows = [r.row() for r in results]
    print(format_table(HEADER, rows), file=stream)
    report = Report("cortexkit demo")
    report.paragraph(
        "Each model is trained on 75% of a data set bundled with scikit-learn (or another "
        "installed package; the data set column says which) and scored on the rest. The "
        "baseline is a trivial predictor (majority class, the mean, the previous value). "
        "The perceptron is a classifier (a threshold unit outputs 0 or 1), so it has no "
        "continuous row; its curve counts the mistakes per epoch."
    )
    add_models(report, [entry(r) for r in results], results=(HEADER, rows))
    path = out / "report.html"
    report.write(path)
    print(f"\nreport: {path}", file=stream)
    return results


def entry(result: DemoResult) -> ModelEntry:
    """What the report shows of a demo row's model: the same as ``cortexkit report``
    shows of a model file, with the held-out data the demo has beside it."""

    class _History:  # a row without its estimator: its curve alone
        history_ = result.history

    est = result.estimator if result.estimator is not None else _History()
    return ModelEntry(est, f"{result.model} on {result.dataset}", curve=result.curve,
                      figures=list(result.figures), **result.context)  # fmt: skip
