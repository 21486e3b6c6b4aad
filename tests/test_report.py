"""``Report``: escaped headings, paragraphs, tables and figures, written atomically."""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import pytest

from cortexkit import __version__
from cortexkit.plot import DPI, MIN_FONT_PT, _render, history_png
from cortexkit.report import Report, png_info, rows_of

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCRIPT = "<script>alert('x')</script>"


def test_parts_render_in_order() -> None:
    report = Report("Run 7")
    report.heading("Results")
    report.paragraph("First the table.")
    report.table(["model", "accuracy"], [["ANN", 0.97], ["Perceptron", "0.91"]])
    report.heading("Curves")
    page = report.render()

    assert page.startswith("<!doctype html>")
    assert page.endswith("</body></html>")
    assert "<title>Run 7</title>" in page
    assert "<h1>Run 7</h1>" in page
    assert f"cortexkit {__version__}" in page
    order = [page.index(s) for s in ("<h2>Results", "<p>First", "<table>", "<h2>Curves")]
    assert order == sorted(order)
    assert "<thead><tr><th>model</th><th>accuracy</th></tr></thead>" in page
    assert "<tr><td>ANN</td><td>0.97</td></tr>" in page  # non-strings become text
    assert "<tr><td>Perceptron</td><td>0.91</td></tr>" in page


def test_empty_table_still_has_its_header() -> None:
    report = Report("t")
    report.table(["a"], [])
    assert "<table><thead><tr><th>a</th></tr></thead><tbody></tbody></table>" in report.render()


@pytest.mark.parametrize("where", ["title", "heading", "paragraph", "header", "cell", "caption"])
def test_text_is_escaped_everywhere(where: str) -> None:
    report = Report(SCRIPT if where == "title" else "t")
    if where == "heading":
        report.heading(SCRIPT)
    elif where == "paragraph":
        report.paragraph(SCRIPT)
    elif where == "header":
        report.table([SCRIPT], [["1"]])
    elif where == "cell":
        report.table(["a"], [[SCRIPT]])
    else:
        report.figure(PNG_SIGNATURE, SCRIPT)
    page = report.render()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_caption_cannot_break_out_of_the_alt_attribute() -> None:
    report = Report("t")
    report.figure(PNG_SIGNATURE, 'a" onerror="alert(1)')
    page = report.render()
    assert 'onerror="' not in page
    assert 'alt="a&quot; onerror=&quot;alert(1)"' in page


def test_figures_embed_the_png_bytes() -> None:
    png = history_png({"loss": [0.9, 0.5, 0.4]}, "curve")
    report = Report("t")
    report.figure(png, "loss per epoch")
    report.figure(png, "again")
    page = report.render()
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"[^>]*>', page)
    assert [alt for alt, _ in images] == ["loss per epoch", "again"]
    assert all(base64.b64decode(data) == png for _, data in images)
    assert "<figcaption>loss per epoch</figcaption>" in page


def test_write_creates_the_file(tmp_path: Path) -> None:
    report = Report("Written")
    report.table(["a"], [["1"]])
    path = tmp_path / "report.html"
    report.write(path)
    text = path.read_text(encoding="utf-8")
    assert "<h1>Written</h1>" in text
    assert "<td>1</td>" in text
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_keeps_non_ascii(tmp_path: Path) -> None:
    report = Report("Résumé — 100 µs")
    path = tmp_path / "report.html"
    report.write(path)
    assert "<meta charset='utf-8'>" in path.read_text(encoding="utf-8")
    assert "Résumé — 100 µs" in path.read_text(encoding="utf-8")


def test_write_to_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Report("t").write(tmp_path / "nope" / "report.html")


def test_interrupted_write_leaves_the_old_report(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "report.html"
    Report("Old").write(path)
    old = path.read_bytes()

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Report("New").write(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file


def test_rewrite_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    big = Report("Big")
    big.paragraph("x" * 100_000)
    big.write(path)
    Report("Small").write(path)
    text = path.read_text()
    assert "<h1>Small</h1>" in text
    assert "x" * 100 not in text
    assert text.endswith("</body></html>")


def test_figures_are_sized_by_what_their_png_records() -> None:
    png = history_png({"loss": [0.9, 0.5, 0.4]}, "curve")
    info = png_info(png)
    assert info.dpi == DPI
    assert info.min_font_pt is not None and info.min_font_pt >= MIN_FONT_PT
    assert info.css_width == pytest.approx(info.width / DPI * 96)
    report = Report("t")
    report.figure(png, "a")
    page = report.render()
    assert f'data-min-pt="{info.min_font_pt:g}"' in page
    assert f'data-css-width="{info.css_width:.0f}"' in page


def test_a_png_from_elsewhere_counts_as_96_dpi_without_a_font_size() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    info = png_info(buffer.getvalue())
    assert (info.width, info.dpi, info.min_font_pt) == (100, 96.0, None)
    assert png_info(b"not a png").width == 0


def test_small_text_is_raised_to_the_floor() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.set_title("tiny", fontsize=4)
    ax.tick_params(labelsize=5)
    ax.plot([0, 1], label="x")
    ax.legend(fontsize=3)
    png_info_ = png_info(_render(fig))
    assert png_info_.min_font_pt == MIN_FONT_PT
    assert ax.title.get_fontsize() == MIN_FONT_PT
    assert all(t.get_fontsize() >= MIN_FONT_PT for t in ax.get_xticklabels())


@pytest.mark.parametrize(
    ("widths", "rows"),
    [
        ([], []),
        ([300], [1]),
        ([320] * 6, [3, 3]),
        ([320] * 7, [3, 2, 2]),
        ([320] * 4, [2, 2]),  # not 3 + 1
        ([500, 500, 1050, 500, 500], [2, 1, 2]),
        ([2000, 300], [1, 1]),  # wider than the page: alone, shrunk to fit
    ],
)
def test_rows_are_as_full_as_the_widths_allow(widths: list[float], rows: list[int]) -> None:
    assert rows_of(widths) == rows
    assert sum(rows) == len(widths)


def test_each_row_of_figures_fills_the_page() -> None:
    png = history_png({"loss": [0.9, 0.5, 0.4]}, "curve")  # three fit a row
    report = Report("t")
    for k in range(4):
        report.figure(png, f"curve {k}")
    report.paragraph("between")
    report.figure(png, "alone")
    page = report.render()
    rows = re.findall(r'<div class="row">(.*?)</div>', page)
    assert [r.count("<figure") for r in rows] == [2, 2, 1]
    # a paragraph ends a grid: the figure after it is in a grid of its own
    assert page.index("curve 3") < page.index("between") < page.index("alone")


def test_tables_can_have_a_caption_and_left_aligned_text() -> None:
    report = Report("t")
    report.table(["rank", "title"], [[1, "Toy Story (1995)"]], caption="top 1",
                 text_columns=[1])  # fmt: skip
    page = report.render()
    assert "<caption>top 1</caption>" in page
    assert '<td class="text">Toy Story (1995)</td>' in page
