"""Reports: one self-contained HTML page of results, tables and figures.

:mod:`~cortexkit.report.page` writes the page (:class:`Report`);
:mod:`~cortexkit.report.models` fills it with what each trained model shows (its training
curve, confusion matrix, forecast, U-matrix, filters, reconstructions, top-k table), for
``cortexkit report`` and ``cortexkit demo`` alike.
"""

from __future__ import annotations

from cortexkit.report.page import PAGE_WIDTH, Report, png_info, rows_of

__all__ = ["PAGE_WIDTH", "Report", "png_info", "rows_of"]
