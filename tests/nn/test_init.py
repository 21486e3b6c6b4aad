"""Initialisers: shapes, bounds, spread against the formula, determinism."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

from cortexkit.nn.init import INITIALIZERS, get_initializer

# (fan_out, fan_in) with fan_in != fan_out, so a swapped fan would show.
SHAPE = (200, 800)
FAN_OUT, FAN_IN = SHAPE


def _filled(name: str, shape: tuple[int, ...] = SHAPE, seed: int = 0, **options) -> torch.Tensor:
    w = torch.full(shape, float("nan"))
    get_initializer(name, **options)(w, generator=torch.Generator().manual_seed(seed))
    return w


# The standard deviation each formula promises (a uniform on [-b, b] has std b / sqrt(3)).
EXPECTED_STD = {
    "uniform": 0.05 / math.sqrt(3),
    "xavier_uniform": math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3),
    "xavier_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(6 / FAN_IN) / math.sqrt(3),
    "he_normal": math.sqrt(2 / FAN_IN),
}


def test_every_initialiser_has_an_oracle() -> None:
    assert set(EXPECTED_STD) == set(INITIALIZERS)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_fills_in_place_with_the_promised_spread(name: str) -> None:
    w = _filled(name)
    assert w.shape == SHAPE
    assert bool(torch.isfinite(w).all())
    assert abs(float(w.mean())) < 0.05 * EXPECTED_STD[name]
    assert float(w.std()) == pytest.approx(EXPECTED_STD[name], rel=0.02)


@pytest.mark.parametrize(
    ("name", "options", "bound"),
    [
        ("uniform", {}, 0.05),
        ("uniform", {"scale": 0.3}, 0.3),
        ("xavier_uniform", {}, math.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("xavier_uniform", {"gain": 2.0}, 2.0 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("he_uniform", {}, math.sqrt(6 / FAN_IN)),
    ],
)
def test_uniform_initialisers_stay_within_their_bound(name: str, options, bound: float) -> None:
    w = _filled(name, **options)
    assert float(w.abs().max()) <= bound
    # ... and use the whole range, not a narrower one
    assert float(w.abs().max()) > 0.99 * bound


def test_xavier_normal_gain_scales_the_spread() -> None:
    ratio = _filled("xavier_normal", gain=3.0).std() / _filled("xavier_normal").std()
    assert float(ratio) == pytest.approx(3.0, rel=1e-6)


def test_receptive_field_counts_in_the_fans() -> None:
    # A convolution kernel (out, in, kh, kw): fan_in = in * kh * kw.
    w = _filled("he_uniform", shape=(64, 32, 3, 3))
    assert float(w.abs().max()) <= math.sqrt(6 / (32 * 9))
    assert float(w.std()) == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.03)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal"])
def test_one_dimensional_weight_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="2 or more dims"):
        get_initializer(name)(torch.empty(5))


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_seeded_generator_is_deterministic(name: str) -> None:
    torch.testing.assert_close(_filled(name, (20, 30), seed=7), _filled(name, (20, 30), seed=7))
    assert not torch.equal(_filled(name, (20, 30), seed=7), _filled(name, (20, 30), seed=8))


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="init") as info:
        get_initializer("glorot")
    for name in INITIALIZERS:
        assert name in str(info.value)


def test_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="init"):
        get_initializer(0.1)  # type: ignore[arg-type]


def test_callable_without_generator_is_accepted() -> None:
    w = torch.zeros(3, 4, requires_grad=True)
    get_initializer(torch.nn.init.ones_)(w, generator=torch.Generator().manual_seed(0))
    assert bool((w == 1).all())


def test_callable_with_generator_receives_it() -> None:
    def normal(weight: torch.Tensor, generator: torch.Generator | None = None) -> None:
        with torch.no_grad():
            weight.normal_(generator=generator)

    a, b = torch.empty(4, 4), torch.empty(4, 4)
    get_initializer(normal)(a, generator=torch.Generator().manual_seed(3))
    get_initializer(normal)(b, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_initialising_a_parameter_needs_no_grad_context() -> None:
    p = torch.nn.Parameter(torch.empty(6, 5))
    get_initializer("he_normal")(p)
    assert p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_builtin_pickles_with_its_options(name: str) -> None:
    options = {"scale": 0.3} if name == "uniform" else {"gain": 2.0} if "xavier" in name else {}
    fill = get_initializer(name, **options)
    back = pickle.loads(pickle.dumps(fill))
    a, b = torch.empty(6, 5), torch.empty(6, 5)
    fill(a, generator=torch.Generator().manual_seed(4))
    back(b, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


def test_wrapped_callable_pickles() -> None:
    back = pickle.loads(pickle.dumps(get_initializer(torch.nn.init.ones_)))
    w = torch.zeros(3, 4)
    back(w, generator=torch.Generator().manual_seed(0))
    assert bool((w == 1).all())


def test_unknown_name_message_is_exact() -> None:
    names = sorted(INITIALIZERS)
    with pytest.raises(ValueError) as info:
        get_initializer("glorot")
    assert str(info.value) == f"init must be one of {names} or a callable; got 'glorot'"
    with pytest.raises(TypeError) as info:
        get_initializer(0.1)  # type: ignore[arg-type]
    assert str(info.value) == f"init must be a name from {names} or a callable; got float"
