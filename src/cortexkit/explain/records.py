"""What ``explain`` records: each layer's numbers in a step, each gradient-descent mode's
run, and the whole trace that :func:`~cortexkit.explain.render.format_trace` prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor

__all__ = ["INIT_SCALE", "ExplainTrace", "LayerStep", "ModeRun"]

# U(-0.5, 0.5): still "small numbers near 0", but large enough that the backpropagated
# deltas of the first layer show at six decimals (the estimators' 0.05 would print zeros).
INIT_SCALE = 0.5


@dataclass(frozen=True)
class LayerStep:
    """One layer's numbers for the observation of steps 2 to 5.

    Vectors have one entry per unit of the layer; matrices have shape ``(out, in)``.

    Attributes
    ----------
    weight, bias : Tensor
        ``W`` and ``b`` before the update (step 1).
    z, a : Tensor
        The weighted sums ``z = W a_prev + b`` and the activations ``a = f(z)`` (step 3).
    delta : Tensor
        ``dE/dz`` (step 5).
    grad_weight, grad_bias : Tensor
        ``dE/dW = delta a_prev^T`` and ``dE/db = delta`` (step 5).
    new_weight, new_bias : Tensor
        After the update ``w - learning_rate * dE/dw`` (step 5).
    Examples
    --------
    >>> import io
    >>> from cortexkit.explain import explain
    >>> output_layer = explain(layers=(2, 3, 1), steps=1, file=io.StringIO()).layers[-1]
    >>> tuple(output_layer.weight.shape), tuple(output_layer.delta.shape)
    ((1, 3), (1,))
    """

    weight: Tensor
    bias: Tensor
    z: Tensor
    a: Tensor
    delta: Tensor
    grad_weight: Tensor
    grad_bias: Tensor
    new_weight: Tensor
    new_bias: Tensor


@dataclass(frozen=True)
class ModeRun:
    """One gradient-descent mode over ``len(losses) - 1`` epochs (steps 6 and 7).

    Attributes
    ----------
    name : str
        ``"stochastic"``, ``"batch"`` or ``"mini-batch"``.
    batch_size : int
        Observations per update.
    batches : tuple of tuple of int
        The observations (0-based, in order) behind each update of one epoch.
    losses : list of float
        The loss on the whole set before training, then after each epoch; ``nan`` from the
        epoch where the loss stopped being finite (training of that mode then stops).
    Examples
    --------
    >>> import io
    >>> from cortexkit.explain import explain
    >>> modes = explain(layers=(2, 3, 1), steps=3, file=io.StringIO()).modes
    >>> [(m.name, m.updates_per_epoch, len(m.losses)) for m in modes]
    [('stochastic', 4, 4), ('batch', 1, 4), ('mini-batch', 2, 4)]
    """

    name: str
    batch_size: int
    batches: tuple[tuple[int, ...], ...]
    losses: list[float]

    @property
    def updates_per_epoch(self) -> int:
        """How many times the weights change in one epoch."""
        return len(self.batches)

    @property
    def diverged(self) -> bool:
        """Whether the loss became NaN or infinite."""
        return not all(math.isfinite(v) for v in self.losses)


@dataclass(frozen=True)
class ExplainTrace:
    """Every number :func:`explain` prints.

    Attributes
    ----------
    layer_sizes : tuple of int
        Units per layer, inputs first.
    activation, output_activation, loss : str
        The names used; ``output_activation`` is the loss's fused one for ``bce`` and
        ``cross_entropy``, else ``activation``.
    fused : bool
        Whether the loss takes the output layer's logits (``delta_L = (p - y) / n``).
    learning_rate : float
    seed : int
    X : Tensor
        The toy data, shape ``(observations, layer_sizes[0])``.
    y : Tensor
        Targets: ``(observations, outputs)`` in [0, 1] (0 or 1 for ``bce``), or class
        indices ``(observations,)`` for ``cross_entropy``.
    observation : int
        The row of ``X`` walked through in steps 2 to 5.
    x, target : Tensor
        That observation, as a batch of one: ``X[observation:observation + 1]``.
    layers : list of LayerStep
        Its forward and backward pass, first layer first.
    prediction : Tensor
        The output layer's activations for it, ``(outputs,)``.
    error, error_after : float
        The loss on it before and after the update of step 5.
    autograd_max_diff : float
        ``max |chain rule - autograd|`` over every gradient of step 5.
    modes : list of ModeRun
        Stochastic, batch and mini-batch gradient descent from the same initial weights.

    Examples
    --------
    >>> import io
    >>> from cortexkit.explain import explain
    >>> trace = explain(layers=(2, 2, 1), steps=1, file=io.StringIO())
    >>> trace.layer_sizes, trace.autograd_max_diff < 1e-6
    ((2, 2, 1), True)
    """

    layer_sizes: tuple[int, ...]
    activation: str
    output_activation: str
    loss: str
    fused: bool
    learning_rate: float
    seed: int
    X: Tensor
    y: Tensor
    observation: int
    x: Tensor
    target: Tensor
    layers: list[LayerStep]
    prediction: Tensor
    error: float
    error_after: float
    autograd_max_diff: float
    modes: list[ModeRun]
    activation_formula: str = ""
    loss_formula: str = ""
