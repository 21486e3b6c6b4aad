"""Tests for cortexkit.data.tables: reading CSVs, splitting the target, encoding tables."""

from __future__ import annotations

import doctest
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cortexkit.data import TableEncoder, frames, read_table, split_target
from cortexkit.data import tables as tables_module
from cortexkit.exceptions import ModelFileError, UnseenCategoryWarning

# tests/data/test_tables.py -> parents[2] is the repository root; shared/ sits beside it.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
CHURN = SHARED_DATA / "churn-modelling" / "Churn_Modelling.csv"
GOOGLE = SHARED_DATA / "google-stock-price" / "Google_Stock_Price_Train.csv"


def _needs(path: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not path.is_file(), reason=f"shared data not found: {path}")


def _write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def train() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Age": [30, 40, 50, 60],
            "Geography": ["Spain", "France", "Spain", "Germany"],
            "Balance": [0.0, 10.0, 20.0, 50.0],
            "Gender": ["Male", "Female", "Female", "Male"],
        }
    )


# -- real data ----------------------------------------------------------------------------


@_needs(CHURN)
def test_churn_reads_splits_and_encodes_like_sklearn() -> None:
    df = read_table(CHURN, drop="RowNumber, CustomerId,Surname")
    X, y = split_target(df, "Exited")
    assert X.shape == (10_000, 10)
    assert "Exited" not in X and y.name == "Exited" and set(y.unique()) == {0, 1}

    encoder = TableEncoder()
    Z = encoder.fit_transform(X)
    names = encoder.get_feature_names_out().tolist()
    numeric = [c for c in X.columns if c not in ("Geography", "Gender")]
    assert names == [
        *numeric,
        "Geography=France",
        "Geography=Germany",
        "Geography=Spain",
        "Gender=Female",
        "Gender=Male",
    ]
    assert Z.shape == (10_000, 13) and Z.dtype == np.float32

    # Oracle: scikit-learn's StandardScaler and OneHotEncoder on the same columns.
    expected_num = StandardScaler().fit_transform(X[numeric].to_numpy(np.float64))
    np.testing.assert_allclose(Z[:, : len(numeric)], expected_num, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(Z[:, : len(numeric)].mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(Z[:, : len(numeric)].std(axis=0), 1.0, atol=1e-4)
    expected_hot = OneHotEncoder().fit_transform(X[["Geography", "Gender"]]).toarray()
    np.testing.assert_array_equal(Z[:, len(numeric) :], expected_hot)
    np.testing.assert_array_equal(Z[:, names.index("Geography=France")], X["Geography"] == "France")
    np.testing.assert_array_equal(Z[:, len(numeric) : len(numeric) + 3].sum(axis=1), 1.0)


@_needs(GOOGLE)
def test_google_volume_and_close_with_thousands_separators_become_numbers() -> None:
    df = read_table(GOOGLE)
    assert list(df.columns) == ["Date", "Open", "High", "Low", "Close", "Volume"]
    assert df["Volume"].dtype == np.int64
    assert df["Volume"].iloc[0] == 7_380_500
    assert pd.api.types.is_float_dtype(df["Close"])
    assert df["Close"].max() > 1000  # "1,008.64" parsed as 1008.64, not dropped or truncated
    assert (df["Close"] == 1008.64).any()
    assert not pd.api.types.is_numeric_dtype(df["Date"])


# -- read_table ---------------------------------------------------------------------------


def test_read_table_strips_names_and_converts_grouped_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, ' id , price,volume ,city\n1,1.5,"1,200",Oslo\n2,2.5,"13,400",Rome\n')
    df = read_table(path, drop=["id"])
    assert list(df.columns) == ["price", "volume", "city"]
    assert df["volume"].tolist() == [1200, 13400]
    assert df["volume"].dtype == np.int64
    assert df["city"].tolist() == ["Oslo", "Rome"]


def test_read_table_keeps_blank_cells_as_missing_in_numeric_column(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path, 'a,b\n1,"1,000"\n2,\n3,"2,000"\n'))
    assert df["b"].iloc[0] == 1000.0 and np.isnan(df["b"].iloc[1]) and df["b"].iloc[2] == 2000.0


