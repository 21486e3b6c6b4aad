"""Reading data files (CSV tables, IDX images, image folders) and encoding tables for the
networks.

>>> from cortexkit.data import ImageFolder, TableEncoder, read_idx, read_images, read_table
"""

from cortexkit.data.encoder import DEFAULT_MAX_CATEGORIES, TableEncoder
from cortexkit.data.idx import read_idx
from cortexkit.data.images import ImageFolder, read_images
from cortexkit.data.series import read_series, series_values
from cortexkit.data.tables import feature_matrix, read_table, regression_target, split_target

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
