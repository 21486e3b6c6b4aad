"""``cortexkit train cnn DATA --out MODEL``, and ``predict`` / ``evaluate`` for its models.

DATA is an image folder (one subfolder per class), an IDX pair (the images file; the
labels file beside it, or ``--labels``) or an ``.npz`` (``X`` and ``y``): see
:mod:`cortexkit.cnn.sources`. Every default comes from :data:`cortexkit.defaults.CNN`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cortexkit import defaults
from cortexkit.cli._args import held_out_split, int_list, names, positive_int, say
from cortexkit.cli.families import TrainFamily, add_flag


def _augment(text: str) -> list[str]:
    return [] if text.strip().lower() == "none" else names(text)


def _image_size(text: str) -> list[int]:
    """``"28"`` (a square) or ``"28,32"`` (height, width); nothing else."""
    values = int_list(text)
    if len(values) > 2:
        raise argparse.ArgumentTypeError(
            f"expected H,W (height, width) or one integer for a square, got {text!r}"
        )
    return values


def _fraction(text: str) -> float:
    """A share in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1), got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The CNN's own flags, with the estimator's defaults."""
    CNN = defaults.CNN
    parser.add_argument("--labels", metavar="FILE", help="the IDX labels file (default: found "
                        "beside the images file by name)")  # fmt: skip
    parser.add_argument("--conv-layers", type=int_list,
                        default=",".join(map(str, CNN.conv_layers)),
                        help="filters per convolution block")  # fmt: skip
    parser.add_argument("--convs-per-block", type=positive_int, default=CNN.convs_per_block,
                        metavar="N", help="convolutions before each pooling")  # fmt: skip
    parser.add_argument("--kernel-size", type=positive_int, default=CNN.kernel_size,
                        metavar="K", help="each convolution's K x K window")  # fmt: skip
    parser.add_argument("--pooling", choices=["max", "avg", "none"], default=CNN.pooling,
                        help="2x2 pooling after each block")  # fmt: skip
    parser.add_argument("--batch-norm", action=argparse.BooleanOptionalAction,
                        default=CNN.batch_norm, help="after each convolution")  # fmt: skip
    parser.add_argument("--dropout", type=float, default=CNN.dropout, metavar="P",
                        help="share of units dropped before each dense layer")  # fmt: skip
    parser.add_argument("--head", choices=["flatten", "gap"], default=CNN.head,
                        help="flatten, or global average pooling")  # fmt: skip
    parser.add_argument("--hidden-layers", type=int_list,
                        default=",".join(map(str, CNN.hidden_layers)),
                        help="units per hidden dense layer")  # fmt: skip
    parser.add_argument("--image-size", type=_image_size, default=None, metavar="H[,W]",
                        help="resize every image (default: the most common size)")  # fmt: skip
    parser.add_argument("--color-mode", choices=["L", "RGB"], default=None,
                        help="gray or RGB (default: gray when every image is)")  # fmt: skip
    parser.add_argument("--augment", type=_augment, default=",".join(CNN.augment),
                        help="shift, flip, rotate, or none")  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=CNN.epochs, metavar="N",
                        help="passes over the training images")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=CNN.batch_size, metavar="N",
                        help="images per update")  # fmt: skip
    parser.add_argument("--optimizer", default=CNN.optimizer, help="adam, adamw, sgd or rmsprop")
    parser.add_argument("--learning-rate", type=float, default=CNN.learning_rate,
                        help="peak learning rate")  # fmt: skip
    parser.add_argument("--weight-decay", type=float, default=CNN.weight_decay, metavar="L2",
                        help="penalty on the weights")  # fmt: skip
    parser.add_argument("--validation-fraction", type=float, default=CNN.validation_fraction,
                        help="held out to report val_accuracy, each epoch and at the "
                        "end")  # fmt: skip
    parser.add_argument("--test-size", type=_fraction, default=0.0, metavar="F",
                        help="share held out (stratified by class) to report the accuracy on, "
                        "beside the majority class's (0: none)")  # fmt: skip
    parser.add_argument("--num-workers", type=int, default=0,
                        help="processes reading a streamed folder")  # fmt: skip
    parser.add_argument(
        "--max-memory",
        type=positive_int,
        default=None,
        metavar="BYTES",
        help="stream a folder larger than this (default: 1/4 of free memory)",
    )
    parser.add_argument("--skip-bad", action="store_true",
                        help="skip unreadable images with a warning")  # fmt: skip


def build(args: argparse.Namespace) -> Any:
    """``CNNClassifier`` from the flags."""
    from cortexkit.cnn.estimator import CNNClassifier

    size = args.image_size
    params: dict[str, Any] = {}
    if args.checkpoint is not None:
        params = {"checkpoint": args.checkpoint, "checkpoint_every": args.checkpoint_every,
                  "resume": args.resume}  # fmt: skip
    return CNNClassifier(
        tuple(args.conv_layers),
        convs_per_block=args.convs_per_block,
        kernel_size=args.kernel_size,
        pooling=None if args.pooling == "none" else args.pooling,
        batch_norm=args.batch_norm,
        dropout=args.dropout,
        head=args.head,
        hidden_layers=tuple(args.hidden_layers),
        image_size=None if size is None else (size[0], size[-1]),
        color_mode=args.color_mode,
        augment=tuple(args.augment),
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        validation_fraction=args.validation_fraction,
        num_workers=args.num_workers,
        max_memory=args.max_memory or "auto",
        skip_bad=args.skip_bad,
        random_state=args.random_state,
        device=args.device,
        verbose=0 if args.quiet else 1,
        **params,
    )


def run(args: argparse.Namespace) -> int:
    """Train on ``args.data`` and save the model; with ``--test-size``, report the accuracy
    on the held-out images beside the majority class's."""
    import time

    from cortexkit.cli._paths import check_output_file
    from cortexkit.cli.tables import as_flags
    from cortexkit.cnn.sources import (
        check_labels_flag,
        idx_labels_path,
        image_data_path,
        is_folder,
        read_image_data,
    )

    check_labels_flag(args.data, args.labels)
    data = image_data_path(args.data)
    if args.labels is not None or (data.is_file() and data.suffix != ".npz"):
        labels = args.labels if args.labels is not None else str(idx_labels_path(data))
        for flag in ("--out", "--checkpoint"):
            if getattr(args, flag[2:]) is not None:
                check_output_file(getattr(args, flag[2:]), flag, inputs={"the labels": labels})
    est = build(args)
    with as_flags():  # the options, checked before the images are read
        est._validate_params()
    held_out = None
    t0 = time.perf_counter()
    if is_folder(data) and not args.test_size:
        est.fit(str(data))  # read into memory, or streamed when too large
    else:  # a folder to split is read into memory
        size = args.image_size and (args.image_size[0], args.image_size[-1])
        images = read_image_data(data, labels=args.labels, size=size, mode=args.color_mode,
                                 skip_bad=args.skip_bad)  # fmt: skip
        X, y = images.X, images.y
        if args.test_size:
            X, X_test, y, y_test = _hold_out(X, y, args)
            held_out = (X_test, y_test)
        est.fit(X, y)
    seconds = time.perf_counter() - t0
    est.save(args.out, data=str(args.data))
    say(args, _summary(est, args, seconds))
    if held_out is not None:
        print(_held_out_score(est, *held_out, args.test_size, y))
    return 0


