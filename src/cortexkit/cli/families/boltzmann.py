"""``cortexkit train rbm|dbn|dbm DATA --out MODEL`` and ``cortexkit predict MODEL DATA``
for the Boltzmann machines: unsupervised, so the data is a matrix, not a table with a
target.

DATA is a CSV table (every column numeric; ``--drop`` leaves some out), an IDX file of
images (MNIST's ``*-images-idx3-ubyte[.gz]``, each image flattened; a folder holding an
IDX images/labels pair names it too), or an ``.npz`` archive (its ``X`` array, else its
only one). ``--scale`` maps the data for the visible units: ``auto`` divides unsigned
bytes (IDX pixels) by 255, standardises each column for Gaussian visible units
(``--visible gaussian``) and leaves other data as it is; ``max`` divides the whole table
by its largest absolute value (images: every pixel alike); ``minmax`` maps each column
onto [0, 1] (tables); ``standard`` gives each column mean 0 and standard deviation 1;
``none`` leaves the data. The model file keeps each column's shift and divisor and the
dropped columns, and ``predict`` reuses them (``--scale`` or ``--drop`` there overrides);
for Bernoulli visible units, values that the training scale leaves outside [0, 1] (new rows
beyond the training minimum or maximum) are clipped to [0, 1], with a warning that counts
them.
``predict`` writes the hidden features (the top layer's probabilities) as a CSV, ``h0,
h1, ...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cortexkit.cli._args import int_list, names, positive_int, say
from cortexkit.cli.families import TrainFamily, add_flag
from cortexkit.defaults import DBM as DBM_DEFAULTS
from cortexkit.defaults import RBM as RBM_DEFAULTS

__all__ = ["FAMILIES", "SCALES", "read_matrix", "scale_matrix"]

MODELS = ("RBM", "DBN", "DBM")
SCALES = ("auto", "max", "minmax", "standard", "none")


def read_matrix(path: str, *, drop: list[str] | None = None) -> Any:
    """DATA as a matrix (n_samples, n_features), unscaled, in the file's own dtype (IDX
    pixels stay ``uint8``)."""
    import numpy as np

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"DATA {path!r} does not exist")
    if p.is_dir():
        from cortexkit.data.idx import idx_images_in

        p = idx_images_in(p)
    if p.suffix == ".npz":
        with np.load(p, allow_pickle=False) as archive:
            keys = list(archive.keys())
            if "X" not in keys and len(keys) != 1:
                raise ValueError(f"{path!r} holds arrays {keys}; name the data X")
            X = archive["X" if "X" in keys else keys[0]]
    elif "idx" in p.name:
        from cortexkit.data import read_idx

        X = read_idx(p)
        X = X.reshape(len(X), -1)
    else:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        from cortexkit.data import read_table

        table = read_table(p, drop=drop or None)
        text = [
            c for c in table.columns if not is_numeric_dtype(table[c]) or is_bool_dtype(table[c])
        ]
        if text:
            raise ValueError(f"every column must be numeric; {text} hold text (--drop them)")
        X = table.to_numpy()
    if X.ndim != 2:
        raise ValueError(f"DATA must be a matrix (n_samples, n_features); got shape {X.shape}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(
            f"DATA {path!r} holds {int((~np.isfinite(X)).sum())} NaN or infinite values "
            f"(the first at row {row + 1}, column {col + 1}, counting from 1); fill them in "
            "or drop those rows"
        )
    return X


def scale_matrix(
    X: Any, scale: str, *, visible: str = "bernoulli"
) -> tuple[Any, list[float], list[float]]:
    """``X`` scaled column by column as ``--scale`` says, as float32, with each column's
    shift and divisor (``(X - shift) / divisor``), which ``predict`` applies again."""
    import numpy as np

    shift = np.zeros(X.shape[1])
    divisor = np.ones(X.shape[1])
    if scale == "auto":
        scale = "bytes" if X.dtype == np.uint8 else "standard" if visible == "gaussian" else "none"
    if len(X) and scale == "bytes":
        divisor[:] = 255.0
    elif len(X) and scale in ("max", "minmax", "standard"):
        data = np.asarray(X, dtype=np.float64)
        if scale == "max":  # one divisor for the whole table: pixels keep their contrast
            divisor[:] = np.abs(data).max()
        elif scale == "minmax":
            shift = data.min(axis=0)
            divisor = data.max(axis=0) - shift
        else:
            shift = data.mean(axis=0)
            divisor = data.std(axis=0)
    divisor = np.where(divisor > 0, divisor, 1.0)  # a constant column is left as it is
    return _apply(X, shift.tolist(), divisor.tolist()), shift.tolist(), divisor.tolist()


def _apply(X: Any, shift: list[float], divisor: list[float]) -> Any:
    import numpy as np

    if len(shift) != X.shape[1]:
        raise ValueError(
            f"DATA has {X.shape[1]} columns, but the model was trained on {len(shift)} "
            "(after --drop)"
        )
    _check_fits_float32(X, shift, divisor)
    if not any(shift):  # float32 throughout: an MNIST-size matrix needs no float64 copy
        return np.asarray(X, np.float32) / np.asarray(divisor, np.float32)
    # large values (identifiers) lose their digits in float32 before the shift
    return ((np.asarray(X, np.float64) - shift) / np.asarray(divisor)).astype(np.float32)


def _check_fits_float32(X: Any, shift: list[float], divisor: list[float]) -> None:
    """Refuse values that the scaling leaves beyond float32 (numpy would warn "overflow
    encountered in cast" and make them infinite), naming the column and the way out."""
    import numpy as np

    if not len(X) or X.dtype.kind != "f" or X.dtype.itemsize <= 4:
        return
    low = (X.min(axis=0) - np.asarray(shift)) / np.asarray(divisor)
    high = (X.max(axis=0) - np.asarray(shift)) / np.asarray(divisor)
    limit = float(np.finfo(np.float32).max)
    too = np.flatnonzero(np.maximum(np.abs(low), np.abs(high)) > limit)
    if too.size:
        j = int(too[0])
        value = high[j] if abs(high[j]) > limit else low[j]
        raise ValueError(
            f"DATA column {j + 1} (counting from 1) reaches {value:.3g} after scaling, beyond "
            f"the model's 32-bit floats ({limit:.3g}): --scale max, minmax or standard brings "
            "it into range, or --drop that column"
        )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drop", type=names, default=[], help="table columns to ignore, a,b,c")
    parser.add_argument("--scale", choices=SCALES, default="auto",
                        help="auto divides bytes by 255 and standardises for --visible "
                             "gaussian; max (whole table), minmax, standard (each column), "
                             "none")  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=RBM_DEFAULTS.epochs,
                        help="passes over the data (DBN: per layer)")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=RBM_DEFAULTS.batch_size,
                        help="rows per update")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=RBM_DEFAULTS.learning_rate,
                        help="step size of the CD updates")  # fmt: skip


