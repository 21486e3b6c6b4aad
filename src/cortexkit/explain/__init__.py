"""The seven steps of training a neural network, printed number by number.

:func:`explain` computes an :class:`ExplainTrace` (:mod:`.trace`) and prints it with
:func:`format_trace` (:mod:`.render`).

>>> from cortexkit.explain import explain, format_trace
"""

from cortexkit.explain.render import format_trace
from cortexkit.explain.trace import ExplainTrace, LayerStep, ModeRun, explain

__all__ = ["ExplainTrace", "LayerStep", "ModeRun", "explain", "format_trace"]
