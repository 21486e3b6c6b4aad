"""Turning an :class:`~cortexkit.explain.records.ExplainTrace` into the text ``explain`` prints.

Fixed-width numbers, one heading per step, so the columns of a weight matrix line up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor

from cortexkit.explain.records import INIT_SCALE, ExplainTrace

__all__ = ["format_trace"]


def _num(value: float, decimals: int = 6, sign: str = "+") -> str:
    return f"{value + 0.0:{sign}.{decimals}f}"  # + 0.0 turns -0.0 into 0.0


def _loss_cell(value: float) -> str:
    return f"{value:12.6f}" if abs(value) < 1e5 or not math.isfinite(value) else f"{value:12.4e}"


def _vec(values: Tensor, decimals: int = 6, sign: str = "+") -> str:
    return "[" + "  ".join(_num(float(v), decimals, sign) for v in values.reshape(-1)) + "]"


def _matrix(name: str, M: Tensor, indent: str) -> list[str]:
    """One line per unit: its incoming weights."""
    return [f"{indent}{name}[{j + 1}] = {_vec(row)}" for j, row in enumerate(M)]


def _obs_list(rows: Sequence[int]) -> str:
    if len(rows) == 1:
        return f"obs {rows[0] + 1}"
    return f"obs {rows[0] + 1}-{rows[-1] + 1}"


def _epochs_shown(epochs: int, most: int = 20) -> list[int]:
    """Every epoch, or every k-th one (and the last) when there are more than ``most``."""
    every = max(1, math.ceil(epochs / most))
    return sorted({*range(0, epochs + 1, every), epochs})


def format_trace(trace: ExplainTrace) -> str:
    """The text :func:`explain` prints: a heading and the numbers of each step.

    Examples
    --------
    >>> import io
    >>> from cortexkit.explain import explain
    >>> trace = explain(layers=(2, 2, 1), steps=1, file=io.StringIO())
    >>> print(format_trace(trace).splitlines()[0])
    cortexkit explain: a 2-2-1 network, sigmoid units, mse loss, learning rate 0.5, seed 0
    """
    sizes = trace.layer_sizes
    n_layers = len(sizes) - 1
    obs = trace.observation + 1
    f, fo = trace.activation, trace.output_activation
    lines = [
        f"cortexkit explain: a {'-'.join(map(str, sizes))} network, {f} units, "
        f"{trace.loss} loss, learning rate {trace.learning_rate:g}, seed {trace.seed}",
        f"  activation: {f}(z) = {trace.activation_formula or f + '(z)'}",
        f"  output layer: {fo}{' (fused into ' + trace.loss + ')' if trace.fused else ''}; "
        "every number in float64",
        "",
        f"Toy data: {trace.X.shape[0]} observations, {sizes[0]} features, targets y",
    ]
    for i, (row, target) in enumerate(zip(trace.X, trace.y, strict=True)):
        y_text = str(int(target)) if trace.loss == "cross_entropy" else _vec(target, 2, "")
        lines.append(f"  obs {i + 1}: x = {_vec(row, 2, '')}   y = {y_text}")

    lines += [
        "",
        f"Step 1. Initialise the weights near 0: uniform in [-{INIT_SCALE}, {INIT_SCALE}]",
    ]
    lines.append("        (biases start at 0; W[j] holds the weights into unit j)")
    for i, step in enumerate(trace.layers, start=1):
        lines.append(f"  layer {i} ({sizes[i - 1]} -> {sizes[i]}):")
        lines += _matrix("W", step.weight, "    ")
        lines.append(f"    b    = {_vec(step.bias)}")

    lines += [
        "",
        f"Step 2. Feed observation {obs} into the input layer, one input node per feature",
        f"  a0 = x = {_vec(trace.x[0])}",
        "",
        "Step 3. Forward propagation, left to right: z = W a + b, then a = f(z)",
    ]
    first = trace.layers[0]
    terms = " + ".join(
        f"({float(w):+.4f})({float(v):.2f})"
        for w, v in zip(first.weight[0], trace.x[0], strict=True)
    )
    lines.append(
        f"  e.g. z1[1] = {terms} + ({float(first.bias[0]):+.4f}) = {_num(float(first.z[0]))}"
    )
    for i, step in enumerate(trace.layers, start=1):
        act = fo if i == n_layers else f
        role = "output" if i == n_layers else "hidden"
        z_text = f"z{i} = W{i} a{i - 1} + b{i}"
        a_text = f"a{i} = {act}(z{i})"
        width = max(len(z_text), len(a_text))
        lines.append(f"  layer {i} ({role}): {z_text:<{width}} = {_vec(step.z)}")
        lines.append(f"  {'':<{len(f'layer {i} ({role}):')}} {a_text:<{width}} = {_vec(step.a)}")

    lines += [
        "",
        "Step 4. Compare the prediction with the actual value: the error",
        f"  prediction y_hat = {_vec(trace.prediction)}",
    ]
    if trace.loss == "cross_entropy":
        lines.append(f"  actual class y   = {int(trace.target[0])}")
    else:
        lines.append(f"  actual value y   = {_vec(trace.target[0])}")
    formula = f" = {trace.loss_formula}" if trace.loss_formula else ""
    lines.append(f"  error E = {trace.loss}{formula} = {trace.error:.6f}")

    L = n_layers
    lines += ["", "Step 5. Backpropagation, right to left: how much each weight caused the error"]
    if trace.fused:
        p = "softmax(z)" if trace.output_activation == "softmax" else "sigmoid(z)"
        y = "onehot(y)" if trace.loss == "cross_entropy" else "y"
        lines.append(f"  delta{L} = dE/dz{L} = ({p} - {y}) / n   ({fo} fused into {trace.loss})")
    else:
        lines.append(f"  delta{L} = dE/dz{L} = dE/da{L} * {fo}'(z{L})   (chain rule)")
    if L > 1:
        lines.append(f"  delta(l) = (delta(l+1) W(l+1)) * {f}'(z(l))   for the hidden layers")
    lines.append("  dE/dW(l) = delta(l)^T a(l-1),   dE/db(l) = delta(l)")
    if "threshold" in (f, fo):
        lines.append(
            "  (threshold'(z) here is the straight-through surrogate, 1 where |z| <= 1 and 0"
        )
        lines.append("   elsewhere: the step's true derivative is 0, and nothing would learn)")
    for i in range(L, 0, -1):
        step = trace.layers[i - 1]
        lines.append(f"  layer {i}: delta{i} = {_vec(step.delta)}")
        lines += _matrix("dE/dW", step.grad_weight, "    ")
        lines.append(f"    dE/db    = {_vec(step.grad_bias)}")
    lines.append(
        f"  chain rule vs autograd (float64): max |diff| = {trace.autograd_max_diff:.1e}  OK"
    )
    lines.append(
        f"  update: w <- w - {trace.learning_rate:g} * dE/dw   (after this one observation)"
    )
    for i, step in enumerate(trace.layers, start=1):
        lines.append(f"  layer {i}:")
        lines += _matrix("W", step.new_weight, "    ")
        lines.append(f"    b    = {_vec(step.new_bias)}")
    lines.append(f"  error on observation {obs}: {_num(trace.error)} -> {_num(trace.error_after)}")

    n = trace.X.shape[0]
    lines += [
        "",
        "Step 6. Repeat steps 2 to 5 for every observation: when are the weights updated?",
        "  (observations in order; a real run shuffles them each epoch)",
    ]
    for mode in trace.modes:
        after = " | ".join(_obs_list(rows) for rows in mode.batches)
        plural = "update" if mode.updates_per_epoch == 1 else "updates"
        lines.append(
            f"  {mode.name:<10} (batch size {mode.batch_size}): "
            f"{mode.updates_per_epoch} {plural} per epoch of {n}, after {after}"
        )

    epochs = len(trace.modes[0].losses) - 1
    lines += [
        "",
        f"Step 7. One pass over the whole set is an epoch; {epochs} "
        f"epoch{'s' if epochs > 1 else ''} in each mode",
        f"  loss ({trace.loss}) on all {n} observations, from the same initial weights:",
        "  epoch" + "".join(f"  {mode.name:>12}" for mode in trace.modes),
    ]
    for e in _epochs_shown(epochs):
        row = "".join(f"  {_loss_cell(mode.losses[e])}" for mode in trace.modes)
        lines.append(f"  {e:>5}{row}")
    for mode in trace.modes:
        if mode.diverged:
            lines.append(
                f"  {mode.name}: the loss became NaN or infinite, so that mode stopped; "
                "try a smaller learning rate"
            )
    return "\n".join(lines) + "\n"
