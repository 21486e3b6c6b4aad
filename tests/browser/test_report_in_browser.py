"""The demo's report in headless Chromium: every image decodes, nothing is logged as an
error, no text overflows its box, figure text is at least 9 pt as shown, and no row of
figures is half empty. A copy with one image broken on purpose fails the same check.

``make test-browser`` runs the quick demo, then these tests on its report
(``CORTEXKIT_REPORT``), saving a screenshot (``CORTEXKIT_SCREENSHOT``) as a CI artefact;
it sets ``CORTEXKIT_REQUIRE_BROWSER=1``, so that a missing Chromium fails instead of
skipping. Run alone, without Chromium, the tests skip; with it and no report given, they
run the quick demo themselves.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.browser.chromium import Chromium, find_chromium

REQUIRED = os.environ.get("CORTEXKIT_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        message = "no chromium on PATH (Debian: apt-get install -y chromium)"
        if REQUIRED:
            pytest.fail(f"CORTEXKIT_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    pytest.importorskip("websocket", reason="websocket-client (the dev extra) is missing")
    with Chromium(binary) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("CORTEXKIT_REPORT")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"CORTEXKIT_REPORT={given!r}: no such file", pytrace=False)
        return path
    from cortexkit.cli import main

    out = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["demo", "--quick", "--out", str(out)]) == 0
    return out / "report.html"


def test_the_demo_report_renders_cleanly(browser: Chromium, report: Path, tmp_path: Path) -> None:
    browser.open(report)
    check = browser.check()
    shot = Path(os.environ.get("CORTEXKIT_SCREENSHOT") or tmp_path / "report.png")
    browser.screenshot(shot)
    assert check.result["images"] >= 20  # the demo's figures, all in the page
    assert check.problems() == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_broken_image_fails_the_check(browser: Chromium, report: Path, tmp_path: Path) -> None:
    page = report.read_text(encoding="utf-8")
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert data is not None
    # the PNG's first bytes kept, its pixels cut off: the browser cannot decode it
    broken = page.replace(data.group(1), data.group(1)[:40], 1)
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    browser.open(path)
    problems = browser.check().problems()
    assert len([p for p in problems if p.startswith("image not decoded")]) == 1, problems
