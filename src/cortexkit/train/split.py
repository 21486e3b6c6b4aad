"""The validation split: which rows train and which are held out to monitor.

Examples
--------
>>> import torch
>>> rows, note = split_rows(10, 0.2, "last", torch.Generator().manual_seed(0))
>>> rows[1].tolist(), note
([8, 9], None)
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["split_rows"]


def split_rows(
    n: int,
    fraction: float,
    split: str,
    generator: torch.Generator,
    labels: np.ndarray | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, str | None]:
    """Training and validation row indices (or None for no validation set), and a note
    that says why there is none when ``fraction`` asked for one.

    ``split="random"`` (stratified by ``labels`` when every class has two rows) or
    ``"last"``: the final rows, for series, where a shuffled split would let the future
    leak into training.
    """
    if not fraction:
        return None, None
    n_val = round(fraction * n)
    if n_val < 1 or n - n_val < 1:
        # too few rows to hold any out: monitor the training loss instead, and say so
        return None, (
            f"no validation set: validation_fraction={fraction} of {n} samples holds out "
            "none; early stopping monitored the training loss"
        )
    if split == "last":
        return (np.arange(n - n_val), np.arange(n - n_val, n)), None
    from sklearn.model_selection import train_test_split

    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    rows = np.arange(n)
    strat = None
    if labels is not None and np.min(np.unique(labels, return_counts=True)[1]) >= 2:
        strat = labels
    try:
        train, val = train_test_split(rows, test_size=n_val, random_state=seed, stratify=strat)
    except ValueError:  # too few of some class for a stratified split
        train, val = train_test_split(rows, test_size=n_val, random_state=seed)
    return (np.asarray(train), np.asarray(val)), None
