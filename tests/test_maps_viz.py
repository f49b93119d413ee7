"""PCA maps, scatter figures and paper-ready export."""

import numpy as np
import pandas as pd
import pytest
from conftest import needs_chromium

from embviz.maps import pca_map
from embviz.viz import COLUMN_WIDTHS, export_figure, scatter_map


def test_pca_map_matches_scikit_learn_up_to_sign(rng):
    from sklearn.decomposition import PCA

    X = rng.normal(size=(200, 6)) * [5, 3, 2, 1, 1, 1]
    ours = pca_map(X, 3)
    theirs = PCA(3).fit_transform(X)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), rtol=1e-4, atol=1e-4)


@pytest.fixture
def meta():
    return pd.DataFrame({"text": [f"text {i}" for i in range(300)],
                         "label": np.repeat(list("abc"), 100), "score": np.linspace(0, 1, 300)})


def test_scatter_map_categories_and_numbers(rng, meta):
    coords = rng.normal(size=(300, 2))
    fig = scatter_map(coords, meta, color="label")
    assert [t.name for t in fig.data] == ["a", "b", "c"]
    assert sum(len(t.x) for t in fig.data) == 300
    numeric = scatter_map(coords, meta, color="score")
    assert len(numeric.data) == 1 and numeric.data[0].marker.showscale


def test_scatter_map_says_when_it_samples(rng, meta):
    fig = scatter_map(rng.normal(size=(300, 3)), meta, max_points=100, title="big")
    assert "showing 100 of 300 points" in fig.layout.title.text
    assert sum(len(t.x) for t in fig.data) == 100


def test_scatter_map_errors(rng, meta):
    with pytest.raises(ValueError, match="'topic' is not a column"):
        scatter_map(rng.normal(size=(300, 2)), meta, color="topic")
    with pytest.raises(ValueError, match="2 or 3 columns"):
        scatter_map(rng.normal(size=(300, 4)), meta)


@needs_chromium
def test_export_writes_paper_sized_files(rng, meta, tmp_path):
    fig = scatter_map(rng.normal(size=(300, 2)), meta, title="t")
    written = export_figure(fig, tmp_path / "fig", width="single")  # default: all three
    assert [p.suffix for p in written] == [".pdf", ".svg", ".png"]
    assert written[0].read_bytes().startswith(b"%PDF")
    assert b"<svg" in written[1].read_bytes()[:500]
    from PIL import Image

    width, _ = Image.open(written[2]).size
    assert width == pytest.approx(COLUMN_WIDTHS["single"] * 300 / 96, abs=2)  # 300 dpi


def test_export_validates_style_and_width(rng, meta, tmp_path):
    fig = scatter_map(rng.normal(size=(300, 2)), meta)
    with pytest.raises(ValueError, match="style must be one of"):
        export_figure(fig, tmp_path / "fig.html", style="poster")
    with pytest.raises(ValueError, match="width must be one of"):
        export_figure(fig, tmp_path / "fig.html", width="column")
    written = export_figure(fig, tmp_path / "fig.html", style="paper", width="double")
    assert written == [tmp_path / "fig.html"] and fig.layout.width == COLUMN_WIDTHS["double"]
