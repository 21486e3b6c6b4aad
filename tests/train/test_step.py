"""Steps: a gradient step reports its cost, so conv and recurrent layers get their threads."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cortexkit.io.device import SMALL_STEP_FLOPS
from cortexkit.train import AutogradObjective, GradientStep, OptimConfig


def _step(module: nn.Module, loss=nn.functional.mse_loss) -> GradientStep:
    return GradientStep(AutogradObjective(module, loss), OptimConfig())


def test_a_convolution_is_costed_per_pixel_not_per_weight() -> None:
    conv = nn.Sequential(nn.Conv2d(16, 16, 3), nn.Flatten(), nn.LazyLinear(1))
    x = torch.randn(32, 16, 64, 64)
    conv(x)  # materialise the lazy layer
    flops = _step(conv).flops((x, torch.zeros(32, 1)))
    params = sum(p.numel() for p in conv.parameters())
    macs = 32 * 62 * 62 * 16 * 16 * 9 + 32 * 62 * 62 * 16  # the conv, then the linear head
    assert flops == pytest.approx(3 * 2 * macs, rel=0.01)
    # a dense-layer estimate (6 * rows * weights) would have pinned it to one thread
    assert 6 * 32 * (16 * 16 * 9 + 16) < SMALL_STEP_FLOPS < flops
    assert params < 70_000


def test_a_recurrent_layer_is_costed_per_time_step() -> None:
    class LastStep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 32, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lstm(x)[0][:, -1, :1]

    x = torch.randn(16, 50, 8)
    one = _step(LastStep()).flops((x[:, :1], torch.zeros(16, 1)))
    fifty = _step(LastStep()).flops((x, torch.zeros(16, 1)))
    assert one is not None and fifty == pytest.approx(50 * one, rel=0.01)


def test_counting_leaves_no_trace() -> None:
    calls: list[int] = []

    def loss(out, y):
        calls.append(1)
        return nn.functional.mse_loss(out, y)

    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 1))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    step, batch = _step(net, loss), (torch.randn(10, 4), torch.zeros(10, 1))
    rng = torch.get_rng_state()
    step.flops(batch)
    assert calls == []  # the loss (which may have side effects) is not called
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)  # dropout's draws are put back


def test_a_model_without_parameters_is_refused_with_a_pointer_to_step() -> None:
    with pytest.raises(ValueError, match="Step of its own"):
        _step(nn.ReLU())
