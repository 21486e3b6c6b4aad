"""TableEncoder's bounds: the category cap and <other>, column types, memory, identifiers."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cortexkit.data import TableEncoder
from cortexkit.data import encoder as encoder_module
from cortexkit.exceptions import (
    CortexkitError,
    IdentifierColumnWarning,
    ModelFileError,
    TableTooLargeError,
    UnseenCategoryWarning,
)

CITIES = ["Oslo"] * 4 + ["Rome"] * 3 + ["Pisa"] * 2 + ["Bern", "Lima"]


def test_the_cap_keeps_the_most_frequent_and_puts_the_rest_in_other() -> None:
    encoder = TableEncoder(max_categories=3).fit(pd.DataFrame({"city": CITIES}))
    assert encoder.categories_ == {"city": ["Oslo", "Rome"]}
    assert encoder.n_other_ == {"city": 3}  # Pisa, Bern, Lima
    assert encoder.get_feature_names_out().tolist() == ["city=Oslo", "city=Rome", "city=<other>"]
    Z = encoder.transform(pd.DataFrame({"city": ["Rome", "Pisa", "Oslo", "Lima"]}))
    np.testing.assert_array_equal(Z, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1]])
    assert Z.dtype == np.float32


def test_ties_at_the_cap_go_to_the_smaller_value() -> None:
    encoder = TableEncoder(max_categories=2).fit(pd.DataFrame({"c": ["b", "a", "c"]}))
    assert encoder.categories_ == {"c": ["a"]} and encoder.n_other_ == {"c": 2}


def test_unseen_values_go_to_other_silently_where_there_is_other() -> None:
    encoder = TableEncoder(max_categories=3).fit(pd.DataFrame({"city": CITIES}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = encoder.transform(pd.DataFrame({"city": ["Paris"]}))
    np.testing.assert_array_equal(Z, [[0, 0, 1]])


def test_a_column_under_the_cap_has_no_other_and_unseen_values_stay_zeros() -> None:
    encoder = TableEncoder(max_categories=5).fit(pd.DataFrame({"city": CITIES}))
    assert encoder.n_other_ == {"city": 0} and len(encoder.categories_["city"]) == 5
    with pytest.warns(UnseenCategoryWarning, match="Paris"):
        Z = encoder.transform(pd.DataFrame({"city": ["Paris"]}))
    np.testing.assert_array_equal(Z, [[0, 0, 0, 0, 0]])


def test_no_cap_keeps_every_category() -> None:
    names = [f"n{i:03d}" for i in range(120)]
    with pytest.warns(IdentifierColumnWarning):
        encoder = TableEncoder(max_categories=None).fit(pd.DataFrame({"name": names}))
    assert encoder.categories_["name"] == names and encoder.n_other_ == {"name": 0}


def test_the_default_cap_is_fifty_columns_per_text_column() -> None:
    values = [f"v{i:03d}" for i in range(60)] * 5  # 60 values, 5 rows each: no warning
    encoder = TableEncoder().fit(pd.DataFrame({"v": values}))
    assert encoder.max_categories == encoder_module.DEFAULT_MAX_CATEGORIES == 50
    assert encoder.transform(pd.DataFrame({"v": values})).shape == (300, 50)


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, "10", True])
def test_max_categories_must_be_an_integer_of_at_least_two(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"max_categories must be an integer >= 2.*{bad!r}"):
        TableEncoder(max_categories=bad).fit(pd.DataFrame({"c": ["a", "b"]}))  # type: ignore[arg-type]


def test_column_types_record_how_each_column_was_read() -> None:
    df = pd.DataFrame(
        {
            "age": [1, 2],
            "flag": [True, False],
            "code": ["01", "A"],
            "size": pd.Categorical(["S", "M"]),
        }
    )
    encoder = TableEncoder().fit(df)
    assert encoder.column_types_ == {
        "age": "number",
        "flag": "bool",
        "code": "text",
        "size": "text",
    }


def test_state_round_trips_the_cap_other_and_column_types_through_json() -> None:
    df = pd.DataFrame({"city": CITIES, "flag": [True, False] * 5 + [True], "x": range(11)})
    encoder = TableEncoder(max_categories=3).fit(df)
    restored = TableEncoder.from_state(json.loads(json.dumps(encoder.to_state())))
    assert restored.get_params() == {"max_categories": 3}
    assert restored.n_other_ == encoder.n_other_ and restored.categories_ == encoder.categories_
    assert restored.column_types_ == {"city": "text", "flag": "bool", "x": "number"}
    new = pd.DataFrame({"city": ["Lima", "Quito", "Oslo"], "flag": [True] * 3, "x": [0, 5, 9]})
    np.testing.assert_array_equal(restored.transform(new), encoder.transform(new))
    assert restored.get_feature_names_out().tolist() == encoder.get_feature_names_out().tolist()


def test_a_version_1_state_is_refused_clearly() -> None:
    state = {
        "version": 1,
        "columns": ["x"],
        "kinds": ["numeric"],
        "means": {"x": 1.0},
        "stds": {"x": 2.0},
        "categories": {},
    }
    with pytest.raises(ModelFileError, match="version 1; this cortexkit reads version 2"):
        TableEncoder.from_state(state)


@pytest.mark.parametrize(
    "change",
    [
        {"n_other": {"city": -1}},
        {"n_other": {}},
        {"column_types": {"city": "number", "x": "number"}},
        {"column_types": {"city": "words", "x": "number"}},
        {"max_categories": 1},
        {"version": 3},
    ],
)
def test_a_damaged_state_is_a_model_file_error(change: dict) -> None:
    df = pd.DataFrame({"city": CITIES, "x": range(11)})
    state = TableEncoder(max_categories=3).fit(df).to_state()
    with pytest.raises(ModelFileError):
        TableEncoder.from_state({**state, **change})


def test_identifier_like_text_columns_are_named_in_one_warning() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "surname": [f"name{i}" for i in rng.integers(0, 90, size=200)],  # ~2 rows per name
            "id": [f"c{i}" for i in range(200)],
            "geo": rng.choice(["FR", "DE", "ES"], size=200),
            "n": np.arange(200),  # numeric identifiers are standardised, not one-hot
        }
    )
    with pytest.warns(IdentifierColumnWarning) as record:
        TableEncoder().fit(df)
    assert len(record) == 1
    message = str(record[0].message)
    assert "'surname'" in message and "'id' (200 values in 200 rows)" in message
    assert "'geo'" not in message and "'n'" not in message and "drop" in message


def test_integer_columns_named_like_identifiers_are_named_too() -> None:
    """CustomerID (all distinct integers) went into a SOM as a feature without a word."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "CustomerID": 15_600_000 + rng.permutation(200),
        "user_id": np.arange(200),
        "RowNumber": np.arange(1, 201),
        "Paid": np.arange(200),  # not an identifier's name
        "AccountId": rng.integers(0, 50, 200),  # repeats: not an identifier
        "income": rng.normal(size=200),
    })  # fmt: skip
    with pytest.warns(IdentifierColumnWarning) as record:
        TableEncoder().fit(df)
    message = str(record[0].message)
    for name in ("'CustomerID' (200 distinct integers)", "'user_id'", "'RowNumber'"):
        assert name in message
    assert "'Paid'" not in message and "'AccountId'" not in message and "income" not in message
    encoded = TableEncoder().fit(df[["Paid", "income"]])  # no warning: nothing named like one
    assert encoded.n_features_in_ == 2


