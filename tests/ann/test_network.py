"""The dense network's hand-written backward pass against torch autograd, in float64."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch

from cortexkit.ann.network import DenseNetwork, LayerView, ManualObjective
from cortexkit.nn.losses import LOSSES
from cortexkit.train.objective import AutogradObjective

N_FEATURES, N_ROWS = 5, 9


def _network(activations, n_out: int, **kwargs) -> DenseNetwork:
    sizes = [N_FEATURES, *[7 - i for i in range(len(activations))], n_out]
    net = DenseNetwork(sizes, activations, dtype=torch.float64, **kwargs)
    net.reset_parameters(generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # non-zero biases, so their gradients matter too
        for _, b in net.layers():
            b.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(1))
    return net


def _targets(loss: str, n_out: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(2)
    if loss == "bce":
        return torch.randint(0, 2, (N_ROWS, n_out), generator=g).to(torch.float64)
    if loss == "cross_entropy":
        return torch.randint(0, n_out, (N_ROWS,), generator=g)
    return torch.randn(N_ROWS, n_out, generator=g, dtype=torch.float64)


def _inputs() -> torch.Tensor:
    return torch.randn(N_ROWS, N_FEATURES, generator=torch.Generator().manual_seed(3)).double()


CASES = [
    (["sigmoid"], "bce", 1),
    (["sigmoid", "tanh"], "mse", 2),
    (["relu", "softmax"], "cross_entropy", 4),
    (["softmax"], "bce", 1),
    (["leaky_relu", "elu"], "huber", 3),
    (["gelu", "softplus"], "mae", 2),
    (["identity", "threshold"], "mse", 2),
    (["tanh", "relu", "sigmoid"], "cross_entropy", 3),
    ([], "mse", 2),  # no hidden layer: linear regression
]


@pytest.mark.parametrize(("activations", "loss", "n_out"), CASES)
def test_manual_gradients_equal_autograd(activations, loss, n_out) -> None:
    net = _network(activations, n_out)
    twin = copy.deepcopy(net)
    X, y = _inputs(), _targets(loss, n_out)
    manual = ManualObjective(net, LOSSES[loss])
    auto = AutogradObjective(twin, LOSSES[loss])
    loss_manual = manual.compute_gradients(X, y)
    loss_auto = auto.compute_gradients(X, y)
    torch.testing.assert_close(loss_manual, loss_auto, rtol=1e-12, atol=0)
    assert net.flat.grad.abs().sum() > 0
    torch.testing.assert_close(net.flat.grad, twin.flat.grad, rtol=1e-10, atol=1e-13)
    # a second batch replaces the gradients; it does not add to them
    manual.compute_gradients(X, y)
    torch.testing.assert_close(net.flat.grad, twin.flat.grad, rtol=1e-10, atol=1e-13)
    assert manual.loss(X, y) == pytest.approx(auto.loss(X, y), rel=1e-12)


def test_user_callable_activation_falls_back_to_autograd_inside_the_manual_pass() -> None:
    net = _network([torch.sin, "tanh"], 2)
    twin = copy.deepcopy(net)
    X, y = _inputs(), _targets("mse", 2)
    ManualObjective(net, LOSSES["mse"]).compute_gradients(X, y)
    AutogradObjective(twin, LOSSES["mse"]).compute_gradients(X, y)
    torch.testing.assert_close(net.flat.grad, twin.flat.grad, rtol=1e-10, atol=1e-13)


def test_backward_from_returns_every_layers_delta() -> None:
    net = _network(["tanh", "softmax"], 3)
    X, y = _inputs(), _targets("cross_entropy", 3)
    loss = LOSSES["cross_entropy"]
    # autograd's dLoss/dz for every layer
    layers = [(W.detach().requires_grad_(), b.detach().requires_grad_()) for W, b in net.layers()]
    zs, _ = net.trace(X, [LayerView(W, W.t(), b) for W, b in layers])
    for z in zs:
        z.retain_grad()
    loss(zs[-1], y).backward()
    # the hand-written pass
    zs_m, acts_m = net.trace(X)
    grads = [(torch.empty_like(W), torch.empty_like(b)) for W, b in layers]
    deltas = net.backward_from(zs_m, acts_m, loss.grad(zs_m[-1], y), grads)
    assert len(deltas) == 3
    for delta, z in zip(deltas, reversed(zs), strict=True):
        torch.testing.assert_close(delta, z.grad, rtol=1e-10, atol=1e-13)
    for (gW, gb), (W, b) in zip(grads, layers, strict=True):
        torch.testing.assert_close(gW, W.grad, rtol=1e-10, atol=1e-13)
        torch.testing.assert_close(gb, b.grad, rtol=1e-10, atol=1e-13)


def test_trace_and_forward_agree() -> None:
    net = _network(["relu", "sigmoid"], 2)
    X = _inputs()
    zs, acts = net.trace(X)
    assert len(zs) == 3 and len(acts) == 4 and acts[0] is X
    assert [z.shape[1] for z in zs] == [7, 6, 2]
    torch.testing.assert_close(net(X), zs[-1])  # identity output: raw scores
    torch.testing.assert_close(acts[1], torch.relu(zs[0]))


def test_output_activation() -> None:
    net = _network(["relu"], 2, output_activation="sigmoid")
    X = _inputs()
    zs, _ = net.trace(X)
    torch.testing.assert_close(net(X), torch.sigmoid(zs[-1]))


def test_parameters_live_in_one_flat_tensor() -> None:
    net = DenseNetwork([4, 3, 2], ["relu"])
    assert [p.numel() for p in net.parameters()] == [4 * 3 + 3 + 3 * 2 + 2]
    (W1, b1), (W2, b2) = net.layers()
    assert W1.shape == (3, 4) and b1.shape == (3,) and W2.shape == (2, 3) and b2.shape == (2,)
    with torch.no_grad():
        W2[1, 2] = 42.0
    assert float(net.flat.detach()[12 + 3 + 5]) == 42.0  # a view, not a copy


def test_reset_parameters() -> None:
    net = DenseNetwork([30, 20, 10], ["tanh"])
    net.reset_parameters(generator=torch.Generator().manual_seed(5))
    first = net.flat.detach().clone()
    net.reset_parameters(generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, net.flat.detach())
    for W, b in net.layers():
        out, inp = W.shape
        assert float(W.abs().max()) <= math.sqrt(6 / (inp + out))  # xavier_uniform, the default
        assert bool((b == 0).all())
    net.reset_parameters(generator=torch.Generator().manual_seed(6))
    assert not torch.equal(first, net.flat.detach())


def test_init_options_reach_the_initialiser() -> None:
    net = DenseNetwork([50, 40, 1], ["relu"], init="uniform", init_options={"scale": 0.01})
    assert float(net.flat.detach().abs().max()) <= 0.01


def test_one_activation_per_hidden_layer() -> None:
    with pytest.raises(ValueError, match="one activation per hidden layer"):
        DenseNetwork([3, 4, 5, 1], ["relu"])


def test_pickled_network_keeps_its_weights_and_fast_backward() -> None:
    net = _network(["relu", "tanh"], 2)
    back = pickle.loads(pickle.dumps(net))
    assert "__getstate__" not in vars(DenseNetwork)  # plain pickling, nothing custom
    # the fused kernels (threshold_backward, tanh_backward) come back, not a slower step
    assert back._backward == net._backward
    assert [f.__name__ for f in back._backward] == ["_relu_step", "_tanh_step", "_identity_step"]
    X, y = _inputs(), _targets("mse", 2)
    torch.testing.assert_close(back(X), net(X), rtol=0, atol=0)
    ManualObjective(net, LOSSES["mse"]).compute_gradients(X, y)
    ManualObjective(back, LOSSES["mse"]).compute_gradients(X, y)
    torch.testing.assert_close(back.flat.grad, net.flat.grad, rtol=0, atol=0)


def test_manual_objective_survives_zero_grad_and_a_dtype_change() -> None:
    net = DenseNetwork([N_FEATURES, 6, 2], ["sigmoid"])  # float32
    net.reset_parameters(generator=torch.Generator().manual_seed(0))
    manual = ManualObjective(net, LOSSES["mse"])
    X, y = _inputs(), _targets("mse", 2)
    manual.compute_gradients(X.float(), y.float())
    torch.optim.SGD(net.parameters(), lr=0.1).zero_grad(set_to_none=True)
    assert net.flat.grad is None
    manual.compute_gradients(X.float(), y.float())
    assert net.flat.grad is not None and net.flat.grad.abs().sum() > 0
    net.to(torch.float64)  # new storage: the objective must rebind its views
    twin = copy.deepcopy(net)
    manual.compute_gradients(X, y)
    AutogradObjective(twin, LOSSES["mse"]).compute_gradients(X, y)
    torch.testing.assert_close(net.flat.grad, twin.flat.grad, rtol=1e-10, atol=1e-13)
