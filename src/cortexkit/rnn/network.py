"""The recurrent network every RNN estimator trains: stacked cells, dropout, a linear head.

A cell is chosen by name from :data:`CELLS` (``"lstm"``, ``"gru"``, ``"rnn"``: torch's
``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` with a tanh unit), or given as a callable
``factory(input_size, hidden_size, num_layers=..., dropout=..., batch_first=True)`` that
returns a module with ``nn.LSTM``'s calling convention.

Variable-length sequences are padded to one length and passed with their ``lengths``: the
network packs them (``pack_padded_sequence``), so the padding is never read, and the head
reads each sequence's state at its own last step.

Examples
--------
>>> import torch
>>> from cortexkit.rnn.network import SequenceNetwork
>>> net = SequenceNetwork(3, 8, 2, "gru", n_layers=2, dropout=0.1,
...                       generator=torch.Generator().manual_seed(0))
>>> net(torch.zeros(4, 10, 3)).shape  # (batch, outputs)
torch.Size([4, 2])
>>> net(torch.zeros(4, 10, 3), torch.tensor([10, 3, 7, 1])).shape
torch.Size([4, 2])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from cortexkit.registry import Registry
from cortexkit.train.objective import AutogradObjective, chunks

__all__ = ["CELLS", "SequenceNetwork", "SequenceObjective", "forward_chunked"]


def lstm(input_size: int, hidden_size: int, **kwargs: Any) -> nn.Module:
    """Long short-term memory: input, forget and output gates over a cell state."""
    return nn.LSTM(input_size, hidden_size, **kwargs)


def gru(input_size: int, hidden_size: int, **kwargs: Any) -> nn.Module:
    """Gated recurrent unit: update and reset gates, no separate cell state."""
    return nn.GRU(input_size, hidden_size, **kwargs)


def rnn(input_size: int, hidden_size: int, **kwargs: Any) -> nn.Module:
    """The vanilla (Elman) recurrent unit: ``h = tanh(W x + U h + b)``."""
    return nn.RNN(input_size, hidden_size, nonlinearity="tanh", **kwargs)


CELLS: Registry[Callable[..., nn.Module]] = Registry(
    "cell", {"lstm": lstm, "gru": gru, "rnn": rnn}, callable_text="a module factory"
)
"""Recurrent cells by name."""


class SequenceNetwork(nn.Module):
    """Stacked recurrent layers, dropout after each, and a linear read-out of the last
    step's hidden state.

    Parameters
    ----------
    n_inputs, hidden_size, n_outputs : int
        Features per time step, units per recurrent layer, outputs.
    cell : str or callable
        A name from :data:`CELLS` or a module factory.
    n_layers : int
        Stacked recurrent layers.
    dropout : float
        Dropout after every recurrent layer (as Keras' ``Dropout`` after each ``LSTM``).
    generator : torch.Generator
        Draws the initial weights (torch's own initialisation, uniform in
        ``±1/sqrt(hidden_size)``, which keeps the gates unsaturated at the start).

    Shape:
        - Input: ``(batch, time, n_inputs)``, and optionally ``lengths`` ``(batch,)``.
        - Output: ``(batch, n_outputs)``.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_size: int,
        n_outputs: int,
        cell: Any,
        *,
        n_layers: int = 1,
        dropout: float = 0.0,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        factory = CELLS.resolve(cell)
        # torch's own dropout acts between layers; the last layer's output gets ours
        self.rnn = factory(
            n_inputs, hidden_size, num_layers=n_layers, dropout=dropout if n_layers > 1 else 0.0,
            batch_first=True,
        )  # fmt: skip
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_outputs)
        self.sizes = (n_inputs, hidden_size, n_outputs, n_layers)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Uniform in ``±1/sqrt(hidden_size)`` (torch's recurrent default), drawn from
        ``generator`` so that a seed fixes them."""
        bound = 1.0 / math.sqrt(self.sizes[1])
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None:
            out, _ = self.rnn(x)  # (batch, time, hidden)
            last = out[:, -1]
        else:
            packed = pack_padded_sequence(
                x, lengths.cpu().long(), batch_first=True, enforce_sorted=False
            )
            _, state = self.rnn(packed)
            h = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
            last = h[-1]  # (batch, hidden): each sequence's last real step, top layer
        return self.head(self.drop(last))  # type: ignore[no-any-return]


class SequenceObjective(AutogradObjective):
    """:class:`~cortexkit.train.AutogradObjective` for batches ``(x, y)`` or
    ``(x, lengths, y)``: every part but the last goes into the network."""

    def compute_gradients(self, *batch: Tensor) -> Tensor:
        self.module.train()
        for p in self.module.parameters():
            p.grad = None
        loss = self.loss_fn(self.module(*batch[:-1]), batch[-1])
        loss.backward()
        return loss.detach()

    @torch.no_grad()
    def loss(self, *batch: Tensor) -> float:
        out = forward_chunked(self.module, *batch[:-1])
        return float(self.loss_fn(out, batch[-1]))


@torch.no_grad()
def forward_chunked(module: nn.Module, x: Tensor, lengths: Tensor | None = None) -> Tensor:
    """The network's outputs in evaluation mode (no dropout), a chunk of rows at a time."""
    module.eval()
    if lengths is None:
        return torch.cat([module(x[s]) for s in chunks(len(x), 4096)]) if len(x) else module(x)
    return torch.cat([module(x[s], lengths[s]) for s in chunks(len(x), 4096)])
