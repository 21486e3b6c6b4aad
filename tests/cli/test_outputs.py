"""``--out`` is checked before any data is read or trained on, and never overwrites an input.

Each message names the path as given, never the hidden temporary file of the atomic save.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def one_error(result) -> str:
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cortexkit: error: "), result.err
    assert ".tmp" not in lines[0]
    return lines[0]


def train(cli_run, data: Path | str, out: Path | str, *extra: str):
    return cli_run("--quiet", "train", "ann", str(data), "--target", "label", "--drop", "price",
                   "--epochs", "1", "--out", str(out), *extra)  # fmt: skip


def test_a_missing_folder_is_named_before_the_data_is_read(cli_run, tmp_path) -> None:
    out = tmp_path / "no" / "m.cortex"
    # The data file does not exist either: --out is what is reported, so it came first.
    line = one_error(train(cli_run, tmp_path / "absent.csv", out))
    assert (
        line == f"cortexkit: error: --out {str(out)!r}: folder {str(out.parent)!r} does not exist"
    )


def test_an_output_that_is_a_folder_is_refused(cli_run, small, tmp_path) -> None:
    line = one_error(train(cli_run, small["data"], tmp_path))
    assert f"--out {str(tmp_path)!r} is a folder" in line


def test_an_output_under_a_file_is_refused(cli_run, small, tmp_path) -> None:
    out = Path(small["data"]) / "m.cortex"
    line = one_error(train(cli_run, small["data"], out))
    assert f"{str(small['data'])!r} is not a folder" in line


def test_a_read_only_folder_is_refused_before_training(
    cli_run, small, tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root ignores the mode: say what the kernel would
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode: False if Path(p) == folder else real(p, mode)
        )
    try:
        line = one_error(train(cli_run, small["data"], folder / "m.cortex"))
    finally:
        folder.chmod(0o755)
    assert f"folder {str(folder)!r} is not writable" in line
    assert list(folder.iterdir()) == []


def test_train_refuses_to_overwrite_its_data(cli_run, small) -> None:
    before = Path(small["data"]).read_bytes()
    line = one_error(train(cli_run, small["data"], small["data"]))
    assert "is the training data" in line
    assert Path(small["data"]).read_bytes() == before


def test_checkpoint_is_checked_like_out(cli_run, small, tmp_path) -> None:
    out = tmp_path / "m.cortex"
    line = one_error(train(cli_run, small["data"], out, "--checkpoint", str(out)))
    assert f"--checkpoint {str(out)!r} is the --out model" in line
    line = one_error(train(cli_run, small["data"], out, "--checkpoint", str(tmp_path / "x" / "c")))
    assert "--checkpoint" in line and "does not exist" in line
    assert not out.exists()


def test_checkpoint_refuses_an_existing_file_that_is_not_a_checkpoint(
    cli_run, small, tmp_path
) -> None:
    out = tmp_path / "m.cortex"
    model = Path(small["price"])  # another model file, not an input of this run
    before = model.read_bytes()
    line = one_error(train(cli_run, small["data"], out, "--checkpoint", str(model)))
    assert (
        f"--checkpoint {str(model)!r} is a cortexkit model file, not a cortexkit checkpoint" in line
    )
    assert "name another --checkpoint path" in line
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    line = one_error(train(cli_run, small["data"], out, "--checkpoint", str(notes), "--resume"))
    assert f"--checkpoint {str(notes)!r} exists and is not a cortexkit checkpoint" in line
    assert model.read_bytes() == before and notes.read_text() == "keep me\n"
    assert not out.exists()  # refused before any work
    ckpt = tmp_path / "c.ckpt"  # a checkpoint may be overwritten, or resumed from
    for _ in range(2):
        result = train(cli_run, small["data"], out, "--checkpoint", str(ckpt))
        assert result.code == 0, result.err


@pytest.mark.parametrize("which", ["label", "data"])
def test_predict_refuses_to_overwrite_what_it_reads(cli_run, small, which) -> None:
    target = Path(small[which])
    before = target.read_bytes()
    result = cli_run("predict", str(small["label"]), str(small["data"]), "--out", str(target))
    line = one_error(result)
    role = "the model being read" if which == "label" else "the data being read"
    assert f"--out {str(target)!r} is {role}" in line
    assert target.read_bytes() == before


def test_predict_out_in_a_missing_folder(cli_run, small, tmp_path) -> None:
    out = tmp_path / "no" / "p.csv"
    line = one_error(cli_run("predict", str(small["label"]), str(small["data"]), "--out", str(out)))
    assert f"--out {str(out)!r}: folder" in line


def test_demo_out_that_is_a_file_is_refused(cli_run, small) -> None:
    line = one_error(cli_run("demo", "--quick", "--out", str(small["data"])))
    assert "is a file, not a folder" in line
