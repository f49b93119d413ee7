"""The map's regions panel without a browser: names per view (finer when zoomed in, none
overlapping), a click on a name finds its region, SAE concepts reach the regions table, the
trust line states its sample and intervals."""

from __future__ import annotations

import asyncio
import html

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

pytest.importorskip("panel")

from embviz import EmbeddingSet  # noqa: E402
from embviz.exploration import Exploration  # noqa: E402

WORDS = ["apple", "river", "engine", "violin", "planet", "castle"]


@pytest.fixture(scope="module")
def view():
    from embviz.app.map_view import MapView
    from embviz.app.state import AppState

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 16)) * 6
    cluster = np.repeat(np.arange(6), 80)
    vectors = centres[cluster] + rng.normal(size=(480, 16))
    texts = [f"{WORDS[c]} {WORDS[c]} thing {i}" for i, c in enumerate(cluster)]
    meta = pd.DataFrame({"id": range(480), "text": texts,
                         "label": [WORDS[c] for c in cluster]})
    state = AppState()
    state.exploration = Exploration(EmbeddingSet(vectors, meta), progress=False,
                                    map_cache=False)
    view = MapView(state)
    view.method = "pca"
    asyncio.run(view.find_landscape())
    return view, cluster


def test_names_fit_the_view_without_overlap(view):
    view, _ = view
    panel = view.regions
    coords = view.state.exploration.coords("pca", 2)
    whole = ((coords[:, 0].min(), coords[:, 0].max()), (coords[:, 1].min(), coords[:, 1].max()))
    panel.labels(*whole, 900, 560)
    assert panel.level == panel.regions.n_levels - 1 or len(panel.shown) <= 16
    shown = panel.shown
    assert len(shown) >= 3
    for i in range(len(shown)):  # boxes (data units) do not overlap
        for j in range(i + 1, len(shown)):
            a, b = shown.iloc[i], shown.iloc[j]
            assert (abs(a.x - b.x) >= a.half_w + b.half_w - 1e-9
                    or abs(a.y - b.y) >= a.half_h + b.half_h - 1e-9)
    first = shown.iloc[0]
    assert panel.region_at(first.x, first.y) == first.region
    caption = html.unescape(panel.caption.object)  # escaped: names come from user texts
    assert "Regions named on the map" in caption and first["name"] in caption
    assert "map trust (k=10): kNN recall" in caption
    # a view around one point far inside a region still names it
    x, y = coords[0]
    panel.labels((x - 1e-3, x + 1e-3), (y - 1e-3, y + 1e-3), 900, 560)
    assert len(panel.shown) >= 1


def test_sae_concepts_reach_the_regions(view):
    view, cluster = view
    codes = sp.csr_matrix(np.eye(6)[cluster] * 2.0)  # concept j is active in cluster j only
    view.state.concepts = (codes, {j: f"concept of {WORDS[j]}" for j in range(6)})
    asyncio.run(view.find_landscape())
    table = view.regions.regions.level(0)
    listed = " ".join(c for concepts in table["top_concepts"] for c in concepts)
    assert all(f"concept of {w}" in listed for w in WORDS), listed
    assert "top_concepts" in view.regions.table.value.columns or any(
        "concept" in str(c) for c in view.regions.table.value.columns)


def test_the_trust_line_of_a_sample_gives_its_intervals():
    from embviz.app.regions_panel import _trust_line
    from embviz.landscape import map_trust

    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 6))
    line = _trust_line(map_trust(X, X[:, :2], metric="euclidean", rows=200, progress=False))
    assert line.startswith("map trust (k=10, 200 of 600 points scored; 95% intervals): ")
    assert "kNN recall 0." in line and "[" in line
