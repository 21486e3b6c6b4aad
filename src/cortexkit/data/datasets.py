"""Public data sets, read from a local folder or fetched once into a cache.

:func:`load_movielens` gives the MovieLens 100K or 1M ratings (GroupLens, University of
Minnesota; research use, no redistribution, so cortexkit ships none of them). It looks, in
order:

1. in ``path``, when given: a folder holding ``u.data`` (100K) or ``ratings.dat`` (1M);
2. in the cache, ``$XDG_CACHE_HOME/cortexkit/ml-100k`` (``~/.cache/cortexkit/ml-100k``;
   ``ml-1m`` for 1M), where ``shared/data/movielens-100k/fetch.sh`` also puts them;
3. online: it downloads GroupLens's zip file, checks its MD5 checksum against the one
   GroupLens publishes, and unpacks it into the cache.

Offline with an empty cache, it raises :class:`FileNotFoundError` saying where to put the
files.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortexkit.data.ratings import Ratings, read_ratings
from cortexkit.data.titles import read_titles
from cortexkit.io.envelope import atomic_write_bytes

__all__ = ["MOVIELENS", "MovieLens", "load_movielens", "movielens_cache", "movielens_path"]


@dataclass(frozen=True)
class _Variant:
    url: str
    md5: str  # of the zip, as GroupLens publishes it (ml-100k.zip.md5, ml-1m.zip.md5)
    ratings: str
    items: str
    folds: int  # the standard u1..u5 splits that come with it


MOVIELENS = {
    "100k": _Variant(
        "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        "0e33842e24a9c977be4e0107933c0723",
        "u.data",
        "u.item",
        5,
    ),
    "1m": _Variant(
        "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        "c4d9eecfca2ab87c1945afe126590906",
        "ratings.dat",
        "movies.dat",
        0,
    ),
}


@dataclass
class MovieLens:
    """A MovieLens data set: every rating, the titles, and the folder they came from.

    Examples
    --------
    >>> from cortexkit.data.datasets import load_movielens
    >>> ml = load_movielens("100k")  # doctest: +SKIP
    >>> train, test = ml.fold(1)  # u1.base, u1.test  # doctest: +SKIP
    """

    ratings: Ratings
    titles: dict[Any, str]
    path: Path
    variant: str
    n_folds: int = field(default=0)

    def fold(self, i: int) -> tuple[Ratings, Ratings]:
        """The standard split ``i`` (1..5 for 100K): ``u{i}.base`` and ``u{i}.test``."""
        if not 1 <= i <= self.n_folds:
            raise ValueError(f"MovieLens {self.variant} has folds 1..{self.n_folds}; got {i}")
        return read_ratings(self.path / f"u{i}.base"), read_ratings(self.path / f"u{i}.test")


def movielens_cache(variant: str = "100k") -> Path:
    """The cache folder of a variant: ``$XDG_CACHE_HOME/cortexkit/ml-<variant>``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cortexkit" / f"ml-{_variant(variant)[0]}"


def _variant(variant: str) -> tuple[str, _Variant]:
    key = str(variant).lower()
    if key not in MOVIELENS:
        raise ValueError(f"variant must be one of {list(MOVIELENS)}; got {variant!r}")
    return key, MOVIELENS[key]


def movielens_path(
    variant: str = "100k", path: str | os.PathLike[str] | None = None, *, download: bool = True
) -> Path:
    """The folder holding the variant's files: ``path``, else the cache (filled from
    GroupLens when it is empty and ``download`` allows).

    Raises
    ------
    FileNotFoundError
        If ``path`` lacks the ratings file, or the cache is empty and the download fails.
    ValueError
        If the downloaded file's checksum is not GroupLens's.
    """
    key, spec = _variant(variant)
    if path is not None:
        folder = Path(path)
        if not (folder / spec.ratings).is_file():
            raise FileNotFoundError(
                f"no {spec.ratings} in {str(folder)!r}: path must be the folder of the "
                f"unpacked MovieLens {key} files (from {spec.url})"
            )
        return folder
    cache = movielens_cache(key)
    if (cache / spec.ratings).is_file():
        return cache
    if not download:
        raise FileNotFoundError(_where(key, spec, cache, "downloading is off"))
    try:
        data = _fetch(spec.url)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise FileNotFoundError(_where(key, spec, cache, f"the download failed: {exc}")) from None
    digest = hashlib.md5(data).hexdigest()
    if digest != spec.md5:
        raise ValueError(
            f"the file downloaded from {spec.url} has MD5 {digest}, not GroupLens's "
            f"{spec.md5}: refusing it (nothing was written)"
        )
    _unpack(data, cache)
    return cache


def _where(key: str, spec: _Variant, cache: Path, why: str) -> str:
    extra = " and the splits u1.base .. u5.test" if spec.folds else ""
    return (
        f"MovieLens {key} is not in the cache {str(cache)!r} and {why}. Put {spec.ratings} "
        f"and {spec.items}{extra} there (unpacked from {spec.url}), or pass path= the folder "
        f"that holds them"
        + (" (shared/data/movielens-100k/fetch.sh builds them)" if key == "100k" else "")
    )


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()  # type: ignore[no-any-return]


def _unpack(data: bytes, cache: Path) -> None:
    """Every file of the zip, flattened into ``cache`` (each written atomically)."""
    cache.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = Path(info.filename).name
            if info.is_dir() or not name or name.startswith("."):
                continue
            atomic_write_bytes(cache / name, archive.read(info))


def load_movielens(variant: str = "100k", path: str | os.PathLike[str] | None = None) -> MovieLens:
    """MovieLens ``"100k"`` or ``"1m"``: ratings, titles, and the 100K's five standard
    splits (see the module's docstring for where the files are looked for).

    Raises
    ------
    FileNotFoundError
        Offline with an empty cache (the message says where to put the files), or when
        ``path`` lacks them.

    Examples
    --------
    >>> from cortexkit.data.datasets import load_movielens
    >>> load_movielens("10k")
    Traceback (most recent call last):
    ...
    ValueError: variant must be one of ['100k', '1m']; got '10k'
    """
    key, spec = _variant(variant)
    folder = movielens_path(key, path)
    titles = read_titles(folder / spec.items) if (folder / spec.items).is_file() else {}
    folds = (
        spec.folds
        if all((folder / f"u{i}.base").is_file() for i in range(1, spec.folds + 1))
        else 0
    )
    return MovieLens(read_ratings(folder / spec.ratings), titles, folder, key, folds)
