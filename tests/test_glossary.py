"""docs/glossary.md holds the one name of every shared concept; the code is held to it.

Every public estimator's parameters and every ``train`` subcommand's flags (and
``recommend train``'s) are walked: none may use a name the glossary lists under "Not
called", and a flag that sets an estimator parameter is that parameter's name with dashes.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from cortexkit.cli import build_parser
from cortexkit.persist import public_estimators

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"


def _rows() -> list[dict[str, str]]:
    lines = [ln for ln in GLOSSARY.read_text().splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, [c.strip() for c in ln.strip("|").split("|")], strict=True))
        for ln in lines[2:]
    ]


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


ROWS = _rows()
SYNONYMS = {n: _names(row["Parameter"])[0] for row in ROWS for n in _names(row["Not called"])}
ESTIMATORS = public_estimators()
PARAMS = {name for cls in ESTIMATORS.values() for name in cls().get_params(deep=False)}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _train_parsers() -> dict[str, argparse.ArgumentParser]:
    top = _subparsers(build_parser())
    found = {f"train {k}": p for k, p in _subparsers(top["train"]).items()}
    found["recommend train"] = _subparsers(top["recommend"])["train"]
    return found


TRAIN = _train_parsers()


def test_the_glossary_names_real_parameters() -> None:
    assert len(ROWS) >= 10
    for row in ROWS:
        name = _names(row["Parameter"])[0]
        if name.endswith(")"):  # a method, e.g. anomaly_scores(X)
            method = name.split("(")[0]
            assert sum(hasattr(c, method) for c in ESTIMATORS.values()) >= 2, name
        else:
            users = [n for n, c in ESTIMATORS.items() if name in c().get_params(deep=False)]
            assert len(users) >= 2, f"{name} is shared by fewer than two estimators: {users}"


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_no_estimator_uses_a_synonym(name: str) -> None:
    params = ESTIMATORS[name]().get_params(deep=False)
    used = {p: SYNONYMS[p] for p in params if p in SYNONYMS}
    assert used == {}, f"{name} uses synonyms (glossary name in the value): {used}"
    methods = {m: SYNONYMS[m] for m in dir(ESTIMATORS[name]) if m in SYNONYMS}
    assert methods == {}, f"{name} has methods named as synonyms: {methods}"


@pytest.mark.parametrize("command", sorted(TRAIN))
def test_train_flags_are_the_parameter_names(command: str) -> None:
    bad = []
    for action in TRAIN[command]._actions:
        for flag in action.option_strings:
            bare = flag.lstrip("-").replace("-", "_")
            if bare in SYNONYMS:
                bad.append(f"{flag} (say --{SYNONYMS[bare].replace('_', '-')})")
            elif action.dest in PARAMS and flag.startswith("--"):
                expected = "--" + action.dest.replace("_", "-")
                if flag not in (expected, "--no-" + expected[2:]):  # --no-X turns X off
                    bad.append(f"{flag} sets {action.dest} (say {expected})")
    assert bad == [], f"cortexkit {command}: " + "; ".join(bad)


def test_the_check_catches_a_synonym() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", dest="hidden_layers")
    flags = [f for a in parser._actions for f in a.option_strings]
    assert "--layers" in flags and "layers" in SYNONYMS
