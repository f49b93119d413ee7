"""The explorer's shared state, on real minilm embeddings of WordNet glosses."""

import numpy as np
import pytest

from embviz.explore import POINT_MEASURES, Exploration


@pytest.fixture(scope="module")
def wordnet_set():
    from embviz import embed_corpus, load_dataset

    corpus = load_dataset("wordnet", n=300, random_state=3)
    return embed_corpus(corpus, model="minilm", device="cpu", progress=False)


@pytest.fixture
def exploration(wordnet_set, tmp_path):
    return Exploration(wordnet_set, progress=False, map_cache=tmp_path / "maps")


def test_one_graph_serves_map_and_measures(exploration):
    exploration.measure("k_occurrence")
    graph = exploration.graph(10)
    exploration.coords("umap")
    assert exploration.graph(14) is graph  # reused, not rebuilt
    assert exploration.measure("k_occurrence").sum() == len(exploration) * 10


def test_map_is_cached_on_disk_and_corruption_is_rebuilt(wordnet_set, tmp_path, monkeypatch):
    first = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    coords = first.coords("umap")
    second = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    monkeypatch.setattr(second, "_compute_map", lambda *a: pytest.fail("recomputed"))
    np.testing.assert_array_equal(second.coords("umap"), coords)
    [cached] = tmp_path.glob("*.npy")
    cached.write_bytes(cached.read_bytes()[:-16])  # truncated file
    third = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    with pytest.warns(UserWarning, match="is corrupt"):
        rebuilt = third.coords("umap")
    np.testing.assert_array_equal(rebuilt, coords)  # rebuilt, same seed


def test_neighbors_table_matches_brute_force(exploration, wordnet_set):
    table = exploration.neighbors_table([0, 5], k=4)
    X = wordnet_set.vectors / np.linalg.norm(wordnet_set.vectors, axis=1, keepdims=True)
    cos = X @ X.T
    np.fill_diagonal(cos, -np.inf)
    for row in (0, 5):
        got = table[(table["row"] == row) & (table["rank"] > 0)]
        assert got["neighbor"].tolist() == np.argsort(-cos[row])[:4].tolist()
        np.testing.assert_allclose(got["cosine"], np.sort(cos[row])[::-1][:4], atol=1e-5)
    assert set(table.columns) >= {"text", "label", "neighbor_text", "neighbor_label"}


def test_query_finds_the_text_itself(exploration, wordnet_set, minilm):
    text = wordnet_set.texts[17]
    result = exploration.query(text, k=3, encoder=minilm)
    assert result["row"].iloc[0] == 17 and result["cosine"].iloc[0] == pytest.approx(1, abs=1e-5)


def test_measures(exploration, wordnet_set):
    X = wordnet_set.vectors / np.linalg.norm(wordnet_set.vectors, axis=1, keepdims=True)
    cos_dist = 1 - X @ X.T  # each text against the others (itself left out, as in the paper)
    others = (cos_dist.sum(1) - np.diag(cos_dist)) / (len(X) - 1)
    np.testing.assert_allclose(exploration.measure("tte_depth"), 2 - others, atol=1e-5)
    lid = exploration.measure("local_id")
    assert lid.shape == (300,) and 3 < np.nanmedian(lid) < 60
    assert set(POINT_MEASURES) <= set(exploration.meta_with("norm").columns) | set(POINT_MEASURES)
    assert "local_id" in exploration.meta_with("local_id").columns


def test_geometry_report_uses_labels(exploration):
    table = exploration.geometry(ci=False)
    assert {"isoscore", "twonn", "hubness_skewness", "knn_error"} <= set(table["metric"])


def test_bad_input(wordnet_set, exploration):
    with pytest.raises(TypeError, match="data must be an EmbeddingSet"):
        Exploration(wordnet_set.vectors)
    with pytest.raises(ValueError, match="method must be one of"):
        exploration.coords("tsne")
    with pytest.raises(ValueError, match="name must be one of"):
        exploration.measure("nope")
    with pytest.raises(IndexError, match="rows must lie in"):
        exploration.neighbors_table([400])
