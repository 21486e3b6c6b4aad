"""Readers, duplicates, splits, and the bad inputs they refuse."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cortexkit.recommend import (
    as_ratings,
    leave_k_out,
    random_split,
    read_ratings,
    read_titles,
    split,
    temporal_split,
)


def test_reads_u_data_ratings_dat_and_csv(tmp_path) -> None:
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    (tmp_path / "ratings.dat").write_text("1::1193::5::978300760\n1::661::3::978302109\n")
    (tmp_path / "header.csv").write_text("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n")
    (tmp_path / "plain.csv").write_text("u1,i9,4\nu2,i9,5\n")
    r = read_ratings(tmp_path / "u.data")
    assert r.user.tolist() == [196, 186] and r.item.tolist() == [242, 302]
    assert r.timestamp.tolist() == [881250949, 891717742]
    assert read_ratings(tmp_path / "ratings.dat").item.tolist() == [1193, 661]
    r = read_ratings(tmp_path / "header.csv", scale=(0.5, 5))
    assert (r.user.tolist(), r.rating.tolist(), r.scale) == ([1], [2.5], (0.5, 5.0))
    r = read_ratings(tmp_path / "plain.csv")
    assert r.user.tolist() == ["u1", "u2"] and r.timestamp is None


def test_titles_from_u_item_latin1_and_movies_dat(tmp_path) -> None:
    (tmp_path / "u.item").write_bytes("1|Toy Story (1995)|x\n2|Café (1996)|y\n".encode("latin-1"))
    (tmp_path / "movies.dat").write_text("1::Toy Story (1995)::Animation\n")
    assert read_titles(tmp_path / "u.item") == {1: "Toy Story (1995)", 2: "Café (1996)"}
    assert read_titles(tmp_path / "movies.dat") == {1: "Toy Story (1995)"}


def test_duplicates_keep_the_most_recent_rating() -> None:
    frame = pd.DataFrame(
        {
            "user": [1, 1, 2, 1],
            "item": [5, 5, 5, 5],
            "rating": [1, 4, 2, 3],
            "timestamp": [10, 30, 5, 20],
        }
    )
    r = as_ratings(frame)
    got = dict(
        zip(zip(r.user.tolist(), r.item.tolist(), strict=False), r.rating.tolist(), strict=False)
    )
    assert got == {(1, 5): 4.0, (2, 5): 2.0}  # timestamp 30 beats the later row (20)
    r = as_ratings([(1, 5, 1), (1, 5, 4), (1, 5, 2)])  # no timestamps: the last row wins
    assert r.rating.tolist() == [2.0]


def test_rating_outside_the_scale_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"rating 6.0 \(rating 2, from 1\) is outside the declared scale"
    ):
        read_ratings(io.StringIO("1\t2\t5\n1\t3\t6\n"))
    with pytest.raises(ValueError, match=r"outside the declared scale 1\.0 to 10\.0"):
        as_ratings([(1, 2, 0)], scale=(1, 10))


def test_non_numeric_rating_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rating 'five' \(rating 1, from 1\) is not a"):
        read_ratings(io.StringIO("user,item,rating\n1,2,five\n"))


def test_empty_file_is_refused(tmp_path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_ratings(tmp_path / "empty.csv")
    (tmp_path / "blank.csv").write_text("\n\n")
    with pytest.raises(ValueError, match="is empty"):
        read_ratings(tmp_path / "blank.csv")
    with pytest.raises(ValueError, match="empty"):
        as_ratings(pd.DataFrame({"user": [], "item": [], "rating": []}))


@pytest.mark.parametrize(
    ("header", "missing"),
    [("item,rating", "user"), ("user,rating", "item"), ("user,item,stamp", "rating")],
)
def test_absent_column_is_named(header, missing) -> None:
    text = header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n"
    with pytest.raises(ValueError, match=f"has no {missing} column"):
        read_ratings(io.StringIO(text))


def test_too_few_columns_and_missing_file(tmp_path) -> None:
    with pytest.raises(ValueError, match="2 column"):
        read_ratings(io.StringIO("1\t2\n"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_ratings(tmp_path / "nope.data")


def _pairs(r) -> set:
    return set(zip(r.user.tolist(), r.item.tolist(), strict=False))


def test_random_split_is_a_disjoint_partition() -> None:
    r = as_ratings([(u, i, 1 + (u + i) % 5) for u in range(20) for i in range(10)])
    train, test = random_split(r, 0.25, random_state=1)
    assert len(test) == 50 and len(train) == 150
    assert not _pairs(train) & _pairs(test) and _pairs(train) | _pairs(test) == _pairs(r)
    again = random_split(r, 0.25, random_state=1)[1]
    assert _pairs(again) == _pairs(test)


def test_leave_k_out_holds_k_per_user() -> None:
    r = as_ratings([(u, i, 3) for u in range(6) for i in range(u + 1)])  # user u has u+1
    train, test = leave_k_out(r, k=2, random_state=0)
    per_user = pd.Series(test.user).value_counts().to_dict()
    assert per_user == {u: 2 for u in range(2, 6)}  # users 0, 1 have <= 2: kept whole
    assert not _pairs(train) & _pairs(test) and len(train) + len(test) == len(r)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        leave_k_out(r, k=0)


def test_temporal_split_holds_out_the_latest() -> None:
    r = as_ratings([(u % 3, u, 3, 100 - u) for u in range(10)])
    train, test = temporal_split(r, 0.3)
    assert test.timestamp.min() > train.timestamp.max()
    assert sorted(test.timestamp.tolist()) == [98, 99, 100]
    with pytest.raises(ValueError, match="needs timestamps"):
        temporal_split(as_ratings([(1, 1, 3), (1, 2, 4)]))
    with pytest.raises(ValueError, match="split must be one of"):
        split(r, "by-genre")
    with pytest.raises(ValueError, match="test_size"):
        random_split(r, 1.5)


@pytest.mark.parametrize("sep", ["\t", "::"])
def test_a_header_line_is_read_in_tab_and_double_colon_files(sep) -> None:
    """A tab-separated file with a header said "rating 'rating' (rating 1) is not a number":
    the header is read as in a CSV file, and unknown names are named."""
    lines = ["user_id", "item_id", "rating", "timestamp"], ["1", "10", "5", "100"], [
        "2", "10", "4", "101"]  # fmt: skip
    r = read_ratings(io.StringIO("".join(sep.join(line) + "\n" for line in lines)))
    assert r.user.tolist() == [1, 2] and r.rating.tolist() == [5.0, 4.0]
    assert r.timestamp is not None and r.timestamp.tolist() == [100, 101]
    with pytest.raises(
        ValueError, match=r"has no user column: expected one named 'user'.*found columns \['who'"
    ):
        read_ratings(io.StringIO(f"who{sep}what{sep}how\n1{sep}2{sep}3\n"))


def test_identifiers_keep_their_type() -> None:
    r = as_ratings(pd.DataFrame({"user": ["7", "8"], "item": ["x", "y"], "rating": [1, 2]}))
    assert r.user.dtype == np.int64 and r.item.dtype == object
    padded = as_ratings(pd.DataFrame({"user": ["007", "008"], "item": [1, 2], "rating": [1, 2]}))
    assert padded.user.tolist() == ["007", "008"] and padded.item.dtype == np.int64
    assert as_ratings([(1.0, 2.0, 3.0)]).user.dtype == np.int64  # a float array's rows


def test_padded_and_plain_forms_of_one_number_are_two_users_with_a_warning() -> None:
    """ "007" and "7" were merged into user 7, and "latest wins" then dropped a rating
    silently: identifiers are text, so they are two users, and the file is warned about."""
    text = "user,item,rating\n007,1,5\n7,1,2\n8,2,3\n"
    with pytest.warns(
        UserWarning,
        match="the users '007' and '7' are one number written two ways; they are read as two users",
    ):
        r = read_ratings(io.StringIO(text))
    assert len(r) == 3 and r.user.tolist() == ["007", "7", "8"] and r.n_users == 3
    assert r.rating.tolist() == [5.0, 2.0, 3.0]
    with pytest.warns(UserWarning, match="the items '01' and '1'"):
        r = read_ratings(io.StringIO("1\t01\t4\t10\n1\t1\t2\t11\n"))
    assert len(r) == 2 and r.item.tolist() == ["01", "1"]


# -- memory: the reader's peak ---------------------------------------------------------------


def _as_text_read(path) -> object:
    """What the reader gave before it parsed numbers directly: every field as text."""
    first = path.read_text().splitlines()[0]
    sep = "\t" if ("\t" in first or "::" in first) else ","
    text = path.read_text().replace("::", "\t")
    header = not first.split(sep if "::" not in first else "::")[2].strip()[0].isdigit()
    frame = pd.read_csv(io.StringIO(text), sep=sep, header=0 if header else None, dtype=str,
                        skipinitialspace=True)  # fmt: skip
    if not header:
        frame = frame.iloc[:, :4].set_axis(["user", "item", "rating", "timestamp"][: min(
            frame.shape[1], 4)], axis=1)  # fmt: skip
    return as_ratings(frame, scale=(0.5, 5))


@pytest.mark.parametrize(
    "content",
    [
        "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n2,31,4,1260759145\n1,31,3,1\n",
        "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
        "1::1193::5::978300760\n1::661::3::978302109\n",
        "user,item,rating\n007,5,3\n7,5,4\n",  # text identifiers: "007" and "7" stay two
        "user,item,rating,extra\n1,-0,3,x\n2,+4,1.5,y\n",
        "a,b,rating,movie,user\n1,2,3,4,5\n6,7,4.5,8,9\n",
        "1,2,3\n4,5,4.5\n",
        "u1,i1,3,5\nu2,i1,4,6\n",
    ],
)
def test_the_result_is_the_text_reads(tmp_path, content) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content)
    got, want = read_ratings(path, scale=(0.5, 5)), _as_text_read(path)
    for role in ("user", "item", "rating", "timestamp"):
        a, b = getattr(got, role), getattr(want, role)
        assert (a is None and b is None) or (a.dtype == b.dtype and a.tolist() == b.tolist())


def test_a_large_file_is_read_without_a_string_per_field(tmp_path) -> None:
    """The peak was 11x the file (every field a Python string, the text copied twice); it
    is under 7x with the numbers parsed directly (2M rows: 573 MB -> 316 MB)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 200_000
    users, items = rng.integers(1, 70_000, n), rng.integers(1, 10_000, n)
    times = rng.integers(789_652_009, 1_231_131_736, n)
    table = np.c_[users, items, rng.integers(1, 11, n) / 2, times]
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write("userId,movieId,rating,timestamp\n")
        np.savetxt(f, table, fmt=["%d", "%d", "%.1f", "%d"], delimiter=",")
    tracemalloc.start()
    try:
        ratings = read_ratings(path, scale=(0.5, 5))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ratings.user.dtype == np.int64 and len(ratings) > 0.99 * n
    assert peak < 7 * path.stat().st_size, f"peak {peak:,} B for a {path.stat().st_size:,} B file"
