"""SAE analyses with known answers: two-proportion test + Benjamini–Hochberg computed by hand,
NPMI of always-co-occurring / independent features, planted words in labels, max pooling,
concept-filtered clustering and retrieval."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from embviz.sae import (
    category_alignment,
    concept_clusters,
    concept_correlations,
    distinctive_words,
    label_association,
    max_pool_codes,
    presence_diff,
    retrieve,
    top_rows,
)
from embviz.stats import benjamini_hochberg, two_proportion_test


def test_two_proportion_test_by_hand():
    """x_a = 30/100, x_b = 10/100: pooled p = 0.2, se = sqrt(0.2*0.8*0.02) = 0.056569,
    z = 0.2 / se = 3.535534, two-sided p = erfc(z / sqrt 2) = 4.0695e-4. Tolerance 1e-9."""
    z, p = two_proportion_test([30], 100, [10], 100)
    se = math.sqrt(0.2 * 0.8 * (1 / 100 + 1 / 100))
    assert z[0] == pytest.approx(0.2 / se, rel=1e-12)
    assert p[0] == pytest.approx(math.erfc(abs(0.2 / se) / math.sqrt(2)), rel=1e-9)
    assert p[0] == pytest.approx(4.0695e-4, rel=1e-3)
    z, p = two_proportion_test([0, 5], 5, [0, 5], 5)  # p pooled 0 and 1: no evidence
    np.testing.assert_array_equal(z, [0, 0])
    np.testing.assert_array_equal(p, [1, 1])


def test_benjamini_hochberg_by_hand():
    """p = [0.01, 0.04, 0.03, 0.20], m = 4. Sorted: 0.01, 0.03, 0.04, 0.20 -> m p / rank =
    0.04, 0.06, 0.0533, 0.20; running minimum from the top: 0.04, 0.0533, 0.0533, 0.20."""
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.20], rtol=1e-12)
    assert benjamini_hochberg([0.9, 0.95]).max() <= 1.0
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200)
    q = benjamini_hochberg(p)
    order = np.argsort(p)
    assert (np.diff(q[order]) >= -1e-15).all() and (q >= p - 1e-12).all()


def test_presence_diff_ranks_and_tests():
    """Feature 0 present in 80% of A and 20% of B; feature 1 equal; feature 2 the reverse."""
    n = 50
    A = np.zeros((n, 3))
    B = np.zeros((n, 3))
    A[:40, 0] = 1.0
    B[:10, 0] = 2.0
    A[:25, 1] = B[:25, 1] = 0.5
    A[:5, 2] = 1.0
    B[:30, 2] = 1.0
    table = presence_diff(sp.csr_matrix(A), B)
    assert table["feature"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(table["diff"], [0.6, 0.0, -0.5])
    _, p = two_proportion_test([40, 25, 5], n, [10, 25, 30], n)
    np.testing.assert_allclose(table.sort_values("feature")["p_value"], p, rtol=1e-12)
    np.testing.assert_allclose(table.sort_values("feature")["q_value"], benjamini_hochberg(p))
    with pytest.raises(ValueError, match="a has 3 features but b has 2"):
        presence_diff(A, B[:, :2])


def test_npmi_known_answers(rng):
    """Always together -> NPMI 1; independent (n = 20,000, p = 0.3 each) -> |NPMI| < 0.03."""
    n = 20_000
    a = rng.random(n) < 0.3
    independent = rng.random(n) < 0.3
    codes = sp.csr_matrix(np.column_stack([a, a, independent]).astype(np.float32))
    table = concept_correlations(codes, min_count=1, n_top=None).set_index(
        ["feature_a", "feature_b"])
    assert table.loc[(0, 1), "npmi"] == pytest.approx(1.0, abs=1e-12)
    assert abs(table.loc[(0, 2), "npmi"]) < 0.03
    p_ab = (a & independent).mean()
    expected = math.log(p_ab / (a.mean() * independent.mean())) / -math.log(p_ab)
    assert table.loc[(0, 2), "npmi"] == pytest.approx(expected, rel=1e-9)
    labelled = concept_correlations(codes, min_count=1, labels=["x", "y", "z"])
    assert labelled.iloc[0][["label_a", "label_b"]].tolist() == ["x", "y"]


def test_planted_word_labels():
    """Documents 0-9 mention 'zebra'; both scorers put it first for those documents."""
    rng = np.random.default_rng(3)
    filler = ["river", "stone", "market", "window", "garden", "letter", "music", "winter"]
    texts = [" ".join(rng.choice(filler, 6)) + (" zebra" if i < 10 else "")
             for i in range(200)]
    for method in ("log_odds", "ctfidf"):
        words = distinctive_words(texts, [np.arange(10), np.arange(100, 110)], method=method)
        assert words[0][0] == "zebra", method
        assert "zebra" not in words[1]


def test_max_pool_codes_equals_loop(rng):
    dense = rng.random((40, 6)) * (rng.random((40, 6)) < 0.3)
    doc = np.sort(rng.integers(0, 8, 40))
    pooled = max_pool_codes(sp.csr_matrix(dense), doc, 9).toarray()
    expected = np.zeros((9, 6), np.float32)
    for d in range(9):
        if (doc == d).any():
            expected[d] = dense[doc == d].max(axis=0)
    np.testing.assert_array_equal(pooled, expected)


def test_label_association_and_category_alignment():
    """Feature 0 fires exactly on label 'a' (F1 1); feature 1 on half of 'b' (P 1, R 0.5)."""
    labels = ["a"] * 4 + ["b"] * 4
    codes = np.zeros((8, 3))
    codes[:4, 0] = 1
    codes[4:6, 1] = 1
    codes[:, 2] = 1  # everywhere: P = 0.5, R = 1 for either label
    assoc = label_association(sp.csr_matrix(codes), labels).set_index("feature")
    assert assoc.loc[0, "best_label"] == "a" and assoc.loc[0, "f1"] == 1.0
    assert assoc.loc[1, ["precision", "recall"]].tolist() == [1.0, 0.5]
    assert assoc.loc[1, "f1"] == pytest.approx(2 / 3)
    align = category_alignment(sp.csr_matrix(codes), labels).set_index("category")
    assert align.loc["a", "best_feature"] == 0 and align.loc["a", "f1"] == 1.0
    assert align.loc["b", "f1"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="labels has 3 entries but codes has 8 rows"):
        label_association(sp.csr_matrix(codes), labels[:3])


def test_concept_clusters_and_retrieve():
    """Two planted groups separated only by features 0/1; feature 2 is noise ignored by the
    filter; retrieval ranks by the weighted score and drops non-positive scores."""
    rng = np.random.default_rng(0)
    codes = np.zeros((60, 4))
    codes[:30, 0] = rng.uniform(1, 2, 30)
    codes[30:, 1] = rng.uniform(1, 2, 30)
    codes[:, 2] = rng.uniform(0, 5, 60)
    clusters = concept_clusters(sp.csr_matrix(codes), [0, 1], n_clusters=2, random_state=0)
    assert clusters.dtype == np.int64 and clusters.shape == (60,)
    assert len(set(clusters[:30])) == 1 and len(set(clusters[30:])) == 1
    assert clusters[0] != clusters[-1]
    ranked = retrieve(sp.csr_matrix(codes), 0, n_top=5)
    assert list(ranked.columns) == ["row", "score"] and len(ranked) == 5
    assert ranked["row"].tolist() == list(np.argsort(-codes[:, 0], kind="stable")[:5])
    both = retrieve(codes, [0, 1], weights=[1.0, -1.0], n_top=100)
    assert set(both["row"]) == set(range(30))
    with pytest.raises(ValueError, match="features must lie in 0..3"):
        retrieve(codes, [7])
    with pytest.raises(ValueError, match="one value per feature"):
        retrieve(codes, [0, 1], weights=[1.0])


def test_top_rows_orders_by_activation():
    codes = sp.csr_matrix(np.array([[0.0, 1.0], [3.0, 0.0], [2.0, 0.0], [0.0, 0.0]]))
    rows = top_rows(codes, 5)
    assert rows[0].tolist() == [1, 2] and rows[1].tolist() == [0]
    assert isinstance(pd.DataFrame({"r": rows}), pd.DataFrame)