def _cd(parser: argparse.ArgumentParser, visible: tuple[str, ...]) -> None:
    """The flags of a stack of RBMs trained by CD-k (the RBM's and the DBN's)."""
    parser.add_argument("--visible", choices=visible, default="bernoulli",
                        help="visible units: data in [0, 1], standardised reals"
                             + (", or integer levels" if "softmax" in visible else ""))  # fmt: skip
    parser.add_argument("--gibbs-steps", type=positive_int, default=RBM_DEFAULTS.gibbs_steps,
                        help="Gibbs steps per update (the k of CD-k)")  # fmt: skip
    parser.add_argument("--persistent", action=argparse.BooleanOptionalAction,
                        default=RBM_DEFAULTS.persistent,
                        help="persistent CD (--no-persistent: plain CD-k)")  # fmt: skip
    parser.add_argument("--momentum", type=float, default=0.0, help="in [0, 1)")
    parser.add_argument("--weight-decay", type=float, default=0.0,
                        help="L2 on the weights (not the biases)")  # fmt: skip


def rbm_arguments(parser: argparse.ArgumentParser) -> None:
    """``train rbm``'s flags."""
    _common(parser)
    parser.add_argument("--hidden-layers", type=positive_int,
                        default=RBM_DEFAULTS.hidden_layers,
                        help="hidden units (one layer)")  # fmt: skip
    _cd(parser, ("bernoulli", "gaussian", "softmax"))


