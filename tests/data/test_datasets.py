"""load_movielens: a local folder, the cache, the download's checksum, and offline."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import zipfile

import pytest

from cortexkit.data import datasets
from cortexkit.data.datasets import load_movielens, movielens_cache


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _offline(url: str) -> bytes:
    raise urllib.error.URLError("no network")


def test_reads_a_local_folder(tmp_path, empty_cache) -> None:
    (tmp_path / "u.data").write_text("1\t10\t4\t5\n2\t10\t5\t6\n")
    (tmp_path / "u.item").write_text("10|Heat (1995)|x\n")
    ml = load_movielens("100k", path=tmp_path)
    assert len(ml.ratings) == 2 and ml.titles == {10: "Heat (1995)"} and ml.n_folds == 0
    with pytest.raises(ValueError, match=r"folds 1\.\.0"):
        ml.fold(1)


def test_a_folder_without_the_files_says_what_is_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no ratings\.dat in"):
        load_movielens("1m", path=tmp_path)


def test_offline_with_no_cache_says_where_to_put_the_files(empty_cache, monkeypatch) -> None:
    monkeypatch.setattr(datasets, "_fetch", _offline)
    with pytest.raises(FileNotFoundError) as info:
        load_movielens("100k")
    message = str(info.value)
    assert str(movielens_cache("100k")) in message and "u.data" in message
    assert "the download failed" in message and "path=" in message


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_download_is_checked_and_cached(empty_cache, monkeypatch) -> None:
    data = _zip({"ml-100k/u.data": "1\t10\t4\t5\n", "ml-100k/u.item": "10|Heat (1995)|x\n"})
    monkeypatch.setattr(datasets, "_fetch", lambda url: data)
    with pytest.raises(ValueError, match="not GroupLens's"):  # the real checksum: refused
        load_movielens("100k")
    assert not (empty_cache / "cortexkit" / "ml-100k" / "u.data").exists()
    spec = datasets.MOVIELENS["100k"]
    fake = datasets._Variant(spec.url, hashlib.md5(data).hexdigest(), spec.ratings, spec.items, 5)
    monkeypatch.setitem(datasets.MOVIELENS, "100k", fake)
    ml = load_movielens("100k")
    assert ml.path == movielens_cache("100k") and len(ml.ratings) == 1
    monkeypatch.setattr(datasets, "_fetch", _offline)  # now cached: no network needed
    assert len(load_movielens("100k").ratings) == 1
