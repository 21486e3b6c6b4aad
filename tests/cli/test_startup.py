"""The command line starts without the heavy libraries; the package loads its names lazily.

Each check runs in a fresh interpreter, where ``sys.modules`` starts empty: this test
process has long since imported torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["torch", "numpy", "pandas", "sklearn", "matplotlib", "safetensors", "tqdm"]
SRC = Path(__file__).resolve().parents[2] / "src"


def modules_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "from cortexkit.cli import build_parser; build_parser()",
        "import cortexkit, cortexkit.defaults, cortexkit.exceptions",
        "from cortexkit.cli import main\ntry:\n    main(['train', 'ann', '--help'])\n"
        "except SystemExit:\n    pass",
    ],
)
def test_parser_and_light_modules_import_nothing_heavy(code: str) -> None:
    assert modules_after(code) == []


def test_a_public_name_loads_its_module_on_first_use() -> None:
    assert "torch" in modules_after("from cortexkit import ANNClassifier")


def test_lazy_names_are_the_real_objects() -> None:
    import cortexkit
    from cortexkit.ann.estimator import ANNClassifier, ANNRegressor
    from cortexkit.ann.perceptron import Perceptron
    from cortexkit.persist import load

    assert cortexkit.ANNClassifier is ANNClassifier
    assert cortexkit.ANNRegressor is ANNRegressor
    assert cortexkit.Perceptron is Perceptron
    assert cortexkit.load is load
    assert set(cortexkit.__all__) <= set(dir(cortexkit))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cortexkit.nope  # noqa: B018


def test_reading_a_table_does_not_load_torch() -> None:
    assert "torch" not in modules_after("import cortexkit.data")
    assert "torch" in modules_after("from cortexkit.data import read_images")


def test_importing_cortexkit_first_shortens_the_openmp_spin() -> None:
    """``GOMP_SPINCOUNT`` is set before torch loads, unless the user set it (or imported
    torch first): with OpenMP's default spin a small fit on a busy 2-core machine took 12x
    longer."""
    import os
    import subprocess
    import sys

    code = "import cortexkit, os; print(os.environ.get('GOMP_SPINCOUNT'))"
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "10000", out.stderr
    mine = subprocess.run([sys.executable, "-c", code], env={**env, "GOMP_SPINCOUNT": "5"},
                          capture_output=True, text=True)  # fmt: skip
    assert mine.stdout.strip() == "5"
    late = subprocess.run([sys.executable, "-c", "import torch; " + code], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert late.stdout.strip() == "None"  # too late to matter: left alone
