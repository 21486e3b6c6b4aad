"""Losses: values against their formulas, hand-derived gradients against autograd."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from cortexkit.nn.losses import LOSSES, Loss, get_loss

N, K = 8, 3


def _case(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw outputs (float64) and targets of the kind each loss takes."""
    out = 2.0 * torch.randn(N, K, dtype=torch.float64)
    if name == "bce":
        return out, torch.randint(0, 2, (N, K)).to(torch.float64)
    if name == "cross_entropy":
        return out, torch.randint(0, K, (N,))
    y = 2.0 * torch.randn(N, K, dtype=torch.float64)
    e = out - y
    # keep the error away from the kinks of mae (0) and huber (|e| = 1)
    e = torch.where(e.abs() < 0.05, e.sign() * 0.05 + e, e)
    e = torch.where((e.abs() - 1).abs() < 0.05, e * 1.1, e)
    return y + e, y


def _oracle(name: str, out: np.ndarray, y: np.ndarray) -> float:
    """Each loss written out in NumPy, from its textbook formula."""
    if name == "mse":
        return float(np.mean((out - y) ** 2))
    if name == "mae":
        return float(np.mean(np.abs(out - y)))
    if name == "huber":
        e = np.abs(out - y)
        return float(np.mean(np.where(e <= 1, 0.5 * e**2, e - 0.5)))
    if name == "bce":
        p = 1 / (1 + np.exp(-out))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    if name == "cross_entropy":
        p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(p[np.arange(len(y)), y])))
    raise AssertionError(name)


def test_every_loss_has_an_oracle() -> None:
    assert set(LOSSES) == {"mse", "mae", "huber", "bce", "cross_entropy"}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_matches_formula(name: str) -> None:
    out, y = _case(name)
    got = get_loss(name)(out, y)
    assert got.dim() == 0
    np.testing.assert_allclose(float(got), _oracle(name, out.numpy(), y.numpy()), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_hand_grad_matches_autograd(name: str) -> None:
    loss = get_loss(name)
    out, y = _case(name)
    z = out.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(loss(z, y), z)
    got = loss.grad(out.clone(), y)
    assert got.shape == out.shape
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-14)


class _HandDerived(torch.autograd.Function):
    @staticmethod
    def forward(ctx, out, y, loss):  # type: ignore[override]
        ctx.save_for_backward(out, y)
        ctx.loss = loss
        return loss.value(out, y)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        out, y = ctx.saved_tensors
        return g * ctx.loss.grad(out.clone(), y), None, None


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_hand_grad_passes_gradcheck(name: str) -> None:
    loss = get_loss(name)
    out, y = _case(name)
    out.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: _HandDerived.apply(t, y, loss), (out,), eps=1e-6)


def test_hand_grad_does_not_modify_the_output() -> None:
    for name in LOSSES:
        out, y = _case(name)
        before = out.clone()
        get_loss(name).grad(out, y)
        torch.testing.assert_close(out, before, rtol=0, atol=0, msg=name)


def test_fused_output_activations() -> None:
    assert get_loss("bce").output_activation == "sigmoid"
    assert get_loss("cross_entropy").output_activation == "softmax"
    assert get_loss("mse").output_activation == "identity"


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="loss") as info:
        get_loss("rmse")
    for name in LOSSES:
        assert name in str(info.value)


def test_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="loss"):
        get_loss(1.5)  # type: ignore[arg-type]


def test_callable_gets_an_autograd_gradient() -> None:
    def cubic(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((out - y) ** 3).sum()

    loss = get_loss(cubic)
    assert isinstance(loss, Loss) and loss.name == "cubic"
    out, y = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    torch.testing.assert_close(loss(out, y), ((out - y) ** 3).sum())
    torch.testing.assert_close(loss.grad(out, y), 3 * (out - y) ** 2)


def test_module_is_accepted_where_a_name_is() -> None:
    loss = get_loss(nn.SmoothL1Loss(beta=0.5))
    out, y = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    e = out - y
    expected = torch.where(e.abs() < 0.5, 0.5 * e**2 / 0.5, e.abs() - 0.25).mean()
    torch.testing.assert_close(loss(out, y), expected)
    assert loss.grad(out, y).shape == out.shape


def test_loss_given_as_loss_is_returned_unchanged() -> None:
    assert get_loss(LOSSES["mse"]) is LOSSES["mse"]


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_builtin_pickles_as_it_is(name: str) -> None:
    loss = LOSSES[name]
    back = pickle.loads(pickle.dumps(loss))
    assert back == loss and back.grad is loss.grad and back.value is loss.value
    out, y = _case(name)
    assert torch.equal(back(out, y), loss(out, y))
    assert torch.equal(back.grad(out, y), loss.grad(out, y))
    assert "__reduce__" not in vars(Loss)  # plain pickling, nothing custom


def test_wrapped_callable_pickles_with_its_autograd_gradient() -> None:
    back = pickle.loads(pickle.dumps(get_loss(nn.L1Loss(reduction="sum"))))
    out, y = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    torch.testing.assert_close(back(out, y), (out - y).abs().sum())
    torch.testing.assert_close(back.grad(out, y), torch.sign(out - y))


def test_unknown_name_message_is_exact() -> None:
    names = sorted(LOSSES)
    with pytest.raises(ValueError) as info:
        get_loss("rmse")
    assert str(info.value) == f"loss must be one of {names} or a callable; got 'rmse'"
    with pytest.raises(TypeError) as info:
        get_loss(1.5)  # type: ignore[arg-type]
    assert str(info.value) == f"loss must be a name from {names} or a callable; got float"
