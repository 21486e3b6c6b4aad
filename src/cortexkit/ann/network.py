"""A fully connected network whose backward pass is written out by hand.

:class:`DenseNetwork` is the ANN estimators' network. All its weights and biases live in
one flat tensor, and each layer's ``W`` (shape ``(out, in)``) and ``b`` are views into it.
That buys two things on small networks, where the time goes to per-operation overhead
rather than arithmetic: the optimiser updates one tensor in one fused kernel, and the
backward pass writes each gradient straight into its slice of one flat gradient buffer.

The backward pass is the chain rule, layer by layer (the same code ``cortexkit explain``
prints): with ``a_0 = x``, ``z_l = a_{l-1} W_l^T + b_l`` and ``a_l = f_l(z_l)``,

- ``delta_L = dLoss/dz_L`` (from the loss, e.g. ``(p - y) / n`` for sigmoid + bce);
- ``dLoss/dW_l = delta_l^T a_{l-1}`` and ``dLoss/db_l = sum over rows of delta_l``;
- ``delta_{l-1} = f'_{l-1}(z_{l-1}) * (delta_l W_l)``.

The tests check it against torch autograd. A user-supplied activation or loss (a callable)
falls back to autograd on the same module.

Shape:
    - Input: ``(batch, n_features)``
    - Output: ``(batch, n_outputs)``, raw (before the loss's fused sigmoid/softmax)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cortexkit.nn.activations import ACTIVATIONS, Activation, get_activation
from cortexkit.nn.init import get_initializer
from cortexkit.nn.losses import Loss
from cortexkit.train.objective import chunks

__all__ = ["DenseNetwork", "LayerView", "ManualObjective"]

GradFn = Callable[[Tensor, Tensor, Tensor], Tensor]

# Single fused kernels for the commonest derivatives, given the activation's output. Named
# functions, like the activations' own steps, so that a network pickles as it is.


def _relu_step(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return torch.ops.aten.threshold_backward(g, a, 0.0)


def _sigmoid_step(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return torch.ops.aten.sigmoid_backward(g, a)


def _tanh_step(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return torch.ops.aten.tanh_backward(g, a)


def _identity_step(z: Tensor, a: Tensor, g: Tensor) -> Tensor:
    return g


# Keyed by the hand-derived step they replace, so any activation carrying that step (a
# built-in, or one unpickled from a fitted model) gets the fused kernel.
_FAST_BACKWARD: dict[GradFn, GradFn] = {
    ACTIVATIONS["relu"].backward: _relu_step,
    ACTIVATIONS["sigmoid"].backward: _sigmoid_step,
    ACTIVATIONS["tanh"].backward: _tanh_step,
    ACTIVATIONS["identity"].backward: _identity_step,
}


def _backward_steps(activations: Sequence[Activation]) -> list[GradFn]:
    """The chain-rule step of each activation: a single fused kernel where torch has one."""
    return [_FAST_BACKWARD.get(a.backward, a.backward) for a in activations]


class LayerView(NamedTuple):
    """One layer's weights ``W`` (out, in), their transpose ``Wt`` (in, out) and bias ``b``."""

    W: Tensor
    Wt: Tensor
    b: Tensor


