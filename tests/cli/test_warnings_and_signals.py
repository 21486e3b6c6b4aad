"""A warning is one plain line; SIGTERM during a save leaves no temporary file behind;
``cortexkit demo`` lets ``DivergenceWarning`` through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import cortexkit.demo
from cortexkit.cli import main
from cortexkit.exceptions import DivergenceWarning

SRC = Path(__file__).resolve().parents[2] / "src"


def python(script: str, *argv: str) -> subprocess.Popen[str]:
    """A fresh interpreter running ``script`` with this worktree's sources first."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *argv],
        env={**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": ""},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


# The explain command, replaced by one that warns: no torch needed, so the process is quick.
WARNING_SCRIPT = """
    import sys, types, warnings
    fake = types.ModuleType("cortexkit.explain")
    def explain(**kwargs):
        warnings.warn("the loss went up\\n  at epoch 3", UserWarning)
    fake.explain = explain
    sys.modules["cortexkit.explain"] = fake
    from cortexkit.cli import main
    before = warnings.formatwarning
    code = main(["explain"])
    print(warnings.formatwarning is before)
    sys.exit(code)
"""


def test_a_warning_is_one_plain_line_and_the_formatter_is_restored() -> None:
    out, err = python(WARNING_SCRIPT).communicate(timeout=120)
    assert err == "cortexkit: warning: the loss went up at epoch 3\n"
    assert out == "True\n"


# predict --out, with the save's fsync slowed down: the parent sends SIGTERM meanwhile.
SIGTERM_SCRIPT = """
    import os, sys, time
    real_fsync = os.fsync
    def slow_fsync(fd):
        print("saving", flush=True)
        time.sleep(60)
        real_fsync(fd)
    os.fsync = slow_fsync
    from cortexkit.cli import main
    sys.exit(main(["predict", sys.argv[1], sys.argv[2], "--out", sys.argv[3]]))
"""


def test_sigterm_during_a_save_removes_the_temporary_file(small, tmp_path) -> None:
    out = tmp_path / "predictions.csv"
    proc = python(SIGTERM_SCRIPT, str(small["label"]), str(small["data"]), str(out))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "saving\n", proc.stderr.read() if proc.stderr else ""
        assert [p.suffix for p in tmp_path.iterdir()] == [".tmp"]  # mid-save, as intended
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143
    assert err.splitlines()[-1] == "cortexkit: terminated"
    assert list(tmp_path.iterdir()) == []  # neither the temporary file nor a partial output


def test_the_sigterm_handler_is_restored_after_the_command(cli_run) -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert cli_run("explain", "--steps", "1").code == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_demo_lets_divergence_warnings_through(monkeypatch, tmp_path, capsys) -> None:
    def diverging(quick: bool) -> list:
        warnings.warn("the loss became NaN at epoch 4", DivergenceWarning, stacklevel=1)
        return []

    monkeypatch.setattr(cortexkit.demo, "FAMILIES", [diverging])
    with pytest.warns(DivergenceWarning, match="NaN at epoch 4"):
        assert main(["demo", "--quick", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "report.html").is_file()
