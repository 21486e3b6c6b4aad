"""The reusable core: the masked loss ignores unobserved entries, the KL term matches its
closed form, tied weights are one tensor."""

from __future__ import annotations

import math

import pytest
import torch

from cortexkit.autoencoder import AutoEncoderNetwork, gaussian_kl, kl_sparsity, masked_mse
from cortexkit.autoencoder.conv import ConvAutoEncoderNetwork


def _grads(net: AutoEncoderNetwork, x: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    net.zero_grad()
    loss = masked_mse(net(torch.where(mask, x, 0.0)), x, mask)
    loss.backward()
    return [loss.detach(), *(p.grad.clone() for p in net.parameters())]


def test_masked_loss_ignores_unobserved_entries() -> None:
    gen = torch.Generator().manual_seed(0)
    net = AutoEncoderNetwork(5, (3,), activation="sigmoid", generator=gen)
    x = torch.randn(4, 5, generator=gen)
    mask = torch.rand(4, 5, generator=gen) > 0.4
    before = _grads(net, x, mask)
    for value in (123.0, float("nan"), float("inf")):
        changed = torch.where(mask, x, value)  # only unobserved positions change
        after = _grads(net, changed, mask)
        for a, b in zip(before, after, strict=True):
            assert torch.equal(a, b)
    # an observed position does change them
    moved = x.clone()
    r, c = torch.nonzero(mask)[0]
    moved[r, c] += 1.0
    assert not torch.equal(_grads(net, moved, mask)[0], before[0])


def test_masked_loss_counts_observed_entries() -> None:
    out, target = torch.tensor([[1.0, 5.0]]), torch.tensor([[0.0, 0.0]])
    assert float(masked_mse(out, target, torch.tensor([[True, False]]))) == 1.0
    assert float(masked_mse(out, target, torch.tensor([[1.0, 1.0]]), reduction="sum")) == 26.0
    with pytest.raises(ValueError, match="mask has shape"):
        masked_mse(out, target, torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="reduction"):
        masked_mse(out, target, reduction="max")


def test_kl_matches_closed_form_and_monte_carlo() -> None:
    mu, logvar = torch.tensor([[0.3, -1.2]]), torch.tensor([[0.5, -0.7]])
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2) / 2 - 1/2, per dimension
    s2 = logvar.exp()
    exact = (-0.5 * logvar + (s2 + mu**2) / 2 - 0.5).sum()
    assert math.isclose(float(gaussian_kl(mu, logvar)[0]), float(exact), rel_tol=1e-6)
    # and a Monte Carlo estimate of E_q[log q - log p]
    q = torch.distributions.Normal(mu[0], (0.5 * logvar[0]).exp())
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - p.log_prob(z)).sum(1).mean()
    assert abs(float(mc) - float(exact)) < 0.02


def test_kl_sparsity_is_zero_on_target_only() -> None:
    assert float(kl_sparsity(torch.full((8, 3), 0.1), 0.1)) < 1e-6
    assert float(kl_sparsity(torch.full((8, 3), 0.3), 0.1)) > 0.05


def test_tied_weights_are_one_tensor() -> None:
    gen = torch.Generator().manual_seed(1)
    tied = AutoEncoderNetwork(6, (4, 2), activation="tanh", tied_weights=True, generator=gen)
    names = [n for n, _ in tied.named_parameters()]
    assert not any(n.startswith("decoder.") for n in names)  # the decoder owns only biases
    assert sum(p.numel() for p in tied.parameters()) == 6 * 4 + 4 * 2 + 4 + 2 + 4 + 6
    # an untied copy with the decoder's weights set to the transposes
    free = AutoEncoderNetwork(6, (4, 2), activation="tanh", generator=gen)
    with torch.no_grad():
        for k in range(2):
            free.encoder[k].weight.copy_(tied.encoder[k].weight)
            free.decoder[1 - k].weight.copy_(tied.encoder[k].weight.t())
    x = torch.randn(5, 6, generator=gen)
    assert torch.allclose(tied(x), free(x))
    tied(x).square().sum().backward()
    free(x).square().sum().backward()
    # one tensor used twice: its gradient is the sum of both uses' gradients
    for k in range(2):
        both = free.encoder[k].weight.grad + free.decoder[1 - k].weight.grad.t()
        assert torch.allclose(tied.encoder[k].weight.grad, both, atol=1e-6)
    # changing the encoder's weight changes the decoder's at once
    with torch.no_grad():
        tied.encoder[0].weight.zero_()
    assert torch.allclose(tied.decode(torch.zeros(1, 2)), tied.decoder_biases[1].detach())
    with pytest.raises(ValueError, match="mirrored decoder"):
        AutoEncoderNetwork(6, (4, 2), (3,), tied_weights=True)


def test_activation_by_name_per_layer() -> None:
    net = AutoEncoderNetwork(4, (3, 2), activation=["tanh", "sigmoid", "relu"])
    assert [a.name for a in net.encoder_activations] == ["tanh", "sigmoid"]
    assert [a.name for a in net.decoder_activations] == ["relu", "identity"]
    with pytest.raises(ValueError, match="one per hidden layer"):
        AutoEncoderNetwork(4, (3, 2), activation=["tanh"])
    with pytest.raises(ValueError, match="activation must be one of"):
        AutoEncoderNetwork(4, (3,), activation="swishy")


def test_the_networks_say_their_sizes_in_their_repr() -> None:
    net = AutoEncoderNetwork(4, (3, 2), activation=["tanh", "sigmoid", "relu"])
    assert "layer_sizes=[4, 3, 2, 3, 4], activation=[tanh, sigmoid, relu]" in repr(net)
    vae = AutoEncoderNetwork(4, 2, variational=True)  # an int: one layer, the code
    assert vae.layer_sizes == [4, 2, 4]
    assert vae.extra_repr() == "layer_sizes=[4, 2, 4], output_activation=identity, variational=True"
    conv = ConvAutoEncoderNetwork((1, 8, 8), (4,), (16, 2))
    assert "image_shape=(1, 8, 8), conv_channels=[4]" in repr(conv)
    assert "layer_sizes=[64, 16, 2, 16, 64], activation=relu" in repr(conv)
