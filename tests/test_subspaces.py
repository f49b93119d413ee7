"""Subspace controls (first-d / random-d / PCA-d), chance-corrected clustering, the document
bootstrap of Spearman's ρ, and the attention-sink-free mean pooling."""

import numpy as np
import pytest
from scipy import stats

from embviz.metrics import (
    chance_corrected_clustering,
    similarity_bootstrap,
    subspace_projection,
    subspace_scores,
)
from embviz.stats import percentile_interval


def test_first_and_random_are_column_subsets():
    X = np.arange(40.0).reshape(4, 10)
    assert np.array_equal(subspace_projection(X, 3, "first"), X[:, :3])
    Z = subspace_projection(X, 4, "random", random_state=1)
    cols = [int(c) for c in Z[0]]  # row 0 holds the column numbers
    assert len(set(cols)) == 4 and cols == sorted(cols)
    assert np.array_equal(Z, X[:, cols])
    assert np.array_equal(Z, subspace_projection(X, 4, "random", random_state=1))


def test_pca_projection_recovers_the_planted_plane():
    rng = np.random.default_rng(0)
    plane = np.linalg.qr(rng.normal(size=(6, 2)))[0]  # (6, 2) orthonormal
    fit = rng.normal(size=(200, 2)) * [5.0, 2.0] @ plane.T + rng.normal(scale=1e-3,
                                                                         size=(200, 6))
    X = rng.normal(size=(30, 6))
    Z = subspace_projection(X, 2, "pca", fit=fit)
    # the projection keeps exactly the component of X in the plane: same norms
    assert np.allclose(np.linalg.norm(Z, axis=1), np.linalg.norm(X @ plane, axis=1), atol=1e-3)
    with pytest.raises(ValueError, match="fit="):
        subspace_projection(X, 2, "pca")
    with pytest.raises(ValueError, match="rank"):
        subspace_projection(X, 3, "pca", fit=fit[:3])  # rank 2 < 3


def test_chance_corrected_clustering_perfect_and_random():
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 10
    X = np.repeat(centres, 30, axis=0) + rng.normal(scale=0.1, size=(90, 3))
    labels = np.repeat(["a", "b", "c"], 30)
    found = chance_corrected_clustering(X, labels, n_seeds=3)
    assert list(found.seed) == [0, 1, 2]
    assert np.allclose(found[["ami", "ari"]], 1.0)
    shuffled = chance_corrected_clustering(X, rng.permutation(labels), n_seeds=3)
    assert shuffled[["ami", "ari"]].abs().to_numpy().max() < 0.1  # 0 in expectation


def test_subspace_scores_table():
    rng = np.random.default_rng(1)
    X = np.hstack([np.repeat(np.eye(4) * 5, 20, axis=0) + rng.normal(scale=0.1, size=(80, 4)),
                   rng.normal(size=(80, 4))])
    labels = np.repeat(list("abcd"), 20)
    fit = np.vstack([X, X + rng.normal(scale=0.1, size=X.shape)])
    table = subspace_scores(X, [2, 4, 8], labels=labels, fit=fit, n_draws=3, n_seeds=2,
                            tasks=["classification", "clustering", "retrieval"])
    assert set(table.method) == {"first", "random", "pca"}
    assert table[table.method == "random"].draw.nunique() == 3
    first4 = table[(table.method == "first") & (table.dims == 4)].set_index("score").value
    # the first 4 columns are the planted classes: perfect classification and retrieval
    assert first4["knn_accuracy"] == 1.0 and first4["map"] == pytest.approx(1.0)
    assert len(table[(table.score == "ami") & (table.method == "first") & (table.dims == 4)]) == 2


def test_similarity_bootstrap_matches_scipy_and_pairs():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 5))
    Xu = X / np.linalg.norm(X, axis=1, keepdims=True)
    gold = Xu @ Xu.T + rng.normal(scale=0.3, size=(20, 20))
    gold = (gold + gold.T) / 2
    upper = np.triu_indices(20, k=1)
    estimates, replicates = similarity_bootstrap([X, X, X[:, :2]], gold, n_resamples=200)
    assert estimates[0] == pytest.approx(stats.spearmanr((Xu @ Xu.T)[upper],
                                                         gold[upper]).statistic)
    assert replicates.shape == (200, 3)
    assert np.allclose(replicates[:, 0], replicates[:, 1])  # same draws: paired
    interval = percentile_interval(replicates[:, 0])
    assert interval.ci_low < estimates[0] < interval.ci_high
    # a similarity that is a monotone function of gold: ρ = 1 in every replicate
    vals, vecs = np.linalg.eigh(gold + 20 * np.eye(20))
    root = vecs * np.sqrt(vals)
    gold_psd = root @ root.T
    norms = np.sqrt(np.diag(gold_psd))
    _, reps = similarity_bootstrap([root], gold_psd / np.outer(norms, norms), n_resamples=20)
    assert np.allclose(reps, 1.0)


def test_mean_skip_first_pooling():
    torch = pytest.importorskip("torch")
    from embviz.embed import pool

    hidden = torch.tensor([[[100.0, 0.0], [1.0, 2.0], [3.0, 4.0]],
                           [[0.0, 0.0], [50.0, 50.0], [5.0, 6.0]],   # left-padded
                           [[7.0, 8.0], [0.0, 0.0], [0.0, 0.0]]])    # one real token
    mask = torch.tensor([[1, 1, 1], [0, 1, 1], [1, 0, 0]])
    out = pool(hidden, mask, "mean_skip_first")
    assert torch.allclose(out, torch.tensor([[2.0, 3.0], [5.0, 6.0], [7.0, 8.0]]))


def test_holm_and_bootstrap_p_value():
    from embviz.stats import bootstrap_p_value, holm

    # Holm (1979): sorted p 0.01, 0.03, 0.04 times 3, 2, 1, made monotone
    assert np.allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    assert np.allclose(holm([0.5, 0.9]), [1.0, 1.0])
    assert bootstrap_p_value(np.ones(999)) == pytest.approx(2 / 1000)
    assert bootstrap_p_value(np.r_[-np.ones(500), np.ones(500)]) == 1.0