def dbn_arguments(parser: argparse.ArgumentParser) -> None:
    """``train dbn``'s flags."""
    _common(parser)
    parser.add_argument("--hidden-layers", type=int_list, default="256,128",
                        help="units per layer, from the visible side: e.g. 256,128")  # fmt: skip
    _cd(parser, ("bernoulli", "gaussian"))


def dbm_arguments(parser: argparse.ArgumentParser) -> None:
    """``train dbm``'s flags (``--learning-rate`` is the joint training's)."""
    _common(parser)
    parser.set_defaults(
        learning_rate=DBM_DEFAULTS.learning_rate,
        batch_size=DBM_DEFAULTS.batch_size,
        epochs=DBM_DEFAULTS.epochs,
    )
    parser.add_argument("--hidden-layers", type=int_list,
                        default=",".join(map(str, DBM_DEFAULTS.hidden_layers)),
                        help="units per layer, from the visible side: e.g. 500,1000")  # fmt: skip
    parser.add_argument("--pretrain-epochs", type=int, default=DBM_DEFAULTS.pretrain_epochs,
                        help="epochs of each layer's greedy RBM pretraining")  # fmt: skip
    parser.add_argument("--pretrain-learning-rate", type=float,
                        default=DBM_DEFAULTS.pretrain_learning_rate,
                        help="the pretraining's learning rate")  # fmt: skip


def _fit(args: argparse.Namespace, est: Any) -> int:
    from cortexkit.cli.tables import as_flags

    name = type(est).__name__
    if getattr(args, "checkpoint", None):
        est.set_params(checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
                       resume=args.resume)  # fmt: skip
    with as_flags():  # bad options fail before the data is read, named by their flags
        est._validate_params()
    visible = est.get_params().get("visible", "bernoulli")
    raw = read_matrix(args.data, drop=args.drop)
    X, shift, divisor = scale_matrix(raw, args.scale, visible=visible)
    if visible == "bernoulli" and len(X):
        low, high = float(X.min()), float(X.max())
        if low < 0 or high > 1:
            raise ValueError(
                f"DATA {args.data!r} runs from {low:.4g} to {high:.4g}, but Bernoulli visible "
                "units take [0, 1]: --scale minmax maps each column onto [0, 1]"
                + (", or --visible gaussian takes real values" if name != "DBM" else "")
            )
    _check_constant(raw, args)
    say(args, f"training {name} on {X.shape[0]} rows x {X.shape[1]} columns")
    with as_flags():
        est.fit(X)
    est.save(args.out, scale_shift=shift, scale_divisor=divisor, drop=list(args.drop))
    last = {k: v[-1] for k, v in est.history_.items() if isinstance(v, list) and k != "time"}
    say(args, "last epoch: " + ", ".join(f"{k}={v:.4g}" for k, v in last.items()))
    say(args, f"saved {args.out}")
    return 0


def _cd_params(args: argparse.Namespace) -> dict[str, Any]:
    return {"visible": args.visible, "gibbs_steps": args.gibbs_steps,
            "persistent": args.persistent, "momentum": args.momentum,
            "weight_decay": args.weight_decay}  # fmt: skip


def _loop_params(args: argparse.Namespace) -> dict[str, Any]:
    return {"learning_rate": args.learning_rate, "batch_size": args.batch_size,
            "epochs": args.epochs, "random_state": args.random_state, "device": args.device,
            "verbose": int(not args.quiet)}  # fmt: skip


def run_rbm(args: argparse.Namespace) -> int:
    from cortexkit import RBM

    return _fit(args, RBM(args.hidden_layers, **_cd_params(args), **_loop_params(args)))


def run_dbn(args: argparse.Namespace) -> int:
    from cortexkit import DBN

    return _fit(args, DBN(tuple(args.hidden_layers), **_cd_params(args), **_loop_params(args)))


def run_dbm(args: argparse.Namespace) -> int:
    from cortexkit import DBM

    est = DBM(tuple(args.hidden_layers), pretrain_epochs=args.pretrain_epochs,
              pretrain_learning_rate=args.pretrain_learning_rate,
              **_loop_params(args))  # fmt: skip
    return _fit(args, est)


