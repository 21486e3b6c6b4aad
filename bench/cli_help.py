"""How long ``cortexkit --help`` takes: the command line must answer before torch loads.

Each command runs ``--repeats`` times as a fresh process, interleaved with a bare
``python -c pass`` (the interpreter's own start-up), and the medians are reported in a
markdown table. The command is the installed ``cortexkit`` script next to this Python,
or ``python -m cortexkit.cli`` where there is none; ``PYTHONPATH`` is passed on, so the
table measures whichever cortexkit this interpreter imports.

Usage: ``python bench/cli_help.py [--repeats 10] [--out table.md]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["train", "--help"],
    ["train", "ann", "--help"],
]
GOAL_S = 0.3


def cortexkit_command() -> list[str]:
    """The installed script next to this interpreter, else ``python -m cortexkit.cli``."""
    script = Path(sys.executable).with_name("cortexkit")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cortexkit.cli"]


def seconds(argv: list[str]) -> float:
    """Wall time of one run of ``argv``, which must succeed."""
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def measure(repeats: int) -> list[tuple[str, float]]:
    """``(label, median seconds)`` for the baseline and each command."""
    base = cortexkit_command()
    runs: dict[str, list[float]] = {"python -c pass": []}
    runs.update({"cortexkit " + " ".join(args): [] for args in COMMANDS})
    for args in COMMANDS:  # warm the file cache once
        seconds([*base, *args])
    for _ in range(repeats):
        runs["python -c pass"].append(seconds([sys.executable, "-c", "pass"]))
        for args in COMMANDS:
            runs["cortexkit " + " ".join(args)].append(seconds([*base, *args]))
    return [(label, statistics.median(times)) for label, times in runs.items()]


def table(rows: list[tuple[str, float]]) -> str:
    """The markdown table: median, time above the bare interpreter, within the goal."""
    baseline = rows[0][1]
    lines = [
        "| command | median (s) | above `python -c pass` (s) | under 0.3 s |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, median in rows:
        ok = "" if label.startswith("python") else ("yes" if median < GOAL_S else "NO")
        lines.append(f"| `{label}` | {median:.3f} | {median - baseline:.3f} | {ok} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()
    text = table(measure(args.repeats))
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
