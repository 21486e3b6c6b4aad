"""``cortexkit recommend``: train a recommender on a ratings file, list a user's top items,
score a model on held-out ratings.

::

    cortexkit recommend train RATINGS --model rbm|dbm|autorec|stacked-ae [--based item]
                              [--split random|leave-k-out|temporal] --out MODEL
                              [--checkpoint PATH [--resume]]
    cortexkit recommend top MODEL --user U -k 10 [--items u.item]
    cortexkit recommend evaluate MODEL TEST [-k 10] [--json]

``RATINGS`` and ``TEST`` are MovieLens ``u.data`` / ``ratings.dat`` files or CSV files with
``user,item,rating[,timestamp]``. ``stacked-ae`` is the classic course recommender: a
user-based stacked autoencoder with hidden layers 20-10-20 and sigmoid units.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cortexkit.cli._args import Help, a_or_an, count, positive_int, say
from cortexkit.cli._paths import MODEL_FILE, check_output_file
from cortexkit.cli.train import add_checkpoint_flags, check_checkpoint

__all__ = ["MODELS", "add_parser"]

MODELS = ("rbm", "dbm", "autorec", "stacked-ae")
METRICS = ("rmse", "mae", "precision", "recall", "ndcg", "coverage")
RANKING_NOTE = (
    "  (each user's test items are ranked among themselves, Surprise's protocol: with one "
    "test item a user, as leave-k-out with K = 1 gives, recall and NDCG are 1 by "
    "construction)"
)


def _scale(text: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (e.g. 1,5), got {text!r}") from None
    if not low < high:
        raise argparse.ArgumentTypeError(f"expected LOW < HIGH, got {text!r}")
    return low, high


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``recommend`` and its ``train``, ``top`` and ``evaluate`` subcommands."""
    recommend = sub.add_parser(
        "recommend",
        parents=[common],
        formatter_class=Help,
        help="recommender systems on explicit ratings",
    )
    commands = recommend.add_subparsers(dest="recommend_command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        parents=[common],
        formatter_class=Help,
        help="train a recommender on a ratings file",
    )
    train.add_argument("ratings", help="u.data, ratings.dat or a user,item,rating CSV file")
    train.add_argument("--model", required=True, choices=MODELS, help="which recommender")
    train.add_argument(
        "--based",
        choices=("item", "user"),
        help="cases are items or users (default: the model's own)",
    )
    train.add_argument(
        "--split",
        choices=("random", "leave-k-out", "temporal"),
        help="hold out ratings and report the test metrics",
    )
    train.add_argument(
        "--test-size", type=float, default=0.2, help="share held out by a random or temporal split"
    )
    train.add_argument(
        "--leave-k",
        type=positive_int,
        default=1,
        metavar="K",
        help="ratings per user held out by leave-k-out",
    )
    train.add_argument(
        "--hidden-layers", help="hidden units: N, or N,M,... (one per layer, from the input side)"
    )
    train.add_argument("--epochs", type=positive_int, help="(default: the model's own)")
    train.add_argument(
        "--dropout",
        type=float,
        help="autorec, stacked-ae: input dropout while training, in [0, 1) "
        "(default: the model's own)",
    )
    train.add_argument(
        "--binary",
        action="store_true",
        help="rbm/dbm: liked (rating >= --liked-at) or not, instead of rating levels",
    )
    train.add_argument(
        "--liked-at",
        type=float,
        metavar="RATING",
        help="with --binary: the lowest liked rating (default: the midpoint of --scale)",
    )
    train.add_argument(
        "--scale",
        type=_scale,
        default=(1.0, 5.0),
        metavar="LOW,HIGH",
        help="the rating scale; a rating outside it is an error",
    )
    train.add_argument("--random-state", type=int, default=0, help="same seed, same model")
    train.add_argument("--device", default="auto", help="auto, cpu or cuda")
    train.add_argument("--out", required=True, help="model file to write")
    add_checkpoint_flags(train)
    train.set_defaults(run=run_train)

    top = commands.add_parser(
        "top",
        parents=[common],
        formatter_class=Help,
        help="a user's best items by predicted rating",
    )
    top.add_argument("model", help="a recommender's model file")
    top.add_argument("--user", required=True, help="the user's identifier")
    top.add_argument("-k", type=positive_int, default=10, help="items to list")
    top.add_argument("--items", help="u.item, movies.dat or movies.csv: show titles")
    top.add_argument(
        "--include-seen", action="store_true", help="also list items the user rated in training"
    )
    top.set_defaults(run=run_top)

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        formatter_class=Help,
        help="RMSE, MAE, precision@k, recall@k, NDCG@k",
    )
    evaluate.add_argument("model", help="a recommender's model file")
    evaluate.add_argument("test", help="held-out ratings (same formats as train)")
    evaluate.add_argument("-k", type=positive_int, default=10, help="ranking cut-off")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(run=run_evaluate)


