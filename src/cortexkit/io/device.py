"""Devices and CPU settings for a training run.

Examples
--------
>>> resolve_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["SMALL_STEP_FLOPS", "cpu_settings", "resolve_device"]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` picks CUDA when it is available, else the CPU.

    Raises
    ------
    ValueError
        For anything but ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` naming a device
        this machine has.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}")
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device={device!r} was asked for but no CUDA device is available")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"device={device!r}: this machine has {count} CUDA device(s)")
    return resolved


SMALL_STEP_FLOPS = 2e7  # below this, a step runs faster on one CPU thread


@contextmanager
def cpu_settings(step_flops: float | None, device: torch.device) -> Iterator[None]:
    """Thread count and denormal handling for a training run on the CPU.

    A small step (a few million multiply-adds) runs on one thread: waking a second costs
    more than it saves, and on a busy shared machine two OpenMP threads can be much slower
    than one. The step reports its own cost (:meth:`~cortexkit.train.Step.flops`), so a
    small convolution or recurrent layer, whose weights are reused at every pixel or time
    step, is judged by its real work, not by its parameter count; an unknown cost leaves
    the threads alone. Denormal floats are flushed to zero while training: sigmoid-heavy
    loops can stall on them, and they carry no useful precision. The thread count is
    restored afterwards; torch cannot report the denormal mode, so it is set back to
    torch's default (off).
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    if step_flops is not None and step_flops < SMALL_STEP_FLOPS:
        torch.set_num_threads(1)
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        if flushed:
            torch.set_flush_denormal(False)
