"""Map trust: 1 for a map that is the data itself, about chance for a shuffled map, and equal
to scikit-learn's trustworthiness (the reference implementation, full n×n ranks)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from embviz.landscape import map_trust
from embviz.neighbors import knn_graph


@pytest.fixture(scope="module")
def cloud():
    """600 points in 20-d whose first two coordinates carry most of the variance, and a
    noisy 2-D map of them (neither perfect nor random)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 20))
    X[:, :3] *= 5
    return X, X[:, :2] + 0.5 * rng.normal(size=(600, 2))


def test_a_two_dimensional_dataset_is_its_own_perfect_map():
    X = np.random.default_rng(1).uniform(size=(500, 2))
    trust = map_trust(X, X, metric="euclidean", progress=False)
    assert (trust.points.to_numpy() == 1.0).all()
    assert trust.summary() == ("map trust (k=10): kNN recall 1.00, trustworthiness 1.00, "
                             "continuity 1.00")


def test_a_shuffled_map_is_not_trusted():
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(500, 2))
    trust = map_trust(X, X[rng.permutation(500)], metric="euclidean", progress=False)
    values = trust.table().set_index("metric")["value"]
    assert values["knn_recall"] < 0.05  # chance: k / n = 0.02
    assert 0.4 < values["trustworthiness"] < 0.6 and 0.4 < values["continuity"] < 0.6


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("k", [5, 12])
def test_exact_ranks_equal_sklearn(cloud, metric, k):
    X, Y = cloud
    trust = map_trust(X, Y, k=k, metric=metric, n_reference=len(X), progress=False)
    values = trust.table().set_index("metric")["value"]
    # tolerance: float32 distances of the graph against sklearn's float64 ranks
    assert values["trustworthiness"] == pytest.approx(
        trustworthiness(X, Y, n_neighbors=k, metric=metric), abs=1e-6)
    if metric == "euclidean":  # continuity is trustworthiness with the roles swapped
        assert values["continuity"] == pytest.approx(
            trustworthiness(Y, X, n_neighbors=k), abs=1e-6)
    assert "ranks exact" in trust.table()["parameters"].iloc[0]


def test_estimated_ranks_stay_close_to_the_exact_ones(cloud):
    X, Y = cloud
    graph = knn_graph(X, k=40, metric="cosine", progress=False)
    exact = map_trust(X, Y, graph=graph, n_reference=len(X), progress=False)
    estimated = map_trust(X, Y, graph=graph, n_reference=200, progress=False)
    # tolerance: the module's bound, about 0.5 / sqrt(k · n_reference) = 0.011 per point
    # (standard deviation; 4 of them for the largest of 600) and far less for the means
    difference = (estimated.points - exact.points).abs()
    assert difference["knn_recall"].max() == 0
    assert difference[["trustworthiness", "continuity"]].max().max() < 0.06
    np.testing.assert_allclose(estimated.table()["value"], exact.table()["value"], atol=0.01)
    assert "estimated from 200 reference rows" in estimated.table()["parameters"].iloc[1]


def test_bad_maps_are_refused(cloud):
    X, Y = cloud
    with pytest.raises(ValueError, match=r"coords must have shape \(600, 2\)"):
        map_trust(X, Y[:10], progress=False)
    with pytest.raises(ValueError, match="k < n / 2"):
        map_trust(X[:20], Y[:20], k=10, progress=False)


def test_scoring_a_random_sample_estimates_the_global_values_with_an_interval():
    """A map of many points is scored on a sample: the same per-point values as the full run
    for those rows, and intervals that hold the full means."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 10))
    Y = X[:, :2] + 0.3 * rng.normal(size=(2000, 2))
    full = map_trust(X, Y, metric="euclidean", n_reference=2000, progress=False)
    sampled = map_trust(X, Y, metric="euclidean", n_reference=2000, rows=400, progress=False)
    assert len(sampled.points) == 400 and sampled.points.index.is_monotonic_increasing
    np.testing.assert_allclose(sampled.points.to_numpy(),
                               full.points.loc[sampled.points.index].to_numpy())
    table = sampled.table().set_index("metric")
    for name, value in full.table().set_index("metric")["value"].items():
        assert table.loc[name, "ci_low"] <= value <= table.loc[name, "ci_high"]
    assert "400 of 2000" in table["parameters"].iloc[0]
    assert full.table()["ci_low"].isna().all()
    with pytest.raises(ValueError, match="rows must lie in"):
        map_trust(X, Y, metric="euclidean", rows=[0, 2000], progress=False)


def test_the_sampled_interval_covers_the_full_mean_95_percent_of_the_time():
    """Coverage of the normal-approximation interval over 150 draws of 100 scored rows
    (exact ranks, so only the draw varies): within [0.90, 0.99], about the binomial 99% band
    for 150 draws at 0.95."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1000, 6))
    Y = X[:, :2] + 0.5 * rng.normal(size=(1000, 2))
    graph = knn_graph(X, k=10, metric="euclidean", progress=False)
    full = map_trust(X, Y, graph=graph, metric="euclidean", n_reference=1000,
                     progress=False)
    truth = full.table().set_index("metric")["value"]
    covered = {name: 0 for name in truth.index}
    for seed in range(150):
        table = map_trust(X, Y, graph=graph, metric="euclidean", n_reference=1000, rows=100,
                          random_state=seed,
                          progress=False).table().set_index("metric")
        for name in truth.index:
            covered[name] += table.loc[name, "ci_low"] <= truth[name] <= table.loc[name,
                                                                                   "ci_high"]
    for name, hits in covered.items():
        assert 0.90 <= hits / 150 <= 0.99, (name, hits)
