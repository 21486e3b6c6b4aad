"""``cortexkit recommend train / top / evaluate`` end to end on a small ratings file."""

from __future__ import annotations

import json

import pytest

from cortexkit.cli import run_captured
from cortexkit.recommend import random_split


@pytest.fixture(scope="module")
def files(tmp_path_factory, ratings):
    folder = tmp_path_factory.mktemp("cli")
    train, test = random_split(ratings, 0.2, random_state=0)
    for name, part in (("train.data", train), ("test.data", test)):
        frame = part.to_frame()
        frame["timestamp"] = range(len(frame))
        frame.to_csv(folder / name, sep="\t", header=False, index=False)
    (folder / "u.item").write_text("".join(f"{i}|Film {i} (1999)|x\n" for i in range(101, 221)))
    return folder


@pytest.mark.parametrize("model", ["autorec", "rbm", "stacked-ae", "dbm"])
def test_train_top_evaluate(files, tmp_path, model) -> None:
    out = tmp_path / f"{model}.cortex"
    trained = run_captured(
        "recommend",
        "train",
        str(files / "train.data"),
        "--model",
        model,
        "--epochs",
        "3",
        "--split",
        "random",
        "--out",
        str(out),
        "--quiet",
    )
    assert trained.code == 0, trained.err
    assert "rmse" in trained.out and "ndcg@10" in trained.out
    top = run_captured(
        "recommend", "top", str(out), "--user", "1", "-k", "3", "--items", str(files / "u.item")
    )
    assert top.code == 0, top.err
    lines = top.out.strip().splitlines()
    assert len(lines) == 4 and "Film" in lines[1]
    scored = run_captured("recommend", "evaluate", str(out), str(files / "test.data"), "--json")
    assert scored.code == 0, scored.err
    assert set(json.loads(scored.out)) == {
        "rmse", "mae", "precision@10", "recall@10", "ndcg@10", "coverage", "baseline"
    }  # fmt: skip


def test_evaluate_prints_the_item_mean_baseline(files, tmp_path) -> None:
    import numpy as np
    import pandas as pd

    out = tmp_path / "m.cortex"
    trained = run_captured(
        "recommend", "train", str(files / "train.data"), "--model", "autorec", "--out", str(out),
        "--quiet",
    )  # fmt: skip
    assert trained.code == 0, trained.err
    scored = run_captured("recommend", "evaluate", str(out), str(files / "test.data"), "--json")
    baseline = json.loads(scored.out)["baseline"]
    # The oracle: each item's training mean, shrunk by 5 pseudo-ratings of the global mean.
    names = ["user", "item", "rating", "t"]
    train = pd.read_csv(files / "train.data", sep="\t", names=names)
    test = pd.read_csv(files / "test.data", sep="\t", names=names)
    mean = train.rating.mean()
    items = train.groupby("item").rating.agg(["sum", "count"])
    shrunk = (items["sum"] + 5 * mean) / (items["count"] + 5)
    guess = test.item.map(shrunk).fillna(mean).clip(1, 5)
    assert baseline["rmse"] == pytest.approx(np.sqrt(np.mean((guess - test.rating) ** 2)))
    assert json.loads(scored.out)["rmse"] < baseline["rmse"]  # the defaults learn the users
    text = run_captured("recommend", "evaluate", str(out), str(files / "test.data")).out
    assert f"baseline       rmse {baseline['rmse']:.4f}" in text


def test_bad_input_is_one_line_and_exit_2(files, tmp_path) -> None:
    out = tmp_path / "m.cortex"
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item,rating\n1,2,9\n")
    result = run_captured("recommend", "train", str(bad), "--model", "rbm", "--out", str(out))
    assert result.code == 2 and "outside the declared scale" in result.err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = run_captured("recommend", "train", str(empty), "--model", "autorec", "--out", str(out))
    assert result.code == 2 and "empty" in result.err
    result = run_captured("recommend", "top", str(out), "--user", "1", "-k", "0")
    assert result.code == 2 and "positive integer" in result.err
    result = run_captured(
        "recommend", "train", str(files / "train.data"), "--model", "svd", "--out", str(out)
    )
    assert result.code == 2 and "invalid choice" in result.err
    few = tmp_path / "few.csv"  # three ratings a user: leave-5-out holds out none
    few.write_text(
        "user,item,rating\n" + "".join(f"{u},{i},3\n" for u in range(4) for i in range(3))
    )
    result = run_captured("recommend", "train", str(few), "--model", "autorec", "--split",
                          "leave-k-out", "--leave-k", "5", "--out", str(out))  # fmt: skip
    assert result.code == 2 and "0 test ratings" in result.err and "--leave-k 5" in result.err
    assert not out.exists()  # refused before training, not after saving


def test_a_model_that_is_not_a_recommender_is_refused(tmp_path) -> None:
    from sklearn.datasets import load_iris

    from cortexkit import Perceptron

    X, y = load_iris(return_X_y=True)
    Perceptron(epochs=2).fit(X, y == 0).save(tmp_path / "p.cortex")
    result = run_captured("recommend", "top", str(tmp_path / "p.cortex"), "--user", "1")
    assert result.code == 2 and "not a recommender" in result.err


def test_predict_and_evaluate_point_a_recommender_to_recommend(files, tmp_path) -> None:
    """``cortexkit predict`` / ``evaluate`` given a recommender's model file: one line and
    exit 2 naming the command to use."""
    out = tmp_path / "m.cortex"
    trained = run_captured("recommend", "train", str(files / "train.data"), "--model",
                           "autorec", "--epochs", "1", "--out", str(out), "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n3,4\n")
    for command, hint in (("predict", "recommend top"), ("evaluate", "recommend evaluate")):
        result = run_captured(command, str(out), str(table))
        assert result.code == 2 and hint in result.err, result.err
        assert len(result.err.strip().splitlines()) == 1