def build(args: argparse.Namespace) -> Any:
    """The estimator that ``--model`` and its flags name."""
    from cortexkit.recommend.autorec import AutoRecRecommender
    from cortexkit.recommend.boltzmann import BoltzmannRecommender

    hidden = None
    if args.hidden_layers:
        try:
            hidden = tuple(int(v) for v in args.hidden_layers.split(","))
        except ValueError:
            raise ValueError(
                f"--hidden-layers must be N or N,M,...; got {args.hidden_layers!r}"
            ) from None
    common: dict[str, Any] = {
        "random_state": args.random_state,
        "device": args.device,
        "verbose": 0 if args.quiet else 1,
    }
    if args.epochs:
        common["epochs"] = args.epochs
    if args.binary and args.model not in ("rbm", "dbm"):
        raise ValueError("--binary is for --model rbm or dbm")
    if args.liked_at is not None and not args.binary:
        raise ValueError("--liked-at is for --binary (a liked / not-liked model)")
    if args.dropout is not None:
        if args.model not in ("autorec", "stacked-ae"):
            raise ValueError("--dropout is for --model autorec or stacked-ae")
        common["dropout"] = args.dropout
    if args.model in ("rbm", "dbm"):
        if hidden is not None:
            common["hidden_layers"] = hidden[0] if len(hidden) == 1 else hidden
        return BoltzmannRecommender(
            args.model,
            args.based or "item",
            binary=args.binary,
            liked_at=args.liked_at,
            **common,
        )
    if args.model == "stacked-ae":  # the classic course recommender
        common.setdefault("epochs", 200)
        return AutoRecRecommender(
            args.based or "user",
            hidden or (20, 10, 20),
            activation="sigmoid",
            weight_decay=1.0,
            learning_rate=0.01,
            dropout=common.pop("dropout", 0.0),  # the course's plain input and constant rate
            input_offset=0.0,
            lr_schedule=None,
            **common,
        )
    if hidden is not None:
        common["hidden_layers"] = hidden[0] if len(hidden) == 1 else hidden
    return AutoRecRecommender(args.based or "item", **common)


def run_train(args: argparse.Namespace) -> int:
    """Read, split (maybe), fit, save, report."""
    import time

    from cortexkit.cli.tables import as_flags, checkpoint_params
    from cortexkit.recommend import evaluate, read_ratings, split
    from cortexkit.recommend.evaluate import baseline_scores

    check_output_file(args.out, "--out", inputs={"the ratings": args.ratings},
                      replaces=MODEL_FILE)  # fmt: skip
    check_checkpoint(args, {"the ratings": args.ratings})
    est = build(args)
    est.set_params(**checkpoint_params(type(est), args))
    with as_flags():
        est._validate_params()  # a bad flag fails before the file is read, named by its flag
        if args.binary:  # --liked-at against --scale, before the file is read
            est._check_liked_at(args.scale)
    ratings = read_ratings(args.ratings, scale=args.scale)
    train, test = ratings, None
    if args.split:
        train, test = split(
            ratings,
            args.split,
            test_size=args.test_size,
            k=args.leave_k,
            random_state=args.random_state,
        )
        if len(test) == 0 or len(train) == 0:  # found before training, not after saving
            how = f"--leave-k {args.leave_k}" if args.split == "leave-k-out" else "--test-size"
            raise ValueError(
                f"--split {args.split} left {len(train)} training and {len(test)} test ratings "
                f"of {len(ratings)}: change {how} (leave-k-out holds out only users with "
                "more than K ratings)"
            )
    say(args, f"{len(train)} ratings by {train.n_users} users of {train.n_items} items")
    t0 = time.perf_counter()
    est.fit(train)
    seconds = time.perf_counter() - t0
    est.save(args.out, ratings=str(args.ratings), model=args.model)
    say(args, f"trained in {seconds:.1f} s ({count(est.n_iter_, 'epoch')}); saved {args.out}")
    if test is not None:
        scores = evaluate(est, test, k=10)
        title = f"{args.split} split, {len(test)} held-out ratings" + _binary_note(est)
        print(_table(scores, title, baseline_scores(est, test)))
        if args.split == "leave-k-out":
            print(RANKING_NOTE)
    return 0


