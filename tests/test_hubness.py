"""Hubness measures and hubness reduction: hand-computed graphs, known behaviour in
high dimension, invariances, estimator contracts, k-NN classification, the comparison
table on real embeddings, and scikit-hubness as an independent reference where available."""

import importlib.util
import os
import sys
import types
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from embviz.metrics.hubness import (
    antihub_occurrence,
    antihubs,
    atkinson_index,
    gini_index,
    hub_occurrence,
    hubness_skewness,
    hubness_summary,
    hubs,
    k_occurrence,
    robin_hood,
)
from embviz.metrics.hubness_reduction import (
    Centering,
    FNorm,
    LocalScaling,
    MutualProximity,
    NotFittedError,
    Whitening,
    hubness_reduction_table,
    knn_classification_error,
    knn_predictions,
    reduce_hubness,
)
from embviz.neighbors import KNNGraph, knn_graph


def toy_graph(indices) -> KNNGraph:
    indices = np.asarray(indices, np.int64)
    distances = np.tile(np.arange(1, indices.shape[1] + 1, dtype=np.float32), (len(indices), 1))
    return KNNGraph(indices, distances, "euclidean", "hand-written")


# Five points, two neighbours each. N_2 = [4, 3, 3, 0, 0]; N_1 = [4, 1, 0, 0, 0].
TOY = toy_graph([[1, 2], [0, 2], [0, 1], [0, 1], [0, 2]])


def test_hand_computed_measures():
    """By hand: k=2: mean 2, deviations [2, 1, 1, -2, -2], m2 = 14/5, m3 = -6/5,
    skew = -1.2 / 2.8**1.5; Robin Hood = (2+1+1+2+2) / (2*10) = 0.4.
    k=1 (first column): N = [4, 1, 0, 0, 0], m2 = 12/5, m3 = 24/5, skew = 4.8 / 2.4**1.5.
    Tolerance 1e-12 (float64 arithmetic)."""
    E = "euclidean"  # TOY's metric: a graph is used with the metric it was built with
    np.testing.assert_array_equal(k_occurrence(TOY, k=2, metric=E), [4, 3, 3, 0, 0])
    assert k_occurrence(TOY, k=2, metric=E).dtype == np.int64
    assert hubness_skewness(TOY, k=2, metric=E) == pytest.approx(-1.2 / 2.8**1.5, abs=1e-12)
    assert robin_hood(TOY, k=2, metric=E) == pytest.approx(0.4, abs=1e-12)
    np.testing.assert_array_equal(k_occurrence(TOY, k=1, metric=E), [4, 1, 0, 0, 0])
    assert hubness_skewness(TOY, k=1, metric=E) == pytest.approx(4.8 / 2.4**1.5, abs=1e-12)
    assert hubness_skewness(TOY, k=1, metric=E) == pytest.approx(stats.skew([4, 1, 0, 0, 0]),
                                                                 abs=1e-12)
    assert robin_hood(TOY, k=1, metric=E) == pytest.approx((3 + 0 + 1 + 1 + 1) / (2 * 5),
                                                           abs=1e-12)


