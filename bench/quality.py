"""The quality suite: every family on many data sets nobody tuned it to, beside its peer.

Usage: ``python bench/quality.py [SUITE] [--half choose|report|all] [SUITE OPTIONS]``,
where SUITE is one of ``forecast``, ``som``, ``anomaly``, ``boltzmann`` (all of them, on
the report half, when none is given). Each suite lives in ``bench/_quality_<suite>.py``
and documents its data sets, its peers, its candidates and how its defaults were chosen.

Defaults are chosen on the ``choose`` half of each suite and reported on the ``report``
half (``bench/_quality_common.py``: a data set's half is a hash of its name). The tables
are in ``bench/README.md`` (Quality on data nobody tuned to).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

SUITES = ("forecast", "som", "anomaly", "boltzmann")


def main(argv: list[str]) -> None:
    """Run one suite with its own options, or every suite on the report half."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    if argv and not argv[0].startswith("-"):
        suite, rest = argv[0], argv[1:]
        if suite not in SUITES:
            raise SystemExit(f"quality.py: unknown suite {suite!r}; choose from {SUITES}")
        importlib.import_module(f"_quality_{suite}").main(rest)
        return
    for suite in SUITES:
        print(f"== {suite}", flush=True)
        importlib.import_module(f"_quality_{suite}").main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
