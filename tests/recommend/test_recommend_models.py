"""AutoRec and the Boltzmann recommender on a generated latent-factor ratings set: they
learn, fall back, recommend, round-trip, and refuse bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cortexkit import AutoRecRecommender, BoltzmannRecommender, load
from cortexkit.recommend import evaluate, rmse

FAST = {"random_state": 0, "device": "cpu"}
MODELS = {
    # the paper's plain input and a constant rate: on this small set, whose ratings are
    # missing at random (who rated says nothing), the offset and dropout only slow it down
    "autorec-item": lambda: AutoRecRecommender(
        "item",
        32,
        epochs=150,
        learning_rate=0.01,
        weight_decay=20.0,
        dropout=0.0,
        input_offset=0.0,
        lr_schedule=None,
        **FAST,
    ),
    "autorec-user-stacked": lambda: AutoRecRecommender(
        "user",
        (16, 8, 16),
        activation="relu",
        epochs=150,
        learning_rate=0.01,
        weight_decay=5.0,
        **FAST,
    ),
    "rbm-item": lambda: BoltzmannRecommender(
        "rbm", "item", 32, epochs=30, batch_size=16, learning_rate=0.05, weight_decay=0.01, **FAST
    ),
    "rbm-user": lambda: BoltzmannRecommender(
        "rbm", "user", 32, epochs=30, batch_size=16, learning_rate=0.05, weight_decay=0.01, **FAST
    ),
    "dbm-item": lambda: BoltzmannRecommender(
        "dbm",
        "item",
        (32, 16),
        epochs=30,
        batch_size=16,
        learning_rate=0.05,
        weight_decay=0.01,
        **FAST,
    ),
}


@pytest.fixture(scope="module")
def fitted(split_ratings):
    train, _ = split_ratings
    return {name: make().fit(train) for name, make in MODELS.items()}


def _item_mean_rmse(train, test) -> float:
    means = {i: train.rating[train.item == i].mean() for i in np.unique(train.item)}
    pred = np.array([means.get(i, train.rating.mean()) for i in test.item])
    return rmse(test.rating, pred)


@pytest.mark.parametrize("name", MODELS)
def test_beats_the_item_mean(fitted, split_ratings, name) -> None:
    train, test = split_ratings
    scores = evaluate(fitted[name], test)
    assert scores["rmse"] < 0.95 * _item_mean_rmse(train, test), scores


@pytest.mark.parametrize("name", MODELS)
def test_save_load_gives_identical_predictions(fitted, split_ratings, tmp_path, name) -> None:
    _, test = split_ratings
    est = fitted[name]
    est.save(tmp_path / "m.cortex")
    back = load(tmp_path / "m.cortex")
    np.testing.assert_array_equal(
        back.predict(test.user, test.item), est.predict(test.user, test.item)
    )
    first = est.user_ids_[0]
    assert back.recommend(first, 5).equals(est.recommend(first, 5))


def _resign(path, edit) -> None:
    """Edit a model file's JSON document and recompute its digest, as a forger would."""
    import json

    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    from cortexkit.io.envelope import digest

    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    info = json.loads(header["__metadata__"]["cortexkit"])
    edit(info["state"])
    document = json.dumps(info, sort_keys=True)
    tensors = st_load(data)
    path.write_bytes(st_save(tensors, metadata={"cortexkit": document,
                                                "sha256": digest(document, tensors)}))  # fmt: skip


