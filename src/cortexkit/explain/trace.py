"""The seven steps of training a neural network, printed number by number.

:func:`explain` builds a tiny network and a tiny data set and walks through the classic
seven steps of the introductory article, in float64:

1. initialise the weights randomly to small numbers near 0 (``init="uniform"``);
2. feed the first observation into the input layer, one input node per feature;
3. forward propagation, left to right: ``z = W a + b`` and ``a = f(z)``, layer by layer,
   up to the prediction;
4. compare the prediction with the actual value and measure the error (the loss);
5. backpropagation, right to left: the deltas ``dE/dz`` and the gradients ``dE/dW`` by the
   explicit chain rule (:meth:`DenseNetwork.backward_from
   <cortexkit.ann.network.DenseNetwork.backward_from>`), checked against torch
   autograd, then the update ``w <- w - learning_rate * dE/dw``;
6. repeat steps 1 to 5, updating after each observation (stochastic), after the whole set
   (batch) or after each small group (mini-batch);
7. one pass over the whole set is an epoch; run more epochs.

The numbers live in an :class:`ExplainTrace`; :func:`format_trace` turns it into text.

The output layer uses the same activation as the hidden layers, so ``sigmoid`` with ``mse``
is the classic example, and ``delta_L = dE/da_L * f'(z_L)``. A loss that takes logits
(``bce``, ``cross_entropy``) fuses its own output activation (sigmoid, softmax): the output
layer then uses that one and the fused, famously simple ``delta_L = (p - y) / n``.

Examples
--------
>>> import io
>>> from cortexkit.explain import explain
>>> trace = explain(layers=(2, 3, 1), steps=1, file=io.StringIO())
>>> [mode.updates_per_epoch for mode in trace.modes]
[4, 1, 2]
>>> trace.autograd_max_diff < 1e-12
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import torch
from torch import Tensor
from torch.nn import functional as F

from cortexkit._validation import Interval, validate_params
from cortexkit.ann.network import DenseNetwork, LayerView
from cortexkit.explain.records import INIT_SCALE, ExplainTrace, LayerStep, ModeRun
from cortexkit.explain.render import format_trace
from cortexkit.nn.activations import Activation, get_activation
from cortexkit.nn.losses import Loss, get_loss

__all__ = ["ExplainTrace", "LayerStep", "ModeRun", "explain"]

MAX_UNITS = 8  # per layer: a row of a weight matrix must fit on one line
MAX_LAYERS = 6  # numbers in ``layers``: inputs, up to 4 hidden layers, outputs
MAX_OBSERVATIONS = 8
MAX_STEPS = 1000
CHECK_TOLERANCE = 1e-6  # chain rule vs autograd, float64

_CONSTRAINTS: dict[str, list[Any]] = {
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "steps": [Interval(int, 1, MAX_STEPS)],
    "random_state": [Interval(int, 0, 2**63 - 1)],
    "observations": [Interval(int, 2, MAX_OBSERVATIONS)],
}


class _Problem:
    """The network, its loss and how the output delta is formed, on flat weight vectors."""

    def __init__(self, net: DenseNetwork, loss: Loss, fused: bool) -> None:
        self.net = net
        self.loss = loss
        self.fused = fused

    def views(self, flat: Tensor) -> list[LayerView]:
        """``W``, ``W^T`` and ``b`` of every layer, as views of the flat weights ``flat``."""
        return [LayerView(W, W.t(), b) for W, b in self.net.layers(flat)]

    def error(self, flat: Tensor, x: Tensor, y: Tensor) -> Tensor:
        zs, acts = self.net.trace(x, self.views(flat))
        return self.loss.value(zs[-1] if self.fused else acts[-1], y)

    def gradients(
        self, flat: Tensor, x: Tensor, y: Tensor
    ) -> tuple[Tensor, list[Tensor], list[Tensor], list[Tensor], Tensor]:
        """Forward, error and the explicit chain rule: ``(loss, zs, acts, deltas, grad)``."""
        weights = self.views(flat)
        zs, acts = self.net.trace(x, weights)
        out_act = self.net.activations[-1]
        if self.fused:  # the loss fuses sigmoid / softmax: dE/dz_L = (p - y) / n
            loss = self.loss.value(zs[-1], y)
            delta = self.loss.grad(zs[-1], y)
        else:  # the loss is on the activated output: dE/dz_L = dE/da_L * f'(z_L)
            loss = self.loss.value(acts[-1], y)
            delta = out_act.backward(zs[-1], acts[-1], self.loss.grad(acts[-1], y))
        grad = torch.zeros_like(flat)
        deltas = self.net.backward_from(zs, acts, delta, self.net.layers(grad), weights)
        return loss, zs, acts, deltas[::-1], grad

    def autograd_gradients(self, flat: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """The oracle: the same forward pass and loss, differentiated by torch autograd."""
        leaf = flat.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            a = x
            z = x
            for (W, b), act in zip(self.net.layers(leaf), self.net.activations, strict=True):
                z = F.linear(a, W, b)
                a = act.forward(z)
            (grad,) = torch.autograd.grad(self.loss.value(z if self.fused else a, y), leaf)
        return grad


def _check_layers(layers: Any) -> tuple[int, ...]:
    ok = (
        isinstance(layers, Sequence)
        and not isinstance(layers, str)
        and 2 <= len(layers) <= MAX_LAYERS
        and all(Interval(int, 1, MAX_UNITS).accepts(s) for s in layers)
    )
    if not ok:
        raise ValueError(
            f"layers must be a sequence of 2 to {MAX_LAYERS} ints in [1, {MAX_UNITS}] "
            f"(inputs, hidden layers, outputs: small enough to print); got {layers!r}"
        )
    return tuple(int(s) for s in layers)


def _toy_data(
    n: int, n_in: int, n_out: int, loss: str, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``n`` observations with two-decimal features in [0, 1) and targets a hidden linear
    "teacher" explains, so that the network has something to learn."""
    X = torch.rand(n, n_in, generator=generator, dtype=torch.float64).mul(100).round().div(100)
    teacher = torch.randn(n_in, n_out, generator=generator, dtype=torch.float64)
    score = X @ teacher  # (n, n_out)
    score = (score - score.mean(0)) / (score.std(0) + 1e-12)
    if loss == "cross_entropy":  # classes spread over the observations by the first score
        rank = score[:, 0].argsort().argsort()
        return X, rank * n_out // n
    if loss == "bce":  # the upper half of each score is class 1
        return X, (score > score.median(0).values).to(torch.float64)
    return X, torch.sigmoid(2.0 * score).mul(100).round().div(100)


