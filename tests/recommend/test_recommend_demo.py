"""The recommenders' demo: generated data is labelled as such when MovieLens is absent."""

from __future__ import annotations

import pytest

from cortexkit.demo.common import HEADER
from cortexkit.demo.recommend import GENERATED, recommenders

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_without_movielens_the_generated_set_is_labelled(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache: no MovieLens
    results = recommenders(quick=True)
    assert {r.model for r in results} == {"AutoRecRecommender", "BoltzmannRecommender"}
    for r in results:
        assert r.dataset == GENERATED and "generated" in r.task
        assert len(r.row()) == len(HEADER)
        ((png, caption),) = r.figures
        assert png.startswith(PNG) and "top 10" in caption and GENERATED in caption
        assert r.score < r.baseline  # beats the item-mean fallback
