"""Activations: values against their formulas, hand-derived backward against autograd."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from cortexkit.nn.activations import (
    ACTIVATIONS,
    Activation,
    activation_module,
    get_activation,
    is_builtin,
)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# The formula of each activation, written independently in NumPy.
FORMULAS = {
    "threshold": lambda z: (z >= 0).astype(float),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(0.0, z),
    "tanh": np.tanh,
    "identity": lambda z: z,
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1.0),
    "gelu": lambda z: z * _normal_cdf(z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "softmax": _softmax,
}

SMOOTH = [name for name in ACTIVATIONS if name != "threshold"]


def _inputs(shape: tuple[int, ...] = (6, 5)) -> torch.Tensor:
    """float64 inputs kept away from 0, where relu-like activations have a kink."""
    z = 3.0 * torch.randn(*shape, dtype=torch.float64)
    return torch.where(z.abs() < 0.05, z.sign() * 0.05 + z, z)


def test_every_activation_has_a_formula_oracle() -> None:
    assert set(FORMULAS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_matches_formula(name: str) -> None:
    z = _inputs()
    z[0, :] = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64)
    got = get_activation(name)(z)
    assert got.shape == z.shape
    np.testing.assert_allclose(got.numpy(), FORMULAS[name](z.numpy()), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SMOOTH)
def test_hand_backward_matches_autograd(name: str) -> None:
    act = get_activation(name)
    z = _inputs().requires_grad_(True)
    g = torch.randn_like(z)
    a = act(z)
    (expected,) = torch.autograd.grad(a, z, g)
    got = act.backward(z.detach(), a.detach(), g)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


class _HandDerived(torch.autograd.Function):
    """An activation whose backward is its hand-derived one, so gradcheck tests it."""

    @staticmethod
    def forward(ctx, z, act):  # type: ignore[override]
        a = act.forward(z)
        ctx.save_for_backward(z, a)
        ctx.act = act
        return a

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        z, a = ctx.saved_tensors
        return ctx.act.backward(z, a, g), None


@pytest.mark.parametrize("name", SMOOTH)
def test_hand_backward_passes_gradcheck(name: str) -> None:
    act = get_activation(name)
    z = _inputs((4, 3)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: _HandDerived.apply(t, act), (z,), eps=1e-6)


def test_threshold_straight_through_gradient() -> None:
    act = get_activation("threshold")
    z = torch.tensor(
        [-3.0, -1.0, -0.999, -0.5, 0.0, 0.5, 0.999, 1.0, 1.001, 3.0], dtype=torch.float64
    )
    g = torch.linspace(1.0, 2.0, len(z), dtype=torch.float64)
    passes = z.abs() <= 1
    expected = torch.where(passes, g, torch.zeros_like(g))
    # The hand backward ...
    hand = act.backward(z, act(z), g)
    torch.testing.assert_close(hand, expected, rtol=0, atol=0)
    # ... and the autograd Function used in the forward pass agree with it.
    zz = z.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(act(zz), zz, g)
    torch.testing.assert_close(auto, expected, rtol=0, atol=0)
    assert act(z).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]


def test_softmax_rows_sum_to_one_and_work_on_last_axis() -> None:
    a = get_activation("softmax")(_inputs((3, 4, 5)))
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 4, dtype=torch.float64))


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="activation") as info:
        get_activation("sigmod")
    message = str(info.value)
    assert "'sigmod'" in message
    for name in ACTIVATIONS:
        assert name in message


def test_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="activation"):
        get_activation(3)  # type: ignore[arg-type]


def test_plain_callable_gets_an_autograd_backward() -> None:
    act = get_activation(torch.sin)
    assert isinstance(act, Activation)
    z = _inputs()
    g = torch.randn_like(z)
    torch.testing.assert_close(act(z), torch.sin(z))
    torch.testing.assert_close(act.backward(z, act(z), g), g * torch.cos(z))
    assert not is_builtin(torch.sin)


def test_module_is_accepted_where_a_name_is() -> None:
    module = nn.Softsign()
    act = get_activation(module)
    z = _inputs()
    g = torch.randn_like(z)
    torch.testing.assert_close(act(z), z / (1 + z.abs()))
    torch.testing.assert_close(act.backward(z, act(z), g), g / (1 + z.abs()) ** 2)
    assert activation_module(module) is module


def test_activation_given_as_activation_is_returned_unchanged() -> None:
    sigmoid = ACTIVATIONS["sigmoid"]
    assert get_activation(sigmoid) is sigmoid
    assert is_builtin("sigmoid") and not is_builtin("sigmod")


def test_activation_module_wraps_a_name() -> None:
    module = activation_module("relu")
    assert isinstance(module, nn.Module)
    z = _inputs()
    torch.testing.assert_close(module(z), torch.relu(z))
    assert "relu" in repr(module)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_builtin_pickles_as_it_is(name: str) -> None:
    act = ACTIVATIONS[name]
    back = pickle.loads(pickle.dumps(act))
    # the same named functions come back: equal to the registry entry, and it computes the same
    assert back == act and back.backward is act.backward and back.forward is act.forward
    z = _inputs()
    g = torch.randn_like(z)
    assert torch.equal(back(z), act(z))
    assert torch.equal(back.backward(z, act(z), g), act.backward(z, act(z), g))
    assert "__reduce__" not in vars(Activation)  # plain pickling, nothing custom


def test_wrapped_callable_pickles_with_its_autograd_backward() -> None:
    back = pickle.loads(pickle.dumps(get_activation(nn.Softsign())))
    z = _inputs()
    g = torch.randn_like(z)
    torch.testing.assert_close(back(z), z / (1 + z.abs()))
    torch.testing.assert_close(back.backward(z, back(z), g), g / (1 + z.abs()) ** 2)


def test_unknown_name_message_is_exact() -> None:
    names = sorted(ACTIVATIONS)
    with pytest.raises(ValueError) as info:
        get_activation("sigmod")
    assert str(info.value) == f"activation must be one of {names} or a callable; got 'sigmod'"
    with pytest.raises(TypeError) as info:
        get_activation(3)  # type: ignore[arg-type]
    assert str(info.value) == f"activation must be a name from {names} or a callable; got int"
