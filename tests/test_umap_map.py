"""UMAP on the shared kNN graph: the same fuzzy graph as UMAP's own search, same quality."""

import warnings

import numpy as np
import pytest

from embviz.maps import umap_map
from embviz.neighbors import knn_graph


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(7)
    centers = rng.normal(size=(5, 20)) * 5
    X = np.vstack([c + rng.normal(size=(120, 20)) for c in centers]).astype(np.float32)
    return X, np.repeat(np.arange(5), 120)


def _fit_with_graph(X, metric):
    import umap

    graph = knn_graph(X, k=14, metric=metric, progress=False)
    idx = np.hstack([np.arange(len(X))[:, None], graph.indices])
    dist = np.hstack([np.zeros((len(X), 1), np.float32), graph.distances])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap.UMAP(n_neighbors=15, metric=metric, random_state=0,
                         precomputed_knn=(idx, dist, None)).fit(X)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_fuzzy_graph_matches_umaps_own_search(blobs, metric):
    """Our exact graph gives UMAP's fuzzy simplicial set to 1e-4 (float32 distance rounding)."""
    import umap

    X, _ = blobs
    ours = _fit_with_graph(X, metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = umap.UMAP(n_neighbors=15, metric=metric, random_state=0).fit(X)
    assert abs(ours.graph_ - reference.graph_).max() < 1e-4


def test_map_quality_and_determinism(blobs):
    from sklearn.manifold import trustworthiness

    X, labels = blobs
    graph = knn_graph(X, k=30, metric="cosine", progress=False)
    first = umap_map(X, graph=graph, progress=False)
    again = umap_map(X, graph=graph, progress=False)
    np.testing.assert_array_equal(first, again)  # same seed, same map
    assert first.shape == (len(X), 2) and first.dtype == np.float32
    assert trustworthiness(X, first, n_neighbors=10) > 0.9
    # every point's nearest map neighbour is from its own blob
    d = ((first[:, None] - first[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.99


def test_three_components(blobs):
    assert umap_map(blobs[0], n_components=3, progress=False).shape == (600, 3)


def test_bad_input(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="n_components must be 2 or 3"):
        umap_map(X, n_components=4)
    with pytest.raises(ValueError, match="n_neighbors=700 must be smaller"):
        umap_map(X, n_neighbors=700)
    small = knn_graph(X, k=5, metric="cosine", progress=False)
    with pytest.raises(ValueError, match="holds k=5 neighbour.*needs k=14"):
        umap_map(X, graph=small)
    with pytest.raises(ValueError, match="built with metric='cosine'.*metric='euclidean'"):
        umap_map(X, graph=small, metric="euclidean", n_neighbors=5)
    with pytest.raises(ValueError, match="X has 100 rows but the KNNGraph has 600"):
        umap_map(X[:100], graph=small, n_neighbors=5)
