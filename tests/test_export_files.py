"""Every figure kind the explorer makes, exported and read back from the written file.

The figures are built as the app builds them, from a real corpus (3,000 WordNet glosses with
minilm, PCA map): the map coloured by its 45 labels (with query markers), by a heavy-tailed
count (k-occurrence), by a sparse measure and by a signed one with named ends and points
without a value; the distributions, the layer curves, drift over time, the SAE figures and
the dataset diff. Each is exported as PDF and PNG at one and two columns; from the PDF's text
(pypdf) every legend entry, colour-bar label and bar label must be present and no two
subplot titles may overlap; from the PNG's pixels the map's colours must be there.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import needs_chromium

pytestmark = needs_chromium
pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def corpus():
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus
    from embviz.exploration import Exploration

    meta = load_dataset("wordnet").sample(3000, random_state=0).reset_index(drop=True)
    es = embed_corpus(meta, model="minilm", progress=False)
    return Exploration(es, progress=False)


def _map(exploration, values, name, ends=None, markers=None):
    from embviz.viz import DataMap, datamap_figure

    coords = exploration.coords("pca", 2)
    datamap = DataMap(coords, exploration.data.meta["text"], values=values, name=name,
                      width=900, height=560, ends=ends)
    datamap.element()
    return datamap, datamap_figure(datamap, title="wordnet · PCA", axis_title="PC",
                                   markers=markers, pixels=400)


@pytest.fixture(scope="module")
def figures(corpus):
    from embviz.viz import (
        dataset_diff_figure,
        distribution_figure,
        drift_over_time_figure,
        feature_histogram_figure,
        layerwise_figure,
        training_curve_figure,
    )

    rng = np.random.default_rng(0)
    n = len(corpus)
    k_occurrence = corpus.measure("k_occurrence")
    sparse = np.where(rng.random(n) < 0.01, rng.gamma(2.0, 3.0, n), 0.0)
    witness = np.where(rng.random(n) < 0.3, np.nan, rng.normal(0, 0.01, n))
    coords = corpus.coords("pca", 2)
    made = {
        "map_labels": _map(corpus, corpus.data.meta["label"], "label", markers=coords[:10]),
        "map_k_occurrence": _map(corpus, k_occurrence, corpus.measure_label("k_occurrence")),
        "map_sae_feature": _map(corpus, sparse, "SAE feature 7 (activation)"),
        "map_witness": _map(corpus, witness, "MMD witness (KJV vs WEB)",
                            ends=("more WEB-like", "more KJV-like")),
    }
    layers = pd.DataFrame({"layer": np.repeat(np.arange(7), 3),
                           "metric": ["isoscore", "twonn", "hubness_skewness"] * 7,
                           "value": rng.random(21), "ci_low": np.nan, "ci_high": np.nan})
    windows = pd.DataFrame({"window": [1769, 2020], "effect_size": [np.nan, 0.02],
                            "ci_low": [np.nan, 0.01], "ci_high": [np.nan, 0.03],
                            "p_value": [np.nan, 0.002], "q_value": [np.nan, 0.002],
                            "method": "mmd"})
    diff = pd.DataFrame({"feature": np.arange(40), "diff": rng.normal(0, 0.1, 40),
                         "q_value": rng.random(40) * 0.1,
                         "label": [f"word{i} term{i}" for i in range(40)]})
    record = {"loss": list(np.linspace(1, 0.1, 50)), "mse": list(np.linspace(0.9, 0.08, 50)),
              "explained_variance": 0.8, "l0": 16.0, "dead_fraction": 0.01}
    made.update({
        "k_occurrence": (None, distribution_figure(k_occurrence,
                                                   corpus.measure_label("k_occurrence"))),
        "layerwise": (None, layerwise_figure(layers, title="minilm, n=1,000")),
        "drift_over_time": (None, drift_over_time_figure(windows)),
        "sae_feature_histogram": (None, feature_histogram_figure(sparse, "feature 7: word")),
        "sae_training": (None, training_curve_figure(record)),
        "dataset_diff": (None, dataset_diff_figure(diff, groups=("KJV", "WEB"))),
    })
    return made


def _export(fig, path, width):
    import plotly.graph_objects as go

    from embviz.viz import export_figure

    return export_figure(go.Figure(fig), path, width=width, formats=("pdf", "png"))


def _pdf_text(path) -> str:
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _words(text: str) -> str:
    """Text as a PDF's text layer gives it back: no spaces (lines break anywhere), minus
    signs as hyphens."""
    return re.sub(r"\s+", "", text).replace("−", "-")


@pytest.mark.parametrize("width", ["single", "double"])
def test_every_legend_entry_and_colour_label_is_in_the_written_pdf(figures, tmp_path, width):
    for name, (datamap, fig) in figures.items():
        pdf, png = _export(fig, tmp_path / f"{name}_{width}", width)
        text = _words(_pdf_text(pdf))
        meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
        expected = list(meta.get("legend_entries", [])) + list(meta.get("color_range", []))
        if name == "dataset_diff":
            expected = list(fig.layout.yaxis.ticktext)  # every bar is labelled
        if name == "layerwise":
            expected = ["IsoScore", "TwoNN", "k-skewness"]
        missing = [e for e in expected if _words(e) not in text]
        assert not missing, f"{name} ({width}): missing {missing[:5]} in {text[:400]}"
        if datamap is not None:
            _check_map_pixels(datamap, png)


def test_the_label_map_keeps_all_45_labels_and_the_markers(figures, tmp_path):
    datamap, fig = figures["map_labels"]
    assert len(datamap.categories) == 45
    entries = fig.layout.meta["legend_entries"]
    assert len(entries) == 46 and entries[-1] == "query neighbour"  # 45 labels + markers
    pdf, _ = _export(fig, tmp_path / "labels", "single")
    text = _words(_pdf_text(pdf))
    assert all(_words(e) in text for e in entries)
    assert sum(1 for e in entries if e.startswith("verb.")) >= 5  # no verb.* dropped


def test_signed_and_sparse_maps_name_their_scales(figures):
    _, witness = figures["map_witness"]
    ticks = witness.layout.meta["color_range"]
    assert ticks[0].endswith("more WEB-like") and ticks[-1].endswith("more KJV-like")
    assert ticks[1] == "0"  # centred at 0
    assert any(e.startswith("no value (") for e in witness.layout.meta["legend_entries"])
    datamap, sparse = figures["map_sae_feature"]
    assert datamap.encoding.kind == "sparse"
    assert "active points on top" in sparse.layout.title.subtitle.text
    datamap, counts = figures["map_k_occurrence"]
    assert datamap.encoding.kind == "log" and "log scale" in counts.layout.title.subtitle.text


def _check_map_pixels(datamap, png) -> None:
    """The written PNG holds the map's own colours (legend swatches or the colour scale)."""
    from PIL import Image

    from embviz.viz.encoding import hex_rgb

    image = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3).astype(int)
    palette = datamap.encoding.palette
    sample = palette[:10] if datamap.categorical else palette[::32]
    found = 0
    for color in sample:
        distance = np.abs(image - np.array(hex_rgb(color))).sum(axis=1)
        found += bool((distance <= 12).any())
    assert found >= 0.8 * len(sample), f"only {found} of {len(sample)} colours in {png.name}"


