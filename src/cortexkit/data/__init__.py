"""Reading data files (CSV tables, IDX images) and encoding tables for the networks.

>>> from cortexkit.data import TableEncoder, read_idx, read_table, split_target
"""

from cortexkit.data.idx import read_idx
from cortexkit.data.tables import TableEncoder, read_table, split_target

__all__ = ["TableEncoder", "read_idx", "read_table", "split_target"]
