"""Optimisers by name, and the fast fused-Adam step against ``optimizer.step``."""

from __future__ import annotations

import pytest
import torch

from cortexkit._validation import Options
from cortexkit.train.optim import OPTIMIZERS, make_optimizer, step_function


def _params() -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(5, 3, generator=g)), torch.nn.Parameter(torch.zeros(5))]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", torch.optim.SGD),
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("rmsprop", torch.optim.RMSprop),
    ],
)
def test_names_build_their_optimiser(name, cls) -> None:
    opt = make_optimizer(name, _params(), learning_rate=0.3, weight_decay=0.01)
    assert type(opt) is cls
    assert opt.param_groups[0]["lr"] == 0.3 and opt.param_groups[0]["weight_decay"] == 0.01


def test_sgd_options() -> None:
    opt = make_optimizer("sgd", _params(), learning_rate=0.1, momentum=0.5, nesterov=True)
    assert opt.param_groups[0]["momentum"] == 0.5 and opt.param_groups[0]["nesterov"]
    # Nesterov needs momentum: with none it is dropped rather than refused by torch
    opt = make_optimizer("sgd", _params(), learning_rate=0.1, momentum=0.0, nesterov=True)
    assert not opt.param_groups[0]["nesterov"]


def test_plain_gradient_descent_step() -> None:
    (w, b) = _params()
    before = w.detach().clone()
    opt = make_optimizer("sgd", [w, b], learning_rate=0.1, momentum=0.0)
    w.grad, b.grad = torch.ones_like(w), torch.ones_like(b)
    opt.step()
    torch.testing.assert_close(w.detach(), before - 0.1)


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="optimizer") as info:
        make_optimizer("adagrad", _params(), learning_rate=0.1)
    for name in OPTIMIZERS:
        assert name in str(info.value)


def test_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="optimizer"):
        make_optimizer(3, _params(), learning_rate=0.1)  # type: ignore[arg-type]


def test_unknown_name_message_is_exact() -> None:
    with pytest.raises(ValueError) as info:
        make_optimizer("adagrad", _params(), learning_rate=0.1)
    names = sorted(OPTIMIZERS)
    assert str(info.value) == f"optimizer must be one of {names} or a callable; got 'adagrad'"
    with pytest.raises(TypeError) as info:
        make_optimizer(3, _params(), learning_rate=0.1)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"optimizer must be a name from {names} or a callable returning a "
        "torch.optim.Optimizer; got int"
    )


def test_names_keep_their_order_for_the_constraints_table() -> None:
    assert list(OPTIMIZERS) == ["sgd", "adam", "adamw", "rmsprop"]
    assert Options(OPTIMIZERS).values == ("sgd", "adam", "adamw", "rmsprop")


def test_callable_factory_gets_the_learning_rate() -> None:
    opt = make_optimizer(torch.optim.Adagrad, _params(), learning_rate=0.2, weight_decay=0.1)
    assert type(opt) is torch.optim.Adagrad and opt.param_groups[0]["lr"] == 0.2


@pytest.mark.parametrize("name", ["adam", "adamw"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_fast_step_is_bit_identical_to_optimizer_step(name, weight_decay) -> None:
    ref_params, fast_params = _params(), _params()
    ref = make_optimizer(name, ref_params, learning_rate=0.05, weight_decay=weight_decay)
    fast = make_optimizer(name, fast_params, learning_rate=0.05, weight_decay=weight_decay)
    step = step_function(fast)
    assert step != fast.step  # the fast path, not a fallback
    g = torch.Generator().manual_seed(1)
    for k in range(6):
        if k == 3:  # a schedule changing the rate between steps still applies
            for opt in (ref, fast):
                opt.param_groups[0]["lr"] = 0.01
        grads = [torch.randn(p.shape, generator=g) for p in ref_params]
        for p, q, grad in zip(ref_params, fast_params, grads, strict=True):
            p.grad, q.grad = grad.clone(), grad.clone()
        ref.step()
        step()
    for p, q in zip(ref_params, fast_params, strict=True):
        assert torch.equal(p, q)
    for p, q in zip(ref_params, fast_params, strict=True):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(ref.state[p][key], fast.state[q][key]), key


def test_other_optimisers_step_as_usual() -> None:
    opt = make_optimizer("sgd", _params(), learning_rate=0.1)
    assert step_function(opt) == opt.step


def test_a_schedule_made_after_the_optimiser_state_does_not_warn() -> None:
    """The fused Adam step skips optimizer.step, so a schedule made after the optimiser's
    state existed (a resumed run) leaked PyTorch's "lr_scheduler.step() before
    optimizer.step()" warning."""
    import warnings

    from torch import nn

    from cortexkit.train import AutogradObjective, GradientStep, OptimConfig
    from cortexkit.train.step import Run

    torch.manual_seed(0)
    objective = AutogradObjective(nn.Linear(2, 1), nn.functional.mse_loss)
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    first = GradientStep(objective, OptimConfig(optimizer="adam", learning_rate=0.1))
    first((X, y))
    second = GradientStep(objective, OptimConfig(optimizer="adam", learning_rate=0.1,
                                                 lr_schedule="onecycle"))  # fmt: skip
    second.load_working_state(first.working_state())
    second.begin(Run(epochs=2, n_train=8, batch_size=8, steps_per_epoch=1, epochs_done=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second((X, y))
