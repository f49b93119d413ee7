"""The held-out, CV-tuned, distance-weighted k-NN protocol of Nielsen & Hansen (2024):
stratified splits, scikit-learn's distance-weighted classifier as the reference."""

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from embviz.metrics import hubness_reduction_table
from embviz.metrics.knn_protocol import (
    TEST_FOLD,
    cv_tuned_correct,
    heldout_folds,
    weighted_knn_predict,
)
from embviz.neighbors import knn_graph


def _blobs(rng, n_per=40, classes=3, d=5):
    centres = rng.normal(scale=2.0, size=(classes, d))
    X = np.concatenate([c + rng.normal(size=(n_per, d)) for c in centres])
    return X, np.repeat(np.arange(classes), n_per)


def test_heldout_folds_are_stratified(rng):
    codes = np.repeat([0, 1, 2], [50, 30, 20])
    fold = heldout_folds(codes, test_size=0.2, n_folds=5, random_state=1)
    for c, size in zip([0, 1, 2], [50, 30, 20]):
        assert (fold[codes == c] == TEST_FOLD).sum() == round(0.2 * size)
    counts = np.bincount(fold[fold != TEST_FOLD])
    assert len(counts) == 5 and counts.max() - counts.min() <= 1


def test_weighted_vote_by_hand():
    # row 0 is the query (test); candidates 1 (class 1, d=1), 2 (class 0, d=2), 3 (class 0, d=3)
    indices = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    distances = np.array([[1.0, 2.0, 3.0]] * 4)
    codes = np.array([0, 1, 0, 0])
    fold = np.array([TEST_FOLD, 0, 1, 2])
    # k = 3: class 1 gets 1, class 0 gets 1/2 + 1/3 = 0.83 -> class 1
    assert weighted_knn_predict(indices, distances, codes, fold, 3)[0] == 1
    # a test row is never a voter: row 1 (fold 0) sees rows 2, 3 only
    assert weighted_knn_predict(indices, distances, codes, fold, 1)[1] == 0


@pytest.mark.parametrize("weights", ["distance", "uniform"])
def test_vote_matches_sklearn(rng, weights):
    X, y = _blobs(rng)
    fold = heldout_folds(y, 0.25, 5, random_state=0)
    graph = knn_graph(X, len(X) - 1, metric="euclidean", progress=False)
    train, test = fold != TEST_FOLD, fold == TEST_FOLD
    for k in (1, 5, 12):
        ours = weighted_knn_predict(graph.indices, graph.distances, y, fold, k, weights)[test]
        reference = KNeighborsClassifier(k, weights=weights).fit(X[train], y[train])
        assert np.array_equal(ours, reference.predict(X[test]))


def test_zero_distances_take_over_distance_weighted_votes():
    """Distances at (or near) 0, as mutual proximity gives close pairs, outvote every other
    voter under 1/d; plain votes count them once each."""
    indices = np.array([[1, 2, 3, 4, 5]] + [[0, 1, 2, 3, 4]] * 5)
    distances = np.array([[0.0, 0.0, 0.1, 0.1, 0.1]] * 6)
    codes = np.array([0, 1, 1, 0, 0, 0])
    fold = np.array([TEST_FOLD, 0, 1, 2, 3, 4])
    assert weighted_knn_predict(indices, distances, codes, fold, 5)[0] == 1
    assert weighted_knn_predict(indices, distances, codes, fold, 5, "uniform")[0] == 0
    with pytest.raises(ValueError, match="weights"):
        weighted_knn_predict(indices, distances, codes, fold, 5, "inverse")


def test_cv_tuned_correct_picks_the_best_cv_k(rng):
    X, y = _blobs(rng)
    fold = heldout_folds(y, 0.2, 5, random_state=0)
    graph = knn_graph(X, len(X) - 1, metric="euclidean", progress=False)
    correct, k, cv = cv_tuned_correct(graph.indices, graph.distances, y, fold, [1, 3, 9])
    assert k == [1, 3, 9][int(np.argmax(cv))]
    assert correct.shape == ((fold == TEST_FOLD).sum(),)
    predicted = weighted_knn_predict(graph.indices, graph.distances, y, fold, k)
    assert np.array_equal(correct, (predicted == y)[fold == TEST_FOLD])


def test_table_with_the_cv_protocol(rng):
    X, y = _blobs(rng, n_per=60, d=20)
    table = hubness_reduction_table(X, y, methods=["none", "centering", "mutual_proximity"],
                                    metric="euclidean", protocol="cv", cv_ks=[1, 5, 10],
                                    progress=False)
    assert {"k_chosen", "n_test"} <= set(table.columns)
    assert (table["n_test"] == 36).all()
    fold = heldout_folds(y, 0.2, 5, 0)
    train, test = fold != TEST_FOLD, fold == TEST_FOLD
    k = int(table.loc[0, "k_chosen"])
    reference = KNeighborsClassifier(k, weights="distance").fit(X[train], y[train])
    error = 1 - (reference.predict(X[test]) == y[test]).mean()
    assert table.loc[0, "knn_error"] == pytest.approx(error)
    with pytest.raises(ValueError):
        hubness_reduction_table(X, y, protocol="bootstrap", progress=False)
    uniform = hubness_reduction_table(X, y, methods=["none"], metric="euclidean", protocol="cv",
                                      cv_ks=[1, 5, 10], weights="uniform", progress=False)
    k = int(uniform.loc[0, "k_chosen"])
    reference = KNeighborsClassifier(k, weights="uniform").fit(X[train], y[train])
    error = 1 - (reference.predict(X[test]) == y[test]).mean()
    assert uniform.loc[0, "knn_error"] == pytest.approx(error)
    with pytest.raises(ValueError, match="weights"):
        hubness_reduction_table(X, y, protocol="cv", weights="inverse", progress=False)


def test_table_interval_of_relative_error_reduction(rng):
    X, y = _blobs(rng, n_per=60, d=30)
    table = hubness_reduction_table(X, y, methods=["none", "local_scaling"], k=5,
                                    n_resamples=400, progress=False)
    row = table.iloc[1]
    assert row["ci_low"] <= row["relative_error_reduction"] <= row["ci_high"]
    assert table.iloc[0][["ci_low", "ci_high"]].tolist() == [0.0, 0.0]
    # discordant counts reproduce the error difference
    n = len(X)
    diff = (row["only_method_correct"] - row["only_none_correct"]) / n
    assert table.iloc[0]["knn_error"] - row["knn_error"] == pytest.approx(diff)