class DenseNetwork(nn.Module):
    """``layer_sizes[0]`` inputs, hidden layers, ``layer_sizes[-1]`` raw outputs.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first, output last.
    activations : sequence
        One activation (name, :class:`Activation` or callable) per hidden layer.
    init : str or callable
        Weight initialiser; biases start at zero.
    init_options : dict
        Options for a named initialiser (``scale``, ``gain``).
    dtype : torch.dtype
        Of the weights (``torch.float64`` for exact checks).
    output_activation : str, Activation or callable
        Applied to the last layer. The estimators keep ``"identity"`` and fuse the output's
        sigmoid or softmax into the loss; ``cortexkit explain`` shows the classic
        sigmoid-output network.
    generator : torch.Generator, optional
        Source of the initial weights (default: torch's global generator).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.ann import DenseNetwork
    >>> net = DenseNetwork([3, 4, 1], ["sigmoid"], generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(2, 3)).shape
    torch.Size([2, 1])
    >>> net.flat.numel()  # 3*4 + 4 weights and biases in, 4*1 + 1 out
    21
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activations: Sequence[str | Activation | Callable[[Tensor], Tensor]],
        init: str | Callable[..., None] = "xavier_uniform",
        init_options: dict[str, float] | None = None,
        dtype: torch.dtype = torch.float32,
        output_activation: str | Activation | Callable[[Tensor], Tensor] = "identity",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if len(activations) != len(layer_sizes) - 2:
            raise ValueError(
                "activations needs one activation per hidden layer: layer_sizes "
                f"{list(layer_sizes)} has {len(layer_sizes) - 2}, got {len(activations)}"
            )
        self.layer_sizes = [int(s) for s in layer_sizes]
        self.activations = [get_activation(a) for a in [*activations, output_activation]]
        self._backward = _backward_steps(self.activations)
        self.init = init
        self.init_options = dict(init_options or {})
        shapes = list(zip(self.layer_sizes[1:], self.layer_sizes[:-1], strict=True))
        total = sum(o * i + o for o, i in shapes)
        self.flat = nn.Parameter(torch.empty(total, dtype=dtype))
        self._slices: list[tuple[slice, tuple[int, int], slice]] = []
        offset = 0
        for o, i in shapes:
            w = slice(offset, offset + o * i)
            b = slice(w.stop, w.stop + o)
            self._slices.append((w, (o, i), b))
            offset = b.stop
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw fresh weights; biases start at zero (the initialiser decides the symmetry
        breaking, and zero biases keep the first forward pass centred)."""
        fill = get_initializer(self.init, **self.init_options)
        for W, b in self.layers():
            fill(W, generator=generator)
            b.zero_()

    def extra_repr(self) -> str:
        names = [a.name for a in self.activations]
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "custom")
        return (
            f"layer_sizes={self.layer_sizes}, activations={names[:-1]}, "
            f"output_activation={names[-1]!r}, init={init!r}"
        )

    def weight_masks(self) -> list[tuple[Tensor, Tensor]]:
        """Which entries of the flat tensor are weights (``weight_decay`` decays those,
        never the biases)."""
        mask = torch.zeros(self.flat.numel(), dtype=torch.bool, device=self.flat.device)
        for w, _, _ in self._slices:
            mask[w] = True
        return [(self.flat, mask)]

    def layers(self, source: Tensor | None = None) -> list[tuple[Tensor, Tensor]]:
        """``(W, b)`` views of ``source`` (default: the weights) for each layer."""
        flat = self.flat if source is None else source
        return [(flat[w].view(shape), flat[b]) for w, shape, b in self._slices]

    def forward(self, x: Tensor) -> Tensor:
        layers = self.layers()
        for (W, b), act in zip(layers, self.activations, strict=True):
            x = act(F.linear(x, W, b))
        return x

    def views(self) -> list[LayerView]:
        """Detached views ``W``, ``W^T`` and ``b`` of every layer's weights, for the
        hand-written passes (cache them: building views costs more than a small layer's
        arithmetic)."""
        return [LayerView(W, W.t(), b) for W, b in self.layers(self.flat.detach())]

    def trace(
        self, x: Tensor, weights: list[LayerView] | None = None
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Forward pass keeping every layer's weighted sums ``z`` and activations ``a``.

        Returns ``(zs, activations)`` with ``activations[0] = x``; the last ``z`` is the raw
        output. ``weights`` default to :meth:`views`.
        """
        zs: list[Tensor] = []
        acts = [x]
        weights = self.views() if weights is None else weights
        for layer, act in zip(weights, self.activations, strict=True):
            z = torch.addmm(layer.b, acts[-1], layer.Wt)  # (batch, out)
            zs.append(z)
            acts.append(act(z))
        return zs, acts

    def backward_from(
        self,
        zs: list[Tensor],
        acts: list[Tensor],
        delta: Tensor,
        grads: list[tuple[Tensor, Tensor]],
        weights: list[LayerView] | None = None,
        weight_decay: float = 0.0,
    ) -> list[Tensor]:
        """Backpropagate ``delta = dLoss/dz_L`` and write each layer's gradients into the
        ``(gW, gb)`` tensors of ``grads`` (plus ``weight_decay * W`` in each ``gW``, in the
        same matrix product: the L2 penalty on the weights, never the biases).

        Returns every layer's ``delta = dLoss/dz``, last layer first.
        """
        weights = self.views() if weights is None else weights
        deltas = [delta]
        for layer in range(len(weights) - 1, -1, -1):
            gW, gb = grads[layer]
            if weight_decay:
                torch.addmm(weights[layer].W, delta.t(), acts[layer], beta=weight_decay, out=gW)
            else:
                torch.mm(delta.t(), acts[layer], out=gW)  # (out, in)
            torch.sum(delta, 0, out=gb)
            if layer == 0:
                break
            g = delta.mm(weights[layer].W)  # dLoss/da_{layer}: (batch, in)
            delta = self._backward[layer - 1](zs[layer - 1], acts[layer], g)
            deltas.append(delta)
        return deltas


class ManualObjective:
    """The dense network and a named loss, with the hand-derived backward pass.

    The network's output activation must be ``"identity"``: the loss fuses its own.
    """

    def __init__(self, network: DenseNetwork, loss: Loss) -> None:
        self.network = network
        self.loss_def = loss
        self.weight_decay = 0.0  # folded into the backward pass (fold_weight_decay)
        self._bind()

    def _bind(self) -> None:
        # Views are cached: building them costs more than a small layer's arithmetic.
        net = self.network
        self._grad = torch.zeros_like(net.flat)
        net.flat.grad = self._grad
        self._ptr = net.flat.data_ptr()
        self._weights = net.views()
        self._grads = net.layers(self._grad)

    def parameters(self) -> Iterator[Tensor]:
        return self.network.parameters()

    def fold_weight_decay(self, weight_decay: float) -> bool:
        """Add ``weight_decay * W`` to the weights' gradients inside the backward pass (no
        extra pass over the weights each step); True: the step need not apply it."""
        self.weight_decay = float(weight_decay)
        return True

    def compute_gradients(self, xb: Tensor, yb: Tensor) -> Tensor:
        # No autograd here, and no no_grad() either: every tensor involved is detached.
        net = self.network
        if net.flat.data_ptr() != self._ptr:  # moved to another device or storage
            self._bind()
        elif net.flat.grad is not self._grad:  # zero_grad(set_to_none=True) dropped it
            net.flat.grad = self._grad
        zs, acts = net.trace(xb, self._weights)  # forward
        out = zs[-1]
        loss = self.loss_def.value(out, yb)  # error
        delta = self.loss_def.grad(out, yb)
        net.backward_from(zs, acts, delta, self._grads, self._weights, self.weight_decay)
        return loss

    def flops(self, xb: Tensor, yb: Tensor) -> float:
        """A dense layer's step costs about 6 multiply-adds per weight per row (forward,
        then the gradients of the inputs and of the weights)."""
        return 6.0 * xb.shape[0] * self.network.flat.numel()

    @torch.no_grad()
    def loss(self, X: Tensor, y: Tensor) -> float:
        total = 0.0
        for s in chunks(X.shape[0]):
            total += float(self.loss_def.value(self.network(X[s]), y[s])) * (s.stop - s.start)
        return total / max(X.shape[0], 1)

    def state_dict(self) -> dict[str, Tensor]:
        return self.network.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> object:
        return self.network.load_state_dict(state)
