"""Data-parallel training with ``torch.distributed``: one process per CPU share or GPU.

Every process holds an identical copy of the model and trains on its own share of every
batch; the processes agree after each step, so every copy takes the same update:

- a gradient-trained family (ANN, CNN, RNN, autoencoders, AutoRec, a DBN's fine-tuning)
  averages its gradients over the processes after each backward pass. Where the
  gradients come through a module's ``forward`` (an
  :class:`~cortexkit.train.AutogradObjective`: the CNN, the RNNs, the ANN's autograd
  path), the training forward pass goes through ``DistributedDataParallel``, which
  all-reduces them in buckets while the backward pass runs. DDP sees nothing else, so the
  dense network (a hand-written backward over one flat weight tensor), the autoencoders
  (``encode_stats``/``decode``) and AutoRec (a sparse first layer) all-reduce theirs once
  per step, after backprop and before the optimiser (:func:`average_gradients`, the
  loop's ``OptimConfig.gradient_hook``): every gradient in one flat buffer, one
  all-reduce, which is DDP's arithmetic with a single bucket and no overlap;
- a SOM or a Boltzmann machine sums (or averages) its batch statistics across processes
  (:func:`all_reduce_sum`, :func:`all_reduce_mean`) where it computes them, and applies
  the same update everywhere.

The epoch loop does the rest (:class:`~cortexkit.train.EpochLoop`, with
``LoopConfig.data_parallel``, which every estimator sets when a process group is up): each
process takes its contiguous ``batch_size / N`` rows of each global batch (the shuffling
order is the same everywhere: the same seed), the epoch's loss is summed over processes,
the weights are broadcast from rank 0 after each epoch (batch norm's running statistics
included), only rank 0 shows progress and writes checkpoints, and a checkpoint keeps
every rank's random state.

A process joins its group with :func:`init_from_env` from the variables ``torchrun`` sets
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): the gloo
backend on the CPU, NCCL on CUDA. Outside a group every helper here is a no-op, so a
family calls them unconditionally.

Examples
--------
>>> import torch
>>> from cortexkit.train.distributed import all_reduce_sum, shard, world
>>> world()  # no process group: rank 0 of 1
(0, 1)
>>> t = torch.ones(2)
>>> all_reduce_sum(t) is None and t.tolist() == [1.0, 1.0]  # a no-op outside a group
True
>>> X, y = torch.arange(10).reshape(5, 2), torch.arange(5)
>>> shard(X, y, rank=1, world_size=2)[1]
tensor([1, 3])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import Tensor

from cortexkit.train.batches import Batch, Batches

if TYPE_CHECKING:
    from cortexkit.train.step import Step

__all__ = [
    "TORCHRUN_ENV",
    "ShardedBatches",
    "all_reduce_mean",
    "all_reduce_sum",
    "any_rank",
    "average_gradients",
    "broadcast_state",
    "data_parallel",
    "gather_objects",
    "gather_rows",
    "init_from_env",
    "is_distributed",
    "is_main",
    "own_rank_state",
    "rank_seed",
    "shard",
    "sum_floats",
    "world",
    "write_on_rank_zero",
]

#: what torchrun sets in each process it starts
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")

RANK_SEED_STRIDE = 1_000_003  # apart the ranks' global seeds (dropout, Gibbs sampling)


def is_distributed() -> bool:
    """Whether this process is one of several in an initialised process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world() -> tuple[int, int]:
    """``(rank, world_size)``: ``(0, 1)`` outside a process group."""
    if not is_distributed():
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def is_main() -> bool:
    """Whether this process is rank 0 (or the only one): the one that writes and talks."""
    return world()[0] == 0


def rank_seed(seed: int) -> int:
    """``seed`` moved apart for each rank (the same on rank 0), so that the processes draw
    different dropout masks and Gibbs samples for their different rows."""
    return seed + RANK_SEED_STRIDE * world()[0]


def init_from_env(device: Any = "auto") -> bool:
    """Join the process group that ``torchrun`` describes in the environment; whether this
    process is now one of several. Gloo for a CPU ``device``, NCCL for CUDA (each process
    then uses the GPU of its ``LOCAL_RANK``; gloo again where processes share a GPU).
    Nothing happens outside ``torchrun`` (no ``WORLD_SIZE`` above 1) or when a group is
    already up.

    Raises
    ------
    ValueError
        If ``WORLD_SIZE`` or ``RANK`` is set but not an integer.
    """
    if dist.is_available() and dist.is_initialized():
        return is_distributed()
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        local_size = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    except ValueError:
        raise ValueError(
            "WORLD_SIZE, RANK, LOCAL_RANK and LOCAL_WORLD_SIZE must be integers (as torchrun "
            "sets them); got " + ", ".join(f"{k}={os.environ.get(k)!r}" for k in TORCHRUN_ENV)
        ) from None
    if size <= 1 or "RANK" not in os.environ:
        return False
    wanted = str(device)
    cuda = torch.cuda.is_available() and (wanted == "auto" or wanted.startswith("cuda"))
    if cuda:
        torch.cuda.set_device(local % torch.cuda.device_count())
    # NCCL needs a GPU of its own per process; more processes than GPUs share them on gloo
    gpus_each = cuda and torch.cuda.device_count() >= local_size
    dist.init_process_group("nccl" if gpus_each else "gloo")
    return is_distributed()


