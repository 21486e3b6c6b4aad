"""cortexkit's exceptions and warnings.

Each subclasses the built-in a caller would already catch (``ValueError``, ``RuntimeError``,
``UserWarning``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "CortexkitError",
    "DeadLayerWarning",
    "DivergenceError",
    "DivergenceWarning",
    "IdentifierColumnWarning",
    "ModelFileError",
    "NotExportableError",
    "TableTooLargeError",
    "UnseenCategoryWarning",
]


class CortexkitError(Exception):
    """Base class of every error cortexkit raises on purpose."""


class ModelFileError(CortexkitError, ValueError):
    """A model file is missing, corrupt, tampered with, of a newer format, or not ours."""


class NotExportableError(CortexkitError, TypeError):
    """This model cannot be exported (to ONNX): its family has no network pass to trace,
    or torch cannot trace one of its layers."""


class DivergenceError(CortexkitError, RuntimeError):
    """The loss became NaN or infinite before a single epoch completed."""


class TableTooLargeError(CortexkitError, MemoryError):
    """An encoded table would not fit in the memory available; nothing was allocated."""


class DivergenceWarning(UserWarning):
    """The loss became NaN or infinite; training stopped and the best weights were kept."""


class DeadLayerWarning(UserWarning):
    """A Boltzmann machine's hidden layer barely varies across samples (dead or saturated)."""


class UnseenCategoryWarning(UserWarning):
    """A string column holds a category that training never saw; it is encoded as all zeros."""


class IdentifierColumnWarning(UserWarning):
    """A text column looks like an identifier (names, IDs): its values are too rare to learn."""
