"""scikit-learn's own conformance suite, run on every public estimator.

The estimators come from the model-file registry (``public_estimators()``), so a new
family's classes are checked without editing this file. The instances are small and train
for few epochs, but enough to pass the checks that ask for a minimum score
(``check_classifiers_train``: accuracy > 0.83, ``check_regressors_train``: R^2 > 0.5). The
Perceptron keeps its default ``epochs``: with fewer it does not reach that accuracy on the
check's overlapping blobs.
"""

from __future__ import annotations

import inspect

from sklearn.utils.estimator_checks import parametrize_with_checks

from cortexkit import ANNClassifier, ANNRegressor
from cortexkit.persist import public_estimators

_SMALL = {"hidden_layers": (16,), "epochs": 30, "learning_rate": 0.01, "device": "cpu"}
_KEEP_DEFAULT = {"Perceptron": {"epochs", "learning_rate"}}  # see the module docstring


def _small(name: str, cls: type) -> object:
    """A quick instance: the _SMALL settings that the class takes, a seed, and the class's
    own ``_check_params`` (settings for the checks' data, e.g. Gaussian visible units for
    a Boltzmann machine, whose default Bernoulli units take X in [0, 1] only)."""
    accepted = set(inspect.signature(cls).parameters) - _KEEP_DEFAULT.get(name, set())
    own = getattr(cls, "_check_params", {})
    small = {k: v for k, v in _SMALL.items() if k in accepted and k not in own}
    return cls(**small, **own, random_state=0)


ESTIMATORS = [_small(name, cls) for name, cls in sorted(public_estimators().items())]

_FLOAT32_SUBSET = (
    "the network computes in float32, and the BLAS kernel (and so the rounding) of a matrix "
    "product depends on the batch's size: a row's prediction can differ in the last float32 "
    "bit (~1e-7 relative) between the whole set and a subset, against the check's rtol=1e-7. "
    "Seen with ANNRegressor(hidden_layers=(8,), epochs=5); passes with these settings on "
    "this machine, so it is not strict"
)


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks known to fail, each with its reason (an empty dict: none expected)."""
    if isinstance(estimator, ANNClassifier | ANNRegressor):
        return {"check_methods_subset_invariance": _FLOAT32_SUBSET}
    return {}


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=False
)
def test_sklearn_conformance(estimator, check) -> None:
    check(estimator)
