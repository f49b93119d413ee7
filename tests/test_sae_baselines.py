"""Baselines of the SAE analyses (Jiang et al. 2025) against known answers: PCA at equal L0 on
held-out rows, PCA-direction codes, the shuffled-label null of category alignment, the
word-frequency diff and its agreement with a feature diff, dense retrieval and clustering."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from embviz.sae import (
    alignment_null,
    category_alignment,
    dense_vs_concept_clustering,
    explained_variance,
    pca_codes,
    property_retrieval_baseline,
    reconstruction_vs_pca,
    sae_vs_pca,
    train_sae,
    word_diff,
    word_diff_agreement,
)


def _pca_reconstruction(X_train, X, k):
    mean = X_train.mean(axis=0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    V = Vt[:k].T
    return (X - mean) @ V @ V.T + mean


def test_reconstruction_vs_pca_against_direct_pca(rng):
    X = rng.normal(size=(500, 10)) * np.linspace(3, 0.3, 10)
    train, hold = X[:400], X[400:]
    X_hat = _pca_reconstruction(train, hold, 3)  # a "method" that is exactly PCA-3
    t = reconstruction_vs_pca(train, hold, X_hat, n_components=3, n_resamples=200)
    t = t.set_index("method")
    assert t.loc["sae", "explained_variance"] == pytest.approx(explained_variance(hold, X_hat))
    assert t.loc["pca", "explained_variance"] == pytest.approx(t.loc["sae",
                                                                     "explained_variance"])
    assert t.loc["sae_minus_pca", "explained_variance"] == pytest.approx(0, abs=1e-12)
    assert t.loc["sae_minus_pca", "ci_low"] == pytest.approx(0, abs=1e-12)
    assert t.loc["pca_components_for_sae_ev", "components"] == 3
    for name in ("sae", "pca"):
        assert t.loc[name, "ci_low"] <= t.loc[name, "explained_variance"] <= t.loc[name,
                                                                                   "ci_high"]
    assert "percentile bootstrap over 100 held-out rows" in t.loc["sae", "ci_method"]


def test_reconstruction_vs_pca_rank_r_data_needs_r_components(rng):
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 12)) + 5.0  # rank 4 plus a mean
    t = reconstruction_vs_pca(X[:200], X[200:], X[200:], n_components=2).set_index("method")
    assert t.loc["sae", "explained_variance"] == pytest.approx(1.0)
    assert t.loc["pca_components_for_sae_ev", "components"] == 4
    assert t.loc["pca", "explained_variance"] < 1.0
    with pytest.raises(ValueError, match="X_hat must match"):
        reconstruction_vs_pca(X[:200], X[200:], X[:50], n_components=2)


def test_sae_vs_pca_uses_the_sae_holdout(rng):
    from tests.test_sae_train import FAST, sparse_dictionary_data

    X = sparse_dictionary_data(n=1500)
    sae = train_sae(X, cache=False, **FAST)
    t = sae_vs_pca(sae, X, n_resamples=50).set_index("method")
    # the SAE's own held-out EV, as recorded by train_sae
    assert t.loc["sae", "explained_variance"] == pytest.approx(sae.record.explained_variance,
                                                               abs=1e-4)
    assert t.loc["pca", "components"] == round(sae.record.l0)
    with pytest.raises(ValueError, match="pass the rows it was trained on"):
        sae_vs_pca(sae, X[:1000])


def test_pca_codes_keep_k_signed_halves(rng):
    X = rng.normal(size=(60, 5)) * np.array([5, 4, 3, 2, 1])
    C = pca_codes(X, X, n_active=2)
    assert C.shape == (60, 10)
    assert (np.diff(C.indptr) == 2).all() and (C.data > 0).all()
    Z = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Z, full_matrices=False)
    S = Z @ Vt.T
    dense = C.toarray()
    for i in range(60):
        signed = np.where(dense[i, 0::2] > 0, dense[i, 0::2], -dense[i, 1::2])
        kept = np.flatnonzero(signed)
        assert set(kept) == set(np.argsort(-np.abs(S[i]))[:2])
        np.testing.assert_allclose(np.abs(signed[kept]), np.abs(S[i, kept]))


def test_alignment_null_of_a_perfect_feature(rng):
    labels = rng.choice(["a", "b", "c"], 300)
    codes = np.zeros((300, 20))
    codes[:, :3] = (labels[:, None] == np.array(["a", "b", "c"])).astype(float)
    codes[:, 3:] = rng.random((300, 17)) < 0.2
    t = alignment_null(sp.csr_matrix(codes), labels, n_permutations=19).set_index("category")
    assert (t["f1"] == 1.0).all()
    assert (t["p_value"] == 1 / 20).all()
    assert (t["null_mean"] < 0.6).all() and (t["q_value"] >= t["p_value"]).all()
    assert list(t.index) == list(category_alignment(sp.csr_matrix(codes),
                                                    labels)["category"])


def test_word_diff_counts_and_tests():
    a = ["thou art here", "thou shalt go", "the lord", "thou"]
    b = ["you are here", "you shall go", "the lord", "yahweh"]
    t = word_diff(a, b, min_count=1).set_index("word")
    assert t.loc["thou", "count_a"] == 3 and t.loc["thou", "count_b"] == 0
    assert t.loc["thou", "diff"] == pytest.approx(0.75)
    assert t.loc["you", "diff"] == pytest.approx(-0.5)
    assert t.loc["the", "diff"] == 0 and t.loc["the", "p_value"] == 1.0
    assert (t["q_value"] >= t["p_value"] - 1e-15).all()
    assert t.index[0] == "thou"
    assert "lord" not in word_diff(a, b, min_count=3)["word"].tolist()


def test_word_diff_agreement_matches_sides():
    features = pd.DataFrame({
        "feature": [1, 2, 3, 4], "label": ["thee / thy", "water", "yahweh", "doesn"],
        "top_words": [["thee", "thy"], ["water", "sea"], ["yahweh", "lord"], ["doesn", "t"]],
        "diff": [0.15, 0.05, -0.14, -0.10], "significant": [True, True, True, True]})
    words = pd.DataFrame({"word": ["thee", "thy", "hath", "yahweh", "you", "water"],
                          "diff": [0.16, 0.1, 0.05, -0.15, -0.2, 0.0],
                          "significant": [True, True, True, True, True, False]})
    t = word_diff_agreement(features, words, n_top=5).set_index(["method", "side"])
    assert t.loc[("SAE features", "A"), "matched"] == 1  # thee/thy yes, water not significant
    assert t.loc[("SAE features", "A"), "n"] == 2
    assert t.loc[("SAE features", "B"), "matched"] == 1  # yahweh yes, doesn no
    assert t.loc[("words", "A"), "examples"] == ["thee", "thy"]  # hath has no feature
    assert t.loc[("words", "B"), "examples"] == ["yahweh"]  # "you" has none


def test_property_retrieval_baseline_with_an_exact_feature(rng):
    labels = rng.choice(["x", "y", "z"], 600)
    centres = {"x": [4, 0, 0], "y": [0, 4, 0], "z": [0, 0, 4]}
    X = np.array([centres[lab] for lab in labels]) + 3.0 * rng.normal(size=(600, 3))
    codes = sp.csr_matrix((labels[:, None] == np.array(["x", "y", "z"])).astype(float))
    table, summary = property_retrieval_baseline(codes, X, labels, n_resamples=200)
    assert len(table) == 3 and summary["n_categories"] == 3
    assert (table["sae_ap"] == 1.0).all() and (table["sae_r_precision"] == 1.0).all()
    assert (table["dense_ap"] < 1.0).all()
    low, high = summary["mean_difference_ap_ci_low"], summary["mean_difference_ap_ci_high"]
    assert low <= summary["mean_difference_ap"] <= high and low > 0


def test_dense_vs_concept_clustering_on_planted_concepts(rng):
    labels = rng.choice(["p", "q"], 200)
    codes = sp.csr_matrix(np.c_[labels == "p", labels == "q"].astype(float))
    X = rng.normal(size=(200, 5))  # dense embeddings that carry no label information
    t = dense_vs_concept_clustering(codes, X, [0, 1], labels, n_clusters=2,
                                    seeds=[0, 1, 2]).set_index("method")
    assert t.loc["concepts", "ami_mean"] == pytest.approx(1.0)
    assert t.loc["dense", "ami_mean"] < 0.1
    assert t.loc["concepts", "n_seeds"] == 3
    with pytest.raises(ValueError, match="at least two seeds"):
        dense_vs_concept_clustering(codes, X, [0, 1], labels, 2, seeds=[0])