def test_gini_and_atkinson_by_hand_and_by_definition(rng):
    """By hand on TOY (N_2 = [4, 3, 3, 0, 0], mean 2): sum of |N_i - N_j| over ordered pairs
    = 2 * (1+1+4+4 + 0+3+3 + 3+3 + 0) = 44, Gini = 44 / (2*5*10) = 0.44; Atkinson(0.5) =
    1 - ((2 + 2*sqrt(3)) / 5)^2 / 2; Atkinson(1) = 1 (anti-hubs make the geometric mean 0);
    Atkinson(0) = 0. Equal occurrences give 0. On a real graph both equal their O(n^2)
    definitions to 1e-12 and sit in the summary."""
    E = "euclidean"
    assert gini_index(TOY, k=2, metric=E) == pytest.approx(0.44, abs=1e-12)
    assert atkinson_index(TOY, k=2, metric=E) == pytest.approx(
        1 - ((2 + 2 * np.sqrt(3)) / 5) ** 2 / 2, abs=1e-12)
    assert atkinson_index(TOY, k=2, epsilon=1, metric=E) == 1.0
    assert atkinson_index(TOY, k=2, epsilon=0, metric=E) == pytest.approx(0, abs=1e-12)
    regular = toy_graph([[1], [2], [0]])
    assert gini_index(regular, k=1, metric=E) == 0.0
    assert atkinson_index(regular, k=1, metric=E) == pytest.approx(0, abs=1e-12)
    graph = knn_graph(rng.normal(size=(300, 50)), k=10, metric=E, progress=False)
    N = k_occurrence(graph, metric=E).astype(float)
    pairs = np.abs(N[:, None] - N[None, :]).sum() / (2 * len(N) * N.sum())
    assert gini_index(graph, metric=E) == pytest.approx(pairs, abs=1e-12)
    assert atkinson_index(graph, epsilon=0.3, metric=E) == pytest.approx(
        1 - np.mean(N**0.7) ** (1 / 0.7) / N.mean(), abs=1e-12)
    table = hubness_summary(graph, metric=E).set_index("metric")
    assert table.loc["gini_index", "value"] == pytest.approx(pairs, abs=1e-12)
    assert table.loc["atkinson_index", "parameters"] == "k=10, metric=euclidean, epsilon=0.5"
    with pytest.raises(ValueError, match="epsilon"):
        atkinson_index(graph, epsilon=1.5, metric=E)


def test_hand_computed_hubs_and_antihubs():
    """Hubs are N_k > hub_size*k (strict): with k=2, hub_size=2 the point with N=4 is not a
    hub; with hub_size=1.5 (threshold 3) it is, and holds 4 of the 10 slots."""
    E = "euclidean"
    assert hubs(TOY, k=2, metric=E).size == 0 and hub_occurrence(TOY, k=2, metric=E) == 0.0
    np.testing.assert_array_equal(hubs(TOY, k=2, hub_size=1.5, metric=E), [0])
    assert hub_occurrence(TOY, k=2, hub_size=1.5, metric=E) == pytest.approx(0.4)
    np.testing.assert_array_equal(antihubs(TOY, k=2, metric=E), [3, 4])
    assert antihub_occurrence(TOY, k=2, metric=E) == pytest.approx(2 / 5)
    summary = hubness_summary(TOY, k=2, hub_size=1.5, metric=E)
    table = summary.set_index("metric")
    assert list(hubness_summary(TOY, k=2, metric=E).columns) == [
        "metric", "value", "ci_low", "ci_high", "parameters"]
    assert summary[["ci_low", "ci_high"]].isna().all().all()  # no intervals here
    assert table.loc["robin_hood", "value"] == pytest.approx(0.4)
    assert table.loc["n_hubs", "value"] == 1 and table.loc["max_k_occurrence", "value"] == 4
    assert table.loc["robin_hood", "parameters"] == "k=2, metric=euclidean"
    assert table.loc["n_hubs", "parameters"] == "k=2, metric=euclidean, hub_size=1.5"
    regular = toy_graph([[1], [2], [0]])  # everyone chosen once: sigma = 0 -> skewness 0
    assert hubness_skewness(regular, k=1, metric=E) == 0.0
    assert robin_hood(regular, k=1, metric=E) == 0.0
    with pytest.raises(ValueError, match="built with metric='euclidean' but hubness was asked "
                                         "for metric='cosine'"):
        hubness_summary(TOY, k=2)


