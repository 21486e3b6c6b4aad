"""Data-parallel training on torch.distributed: two CPU processes (gloo on loopback,
started by torchrun) against one, with the same global batch and seed.

The two processes share every batch (16 rows each of 32) and all-reduce: gradients for
the gradient-trained families, batch statistics for the SOM and the RBM. What is compared,
and within what:

- the two ranks hold the same model, exactly (rank 0's weights are broadcast each epoch);
- ANN and autoencoder (a flat all-reduce) and RNN (DistributedDataParallel) outputs, and
  the SOM's batch-map weights, match one process within 1e-4 absolute: the same
  arithmetic, but float32 sums in another order (the all-reduce);
- the RBM draws its own Gibbs samples in each process, so only its quality can match: the
  last epoch's reconstruction error within 15% of one process's (seeds alone move it by
  about 5%; training takes it from the trivial baseline to about 0.55 of it);
- a run resumed from a two-process checkpoint equals an uninterrupted one (1e-6), and a
  single process refuses that checkpoint.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from cortexkit import ANNClassifier
from cortexkit.train.batches import ArrayBatches, LoaderBatches, TensorBatches
from cortexkit.train.distributed import ShardedBatches

CASES = Path(__file__).with_name("distributed_cases.py")


def torchrun(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("ranks")
    done = torchrun("-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                    str(CASES), str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return out, [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


@pytest.fixture(scope="module")
def single() -> dict:
    """The cases trained in this one process (one thread, as each rank had)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cases = runpy.run_path(str(CASES))["CASES"]
        return {name: cases[name](None) for name in ("ann", "autoencoder", "rnn", "som", "rbm")}
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_the_ranks_hold_one_model(ranks) -> None:
    _, (zero, one) = ranks
    assert int(zero["world_size"]) == 2
    for name in ("ann", "ann_resumed", "autoencoder", "rnn", "som", "rbm"):
        torch.testing.assert_close(zero[name], one[name], rtol=0, atol=0, msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ann", "autoencoder", "rnn", "som"])
def test_two_processes_match_one(ranks, single, name) -> None:
    _, (zero, _) = ranks
    torch.testing.assert_close(zero[name], single[name], rtol=0, atol=1e-4)


@pytest.mark.slow
def test_rbm_statistics_averaged_train_as_one_process(ranks, single) -> None:
    _, (zero, _) = ranks
    two, one = float(zero["rbm"]), float(single["rbm"])
    assert abs(two - one) <= 0.15 * one, (two, one)
    X = runpy.run_path(str(CASES))["digits"]()[0] > 0.5
    trivial = float(((X - X.mean(0)) ** 2).mean())  # every pixel its mean
    assert two < 0.7 * trivial, (two, trivial)  # it learned: one process ends near 0.55x


@pytest.mark.slow
def test_resume_with_the_same_processes_continues_exactly(ranks) -> None:
    out, (zero, _) = ranks
    torch.testing.assert_close(zero["ann_resumed"], zero["ann_four"], rtol=0, atol=1e-6)
    X, y = runpy.run_path(str(CASES))["digits"]()
    est = ANNClassifier(hidden_layers=(16,), epochs=5, batch_size=32, validation_fraction=0.25,
                        early_stopping=False, random_state=0, checkpoint=str(out / "ann.ckpt"),
                        resume=True)  # fmt: skip
    with pytest.raises(ValueError, match=r"written by 2 process\(es\).*--nproc 2"):
        est.fit(X, y)


@pytest.mark.slow
def test_cli_nproc_2_writes_one_model_file(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    lines = ["a,b,c,y", *(f"{a},{b},{c},{int(a + b > 0)}" for a, b, c in X)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    done = torchrun("-m", "cortexkit", "train", "ann", "d.csv", "--target", "y", "--out",
                    "m.json", "--epochs", "3", "--checkpoint", "ck", "--nproc", "2",
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck", "d.csv", "m.json"]
    assert done.stdout.count("balanced_accuracy") == 1  # rank 0 alone reports
    assert "training in 2 processes" in done.stderr


def sources(tmp_path: Path) -> dict:
    """Four sources of the same 20 rows; row ``i``'s first value is ``i``."""
    from PIL import Image

    from cortexkit.data import ImageFolder

    X = np.repeat(np.arange(20, dtype=np.float32)[:, None], 2, axis=1)
    memmap = np.memmap(tmp_path / "X.f32", dtype=np.float32, mode="w+", shape=X.shape)
    memmap[:] = X
    for i in range(20):  # an image folder, image i all of gray level i
        folder = tmp_path / "images" / ("a" if i < 10 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("L", (4, 4), color=i).save(folder / f"{i:02d}.png")
    cpu = torch.device("cpu")
    return {
        "tensors": TensorBatches(torch.from_numpy(X)),
        "memmap": ArrayBatches(memmap, device=cpu),
        "dataset": LoaderBatches(TensorDataset(torch.from_numpy(X)), device=cpu),
        "image folder": LoaderBatches(ImageFolder(tmp_path / "images"), device=cpu),
    }


@pytest.mark.parametrize("kind", ["tensors", "memmap", "dataset", "image folder"])
def test_each_rank_takes_its_share_of_every_batch(tmp_path, kind) -> None:
    source = sources(tmp_path)[kind]
    order = source.order(6, shuffle=True, generator=torch.Generator().manual_seed(3))
    parts = [ShardedBatches(source, rank=r, world_size=2, batch_size=3) for r in range(2)]
    epochs = [
        [b[0].reshape(len(b[0]), -1)[:, 0].long()
         for b in p.epoch(3, shuffle=True, generator=torch.Generator().manual_seed(3))]
        for p in parts
    ]  # fmt: skip
    # batches of 6 rows of the one order: 6, 6, 6 and a last one of 2, a row for each rank
    assert [len(e) for e in epochs] == [4, 4] and [p.n for p in parts] == [10, 10]
    for k, start in enumerate(range(0, 20, 6)):
        both = torch.cat([epochs[0][k], epochs[1][k]])
        assert sorted(both.tolist()) == sorted(order[start : start + 6].tolist())
        assert not set(epochs[0][k].tolist()) & set(epochs[1][k].tolist())


def test_a_short_last_batch_leaves_its_odd_row_out() -> None:
    source = TensorBatches(torch.arange(7.0))
    parts = [ShardedBatches(source, rank=r, world_size=2, batch_size=2) for r in range(2)]
    rows = [
        torch.cat([b[0] for b in p.epoch(2, shuffle=False, generator=torch.Generator())])
        for p in parts
    ]
    assert rows[0].tolist() == [0.0, 1.0, 4.0] and rows[1].tolist() == [2.0, 3.0, 5.0]
    assert [p.n for p in parts] == [3, 3]
    with pytest.raises(ValueError, match="rank must be in"):
        ShardedBatches(source, rank=2, world_size=2, batch_size=2)


def test_nproc_is_removed_from_the_rerun_command_line() -> None:
    from cortexkit.cli.parallel import without_nproc

    argv = ["train", "ann", "d.csv", "--nproc", "2", "--out", "m.json", "--nproc=3"]
    assert without_nproc(argv) == ["train", "ann", "d.csv", "--out", "m.json"]
