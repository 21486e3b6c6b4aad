"""Greedy layer-wise training of a stack of RBMs, each on the hidden probabilities of the
trained layers below (Hinton, Osindero & Teh, 2006).

- :class:`LayerwiseStep`: the DBN's training, as one step of the shared loop: each epoch
  trains the layer whose turn it is, so the DBN gets the loop's history, validation,
  checkpoints, ``partial_fit`` and (per layer) early stopping;
- :func:`pretrain_dbm`: the DBM's pretraining, a sequence of RBM fits with the inputs
  doubled where the DBM gives a layer two neighbours, before its joint training starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from cortexkit.boltzmann.rbm import RBM
from cortexkit.boltzmann.step import CDStep, rbm_metrics
from cortexkit.boltzmann.units import hidden_mean
from cortexkit.train.objective import chunked
from cortexkit.train.step import Run, Step

__all__ = ["LayerwiseStep", "pretrain_dbm", "stack_up"]

TOL = 1e-4  # a layer's monitored loss must fall by more than this to count as progress


def stack_up(x: Tensor, weights: Sequence[Tensor], hidden_biases: Sequence[Tensor]) -> Tensor:
    """Rows ``x`` passed up through a stack of RBMs: each one's hidden probabilities."""
    for W, c in zip(weights, hidden_biases, strict=True):
        x = chunked(lambda v, W=W, c=c: hidden_mean(v, W, c), x)
    return x


class LayerwiseStep(Step):
    """A DBN's greedy training: each epoch, the layer whose turn it is takes a CD-k / PCD-k
    update (:class:`~cortexkit.boltzmann.step.CDStep`) on each batch, its input the batch
    passed up through the trained layers below.

    A batch is ``(X, rows)``: the visible rows and their indices. A layer above the first
    reads its inputs, by index, from the training rows passed up once when its turn comes
    (not again for every batch).

    Layer ``i`` trains for ``epochs`` epochs, then layer ``i + 1`` takes over; the top layer
    keeps training after its own turn (more ``partial_fit`` calls). With ``early_stopping``,
    a layer's turn also ends when its monitored loss (the loop's: its validation loss, else
    its training loss) has not fallen for ``patience`` epochs, and its best epoch's weights
    are put back; when that ends the top layer's turn, :attr:`finished` says so (for the
    rest of this run: the estimator then stops the loop).

    ``loss`` is the current layer's mean free energy of its inputs.
    """

    def __init__(self, layers: list[CDStep]) -> None:
        self.layers = layers
        self.parameters = [p for layer in layers for p in layer.parameters]
        self.layer = 0  # the layer being trained
        self.layer_epochs = 0  # epochs it has trained
        self.epochs = 1
        self.early_stopping = False
        self.patience = 5
        self.best_loss = math.inf
        self.bad_epochs = 0
        self.best_state: dict[str, Tensor] | None = None
        self.turns_over = False  # every layer has had its turn
        self.finished = False  # ... and the top layer's ended early, in this run
        self._source: Any = None  # the training rows (the run's batch source)
        self._inputs: Tensor | None = None  # the current layer's inputs, by row index

    def begin(self, run: Run) -> None:
        s = run.settings
        self.epochs = int(s["epochs"])
        self.early_stopping = bool(s["early_stopping"])
        self.patience = int(s["patience"])
        for layer in self.layers:
            layer.begin(run)
        self._source = run.batches
        self._inputs = None
        self.finished = False
        if self.__dict__.pop("_continued", False):
            top = len(self.layers) - 1
            self.turns_over = self.layer == top and self.layer_epochs >= self.epochs

    def continue_at(self, layer: int, layer_epochs: int) -> None:
        """Start at ``layer`` (0-based), which has trained ``layer_epochs`` epochs of its
        turn already: what a loaded model's history says."""
        self.layer = min(max(layer, 0), len(self.layers) - 1)
        self.layer_epochs = layer_epochs
        self._continued = True  # begin decides whether the turns are over

    @property
    def current(self) -> CDStep:
        """The layer being trained."""
        return self.layers[self.layer]

    def _up(self, x: Tensor) -> Tensor:
        below = self.layers[: self.layer]
        return stack_up(x, [layer.parameters[0] for layer in below],
                        [layer.parameters[2] for layer in below])  # fmt: skip

    def _batch_inputs(self, batch: tuple[Tensor, ...]) -> Tensor:
        if self.layer == 0:
            return batch[0]
        if self._inputs is None:
            X, rows = self._source.take(torch.arange(self._source.n))
            up = self._up(X)
            size = int(rows.max()) + 1 if len(rows) else 0
            self._inputs = up.new_zeros(size, up.shape[1]).index_copy_(0, rows.to(up.device), up)
        return self._inputs[batch[1].to(self._inputs.device)]

    def __call__(self, batch: tuple[Tensor, ...]) -> Tensor:
        return self.current((self._batch_inputs(batch),))

    def loss(self, batch: tuple[Tensor, ...]) -> float:
        return self.current.loss((self._up(batch[0]),))

    def metric(self, X: Tensor) -> dict[str, float]:
        """The current layer's :func:`~cortexkit.boltzmann.step.rbm_metrics` on rows ``X``
        (passed up to it)."""
        layer = self.current
        W, b, c = layer.parameters
        return rbm_metrics(self._up(X), W, b, c, kind=layer.kind, n_levels=layer.n_levels)

    def logs(self) -> dict[str, float]:
        return {"layer": float(self.layer + 1)}

    def end_epoch(self, monitored: float) -> None:
        self.layer_epochs += 1
        if self.turns_over:  # later epochs (partial_fit) train the top layer on
            return
        done = self.layer_epochs >= self.epochs
        if self.early_stopping:
            if monitored < self.best_loss - TOL:
                self.best_loss, self.bad_epochs = monitored, 0
                self.best_state = {str(i): p.clone() for i, p in enumerate(self.current.parameters)}
            else:
                self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                done = True
        if not done:
            return
        if self.early_stopping and self.best_state is not None:
            for i, p in enumerate(self.current.parameters):
                p.copy_(self.best_state[str(i)])
            self._inputs = None
        if self.layer == len(self.layers) - 1:
            self.turns_over = True
            self.finished = self.early_stopping and self.layer_epochs < self.epochs
            return
        self.layer += 1
        self.layer_epochs, self.bad_epochs = 0, 0
        self.best_loss, self.best_state = math.inf, None
        self._inputs = None

    def state_dict(self) -> dict[str, Tensor]:
        return {
            f"{i}.{name}": t
            for i, layer in enumerate(self.layers)
            for name, t in layer.state_dict().items()
        }

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for i, layer in enumerate(self.layers):
            prefix = f"{i}."
            layer.load_state_dict({k[len(prefix) :]: v for k, v in state.items()
                                   if k.startswith(prefix)})  # fmt: skip
        self._inputs = None

    def working_state(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "layer_epochs": self.layer_epochs,
            "best_loss": self.best_loss,
            "bad_epochs": self.bad_epochs,
            "best_state": self.best_state,
            "turns_over": self.turns_over,
            "layers": [layer.working_state() for layer in self.layers],
        }

    def load_working_state(self, state: dict[str, Any]) -> None:
        self.layer = int(state["layer"])
        self.layer_epochs = int(state["layer_epochs"])
        self.best_loss = float(state["best_loss"])
        self.bad_epochs = int(state["bad_epochs"])
        self.best_state = state["best_state"]
        self.turns_over = bool(state["turns_over"])
        for layer, saved in zip(self.layers, state["layers"], strict=True):
            layer.load_working_state(saved)
        self._inputs = None

    def flops(self, batch: tuple[Tensor, ...]) -> float | None:
        return self.current.flops(
            (batch[0].new_empty(len(batch[0]), self.current.parameters[0].shape[0]),)
        )


