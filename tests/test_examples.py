"""Every example in the README and in docs/ runs as written.

A fenced block marked ``python`` runs as a script of its own; a block marked ``console``
runs each ``$ `` line in bash (a line ending in ``\\`` continues on the next; the other
lines are the output the reader sees, and are not compared); ``sh`` or ``bash`` blocks run
whole. Blocks without a language (synopses, output) are text. The blocks of one file run in
order, in one fresh folder beside a link to ``../shared``, so that an example's paths are the
paths a reader types in a clone of cortexkit: ``../shared/data/...``, and the files an earlier
block wrote. A block that reads ``../shared`` is skipped when the data is absent. A block
right after ``<!-- examples: skip (reason) -->`` is not run: the reason says why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"python", "console", "sh", "bash"}
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"<!--\s*examples:\s*skip\b")
TIMEOUT_S = 600


@dataclass(frozen=True)
class Block:
    """One fenced example: its language, its text and the line its fence opens on."""

    language: str
    text: str
    line: int
    skipped: bool


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a markdown file, in order."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        skipped = start > 0 and bool(SKIP.search(lines[start - 1]))
        found.append(Block(match.group(1), "\n".join(body) + "\n", start + 1, skipped))
        i += 1
    return found


def console_commands(text: str) -> str:
    """The ``$ `` lines of a console block, continuations joined, as one bash script."""
    commands, current = [], ""
    for line in text.splitlines():
        if current:
            current += "\n" + line
        elif line.startswith("$ "):
            current = line[2:]
        if current and not current.endswith("\\"):
            commands.append(current)
            current = ""
    return "\n".join(commands) + "\n"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _run(block: Block, cwd: Path, where: str) -> None:
    if block.language == "python":
        argv = [sys.executable, "-c", block.text]
    else:
        script = console_commands(block.text) if block.language == "console" else block.text
        argv = ["bash", "-euo", "pipefail", "-c", script]
    done = subprocess.run(
        argv, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, (
        f"{where} failed (exit {done.returncode}):\n{block.text}\n"
        f"--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
    )


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_parser_reads_fences_and_prompts() -> None:
    text = "$ cortexkit train ann a.csv \\\n    --out m.cortex\ntrained\n$ echo hi\nhi\n"
    assert console_commands(text) == "cortexkit train ann a.csv \\\n    --out m.cortex\necho hi\n"


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_examples_run_as_written(path: Path, tmp_path: Path) -> None:
    runnable = [b for b in blocks(path) if b.language in RUNNABLE and not b.skipped]
    if not runnable:
        pytest.skip(f"{_ids(path)} has no runnable examples")
    work = tmp_path / "cortexkit"
    work.mkdir()
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED)
    ran = 0
    for block in runnable:
        if "../shared" in block.text and not SHARED.is_dir():
            continue
        _run(block, work, f"{_ids(path)}:{block.line}")
        ran += 1
    if not ran:
        pytest.skip("every example here reads ../shared, which is absent")