def test_subplot_titles_do_not_overlap_in_the_pdf(figures, tmp_path):
    _, fig = figures["layerwise"]
    pdf, _ = _export(fig, tmp_path / "layers", "single")
    boxes = []

    def visit(text, cm, tm, font, size):
        if text.strip() and text.strip().split()[0] in {"IsoScore", "intrinsic", "hubness"}:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]  # text space -> page
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            boxes.append((x, x + 0.5 * size * abs(tm[0] * cm[0]) * len(text.strip()), y))

    pypdf.PdfReader(pdf).pages[0].extract_text(visitor_text=visit)
    assert len(boxes) >= 3, boxes
    same_line = sorted(b for b in boxes if abs(b[2] - boxes[0][2]) < 2)
    for (_, right, _), (left, _, _) in zip(same_line, same_line[1:]):
        assert right <= left + 1, f"subplot titles overlap: {same_line}"


def test_pdf_text_is_vector_and_fonts_are_embedded(figures, tmp_path):
    _, fig = figures["dataset_diff"]
    pdf, _ = _export(fig, tmp_path / "diff", "single")
    reader = pypdf.PdfReader(pdf)
    assert "KJV" in _pdf_text(pdf)  # text, not an image of text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        descriptor = (font.get("/FontDescriptor") or
                      font["/DescendantFonts"][0].get_object()["/FontDescriptor"]).get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_reference_lines_stay_in_the_paper_figure(tmp_path):
    """add_hline / add_vline with no width of their own were drawn 0 px wide by the paper
    template: present on the screen, missing from the file. Read back from the written PNG."""
    import plotly.express as px
    from PIL import Image

    from embviz.viz import export_figure

    fig = px.scatter(x=[1, 2, 5, 10, 20], y=[1, 2, 3, 4, 5])
    fig.update_xaxes(type="log")
    fig.add_vline(x=3, line_dash="dot")
    fig.add_hline(y=2.5, line_color="grey")
    (png,) = export_figure(fig, tmp_path / "lines.png", width="single")
    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    height, width = pixels.shape
    band = pixels[int(0.3 * height):int(0.65 * height)]  # inside the frame, above the x axis
    dark = (band < 160).mean(axis=0)  # per column: the dotted line is dark about half the way
    dotted = np.flatnonzero((dark > 0.3) & (dark < 0.9))
    assert dotted.size, "the dotted vertical line is missing"
    middle = pixels[:, int(0.3 * width):int(0.9 * width)]
    grey = ((middle > 90) & (middle < 200)).mean(axis=1)  # per row: the grey line runs across
    assert (grey > 0.9).any(), "the horizontal line is missing"