def _model(path: str) -> Any:
    from cortexkit.persist import read_model
    from cortexkit.recommend.base import RecommenderMixin

    est = read_model(path).estimator
    if not isinstance(est, RecommenderMixin):
        raise ValueError(
            f"{path!r} holds {a_or_an(type(est).__name__)}, not a recommender "
            "(train one with 'cortexkit recommend train')"
        )
    return est


def run_top(args: argparse.Namespace) -> int:
    """Print the user's top ``k`` items, with titles when ``--items`` is given."""
    from cortexkit.recommend import read_titles

    if not args.user.strip():
        raise ValueError("--user is empty: name a user of the training ratings")
    est = _model(args.model)
    titles = read_titles(args.items) if args.items else {}
    if titles and not any(item in titles for item in est.item_ids_.tolist()):
        raise ValueError(
            f"--items {args.items!r} names none of the model's {len(est.item_ids_)} items "
            f"(its first identifier is {next(iter(titles))!r}, the model's "
            f"{est.item_ids_.tolist()[0]!r}): is it the item file of these ratings?"
        )
    top = est.recommend(args.user, k=args.k, exclude_seen=not args.include_seen)
    what = "P(liked)" if est.fitted_params_.get("binary", False) else "predicted"
    width = max([4, *(len(str(item)) for item in top["item"])])  # columns line up
    if est._user_code(args.user) < 0:  # cold start, said in the output itself
        import warnings

        note = (f"user {args.user!r} is not in the training ratings ({len(est.user_ids_)} "
                f"users, e.g. {str(est.user_ids_[0])!r}): the items with the highest mean "
                "rating follow, the same for any unknown user")  # fmt: skip
        warnings.warn(note, UserWarning, stacklevel=2)
        print(f"# {note}")
    print(f"rank  {'item':>{width}}  {what}" + ("  title" if titles else ""))
    for rank, (item, score) in enumerate(zip(top["item"], top["score"], strict=True), start=1):
        title = f"  {titles.get(item, '?')}" if titles else ""
        print(f"{rank:>4}  {item!s:>{width}}  {score:>{len(what)}.3f}{title}")
    return 0


def _table(scores: dict[str, float], title: str, baseline: dict[str, float]) -> str:
    lines = [title]
    for key, value in scores.items():
        lines.append(f"  {key:<14} {value:.4f}")
    shown = ", ".join(f"{key} {value:.4f}" for key, value in baseline.items())
    lines.append(f"  baseline       {shown} ({BASELINE})")
    return "\n".join(lines)


BASELINE = "each item's mean training rating, users ignored"


def _warn_if_all_fallback(est: Any, test: Any) -> None:
    """Warn when no held-out rating pairs a user and an item the model was trained on: its
    every prediction is then the fallback, and its scores say nothing about the model."""
    import warnings

    import numpy as np

    users, items = est._codes(np.asarray(test.user), np.asarray(test.item))
    if not ((users >= 0) & (items >= 0)).any():
        warnings.warn(
            f"none of the {len(test)} held-out ratings pairs a user and an item of the "
            "training ratings: every prediction is the fallback (each item's mean), so the "
            "scores below say nothing about the model (are these ratings from the same "
            "users and items, with the same identifiers?)",
            UserWarning,
            stacklevel=2,
        )


def run_evaluate(args: argparse.Namespace) -> int:
    """Score the model on the held-out ratings ``TEST``."""
    from cortexkit.recommend import evaluate, read_ratings
    from cortexkit.recommend.evaluate import baseline_scores

    est = _model(args.model)
    test = read_ratings(args.test, scale=est.rating_scale_)
    _warn_if_all_fallback(est, test)
    scores = evaluate(est, test, k=args.k)
    scores = {k: v for k, v in scores.items() if k.split("@")[0] in METRICS}
    baseline = baseline_scores(est, test)
    if args.json:
        print(json.dumps({**scores, "baseline": {"model": BASELINE, **baseline}}))
    else:
        print(_table(scores, f"{len(test)} held-out ratings" + _binary_note(est), baseline))
    return 0


def _binary_note(est: Any) -> str:
    params = est.fitted_params_
    if not params.get("binary", False):
        return ""
    return f" (RMSE and MAE of P(liked) against liked = rating >= {est.liked_at_:g})"
