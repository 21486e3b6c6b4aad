"""Checks on the files a command will write, made before any data is read or trained on.

Each message names the path as the user gave it (never the hidden temporary file that the
atomic save writes first) and the flag that gave it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_figure_path", "check_output_file", "check_output_folder"]

FIGURE_SUFFIXES = (".pdf", ".png", ".svg")


def check_output_file(path: str, flag: str, *, inputs: dict[str, str | None] | None = None) -> None:
    """Refuse an output file that cannot be written, or that would overwrite an input.

    Parameters
    ----------
    path : str
        The output file as given on the command line.
    flag : str
        The option that gave it (``"--out"``), for the message.
    inputs : dict of str to str or None, optional
        What the command reads, by its role (``{"the training data": "data.csv"}``):
        writing over one of them is refused.

    Raises
    ------
    ValueError
        If ``path`` is a folder, its folder is missing, not a folder or not writable, or it
        is one of ``inputs``.

    Examples
    --------
    >>> check_output_file("no/such/folder/m.cortex", "--out")
    Traceback (most recent call last):
    ...
    ValueError: --out 'no/such/folder/m.cortex': folder 'no/such/folder' does not exist
    """
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{flag} {path!r} is a folder; give a file name inside it")
    folder = target.parent
    shown = str(folder)
    if not folder.exists():
        raise ValueError(f"{flag} {path!r}: folder {shown!r} does not exist")
    if not folder.is_dir():
        raise ValueError(f"{flag} {path!r}: {shown!r} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {path!r}: folder {shown!r} is not writable")
    for role, other in (inputs or {}).items():
        if other is not None and _same_file(target, Path(other)):
            raise ValueError(f"{flag} {path!r} is {role}; writing there would destroy it")


def check_output_folder(path: str, flag: str) -> None:
    """Refuse an output folder that is a file, or that cannot be created or written.

    Raises
    ------
    ValueError
        If ``path`` is a file, or the nearest existing folder above it is not writable.

    Examples
    --------
    >>> check_output_folder("demo-output", "--out")
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ValueError(f"{flag} {path!r} is a file, not a folder")
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{flag} {path!r}: {str(existing)!r} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {path!r}: folder {str(existing)!r} is not writable")


def check_figure_path(path: str, flag: str) -> None:
    """Refuse a figure path whose suffix no figure is drawn in, before any work.

    Examples
    --------
    >>> check_figure_path("forecast.txt", "--plot")
    Traceback (most recent call last):
    ...
    ValueError: --plot 'forecast.txt' must end in .pdf, .png or .svg
    """
    if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"{flag} {path!r} must end in .pdf, .png or .svg")


def _same_file(a: Path, b: Path) -> bool:
    """``a`` is ``b``, or an existing file inside the folder ``b`` (an image of a folder)."""
    if a.exists() and b.is_dir() and b.resolve() in a.resolve().parents:
        return True
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()
