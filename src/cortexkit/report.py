"""A self-contained HTML report of a run: tables and figures in one file.

Figures are embedded as base64 PNGs, so the report opens anywhere without its folder.

Examples
--------
>>> import os, tempfile
>>> from cortexkit.report import Report
>>> r = Report("Demo")
>>> r.table(["model", "accuracy"], [["ANN", "0.97"]])
>>> path = os.path.join(tempfile.mkdtemp(), "report.html")
>>> r.write(path)
>>> "<table>" in open(path).read()
True
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from datetime import UTC, datetime

from cortexkit._version import __version__
from cortexkit.io.envelope import atomic_write_bytes

__all__ = ["Report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
figure { display: inline-block; margin: 0.5em; }
figcaption { font-size: 0.9em; color: #555; text-align: center; }
img { max-width: 520px; }
"""


class Report:
    """Collects headings, paragraphs, tables and PNG figures; writes one HTML file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = []

    def heading(self, text: str) -> None:
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str) -> None:
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
            for row in rows
        )
        self._parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, png: bytes, caption: str) -> None:
        data = base64.b64encode(png).decode()
        self._parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def render(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>"
            f"<p>cortexkit {__version__}, {stamp}</p>" + "\n".join(self._parts) + "</body></html>"
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the report atomically."""
        atomic_write_bytes(path, self.render().encode())
