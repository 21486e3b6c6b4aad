"""train: sizes that cannot fit, and checkpoints from the command line."""

from __future__ import annotations

import errno

import torch

from cortexkit import load
from cortexkit.train.checkpoint import read_checkpoint


def test_a_network_larger_than_memory_is_refused_in_one_line(cli_run, small, tmp_path) -> None:
    out = tmp_path / "huge.cortex"
    result = cli_run("train", "ann", str(small["data"]), "--target", "label",
                     "--hidden-layers", "100000000", "--out", str(out))  # fmt: skip
    assert result.code == 2
    assert "cortexkit: error: the network (layers [" in result.err
    assert "of memory; this machine has" in result.err
    assert not out.exists()


def test_checkpoint_and_resume_from_the_command_line(cli_run, small, tmp_path) -> None:
    ckpt, out = tmp_path / "run.ckpt", tmp_path / "m.cortex"
    common = ["--quiet", "train", "ann", str(small["data"]), "--target", "label",
              "--drop", "price", "--hidden-layers", "8", "--no-early-stopping",
              "--random-state", "1"]  # fmt: skip
    first = cli_run(*common, "--epochs", "4", "--checkpoint", str(ckpt), "--out", str(out))
    assert first.code == 0, first.err
    assert read_checkpoint(ckpt)["epochs_done"] == 4
    more = cli_run(*common, "--epochs", "7", "--checkpoint", str(ckpt), "--resume",
                   "--out", str(out))  # fmt: skip
    assert more.code == 0, more.err
    assert read_checkpoint(ckpt)["epochs_done"] == 7
    assert f"resumed from {ckpt} after epoch 4" in more.out + more.err
    straight = tmp_path / "straight.cortex"
    whole = cli_run(*common, "--epochs", "7", "--out", str(straight))
    assert whole.code == 0, whole.err
    # 4 epochs, then 3 more from the checkpoint: the weights of 7 epochs in one go
    assert torch.equal(load(out).network_.flat, load(straight).network_.flat)
    other = cli_run(*common, "--epochs", "9", "--learning-rate", "0.5", "--checkpoint", str(ckpt),
                    "--resume", "--out", str(out))  # fmt: skip
    assert other.code == 2 and "learning_rate=" in other.err


def test_a_full_disk_while_checkpointing_is_one_line_naming_the_checkpoint(
    cli_run, small, tmp_path, monkeypatch
) -> None:
    from cortexkit.io import envelope

    ckpt, out = tmp_path / "run.ckpt", tmp_path / "m.cortex"
    real = envelope.os.fdopen

    class FullDisk:  # the file opens; writing to it finds no space
        def __init__(self, fd: int, mode: str) -> None:
            self._file = real(fd, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(envelope.os, "fdopen", FullDisk)
    result = cli_run("--quiet", "train", "ann", str(small["data"]), "--target", "label",
                     "--drop", "price", "--epochs", "2", "--checkpoint", str(ckpt),
                     "--out", str(out))  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    line = result.err.strip()
    assert line.startswith(f"cortexkit: error: cannot save the checkpoint {str(ckpt)!r}: ")
    assert "the disk is full (No space left on device)" in line and "free some space" in line
    assert "[Errno" not in line and ".tmp" not in line
    assert list(tmp_path.iterdir()) == []  # no temporary file left, no model
