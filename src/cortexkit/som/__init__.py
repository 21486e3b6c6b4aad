"""The Self-Organizing Map family: Kohonen maps for feature detection, clustering and
outlier (fraud) detection.

One concept per module: :mod:`~cortexkit.som.grid` (node layout), ``neighborhood``,
``distance`` (and the chunked best-matching-unit search), ``schedule`` (decays), ``init``,
``step`` (the training rule), ``views`` (what a trained map says about data),
``estimator`` and ``plots``.

>>> from cortexkit.som import SelfOrganizingMap
"""

from __future__ import annotations

from cortexkit.som.estimator import SelfOrganizingMap

__all__ = ["SelfOrganizingMap"]
