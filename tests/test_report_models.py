"""``cortexkit report`` and :mod:`cortexkit.report.models`: what each family's model shows,
from a model file alone or with held-out data beside it."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from cortexkit import (
    RBM,
    ANNClassifier,
    AutoEncoder,
    CNNClassifier,
    RNNForecaster,
    SelfOrganizingMap,
)
from cortexkit.cli import run_captured
from cortexkit.plot import MIN_FONT_PT
from cortexkit.recommend.autorec import AutoRecRecommender
from cortexkit.recommend.synthetic import latent_factor_ratings
from cortexkit.report import Report, png_info
from cortexkit.report.models import ModelEntry, add_models, curve_key


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, digits) -> Path:
    """A folder of model files, one per family, and a file that is not one."""
    X, y = digits
    folder = tmp_path_factory.mktemp("run")
    ANNClassifier((8,), epochs=3, random_state=0).fit(X, y).save(folder / "ann.cortex")
    cnn = CNNClassifier((4,), convs_per_block=1, hidden_layers=(8,), epochs=1, augment=None,
                        random_state=0)  # fmt: skip
    cnn.fit(X.reshape(-1, 8, 8), y).save(folder / "cnn.cortex")
    RBM(16, epochs=2, random_state=0).fit(X).save(folder / "rbm.cortex")
    SelfOrganizingMap((4, 4), epochs=1, random_state=0).fit(X).save(folder / "som.cortex")
    series = np.sin(np.arange(200) / 5.0)
    RNNForecaster(lookback=10, hidden_layers=4, epochs=2, random_state=0).fit(series).save(
        folder / "rnn.cortex"
    )
    ratings = latent_factor_ratings(40, 30, density=0.4, random_state=0)
    AutoRecRecommender(epochs=2, random_state=0).fit(ratings).save(folder / "autorec.cortex")
    AutoEncoder((8, 2), epochs=2, random_state=0).fit(X).save(folder / "ae.cortex")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    return folder


def _figures(page: str) -> list[tuple[str, bytes]]:
    found = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page)
    return [(html.unescape(alt), base64.b64decode(data)) for alt, data in found]


def test_report_of_a_run_folder_shows_what_each_model_holds(run_dir: Path, tmp_path: Path):
    items = tmp_path / "u.item"
    items.write_text(
        "".join(f"{i}|Film number {i} (1999)|01-Jan-1999||0\n" for i in range(101, 131))
    )
    out = tmp_path / "report.html"
    result = run_captured("report", str(run_dir), "--out", str(out), "--items", str(items))
    assert result.code == 0, result.err
    assert f"report: {out}" in result.err
    page = out.read_text(encoding="utf-8")
    captions = [alt for alt, _ in _figures(page)]
    for name in ("ann", "cnn", "rbm", "som", "rnn", "autorec", "ae"):
        assert f"({name}.cortex)" in page  # every model file, the CSV passed over
    assert "notes.csv" not in page
    assert sum(c.endswith(" per epoch") for c in captions) == 7  # a curve each
    assert "CNNClassifier (cnn.cortex): the first convolution's filters" in captions
    assert "RBM (rbm.cortex): receptive fields (red +, blue -)" in captions
    assert any(c.startswith("SelfOrganizingMap (som.cortex): U-matrix") for c in captions)
    assert any(c.startswith("RNNForecaster (rnn.cortex): the forecast") for c in captions)
    assert "<th>title</th>" in page or '<th class="text">title</th>' in page
    assert "Film number" in page  # the top 10, with titles from --items
    # what a model file cannot show is named, not drawn
    assert "ANNClassifier (ann.cortex): the confusion matrix" in page
    assert "the hit map, class markers and most anomalous rows (need data)" in page
    assert "reconstructions and the most anomalous rows (need data)" in page
    for alt, png in _figures(page):
        info = png_info(png)
        assert info.min_font_pt is not None and info.min_font_pt >= MIN_FONT_PT, alt


def test_a_named_file_that_is_no_model_is_a_clear_error(run_dir: Path, tmp_path: Path):
    result = run_captured("report", str(run_dir / "notes.csv"), "--out", str(tmp_path / "r.html"))
    assert result.code == 2
    assert "notes.csv" in result.err and "not a usable cortexkit model file" in result.err
    assert not (tmp_path / "r.html").exists()


def test_a_missing_path_or_an_empty_folder_is_a_clear_error(tmp_path: Path):
    missing = run_captured("report", str(tmp_path / "nope"), "--out", str(tmp_path / "r.html"))
    assert missing.code == 2 and "no such file or folder" in missing.err
    empty = run_captured("report", str(tmp_path), "--out", str(tmp_path / "r.html"))
    assert empty.code == 2 and "no model files" in empty.err


def test_held_out_data_adds_the_confusion_matrix_reconstructions_and_outliers(digits):
    X, y = digits
    clf = ANNClassifier((8,), epochs=3, random_state=0).fit(X[:200], y[:200])
    images = X.reshape(-1, 8, 8)
    ae_img = AutoEncoder((8, 2), epochs=2, random_state=0).fit(images[:200])
    ae_rows = AutoEncoder((8, 2), epochs=2, random_state=0).fit(X[:200])
    som = SelfOrganizingMap((4, 4), epochs=1, random_state=0).fit(X[:200])
    entries = [
        ModelEntry(clf, "ann", X=X[200:], y=y[200:]),
        ModelEntry(ae_img, "ae images", X=images[200:]),
        ModelEntry(ae_rows, "ae rows", X=X[200:], y=y[200:]),
        ModelEntry(som, "som", X=X[200:], y=y[200:]),
    ]
    report = Report("t")
    add_models(report, entries, results=(["model", "score"], [["ann", "0.9"]]))
    page = report.render()
    captions = [alt for alt, _ in _figures(page)]
    assert "ann: confusion matrix of the held-out rows" in captions
    assert "ae images: held-out inputs and their reconstructions" in captions
    assert "som: hit map (samples won by each node)" in captions
    assert "ae rows: the 10 most anomalous of 100 held-out rows" in page
    assert "som: the 10 most anomalous of 100 held-out rows" in page
    assert "Not shown" not in page  # the data was there for everything
    assert page.index("<h2>Results") < page.index("<h2>Training curves")


def test_curve_key_prefers_the_loss_then_the_first_training_curve():
    assert curve_key({"errors": [3, 1], "loss": [1.0]}) == "loss"
    assert curve_key({"val_rmse": [1.0], "rmse": [1.2]}) == "rmse"
    assert curve_key({"rmse": [1.2], "loss": [1.0]}, "rmse") == "rmse"
    assert curve_key({"note": "x", "lr": []}) is None
