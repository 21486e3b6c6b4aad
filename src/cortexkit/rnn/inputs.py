"""Sequences in: the input formats of the sequence estimators, as one padded array.

- ``(N, T, F)`` array: ``N`` sequences of ``T`` steps with ``F`` features each;
- ``(N, T)`` array or DataFrame: ``N`` sequences of ``T`` single values (``F = 1``);
- a list of ``N`` arrays of shape ``(T_i, F)`` or ``(T_i,)``: sequences of different
  lengths, padded with zeros to the longest;
- a padded ``(N, T, F)`` array with ``lengths=`` (one length per sequence, in ``[1, T]``):
  only the first ``lengths[i]`` steps of sequence ``i`` are read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_array

__all__ = ["as_sequences", "step_mask"]


def as_sequences(X: Any, lengths: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` (see the module's docstring) as a padded float array ``(N, T, F)`` and the
    lengths (None when every sequence is whole).

    Examples
    --------
    >>> from cortexkit.rnn.inputs import as_sequences
    >>> X, lengths = as_sequences([[1.0, 2.0, 3.0], [4.0]])
    >>> X.shape, lengths.tolist(), X[1, :, 0].tolist()
    ((2, 3, 1), [3, 1], [4.0, 0.0, 0.0])
    """
    if isinstance(X, list | tuple) and X and all(np.ndim(x) in (1, 2) for x in X):
        seqs = [np.asarray(x, dtype=np.float64) for x in X]
        seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
        widths = {s.shape[1] for s in seqs}
        if len(widths) > 1:
            raise ValueError(f"the sequences have different feature counts {sorted(widths)}")
        if min(len(s) for s in seqs) < 1:
            raise ValueError("a sequence is empty: each needs at least 1 step")
        if lengths is not None:
            raise ValueError("lengths= is for a padded array; a list gives its own lengths")
        own = np.array([len(s) for s in seqs])
        out = np.zeros((len(seqs), int(own.max()), widths.pop()))
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        X, lengths = out, (None if (own == own.max()).all() else own)
    else:
        # scikit-learn's checks: numbers, no sparse matrix, no complex values, 2-d at least
        # (a 1-d X says "Reshape your data"), at least one sample
        X = check_array(X, allow_nd=True, dtype=np.float64, ensure_all_finite=False,
                        input_name="X")  # fmt: skip
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3:
            raise ValueError(
                f"X must be (N, T, F) or (N, T), or a list of sequences; got shape {X.shape}"
            )
    if X.shape[0] < 1 or X.shape[1] < 1 or X.shape[2] < 1:
        raise ValueError(f"X has shape {X.shape}: it needs at least 1 sequence, step and feature")
    if lengths is not None:
        lengths = np.asarray(lengths)
        if lengths.shape != (X.shape[0],) or lengths.dtype.kind not in "iu":
            raise ValueError(f"lengths must be {X.shape[0]} integers, one per sequence")
        if lengths.min() < 1 or lengths.max() > X.shape[1]:
            raise ValueError(f"lengths must lie in [1, {X.shape[1]}] (the padded length)")
        X = np.where(step_mask(X.shape[1], lengths)[:, :, None], X, 0.0)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity")
    return X, lengths


def step_mask(n_steps: int, lengths: np.ndarray) -> np.ndarray:
    """``(N, n_steps)`` booleans: which steps of each padded sequence are real."""
    return np.arange(n_steps)[None, :] < lengths[:, None]
