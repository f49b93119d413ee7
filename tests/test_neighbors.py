"""kNN graphs: agreement with scikit-learn and faiss, slicing, duplicates, recall, errors."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embviz.neighbors import (
    KNNGraph,
    as_knn_graph,
    check_knn_graph,
    exact_knn_rows,
    knn_graph,
    recall_at_k,
)


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


@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_many_duplicates_are_listed_by_row_number_on_every_backend(X, backend, monkeypatch):
    """More exact duplicates than candidates (300 copies, k=5): torch's topk used to pick
    arbitrary copies; both backends now list the lowest-numbered ones (and warn)."""
    monkeypatch.setattr("embviz.neighbors._has_faiss", lambda: backend == "faiss")
    rows = np.random.default_rng(1).permutation(300 + len(X))
    Xd = np.vstack([np.repeat(X[:1], 300, axis=0), X])[rows]
    copies = np.flatnonzero((Xd == X[0]).all(axis=1))
    with pytest.warns(UserWarning, match="have more than k=5 exact duplicates"):
        graph = knn_graph(Xd, k=5, method="exact", device="cpu", progress=False)
    for row in copies[[0, 1, 150, -1]]:
        np.testing.assert_array_equal(graph.indices[row], copies[copies != row][:5])


@pytest.mark.parametrize("scale", [1e30, 1e20, 1e-30, 2.0**-120])
def test_euclidean_search_is_scale_free(X, scale):
    """Values of 1e20 used to overflow float32 squared distances on the exact path and raise
    "raise the approximate search's ef"; tiny values underflowed to ties. The search now runs
    on X divided by a power of two: same neighbours, distances times the scale (rtol 1e-6)."""
    base = knn_graph(X, k=5, metric="euclidean", progress=False)
    graph = knn_graph(X.astype(np.float64) * scale, k=5, metric="euclidean", progress=False)
    np.testing.assert_array_equal(graph.indices, base.indices)
    np.testing.assert_allclose(graph.distances / scale, base.distances, rtol=1e-6)
    np.testing.assert_array_equal(knn_graph(X * scale, k=5, progress=False).indices,
                                  knn_graph(X, k=5, progress=False).indices)


def test_distances_beyond_float32_are_refused_clearly(X):
    for scale in (1e200, 1e-300):
        with pytest.raises(ValueError, match=r"Euclidean distances reach .* outside the range "
                                             r"of float32.*rescale X"):
            knn_graph(X.astype(np.float64) * scale, k=5, metric="euclidean", progress=False)


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


def test_check_knn_graph_is_the_one_contract(X):
    """The single check of a user-supplied graph: type, metric, every row, k, and its X."""
    graph = knn_graph(X, k=10, metric="euclidean", progress=False)
    assert check_knn_graph(graph, 10, "euclidean", "demo") is graph  # unchanged, not cut
    assert check_knn_graph(graph, 5, "euclidean", "demo", X=X) is graph
    with pytest.raises(TypeError, match="graph must be a KNNGraph .*got ndarray"):
        check_knn_graph(graph.indices, 5, "euclidean", "demo")
    with pytest.raises(ValueError, match="the KNNGraph was built with metric='euclidean' but "
                                         "demo was asked for metric='cosine'"):
        check_knn_graph(graph, 5, "cosine", "demo")
    with pytest.raises(ValueError, match="metric must be one of"):
        check_knn_graph(graph, 5, "manhattan", "demo")
    with pytest.raises(ValueError, match="holds k=10 neighbour\\(s\\) per row but demo needs "
                                         "k=11"):
        check_knn_graph(graph, 11, "euclidean", "demo")
    with pytest.raises(ValueError, match="X has 1499 rows but the KNNGraph has 1500"):
        check_knn_graph(graph, 5, "euclidean", "demo", X=X[1:])
    with pytest.raises(ValueError, match="X does not match the KNNGraph"):
        check_knn_graph(graph, 5, "euclidean", "demo", X=X * 2)
    sample = exact_knn_rows(X, np.arange(0, 1500, 7), k=10, metric="euclidean")
    with pytest.raises(ValueError, match="covers a sample of 215 rows .*demo needs the "
                                         "neighbours of every row"):
        check_knn_graph(sample, 5, "euclidean", "demo")
    assert check_knn_graph(sample, 5, "euclidean", "demo", every_row=False) is sample
    # cosine graphs are checked on cosine distances: scaling X keeps them
    cosine = knn_graph(X, k=10, metric="cosine", progress=False)
    assert check_knn_graph(cosine, 10, "cosine", "demo", X=X * 3) is cosine
    with pytest.raises(ValueError, match="X does not match the KNNGraph"):
        check_knn_graph(cosine, 10, "cosine", "demo", X=X[::-1])


def test_as_knn_graph_builds_or_checks(X):
    cosine = as_knn_graph(X, 5, "demo", progress=False)  # cosine by default
    assert cosine.metric == "cosine" and cosine.k == 5
    np.testing.assert_array_equal(cosine.indices, knn_graph(X, k=5, progress=False).indices)
    graph = knn_graph(X, k=10, metric="euclidean", progress=False)
    cut = as_knn_graph(graph, 5, "demo", metric="euclidean")
    assert cut.k == 5
    np.testing.assert_array_equal(cut.indices, graph.indices[:, :5])
    with pytest.raises(ValueError, match="built with metric='euclidean' but demo was asked"):
        as_knn_graph(graph, 5, "demo")
    with pytest.raises(ValueError, match="holds k=10 neighbour.*demo needs k=12"):
        as_knn_graph(graph, 12, "demo", metric="euclidean")
    sample = exact_knn_rows(X, np.arange(10), k=10, metric="cosine")
    with pytest.raises(ValueError, match="covers a sample of 10 rows"):
        as_knn_graph(sample, 5, "demo")
    assert as_knn_graph(sample, 5, "demo", every_row=False).k == 5
    with pytest.raises(ValueError, match="data has n=5 row.*demo uses k=5 neighbours"):
        as_knn_graph(X[:5], 5, "demo")


def test_knn_graph_is_seeded_by_default(X, monkeypatch):
    """random_state=0 by default: pynndescent (the approximate search without faiss) gets a
    seed without one being passed (recorded here instead of running the slow JIT search)."""
    from embviz import neighbors

    seeds = []

    def record(X, n_cand, metric, random_state):
        seeds.append(random_state)
        return np.argsort(((X[:, None] - X[None]) ** 2).sum(-1), axis=1)[:, :n_cand]

    monkeypatch.setattr(neighbors, "_has_faiss", lambda: False)
    monkeypatch.setattr(neighbors, "_pynndescent_candidates", record)
    graph = knn_graph(X[:200], k=5, method="approximate", progress=False)
    knn_graph(X[:200], k=5, method="approximate", random_state=7, progress=False)
    assert graph.method == "pynndescent" and seeds == [0, 7]
    np.testing.assert_array_equal(graph.indices, knn_graph(X[:200], k=5, progress=False).indices)


def test_subgraph_equals_the_graph_of_the_subset(rng):
    """A half's graph read from the full graph is the half's own exact graph, including rows
    whose list holds too few members of the half (searched exactly)."""
    from embviz.neighbors import subgraph, subgraph_width

    X = rng.normal(size=(400, 6)).astype(np.float32)
    rows = np.sort(rng.choice(400, 200, replace=False))
    for width, k in ((subgraph_width(10, 400), 10), (12, 10)):  # 12: many rows fall short
        full = knn_graph(X, k=width, metric="euclidean", progress=False)
        half = subgraph(full, rows, k, X)
        exact = knn_graph(X[rows], k=k, metric="euclidean", progress=False)
        np.testing.assert_array_equal(half.indices, exact.indices)
        np.testing.assert_allclose(half.distances, exact.distances, rtol=1e-5, atol=1e-6)
        assert (half.params["exact_rows"] > 0) == (width == 12)
    with pytest.raises(ValueError, match="rows must be distinct"):
        subgraph(full, np.r_[rows, rows[:1]], 10, X)
    assert subgraph_width(128, 10**6) == 2 * 128 + 96 + 18 and subgraph_width(128, 300) == 299
