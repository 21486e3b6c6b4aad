"""A self-contained HTML page: headings, paragraphs, HTML tables and PNG figures in one file.

Figures are embedded as base64 PNGs, so the page opens anywhere without its folder.
Consecutive figures form a grid, laid out here rather than left to the browser: they are
cut into rows (in order) whose natural widths fit the page, as evenly filled as the widths
allow, and each row's figures then grow in proportion to fill it. So no row is half empty,
and no figure is shown smaller than drawn: a PNG from :mod:`cortexkit.plot` records its
DPI and its smallest font size, so its text is at least that size on the page (the
``data-min-pt`` attribute, which the browser test checks against the shown width).

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
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cortexkit._version import __version__
from cortexkit.io.envelope import atomic_write_bytes

__all__ = ["PAGE_WIDTH", "Report", "png_info", "rows_of"]

PAGE_WIDTH = 1100  # CSS pixels of content; figures are laid out for it
GAP = 16  # CSS pixels between figures in a row
CSS_PER_INCH = 96.0

_STYLE = f"""
body {{ font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em;
       max-width: {PAGE_WIDTH}px; color: #222; font-size: 15px; line-height: 1.4; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.2em; max-width: 100%; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; white-space: nowrap; }}
th {{ background: #f3f3f3; }}
td:first-child, th:first-child, td.text, th.text {{ text-align: left; white-space: normal;
  overflow-wrap: anywhere; }}
caption {{ caption-side: top; text-align: left; color: #555; padding: 0 0 4px; }}
.row {{ display: flex; gap: {GAP}px; align-items: flex-start; margin: 0 0 1em; }}
figure {{ margin: 0; min-width: 0; }}
figure img {{ width: 100%; height: auto; display: block; }}
figcaption {{ font-size: 14px; color: #555; margin-top: 4px; }}
p.note {{ color: #555; font-size: 14px; }}
"""


@dataclass(frozen=True)
class PngInfo:
    """A PNG's size in pixels, its DPI and smallest font size (None when not recorded)."""

    width: int
    height: int
    dpi: float
    min_font_pt: float | None

    @property
    def css_width(self) -> float:
        """The width the figure was drawn for, in CSS pixels (96 per inch)."""
        return self.width / self.dpi * CSS_PER_INCH


def png_info(png: bytes) -> PngInfo:
    """The size of ``png`` and what :mod:`cortexkit.plot` recorded in its text chunks; a
    PNG from elsewhere counts as 96 DPI (one pixel per CSS pixel).

    Examples
    --------
    >>> from cortexkit.plot import history_png
    >>> info = png_info(history_png({"loss": [1.0, 0.5]}))
    >>> info.dpi, info.min_font_pt >= 9
    (144.0, True)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return PngInfo(0, 0, CSS_PER_INCH, None)
    width, height = struct.unpack(">II", png[16:24])
    text: dict[str, str] = {}
    at = 8
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"tEXt":
            key, _, value = png[at + 8 : at + 8 + length].partition(b"\0")
            text[key.decode("latin-1")] = value.decode("latin-1")
        if kind in (b"IDAT", b"IEND"):
            break
        at += 12 + length
    try:
        dpi = float(text.get("cortexkit-dpi", CSS_PER_INCH))
        smallest = text.get("cortexkit-min-font-pt")
        min_pt = None if smallest is None else float(smallest)
    except ValueError:
        dpi, min_pt = CSS_PER_INCH, None
    return PngInfo(int(width), int(height), dpi if dpi > 0 else CSS_PER_INCH, min_pt)


def rows_of(widths: Sequence[float], page: float = PAGE_WIDTH, gap: float = GAP) -> list[int]:
    """How many of the figures (natural widths ``widths``, in order) go in each row: the
    fewest rows that fit ``page``, and of those the cut whose emptiest row is fullest.

    A figure wider than the page has a row to itself.

    Examples
    --------
    >>> rows_of([320] * 7)  # three fit a row: 3 + 2 + 2, not 3 + 3 + 1
    [3, 2, 2]
    >>> rows_of([480, 480, 1000, 480])
    [2, 1, 1]
    """
    n = len(widths)

    def fill(i: int, j: int) -> float:  # figures i..j-1 in one row
        return (sum(widths[i:j]) + gap * (j - i - 1)) / page

    # best[j][r]: the fullest emptiest row over cuts of the first j figures into r rows
    best: list[dict[int, tuple[float, int]]] = [{0: (2.0, 0)}] + [{} for _ in range(n)]
    for j in range(1, n + 1):
        for i in range(j):
            if j - i > 1 and fill(i, j) > 1.0:
                continue
            for r, (low, _) in best[i].items():
                candidate = min(low, fill(i, j))
                # on a tie the later cut wins: the fuller rows come first
                if r + 1 not in best[j] or candidate >= best[j][r + 1][0]:
                    best[j][r + 1] = (candidate, i)
    if n == 0:
        return []
    rows = min(best[n])
    sizes = []
    j = n
    while j > 0:
        i = best[j][rows][1]
        sizes.append(j - i)
        j, rows = i, rows - 1
    return sizes[::-1]


class Report:
    """Collects headings, paragraphs, tables and PNG figures; writes one HTML file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str | list[tuple[bytes, str]]] = []

    def heading(self, text: str, level: int = 2) -> None:
        """A heading, ``<h2>`` unless ``level`` says otherwise (2 to 4)."""
        level = min(max(int(level), 2), 4)
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, *, note: bool = False) -> None:
        """A paragraph; ``note=True`` sets it in grey (what a section leaves out, say)."""
        css = ' class="note"' if note else ""
        self._parts.append(f"<p{css}>{html.escape(text)}</p>")

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        caption: str | None = None,
        text_columns: Sequence[int] = (),
    ) -> None:
        """An HTML table; cells are shown as text. ``text_columns`` are left-aligned
        (the first column always is)."""
        left = set(text_columns)

        def cell(tag: str, k: int, value: object) -> str:
            css = ' class="text"' if k in left else ""
            return f"<{tag}{css}>{html.escape(str(value))}</{tag}>"

        head = "".join(cell("th", k, h) for k, h in enumerate(header))
        body = "".join(
            "<tr>" + "".join(cell("td", k, c) for k, c in enumerate(row)) + "</tr>" for row in rows
        )
        cap = "" if caption is None else f"<caption>{html.escape(caption)}</caption>"
        self._parts.append(
            f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def figure(self, png: bytes, caption: str) -> None:
        """A PNG figure with its caption; consecutive figures share a grid."""
        last = self._parts[-1] if self._parts else None
        if isinstance(last, list):
            last.append((png, caption))
        else:
            self._parts.append([(png, caption)])

    def _grid(self, figures: list[tuple[bytes, str]]) -> str:
        infos = [png_info(png) for png, _ in figures]
        out, at = [], 0
        for size in rows_of([min(i.css_width, PAGE_WIDTH) for i in infos]):
            cells = []
            for (png, caption), info in zip(
                figures[at : at + size], infos[at : at + size], strict=True
            ):
                data = base64.b64encode(png).decode()
                grow = max(info.css_width, 1.0)
                attrs = f' data-css-width="{info.css_width:.0f}"'
                if info.min_font_pt is not None:
                    attrs += f' data-min-pt="{info.min_font_pt:g}"'
                cells.append(
                    f'<figure style="flex: {grow:.0f} 1 0"><img alt="{html.escape(caption)}" '
                    f'src="data:image/png;base64,{data}"{attrs}>'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                )
            out.append('<div class="row">' + "".join(cells) + "</div>")
            at += size
        return "\n".join(out)

    def render(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = [p if isinstance(p, str) else self._grid(p) for p in self._parts]
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>"
            f"<p>cortexkit {__version__}, {stamp}</p>" + "\n".join(parts) + "</body></html>"
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the report atomically."""
        atomic_write_bytes(path, self.render().encode())
