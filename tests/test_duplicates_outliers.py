"""Duplicates, leakage and outliers from the shared graph: planted copies of real WordNet
glosses are all found at the default threshold and nothing else is; LOF equals
scikit-learn's; a planted outlier is flagged by every score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from planted_corpus import wordnet_exploration

from embviz import EmbeddingSet
from embviz.landscape import duplicates, leakage, local_outlier_factor, outliers
from embviz.neighbors import knn_graph


def _edits(texts):
    """Near copies a pipeline makes: a semicolon, an article, a trailing space and comma
    (all within 0.035 of their original with minilm; see embviz.landscape.near_duplicates)."""
    return ([t + ";" for t in texts[:4]] + ["the " + t for t in texts[4:8]]
            + [t + " ," for t in texts[8:]])


def _core(text: str) -> str:
    """A text without the edits of :func:`_edits`."""
    return text.rstrip(" ;,").removeprefix("the ")


@pytest.fixture(scope="module")
def planted(minilm):
    """WordNet glosses + 10 exact copies + 12 near copies (edited texts, embedded by minilm)."""
    ex = wordnet_exploration()
    meta = ex.data.meta
    exact_rows, near_rows = np.arange(0, 100, 10), np.arange(500, 1100, 50)
    near_texts = _edits(meta["text"].iloc[near_rows].tolist())
    vectors = np.concatenate([ex.data.vectors, ex.data.vectors[exact_rows],
                              minilm.encode(near_texts)])
    texts = meta["text"].tolist() + meta["text"].iloc[exact_rows].tolist() + near_texts
    data = EmbeddingSet(vectors, pd.DataFrame({"id": np.arange(len(texts)), "text": texts}))
    return data, exact_rows, near_rows


def test_planted_duplicates_are_all_found_and_nothing_else(planted):
    data, exact_rows, near_rows = planted
    n = len(data) - 22
    found = duplicates(data, progress=False)
    texts = np.asarray(data.texts, dtype=object)
    pairs = {frozenset(g) for g in found.groups.groupby("group")["row"].apply(tuple)}
    planted_pairs = ({frozenset((r, n + i)) for i, r in enumerate(exact_rows)}
                     | {frozenset((r, n + 10 + i)) for i, r in enumerate(near_rows)})
    assert planted_pairs <= pairs  # every planted copy is found
    for group in pairs - planted_pairs:  # anything else is a real duplicate of the corpus
        assert len({_core(texts[r]) for r in group}) == 1, [
            texts[r] for r in group]
    kinds = found.groups.groupby("group")["exact_group"].max()
    exact_groups = {g for g, e in kinds.items() if e >= 0}
    assert len(exact_groups) == len(pairs) - 12  # the edited copies are near, not exact
    values = found.table().set_index("metric")["value"]
    assert values["n_removed"] == len(pairs) == (~found.keep).sum()
    assert values["n_exact_removed"] == len(exact_groups)
    assert values["excluded_by_intrinsic_dimension"] == 2 * len(exact_groups)
    assert found.groups["nearest_distance"].max() <= found.threshold


def test_groups_exact_copies_and_the_threshold():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16))
    X[10] = X[11] = X[12] = X[3]  # one exact group of four
    X[50] = X[40] + 0.05 * rng.normal(size=16)  # one near pair
    found = duplicates(X, progress=False)
    groups = found.groups.groupby("group")["row"].apply(list).tolist()
    assert groups == [[3, 10, 11, 12], [40, 50]]
    assert found.groups.set_index("row").loc[[3, 10, 40], "exact_group"].tolist() == [0, 0, -1]
    assert found.keep.sum() == 300 - 4
    only_exact = duplicates(X, threshold=0.0, progress=False)
    assert only_exact.groups["row"].tolist() == [3, 10, 11, 12]
    with pytest.raises(ValueError, match="threshold"):
        duplicates(X, threshold=-1, progress=False)


def test_leakage_lists_the_test_rows_with_a_copy_in_train(planted):
    data, exact_rows, near_rows = planted
    n = len(data) - 22
    train = data.subset(np.arange(n))
    test = data.subset(np.arange(n, len(data)))
    found = leakage(train, test, progress=False)
    assert found["distance"].is_monotonic_increasing
    by_test = found.set_index("row_b")["row_a"].sort_index()
    assert by_test.index.tolist() == list(range(22))
    assert by_test.tolist() == [*exact_rows, *near_rows]
    assert list(found.columns) == ["row_b", "text_b", "row_a", "text_a", "distance",
                                   "n_matches"]
    assert (found["text_b"].map(_core) == found["text_a"].map(_core)).all()


def test_lof_equals_sklearn_and_a_planted_outlier_is_flagged():
    from sklearn.neighbors import LocalOutlierFactor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 8))
    X[:20] *= 3
    for metric in ("euclidean", "cosine"):
        graph = knn_graph(X, k=10, metric=metric, progress=False)
        reference = -LocalOutlierFactor(n_neighbors=10, metric=metric).fit(
            X).negative_outlier_factor_
        # tolerance: the graph's float32 distances against sklearn's float64
        np.testing.assert_allclose(local_outlier_factor(graph, 10), reference, rtol=1e-5)
    X += 2.0  # a cloud off the origin, so that its texts share a mean direction
    X[7] = -6.0  # far from everything, and pointing away from the others
    scores = outliers(X, share=0.02, metric="euclidean", progress=False)
    assert scores.loc[7, "n_flags"] == 3
    assert scores["knn_distance_outlier"].sum() == 8
    graph = knn_graph(X, k=10, metric="euclidean", progress=False)
    np.testing.assert_array_equal(scores["knn_distance"], graph.distances[:, 9])


def test_depths_are_the_drift_modules_tte_depth():
    from embviz.drift import tte_depth

    X = np.random.default_rng(3).normal(size=(300, 12)) + 0.5
    scores = outliers(X, progress=False)  # depths made block by block
    np.testing.assert_allclose(scores["tte_depth"], tte_depth(X), rtol=1e-12)
