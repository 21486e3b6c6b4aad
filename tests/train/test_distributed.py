"""Two processes, each on half the data, averaging gradients, take the same steps as one
process on all of it: the loop's gradient hook is the only seam data parallelism needs."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cortexkit.train.distributed import shard

WORKER = Path(__file__).with_name("ddp_worker.py")


def test_two_processes_match_one(tmp_path) -> None:
    out = str(tmp_path / "weights")
    workers = [
        subprocess.Popen([sys.executable, str(WORKER), str(r), str(tmp_path / "rdv"), out])
        for r in range(2)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    ranks = [torch.load(f"{out}.{r}", weights_only=True) for r in range(2)]
    worker = runpy.run_path(str(WORKER))  # the same data and training, in this process
    data, train = worker["data"], worker["train"]
    single = train(*data())
    torch.testing.assert_close(ranks[0], ranks[1], rtol=0, atol=0)  # identical copies
    # float32 sums in another order (all-reduce, this process's thread count): seen to differ
    # by a little over 1e-5 once under load, so 1e-4; training on half the data moves far more
    torch.testing.assert_close(ranks[0], single, rtol=1e-4, atol=1e-5)
    half = train(*shard(*data(), rank=0, world_size=2))
    assert not torch.allclose(half, single, rtol=1e-3, atol=1e-4)  # the averaging mattered


def test_shard_takes_every_nth_row_and_checks_the_rank() -> None:
    X, y = torch.arange(12).reshape(6, 2), torch.arange(6)
    parts = [shard(X, y, rank=r, world_size=3)[1].tolist() for r in range(3)]
    assert parts == [[0, 3], [1, 4], [2, 5]]
    with pytest.raises(ValueError, match="rank"):
        shard(X, y, rank=3, world_size=3)
