"""The cases of ``tests/test_distributed.py``, small enough for two CPU processes.

Under torchrun (``python -m torch.distributed.run --nproc-per-node 2 distributed_cases.py
OUT``) each rank joins the group from torchrun's variables, trains every case data-parallel
and saves what it got to ``OUT/rank{RANK}.pt``; the test imports this file to train the
same cases in one process and compares.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

from cortexkit import RBM, ANNClassifier, AutoEncoder, RNNClassifier, SelfOrganizingMap
from cortexkit.train.distributed import init_from_env, world


def digits() -> tuple[np.ndarray, np.ndarray]:
    """512 of scikit-learn's 8x8 digits, pixels in [0, 1]: 16 batches of 32."""
    X, y = load_digits(return_X_y=True)
    return (X[:512] / 16.0).astype(np.float32), y[:512]


def ann(folder: Path) -> torch.Tensor:
    X, y = digits()
    est = ANNClassifier(hidden_layers=(16,), epochs=3, batch_size=32, validation_fraction=0.0,
                        random_state=0).fit(X, y)  # fmt: skip
    return torch.as_tensor(est.predict_proba(X))


def ann_resumed(folder: Path) -> torch.Tensor:
    """Two epochs with a checkpoint, then a resumed run to four."""
    X, y = digits()
    params = dict(hidden_layers=(16,), batch_size=32, validation_fraction=0.25,
                  early_stopping=False, random_state=0)  # fmt: skip
    params["checkpoint"] = str(folder / "ann.ckpt")
    ANNClassifier(epochs=2, **params).fit(X, y)
    est = ANNClassifier(epochs=4, resume=True, **params).fit(X, y)
    assert "resumed" in est.history_
    return torch.as_tensor(est.predict_proba(X))


def ann_four(folder: Path) -> torch.Tensor:
    """Four epochs at once (what ``ann_resumed`` must equal)."""
    X, y = digits()
    params = dict(hidden_layers=(16,), batch_size=32, validation_fraction=0.25,
                  early_stopping=False, random_state=0)  # fmt: skip
    return torch.as_tensor(ANNClassifier(epochs=4, **params).fit(X, y).predict_proba(X))


def autoencoder(folder: Path) -> torch.Tensor:
    X, _ = digits()
    est = AutoEncoder(hidden_layers=(16, 4), epochs=3, batch_size=32, validation_fraction=0.0,
                      random_state=0).fit(X)  # fmt: skip
    return torch.as_tensor(est.transform(X))


def rnn(folder: Path) -> torch.Tensor:
    """Each digit as 8 steps of 8 pixels: an autograd module, through DDP."""
    X, y = digits()
    X = X.reshape(-1, 8, 8)
    est = RNNClassifier(hidden_layers=(16,), dropout=0.0, epochs=2, batch_size=32,
                        validation_fraction=0.0, random_state=0).fit(X, y)  # fmt: skip
    return torch.as_tensor(est.predict_proba(X))


def som(folder: Path) -> torch.Tensor:
    """Kohonen's batch map: each epoch's sums over every process's rows."""
    X, _ = digits()
    est = SelfOrganizingMap((5, 5), algorithm="batch", epochs=4, batch_size=64,
                            random_state=0).fit(X)  # fmt: skip
    return torch.as_tensor(est.weights_).reshape(25, -1)


def rbm(folder: Path) -> torch.Tensor:
    """Contrastive divergence: each batch's statistics averaged over the processes (each
    draws its own Gibbs samples, so only the quality can match one process)."""
    X, _ = digits()
    est = RBM(32, persistent=False, learning_rate=0.5, epochs=10, batch_size=32, random_state=0)
    est.fit((X > 0.5).astype(np.float32))
    return torch.tensor([est.history_["reconstruction_error"][-1]])


CASES: dict[str, Callable[[Path], torch.Tensor]] = {
    "ann": ann,
    "ann_resumed": ann_resumed,
    "ann_four": ann_four,
    "autoencoder": autoencoder,
    "rnn": rnn,
    "som": som,
    "rbm": rbm,
}


def main(out: str) -> None:
    torch.set_num_threads(1)
    assert init_from_env("cpu"), "run me under torchrun with 2 processes"
    import torch.distributed as dist

    rank, size = world()
    folder = Path(out)
    results = {name: case(folder) for name, case in CASES.items()}
    results["world_size"] = torch.tensor([size])
    torch.save(results, folder / f"rank{rank}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(sys.argv[1])
