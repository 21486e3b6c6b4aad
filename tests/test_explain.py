"""``cortexkit explain`` (the seven steps, number by number) and the figures of ``plot``."""

from __future__ import annotations

import io
import math
import os

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from cortexkit.explain import ExplainTrace, explain, format_trace
from cortexkit.nn.activations import Activation
from cortexkit.plot import history_png, plot_activations, plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The oracle: torch's own functions, not cortexkit's registries.
TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "elu": F.elu,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}
TORCH_LOSSES = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "huber": F.huber_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
}


def run(**kwargs: object) -> tuple[ExplainTrace, str]:
    out = io.StringIO()
    trace = explain(**kwargs, file=out)  # type: ignore[arg-type]
    return trace, out.getvalue()


def autograd_reference(trace: ExplainTrace) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """dE/dW and dE/db of the traced observation, by torch autograd alone."""
    params = [
        (s.weight.clone().requires_grad_(True), s.bias.clone().requires_grad_(True))
        for s in trace.layers
    ]
    hidden = TORCH_ACTIVATIONS[trace.activation]
    output = TORCH_ACTIVATIONS[trace.output_activation]
    a = trace.x
    for i, (W, b) in enumerate(params):
        z = a @ W.T + b
        a = output(z) if i == len(params) - 1 else hidden(z)
    loss = TORCH_LOSSES[trace.loss](z if trace.fused else a, trace.target)
    grads = torch.autograd.grad(loss, [p for pair in params for p in pair])
    return list(zip(grads[::2], grads[1::2], strict=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"layers": (2, 3, 2, 1), "activation": "tanh"},
        {"layers": (3, 4, 2), "activation": "relu", "loss": "bce"},
        {"layers": (4, 5, 3), "activation": "sigmoid", "loss": "cross_entropy"},
        {"layers": (2, 1), "activation": "leaky_relu", "loss": "huber"},
        {"layers": (3, 3, 2), "activation": "elu", "loss": "mae", "random_state": 7},
    ],
)
def test_gradients_match_autograd(kwargs: dict[str, object]) -> None:
    trace, text = run(**kwargs)
    assert trace.layer_sizes == tuple(kwargs.get("layers", (3, 4, 1)))  # type: ignore[arg-type]
    assert trace.X.dtype == torch.float64
    reference = autograd_reference(trace)
    for step, (gW, gb) in zip(trace.layers, reference, strict=True):
        torch.testing.assert_close(step.grad_weight, gW, rtol=0, atol=1e-12)
        torch.testing.assert_close(step.grad_bias, gb, rtol=0, atol=1e-12)
        assert step.delta.shape == step.bias.shape  # one delta per unit
    assert any(s.grad_weight.abs().max() > 1e-4 for s in trace.layers)  # not trivially zero
    assert trace.autograd_max_diff <= 1e-12
    assert "chain rule vs autograd (float64): max |diff| =" in text
    assert "OK" in text


def test_forward_pass_numbers() -> None:
    trace, _ = run()
    a = trace.x[0]
    for step in trace.layers:
        z = step.weight @ a + step.bias
        torch.testing.assert_close(step.z, z, rtol=0, atol=1e-15)
        torch.testing.assert_close(step.a, torch.sigmoid(z), rtol=0, atol=1e-15)
        a = step.a
        assert step.weight.abs().max() <= 0.5  # small, near 0
        assert torch.count_nonzero(step.bias) == 0  # biases start at 0
    torch.testing.assert_close(trace.prediction, a)
    assert trace.error == pytest.approx(float(((a - trace.target[0]) ** 2).mean()), abs=1e-15)


def test_threshold_uses_straight_through_gradient() -> None:
    trace, text = run(activation="threshold")
    assert trace.autograd_max_diff <= 1e-12
    assert set(torch.unique(trace.layers[0].a).tolist()) <= {0.0, 1.0}
    assert "straight-through" in text


def test_update_is_old_minus_lr_times_grad() -> None:
    lr = 0.3
    trace, _ = run(learning_rate=lr, layers=(3, 4, 2, 1))
    for step in trace.layers:
        assert torch.equal(step.new_weight, step.weight - lr * step.grad_weight)
        assert torch.equal(step.new_bias, step.bias - lr * step.grad_bias)
    assert trace.error_after < trace.error  # one small step down the gradient


def test_updates_per_epoch_per_mode() -> None:
    trace, text = run(steps=3)
    modes = {mode.name: mode for mode in trace.modes}
    assert {name: m.updates_per_epoch for name, m in modes.items()} == {
        "stochastic": 4,
        "batch": 1,
        "mini-batch": 2,
    }
    assert modes["stochastic"].batches == ((0,), (1,), (2,), (3,))
    assert modes["batch"].batches == ((0, 1, 2, 3),)
    assert modes["mini-batch"].batches == ((0, 1), (2, 3))
    for mode in trace.modes:
        assert len(mode.losses) == 3 + 1  # before training, then after each epoch
        assert mode.losses[0] == trace.modes[0].losses[0]  # same initial weights
    assert "4 updates per epoch" in text and "1 update per epoch" in text

    other, _ = run(observations=6, batch_size=4, steps=1)
    assert [m.updates_per_epoch for m in other.modes] == [6, 1, 2]
    assert other.modes[2].batches == ((0, 1, 2, 3), (4, 5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "sigmoid", "loss": "mse", "learning_rate": 2.0},
        {"activation": "tanh", "loss": "mse", "learning_rate": 0.2},
        {"activation": "relu", "loss": "bce", "learning_rate": 0.5},
    ],
)
def test_loss_decreases(kwargs: dict[str, object]) -> None:
    trace, _ = run(steps=10, **kwargs)
    for mode in trace.modes:
        assert not mode.diverged
        assert mode.losses[-1] < mode.losses[0], mode.name
    batch = next(m for m in trace.modes if m.name == "batch")
    assert all(b <= a for a, b in zip(batch.losses, batch.losses[1:], strict=False))


