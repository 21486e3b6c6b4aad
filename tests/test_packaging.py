"""The benchmark peers live in the optional ``bench`` extra, never in the runtime dependencies."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# The libraries bench/ compares against or measures with, now or in the families to come.
BENCH_ONLY = {
    "threadpoolctl",
    "keras",
    "surprise",
    "scikit-surprise",
    "minisom",
    "somoclu",
    "statsmodels",
    "tensorflow",
    "recbole",
}
# Peers the Makefile's bench target builds from source itself (it says how), not the extra.
BUILT_BY_MAKE = {"somoclu"}
# Import names whose distribution is named otherwise, for peers that may not be installed.
_DISTRIBUTION_OF = {"sklearn": "scikit-learn", "surprise": "scikit-surprise"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unparsable requirement {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _project() -> dict:
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _distribution(module: str) -> str:
    installed = packages_distributions().get(module)
    return _name(installed[0] if installed else _DISTRIBUTION_OF.get(module, module))


def test_runtime_dependencies_pull_no_benchmark_peer() -> None:
    runtime = {_name(r) for r in _project()["dependencies"]}
    assert runtime, "pyproject.toml lists no runtime dependencies"
    assert not runtime & BENCH_ONLY, f"benchmark peers in the runtime: {runtime & BENCH_ONLY}"


def test_bench_extra_holds_what_the_bench_scripts_import() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    assert "bench" in extras, "pyproject.toml has no optional `bench` extra"
    bench = {_name(r) for r in extras["bench"]}
    runtime = {_name(r) for r in project["dependencies"]}
    scripts = sorted((REPO_ROOT / "bench").glob("*.py"))
    assert scripts, "no bench/*.py script found"
    local = {p.stem for p in scripts}  # a script may import a helper next to it
    for script in scripts:
        third_party = _top_level_imports(script) - set(sys.stdlib_module_names) - local
        needed = {_distribution(m) for m in third_party if m != "cortexkit"}
        missing = needed - runtime - bench - BUILT_BY_MAKE
        assert not missing, f"{script.name} imports {sorted(missing)}: add them to the bench extra"


def test_the_makefile_builds_what_the_extra_leaves_out() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    for name in BUILT_BY_MAKE:
        assert f"--no-binary {name} {name}" in makefile, f"make bench does not build {name}"


def test_distribution_names_are_resolved_for_the_peers() -> None:
    # guards the mapping the test above relies on, installed or not
    assert _distribution("sklearn") == "scikit-learn"
    assert _distribution("surprise") == "scikit-surprise"
    assert _name("threadpoolctl>=3") == "threadpoolctl"
    assert _name("Scikit_Learn >= 1.6") == "scikit-learn"
