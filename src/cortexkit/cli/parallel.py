"""``cortexkit train FAMILY ... --nproc N``: data-parallel training in N processes.

The command starts itself again N times through torchrun (``torch.distributed.run``, a
standalone rendezvous on this machine), without ``--nproc``; each process joins the group
from the variables torchrun sets (:func:`~cortexkit.train.distributed.init_from_env`: gloo
on the CPU, NCCL on GPUs) and trains on its share of every batch. Rank 0 alone talks,
writes the checkpoints and writes the model file (and any ``--plot``); the other ranks
print nothing (``--debug`` lets their errors through) and write their copies into a
temporary folder that is removed. On several machines, run
``torchrun --nnodes M --nproc-per-node N --rdzv-backend c10d --rdzv-endpoint HOST:PORT
-m cortexkit train ...`` on each: the same code path, from the same variables.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from cortexkit.cli._args import say

__all__ = ["launch", "quiet_unless_rank_zero", "under_torchrun", "worker"]

TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")  # set by torchrun (importing torch: slow)


def under_torchrun() -> bool:
    """Whether this process was started by torchrun (its variables are set)."""
    return all(k in os.environ for k in TORCHRUN_ENV)


def quiet_unless_rank_zero(args: argparse.Namespace) -> None:
    """Silence every process but rank 0 (warnings and errors included: rank 0 reports the
    same ones), unless ``--debug``: one voice, not N."""
    if under_torchrun() and os.environ["RANK"] != "0":
        args.quiet = True
        warnings.simplefilter("ignore")
        if not getattr(args, "debug", False):
            sys.stderr = open(os.devnull, "w")  # for the life of the process


def without_nproc(argv: list[str]) -> list[str]:
    """The command line without ``--nproc N`` (or ``--nproc=N``)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def launch(args: argparse.Namespace) -> int:
    """Run this command in ``args.nproc`` processes through torchrun; the exit code (the
    first failed rank's, else 0). Each process gets ``cores / nproc`` threads unless
    ``OMP_NUM_THREADS`` is set."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    n = int(args.nproc)
    argv = without_nproc(list(getattr(args, "_cli_argv", sys.argv[1:])))
    os.environ.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // n, 1)))
    say(args, f"training in {n} processes (torchrun, {os.environ['OMP_NUM_THREADS']} "
        "thread(s) each); rank 0 writes the model")  # fmt: skip
    launcher = get_args_parser().parse_args(
        ["--standalone", f"--nproc-per-node={n}", "--module", "cortexkit", *argv]
    )
    # torchrun's own log lines (a rank's failure, the others stopped) say what the one
    # line below says
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    try:
        run(launcher)
    except ChildFailedError as exc:
        codes = [f.exitcode for _, f in sorted(exc.failures.items())]
        code = next((c for c in codes if c and c > 0), 1)
        print(f"cortexkit: error: {len(codes)} of {n} processes failed (exit code {code})",
              file=sys.stderr)  # fmt: skip
        return int(code)
    return 0


@contextmanager
def worker(args: argparse.Namespace) -> Iterator[None]:
    """Inside torchrun: join the process group for the training, give the other ranks'
    output files a temporary folder, and leave the group at the end. Outside: nothing."""
    from cortexkit.train.distributed import init_from_env, is_main

    if not init_from_env(args.device):
        yield
        return
    import torch.distributed as dist

    try:
        if is_main():
            yield
            return
        with (
            tempfile.TemporaryDirectory(prefix="cortexkit-rank-") as tmp,
            open(os.devnull, "w") as devnull,
            redirect_stdout(devnull),
            redirect_stderr(devnull),
        ):
            for name in ("out", "plot"):
                path = getattr(args, name, None)
                if path:
                    setattr(args, name, os.path.join(tmp, os.path.basename(str(path))))
            yield
    finally:
        dist.destroy_process_group()
