"""How much memory there is, and refusing what cannot fit before allocating it.

Imports nothing heavy, so the table reader and the estimators share it.

Examples
--------
>>> format_bytes(3 * 2**30)
'3.0 GiB'
"""

from __future__ import annotations

import os

__all__ = ["available_memory", "check_fits_in_memory", "format_bytes"]


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps it at least 1."""
    if n < 1024:
        return f"{int(n)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            break
    return f"{n:.1f} {unit}"


def check_fits_in_memory(n_bytes: float, what: str, device: object = None) -> None:
    """Refuse, before allocating, ``n_bytes`` that the memory available cannot hold: the
    machine's, or a CUDA ``device``'s free memory (``what`` names the thing and the
    parameter that sized it).

    Examples
    --------
    >>> check_fits_in_memory(2**70, "the network (hidden_layers=(10**12,))")
    Traceback (most recent call last):
    ...
    ValueError: the network (hidden_layers=(10**12,)) needs ... of memory; this machine has ...
    """
    where = "this machine has"
    available = available_memory()
    if getattr(device, "type", None) == "cuda":
        import torch

        available, _ = torch.cuda.mem_get_info(device)  # type: ignore[arg-type]
        where = f"{device} has"
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{what} needs {format_bytes(n_bytes)} of memory; {where} "
            f"{format_bytes(available)} available"
        )
