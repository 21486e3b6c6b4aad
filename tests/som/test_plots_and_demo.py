"""The SOM's figures, square and hexagonal, and its demo entry."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from cortexkit import SelfOrganizingMap
from cortexkit.som.plots import (
    component_planes_figure,
    figure_png,
    hits_figure,
    save_figure,
    umatrix_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_every_figure_draws_one_cell_per_node(tmp_path, topology) -> None:
    X, y = load_iris(return_X_y=True)
    som = SelfOrganizingMap((4, 5), topology=topology, epochs=2, random_state=0).fit(X)
    umatrix = umatrix_figure(som, X, y)
    cells = umatrix.axes[0].collections[0]
    assert len(cells.get_paths()) == 20
    assert len(cells.get_paths()[0].vertices) - 1 == (6 if topology == "hexagonal" else 4)
    np.testing.assert_allclose(cells.get_array(), som.distance_map().ravel())
    markers = umatrix.axes[0].collections[1:]
    assert len(markers) == 3 and sum(len(m.get_offsets()) for m in markers) == len(X)
    hits = hits_figure(som, X).axes[0].collections[0]
    np.testing.assert_array_equal(hits.get_array(), som.activation_response(X).ravel())
    planes = component_planes_figure(som)
    drawn = [ax for ax in planes.axes if ax.get_title()]
    assert [ax.get_title() for ax in drawn] == ["0", "1", "2", "3"]
    np.testing.assert_allclose(
        drawn[2].collections[0].get_array(), som.component_planes()[2].ravel()
    )
    save_figure(umatrix, tmp_path / "u.png")
    assert (tmp_path / "u.png").read_bytes()[:8] == PNG
    assert figure_png(planes)[:8] == PNG
    with pytest.raises(ValueError, match="must end in one of"):
        save_figure(umatrix, tmp_path / "u.bmp")


def test_the_demo_names_nodes_well_and_draws_the_map() -> None:
    from cortexkit.demo import FAMILIES, entry
    from cortexkit.demo.som import som_digits
    from cortexkit.report.models import model_figures

    assert som_digits in FAMILIES
    (result,) = som_digits(quick=True)
    assert result.model == "SelfOrganizingMap" and result.metric == "accuracy"
    assert result.score > 0.8 > 0.2 > result.baseline  # unlabelled map, ten digits
    # the report draws them, as for any map given held-out data: U-matrix and hit map
    figures, missing = model_figures(entry(result))
    assert len(figures) == 2 and missing == []
    assert all(png[:8] == PNG for png, _ in figures)
    assert "U-matrix" in figures[0][1]