def test_evaluate_refuses_an_unsupervised_model_by_name(tmp_path) -> None:
    import numpy as np

    from cortexkit import RBM

    RBM(4, epochs=1, random_state=0).fit(np.eye(6)).save(tmp_path / "r.cortex")
    table = tmp_path / "t.csv"
    table.write_text("".join(",".join("01"[i == j] for j in range(6)) + "\n" for i in range(7)))
    result = run_captured("evaluate", str(tmp_path / "r.cortex"), str(table))
    assert result.code == 2 and "holds an RBM" in result.err and "predict" in result.err


def test_top_prints_aligned_columns(files, tmp_path) -> None:
    out = tmp_path / "m.cortex"
    trained = run_captured("recommend", "train", str(files / "train.data"), "--model",
                           "autorec", "--epochs", "1", "--out", str(out), "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    top = run_captured("recommend", "top", str(out), "--user", "1", "-k", "5",
                       "--items", str(files / "u.item"))  # fmt: skip
    assert top.code == 0, top.err
    lines = top.out.rstrip("\n").splitlines()
    header = lines[0]
    for line in lines[1:]:  # each number ends where its heading does; titles start together
        assert line.index("  Film") == header.index("  title")
        assert line[: header.index("item") + 4].endswith(line.split()[1])


def test_train_checkpoints_and_resumes(files, tmp_path) -> None:
    """``recommend train --checkpoint PATH --resume`` continues an interrupted run to the
    model an uninterrupted one writes (it took no checkpoint flags). The stacked
    autoencoder keeps one learning rate throughout, so a 2-epoch run is the start of a
    4-epoch one (the defaults' schedules span the epochs asked for)."""
    import numpy as np

    from cortexkit import load
    from cortexkit.recommend import read_ratings

    data, ckpt = str(files / "train.data"), tmp_path / "run.ckpt"
    base = ["recommend", "train", data, "--model", "stacked-ae", "--quiet"]
    whole, part, resumed = tmp_path / "w.cortex", tmp_path / "p.cortex", tmp_path / "r.cortex"
    assert run_captured(*base, "--epochs", "4", "--out", str(whole)).code == 0
    first = run_captured(*base, "--epochs", "2", "--checkpoint", str(ckpt), "--out", str(part))
    assert first.code == 0 and ckpt.exists(), first.err
    second = run_captured(*base, "--epochs", "4", "--checkpoint", str(ckpt), "--resume",
                          "--out", str(resumed))  # fmt: skip
    assert second.code == 0, second.err
    test = read_ratings(files / "test.data")
    np.testing.assert_allclose(load(resumed).predict(test.user, test.item),
                               load(whole).predict(test.user, test.item), atol=1e-5)  # fmt: skip
    refused = run_captured(*base, "--resume", "--out", str(tmp_path / "x.cortex"))
    assert refused.code == 2 and "--resume needs --checkpoint" in refused.err
    clash = run_captured(*base, "--checkpoint", data, "--out", str(tmp_path / "y.cortex"))
    assert clash.code == 2 and "--checkpoint" in clash.err


def test_train_dropout_flag_reaches_autorec_only(files, tmp_path) -> None:
    from cortexkit import load

    out = tmp_path / "m.cortex"
    trained = run_captured("recommend", "train", str(files / "train.data"), "--model",
                           "autorec", "--epochs", "1", "--dropout", "0.5", "--out", str(out),
                           "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    assert load(out).dropout == 0.5
    for model, value in (("rbm", "0.5"), ("autorec", "1.5")):
        result = run_captured("recommend", "train", str(files / "train.data"), "--model", model,
                              "--dropout", value, "--out", str(tmp_path / "x.cortex"))  # fmt: skip
        assert result.code == 2 and "dropout" in result.err, result.err
        assert not (tmp_path / "x.cortex").exists()


def test_top_of_an_unknown_user_warns_and_lists_the_fallback(files, tmp_path) -> None:
    """A mistyped user is a warning (it was a plain note), then the best-rated items."""
    out = tmp_path / "m.cortex"
    trained = run_captured("recommend", "train", str(files / "train.data"), "--model",
                           "autorec", "--epochs", "1", "--out", str(out), "--quiet")  # fmt: skip
    assert trained.code == 0, trained.err
    with pytest.warns(UserWarning, match="'99999' is not in the training ratings"):
        top = run_captured("recommend", "top", str(out), "--user", "99999", "-k", "3")
    assert top.code == 0 and len(top.out.strip().splitlines()) == 5  # the note, a header, 3


def test_binary_follows_the_declared_scale(tmp_path) -> None:
    data = tmp_path / "likes.csv"
    data.write_text(
        "user,item,rating\n"
        + "".join(f"{u},{i},{(u + i) % 2}\n" for u in range(12) for i in range(10))
    )
    out = tmp_path / "m.cortex"
    flags = ["--model", "rbm", "--binary", "--scale", "0,1", "--epochs", "2", "--quiet"]
    result = run_captured("recommend", "train", str(data), *flags, "--out", str(out))
    assert result.code == 0, result.err
    scored = run_captured("recommend", "evaluate", str(out), str(data))
    assert scored.code == 0, scored.err
    assert "rating >= 0.5" in scored.out  # not 3, which no rating on 0 to 1 reaches
    other = tmp_path / "other.cortex"
    refused = run_captured(
        "recommend", "train", str(data), *flags, "--liked-at", "3", "--out", str(other)
    )
    assert refused.code == 2 and not other.exists()
    assert refused.err.count("\n") == 1 and "--liked-at must be above" in refused.err
    assert "scale 0 to 1" in refused.err
