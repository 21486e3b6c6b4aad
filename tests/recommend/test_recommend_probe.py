"""Ratings, users and item files that a reliability probe found taken silently: each is
now refused in one line before any work, or (a cold-start user) said in the output."""

from __future__ import annotations

import pandas as pd
import pytest

from cortexkit import AutoRecRecommender
from cortexkit.cli import run_captured


@pytest.fixture
def model(tmp_path):
    ratings = tmp_path / "r.csv"
    ratings.write_text(
        "user,item,rating\n"
        + "".join(f"{u},{i},{1 + (u * i) % 5}\n" for u in range(1, 13) for i in range(1, 9))
    )
    out = tmp_path / "m.cortex"
    trained = run_captured("recommend", "train", str(ratings), "--model", "autorec",
                           "--epochs", "1", "--out", str(out), "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    return out


def test_an_unknown_user_is_said_in_the_output_and_an_empty_one_refused(model) -> None:
    """``top --user 999999`` listed items with only a warning on stderr; ``--user ''``
    the same."""
    with pytest.warns(UserWarning, match="'999999' is not in the training ratings"):
        top = run_captured("recommend", "top", str(model), "--user", "999999", "-k", "3")
    assert top.code == 0, top.err
    lines = top.out.strip().splitlines()
    assert lines[0].startswith("# user '999999' is not in the training ratings (12 users")
    assert "highest mean rating" in lines[0] and len(lines) == 5
    empty = run_captured("recommend", "top", str(model), "--user", " ", "-k", "3")
    assert empty.code == 2 and "--user is empty" in empty.err and empty.out == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,title\n", "has no line with both an identifier and a title"),
        ("|\n|\n", "has no line with both an identifier and a title"),
        ("100|X\n101|Y\n", "names none of the model's 8 items"),
    ],
)
def test_an_items_file_with_nothing_usable_is_refused(model, tmp_path, text, expected) -> None:
    """An item file with no identifier and title, or none of the model's items, printed
    '?' for every title (or nothing)."""
    items = tmp_path / "u.item"
    items.write_text(text)
    top = run_captured("recommend", "top", str(model), "--user", "1", "--items", str(items))
    assert top.code == 2 and expected in top.err and top.err.count("\n") == 1
    assert top.out == ""


@pytest.mark.parametrize(
    ("rows", "counts"),
    [
        ([(1, 1, 5)], "1 distinct rating(s) by 1 user(s) of 1 item(s)"),
        ([(1, 1, 5), (1, 1, 4), (1, 1, 3)], "1 distinct rating(s) by 1 user(s) of 1 item(s)"),
        ([(1, 1, 5), (2, 1, 4), (3, 1, 3)], "3 distinct rating(s) by 3 user(s) of 1 item(s)"),
        ([(1, 1, 5), (1, 2, 4)], "2 distinct rating(s) by 1 user(s) of 2 item(s)"),
    ],
)
def test_too_few_distinct_users_or_items_are_refused(tmp_path, rows, counts) -> None:
    """A single rating, or every rating a duplicate of one pair, trained silently."""
    table = pd.DataFrame(rows, columns=["user", "item", "rating"])
    with pytest.raises(ValueError, match="at least 2 users and 2 items") as info:
        AutoRecRecommender(epochs=1).fit(table)
    assert counts in str(info.value)
    path = tmp_path / "r.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "m.cortex"
    result = run_captured("recommend", "train", str(path), "--model", "rbm", "--out", str(out))
    assert result.code == 2 and counts in result.err and not out.exists()