def _run_mode(
    problem: _Problem,
    flat: Tensor,
    X: Tensor,
    y: Tensor,
    name: str,
    batch_size: int,
    learning_rate: float,
    epochs: int,
) -> ModeRun:
    n = X.shape[0]
    batches = tuple(tuple(range(s, min(s + batch_size, n))) for s in range(0, n, batch_size))
    losses = [float(problem.error(flat, X, y))]
    for _ in range(epochs):
        if not math.isfinite(losses[-1]):  # diverged: stop this mode, keep the table's shape
            losses.append(math.nan)
            continue
        for rows in batches:
            # in order, not shuffled, so the trace is easy to follow (a real run shuffles)
            batch = slice(rows[0], rows[-1] + 1)
            grad = problem.gradients(flat, X[batch], y[batch])[4]
            flat = flat - learning_rate * grad
        loss = float(problem.error(flat, X, y))
        losses.append(loss if math.isfinite(loss) else math.nan)
    return ModeRun(name, batch_size, batches, losses)


def _build(
    layers: Any,
    activation: str | Activation,
    loss: str | Loss,
    learning_rate: float,
    steps: int,
    seed: int,
    observations: int,
    batch_size: int,
) -> ExplainTrace:
    sizes = _check_layers(layers)
    validate_params(
        {
            "learning_rate": learning_rate,
            "steps": steps,
            "random_state": seed,
            "observations": observations,
        },
        _CONSTRAINTS,
    )
    if not math.isfinite(learning_rate):
        raise ValueError(f"learning_rate must be finite; got {learning_rate!r}")
    validate_params({"batch_size": batch_size}, {"batch_size": [Interval(int, 2, observations)]})
    act = get_activation(activation)
    loss_def = get_loss(loss)
    fused = loss_def.output_activation != "identity"
    if loss_def.name == "cross_entropy" and sizes[-1] < 2:
        raise ValueError(
            f"layers[-1] must be >= 2 for loss='cross_entropy' (one output per class); "
            f"got {sizes[-1]}"
        )
    out_act = get_activation(loss_def.output_activation) if fused else act
    learning_rate = float(learning_rate)

    generator = torch.Generator().manual_seed(int(seed))
    X, y = _toy_data(observations, sizes[0], sizes[-1], loss_def.name, generator)
    # DenseNetwork draws its first weights from the global RNG; keep the caller's state.
    with torch.random.fork_rng(devices=[]):
        net = DenseNetwork(
            sizes,
            [act] * (len(sizes) - 2),
            init="uniform",
            init_options={"scale": INIT_SCALE},
            dtype=torch.float64,
            output_activation=out_act,
        )
    net.reset_parameters(generator)  # step 1
    problem = _Problem(net, loss_def, fused)

    with torch.no_grad():
        flat = net.flat.detach().clone()
        obs = 0
        x, target = X[obs : obs + 1], y[obs : obs + 1]
        error, zs, acts, deltas, grad = problem.gradients(flat, x, target)  # steps 2-5
        reference = problem.autograd_gradients(flat, x, target)
        max_diff = float((grad - reference).abs().max())
        if not max_diff <= CHECK_TOLERANCE:
            raise RuntimeError(
                f"the chain rule disagrees with autograd: max |diff| = {max_diff:.3g} > "
                f"{CHECK_TOLERANCE:g} (activation={act.name!r}, loss={loss_def.name!r})"
            )
        new_flat = flat - learning_rate * grad  # step 5: w <- w - lr * dE/dw
        steps_by_layer = [
            LayerStep(W, b, z[0], a[0], d[0], gW, gb, nW, nb)
            for (W, b), z, a, d, (gW, gb), (nW, nb) in zip(
                net.layers(flat),
                zs,
                acts[1:],
                deltas,
                net.layers(grad),
                net.layers(new_flat),
                strict=True,
            )
        ]
        error_after = float(problem.error(new_flat, x, target))
        modes = [
            _run_mode(problem, flat, X, y, name, size, learning_rate, steps)
            for name, size in (
                ("stochastic", 1),
                ("batch", observations),
                ("mini-batch", batch_size),
            )
        ]
    return ExplainTrace(
        layer_sizes=sizes,
        activation=act.name,
        output_activation=out_act.name,
        loss=loss_def.name,
        fused=fused,
        learning_rate=learning_rate,
        seed=int(seed),
        X=X,
        y=y,
        observation=obs,
        x=x,
        target=target,
        layers=steps_by_layer,
        prediction=acts[-1][0],
        error=float(error),
        error_after=error_after,
        autograd_max_diff=max_diff,
        modes=modes,
        activation_formula=act.formula,
        loss_formula=loss_def.formula,
    )