def _summary(est: Any, args: argparse.Namespace, seconds: float) -> str:
    """What was trained, its training accuracy and (with a validation set) its last
    ``val_accuracy``, or why there was none."""
    history = est.history_
    accuracy = history.get("accuracy", [float("nan")])[-1]
    h, w = est.image_size_
    text = (f"trained CNNClassifier on {args.data} ({h}x{w}, {est.n_channels_} channel(s), "
            f"{len(est.classes_)} classes) in {seconds:.1f} s; training accuracy "
            f"{accuracy:.4f} (on a sample)")  # fmt: skip
    if history.get("val_accuracy"):
        text += f"; val_accuracy {history['val_accuracy'][-1]:.4f}"
    text += f"; wrote {args.out}"
    for note in ("resumed", "stopped", "validation"):  # how the run went, when it says
        if history.get(note):
            text += f"\n  {history[note]}"
    return text


def _hold_out(X: Any, y: Any, args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Split off ``--test-size`` of the images, stratified by class where every class has
    two images."""
    import numpy as np

    counts = np.unique(y, return_counts=True)[1]
    return held_out_split(X, y, test_size=args.test_size, random_state=args.random_state,
                          stratify=counts.min() >= 2,
                          what=f"{len(y)} images into {len(counts)} classes")  # fmt: skip


def _held_out_score(est: Any, X: Any, y: Any, share: float, y_train: Any) -> str:
    """The held-out accuracy beside the majority baseline: always predicting the most
    common training class."""
    import numpy as np

    values, counts = np.unique(y_train, return_counts=True)
    majority = values[counts.argmax()]
    accuracy = float(np.mean(est.predict(X) == y))
    baseline = float(np.mean(y == majority))
    return (f"held-out {share:.0%} ({len(y)} images): accuracy {accuracy:.4f}; majority "
            f"class {str(majority)!r} {baseline:.4f}")  # fmt: skip


# -- predict and evaluate --------------------------------------------------------------


def predict_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``predict`` for image models."""
    add_flag(parser, "--labels", metavar="FILE", help="an IDX labels file (evaluate)")
    add_flag(parser, "--skip-bad", action="store_true",
             help="skip unreadable images with a warning")  # fmt: skip


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``evaluate`` for image models."""
    predict_arguments(parser)
    add_flag(parser, "--plot", metavar="FILE.png", help="write the confusion matrix")


def _read(args: argparse.Namespace, est: Any, labelled: bool) -> Any:
    """The images to predict or evaluate: a labelled folder of one class is a fair test."""
    from cortexkit.cnn.sources import read_image_data

    mode = est.color_mode_ or ("L" if est.n_channels_ == 1 else "RGB")
    return read_image_data(args.data, labels=getattr(args, "labels", None), labelled=labelled,
                           size=est.image_size_, mode=mode, min_classes=1,
                           skip_bad=getattr(args, "skip_bad", False))  # fmt: skip


def predict(args: argparse.Namespace, model_file: Any) -> int:
    """One row per image: file, class, probability."""
    import numpy as np
    import pandas as pd

    est = model_file.estimator
    data = _read(args, est, labelled=False)
    proba = est.predict_proba(data.X)
    best = proba.argmax(1)
    out = pd.DataFrame({"file": data.files, "class": est.classes_[best],
                        "probability": proba[np.arange(len(best)), best]})  # fmt: skip
    if args.out:
        from cortexkit.io.envelope import atomic_write_bytes

        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        say(args, f"wrote {len(out)} predictions to {args.out}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def _check_plot(args: argparse.Namespace) -> None:
    """Refuse a ``--plot`` file that is not a PNG, cannot be written, or is an input."""
    from pathlib import Path

    from cortexkit.cli._paths import check_output_file

    if Path(args.plot).suffix.lower() != ".png":
        raise ValueError(f"--plot {args.plot!r} must end in .png (the confusion matrix is a PNG)")
    inputs = {"the model being read": args.model, "the images being read": args.data,
              "the labels being read": getattr(args, "labels", None)}  # fmt: skip
    check_output_file(args.plot, "--plot", inputs=inputs)


def evaluate(args: argparse.Namespace, model_file: Any) -> int:
    """Accuracy, per-class precision, recall and F1, the confusion matrix (and its PNG)."""
    import pandas as pd
    from sklearn import metrics as m

    from cortexkit.cli.metrics import align_labels, few_rows_note

    est = model_file.estimator
    if args.plot:  # before the images are read
        _check_plot(args)
    data = _read(args, est, labelled=True)
    y = align_labels(pd.Series(data.y), est.classes_, "label")
    pred = est.predict(data.X)
    labels = list(est.classes_)
    precision, recall, f1, support = m.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0.0
    )
    matrix = m.confusion_matrix(y, pred, labels=labels)
    scores = {
        "accuracy": float(m.accuracy_score(y, pred)),
        "images": len(y),
        "per_class": {
            str(c): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "labels": [str(c) for c in labels],
        "confusion_matrix": matrix.tolist(),
    }
    note = few_rows_note(len(y), "image")
    if note is not None:
        scores["notes"] = {"rows": note}
    if args.plot:
        from cortexkit.cnn.plots import confusion_png

        confusion_png(matrix, [str(c) for c in labels], args.plot)
        say(args, f"wrote {args.plot}")
    if args.json:
        print(json.dumps(scores, indent=2))
        return 0
    if note is not None:
        print(f"  note: {note}")
    print(f"  accuracy  {scores['accuracy']:.4f}  ({len(y)} images)")
    print(f"  {'class':>10} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}")
    for c, row in scores["per_class"].items():
        print(f"  {c:>10} {row['precision']:>9.4f} {row['recall']:>9.4f} {row['f1']:>9.4f} "
              f"{row['support']:>8}")  # fmt: skip
    return 0


FAMILIES = (
    TrainFamily(
        "cnn",
        "a convolutional network on images (a folder, an IDX pair or an .npz)",
        add_arguments,
        run,
        table=False,
        models=("CNNClassifier",),
        predict=predict,
        evaluate=evaluate,
        predict_arguments=predict_arguments,
        evaluate_arguments=evaluate_arguments,
    ),
)
