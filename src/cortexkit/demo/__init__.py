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
result's ``figures`` (PNG bytes and a caption: filters, feature maps, a U-matrix) go in
the report after the training curves.
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

__all__ = ["FAMILIES", "HEADER", "DemoResult", "format_table", "run_demo"]

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
    from cortexkit.plot import history_png

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
        "Each model is trained on 75% of a data set bundled with scikit-learn and scored on "
        "the other 25%. The baseline is a trivial predictor (majority class, or the mean). "
        "The perceptron is a classifier (a threshold unit outputs 0 or 1), so it has no "
        "continuous row; its curve counts the mistakes per epoch."
    )
    report.table(HEADER, rows)
    report.heading("Training curves")
    for r in results:
        report.figure(
            history_png(r.history, f"{r.model} on {r.dataset}", key=r.curve),
            f"{r.model} on {r.dataset}: {r.curve} per epoch",
        )
    figures = [(png, caption) for r in results for png, caption in r.figures]
    if figures:
        report.heading("Inside the models")
        for png, caption in figures:
            report.figure(png, caption)
    path = out / "report.html"
    report.write(path)
    print(f"\nreport: {path}", file=stream)
    return results
