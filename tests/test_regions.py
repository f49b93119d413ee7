"""Regions and region cards: planted clusters come back with their planted words as names,
the levels nest, cards equal the global measures run on the region's points, and on real
WordNet glosses the names carry words typical of each region's dominant category."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from planted_corpus import WORDS, planted_corpus, wordnet_exploration
from sklearn.metrics import adjusted_rand_score

import embviz
from embviz.landscape import region_card, regions
from embviz.neighbors import knn_graph


@pytest.fixture(scope="module")
def planted():
    data, clusters = planted_corpus()
    graph = knn_graph(data.vectors, k=30, progress=False)
    return data, clusters, graph


@pytest.fixture(scope="module")
def found(planted):
    data, clusters, graph = planted
    coords = data.vectors[:, :2] * 10
    concepts = sp.random(len(clusters), 12, density=0.05, random_state=0, format="lil")
    for c in range(len(WORDS)):  # concept c is present in 80% of the texts of cluster c
        members = np.flatnonzero(clusters == c)
        concepts[members[:int(0.8 * len(members))], c] = 1.0
    names = {c: f"{w} concept" for c, w in enumerate(WORDS)}
    return regions(data, coords=coords, graph=graph, concepts=concepts.tocsr(),
                   concept_labels=names, progress=False), coords


def test_planted_clusters_come_back_with_their_words_as_names(planted, found):
    data, clusters, _ = planted
    result, _ = found
    at_one = result.regions.loc[result.regions["resolution"] == 1.0, "level"].iloc[0]
    assignment = result.points[f"level_{at_one}"].to_numpy()
    assert adjusted_rand_score(clusters, assignment) >= 0.9
    names = result.point_names(at_one).to_numpy()
    for c, word in enumerate(WORDS):  # the planted word leads the name of its region
        majority = pd.Series(names[clusters == c]).mode()[0]
        assert majority.split(" / ")[0] == word
    assert result.regions["top_concepts"].map(len).max() > 0
    for _, row in result.level(at_one).iterrows():  # and its concept is the top concept
        word = row["name"].split(" / ")[0]
        assert row["top_concepts"][0] == f"{word} concept (#{WORDS.index(word)})"


def test_levels_nest_and_the_table_is_tidy(planted, found):
    result, coords = found
    table = result.regions
    assert list(table.columns) == ["region", "level", "resolution", "parent", "size", "share",
                                   "name", "top_words", "top_concepts", "x", "y"]
    assert table["region"].tolist() == list(range(len(table)))
    assert sorted(table["resolution"].unique()) == [0.5, 1.0, 2.0]
    assert (table.groupby("level")["size"].sum() == len(coords)).all()
    points = result.points
    for level in range(1, result.n_levels):  # every finer region inside one coarser region
        assert points.groupby(f"level_{level}")[f"level_{level - 1}"].nunique().max() == 1
        finer = table[table["level"] == level]
        parents = points.groupby(f"level_{level}")[f"level_{level - 1}"].first()
        assert (finer.set_index("region")["parent"] == parents).all()
    for _, row in table.iterrows():  # a region's place is one of its own points
        members = result.members(row["region"])
        assert len(members) == row["size"]
        assert ((coords[members] == [row["x"], row["y"]]).all(axis=1)).any()


def test_regions_are_reproducible_and_exported_lazily(planted, found):
    data, _, graph = planted
    again = regions(data, coords=data.vectors[:, :2] * 10, graph=graph, progress=False)
    pd.testing.assert_frame_equal(again.points, found[0].points)
    assert embviz.regions is regions


def test_bad_arguments_name_themselves(planted):
    data, _, graph = planted
    with pytest.raises(ValueError, match="resolutions"):
        regions(data, graph=graph, resolutions=[1.0, 1.0])
    with pytest.raises(ValueError, match="coords must have shape"):
        regions(data, graph=graph, coords=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="texts has 2 items"):
        regions(data.vectors, graph=graph, texts=["a", "b"])
    with pytest.raises(ValueError, match="rows must hold at least 5"):
        region_card(data, [1, 2], graph=graph)
    with pytest.raises(ValueError, match="region must be one of"):
        regions(data, graph=graph, progress=False).members(999)


def test_a_card_equals_the_global_measures_on_the_region(planted):
    from embviz.metrics import geometry_report, hubs

    data, clusters, graph = planted
    rows = np.flatnonzero(clusters == 2)
    card = region_card(data, rows, graph=graph, name="harbour", ci=False,
                       n_permutations=100, progress=False)
    sizes = {key: card.parameters[key] for key in ("k", "mle_k", "local_k")}
    assert sizes == {"k": 10, "mle_k": 20, "local_k": 128}
    reference = geometry_report(data.vectors[rows], **sizes, progress=False)
    merged = card.geometry.merge(reference, on="metric", suffixes=("", "_global"))
    assert len(merged) == len(reference)  # every measure of the report is on the card
    np.testing.assert_allclose(merged["value"], merged["value_global"], rtol=1e-9)
    values = card.geometry.set_index("metric")["value"]
    assert values["n_corpus_hubs"] == len(np.intersect1d(hubs(graph, k=10), rows))
    own = knn_graph(data.vectors[rows], k=10, progress=False)
    assert values["knn_distance"] == pytest.approx(np.median(own.distances[:, 9]), rel=1e-6)
    assert card.size == 150 and card.share == pytest.approx(1 / 6)
    mix = card.composition.set_index("value")
    assert mix.loc["harbour", "share_selected"] == 1.0 and mix.loc["harbour", "over_represented"]
    assert card.central["tte_depth"].min() > card.atypical["tte_depth"].max()
    assert card.difference.p_value < 0.05 and card.difference.method == "mmd"
    table = card.table()
    assert list(table.columns) == ["metric", "value", "ci_low", "ci_high", "parameters"]
    assert {"n", "share", "isoscore", "knn_distance", "mmd"} <= set(table["metric"])
    test = table[table["parameters"].str.startswith("test=mmd")].set_index("metric")
    assert test.loc["p_value", "value"] == card.difference.p_value
    assert test.loc["n_a", "value"] == card.difference.n_a


def test_card_intervals_hold_their_estimates(planted):
    data, clusters, graph = planted
    rows = np.flatnonzero(clusters == 0)
    card = region_card(data, rows, graph=graph, k=5, n_resamples=10, n_permutations=50,
                       max_rows=100, progress=False)
    assert card.parameters["sampled"] and card.parameters["rows_used"] == 100
    geometry = card.geometry.dropna(subset=["ci_low"])
    assert {"isoscore", "twonn", "hubness_skewness", "knn_distance"} <= set(geometry["metric"])
    assert ((geometry["ci_low"] <= geometry["value"]) & (geometry["value"]
                                                         <= geometry["ci_high"])).all()
    local = card.geometry.set_index("metric").loc["local_intrinsic_dimension_mean"]
    assert np.isnan(local["ci_low"]) and "none" in local["parameters"]  # 100 < 2·99 + 2


def test_wordnet_regions_are_named_by_words_of_their_dominant_category():
    from embviz.sae import distinctive_words

    ex = wordnet_exploration()
    result = regions(ex.data, coords=ex.coords("pca"), graph=ex.graph(15), progress=False)
    meta = ex.data.meta
    categories = sorted(meta["label"].unique())
    label = meta["label"].to_numpy()
    typical = dict(zip(categories, distinctive_words(
        meta["text"].tolist(), [np.flatnonzero(label == c) for c in categories], n_words=30)))
    finest = result.level(-1)
    hits = []
    for _, row in finest.iterrows():
        mix = pd.Series(label[result.members(row["region"])]).value_counts(normalize=True)
        if mix.iloc[0] >= 0.4:  # a region with a clearly dominant category
            hits.append(bool(set(row["top_words"][:3]) & set(typical[mix.index[0]])))
    assert len(finest) >= 10 and len(hits) >= 4
    assert np.mean(hits) >= 0.9, hits
