"""The recommenders' demo: generated data is labelled as such when MovieLens is absent."""

from __future__ import annotations

import pytest

from cortexkit.demo import entry
from cortexkit.demo.common import HEADER
from cortexkit.demo.recommend import GENERATED, recommenders
from cortexkit.report.models import model_tables


@pytest.mark.slow
def test_without_movielens_the_generated_set_is_labelled(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache: no MovieLens
    results = recommenders(quick=True)
    assert {r.model for r in results} == {"AutoRecRecommender", "BoltzmannRecommender"}
    for r in results:
        assert r.dataset == GENERATED and "generated" in r.task
        assert len(r.row()) == len(HEADER)
        # the report's top 10 is an HTML table; the generated items have no titles
        (table,) = model_tables(entry(r))
        assert "top 10" in table.caption and GENERATED in table.caption
        assert len(table.rows) == 10 and "title" not in table.header
        assert r.score < r.baseline  # beats the item-mean fallback