def _device() -> torch.device:
    """Where the group's collectives run: the current GPU for NCCL, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _unique(tensors: tuple[Tensor | None, ...]) -> list[Tensor]:
    """The tensors, each once (a step may pass one tensor under two names)."""
    seen: dict[int, Tensor] = {}
    for t in tensors:
        if t is not None:
            seen.setdefault(id(t), t)
    return list(seen.values())


def _all_reduce(tensors: list[Tensor]) -> None:
    """Sum ``tensors`` across processes in place, through one flat buffer (one message)."""
    if len(tensors) == 1 and tensors[0].is_contiguous():
        dist.all_reduce(tensors[0])
        return
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    start = 0
    for t in tensors:
        t.copy_(flat[start : start + t.numel()].view_as(t))
        start += t.numel()


def all_reduce_sum(*tensors: Tensor | None) -> None:
    """Sum the tensors across processes, in place (a SOM's neighbourhood-weighted sums):
    one all-reduce for all of them. A no-op outside a process group."""
    if is_distributed():
        unique = _unique(tensors)
        if unique:
            _all_reduce(unique)


def all_reduce_mean(*tensors: Tensor | None) -> None:
    """Average the tensors across processes, in place (a Boltzmann machine's batch
    statistics, each a mean over the process's equal share of the batch, so their average
    is the mean over the whole batch). A no-op outside a process group."""
    if is_distributed():
        unique = _unique(tensors)
        if unique:
            _all_reduce(unique)
            size = dist.get_world_size()
            for t in unique:
                t.div_(size)


def gather_rows(t: Tensor) -> Tensor:
    """Every process's ``t`` (the same shape on each: its equal share of a batch),
    concatenated along the first axis in rank order, detached; ``t`` itself outside a
    process group."""
    if not is_distributed():
        return t.detach()
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.detach().contiguous())
    return torch.cat(parts)


def average_gradients(params: list[Tensor]) -> None:
    """All-reduce every gradient and divide by the number of processes (in place): one
    flat buffer, one all-reduce per step (the dense network's single flat tensor is
    reduced where it lies)."""
    world_size = dist.get_world_size()
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    _all_reduce(grads)
    for g in grads:
        g.div_(world_size)


def sum_floats(*values: float) -> list[float]:
    """Each value summed over the processes (float64); the values themselves outside a
    process group."""
    if not is_distributed():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=_device())
    dist.all_reduce(t)
    return [float(v) for v in t.cpu()]


def any_rank(flag: bool) -> bool:
    """Whether ``flag`` is true in any process (a callback that asks one rank to stop
    stops them all: otherwise the others would wait for it forever)."""
    if not is_distributed():
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def broadcast_state(step: Step) -> None:
    """Give every process rank 0's weights (and buffers, such as batch norm's running
    statistics): after each epoch, so that the copies cannot drift apart."""
    if not is_distributed():
        return
    state = step.state_dict()
    device = _device()
    tensors = {k: v.detach().to(device).clone() for k, v in state.items() if isinstance(v, Tensor)}
    for key in sorted(tensors):
        dist.broadcast(tensors[key], src=0)
    step.load_state_dict({**state, **{k: v.to(state[k].device) for k, v in tensors.items()}})


def gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj`` (picklable), in rank order: ``[obj]`` outside a group."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def shard(X: Tensor, y: Tensor, *, rank: int, world_size: int) -> tuple[Tensor, Tensor]:
    """This process's rows: every ``world_size``-th one, starting at ``rank``.

    Raises
    ------
    ValueError
        If ``rank`` is not in ``[0, world_size)``.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}); got {rank}")
    rows = torch.arange(rank, X.shape[0], world_size, device=X.device)
    return X.index_select(0, rows), y.index_select(0, rows)


