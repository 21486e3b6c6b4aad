"""``cortexkit som`` and ``cortexkit train som``: one set of flags, the outlier list, the
U-matrix file, ``predict`` on a SOM model, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cortexkit import load
from cortexkit.cli import run_captured


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two groups of applications, an ID, a text column, a label, and three odd rows."""
    rng = np.random.default_rng(0)
    n = 200
    group = rng.integers(0, 2, n)
    df = pd.DataFrame({
        "ID": np.arange(1000, 1000 + n),
        "income": rng.normal(50 + 30 * group, 5, n),
        "age": rng.normal(30 + 20 * group, 3, n),
        "city": np.where(group == 1, "north", "south"),
        "Class": group,
    })  # fmt: skip
    df.loc[[7, 70, 150], ["income", "age"]] = [[400.0, -50.0], [-300.0, 200.0], [500.0, 300.0]]
    df.loc[[7, 70, 150], "Class"] = 1
    path = tmp_path_factory.mktemp("som-cli") / "applications.csv"
    df.to_csv(path, index=False)
    return path


def _som(*args: str) -> list[str]:
    return ["--id-column", "ID", "--label-column", "Class", "--grid", "5x5", *args]


@pytest.mark.parametrize("command", [["som"], ["train", "som"]])
def test_the_outliers_are_listed_with_their_scores(table, tmp_path, command) -> None:
    model, plot = tmp_path / "m.cortex", tmp_path / "u.png"
    result = run_captured(*command, str(table), *_som("--epochs", "5", "--outliers", "3",
                          "--plot", str(plot), "--out", str(model)))  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "quantization error" in lines[0] and "topographic error" in lines[0]
    header = lines[2].split()
    assert header == ["rank", "row", "ID", "Class", "node", "quantization_error", "umatrix"]
    ids = sorted(int(line.split()[2]) for line in lines[3:6])
    assert ids == [1007, 1070, 1150]  # the three odd rows, by their IDs
    assert lines[6] == "among them: Class=1: 3 (100%)"
    assert plot.read_bytes()[:4] == b"\x89PNG"
    som = load(model)
    assert som.grid == (5, 5) and som.n_features_in_ == 4  # income, age, city one-hot x2


def test_predict_writes_node_coordinates_and_scores(table, tmp_path) -> None:
    model, out = tmp_path / "m.cortex", tmp_path / "p.csv"
    assert run_captured("--quiet", "som", str(table), *_som("--out", str(model))).code == 0
    result = run_captured("predict", str(model), str(table), "--out", str(out))
    assert result.code == 0, result.err
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["ID", "node", "row", "col", "quantization_error", "umatrix"]
    assert len(rows) == 200 and (rows["node"] == rows["row"] * 5 + rows["col"]).all()
    assert rows.nlargest(3, "quantization_error")["ID"].sort_values().tolist() == [
        1007, 1070, 1150,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label-column", "Approved"], "--label-column 'Approved': no such column"),
        (["--grid", "0x5"], "expected ROWSxCOLS with two positive integers"),
        (["--sigma", "0"], "sigma must be a float in (0, inf)"),
        (["--learning-rate", "0"], "learning_rate must be a float in (0, inf)"),
        (["--outliers", "500"], "--outliers 500 asks for more outliers than"),
        (["--columns", "income,height"], "--columns 'height': no such column"),
    ],
)
def test_bad_input_is_one_clear_line(table, tmp_path, args, message) -> None:
    result = run_captured("som", str(table), "--out", str(tmp_path / "m.cortex"), *args)
    assert result.code == 2
    assert result.err.startswith("cortexkit: error:") and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "m.cortex").exists()


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_missing_and_infinite_values_are_refused(tmp_path, bad) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"a,b\n1,2\n3,{bad}\n5,6\n")
    result = run_captured("som", str(path), "--grid", "2x2", "--out", str(tmp_path / "m.cortex"))
    assert result.code == 2 and "'b'" in result.err


def test_one_row_is_refused(tmp_path) -> None:
    """A one-row table is refused: one row has no spread to lay a map out on."""
    from cortexkit import SelfOrganizingMap

    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    result = run_captured("som", str(path), "--grid", "2x2", "--out", str(tmp_path / "m.cortex"))
    assert result.code == 2 and "2 rows at least" in result.err
    assert len(result.err.strip().splitlines()) == 1 and not (tmp_path / "m.cortex").exists()
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        SelfOrganizingMap((2, 2)).fit([[1.0, 2.0]])


@pytest.mark.slow
def test_fraud_candidates_among_credit_card_applications(tmp_path) -> None:
    from tests.conftest import shared_data_path

    data = shared_data_path("credit-card-applications", "Credit_Card_Applications.csv")
    result = run_captured("som", str(data), "--id-column", "CustomerID", "--label-column",
                          "Class", "--grid", "10x10", "--outliers", "20", "--outlier-score",
                          "umatrix", "--out", str(tmp_path / "cc.cortex"))  # fmt: skip
    assert result.code == 0, result.err
    share = result.out.splitlines()[-1]
    assert share.startswith("among them: ") and "Class=1" in share
    approved = int(share.split("Class=1: ")[1].split()[0])
    assert approved / 20 > 0.445  # more than the file's share of approvals (307 of 690)


def test_predict_on_a_table_without_the_features_names_its_columns(tmp_path) -> None:
    """It said "got columns []": the reader had kept only the wanted columns."""
    (tmp_path / "t.csv").write_text("x,y\n1,2\n3,4\n5,7\n")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    model = tmp_path / "m.cortex"
    trained = run_captured("som", str(tmp_path / "t.csv"), "--grid", "2x2", "--out", str(model))
    # the default passes present 15 rows per node: 15 x 4 nodes / 3 rows = 20 epochs
    assert trained.code == 0 and "(20 epochs)" in trained.out + trained.err
    result = run_captured("predict", str(model), str(tmp_path / "other.csv"))
    assert result.code == 2 and "got columns ['a', 'b']" in result.err, result.err


def test_plot_is_checked_before_training(table, tmp_path, monkeypatch) -> None:
    """An unwritable --plot folder, or a --plot over the data, is refused before the map
    is trained and saved; the message names the path given, never a temporary file."""
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access  # root ignores a folder's mode: say what the kernel would
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    model, plot = tmp_path / "m.cortex", locked / "u.png"
    result = run_captured("som", str(table), *_som("--plot", str(plot), "--out", str(model)))
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert f"--plot {str(plot)!r}: folder {str(locked)!r} is not writable" in result.err
    assert ".tmp" not in result.err and not model.exists() and not plot.exists()
    before = table.read_bytes()
    result = run_captured("som", str(table), *_som("--plot", str(table), "--out", str(model)))
    assert result.code == 2 and "--plot" in result.err and not model.exists()
    assert table.read_bytes() == before


def test_a_grid_too_big_for_memory_is_one_line(table, tmp_path, monkeypatch) -> None:
    import cortexkit.io.memory

    monkeypatch.setattr(cortexkit.io.memory, "available_memory", lambda: 2**20)
    out = tmp_path / "m.cortex"
    result = run_captured("som", str(table), "--grid", "3000x3000", "--out", str(out))
    errors = [line for line in result.err.splitlines() if line.startswith("cortexkit: error:")]
    assert result.code == 2 and len(errors) == 1
    assert "grid=(3000, 3000)" in errors[0] and "GiB of memory" in result.err
    assert not out.exists()
