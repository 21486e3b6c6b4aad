"""``cortexkit export MODEL --format onnx --out PATH``: a model file as an ONNX model.

The ONNX model takes the raw input ``predict`` takes and gives ``predict_proba``
(classifiers), ``predict`` (regressors; a forecaster's next step), the reconstruction (an
autoencoder) or a case's predicted ratings (AutoRec); see :mod:`cortexkit.export`. A model
trained on a CSV by ``cortexkit train ann`` keeps its table's encoder: its standardisation
goes into the ONNX model, whose input is then the table's numeric columns as they are,
then each text column's one-hot 0/1 columns (metadata ``feature_names`` lists them). A
family that cannot export (SOM, RBM, DBN, DBM, the Boltzmann recommender, the perceptron)
is refused in one line, exit code 2, before anything is written.
"""

from __future__ import annotations

import argparse
from typing import Any

from cortexkit.cli._args import Help, say
from cortexkit.cli._paths import ONNX_FILE, check_output_file

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``export``."""
    p = sub.add_parser("export", parents=[common], formatter_class=Help,
                       help="export a trained model to ONNX")  # fmt: skip
    p.add_argument("model")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="the file format")
    p.add_argument("--out", required=True, metavar="PATH", help="the file to write (.onnx)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the model file, write the ONNX model."""
    check_output_file(args.out, "--out", inputs={"the model being read": args.model},
                      replaces=ONNX_FILE)  # fmt: skip
    from cortexkit.data import TableEncoder
    from cortexkit.persist import read_model

    mf = read_model(args.model, device="cpu")
    table = mf.extra.get("table")
    encoder = None if table is None else TableEncoder.from_state(table)
    mf.estimator.to_onnx(args.out, encoder=encoder)
    say(args, f"wrote {type(mf.estimator).__name__} as ONNX to {args.out}")
    return 0
