"""Parsing: one-line argparse errors, families found by discovery, shared defaults."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

import cortexkit.defaults
from cortexkit.cli import build_parser
from cortexkit.cli.families import TrainFamily, discover
from cortexkit.cli.families import ann as ann_family


@pytest.mark.parametrize(
    ("argv", "text", "hint"),
    [
        (["train", "ann", "d.csv", "--out", "m"], "required: --target", "cortexkit train ann"),
        (["train", "svm", "d.csv"], "invalid choice: 'svm'", "cortexkit train"),
        (["train"], "required: FAMILY", "cortexkit train"),
        ([], "required: COMMAND", "cortexkit"),
        (["train", "ann", "d", "--target", "y", "--out", "m", "--hidden-layers", "0,4"],
         "--hidden-layers", "cortexkit train ann"),
        (["train", "ann", "d", "--target", "y", "--out", "m", "--gradient-descent", "sideways"],
         "'sideways'", "cortexkit train ann"),
        # an ANN-only flag is not the perceptron's
        (["train", "perceptron", "d", "--target", "y", "--out", "m", "--hidden-layers", "4"],
         "unrecognized arguments: --hidden-layers 4", "cortexkit train perceptron"),
        (["train", "ann", "d", "--target", "y", "--out", "m", "--checkpoint-every", "0"],
         "--checkpoint-every", "cortexkit train ann"),
        (["explain", "--layers", "3,x,1"], "3,x,1", "cortexkit explain"),
        (["predict", "m.cortex"], "required: data", "cortexkit predict"),
    ],
)  # fmt: skip
def test_argparse_errors_are_one_line_with_a_hint(cli_run, argv, text, hint) -> None:
    result = cli_run(*argv)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("cortexkit: error: ")
    assert text in lines[0]
    assert lines[0].endswith(f"(see '{hint} --help')")


def test_resume_without_checkpoint_is_refused(cli_run, small, tmp_path) -> None:
    model = tmp_path / "m.cortex"
    result = cli_run("train", "ann", str(small["data"]), "--target", "label",
                     "--out", str(model), "--resume")  # fmt: skip
    assert result.code == 2
    assert result.err == (
        "cortexkit: error: --resume needs --checkpoint PATH, the checkpoint to continue from\n"
    )
    assert not model.exists()


def test_every_family_module_is_discovered() -> None:
    families = discover()
    assert {"ann", "perceptron"} <= set(families)
    assert all(isinstance(f, TrainFamily) and f.name == name for name, f in families.items())
    train = build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    assert set(train._subparsers._group_actions[0].choices) == set(families)


def test_ann_defaults_come_from_the_shared_defaults_object(monkeypatch) -> None:
    other = dataclasses.replace(
        cortexkit.defaults.ANN, hidden_layers=(7, 5), activation="tanh", batch_size=17,
        epochs=33, optimizer="sgd", learning_rate=0.25, weight_decay=0.5,
        early_stopping=False, validation_fraction=0.3, patience=4,
    )  # fmt: skip
    monkeypatch.setattr(cortexkit.defaults, "ANN", other)
    regressor = dataclasses.replace(other, weight_decay=0.75)
    monkeypatch.setattr(cortexkit.defaults, "ANN_REGRESSOR", regressor)
    args = build_parser().parse_args(["train", "ann", "d.csv", "--target", "y", "--out", "m"])
    assert (args.hidden_layers, args.activation, args.batch_size) == ([7, 5], "tanh", 17)
    assert (args.epochs, args.optimizer, args.learning_rate) == (33, "sgd", 0.25)
    assert (args.early_stopping, args.validation_fraction, args.patience) == (False, 0.3, 4)
    # the weight decay follows the task, known only once the target is read
    assert ann_family.build(args, "classify").weight_decay == 0.5
    assert ann_family.build(args, "regress").weight_decay == 0.75


def test_help_shows_the_defaults(cli_run) -> None:
    ann = cortexkit.defaults.ANN
    text = " ".join(cli_run("train", "ann", "--help").out.split())
    assert f"units per hidden layer (default: {','.join(map(str, ann.hidden_layers))})" in text
    assert f"learning rate (default: {ann.learning_rate})" in text
    assert "epochs between checkpoints (default: 1)" in text
    assert "(default: None)" not in text  # no default shown where there is none
    perceptron = " ".join(cli_run("train", "perceptron", "--help").out.split())
    assert "--hidden-layers" not in perceptron and "--optimizer" not in perceptron
    assert "--random-state" in perceptron
    # the perceptron rule does not run through the epoch loop: no checkpoint flags offered
    assert "--checkpoint" not in perceptron and "--resume" not in perceptron


def test_shared_flags_reach_every_family() -> None:
    parser = build_parser()
    for name, family in discover().items():
        # the table flags where the data is a supervised table (table=False: not offered)
        table = ["--target", "y", "--test-size", "0"] if family.table else []
        args = parser.parse_args(["train", name, "d.csv", *table, "--out", "m",
                                  "--random-state", "5"])  # fmt: skip
        assert (args.random_state, args.device) == (5, "auto")
        assert getattr(args, "test_size", 0) == 0
        if family.checkpoints:  # every family that trains through the epoch loop
            args = parser.parse_args(["train", name, "d.csv", *table[:2], "--out", "m",
                                      "--checkpoint", "c.ckpt", "--checkpoint-every", "3",
                                      "--resume"])  # fmt: skip
            assert (args.checkpoint, args.checkpoint_every, args.resume) == ("c.ckpt", 3, True)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


@pytest.mark.parametrize("family", sorted(discover()))
def test_every_option_of_every_train_family_says_what_it_is(family) -> None:
    """Each flag of ``cortexkit train FAMILY`` has help text (``train cnn`` had six flags
    with none; ``train rbm`` had four)."""
    train = _subparsers(build_parser())["train"]
    parser = _subparsers(train)[family]
    silent = [a.option_strings[0] for a in parser._actions if a.option_strings and not a.help]
    assert not silent, f"train {family}: {silent} have no help"


def test_messages_name_a_model_with_its_article() -> None:
    """Not "holds a AutoRecRecommender"; initialisms take the sound of their letter."""
    from cortexkit.cli._args import a_or_an

    assert [a_or_an(n) for n in ("AutoRecRecommender", "ANNClassifier", "RBM", "RNNForecaster",
                                 "DBN", "CNNClassifier", "SelfOrganizingMap")] == [
        "an AutoRecRecommender", "an ANNClassifier", "an RBM", "an RNNForecaster", "a DBN",
        "a CNNClassifier", "a SelfOrganizingMap",
    ]  # fmt: skip
