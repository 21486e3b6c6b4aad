"""Checking that a path names a file that can be read, with messages that say what it is.

Examples
--------
>>> import tempfile
>>> check_readable_file(tempfile.gettempdir(), "a CSV table")
Traceback (most recent call last):
...
IsADirectoryError: '...' is a folder, not a CSV table
"""

from __future__ import annotations

import os

__all__ = ["check_readable_file"]


def check_readable_file(path: str | os.PathLike[str], what: str) -> None:
    """Raise unless ``path`` is a regular file: missing, a folder and a pipe each get their
    own message, naming ``what`` was expected there."""
    shown = os.fspath(path)
    if os.path.isfile(shown):
        return
    if os.path.isdir(shown):
        raise IsADirectoryError(f"{shown!r} is a folder, not {what}")
    if os.path.exists(shown):
        raise ValueError(
            f"{shown!r} is not a regular file (a pipe or a device?): save {what} to a file first"
        )
    raise FileNotFoundError(f"no such file: {shown!r} (expected {what})")
