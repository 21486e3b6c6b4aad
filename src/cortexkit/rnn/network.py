"""The recurrent network every RNN estimator trains: stacked cells, dropout, a linear head.

A cell is chosen by name from :data:`CELLS` (``"lstm"``, ``"gru"``, ``"rnn"``: torch's
``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` with a tanh unit), or given as a callable
``factory(input_size, hidden_size, batch_first=True)`` that returns one recurrent layer
with ``nn.LSTM``'s calling convention. The network stacks one such layer per entry of
``hidden_layers``, so the layers may differ in width.

Variable-length sequences are padded to one length and passed with their ``lengths``: the
network packs them (``pack_padded_sequence``), so the padding is never read, and the head
reads each sequence's state at its own last step.

Examples
--------
>>> import torch
>>> from cortexkit.rnn.network import SequenceNetwork
>>> net = SequenceNetwork(3, (8, 4), 2, "gru", dropout=0.1,
...                       generator=torch.Generator().manual_seed(0))
>>> net(torch.zeros(4, 10, 3)).shape  # (batch, outputs)
torch.Size([4, 2])
>>> net(torch.zeros(4, 10, 3), torch.tensor([10, 3, 7, 1])).shape
torch.Size([4, 2])
>>> net.layer_sizes
[3, 8, 4, 2]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from cortexkit.registry import Registry
from cortexkit.train.objective import AutogradObjective, chunked

__all__ = ["CELLS", "SequenceNetwork", "SequenceObjective", "forward_chunked", "training_bytes"]

EVAL_ROWS = 4096  # sequences per forward pass outside training


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
    n_inputs : int
        Features per time step.
    hidden_layers : sequence of int
        Units of each recurrent layer, from the input side (one layer per entry).
    n_outputs : int
        Outputs of the linear head.
    cell : str or callable
        A name from :data:`CELLS` or a layer factory.
    dropout : float
        Dropout after every recurrent layer (between layers, as torch's ``num_layers``
        stack does, and before the head, as Keras' ``Dropout`` after each ``LSTM``).
    generator : torch.Generator
        Draws the initial weights (torch's own initialisation, uniform in
        ``±1/sqrt(width)`` of each layer, which keeps the gates unsaturated at the start).

    Shape:
        - Input: ``(batch, time, n_inputs)``, and optionally ``lengths`` ``(batch,)``.
        - Output: ``(batch, n_outputs)``.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_layers: Sequence[int],
        n_outputs: int,
        cell: Any,
        *,
        dropout: float = 0.0,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        factory = CELLS.resolve(cell)
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        self.hidden_layers = tuple(int(w) for w in hidden_layers)
        if not self.hidden_layers:
            raise ValueError("a recurrent network needs at least one hidden layer")
        self.dropout = float(dropout)
        widths = [self.n_inputs, *self.hidden_layers]
        self.layers = nn.ModuleList(
            factory(n_in, width, batch_first=True) for n_in, width in itertools.pairwise(widths)
        )
        self.drop = nn.Dropout(self.dropout)
        self.head = nn.Linear(self.hidden_layers[-1], self.n_outputs)
        self.reset_parameters(generator)

    @property
    def layer_sizes(self) -> list[int]:
        """Units per layer: the inputs, each recurrent layer, the outputs."""
        return [self.n_inputs, *self.hidden_layers, self.n_outputs]

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Uniform in ``±1/sqrt(width)`` (torch's recurrent default; for the head, the last
        layer's width, which is also ``nn.Linear``'s bound), drawn from ``generator`` so
        that a seed fixes them."""
        bounded = list(zip(self.layers, self.hidden_layers, strict=True))
        bounded.append((self.head, self.hidden_layers[-1]))
        with torch.no_grad():
            for module, width in bounded:
                bound = 1.0 / math.sqrt(width)
                for p in module.parameters():
                    p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None:
            out = x  # (batch, time, features)
            for i, layer in enumerate(self.layers):
                if i:
                    out = self._between(out)
                out, _ = layer(out)  # (batch, time, width)
            last = out[:, -1]
        else:
            seq = pack_padded_sequence(
                x, lengths.cpu().long(), batch_first=True, enforce_sorted=False
            )
            for i, layer in enumerate(self.layers):
                if i:
                    seq = seq._replace(data=self._between(seq.data))
                seq, state = layer(seq)
            h = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
            last = h[-1]  # (batch, width): each sequence's last real step
        return self.head(self.drop(last))  # type: ignore[no-any-return]

    def _between(self, out: Tensor) -> Tensor:
        """Dropout between two recurrent layers, while training only."""
        return self.drop(out) if self.dropout and self.training else out

    def extra_repr(self) -> str:
        return (
            f"n_inputs={self.n_inputs}, hidden_layers={self.hidden_layers}, "
            f"n_outputs={self.n_outputs}, dropout={self.dropout}"
        )


def training_bytes(layer_sizes: Sequence[int], rows: int, steps: int) -> int:
    """About the bytes that training a network of ``layer_sizes`` (inputs, recurrent
    widths, outputs) takes on ``rows`` sequences of ``steps`` steps: float32 weights,
    gradients and two Adam moments (four gates per layer, LSTM's worst case), and every
    layer's activations kept for the backward pass."""
    *widths, n_out = layer_sizes
    n_weights = sum(4 * (w * (n_in + w) + 2 * w) for n_in, w in itertools.pairwise(widths))
    n_weights += widths[-1] * n_out
    return 16 * n_weights + 4 * 8 * rows * steps * sum(widths[1:])


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
        return chunked(module, x, size=EVAL_ROWS)
    return chunked(module, x, lengths, size=EVAL_ROWS)
