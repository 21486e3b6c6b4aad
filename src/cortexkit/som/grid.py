"""The map's grid: where each node sits, and which nodes are neighbours.

Nodes are numbered row by row: node ``k`` is at row ``k // cols``, column ``k % cols``.
On a rectangular grid a node sits at ``(row, col)``; on a hexagonal grid every odd row is
shifted half a step right and rows are ``sqrt(3)/2`` apart, so that each inner node has six
neighbours, all at distance 1 (MiniSom's layout).

Two nodes are *adjacent* (for the topographic error and the U-matrix) when they touch:
the eight surrounding cells on a rectangular grid (MiniSom's convention, distance at most
``sqrt(2)``), the six surrounding hexagons on a hexagonal one (distance 1).

Examples
--------
>>> import torch
>>> from cortexkit.som.grid import Grid
>>> hexagonal = Grid(3, 3, "hexagonal")
>>> centre = torch.tensor([hexagonal.index(1, 1)])
>>> [round(float(d), 3) for d in hexagonal.squared_distances(centre)[0]]
[3.0, 1.0, 1.0, 1.0, 0.0, 1.0, 3.0, 1.0, 1.0]
>>> sorted(hexagonal.neighbours()[hexagonal.index(1, 1)])
[1, 2, 3, 5, 7, 8]
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from cortexkit._validation import PositiveInts

__all__ = ["MAX_NODES", "TOPOLOGIES", "Grid", "check_grid"]

TOPOLOGIES = ("rectangular", "hexagonal")
ROW_HEIGHT = math.sqrt(3) / 2  # the distance between rows of touching hexagons
_PRECOMPUTE = 4096  # nodes up to which the node-to-node distances are kept in a matrix
MAX_NODES = 10**8  # a sanity cap: a bigger map is refused before any memory is counted


def check_grid(grid: Any) -> tuple[int, int]:
    """``grid`` as two positive ints ``(rows, cols)``, or a clear error.

    Examples
    --------
    >>> from cortexkit.som.grid import check_grid
    >>> check_grid([3, 4])
    (3, 4)
    """
    if not (isinstance(grid, tuple | list) and len(grid) == 2 and PositiveInts().accepts(grid)):
        raise ValueError(
            f"grid must be two positive integers (rows, cols), e.g. (10, 10); got {grid!r}"
        )
    rows, cols = int(grid[0]), int(grid[1])
    if rows * cols > MAX_NODES:
        raise ValueError(
            f"grid={grid!r} has {rows * cols:,} nodes, more than a map can hold "
            f"({MAX_NODES:,} at most); use a smaller grid, e.g. (100, 100)"
        )
    return rows, cols


class Grid:
    """``rows`` x ``cols`` nodes laid out ``"rectangular"`` or ``"hexagonal"``.

    Parameters
    ----------
    rows, cols : int
        The map's shape (at least 1 each).
    topology : {"rectangular", "hexagonal"}
        The layout.
    device : torch.device or str, default="cpu"
        Where the coordinates live.

    Examples
    --------
    >>> from cortexkit.som.grid import Grid
    >>> Grid(2, 3).coordinates.tolist()
    [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        topology: str = "rectangular",
        device: torch.device | str = "cpu",
    ) -> None:
        if topology not in TOPOLOGIES:
            raise ValueError(f"topology must be one of {list(TOPOLOGIES)}; got {topology!r}")
        self.rows, self.cols, self.topology = int(rows), int(cols), topology
        r = torch.arange(self.rows, dtype=torch.float32, device=device).repeat_interleave(self.cols)
        c = torch.arange(self.cols, dtype=torch.float32, device=device).repeat(self.rows)
        if topology == "hexagonal":
            c = c + 0.5 * (r % 2)
            r = r * ROW_HEIGHT
        #: (nodes, 2): each node's (y, x) position on the plane
        self.coordinates = torch.stack([r, c], dim=1)
        self._matrix: Tensor | None = None  # node-to-node squared distances, on first use

    @property
    def n_nodes(self) -> int:
        """How many nodes."""
        return self.rows * self.cols

    @property
    def adjacent_within(self) -> float:
        """The largest grid distance at which two nodes touch."""
        return math.sqrt(2) if self.topology == "rectangular" else 1.0

    def index(self, row: int, col: int) -> int:
        """The node number of ``(row, col)``."""
        return row * self.cols + col

    def to(self, device: torch.device | str) -> Grid:
        """The same grid with its coordinates on ``device``."""
        return Grid(self.rows, self.cols, self.topology, device)

    @staticmethod
    def _pairwise(a: Tensor, b: Tensor | None = None) -> Tensor:
        b = a if b is None else b
        dy = a[:, None, 0] - b[None, :, 0]  # (len(a), len(b))
        dx = a[:, None, 1] - b[None, :, 1]
        return dy * dy + dx * dx

    def squared_distances(self, units: Tensor) -> Tensor:
        """``(len(units), nodes)``: the squared grid distance from each unit to every node."""
        if self._matrix is None and self.n_nodes <= _PRECOMPUTE:
            self._matrix = self._pairwise(self.coordinates)
        if self._matrix is not None:
            return self._matrix.index_select(0, units)
        return self._pairwise(self.coordinates.index_select(0, units), self.coordinates)

    def adjacent(self, a: Tensor, b: Tensor) -> Tensor:
        """Whether nodes ``a`` and ``b`` (same shape) touch on the grid."""
        diff = self.coordinates.index_select(0, a.reshape(-1)) - self.coordinates.index_select(
            0, b.reshape(-1)
        )
        return ((diff * diff).sum(-1) <= self.adjacent_within**2 + 1e-4).reshape(a.shape)

    def neighbours(self) -> list[list[int]]:
        """For each node, the nodes that touch it."""
        out: list[list[int]] = []
        limit = self.adjacent_within**2 + 1e-4
        for k in range(self.n_nodes):
            d2 = self._pairwise(self.coordinates[k : k + 1], self.coordinates)[0]
            near = torch.nonzero((d2 <= limit) & (d2 > 0)).flatten()
            out.append([int(j) for j in near])
        return out

    def neighbour_pairs(self) -> tuple[Tensor, Tensor]:
        """Every ordered pair of touching nodes, as two index tensors (for the U-matrix)."""
        rows: list[int] = []
        cols: list[int] = []
        for k, near in enumerate(self.neighbours()):
            rows.extend([k] * len(near))
            cols.extend(near)
        device = self.coordinates.device
        return torch.tensor(rows, device=device), torch.tensor(cols, device=device)
