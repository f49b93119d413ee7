"""The labelled region map: names placed without overlap, read back from the written PDF,
where the points are one raster image and the names are text."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pytest
from conftest import needs_chromium
from planted_corpus import WORDS, planted_corpus

from embviz.viz import place_labels


def test_greedy_placement_never_overlaps_and_stays_inside():
    rng = np.random.default_rng(0)
    anchors = rng.uniform(0, 300, size=(60, 2))
    sizes = np.c_[rng.uniform(20, 90, 60), np.full(60, 10.0)]
    spots = place_labels(anchors, sizes, (300, 220))
    boxes = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
             for spot, (w, h) in zip(spots, sizes) if spot is not None for x, y in [spot]]
    assert 10 < len(boxes) < 60  # crowded: some fit, some are left out
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= 300 and a[3] <= 220
        for b in boxes[:i]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    assert spots[0] == tuple(anchors[0])  # the first label sits on its own place


@needs_chromium
@pytest.mark.parametrize("width", ["single", "double"])
def test_region_names_are_text_in_the_written_pdf(tmp_path, width):
    pypdf = pytest.importorskip("pypdf")
    from embviz.landscape import regions
    from embviz.maps import pca_map
    from embviz.viz import export_figure, region_map_figure

    data, _ = planted_corpus()
    coords = pca_map(data.vectors, 2)
    found = regions(data, coords=coords, resolutions=[1.0], progress=False)
    fig = region_map_figure(coords, found, title="planted regions", width=width)
    meta = fig.layout.meta
    assert sorted(meta["region_labels"]) == sorted(found.level(0)["name"])
    assert meta["dropped_labels"] == [] and meta["legend_entries"] == []
    pdf = export_figure(fig, tmp_path / f"regions_{width}.pdf", width=width)[0]
    reader = pypdf.PdfReader(pdf)
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    text = re.sub(r"\s+", "", text)
    for name in meta["region_labels"]:
        assert name.replace(" ", "") in text
    assert all(word in text for word in WORDS)
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1  # the points: one raster, whatever n


@needs_chromium
def test_the_readme_block_runs(tmp_path, monkeypatch):
    """docs/landscape.md "Regions, map trust, duplicates" as written (PCA for UMAP and a card
    without intervals, to stay fast)."""
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "landscape.md").read_text()
    block = re.search(r"# Regions, map trust, duplicates\n.*?```python\n(.*?)```", page,
                      re.S).group(1)
    block = block.replace('ex.coords("umap")', 'ex.coords("pca")').replace(
        "graph=graph, name=", "graph=graph, ci=False, name=")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "docs/landscape.md", "exec"), namespace)
    assert namespace["found"].regions["level"].nunique() == 3
    assert namespace["card"].size == namespace["found"].regions["size"][0]
    assert namespace["trust"].summary().startswith("map trust (k=10)")
    assert len(namespace["scores"]) == 2000
    assert (tmp_path / "regions.pdf").stat().st_size > 0