def test_read_table_leaves_text_columns_alone(tmp_path: Path) -> None:
    # Mostly text with one number: a string column, not an error.
    df = read_table(_write(tmp_path, "name\nann\nbob\n7\ncid\n"))
    assert df["name"].tolist() == ["ann", "bob", "7", "cid"]


def test_read_table_string_in_numeric_column_names_column_row_and_value(tmp_path: Path) -> None:
    text = "price\n" + "\n".join(["1.5"] * 12 + ["oops"] + ['"2,500"'] * 7) + "\n"
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match="a string in a numeric column") as info:
        read_table(path)
    message = str(info.value)
    assert "'price'" in message and "data row 13" in message and "'oops'" in message


def test_read_table_unknown_drop_lists_available_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"cannot drop \['c'\].*\['a', 'b'\]"):
        read_table(path, drop="a,c")


def test_read_table_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        read_table(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "is empty"), ("a,b\n", "no data rows")],
    ids=["empty", "header-only"],
)
def test_read_table_without_rows_is_an_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        read_table(_write(tmp_path, text))


# -- split_target -------------------------------------------------------------------------


def test_split_target_unknown_column_lists_columns(train: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"'Exited'.*\['Age', 'Geography', 'Balance', 'Gender'\]"):
        split_target(train, "Exited")


def test_split_target_refuses_missing_target_values(train: pd.DataFrame) -> None:
    train["y"] = [1.0, np.nan, 0.0, np.nan]
    with pytest.raises(ValueError, match="2 missing"):
        split_target(train, "y")


# -- TableEncoder -------------------------------------------------------------------------