def test_array_input_builds_a_cosine_graph(rng):
    X = rng.normal(size=(200, 16))
    graph = knn_graph(X, k=10, metric="cosine", progress=False)
    np.testing.assert_array_equal(k_occurrence(X, k=5), k_occurrence(graph, k=5))
    assert hubness_skewness(X) == pytest.approx(hubness_skewness(graph), abs=1e-12)
    euclidean = knn_graph(X, k=10, metric="euclidean", progress=False)
    np.testing.assert_array_equal(k_occurrence(X, k=5, metric="euclidean"),
                                  k_occurrence(euclidean, k=5, metric="euclidean"))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_identical_rows_are_refused_and_large_duplicate_groups_warned(rng, metric):
    """All rows identical: every neighbour is a tie at distance 0 and the k-occurrence only
    reflects row order (hubness_skewness used to return 2.66), so it is a ValueError from the
    kNN step. A group of more than k copies among distinct rows: its lowest-numbered copies are
    listed (documented), with a UserWarning; a group of exactly k + 1 copies lists all of them
    and is not warned about."""
    with pytest.raises(ValueError, match=r"every row of X has more than k=10 exact "
                                         r"duplicates.*np.unique\(X, axis=0\)"):
        hubness_skewness(np.ones((100, 8)), metric=metric)
    with pytest.raises(ValueError, match="exact duplicates"):  # 10 points, 50 copies each
        hubness_summary(np.repeat(rng.normal(size=(10, 8)), 50, axis=0), metric=metric)
    X = rng.normal(size=(100, 8))
    group = np.vstack([np.repeat(X[:1], 30, axis=0), X[1:]])
    with pytest.warns(UserWarning, match="30 of 129 rows of X have more than k=5 exact"):
        occurrence = k_occurrence(group, k=5, metric=metric)
    assert occurrence[:5].min() >= 25 > occurrence[5:30].max()  # copies listed by row number
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k_occurrence(np.vstack([np.repeat(X[:1], 6, axis=0), X[1:]]), k=5, metric=metric)


def test_skewness_near_zero_in_low_dimension_and_rising_with_dimension(rng):
    """i.i.d. Gaussian, n=2000, euclidean, k=10. Measured skewness over seeds 0-5:
    d=3 in [-0.43, -0.29], d=50 in [4.4, 5.3], d=500 in [5.4, 8.4]; bound |skew(d=3)| < 0.6."""
    skew = {d: hubness_skewness(knn_graph(rng.normal(size=(2000, d)), k=10, metric="euclidean",
                                          progress=False), metric="euclidean")
            for d in (3, 50, 500)}
    assert abs(skew[3]) < 0.6
    assert skew[3] < skew[50] < skew[500]
    assert skew[50] > 3


@pytest.fixture(scope="module")
def gaussian_300():
    """n=2000, d=300 i.i.d. Gaussian and its euclidean 100-candidate graph (built once)."""
    X = np.random.default_rng(3).normal(size=(2000, 300))
    return X, knn_graph(X, k=100, metric="euclidean", progress=False)


def test_reduction_lowers_skewness(gaussian_300):
    """Measured (seed 3 here; similar over seeds): k-skewness 6.3-6.8 before, 2.6 after local
    scaling, 0.7 after mutual proximity with sample moments, 0.6 with candidate moments.
    Asserted: LS at most half the baseline, MP at most a quarter; Robin Hood drops too."""
    X, graph = gaussian_300
    E = "euclidean"  # the re-ranked graphs keep the primary metric of the graph
    base = hubness_skewness(graph, metric=E)
    ls = LocalScaling(k=5).fit_transform(graph)
    mp = MutualProximity(random_state=0).fit(graph, X).transform(graph)
    mp_candidates = MutualProximity().fit(graph).transform(graph)
    assert base > 4
    assert hubness_skewness(ls, metric=E) < 0.5 * base
    assert hubness_skewness(mp, metric=E) < 0.25 * base
    assert hubness_skewness(mp_candidates, metric=E) < 0.25 * base
    for reduced in (ls, mp, mp_candidates):
        assert robin_hood(reduced, metric=E) < robin_hood(graph, metric=E)


def test_reduced_graph_contract(gaussian_300):
    """A new KNNGraph: same candidates per row, re-ranked, float32 ascending, no self."""
    X, graph = gaussian_300
    mp = MutualProximity(n_samples=500, random_state=1).fit(graph, X)
    reduced = mp.transform(graph)
    assert isinstance(reduced, KNNGraph) and reduced is not graph
    assert reduced.indices.dtype == np.int64 and reduced.distances.dtype == np.float32
    assert reduced.k == graph.k and (np.diff(reduced.distances, axis=1) >= 0).all()
    np.testing.assert_array_equal(np.sort(reduced.indices, 1), np.sort(graph.indices, 1))
    assert not (reduced.indices == np.arange(graph.n)[:, None]).any()
    assert reduced.method == "exact+mutual_proximity(gaussian)" and reduced.metric == "euclidean"
    assert mp.moments_from_ == "sample" and len(mp.sample_) == 500
    again = MutualProximity(n_samples=500, random_state=1).fit(graph, X).transform(graph)
    np.testing.assert_array_equal(again.indices, reduced.indices)  # random_state reproduces
    default = MutualProximity(n_samples=500).fit(graph, X)  # random_state=0 by default
    np.testing.assert_array_equal(
        default.sample_, MutualProximity(n_samples=500, random_state=0).fit(graph, X).sample_)
    assert reduced.at_k(10).k == 10


