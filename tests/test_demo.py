"""``cortexkit demo``: the table beats every baseline and the report holds every figure.

The quick demo runs once per module, through ``main``; its printed table is parsed by the
column widths its dashed rule gives.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
from pathlib import Path

import pytest

from cortexkit.cli import main
from cortexkit.demo import FAMILIES, HEADER, DemoResult, format_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# (data set, model) pairs the perceptron-and-ANN family must contribute.
EXPECTED = {
    ("diabetes", "ANNRegressor"),
    ("breast cancer", "Perceptron"),
    ("breast cancer", "ANNClassifier"),
    ("digits", "Perceptron"),
    ("digits", "ANNClassifier"),
}


def parse_table(text: str) -> list[dict[str, str]]:
    """The rows of :func:`format_table`'s output, cut at the columns its rule shows."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]+", line))
    spans = [m.span() for m in re.finditer(r"-+", lines[rule])]
    header = [lines[rule - 1][a:b].strip() for a, b in spans]
    rows = []
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        # The last column runs to the end of the line.
        cells = [line[a:b] for a, b in spans[:-1]] + [line[spans[-1][0] :]]
        rows.append(dict(zip(header, (c.strip() for c in cells), strict=True)))
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out_dir = tmp_path_factory.mktemp("demo") / "nested" / "out"  # created by the demo
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["demo", "--quick", "--out", str(out_dir)])
    return code, stdout.getvalue(), out_dir


def test_demo_exits_cleanly_and_names_the_report(demo) -> None:
    code, out, out_dir = demo
    assert code == 0
    assert out.rstrip().endswith(f"report: {out_dir / 'report.html'}")
    assert [p.name for p in out_dir.iterdir()] == ["report.html"]  # no temporary file left


def test_table_has_every_model_and_beats_every_baseline(demo) -> None:
    _, out, _ = demo
    rows = parse_table(out)
    assert list(rows[0]) == HEADER
    assert EXPECTED <= {(r["data set"], r["model"]) for r in rows}
    for row in rows:
        score, baseline = float(row["score"]), float(row["baseline"])
        assert float(row["seconds"]) >= 0
        if row["metric"].startswith("RMSE") or "lower is better" in row["metric"]:
            assert "lower is better" in row["metric"]
            assert score < baseline, row
        else:  # accuracy, ROC AUC: higher is better, at most 1
            assert 0 <= baseline < score <= 1, row


def test_table_tasks_match_the_data(demo) -> None:
    tasks = {r["data set"]: r["task"] for r in parse_table(demo[1])}
    assert tasks["diabetes"] == "continuous"
    assert tasks["breast cancer"] == "binary"
    assert tasks["digits"] == "categorical (10)"


def test_report_has_the_table_and_one_figure_per_model(demo) -> None:
    _, out, out_dir = demo
    rows = parse_table(out)
    page = (out_dir / "report.html").read_text()
    assert page.startswith("<!doctype html>")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    curves = [c for c in captions if c.endswith(" per epoch")]
    assert len(curves) == len(rows)  # one training curve per model
    assert page.count("<img") == len(captions)  # then the families' own figures
    results = page[page.index("<h2>Results") : page.index("</table>")]
    assert results.count("<tr>") == len(rows) + 1  # header row + one per model
    for row in rows:
        caption = f"{row['model']} on {row['data set']}"
        assert f"<figcaption>{caption}: " in page
        assert f"<td>{row['score']}</td>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(captions)
    assert all(base64.b64decode(data)[:8] == PNG_SIGNATURE for data in images)


def test_perceptron_curves_count_mistakes(demo) -> None:
    page = (demo[2] / "report.html").read_text()
    assert "Perceptron on digits: errors per epoch" in page
    assert "ANNRegressor on diabetes: loss per epoch" in page


def test_every_family_is_a_callable_of_quick() -> None:
    assert FAMILIES
    assert all(callable(family) for family in FAMILIES)


def test_format_table_aligns_columns() -> None:
    text = format_table(["a", "long header"], [["wide cell", "1"], ["x", "22"]])
    lines = text.splitlines()
    assert lines[1] == "---------  -----------"
    assert lines[2].index("1") == lines[0].index("long header")
    assert parse_table(text) == [
        {"a": "wide cell", "long header": "1"},
        {"a": "x", "long header": "22"},
    ]


def test_demo_result_row_formats_numbers() -> None:
    result = DemoResult("d", "binary", "M", "accuracy", 0.912345, 0.5, 1.23456)
    assert result.row() == ["d", "binary", "M", "accuracy", "0.9123", "0.5000", "1.23"]
    assert len(result.row()) == len(HEADER)


def test_the_cnn_learns_digits_and_shows_its_filters_and_feature_maps(demo) -> None:
    _, out, out_dir = demo
    row = next(r for r in parse_table(out) if r["model"] == "CNNClassifier")
    assert float(row["score"]) > 0.9 > float(row["baseline"])
    page = html.unescape((out_dir / "report.html").read_text())
    assert "CNNClassifier on digits 8x8: the first convolution's filters</figcaption>" in page
    assert "CNNClassifier on digits 8x8: a held-out image and its first block's feature" in page
    assert "CNNClassifier on digits 8x8: confusion matrix of the held-out rows" in page


def test_tables_are_html_tables_not_pictures(demo) -> None:
    page = html.unescape((demo[2] / "report.html").read_text())
    for model in ("AutoRecRecommender", "BoltzmannRecommender"):
        assert re.search(rf"<caption>{model} on [^<]*: the top 10 for user", page)
    assert "<caption>AutoEncoder on breast cancer (anomaly): the 10 most anomalous" in page
    assert "<caption>SelfOrganizingMap on digits: the 10 most anomalous" in page
    assert page.count("<table>") == 5  # results, two top-10 lists, two outlier lists