def pretrain_dbm(
    X: Tensor,
    hidden_layers: Sequence[int],
    *,
    visible: str = "bernoulli",
    epochs: int,
    learning_rate: float,
    batch_size: int | None,
    seed: int,
    device: torch.device,
    momentum: float = 0.0,
) -> tuple[list[Tensor], list[Tensor], list[dict[str, Any]]]:
    """Greedy pretraining for a DBM: one CD-1 RBM per layer, the bottom one with its
    bottom-up input doubled, the top one with its top-down input doubled and the middle
    ones with both (in the DBM each of those layers hears from two neighbours, in its RBM
    from one). Returns the DBM's weights, its biases (a layer shared by two RBMs takes the
    mean of their two biases) and each RBM's history."""
    data = X.cpu().numpy()
    rbms = []
    for i, size in enumerate(hidden_layers):
        rbm = RBM(size, visible=visible if i == 0 else "bernoulli", gibbs_steps=1,
                  persistent=False, learning_rate=learning_rate, momentum=momentum,
                  batch_size=batch_size,
                  epochs=epochs, random_state=seed + i, device=str(device))  # fmt: skip
        rbm._up = 2.0 if i < len(hidden_layers) - 1 else 1.0
        rbm._down = 2.0 if i > 0 else 1.0
        rbm._check_layers = False  # the DBM checks its own layers after its joint training
        rbm.fit(data)
        with torch.no_grad():
            t = torch.as_tensor(data, device=device)
            up = torch.sigmoid(torch.addmm(rbm.hidden_bias_, t, rbm.weights_, alpha=rbm._up))
        data = up.cpu().numpy()
        rbms.append(rbm)
    weights = [r.weights_.clone() for r in rbms]
    biases = [rbms[0].visible_bias_.clone()]
    for i, r in enumerate(rbms):
        above = rbms[i + 1].visible_bias_ if i + 1 < len(rbms) else r.hidden_bias_
        biases.append(0.5 * (r.hidden_bias_ + above))
    return weights, biases, [r.history_ for r in rbms]