def test_mutual_proximity_moments_over_all_rows_match_brute_force(rng):
    """n <= n_samples: mean/std over all other rows, compared with a full distance matrix;
    MP values against 1 - SF_x * SF_y with scipy.stats.norm (tolerance 1e-6, float32)."""
    X = rng.normal(size=(120, 10))
    graph = knn_graph(X, k=20, metric="euclidean", progress=False)
    mp = MutualProximity().fit(graph, X)
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    off = ~np.eye(120, dtype=bool)
    mean = np.array([D[i, off[i]].mean() for i in range(120)])
    std = np.array([D[i, off[i]].std() for i in range(120)])
    np.testing.assert_allclose(mp.mean_, mean, rtol=1e-6)
    np.testing.assert_allclose(mp.std_, std, rtol=1e-5)
    reduced = mp.transform(graph)
    i, j = 7, reduced.indices[7, 3]
    expected = 1 - stats.norm.sf(D[i, j], mean[i], std[i]) * stats.norm.sf(D[i, j], mean[j], std[j])
    assert reduced.distances[7, 3] == pytest.approx(expected, rel=1e-5)


def test_local_scaling_by_hand():
    """sigma_x = distance to the k-th neighbour (k=1: sigma = [1, 0.1, 1.5, 0.1]);
    d' = 1 - exp(-d^2 / (sigma_x sigma_y)). Point 0's nearer candidate 1 sits in a dense pair,
    its farther candidate 2 in a sparse region, so local scaling swaps them."""
    graph = KNNGraph(np.array([[1, 2], [3, 0], [0, 1], [1, 0]]),
                     np.array([[1.0, 1.5], [0.1, 1.0], [1.5, 2.0], [0.1, 1.05]], np.float32),
                     "euclidean", "hand-written")
    reduced = LocalScaling(k=1).fit_transform(graph)
    np.testing.assert_array_equal(reduced.indices[0], [2, 1])
    np.testing.assert_allclose(reduced.distances[0], [1 - np.exp(-1.5), 1 - np.exp(-10)],
                               rtol=1e-6)
    np.testing.assert_array_equal(reduced.indices[1], [3, 0])
    np.testing.assert_allclose(reduced.distances[1], [1 - np.exp(-1), 1 - np.exp(-10)],
                               rtol=1e-6)
    assert reduced.method == "hand-written+local_scaling(k=1)"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 8))
