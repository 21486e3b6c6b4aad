"""Reading data files (CSV tables, IDX images, image folders) and encoding tables for the
networks.

>>> from cortexkit.data import ImageFolder, TableEncoder, read_idx, read_images, read_table

The image readers load on first use (PEP 562): they need torch, which reading a table does
not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cortexkit.data.encoder import DEFAULT_MAX_CATEGORIES, TableEncoder
from cortexkit.data.frames import feature_matrix, regression_target, split_target
from cortexkit.data.idx import read_idx
from cortexkit.data.series import read_series, series_values
from cortexkit.data.tables import read_table

if TYPE_CHECKING:
    from cortexkit.data.images import ImageFolder, read_images

__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "ImageFolder",
    "TableEncoder",
    "feature_matrix",
    "read_idx",
    "read_images",
    "read_series",
    "read_table",
    "regression_target",
    "series_values",
    "split_target",
]

_LAZY = {"ImageFolder": "cortexkit.data.images", "read_images": "cortexkit.data.images"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cortexkit.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