def test_many_values_each_seen_often_enough_do_not_warn() -> None:
    df = pd.DataFrame({"zip": [f"z{i}" for i in range(60)] * 5})  # 60 values, 5 rows each
    small = pd.DataFrame({"name": [f"n{i}" for i in range(40)]})  # all unique but only 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TableEncoder(max_categories=None).fit(df)  # folding into 50 warns: see below
        TableEncoder().fit(small)


def test_a_matrix_larger_than_memory_is_refused_naming_columns_and_sizes(monkeypatch) -> None:
    df = pd.DataFrame({"city": CITIES * 10, "x": range(110)})
    encoder = TableEncoder(max_categories=None).fit(df)
    monkeypatch.setattr(encoder_module, "available_memory", lambda: 1000)
    with pytest.raises(TableTooLargeError) as info:
        encoder.transform(df)
    message = str(info.value)
    assert "110 rows x 6 features" in message and "2.6 KiB" in message
    assert "'city' (5 columns)" in message and "--max-categories" in message
    assert isinstance(info.value, MemoryError) and isinstance(info.value, CortexkitError)
    monkeypatch.setattr(encoder_module, "available_memory", lambda: 110 * 6 * 4)
    assert encoder.transform(df).shape == (110, 6)  # exactly enough is enough


def test_available_memory_reads_a_positive_number() -> None:
    available = encoder_module.available_memory()
    assert available is None or available > 0


def test_a_column_folded_into_max_categories_is_named() -> None:
    """120 cities, 25 rows each, went into 50 categories without a word (the identifier
    warning needs fewer than 5 rows a value): the fold is warned about, naming the column;
    a column under the cap, or one warned about as an identifier, is not."""

    rng = np.random.default_rng(0)
    city = pd.DataFrame({"City": [f"c{i}" for i in rng.permutation(np.arange(3000) % 120)],
                         "Country": rng.choice(["FR", "DE"], 3000)})  # fmt: skip
    with pytest.warns(
        UserWarning,
        match=r"column\(s\) 'City' \(120 values; 71 share <other>\) "
        r"have more than max_categories=50 values.*--max-categories",
    ):
        TableEncoder().fit(city)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TableEncoder(max_categories=200).fit(city)
    names = pd.DataFrame({"Surname": [f"s{i}" for i in range(300)]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TableEncoder().fit(names)
    assert [type(w.message).__name__ for w in caught] == ["IdentifierColumnWarning"]