def predict_arguments(parser: argparse.ArgumentParser) -> None:
    """``predict``'s flags for these models."""
    add_flag(parser, "--drop", type=names, default=[], help="table columns to ignore, a,b,c")
    add_flag(parser, "--scale", choices=SCALES, default=None,
             help="Boltzmann models: scale each column (default: as the training data "
                  "was)")  # fmt: skip


def predict(args: argparse.Namespace, model_file: Any) -> int:
    """Write the hidden features of DATA's rows as a CSV (``--out`` or stdout)."""
    import pandas as pd

    from cortexkit.io.envelope import atomic_write_bytes

    extra = model_file.extra
    drop = args.drop or _saved_drop(args.data, extra.get("drop") or [])
    raw = read_matrix(args.data, drop=drop)
    visible = model_file.estimator.fitted_params_.get("visible", "bernoulli")
    if args.scale:
        X = scale_matrix(raw, args.scale, visible=visible)[0]
    elif "scale_divisor" in extra:
        X = _apply(raw, list(extra["scale_shift"]), list(extra["scale_divisor"]))
        if visible == "bernoulli":
            X = _clip_to_units(X, args.data)
    else:  # a model saved from Python, not by train: the data as it is
        X = _apply(raw, [0.0] * raw.shape[1], [1.0] * raw.shape[1])
    features = model_file.estimator.transform(X)
    table = pd.DataFrame(features, columns=[f"h{i}" for i in range(features.shape[1])])
    text = table.to_csv(index=False, float_format="%.6g")
    if args.out:
        atomic_write_bytes(args.out, text.encode())
        say(args, f"wrote {features.shape[0]} rows x {features.shape[1]} features to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _clip_to_units(X: Any, path: str) -> Any:
    """The training scale applied to new rows can leave values a little outside [0, 1]
    (``--scale minmax`` maps the *training* minimum and maximum to 0 and 1): they are
    clipped to [0, 1], the Bernoulli units' range, with a warning that counts them."""
    import warnings

    import numpy as np

    outside = int(np.count_nonzero((X < 0) | (X > 1)))
    if outside:
        low, high = float(X.min()), float(X.max())
        warnings.warn(
            f"DATA {path!r}: {outside} values fall outside the training data's range "
            f"(scaled as in training, they run from {low:.4g} to {high:.4g}); clipped them "
            "to [0, 1], the range of the model's Bernoulli visible units",
            UserWarning,
            stacklevel=2,
        )
        X = np.clip(X, 0.0, 1.0, out=X)
    return X


def _check_constant(X: Any, args: argparse.Namespace) -> None:
    """Refuse training data whose every column is constant; for a table, warn naming the
    constant columns (an image's blank border pixels are no news)."""
    import pandas as pd

    from cortexkit.data.columns import check_constant_columns

    p = Path(args.data)
    table = p.is_file() and p.suffix != ".npz" and "idx" not in p.name
    names = None
    if table:
        try:
            header = [str(c).strip() for c in pd.read_csv(p, nrows=0).columns]
            names = [c for c in header if c not in (args.drop or [])]
        except Exception:  # read_matrix has read it: the names are a nicety
            names = None
    if names is not None and len(names) == X.shape[1]:
        X = pd.DataFrame(X, columns=names)
    check_constant_columns(X, repr(args.data), warn=table)


def _saved_drop(path: str, saved: list[str]) -> list[str]:
    """The columns dropped in training that this table has (a table that already lacks
    them is fine)."""
    p = Path(path)
    if not saved or not p.is_file() or p.suffix == ".npz" or "idx" in p.name:
        return saved
    try:
        import pandas as pd

        header = set(pd.read_csv(p, nrows=0).columns)
    except Exception:  # read_matrix reports what is wrong with the file
        return saved
    return [c for c in saved if c in header]


def _family(name: str, help: str, arguments: Any, run: Any) -> TrainFamily:
    return TrainFamily(name, help, arguments, run, table=False, models=MODELS, predict=predict,
                       predict_arguments=predict_arguments)  # fmt: skip


FAMILIES = (
    _family("rbm", "a restricted Boltzmann machine (features, samples)", rbm_arguments, run_rbm),
    _family("dbn", "a deep belief network: RBMs stacked greedily", dbn_arguments, run_dbn),
    _family("dbm", "a deep Boltzmann machine (Salakhutdinov & Hinton)", dbm_arguments, run_dbm),
)
