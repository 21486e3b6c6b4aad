"""docs/cli.md is the parser's own help, and says so when it goes stale."""

from __future__ import annotations

from pathlib import Path

from cortexkit.cli import build_parser
from cortexkit.cli.reference import render_reference

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_docs_cli_md_matches_the_parser() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `make docs` (python -m cortexkit.cli.reference > docs/cli.md)"
    )


def test_every_command_and_family_has_a_section() -> None:
    text = render_reference()
    for family in ("ann", "perceptron", "cnn", "rnn", "som", "rbm", "dbn", "dbm", "autoencoder"):
        assert f"### cortexkit train {family}\n" in text
    for command in ("predict", "evaluate", "explain", "demo", "som", "recommend", "forecast"):
        assert f"## cortexkit {command}\n" in text


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = render_reference(build_parser())
    monkeypatch.setenv("COLUMNS", "250")
    assert render_reference() == narrow