def explain(
    layers: Sequence[int] = (3, 4, 1),
    activation: str | Activation = "sigmoid",
    loss: str | Loss = "mse",
    learning_rate: float = 0.5,
    steps: int = 2,
    random_state: int = 0,
    *,
    observations: int = 4,
    batch_size: int = 2,
    file: TextIO | None = None,
) -> ExplainTrace:
    """Train a tiny network on a tiny data set and print the seven steps, number by number.

    Parameters
    ----------
    layers : sequence of int, default (3, 4, 1)
        Units per layer, inputs first, outputs last: 2 to 6 numbers, each 1 to 8.
    activation : str or Activation, default "sigmoid"
        Of every layer, the output layer included (unless the loss fuses its own).
    loss : str or Loss, default "mse"
        The error of step 4. ``bce`` and ``cross_entropy`` fuse a sigmoid / softmax output.
    learning_rate : float, default 0.5
        The step of the update ``w <- w - learning_rate * dE/dw``; must be > 0.
    steps : int, default 2
        Epochs to run in each gradient-descent mode (step 7), 1 to 1000.
    random_state : int, default 0
        Fixes the toy data and the initial weights; the global RNG is left untouched.
    observations : int, default 4
        Rows of the toy data, 2 to 8.
    batch_size : int, default 2
        Of the mini-batch mode, 2 to ``observations``.
    file : text stream, optional
        Where to print; default ``sys.stdout``.

    Returns
    -------
    ExplainTrace
        Every number printed.

    Raises
    ------
    ValueError
        Naming the first bad argument, before any work.
    RuntimeError
        If the chain-rule gradients differ from autograd's by more than 1e-6.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> trace = explain(layers=(3, 4, 1), activation="sigmoid", loss="mse", file=out)
    >>> "chain rule vs autograd" in out.getvalue()
    True
    >>> step = trace.layers[-1]
    >>> bool((step.new_weight == step.weight - 0.5 * step.grad_weight).all())
    True
    """
    trace = _build(
        layers, activation, loss, learning_rate, steps, random_state, observations, batch_size
    )
    out = sys.stdout if file is None else file
    out.write(format_trace(trace))
    out.flush()
    return trace
