"""What a trained model shows in a report, whichever family it comes from.

:class:`ModelEntry` holds an estimator and whatever the caller knows beside it (held-out
data, a forecast's actual values, item titles). :func:`add_models` puts into a
:class:`~cortexkit.report.Report`, for each entry, what applies to it:

- every model: its training curve (``history_``);
- a classifier: the confusion matrix of the held-out rows;
- a forecaster: the forecast with its interval after the series, against the actual values;
- a self-organising map: the U-matrix (with a marker per class) and the hit map;
- an RBM, DBN or DBM: the first layer's filters; a CNN: its first filters and one image's
  feature maps;
- an autoencoder: reconstructions of held-out images, or its most anomalous rows (a table,
  as for a self-organising map);
- a recommender: one user's top 10 (a table, with titles when known).

Whatever needs data the entry lacks (a model file alone holds no held-out rows) is left
out, and the report says what, in a note under the figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cortexkit.report.page import Report

__all__ = ["ModelEntry", "Table", "add_models", "curve_key", "model_figures", "model_tables"]

Figure = tuple[bytes, str]


@dataclass
class ModelEntry:
    """One trained model and what is known beside it.

    ``name`` heads its figures ("ANNClassifier on digits", or the model file's name).
    ``X``/``y`` are held-out inputs and labels (confusion matrix, U-matrix markers, hit
    map, feature maps, reconstructions, outliers); ``corrupted`` are the inputs a denoising
    autoencoder reconstructs (``X`` then being the clean ones). A forecaster's ``series``
    is the stretch before ``actual`` (default: the training series' tail the model keeps).
    A recommender's top 10 is for ``user`` (default: its first user), with ``titles``.
    ``figures`` are the caller's own, shown after the standard ones.
    """

    estimator: Any
    name: str
    curve: str | None = None
    X: Any = None
    y: Any = None
    corrupted: Any = None
    series: Any = None
    actual: Any = None
    user: Any = None
    titles: Mapping[Any, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Table:
    """A table for the report: its caption, header and rows."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    text_columns: tuple[int, ...] = ()


def curve_key(history: Mapping[str, Any], preferred: str | None = None) -> str | None:
    """The history key to draw: ``preferred`` when present, else ``"loss"``, else the
    first key of numbers that is not a validation curve.

    >>> curve_key({"val_rmse": [1.0], "rmse": [1.2]}), curve_key({}, "loss")
    ('rmse', None)
    """
    if preferred is not None and preferred in history:
        return preferred
    if "loss" in history:
        return "loss"
    for key, values in history.items():
        if key.startswith("val_") or isinstance(values, str | bytes):
            continue
        try:
            if np.asarray(values, dtype=float).ndim == 1 and len(values) > 0:
                return key
        except (TypeError, ValueError):
            continue
    return None


def curve_figure(entry: ModelEntry) -> Figure | None:
    """The entry's training curve, or None when it has no history."""
    from cortexkit.plot import history_png

    history = getattr(entry.estimator, "history_", None) or {}
    key = curve_key(history, entry.curve)
    if key is None:
        return None
    png = history_png(history, entry.name, key=key)
    return png, f"{entry.name}: {key} per epoch"


def _confusion(entry: ModelEntry) -> Figure:
    from sklearn.metrics import confusion_matrix

    from cortexkit.cnn.plots import confusion_png

    est = entry.estimator
    labels = list(est.classes_)
    matrix = confusion_matrix(np.asarray(entry.y), est.predict(entry.X), labels=labels)
    png = confusion_png(matrix, [str(c) for c in labels])
    return png, f"{entry.name}: confusion matrix of the held-out rows"


def _forecast(entry: ModelEntry) -> tuple[Figure, str | None]:
    from cortexkit.rnn.plots import forecast_png

    est = entry.estimator
    series = np.asarray(est._history(None) if entry.series is None else entry.series, float)
    actual = None if entry.actual is None else np.asarray(entry.actual, dtype=float)
    horizon = 20 if actual is None else min(len(actual), 50)
    forecast = est.predict(None if entry.series is None else series, horizon=horizon)
    interval = est.predict_interval(
        None if entry.series is None else series, horizon=horizon, coverage=0.9
    )
    shown = series[:, 0] if series.ndim == 2 else series  # the target comes first
    png = forecast_png(shown[-4 * horizon :], forecast, interval=interval, actual=actual,
                       title=f"{entry.name}: {horizon} steps ahead")  # fmt: skip
    caption = f"{entry.name}: the forecast after the series, with its 90% interval" + (
        ", against the actual values (dashed)" if actual is not None else ""
    )
    note = None if actual is not None else "the actual values after the series (not given)"
    return (png, caption), note


def model_figures(entry: ModelEntry) -> tuple[list[Figure], list[str]]:
    """The entry's figures, besides its curve, and what was left out for want of data."""
    from sklearn.base import is_classifier

    from cortexkit.autoencoder import AutoEncoder
    from cortexkit.boltzmann import DBN
    from cortexkit.cnn.estimator import CNNClassifier
    from cortexkit.rnn.forecaster import RNNForecaster
    from cortexkit.som import SelfOrganizingMap

    est, name = entry.estimator, entry.name
    figures: list[Figure] = []
    missing: list[str] = []
    has_data = entry.X is not None
    if is_classifier(est) and hasattr(est, "classes_"):
        if has_data and entry.y is not None:
            figures.append(_confusion(entry))
        else:
            missing.append("the confusion matrix (needs labelled held-out rows)")
    if isinstance(est, RNNForecaster):
        figure, note = _forecast(entry)
        figures.append(figure)
        missing += [note] if note else []
    if isinstance(est, SelfOrganizingMap):
        from cortexkit.som.plots import figure_png, hits_figure, umatrix_figure

        X, y = (entry.X, entry.y) if has_data else (None, None)
        u = umatrix_figure(est, X, y, title=f"{name}: U-matrix")
        figures.append((figure_png(u), f"{name}: U-matrix (light: borders between clusters)"))
        if has_data:
            hits = figure_png(hits_figure(est, entry.X, title=f"{name}: hit map"))
            figures.append((hits, f"{name}: hit map (samples won by each node)"))
        else:
            missing.append("the hit map, class markers and most anomalous rows (need data)")
    if isinstance(est, CNNClassifier):
        figures.append((est.plot_filters(), f"{name}: the first convolution's filters"))
        if has_data:
            maps = est.plot_feature_maps(np.asarray(entry.X)[0])
            figures.append((maps, f"{name}: a held-out image and its first block's feature maps"))
        else:
            missing.append("feature maps (need an image)")
    if hasattr(est, "plot_filters") and not isinstance(est, CNNClassifier):
        try:
            figures.append((est.plot_filters(n=36), f"{name}: receptive fields (red +, blue -)"))
        except ValueError as exc:
            missing.append(f"filters ({exc})")
    elif isinstance(est, DBN):
        from cortexkit.boltzmann.plots import filters_png

        try:
            png = filters_png(est.weights_[0], n=36, title="DBN filters (layer 1)")
            figures.append((png, f"{name}: layer 1's receptive fields (red +, blue -)"))
        except ValueError as exc:
            missing.append(f"filters ({exc})")
    if isinstance(est, AutoEncoder):
        if has_data and _images(entry.X):
            from cortexkit.autoencoder.plots import reconstructions_png

            given = entry.X if entry.corrupted is None else entry.corrupted
            png = reconstructions_png(entry.X, est.predict(given), corrupted=entry.corrupted,
                                      n=10)  # fmt: skip
            figures.append((png, f"{name}: held-out inputs and their reconstructions"))
        elif not has_data:
            missing.append("reconstructions and the most anomalous rows (need data)")
    figures += entry.figures
    return figures, missing


def _images(X: Any) -> bool:
    shape = np.shape(X)
    return len(shape) >= 3


def _outliers(entry: ModelEntry, k: int = 10) -> Table:
    scores = np.asarray(entry.estimator.anomaly_scores(entry.X), dtype=float)
    order = np.argsort(-scores, kind="stable")[:k]
    threshold = getattr(entry.estimator, "threshold_", None)
    header = ["rank", "row", "anomaly score"]
    if threshold is not None:
        header.append("above threshold_")
    if entry.y is not None:
        header.append("label")
    rows = []
    for rank, i in enumerate(order, start=1):
        row = [str(rank), str(int(i)), f"{scores[i]:.4g}"]
        if threshold is not None:
            row.append("yes" if scores[i] > threshold else "no")
        if entry.y is not None:
            row.append(str(np.asarray(entry.y)[i]))
        rows.append(row)
    caption = f"{entry.name}: the {len(rows)} most anomalous of {len(scores)} held-out rows"
    return Table(caption, header, rows, text_columns=(len(header) - 1,))


def _top_k(entry: ModelEntry, k: int = 10) -> Table:
    est = entry.estimator
    user = est.user_ids_[0] if entry.user is None else entry.user
    top = est.recommend(user, k=k)
    titled = bool(entry.titles)
    header = ["rank", "item"] + (["title"] if titled else []) + ["predicted rating"]
    rows = []
    for rank, (item, score) in enumerate(zip(top["item"], top["score"], strict=True), start=1):
        title = [entry.titles.get(item, "(no title)")] if titled else []
        rows.append([str(rank), str(item), *title, f"{score:.2f}"])
    caption = f"{entry.name}: the top {len(rows)} for user {user}" + (
        "" if titled else " (no item titles given)"
    )
    return Table(caption, header, rows, text_columns=(2,) if titled else ())


def model_tables(entry: ModelEntry) -> list[Table]:
    """The entry's tables: a recommender's top 10; the most anomalous held-out rows of an
    autoencoder or a self-organising map (``anomaly_scores``), when the rows are a table."""
    from cortexkit.autoencoder import AutoEncoder
    from cortexkit.recommend.base import RecommenderMixin
    from cortexkit.som import SelfOrganizingMap

    est = entry.estimator
    tables = []
    if isinstance(est, RecommenderMixin):
        tables.append(_top_k(entry))
    anomalies = isinstance(est, AutoEncoder | SelfOrganizingMap)
    if anomalies and entry.X is not None and not _images(entry.X):
        tables.append(_outliers(entry))
    return tables


def add_models(
    report: Report,
    entries: Sequence[ModelEntry],
    *,
    results: tuple[Sequence[str], Sequence[Sequence[str]]] | None = None,
) -> None:
    """Add the results table (``(header, rows)``, when given), then every entry's curve,
    figures and tables, with a note of what each leaves out for want of data."""
    if results is not None:
        report.heading("Results")
        report.table(list(results[0]), [list(r) for r in results[1]],
                     text_columns=range(4))  # fmt: skip
    curves = [c for c in (curve_figure(e) for e in entries) if c is not None]
    if curves:
        report.heading("Training curves")
        for png, caption in curves:
            report.figure(png, caption)
    made = [model_figures(e) for e in entries]
    figures = [f for fs, _ in made for f in fs]
    if figures:
        report.heading("Inside the models")
        for png, caption in figures:
            report.figure(png, caption)
    tables = [t for e in entries for t in model_tables(e)]
    if tables:
        report.heading("Tables")
        for t in tables:
            report.table(t.header, t.rows, caption=t.caption, text_columns=t.text_columns)
    notes = [f"{e.name}: {', '.join(m)}" for e, (_, m) in zip(entries, made, strict=True) if m]
    if notes:
        report.heading("Not shown")
        report.paragraph("What needs data beyond what was given (a model file holds no "
                         "held-out rows) is left out:", note=True)  # fmt: skip
        for line in notes:
            report.paragraph(line, note=True)
