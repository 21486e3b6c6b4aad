"""One random_state fixes a fit, dropout included, and leaves the caller's RNG alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from cortexkit.base import GRADIENT_CONSTRAINTS, GradientEstimator
from cortexkit.train import AutogradObjective


class DropoutNet(GradientEstimator):
    """A small regressor with dropout, written as a CNN or RNN family would write one."""

    _constraints = GRADIENT_CONSTRAINTS

    def __init__(
        self,
        *,
        batch_size: int | None = 8,
        gradient_descent: str | None = None,
        epochs: int = 3,
        optimizer: Any = "adam",
        learning_rate: float = 1e-2,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        validation_fraction: float = 0.0,
        validation_split: str = "random",
        early_stopping: bool = False,
        patience: int = 5,
        lr_schedule: str | None = None,
        clip_grad_norm: float | None = None,
        random_state: Any = None,
        device: str = "cpu",
        verbose: int = 0,
        callbacks: Any = None,
        checkpoint: str | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
    ) -> None:
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)

    def _fit_data(self, X: Any, y: Any, *, fitting: bool, **kwargs: Any) -> Any:
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        return X, torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1)

    def _build(self, parts: Any, generator: torch.Generator) -> None:
        self.module_ = nn.Sequential(
            nn.Linear(parts[0].shape[1], 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1)
        )
        for p in self.module_.parameters():
            with torch.no_grad():
                p.uniform_(-0.3, 0.3, generator=generator)
        self._objective = AutogradObjective(self.module_, nn.functional.mse_loss)

    def weights(self) -> torch.Tensor:
        return torch.cat([p.detach().ravel() for p in self.module_.parameters()])


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5))
    return X, X @ rng.normal(size=5)


def test_the_same_seed_gives_the_same_weights_with_dropout(data) -> None:
    a = DropoutNet(random_state=3).fit(*data).weights()
    b = DropoutNet(random_state=3).fit(*data).weights()
    c = DropoutNet(random_state=4).fit(*data).weights()
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_dropout_draws_are_what_the_seed_fixes(data) -> None:
    # same initial weights and order (the fit's generator), so only dropout's masks differ
    # if its RNG were not seeded: fix the global RNG differently before each fit
    torch.manual_seed(1)
    a = DropoutNet(random_state=3).fit(*data).weights()
    torch.manual_seed(2)
    b = DropoutNet(random_state=3).fit(*data).weights()
    assert torch.equal(a, b)


def test_a_fit_leaves_the_callers_global_rng_untouched(data) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    DropoutNet(random_state=0).fit(*data)
    assert torch.equal(torch.rand(3), expected)


def test_each_partial_fit_call_draws_new_dropout_masks(data) -> None:
    def masks_of_two_calls() -> list[torch.Tensor]:
        net = DropoutNet(random_state=0, epochs=1, batch_size=64)  # one step a call
        masks: list[torch.Tensor] = []
        net.partial_fit(*data)  # builds the network
        dropout = net.module_[2]
        dropout.register_forward_hook(lambda m, i, out: masks.append((out == 0).clone()))
        net.partial_fit(*data)
        net.partial_fit(*data)
        return masks

    first = masks_of_two_calls()
    assert len(first) == 2 and not torch.equal(first[0], first[1])  # new masks each call
    again = masks_of_two_calls()
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))  # reproducible