@pytest.mark.parametrize("name", ["user_ids_", "item_ids_"])
@pytest.mark.parametrize("model", ["rbm-item", "autorec-item"])
@pytest.mark.parametrize("mixed", [False, True])
def test_a_resigned_file_with_duplicate_ids_is_refused_by_load(
    fitted, tmp_path, name, model, mixed
) -> None:
    from cortexkit.exceptions import ModelFileError

    path = tmp_path / "m.cortex"
    fitted[model].save(path)

    def duplicate(state) -> None:  # the second id becomes the first (or its text: "7", 7)
        first = state[name][0]
        state[name][1] = str(first) if mixed else first

    _resign(path, duplicate)
    with pytest.raises(ModelFileError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and "is not a usable cortexkit model file" in message
    assert f"{name} lists 1 identifier(s) twice or more" in message


def test_unknown_users_and_items_take_the_fallback(fitted, split_ratings) -> None:
    train, _ = split_ratings
    est = fitted["autorec-item"]
    item = est.item_ids_[3]
    pred = est.predict([99999, 99999, est.user_ids_[0]], [item, 777, 777])
    assert pred[0] == pytest.approx(est.item_means_[3])  # unknown user: the item's mean
    assert pred[1] == pytest.approx(train.rating.mean())  # unknown item: the global mean
    assert pred[2] == pytest.approx(train.rating.mean())
    n = (train.item == item).sum()
    plain = train.rating[train.item == item].mean()
    assert est.item_means_[3] == pytest.approx((n * plain + 5 * train.rating.mean()) / (n + 5))
    top = est.recommend("nobody", k=4)  # an unknown user: the best fallback means
    np.testing.assert_allclose(top["score"], np.sort(est.item_means_)[::-1][:4])


@pytest.mark.parametrize("name", ["autorec-item", "rbm-user"])
def test_recommend_never_returns_a_seen_item(fitted, split_ratings, name) -> None:
    train, _ = split_ratings
    est = fitted[name]
    for user in est.user_ids_[:10]:
        seen = set(train.item[train.user == user].tolist())
        assert set(est.seen_items(user).tolist()) == seen
        top = est.recommend(user, k=len(est.item_ids_))
        assert not seen & set(top["item"].tolist())
        assert len(top) == len(est.item_ids_) - len(seen)
        assert np.all(np.diff(top["score"].to_numpy()) <= 0)  # best first
        with_seen = est.recommend(user, k=len(est.item_ids_), exclude_seen=False)
        assert len(with_seen) == len(est.item_ids_)


def test_items_tied_at_the_top_of_the_scale_are_ranked_by_the_unclipped_prediction(
    fitted,
) -> None:
    """Clipping tied many items at 5.000, and the tie fell to item order: the ranking now
    uses the predictions before clipping, while the scores shown stay on the scale."""
    est = fitted["autorec-item"]
    user = est.user_ids_[0]
    items = est.item_ids_
    raw = est._scores(np.full(len(items), user, dtype=object), items)
    raw[pd.Index(items).get_indexer(est.seen_items(user))] = -np.inf
    top = est.recommend(user, k=10)
    np.testing.assert_array_equal(top["item"], items[np.argsort(-raw, kind="stable")[:10]])
    np.testing.assert_allclose(top["score"], np.clip(np.sort(raw)[::-1][:10], 1, 5))
    est._scores = lambda u, i: est.__class__._scores(est, u, i) + 10.0  # all above the scale
    try:
        shifted = est.recommend(user, k=10)
    finally:
        del est._scores
    assert (shifted["score"] == 5.0).all()
    np.testing.assert_array_equal(shifted["item"], top["item"])  # not items[:10] by id


@pytest.mark.parametrize("k", [0, -1, 2.0])
def test_k_must_be_positive(fitted, k) -> None:
    with pytest.raises(ValueError, match="k must be a positive integer"):
        fitted["rbm-item"].recommend(fitted["rbm-item"].user_ids_[0], k=k)


def test_predictions_stay_on_the_scale(fitted, split_ratings) -> None:
    _, test = split_ratings
    for est in fitted.values():
        pred = est.predict(test.user, test.item)
        assert pred.min() >= 1.0 and pred.max() <= 5.0


def test_binary_mode_predicts_the_probability_of_a_like(split_ratings) -> None:
    train, test = split_ratings
    est = BoltzmannRecommender(
        hidden_layers=32,
        binary=True,
        liked_at=4.0,
        epochs=30,
        batch_size=16,
        learning_rate=0.05,
        weight_decay=0.01,
        **FAST,
    ).fit(train)
    p = est.predict(test.user, test.item)
    assert 0 <= p.min() and p.max() <= 1
    liked = test.rating >= 4
    base = np.mean((liked - liked.mean()) ** 2)
    assert np.mean((liked - p) ** 2) < 0.9 * base  # better than the like rate alone
    assert est.recommend("nobody", 1)["score"].iloc[0] <= 1.0  # fallback: a like rate
    scores = evaluate(est, test)  # against liked (1) or not (0), not the stars
    assert scores["rmse"] == pytest.approx(np.sqrt(np.mean((liked - p) ** 2)))
    assert scores["mae"] == pytest.approx(np.mean(np.abs(liked - p)))


def test_binary_liked_at_defaults_to_the_midpoint_of_the_scale(tmp_path) -> None:
    from cortexkit.recommend import as_ratings

    rows = [(u, i, float((u + i) % 2)) for u in range(12) for i in range(10)]
    zero_one = as_ratings(pd.DataFrame(rows, columns=["user", "item", "rating"]), scale=(0, 1))
    est = BoltzmannRecommender(hidden_layers=4, binary=True, epochs=2, **FAST).fit(zero_one)
    assert est.liked_at_ == 0.5  # not 3: a rating of 1 is a like
    assert 0.3 < est.global_mean_ < 0.7  # the like rate, not 0
    est.save(tmp_path / "m.cortex")
    assert load(tmp_path / "m.cortex").liked_at_ == 0.5
    for outside in (3.0, 0.0, -1.0):  # every rating liked, or none: refused before fitting
        with pytest.raises(ValueError, match=r"^liked_at must be above .* scale 0 to 1"):
            BoltzmannRecommender(binary=True, liked_at=outside, **FAST).fit(zero_one)
    top = BoltzmannRecommender(binary=True, liked_at=1, epochs=1, **FAST).fit(zero_one)
    assert top.liked_at_ == 1


def test_validation_scores_each_epoch(split_ratings) -> None:
    train, test = split_ratings
    est = AutoRecRecommender(hidden_layers=16, epochs=5, validation_fraction=0.1, **FAST).fit(train)
    assert len(est.history_["val_rmse"]) == 5 and np.isfinite(est.history_["val_rmse"]).all()
    own = AutoRecRecommender(hidden_layers=16, epochs=3, **FAST).fit(train, validation_data=test)
    assert len(own.history_["val_rmse"]) == 3
    # held-out ratings are input again after fit: predictions read every training rating
    assert est._matrix.nnz == len(train)


def test_same_seed_same_model(split_ratings) -> None:
    train, test = split_ratings
    a = (
        BoltzmannRecommender(hidden_layers=8, epochs=2, **FAST)
        .fit(train)
        .predict(test.user, test.item)
    )
    b = (
        BoltzmannRecommender(hidden_layers=8, epochs=2, **FAST)
        .fit(train)
        .predict(test.user, test.item)
    )
    np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused_before_training(split_ratings) -> None:
    train, _ = split_ratings
    with pytest.raises(ValueError, match="outside the declared scale"):
        AutoRecRecommender(**FAST).fit([(1, 2, 9)])
    with pytest.raises(ValueError, match="not a number"):
        BoltzmannRecommender(**FAST).fit([(1, 2, "good")])
    with pytest.raises(ValueError, match="y must be None"):
        AutoRecRecommender(**FAST).fit(train, np.zeros(len(train)))
    with pytest.raises(ValueError, match="based must be one of"):
        AutoRecRecommender("movie", **FAST).fit(train)
    with pytest.raises(ValueError, match="hidden_layers"):
        BoltzmannRecommender("rbm", hidden_layers=(4, 4), **FAST).fit(train)
    with pytest.raises(ValueError, match="hidden_layers must be"):
        AutoRecRecommender(hidden_layers=(8, 0), **FAST).fit(train)


@pytest.mark.cuda
def test_fits_on_cuda_and_loads_on_cpu(split_ratings, tmp_path) -> None:
    train, test = split_ratings
    for est in (
        AutoRecRecommender(hidden_layers=16, epochs=20, random_state=0, device="cuda"),
        BoltzmannRecommender(hidden_layers=16, epochs=3, random_state=0, device="cuda"),
    ):
        est.fit(train)
        est.save(tmp_path / "m.cortex")
        back = load(tmp_path / "m.cortex", device="cpu")
        np.testing.assert_allclose(
            back.predict(test.user, test.item),
            est.predict(test.user, test.item),
            rtol=1e-5,
            atol=1e-5,
        )


class _Killed(Exception):
    pass


def _kill_at(epoch: int):
    def callback(done: int, logs: dict) -> None:
        if done == epoch:
            raise _Killed

    return callback


@pytest.mark.parametrize(
    "make",
    [
        # a constant rate: epochs=2 then 4 is a longer run, and a schedule plans for the
        # run's length (an interrupted cosine run: test_recommend_autorec.py)
        lambda **kw: AutoRecRecommender(
            hidden_layers=16, learning_rate=0.01, lr_schedule=None, **FAST, **kw
        ),
        lambda **kw: BoltzmannRecommender(hidden_layers=16, batch_size=32, **FAST, **kw),
    ],
    ids=["autorec", "rbm"],
)
def test_resume_from_a_checkpoint_continues_the_run(split_ratings, tmp_path, make) -> None:
    train, test = split_ratings
    path = tmp_path / "run.ckpt"
    whole = make(epochs=4).fit(train)
    # killed in its third epoch, after the checkpoint of the second (the RBM's schedules
    # run over all 4 epochs, so a 2-epoch run would be another run)
    with pytest.raises(_Killed):
        make(epochs=4, checkpoint=str(path), callbacks=[_kill_at(3)]).fit(train)
    resumed = make(epochs=4, checkpoint=str(path), resume=True).fit(train)
    assert resumed.n_iter_ == 4 and "resumed" in resumed.history_
    np.testing.assert_allclose(
        resumed.predict(test.user, test.item),
        whole.predict(test.user, test.item),
        rtol=1e-5,
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="other data"):
        make(epochs=4, checkpoint=str(path), resume=True).fit(test)


def test_set_params_after_fit_changes_nothing_until_the_next_fit(split_ratings, tmp_path):
    train, test = split_ratings
    est = BoltzmannRecommender(hidden_layers=8, epochs=2, **FAST).fit(train)
    before = est.predict(test.user, test.item)
    est.set_params(model="dbm", hidden_layers=(4, 2), binary=True, based="user")
    np.testing.assert_array_equal(est.predict(test.user, test.item), before)
    est.save(tmp_path / "m.cortex")
    np.testing.assert_array_equal(load(tmp_path / "m.cortex").predict(test.user, test.item),
                                  before)  # fmt: skip
