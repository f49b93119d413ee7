"""kNN graphs: agreement with scikit-learn and faiss, slicing, duplicates, recall, errors."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embviz.neighbors import KNNGraph, exact_knn_rows, knn_graph, recall_at_k


@pytest.fixture
def X(rng):
    centers = rng.normal(size=(8, 24)) * 3
    return (centers[rng.integers(0, 8, 1500)] + rng.normal(size=(1500, 24))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_exact_matches_scikit_learn(X, metric, backend, monkeypatch):
    """Same neighbours as sklearn's brute force; distances within 1e-5 (float32 storage).
    Both exact back ends: torch (GPUs, or no faiss) and faiss (CPU default)."""
    monkeypatch.setattr("embviz.neighbors._has_faiss", lambda: backend == "faiss")
    graph = knn_graph(X, k=10, metric=metric, method="exact", device="cpu", progress=False)
    assert graph.params["backend"] == backend
    nn = NearestNeighbors(n_neighbors=11, metric=metric, algorithm="brute").fit(
        X.astype(np.float64))
    dist, idx = nn.kneighbors(X.astype(np.float64))
    np.testing.assert_array_equal(graph.indices, idx[:, 1:])
    np.testing.assert_allclose(graph.distances, dist[:, 1:], atol=1e-5)
    assert graph.indices.dtype == np.int64 and graph.distances.dtype == np.float32
    assert (np.diff(graph.distances, axis=1) >= 0).all()


def test_no_self_matches_and_slicing(X):
    graph = knn_graph(X, k=20, progress=False)
    assert not (graph.indices == np.arange(len(X))[:, None]).any()
    small = graph.at_k(5)
    np.testing.assert_array_equal(small.indices, knn_graph(X, k=5, progress=False).indices)
    assert small.k == 5 and small.params["k"] == 5
    with pytest.raises(ValueError, match="k=21 exceeds the graph's k=20"):
        graph.at_k(21)


def test_exact_duplicates_are_at_zero_distance_ordered_by_row(X):
    Xd = np.vstack([X[:3], X[:3], X])  # rows 0, 3 and 6 are identical
    graph = knn_graph(Xd, k=4, progress=False)
    np.testing.assert_array_equal(graph.indices[0, :2], [3, 6])
    np.testing.assert_array_equal(graph.distances[0, :2], 0.0)
    again = knn_graph(Xd, k=4, progress=False)
    np.testing.assert_array_equal(graph.indices, again.indices)


def test_approximate_recall_is_measured(X):
    approx = knn_graph(X, k=10, method="approximate", progress=False)
    assert approx.method == "hnsw"
    sample = exact_knn_rows(X, np.arange(0, 1500, 7), k=10)
    assert sample.rows is not None and sample.n == len(sample.rows)
    assert recall_at_k(approx, sample) >= 0.95
    assert recall_at_k(knn_graph(X, k=10, progress=False), sample) == 1.0


def test_torch_tensor_input(X):
    import torch

    graph = knn_graph(torch.from_numpy(X), k=3, progress=False)
    np.testing.assert_array_equal(graph.indices, knn_graph(X, k=3, progress=False).indices)


def test_bad_input():
    with pytest.raises(ValueError, match=r"k=5 needs at least k \+ 1 = 6 rows.*n=5"):
        knn_graph(np.eye(5), k=5)
    with pytest.raises(ValueError, match="NaN"):
        knn_graph(np.array([[0.0, 1.0], [np.nan, 1.0], [1.0, 1.0]]), k=1)
    with pytest.raises(ValueError, match="zero row"):
        knn_graph(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), k=1, metric="cosine")
    with pytest.raises(ValueError, match="metric must be one of"):
        knn_graph(np.eye(5), k=2, metric="manhattan")
    with pytest.raises(ValueError, match="rows must be"):
        exact_knn_rows(np.eye(5), [9], k=2)


def test_integer_input_is_accepted():
    X = np.array([[0, 0], [0, 1], [5, 5], [5, 6]])
    graph = knn_graph(X, k=1, metric="euclidean", progress=False)
    np.testing.assert_array_equal(graph.indices[:, 0], [1, 0, 3, 2])
    assert isinstance(graph, KNNGraph)
