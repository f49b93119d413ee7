"""Task scores on truncated / transformed embeddings, against hand-computed answers."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from embviz import EmbeddingSet
from embviz.metrics import (
    clustering_scores,
    knn_classification_error,
    layer_dimension_grid,
    retrieval_scores,
    similarity_correlation,
    task_scores,
    truncation_scores,
)
from embviz.stats import mcnemar_test


@pytest.fixture
def blobs(rng):
    """Three well-separated directions, 30 points each, in 16-d."""
    centres = np.eye(16)[:3] * 10
    labels = np.repeat(["a", "b", "c"], 30)
    X = centres[np.repeat(np.arange(3), 30)] + rng.normal(scale=0.3, size=(90, 16))
    return X, labels


def _embedding_set(X, layer=None):
    meta = pd.DataFrame({"id": np.arange(len(X)), "text": [f"t{i}" for i in range(len(X))]})
    return EmbeddingSet(X, meta, {} if layer is None else {"layer": layer})


def test_mcnemar_matches_a_hand_computed_binomial_test():
    a = np.array([True] * 10 + [False] * 2 + [True] * 5 + [False] * 3)  # only_a = 10
    b = np.array([False] * 10 + [True] * 2 + [True] * 5 + [False] * 3)  # only_b = 2
    result = mcnemar_test(a, b)
    assert (result.only_a, result.only_b) == (10, 2)
    # two-sided exact: 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert result.p_value == pytest.approx(2 * 79 / 4096, rel=1e-12)
    assert result.p_value == pytest.approx(stats.binomtest(2, 12, 0.5).pvalue)
    assert mcnemar_test(a, a).p_value == 1.0
    with pytest.raises(ValueError, match="boolean 1-D"):
        mcnemar_test(a.astype(int), b)


def test_spearman_is_one_for_a_monotone_gold_and_minus_one_reversed(rng):
    X = rng.normal(size=(20, 5))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    gold = np.exp(3 * unit @ unit.T)  # any increasing function of the cosine
    assert similarity_correlation(X, gold) == pytest.approx(1.0)
    assert similarity_correlation(X, -gold) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="gold must have shape"):
        similarity_correlation(X, gold[:5])


def test_retrieval_hand_computed_ranking():
    # Points on the unit circle: a0, a1 at 0 and 8 degrees; b0 at 20, b1 at 90 degrees.
    angles = np.deg2rad([0, 8, 20, 90])
    X = np.c_[np.cos(angles), np.sin(angles)]
    labels = ["a", "a", "b", "b"]
    # a0: a1 first -> AP 1. a1: a0 (8 deg) before b0 (12) -> AP 1. b0: a1, a0, then b1
    # -> AP 1/3. b1: b0 first -> AP 1. Recall@1: all but b0 find a relevant first neighbour.
    scores = retrieval_scores(X, labels, k=1)
    assert scores["map"] == pytest.approx((1 + 1 + 1 / 3 + 1) / 4)
    assert scores["recall_at_k"] == pytest.approx(3 / 4)


def test_separated_blobs_score_perfectly(blobs):
    X, labels = blobs
    assert task_scores(X, labels, tasks=["classification"]) == {"knn_accuracy": 1.0}
    assert 1 - knn_classification_error(X, labels) == 1.0
    assert clustering_scores(X, labels, random_state=0) == pytest.approx(
        {"v_measure": 1.0, "adjusted_rand": 1.0})
    assert retrieval_scores(X, labels) == pytest.approx({"map": 1.0, "recall_at_k": 1.0})


def test_knn_accuracy_is_one_minus_the_classification_error(rng):
    X = rng.normal(size=(60, 8))
    labels = rng.choice(["a", "b", "c"], size=60)
    accuracy = task_scores(X, labels, tasks=["classification"], k=5)["knn_accuracy"]
    assert accuracy == pytest.approx(1 - knn_classification_error(X, labels, k=5), abs=1e-12)
    assert 0 < accuracy < 1


def test_task_scores_skip_tasks_without_inputs(blobs):
    X, labels = blobs
    assert set(task_scores(X, labels)) == {"knn_accuracy", "v_measure", "adjusted_rand", "map",
                                           "recall_at_k"}
    assert task_scores(X) == {}
    with pytest.raises(ValueError, match="tasks must be among"):
        task_scores(X, labels, tasks=["ranking"])


def test_scores_take_an_embedding_set_an_array_or_a_tensor(blobs):
    torch = pytest.importorskip("torch")
    X, labels = blobs
    X = X.astype(np.float32)
    expected = task_scores(X, labels)
    assert task_scores(_embedding_set(X), labels) == pytest.approx(expected)
    assert task_scores(torch.from_numpy(X), labels) == pytest.approx(expected)
    table = truncation_scores(_embedding_set(X), [8, 16], labels, tasks=["retrieval"])
    assert set(table["dims"]) == {8, 16}


def test_truncation_scores_are_relative_to_the_largest_d(blobs):
    X, labels = blobs
    table = truncation_scores(X, [2, 8, 16], labels, tasks=["classification", "retrieval"])
    assert set(table["dims"]) == {2, 8, 16}
    assert np.allclose(table.loc[table["dims"] == 16, "relative"], 1.0)
    # the first two dimensions hold only two of the three blob directions
    two = table[(table["dims"] == 2) & (table["score"] == "knn_accuracy")]["value"].item()
    assert 0.5 < two <= 1.0
    with pytest.raises(ValueError, match="dims must be"):
        truncation_scores(X, [1, 17], labels)


def test_layer_dimension_grid_shape(blobs, rng):
    X, labels = blobs
    layers = np.stack([rng.normal(size=X.shape), X])
    grid = layer_dimension_grid(layers, labels, [4, 16])
    assert grid.shape == (4, 3)
    best = grid.set_index(["layer", "dims"])["knn_accuracy"]
    assert best[(1, 16)] == 1.0 and best[(0, 16)] < 0.7  # noise layer is near chance
    with pytest.raises(ValueError, match="dims must be"):
        layer_dimension_grid(layers, labels, [4, 17])


def test_layer_dimension_grid_reads_the_layer_of_an_embedding_set(blobs):
    X, labels = blobs
    grid = layer_dimension_grid([_embedding_set(X, layer=6)], labels, [16])
    assert grid.to_dict("records") == [{"layer": 6, "dims": 16, "knn_accuracy": 1.0}]