def test_encoder_order_and_values(train: pd.DataFrame) -> None:
    encoder = TableEncoder().fit(train)
    assert encoder.get_feature_names_out().tolist() == [
        "Age",
        "Balance",
        "Geography=France",
        "Geography=Germany",
        "Geography=Spain",
        "Gender=Female",
        "Gender=Male",
    ]
    Z = encoder.transform(train)
    age = (train["Age"] - train["Age"].mean()) / train["Age"].std(ddof=0)
    np.testing.assert_allclose(Z[:, 0], age, rtol=1e-6)
    np.testing.assert_array_equal(Z[:, 2:5], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert encoder.n_features_in_ == 4
    assert encoder.stds_["Age"] == pytest.approx(np.sqrt(125.0))  # population std of 30..60


def test_encoder_constant_column_divides_by_one() -> None:
    encoder = TableEncoder().fit(pd.DataFrame({"c": [3.0, 3.0, 3.0]}))
    assert encoder.stds_["c"] == 1.0
    np.testing.assert_array_equal(encoder.transform(pd.DataFrame({"c": [3.0, 5.0]})), [[0], [2]])


def test_encoder_ignores_extra_columns_and_column_order(train: pd.DataFrame) -> None:
    encoder = TableEncoder().fit(train)
    shuffled = train[["Gender", "Balance", "Geography", "Age"]].assign(extra=1)
    np.testing.assert_array_equal(encoder.transform(shuffled), encoder.transform(train))


def test_encoder_unseen_category_warns_once_per_column_and_encodes_zeros(
    train: pd.DataFrame,
) -> None:
    encoder = TableEncoder().fit(train)
    test = train.copy()
    test["Geography"] = ["Italy", "France", "Peru", "Italy"]
    with pytest.warns(UnseenCategoryWarning) as record:
        Z = encoder.transform(test)
    assert len(record) == 1
    message = str(record[0].message)
    assert "'Geography'" in message and "Italy" in message and "Peru" in message
    np.testing.assert_array_equal(Z[:, 2:5], [[0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(Z[:, 5:], encoder.transform(train)[:, 5:])


def test_encoder_seen_categories_do_not_warn(train: pd.DataFrame) -> None:
    encoder = TableEncoder().fit(train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder.transform(train.iloc[:2])


def test_encoder_missing_column_is_named(train: pd.DataFrame) -> None:
    encoder = TableEncoder().fit(train)
    with pytest.raises(ValueError, match=r"\['Gender'\].*missing"):
        encoder.transform(train.drop(columns="Gender"))


def test_encoder_refuses_nan_naming_column_and_count(train: pd.DataFrame) -> None:
    train["Balance"] = [np.nan, 1.0, np.nan, 2.0]
    with pytest.raises(ValueError, match="'Balance' has 2 missing"):
        TableEncoder().fit(train)


def test_encoder_refuses_text_where_fit_saw_numbers(train: pd.DataFrame) -> None:
    encoder = TableEncoder().fit(train)
    with pytest.raises(ValueError, match="'Age' was numeric"):
        encoder.transform(train.assign(Age=["a", "b", "c", "d"]))


@pytest.mark.parametrize("bad", [np.zeros((2, 2)), [[1, 2]], None])
def test_encoder_accepts_only_dataframes(bad: object, train: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="pandas DataFrame"):
        TableEncoder().fit(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pandas DataFrame"):
        TableEncoder().fit(train).transform(bad)  # type: ignore[arg-type]


def test_encoder_bool_and_category_columns_are_one_hot() -> None:
    df = pd.DataFrame({"flag": [True, False, True], "size": pd.Categorical(["S", "L", "S"])})
    encoder = TableEncoder().fit(df)
    assert encoder.get_feature_names_out().tolist() == [
        "flag=False",
        "flag=True",
        "size=L",
        "size=S",
    ]
    np.testing.assert_array_equal(encoder.transform(df), [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])


def test_encoder_state_round_trip_through_json_is_identical(train: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    train["Balance"] = rng.normal(1e5, 3e4, size=len(train))  # digits that must survive JSON
    encoder = TableEncoder().fit(train)
    restored = TableEncoder.from_state(json.loads(json.dumps(encoder.to_state())))
    test = train.assign(Geography=["France", "Italy", "Spain", "Spain"])
    with pytest.warns(UnseenCategoryWarning):
        expected = encoder.transform(test)
    with pytest.warns(UnseenCategoryWarning):
        got = restored.transform(test)
    np.testing.assert_array_equal(got, expected)
    assert restored.get_feature_names_out().tolist() == encoder.get_feature_names_out().tolist()
    assert restored.means_ == encoder.means_ and restored.stds_ == encoder.stds_


def test_encoder_from_state_refuses_garbage(train: pd.DataFrame) -> None:
    state = TableEncoder().fit(train).to_state()
    with pytest.raises(ModelFileError):
        TableEncoder.from_state({**state, "version": 99})
    with pytest.raises(ModelFileError):
        TableEncoder.from_state({**state, "means": {}})
    with pytest.raises(ModelFileError):
        TableEncoder.from_state({**state, "stds": {"Age": 0.0, "Balance": 1.0}})


def test_encoder_is_a_plain_sklearn_estimator(train: pd.DataFrame) -> None:
    encoder = TableEncoder()
    assert encoder.get_params() == {"max_categories": 50}
    fitted = encoder.fit(train)
    assert not hasattr(clone(fitted), "kinds_")
    with pytest.raises(Exception, match="not fitted"):
        TableEncoder().transform(train)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(tables_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_infinite_numbers_are_refused_naming_the_column() -> None:
    df = pd.DataFrame({"x": [1.0, np.inf, 3.0], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"column 'x' has 1 infinite"):
        TableEncoder().fit(df)
    encoder = TableEncoder().fit(df.assign(x=[1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"column 'x' has 1 infinite"):
        encoder.transform(df)


def test_a_file_that_is_not_utf8_names_the_file(tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,value\nJosé,1\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv.*not UTF-8"):
        read_table(path)


def test_a_gzip_or_idx_file_is_named_for_what_it_is(tmp_path) -> None:
    """MNIST's images given where a table is expected said only "not UTF-8"."""
    import gzip

    pixels = bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 200, 255, 0, 131])
    (tmp_path / "x-idx3-ubyte.gz").write_bytes(gzip.compress(pixels))
    with pytest.raises(ValueError, match=r"is a gzipped IDX array .*not a CSV table"):
        read_table(tmp_path / "x-idx3-ubyte.gz")
    (tmp_path / "x-idx3-ubyte").write_bytes(pixels)
    with pytest.raises(ValueError, match=r"is an IDX array .*not a CSV table"):
        read_table(tmp_path / "x-idx3-ubyte")
    # labels (bytes 0-9) pass for text: they said "a header but no data rows"
    labels = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    (tmp_path / "y-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    with pytest.raises(ValueError, match=r"is a gzipped IDX array"):
        read_table(tmp_path / "y-idx1-ubyte.gz")


def test_a_gzipped_csv_is_read_whatever_its_name(tmp_path) -> None:
    """A gzipped CSV was refused as "a gzip archive, not a CSV table"."""
    import gzip

    text = "a,b\n1,x\n2,y\n"
    for name in ("t.csv.gz", "t.csv"):
        (tmp_path / name).write_bytes(gzip.compress(text.encode()))
        table = read_table(tmp_path / name)
        assert table["a"].tolist() == [1, 2] and table["b"].tolist() == ["x", "y"]
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(text.encode())[:-6])
    with pytest.raises(ValueError, match=r"'.*cut\.csv\.gz' is a damaged gzip file"):
        read_table(tmp_path / "cut.csv.gz")


# -- the header as written: repeated names --------------------------------------------------


def test_a_repeated_column_name_is_refused_and_named(tmp_path: Path) -> None:
    # pandas alone would rename the second one "Exited.1" and leak the target into X.
    path = _write(tmp_path, "Age,Exited,Balance,Exited\n30,0,1.0,0\n40,1,2.0,1\n")
    with pytest.raises(ValueError, match=r"repeats the column names \['Exited'\]"):
        read_table(path)


def test_names_repeated_up_to_surrounding_spaces_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a, b,"b "\n1,2,3\n')
    with pytest.raises(ValueError, match=r"\['b'\]"):
        read_table(path)


def test_a_column_genuinely_called_x_dot_1_is_kept(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path, "X,X.1\n1,2\n"))
    assert list(df.columns) == ["X", "X.1"] and df["X.1"].tolist() == [2]


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa,b,a\n1,2,3\n".encode())
    with pytest.raises(ValueError, match=r"\['a'\]"):
        read_table(path)
    path.write_bytes("\ufeffa,b\n1,2\n".encode())
    assert list(read_table(path).columns) == ["a", "b"]


# -- column_types: read new rows as the training rows were read ----------------------------


def test_text_column_type_keeps_codes_as_written(tmp_path: Path) -> None:
    path = _write(tmp_path, " code ,n\n01,1\n02,2\n")
    assert read_table(path)["code"].tolist() == [1, 2]  # guessed: numbers
    df = read_table(path, column_types={"code": "text"})
    assert df["code"].tolist() == ["01", "02"]
    assert df["n"].tolist() == [1, 2]  # columns not named are still guessed


def test_text_column_type_keeps_blank_cells_missing(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path, "code,n\n01,1\n,2\n"), column_types={"code": "text"})
    assert df["code"].iloc[0] == "01" and pd.isna(df["code"].iloc[1])


def test_number_column_type_refuses_any_text(tmp_path: Path) -> None:
    path = _write(tmp_path, 'age\n"1,200"\nabc\n3\n')
    with pytest.raises(
        ValueError, match=r"'age' held numbers in training, but data row 2 holds 'abc'"
    ):
        read_table(path, column_types={"age": "number"})
    ok = _write(tmp_path, 'age\n"1,200"\n3\n', name="ok.csv")
    assert read_table(ok, column_types={"age": "number"})["age"].tolist() == [1200, 3]


@pytest.mark.parametrize("bad", [{"a": "string"}, ["a"]])
def test_column_types_must_name_known_types(tmp_path: Path, bad: object) -> None:
    with pytest.raises((ValueError, TypeError), match="column_types"):
        read_table(_write(tmp_path, "a\n1\n"), column_types=bad)  # type: ignore[arg-type]


def test_codes_read_with_the_saved_types_encode_as_in_training(tmp_path: Path) -> None:
    train = read_table(_write(tmp_path, "code,x\n01,1\n02,2\nA,3\n01,4\n", name="train.csv"))
    encoder = TableEncoder().fit(train)
    assert encoder.column_types_ == {"code": "text", "x": "number"}
    new = _write(tmp_path, "x,code\n5,02\n6,01\n", name="new.csv")  # all digits: would be ints
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no UnseenCategoryWarning
        Z = encoder.transform(read_table(new, column_types=encoder.column_types_))
    names = encoder.get_feature_names_out().tolist()
    assert names == ["x", "code=01", "code=02", "code=A"]
    np.testing.assert_array_equal(Z[:, 1:], [[0, 1, 0], [1, 0, 0]])


# -- regression_target ----------------------------------------------------------------------


def test_regression_target_beyond_float32_is_refused_naming_column_and_row() -> None:
    y = pd.Series([1.0, 2.0, 5e38, -1e39])
    with pytest.raises(ValueError, match=r"'price' has 2 value\(s\) beyond float32.*data row 3"):
        frames.regression_target(y, "price")


def test_regression_target_refuses_infinity_and_text() -> None:
    with pytest.raises(ValueError, match=r"'price' has 1 non-finite.*data row 2 holds inf"):
        frames.regression_target(pd.Series([1.0, np.inf]), "price")
    with pytest.raises(ValueError, match=r"numeric target; column 'kind'"):
        frames.regression_target(pd.Series(["a", "b"]), "kind")


def test_regression_target_passes_large_but_representable_values() -> None:
    y = frames.regression_target(pd.Series([1, 3e38]), "price")
    assert y.dtype == np.float64 and y.tolist() == [1.0, 3e38]
    assert np.isfinite(y.to_numpy(np.float32)).all()


# -- feature_matrix: a model fitted without a TableEncoder ---------------------------------


def test_feature_matrix_matches_columns_by_name_not_position() -> None:
    df = pd.DataFrame({"c": [5.0, 6.0], "a": [1.0, 2.0], "b": [3.0, 4.0], "y": [0, 1]})
    X = frames.feature_matrix(df, feature_names=["a", "b", "c"], n_features=3)
    np.testing.assert_array_equal(X, [[1, 3, 5], [2, 4, 6]])
    assert X.dtype == np.float32


def test_feature_matrix_names_missing_columns() -> None:
    df = pd.DataFrame({"a": [1.0], "renamed": [2.0]})
    with pytest.raises(ValueError, match=r"\['b'\] are missing"):
        frames.feature_matrix(df, feature_names=["a", "b"], n_features=2)


def test_feature_matrix_by_position_refuses_a_column_count_mismatch() -> None:
    df = pd.DataFrame({"a": [1.0], "b": [2.0], "y": [0]})
    X = frames.feature_matrix(df, feature_names=None, n_features=2, exclude=["y"])
    np.testing.assert_array_equal(X, [[1, 2]])
    with pytest.raises(ValueError, match=r"fitted on 3 unnamed columns.*has 2"):
        frames.feature_matrix(df, feature_names=None, n_features=3, exclude=["y"])


def test_feature_matrix_refuses_text_columns_by_name() -> None:
    df = pd.DataFrame({"a": [1.0], "color": ["red"]})
    with pytest.raises(ValueError, match=r"\['color'\] hold text"):
        frames.feature_matrix(df, feature_names=["a", "color"], n_features=2)


def test_a_tab_separated_file_gets_a_hint(tmp_path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\ty\n1\t2\t0\n3\t4\t1\n")
    with pytest.raises(ValueError, match="looks separated by tabs"):
        read_table(path)


def test_a_trailing_comma_column_is_dropped_and_an_unnamed_one_with_data_refused(
    tmp_path,
) -> None:
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("a,b,\n1,2,\n3,4,\n")
    assert list(read_table(trailing).columns) == ["a", "b"]
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("a,,b\n1,9,2\n3,9,4\n")
    with pytest.raises(ValueError, match=r"column 2 of .* has no name in the header but holds"):
        read_table(unnamed)