class ShardedBatches(Batches):
    """One process's share of every batch of ``source``, for data-parallel training.

    All processes draw the same order (the same generator, seeded alike) and cut it into
    global batches of ``batch_size * world_size`` rows; this process takes its
    contiguous ``len(batch) // world_size`` rows of each (so every process steps as
    often, on as many rows). The ``len(batch) % world_size`` rows left over (only in a
    short last batch when ``batch_size`` is given) are skipped this epoch; another
    order skips others. ``n`` is this process's rows per epoch; :meth:`take` and
    :meth:`sample` read ``source`` itself (every process sees the same metric sample).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.train.batches import TensorBatches
    >>> from cortexkit.train.distributed import ShardedBatches
    >>> source = TensorBatches(torch.arange(10))
    >>> part = ShardedBatches(source, rank=1, world_size=2, batch_size=2)
    >>> [b[0].tolist() for b in part.epoch(2, shuffle=False, generator=torch.Generator())]
    [[2, 3], [6, 7], [9]]
    """

    def __init__(
        self, source: Batches, *, rank: int, world_size: int, batch_size: int | None
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}); got {rank}")
        self.source, self.rank, self.world_size = source, rank, world_size
        self.device = source.device
        n = source.n
        if batch_size is None:
            self.n = n // world_size
        else:
            full, tail = divmod(n, batch_size * world_size)
            self.n = full * batch_size + tail // world_size

    def _rows(
        self, batch_size: int | None, shuffle: bool, generator: torch.Generator
    ) -> list[Tensor]:
        n, w = self.source.n, self.world_size
        size = n if batch_size is None else min(batch_size * w, n)
        order = self.source.order(size, shuffle=shuffle, generator=generator)
        mine = []
        for start in range(0, n, size):
            batch = order[start : start + size]
            share = len(batch) // w
            if share:
                mine.append(batch[self.rank * share : (self.rank + 1) * share])
        return mine

    def epoch(
        self, batch_size: int | None, *, shuffle: bool, generator: torch.Generator
    ) -> Iterator[Batch]:
        """This process's share of each batch; ``batch_size`` is its share of a full one."""
        return self.source.batches_of(self._rows(batch_size, shuffle, generator))

    def take(self, rows: Tensor) -> Batch:
        return self.source.take(rows)

    def sample(self, k: int, generator: torch.Generator) -> Batch:
        return self.source.sample(k, generator)


def data_parallel(
    batches: Batches, batch_size: int | None, step: Step
) -> tuple[Batches, int | None]:
    """Set up a data-parallel run: this process's :class:`ShardedBatches` of ``batches`` and
    its share of a batch (``batch_size`` over the processes, rounded up), the gradient
    all-reduce on a gradient step, and rank 0's weights everywhere.

    Raises
    ------
    ValueError
        If ``batch_size``, or the training rows, are fewer than the processes.
    """
    from cortexkit.train.step import GradientStep

    rank, size = world()
    if batches.n < size:
        raise ValueError(f"{size} processes need at least {size} training rows; got {batches.n}")
    if batch_size is not None and batch_size < size:
        raise ValueError(
            f"batch_size={batch_size} cannot be shared by {size} processes: use a batch_size "
            f"of at least {size} (stochastic gradient descent, batch_size=1, runs in one process)"
        )
    local = None if batch_size is None else -(-batch_size // size)
    if isinstance(step, GradientStep) and step.config.gradient_hook is None:
        if not _through_ddp(step.objective):  # a hand-written backward: one flat all-reduce
            step.config.gradient_hook = average_gradients
    broadcast_state(step)
    return ShardedBatches(batches, rank=rank, world_size=size, batch_size=local), local


def _through_ddp(objective: Any) -> bool:
    """Route an :class:`~cortexkit.train.AutogradObjective`'s training forward pass through
    ``DistributedDataParallel`` (which all-reduces the gradients in buckets during the
    backward pass, and gives every process rank 0's buffers at each forward); whether it
    is one. Its module stays the plain one for everything else (state, evaluation)."""
    from torch.nn.parallel import DistributedDataParallel

    from cortexkit.train.objective import AutogradObjective

    if not isinstance(objective, AutogradObjective):
        return False
    if "_ddp" not in objective.__dict__:  # once per objective (partial_fit runs again)
        module = objective.module
        objective._ddp = DistributedDataParallel(module)  # type: ignore[attr-defined]
        compute = objective.compute_gradients

        def compute_gradients(*batch: Tensor) -> Tensor:
            objective.module = objective._ddp  # type: ignore[attr-defined]
            try:
                return compute(*batch)
            finally:
                objective.module = module

        objective.compute_gradients = compute_gradients  # type: ignore[method-assign,assignment]
    return True


def write_on_rank_zero(
    path: str, state: dict[str, Any], write: Callable[[str, dict[str, Any]], None]
) -> None:
    """Checkpoint a data-parallel run: rank 0 calls ``write(path, state)`` with every
    rank's random state and step state (an RBM's persistent chains, say) under
    ``"ranks"``; the others write nothing. Every rank must call it, and all return once the
    file is written (a resume that follows at once then finds it on every rank)."""
    ranks = gather_objects({"rng": state["rng"], "step": state["step"]})
    if is_main():
        write(path, {**state, "ranks": ranks})
    dist.barrier()


def own_rank_state(state: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's state for this process: its own rank's random and step state.

    Raises
    ------
    ValueError
        If the checkpoint was written by another number of processes.
    """
    ranks = state.get("ranks")
    rank, size = world()
    written = len(ranks) if ranks else 1
    if written != size:
        raise ValueError(
            f"the checkpoint was written by {written} process(es) and this run has {size}: "
            f"resume with the same number (--nproc {written})"
        )
    if not ranks:
        return state
    return {**state, "rng": ranks[rank]["rng"], "step": ranks[rank]["step"]}
