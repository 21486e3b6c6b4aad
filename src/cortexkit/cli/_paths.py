"""Checks on the files a command will write, made before any data is read or trained on.

Each message names the path as the user gave it (never the hidden temporary file that the
atomic save writes first) and the flag that gave it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "MODEL_FILE",
    "ONNX_FILE",
    "check_figure_path",
    "check_output_file",
    "check_output_folder",
    "is_model_file",
    "is_onnx_file",
]

FIGURE_SUFFIXES = (".pdf", ".png", ".svg")


def check_output_file(
    path: str,
    flag: str,
    *,
    inputs: dict[str, str | None] | None = None,
    replaces: tuple[str, Callable[[Path], bool]] | None = None,
) -> None:
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
    replaces : (str, callable), optional
        What kind of file the output is (``"a cortexkit model file"``) and a test of an
        existing file: an existing file that fails it (data, say) is not written over.

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
    if target.is_dir() or path.endswith(("/", os.sep)):
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
    if replaces is not None and target.is_file() and not replaces[1](target):
        raise ValueError(
            f"{flag} {path!r} exists and is not {replaces[0]}; writing there would destroy it "
            "(remove it, or choose another name)"
        )


def is_model_file(path: Path) -> bool:
    """Whether ``path`` holds a cortexkit model file (read from its header only)."""
    from cortexkit.io.envelope import envelope_format
    from cortexkit.model_file import FORMAT

    try:
        return envelope_format(path) == FORMAT
    except (OSError, ValueError):
        return False


def is_onnx_file(path: Path) -> bool:
    """Whether ``path`` looks like an ONNX model: named ``.onnx``, not text, not a cortexkit
    file."""
    return path.suffix.lower() == ".onnx" and not is_model_file(path)


MODEL_FILE = ("a cortexkit model file", is_model_file)
ONNX_FILE = ("an ONNX model (.onnx)", is_onnx_file)


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
