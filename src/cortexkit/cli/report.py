"""``cortexkit report RUN_DIR_OR_MODEL... [--out report.html] [--items FILE]``.

One self-contained HTML page for trained model files, the page ``cortexkit demo`` writes
(:mod:`cortexkit.report.models`): a table of the models, each one's training curve, and
what the model itself holds: a forecaster's forecast after its training series with the
interval, a map's U-matrix, an RBM's, DBN's, DBM's or CNN's filters, a recommender's top
10 for its first user (titles from ``--items``). What needs held-out data (a confusion
matrix, scores against a baseline, a hit map, reconstructions, feature maps) is not in a
model file, so the page lists it under "Not shown" instead.

A folder stands for the model files in it (not below it): every file that reads as one;
other files (data, reports) are passed over.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cortexkit.cli._args import Help, say
from cortexkit.cli._paths import check_output_file

__all__ = ["DESCRIPTION", "add_parser", "model_paths"]

DESCRIPTION = (
    "One self-contained HTML page for trained model files, the page `cortexkit demo` writes: "
    "a table of the models, each one's training curve, and what the model itself holds (a "
    "forecaster's forecast with its interval, a map's U-matrix, an RBM's, DBN's, DBM's or "
    "CNN's filters, a recommender's top 10 with titles from --items). What needs held-out "
    "data (a confusion matrix, scores against a baseline, a hit map, reconstructions, "
    "feature maps) is not in a model file: the page lists it under 'Not shown'. A folder "
    "stands for the model files in it (not below it); its other files are passed over."
)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``report``."""
    parser = sub.add_parser(
        "report",
        parents=[common],
        formatter_class=Help,
        help="an HTML report of trained model files (curves, filters, maps, top-k)",
        description=DESCRIPTION,
    )
    parser.add_argument("models", nargs="+", metavar="RUN_DIR_OR_MODEL",
                        help="model files, or folders holding them")  # fmt: skip
    parser.add_argument("--out", default="report.html", help="the HTML file to write")
    parser.add_argument("--items", help="u.item, movies.dat or movies.csv: a recommender's titles")
    parser.add_argument("--title", default="cortexkit report", help="the page's title")
    parser.set_defaults(run=run)


def model_paths(given: list[str]) -> list[tuple[Path, bool]]:
    """Each path given, or each file in a folder given: ``(path, named)``, where ``named``
    says the path was given itself (so it must be a model file).

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    """
    paths: list[tuple[Path, bool]] = []
    for text in given:
        path = Path(text)
        if path.is_dir():
            paths += [(p, False) for p in sorted(path.iterdir()) if p.is_file()]
        elif path.exists():
            paths.append((path, True))
        else:
            raise FileNotFoundError(f"RUN_DIR_OR_MODEL {text!r}: no such file or folder")
    return paths


def run(args: argparse.Namespace) -> int:
    """Read every model, then write the page."""
    from cortexkit.exceptions import ModelFileError
    from cortexkit.persist import read_model
    from cortexkit.recommend import read_titles
    from cortexkit.report import Report
    from cortexkit.report.models import ModelEntry, add_models, curve_key

    check_output_file(args.out, "--out", inputs={f"model {m}": m for m in args.models})
    titles = read_titles(args.items) if args.items else {}
    entries, rows = [], []
    for path, named in model_paths(args.models):
        try:
            model = read_model(path, device="cpu")
        except ModelFileError:
            if named:
                raise
            continue  # a folder's other files: data, reports
        est = model.estimator
        entries.append(ModelEntry(est, f"{type(est).__name__} ({path.name})", titles=titles))
        rows.append(_row(path, est, curve_key(getattr(est, "history_", None) or {})))
    if not entries:
        raise ValueError(f"RUN_DIR_OR_MODEL {' '.join(args.models)!r}: no model files in it")
    report = Report(args.title)
    report.paragraph(
        f"{len(entries)} model file(s). The curves are the training history each file "
        "holds; scores against a baseline need held-out data, which `cortexkit evaluate` "
        "or the family's own command gives."
    )
    header = ["model file", "model", "epochs", "curve", "last (training)", "best (validation)"]
    add_models(report, entries, results=(header, rows))
    report.write(args.out)
    say(args, f"report: {args.out}")
    return 0


def _row(path: Path, est: Any, key: str | None) -> list[str]:
    """The table row of one model: its file, class, epochs and its curve's last values."""
    history = getattr(est, "history_", None) or {}
    values = [] if key is None else list(history.get(key, []))
    valid = [] if key is None else list(history.get(f"val_{key}", []))
    epochs = str(getattr(est, "n_iter_", len(values)))
    last = f"{values[-1]:.4g}" if values else "-"
    best = f"{min(valid):.4g}" if valid else "-"
    return [path.name, type(est).__name__, epochs, key or "-", last, best]