def test_permutation_invariance(seed, k):
    """Permuting the rows permutes N_k the same way and keeps skewness and Robin Hood."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 12))
    perm = rng.permutation(60)
    occurrence = k_occurrence(X, k=k)
    np.testing.assert_array_equal(k_occurrence(X[perm], k=k), occurrence[perm])
    assert hubness_skewness(X[perm], k=k) == pytest.approx(hubness_skewness(X, k=k), abs=1e-12)
    assert robin_hood(X[perm], k=k) == pytest.approx(robin_hood(X, k=k), abs=1e-12)


@pytest.mark.parametrize("make", [Centering, FNorm, Whitening,
                                  lambda: Whitening(method="zca", n_components=3)],
                         ids=["centering", "fnorm", "whitening", "zca"])
def test_vector_estimator_contract(make, rng):
    estimator = make()
    X = rng.normal(size=(100, 6)) * [1, 2, 3, 4, 5, 6] + 3
    with pytest.raises(NotFittedError, match=f"this {type(estimator).__name__} is not fitted"):
        estimator.transform(X)
    assert isinstance(NotFittedError(), ValueError)
    params = set(estimator.get_params())
    assert estimator.fit(X) is estimator
    fitted = set(vars(estimator)) - params
    assert fitted and all(name.endswith("_") for name in fitted)
    out = estimator.transform(X.astype(np.float32))
    assert out.dtype == np.float32 and len(out) == 100
    with pytest.raises(ValueError, match=r"X has 5 columns but .* was fitted on 6"):
        estimator.transform(X[:, :5])


@pytest.mark.parametrize("make", [LocalScaling, MutualProximity],
                         ids=["local_scaling", "mutual_proximity"])
def test_secondary_estimator_contract(make, rng):
    estimator = make()
    graph = knn_graph(rng.normal(size=(80, 5)), k=20, progress=False)
    with pytest.raises(NotFittedError, match=f"this {type(estimator).__name__} is not fitted"):
        estimator.transform(graph)
    params = set(estimator.get_params())
    assert estimator.fit(graph) is estimator
    assert all(name.endswith("_") for name in set(vars(estimator)) - params)
    with pytest.raises(ValueError, match="graph has 10 rows but .* fitted on a graph of 80"):
        estimator.transform(graph.__class__(graph.indices[:10] % 10, graph.distances[:10],
                                            graph.metric, graph.method))
    with pytest.raises(TypeError, match="graph must be a KNNGraph"):
        estimator.fit(np.zeros((80, 5)))


def test_whitening_and_fnorm_known_answers(rng):
    """PCA/ZCA whitening: identity covariance (tolerance 1e-6 with eps=0); ZCA keeps d,
    PCA with n_components=2 returns 2 columns. f-norm: unit rows, and unchanged by a
    monotone increasing map of each dimension (it depends on ranks only; exact)."""
    X = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4)) + 5
    for method in ("pca", "zca"):
        W = Whitening(method=method, eps=0.0).fit_transform(X.astype(np.float64))
        np.testing.assert_allclose(np.cov(W, rowvar=False), np.eye(4), atol=1e-6)
    assert Whitening(n_components=2).fit_transform(X).shape == (500, 2)
    Z = FNorm().fit_transform(X)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(FNorm().fit_transform(np.exp(X / 3) * 7 - 2), Z)
    np.testing.assert_allclose(Centering().fit_transform(X).mean(0), 0, atol=1e-4)
    with pytest.raises(ValueError, match="n_components=5 exceeds the dimension d=4"):
        Whitening(n_components=5).fit(X)
    with pytest.raises(ValueError, match="method must be one of"):
        Whitening(method="cholesky").fit(X)


def test_knn_classification_on_separable_data(rng):
    centres = np.eye(3) * 50
    labels = np.repeat(["a", "b", "c"], 50)
    X = centres[np.repeat(np.arange(3), 50)] + rng.normal(size=(150, 3))
    graph = knn_graph(X, k=10, metric="euclidean", progress=False)
    E = "euclidean"
    assert knn_classification_error(graph, labels, metric=E) == 0.0
    np.testing.assert_array_equal(knn_predictions(graph, labels, metric=E), labels)
    np.testing.assert_array_equal(knn_predictions(data=X, labels=labels, metric=E), labels)
    with pytest.raises(ValueError, match="labels has 149 entries but the graph has 150 rows"):
        knn_classification_error(graph, labels[:-1], metric=E)
    with pytest.raises(ValueError, match="k=10 neighbour.*k-NN classifier needs k=11"):
        knn_predictions(graph, labels, k=11, metric=E)
    with pytest.raises(ValueError, match="built with metric='euclidean' but the k-NN "
                                         "classifier was asked for metric='cosine'"):
        knn_classification_error(graph, labels)


def test_knn_tie_breaking_and_brute_force(rng):
    """Ties go to the tied class of the nearest neighbour; random labels vs a Counter loop."""
    graph = toy_graph([[1, 2, 3, 4], [2, 3, 0, 4], [1, 0, 3, 4], [1, 2, 0, 4], [3, 1, 2, 0]])
    labels = np.array(["x", "y", "y", "x", "z"])
    # k=4: rows 0-3 have a majority (y, x, x, y); row 4 sees x, y, y, x: a 2-2 tie, and its
    # nearest neighbour is x. k=2: row 1 sees y, x: a tie -> y (nearest).
    np.testing.assert_array_equal(knn_predictions(graph, labels, k=4, metric="euclidean"),
                                  ["y", "x", "x", "y", "x"])
    np.testing.assert_array_equal(knn_predictions(graph, labels, k=2, metric="euclidean")[1],
                                  "y")
    big = knn_graph(rng.normal(size=(300, 8)), k=7, progress=False)
    random_labels = rng.integers(0, 4, 300)

    def vote(row):
        counts = Counter(random_labels[row])
        top = max(counts.values())
        return next(label for label in random_labels[row] if counts[label] == top)

    expected = np.array([vote(row) for row in big.indices])
    np.testing.assert_array_equal(knn_predictions(big, random_labels, k=7), expected)


def test_reduce_hubness_methods_and_errors(rng):
    X = rng.normal(size=(150, 20))
    for method in ("none", "centering", "fnorm", "whitening", "local_scaling",
                   "mutual_proximity", "centering+mutual_proximity", "fnorm+local_scaling",
                   "whitening+local_scaling"):
        graph = reduce_hubness(X, method, k=5, n_candidates=30, random_state=0)
        assert graph.k == 5 and graph.n == 150 and graph.distances.dtype == np.float32
        if method != "none":
            assert graph.method.startswith("exact+" + method.split("+")[0])
    np.testing.assert_array_equal(reduce_hubness(X, "none", k=5).indices,
                                  knn_graph(X, k=5, progress=False).indices)
    with pytest.raises(ValueError, match="method must be 'none'"):
        reduce_hubness(X, "mutual_proximity+centering")
    with pytest.raises(ValueError, match="n_candidates=3 must be >= k=5"):
        reduce_hubness(X, "local_scaling", k=5, n_candidates=3)
    graph = knn_graph(X, k=20, progress=False)
    with pytest.raises(ValueError, match="X does not match the KNNGraph"):
        MutualProximity().fit(graph, X[::-1])
    with pytest.raises(ValueError, match="X has 149 rows but the KNNGraph has 150"):
        MutualProximity().fit(graph, X[:-1])
    with pytest.raises(ValueError, match="k=20 neighbour.*hubness needs k=21"):
        hubness_skewness(graph, k=21)
    with pytest.raises(ValueError, match=r"hub_size must be a number in \(0, inf\), got 0.0"):
        hubs(graph, hub_size=0)
    with pytest.raises(TypeError, match=r"hub_size must be a number in \(0, inf\), got bool"):
        hub_occurrence(graph, hub_size=True)
    with pytest.raises(ValueError, match="hub_size must be a number"):
        hubness_summary(graph, hub_size=np.inf)
    sampled = KNNGraph(graph.indices[:5], graph.distances[:5], "cosine", "exact",
                       rows=np.arange(5))
    with pytest.raises(ValueError, match="covers a sample of 5 rows"):
        k_occurrence(sampled, k=5)
    with pytest.raises(TypeError, match="graph must be a KNNGraph"):
        LocalScaling().fit(X)


def test_reduction_table_flags_significance_at_alpha(rng):
    """``significant`` is the BH q-value below ``alpha`` (never the untested baseline)."""
    labels = rng.integers(0, 3, 200)
    X = rng.normal(size=(200, 30))
    X[:, 0] += 2 * labels
    table = hubness_reduction_table(X, labels, methods=("centering", "mutual_proximity"),
                                    k=5, n_candidates=30, alpha=0.5, progress=False)
    assert list(table.columns[-3:]) == ["p_value", "q_value", "significant"]
    assert table["significant"].tolist() == [False, *(table["q_value"].iloc[1:] < 0.5)]
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 1\), got 1.5"):
        hubness_reduction_table(X, labels, alpha=1.5)


@pytest.fixture(scope="module")
def wordnet_600(tmp_path_factory):
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    return embed_corpus(load_dataset("wordnet", n=600, random_state=0), device="cpu",
                        progress=False, cache_dir=tmp_path_factory.mktemp("cache"))


def test_table_on_real_embeddings(wordnet_600):
    """600 WordNet glosses (41 lexicographer-file labels), minilm, cosine, k=10.
    Measured: k-skewness 0.88 without reduction, 0.11 with mutual proximity."""
    es = wordnet_600
    table = hubness_reduction_table(es.vectors, es.meta["label"], random_state=0,
                                    progress=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    assert list(table.columns) == ["method", "k_skewness", "robin_hood", "knn_error",
                                   "knn_accuracy", "relative_error_reduction",
                                   "only_none_correct", "only_method_correct", "ci_low",
                                   "ci_high", "p_value", "q_value", "significant"]
    assert table["method"].tolist()[0] == "none" and len(table) == 8
    assert np.isfinite(table.drop(columns=["method", "q_value"]).to_numpy(float)).all()
    assert np.isnan(table["q_value"].iloc[0]) and table["q_value"].iloc[1:].notna().all()
    assert table["significant"].tolist() == (table["q_value"] < 0.05).tolist()
    assert not table["significant"].iloc[0]  # the baseline is not tested against itself
    rows = table.set_index("method")
    assert rows.loc["none", "relative_error_reduction"] == 0.0
    assert rows.loc["none", "p_value"] == 1.0
    assert ((table["p_value"] >= 0) & (table["p_value"] <= 1)).all()
    tested = table["method"] != "none"
    assert (table.loc[tested, "q_value"] >= table.loc[tested, "p_value"]).all()
    np.testing.assert_allclose(table["knn_error"] + table["knn_accuracy"], 1)
    acc0 = rows.loc["none", "knn_accuracy"]
    np.testing.assert_allclose(table["relative_error_reduction"],
                               (table["knn_accuracy"] - acc0) / (1 - acc0), atol=1e-12)
    assert rows.loc["mutual_proximity", "k_skewness"] < 0.5 * rows.loc["none", "k_skewness"]
    # the table's shared-graph path agrees with reduce_hubness, and its McNemar p-value with
    # scipy's binomial test on the discordant points
    labels = es.meta["label"].to_numpy()
    base = knn_predictions(reduce_hubness(es.vectors, "none"), labels) == labels
    mp = knn_predictions(reduce_hubness(es.vectors, "mutual_proximity", random_state=0),
                         labels) == labels
    assert mp.mean() == pytest.approx(rows.loc["mutual_proximity", "knn_accuracy"])
    better, worse = int((mp & ~base).sum()), int((base & ~mp).sum())
    assert rows.loc["mutual_proximity", "p_value"] == pytest.approx(
        stats.binomtest(better, better + worse).pvalue, rel=1e-12)


# ---------------------------------------------------------------- scikit-hubness reference

def _download_skhubness() -> str | None:
    """Unpack the scikit-hubness 0.21.2 wheel (pure Python) from PyPI into a temporary folder,
    once per session, without installing it; ``None`` when PyPI cannot be reached."""
    import subprocess
    import tempfile
    import zipfile

    folder = os.path.join(tempfile.gettempdir(), "embviz-skhubness-0.21.2")
    if not os.path.isdir(os.path.join(folder, "skhubness")):
        wheels = os.path.join(folder, "wheel")
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                               "scikit-hubness==0.21.2", "-d", wheels],
                              check=False, capture_output=True, timeout=120)
        found = [f for f in os.listdir(wheels) if f.endswith(".whl")] if not done.returncode \
            else []
        if not found:
            return None
        zipfile.ZipFile(os.path.join(wheels, found[0])).extractall(folder)
    return folder


def _load_skhubness(monkeypatch):
    """scikit-hubness 0.21.2's pure-numpy modules from an unpacked wheel, without installing
    it: set EMBVIZ_SKHUBNESS_PATH to the folder holding ``skhubness/`` (e.g. after
    ``pip download --no-deps scikit-hubness`` and unzipping the wheel)."""
    root = os.environ.get("EMBVIZ_SKHUBNESS_PATH") or _download_skhubness()
    if not root or not os.path.isdir(os.path.join(root, "skhubness")):
        pytest.skip("scikit-hubness reference not available (set EMBVIZ_SKHUBNESS_PATH)")
    for name in ("skhubness", "skhubness.analysis", "skhubness.reduction"):
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(root, *name.split("."))]
        monkeypatch.setitem(sys.modules, name, package)
    neighbors = types.ModuleType("skhubness.neighbors")
    neighbors.NearestNeighbors = None  # estimation.py imports it; the measures do not use it
    monkeypatch.setitem(sys.modules, "skhubness.neighbors", neighbors)
    modules = {}
    for name in ("reduction.base", "reduction.local_scaling", "reduction.mutual_proximity",
                 "analysis.estimation"):
        path = os.path.join(root, "skhubness", *name.split(".")) + ".py"
        spec = importlib.util.spec_from_file_location(f"skhubness.{name}", path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, f"skhubness.{name}", module)
        spec.loader.exec_module(module)
        modules[name.split(".")[1]] = module
    for module in modules.values():  # its sklearn-0.2x validation helpers fail on sklearn 1.9;
        for helper in ("check_is_fitted", "check_array"):  # the arithmetic is untouched
            if hasattr(module, helper):
                monkeypatch.setattr(module, helper, lambda X=None, *args, **kwargs: X)
    return modules


def _by_index(graph_indices, values):
    order = np.argsort(graph_indices, axis=1)
    return np.take_along_axis(graph_indices, order, 1), np.take_along_axis(values, order, 1)


def test_against_scikit_hubness(monkeypatch, rng):
    """skhubness 0.21.2: measures to 1e-12; local scaling and Gaussian MP (candidate moments)
    to 1e-6. skhubness 0.21's LocalScaling reads column k of its candidate array, which is the
    k-th neighbour only when self is in column 0, so self is prepended here (0.30 does the
    same). Hub threshold 2.05*k avoids its ``>=`` vs the documented ``>``."""
    sk = _load_skhubness(monkeypatch)
    X = rng.normal(size=(400, 40))
    graph = knn_graph(X, k=30, metric="euclidean", progress=False)
    E = "euclidean"
    occurrence = k_occurrence(graph, k=10, metric=E)
    Hubness = sk["estimation"].Hubness
    assert robin_hood(graph, metric=E) == pytest.approx(Hubness._calc_robinhood_index(occurrence),
                                                        abs=1e-12)
    assert antihub_occurrence(graph, metric=E) == Hubness._calc_antihub_occurrence(occurrence)[1]
    sk_hubs, sk_share = Hubness._calc_hub_occurrence(10, occurrence, 400, hub_size=2.05)
    np.testing.assert_array_equal(hubs(graph, hub_size=2.05, metric=E), sk_hubs)
    assert hub_occurrence(graph, hub_size=2.05, metric=E) == pytest.approx(sk_share, abs=1e-12)
    assert hubness_skewness(graph, metric=E) == pytest.approx(stats.skew(occurrence), abs=1e-12)
    assert gini_index(graph, metric=E) == pytest.approx(
        Hubness._calc_gini_index(occurrence, limiting="cpu"), abs=1e-12)
    for epsilon in (0.0, 0.5, 0.9, 1.0):
        assert atkinson_index(graph, epsilon=epsilon, metric=E) == pytest.approx(
            Hubness._calc_atkinson_index(occurrence, eps=epsilon), abs=1e-12)

    dist = graph.distances.astype(np.float64)
    with_self = (np.hstack([np.zeros((400, 1)), dist]),
                 np.hstack([np.arange(400)[:, None], graph.indices]))
    ls = sk["local_scaling"].LocalScaling(k=5)
    sk_ls = ls.fit(*with_self).transform(*with_self)[0][:, 1:]
    ours = LocalScaling(k=5).fit_transform(graph)
    np.testing.assert_array_equal(*(_by_index(g.indices, g.indices)[0] for g in (graph, ours)))
    np.testing.assert_allclose(_by_index(ours.indices, ours.distances)[1],
                               _by_index(graph.indices, sk_ls)[1], rtol=1e-6)

    mp = sk["mutual_proximity"].MutualProximity(method="normal")
    sk_mp = mp.fit(dist, graph.indices).transform(dist, graph.indices)[0]
    ours = MutualProximity().fit(graph).transform(graph)
    np.testing.assert_allclose(_by_index(ours.indices, ours.distances)[1],
                               _by_index(graph.indices, sk_mp)[1], atol=1e-6)
