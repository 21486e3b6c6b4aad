"""What a resumed run must share with the run that wrote its checkpoint: the estimator,
its parameters (those that shape the model) and its data.

Examples
--------
>>> params_fingerprint({"epochs": 5, "hidden_layers": (8,), "activation": len}, {"epochs"})
{'hidden_layers': [8], 'activation': 'len'}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
from torch import Tensor

__all__ = ["check_resumable", "data_fingerprint", "params_fingerprint"]


def params_fingerprint(params: Mapping[str, Any], free: Collection[str]) -> dict[str, Any]:
    """The parameters as JSON, but those in ``free`` (which may change between a run and
    its resumption); a callable is compared by its name."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name in free:
            continue
        try:
            out[name] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            out[name] = getattr(value, "__qualname__", type(value).__qualname__)
    return out


def data_fingerprint(
    parts: Any, n: int, n_features: int | None, targets: Any = None
) -> dict[str, Any]:
    """The sample count, the width, a digest of the first and last 64 rows of each part
    (none for a Dataset, which is not read twice) and the family's target encoding."""
    info: dict[str, Any] = {"n_samples": int(n)}
    if n_features is not None:
        info["n_features"] = int(n_features)
    if isinstance(parts, tuple | list):
        digest = hashlib.sha256()
        for part in parts:
            rows_in = len(part)
            for rows in (slice(0, min(rows_in, 64)), slice(max(rows_in - 64, 0), rows_in)):
                chunk = part[rows]
                chunk = chunk.cpu().numpy() if isinstance(chunk, Tensor) else chunk
                digest.update(np.ascontiguousarray(chunk).tobytes())
        info["rows_sha256"] = digest.hexdigest()
    if targets is not None:
        info["targets"] = json.loads(json.dumps(targets, default=str))  # dates as text
    return info


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_resumable(
    where: str, extra: Mapping[str, Any], estimator: str, params: Mapping[str, Any],
    data: Mapping[str, Any],
) -> None:  # fmt: skip
    """Refuse a checkpoint written by another estimator, or with other parameters or data.

    Raises
    ------
    ValueError
        Naming what differs.
    """
    if extra.get("estimator") != estimator:
        raise ValueError(
            f"checkpoint {where!r} was written by {extra.get('estimator')!r}, not {estimator}"
        )
    for what, saved, mine in [
        ("parameters", extra.get("params", {}), params),
        ("data", extra.get("data", {}), data),
    ]:
        changed = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
        if changed:
            shown = ", ".join(f"{k}={_short(saved.get(k))}" for k in changed)
            raise ValueError(
                f"checkpoint {where!r} was written with other {what} ({shown}); resume "
                "with the same ones, or start afresh (resume=False, or another checkpoint)"
            )