def test_output_has_seven_steps() -> None:
    _, text = run()
    positions = [text.index(f"Step {k}.") for k in range(1, 8)]
    assert positions == sorted(positions)
    assert text.startswith("cortexkit explain: a 3-4-1 network, sigmoid units, mse loss")
    assert max(len(line) for line in text.splitlines()) <= 110  # readable in a terminal


def test_format_trace_is_what_is_printed_and_deterministic() -> None:
    trace, text = run(random_state=3)
    assert format_trace(trace) == text
    again, _ = run(random_state=3)
    assert torch.equal(trace.X, again.X) and torch.equal(
        trace.layers[0].weight, again.layers[0].weight
    )
    other, _ = run(random_state=4)
    assert not torch.equal(trace.layers[0].weight, other.layers[0].weight)


def test_leaves_global_rng_alone() -> None:
    state = torch.get_rng_state()
    run()
    assert torch.equal(state, torch.get_rng_state())


def test_prints_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    explain(layers=(2, 2, 1), steps=1)
    assert "Step 7." in capsys.readouterr().out


def test_divergence_is_reported_not_crashed() -> None:
    trace, text = run(activation="identity", learning_rate=1e6, steps=3)
    assert any(mode.diverged for mode in trace.modes)
    assert "try a smaller learning rate" in text


def test_wrong_chain_rule_is_caught() -> None:
    wrong = Activation("wrong_sigmoid", torch.sigmoid, lambda z, a, g: g, "sigmoid, wrong slope")
    with pytest.raises(RuntimeError, match="chain rule disagrees with autograd"):
        run(activation=wrong)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"layers": (3,)}, "layers"),
        ({"layers": (3, 0, 1)}, "layers"),
        ({"layers": (3, 9, 1)}, "layers"),
        ({"layers": (3, 2.5, 1)}, "layers"),
        ({"layers": (1, 1, 1, 1, 1, 1, 1)}, "layers"),
        ({"layers": "3,4,1"}, "layers"),
        ({"layers": (3, True)}, "layers"),
        ({"activation": "swishy"}, "activation"),
        ({"loss": "hinge"}, "loss"),
        ({"loss": "cross_entropy", "layers": (3, 4, 1)}, "layers"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": math.nan}, "learning_rate"),
        ({"learning_rate": math.inf}, "learning_rate"),
        ({"learning_rate": "0.5"}, "learning_rate"),
        ({"steps": 0}, "steps"),
        ({"steps": 1.5}, "steps"),
        ({"random_state": -1}, "random_state"),
        ({"observations": 1}, "observations"),
        ({"observations": 9}, "observations"),
        ({"batch_size": 1}, "batch_size"),
        ({"batch_size": 5}, "batch_size"),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs: dict[str, object], name: str) -> None:
    out = io.StringIO()
    with pytest.raises(ValueError, match=name):
        explain(**kwargs, file=out)  # type: ignore[arg-type]
    assert out.getvalue() == ""  # validated before anything is printed


# ---------------------------------------------------------------------------- plot


def assert_png(path: os.PathLike[str] | str, min_bytes: int = 5000) -> None:
    data = open(path, "rb").read()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > min_bytes
    assert b"IEND" in data[-12:]


def test_plot_activations_writes_png(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "activations.png")
    plot_activations(path)
    assert_png(path, min_bytes=20_000)
    plot_activations(path, names=["gelu", "elu", "softplus", "identity"])  # replaced in place
    assert_png(path)
    assert os.listdir(tmp_path) == ["activations.png"]  # no temporary file left behind


def test_plot_activations_rejects_bad_input(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        plot_activations(os.path.join(tmp_path, "missing", "a.png"))
    with pytest.raises(ValueError, match="activation"):
        plot_activations(os.path.join(tmp_path, "a.png"), names=["sigmoid", "swishy"])
    with pytest.raises(ValueError, match="names"):
        plot_activations(os.path.join(tmp_path, "a.png"), names=["softmax"])
    with pytest.raises(ValueError, match="names"):
        plot_activations(os.path.join(tmp_path, "a.png"), names="sigmoid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path"):
        plot_activations(os.path.join(tmp_path, "a.bmp"))
    assert os.listdir(tmp_path) == []


def test_plot_history_writes_png(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "loss.png")
    history = {"loss": [0.9, 0.6, math.nan, 0.3], "val_loss": np.array([1.0, 0.8, 0.7, 0.75])}
    plot_history(history, path, title="ANN regressor")
    assert_png(path)
    png = history_png({"loss": [1.0]})
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ([0.5, 0.4], "history"),
        ({"val_loss": [0.5]}, "loss"),
        ({"loss": []}, "loss"),
        ({"loss": "0.5"}, "loss"),
        ({"loss": [0.5, "x"]}, "loss"),
        ({"loss": [0.5], "val_loss": [[1.0]]}, "val_loss"),
    ],
)
def test_plot_history_rejects_bad_history(
    tmp_path: os.PathLike[str], history: object, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        plot_history(history, os.path.join(tmp_path, "loss.png"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not exist"):
        plot_history({"loss": [1.0]}, os.path.join(tmp_path, "nope", "loss.png"))
