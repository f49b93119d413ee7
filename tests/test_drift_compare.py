"""Model-to-model comparison: CKA, Procrustes, linear compensation, k-NN overlap and relative
representations against known answers and direct n×n implementations, then real MiniLM vs
MPNet embeddings of the same 300 WordNet glosses."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import procrustes as scipy_procrustes

from embviz import EmbeddingSet
from embviz.drift import (
    LinearMap,
    compare_models,
    knn_overlap,
    linear_cka,
    linear_compensation,
    procrustes_error,
    relative_agreement,
    relative_representation,
)
from embviz.metrics.resampling import complementary_halves, complementary_interval
from embviz.neighbors import knn_graph, subgraph, subgraph_width
from embviz.stats import half_samples


def rotation(rng, d):
    return np.linalg.qr(rng.normal(size=(d, d)))[0]


def direct_debiased_cka(X, Y):
    """Song et al. (2012) unbiased HSIC from full n×n Gram matrices (Nguyen et al. 2021)."""
    def hsic(K, L):
        n = len(K)
        K, L = K.copy(), L.copy()
        np.fill_diagonal(K, 0)
        np.fill_diagonal(L, 0)
        one = np.ones(n)
        return (np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2))
                - 2 / (n - 2) * one @ K @ L @ one) / (n * (n - 3))
    X, Y = X - X.mean(0), Y - Y.mean(0)
    K, L = X @ X.T, Y @ Y.T
    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


def test_cka_known_answers(rng):
    """Rotation + isotropic scale + translation: 1 (1e-10). Independent Gaussian: biased
    CKA ~ d/(n) scale (< 0.3 here, n=200, d=20), debiased |.| < 0.05. Debiased form equals
    the direct n×n implementation (1e-10), also across different dimensions."""
    X = rng.normal(size=(200, 20))
    assert linear_cka(X, 2.5 * X @ rotation(rng, 20) + 3) == pytest.approx(1.0, abs=1e-10)
    assert linear_cka(X, X @ rotation(rng, 20), debiased=True) == pytest.approx(1.0, abs=1e-10)
    Y = rng.normal(size=(200, 30))
    assert linear_cka(X, Y) < 0.3
    assert abs(linear_cka(X, Y, debiased=True)) < 0.05
    Z = X[:, :10] @ rng.normal(size=(10, 30)) + 0.5 * Y
    assert linear_cka(X, Z, debiased=True) == pytest.approx(direct_debiased_cka(X, Z),
                                                           rel=1e-10)
    Xc, Zc = X - X.mean(0), Z - Z.mean(0)
    biased = (np.linalg.norm(Xc.T @ Zc) ** 2 / np.linalg.norm(Xc.T @ Xc)
              / np.linalg.norm(Zc.T @ Zc))
    assert linear_cka(X, Z) == pytest.approx(biased, rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), debiased=st.booleans())
def test_cka_symmetric_and_invariant(seed, debiased):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(40, 6)), rng.normal(size=(40, 9))
    Y[:, :6] += X
    cka = linear_cka(X, Y, debiased=debiased)
    assert linear_cka(Y, X, debiased=debiased) == pytest.approx(cka, rel=1e-9)
    rows = rng.permutation(40)
    assert linear_cka(X[rows], Y[rows], debiased=debiased) == pytest.approx(cka, rel=1e-9)
    assert linear_cka(X @ rotation(rng, 6), 7 * Y, debiased=debiased) == pytest.approx(
        cka, rel=1e-9)


def test_procrustes_known_answers(rng):
    """0 for a rotated, scaled, shifted copy; zero-padding a copy into more dimensions is
    still 0; equals scipy's disparity relation 1 − (1 − e/2)² for equal dimensions."""
    X = rng.normal(size=(100, 8))
    assert procrustes_error(X, 3 * X @ rotation(rng, 8) - 1) == pytest.approx(0, abs=1e-10)
    padded = np.c_[X, np.zeros((100, 4))] @ rotation(rng, 12)
    assert procrustes_error(X, padded) == pytest.approx(0, abs=1e-10)
    Y = X + rng.normal(size=(100, 8))
    err = procrustes_error(X, Y)
    assert 0 < err < 2
    assert scipy_procrustes(X, Y)[2] == pytest.approx(1 - (1 - err / 2) ** 2, rel=1e-8)


def test_linear_compensation_recovers_an_invertible_map(rng):
    """new = old @ M (M random invertible): after the map recall@10 = 1 (tolerance 1e-12);
    before it the raw vectors retrieve little."""
    old = rng.normal(size=(400, 16)) + 0.5
    new = old @ rng.normal(size=(16, 16))
    out = linear_compensation(old, new, k=10, train_fraction=0.5, random_state=0)
    assert out["recall_after"] == pytest.approx(1.0, abs=1e-12)
    assert out["recall_before"] < 0.5 and out["n_test"] == 200
    wide = linear_compensation(old, np.c_[new, rng.normal(size=(400, 8))], random_state=0)
    assert np.isnan(wide["recall_before"]) and "cannot be searched" in wide["note"]
    assert wide["recall_after"] > 0.8
    fitted = LinearMap(ridge=0.0).fit(old, new)  # a = old (the index), b = new
    np.testing.assert_allclose(fitted.transform(new), old, atol=1e-8)
    np.testing.assert_allclose(fitted.mean_a_, old.mean(0), atol=1e-12)
    np.testing.assert_allclose(fitted.mean_b_, new.mean(0), atol=1e-12)


def test_knn_overlap_identical_and_changed(rng):
    X = rng.normal(size=(150, 10))
    same = knn_overlap(X, X @ rotation(rng, 10) * 2, k=5)
    assert (same["jaccard"] == 1).all() and len(same) == 150
    Y = X.copy()
    Y[:10] = rng.normal(size=(10, 10))  # ten texts re-embedded at random
    moved = knn_overlap(X, Y, k=5)
    assert set(moved["row"].iloc[:10]) == set(range(10))
    assert moved["jaccard"].is_monotonic_increasing


def test_relative_representations(rng):
    X = rng.normal(size=(60, 8))
    rel = relative_representation(X, X[:5])
    assert rel.shape == (60, 5) and rel[np.arange(5), np.arange(5)] == pytest.approx(1)
    agree = relative_agreement(X, 4 * X @ rotation(rng, 8), np.arange(10))
    np.testing.assert_allclose(agree, 1, atol=1e-10)
    noise = relative_agreement(X, rng.normal(size=(60, 12)), np.arange(10, 40))
    assert abs(noise.mean()) < 0.1


def _es(X, texts):
    return EmbeddingSet(X.astype(np.float32),
                        pd.DataFrame({"id": [str(i) for i in range(len(X))], "text": texts}))


def test_misaligned_and_bad_input(rng):
    X = rng.normal(size=(30, 4))
    texts = [f"t{i}" for i in range(30)]
    swapped = texts[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    with pytest.raises(ValueError, match="same texts in the same order.*first at row 3"):
        compare_models(_es(X, texts), _es(X, swapped))
    with pytest.raises(ValueError, match="same texts in the same order"):
        linear_cka(X, X[:20])
    with pytest.raises(TypeError, match="a must be an EmbeddingSet"):
        compare_models(X, _es(X, texts))
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="b contains NaN or infinite"):
        procrustes_error(X, bad)
    with pytest.raises(ValueError, match=r"train_fraction must be a number in \(0, 1\), got 1.0"):
        linear_compensation(X, X, train_fraction=1.0)
    with pytest.raises(ValueError, match="anchor_rows must be"):
        relative_agreement(X, X, [0, 1])


def test_compare_models_returns_the_long_result_table(rng):
    X = rng.normal(size=(60, 8))
    texts = [f"t{i}" for i in range(60)]
    table = compare_models(_es(X, texts), _es(X @ rotation(rng, 8), texts), k=5)
    assert list(table.columns) == ["metric", "value", "ci_low", "ci_high", "parameters"]


def test_half_sample_neighbours_are_its_own_graph(rng):
    """Read from a deeper graph of all rows, a half-sample's k-NN lists equal the exact graph
    of the half-sample itself, also when nearly every row falls back to the exact search (a
    graph only 2 deeper than k); no row is its own neighbour or listed twice."""
    X = rng.normal(size=(300, 6))
    for depth in (subgraph_width(10, 300), 12):
        graph = knn_graph(X, depth, progress=False)
        for rows in half_samples(300, 5, rng):
            found = subgraph(graph, rows, 10, X).indices
            np.testing.assert_array_equal(found, knn_graph(X[rows], 10, progress=False).indices)
            assert not (found == np.arange(len(rows))[:, None]).any()
            assert (np.diff(np.sort(found, axis=1), axis=1) > 0).all()


def test_complementary_interval_of_a_mean(rng):
    """For T = the mean of n = 400 values, complementary half-samples estimate its standard
    error s/√n: 200 pairs, within 15% (their own noise is ≈ 5%); the interval is
    T ± t(0.975, 199) · SE."""
    x = rng.normal(0, 2, size=400)
    splits = complementary_halves(400, 200, rng)
    assert all(np.intersect1d(a, b).size == 0 for a, b in splits)  # disjoint halves
    first = np.array([x[rows].mean() for rows in splits[:, 0]])
    second = np.array([x[rows].mean() for rows in splits[:, 1]])
    low, high = complementary_interval(x.mean(), first, second, 400, 0.95)
    se = (high - low) / 2 / 1.9720
    assert se == pytest.approx(x.std(ddof=1) / 20, rel=0.15)
    assert (low + high) / 2 == pytest.approx(x.mean(), abs=1e-12)
    assert np.isnan(complementary_interval(np.nan, first, second, 400, 0.95)).all()


def test_compare_models_intervals(rng):
    """Every row gets an interval around its value, made as ``parameters`` says; values
    equal the standalone functions'; seeded; a rotated copy is exact on every half-sample,
    so its intervals collapse onto 1 (CKA, k-NN overlap, recall after the map) and 0
    (Procrustes)."""
    X = rng.normal(size=(120, 8))
    texts = [f"t{i}" for i in range(120)]
    a, b = _es(X, texts), _es(X @ rotation(rng, 8) + 0.5 * rng.normal(size=(120, 8)), texts)
    table = compare_models(a, b, k=5, n_resamples=40, progress=False).set_index("metric")
    assert ((table["ci_low"] < table["value"]) & (table["value"] < table["ci_high"])).all()
    assert table["parameters"].str.endswith(
        "ci_method=complementary half-samples, n_resamples=40, confidence=0.95").all()
    assert table.loc["linear_cka", "value"] == pytest.approx(linear_cka(a, b), rel=1e-10)
    assert table.loc["debiased_cka", "value"] == pytest.approx(
        linear_cka(a, b, debiased=True), rel=1e-10)
    assert table.loc["procrustes_error", "value"] == pytest.approx(procrustes_error(a, b),
                                                                   rel=1e-10)
    assert table.loc["knn_jaccard_mean", "value"] == pytest.approx(
        knn_overlap(a, b, 5)["jaccard"].mean(), abs=1e-12)
    again = compare_models(a, b, k=5, n_resamples=40, progress=False).set_index("metric")
    pd.testing.assert_frame_equal(table, again)
    narrow = compare_models(a, b, k=5, n_resamples=40, confidence=0.8,
                            progress=False).set_index("metric")
    assert ((narrow["ci_high"] - narrow["ci_low"]) < (table["ci_high"] - table["ci_low"])).all()

    copy = compare_models(a, _es(3 * X @ rotation(rng, 8), texts), k=5, n_resamples=20,
                          progress=False).set_index("metric")
    for name, exact in (("linear_cka", 1), ("debiased_cka", 1), ("knn_jaccard_mean", 1),
                        ("procrustes_error", 0), ("recall_after", 1)):
        np.testing.assert_allclose(copy.loc[name, ["value", "ci_low", "ci_high"]].to_numpy(
            float), exact, atol=1e-8, err_msg=name)


def test_compare_models_interval_arguments(rng):
    """Different dimensions: recall_before and its interval are NaN and its parameters say
    why; too few texts for a half-sample with k neighbours, or bad n_resamples/confidence,
    are refused by name."""
    X = rng.normal(size=(60, 8))
    texts = [f"t{i}" for i in range(60)]
    wide = compare_models(_es(X, texts), _es(np.c_[X, rng.normal(size=(60, 4))], texts), k=5,
                          n_resamples=10, progress=False).set_index("metric")
    assert wide.loc["recall_before", ["value", "ci_low", "ci_high"]].isna().all()
    assert "cannot be searched" in wide.loc["recall_before", "parameters"]
    assert wide.drop(index="recall_before")[["ci_low", "ci_high"]].notna().all().all()
    with pytest.raises(ValueError, match=r"n >= 2k \+ 2.*k=10.*n=20"):
        compare_models(_es(X[:20], texts[:20]), _es(X[:20], texts[:20]), k=10)
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 10, got 5"):
        compare_models(_es(X, texts), _es(X, texts), n_resamples=5)
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\)"):
        compare_models(_es(X, texts), _es(X, texts), confidence=1.0)


@pytest.fixture(scope="module")
def two_models():
    """MiniLM (384-d) and MPNet (768-d) embeddings of the same 300 WordNet glosses (CPU;
    cached on disk after the first run, which takes ~1 min for MPNet)."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    df = load_dataset("wordnet", n=300, random_state=7)
    return (embed_corpus(df, model="minilm", device="cpu", progress=False),
            embed_corpus(df, model="mpnet", device="cpu", progress=False))


def test_compare_minilm_and_mpnet(two_models):
    """Measured (300 glosses, seed 0; 95% intervals from 100 half-samples): CKA 0.754
    [0.744, 0.764], debiased 0.667 [0.648, 0.685], k-NN Jaccard 0.364 [0.339, 0.388],
    Procrustes 0.282 [0.275, 0.290], recall@10 after the map 0.489 [0.459, 0.519] (150
    held-out queries; before: NaN, 384 vs 768 dims), relative agreement 0.730 [0.705, 0.755].
    Asserted as broad bands: related but different models; intervals narrower than 0.1."""
    minilm, mpnet = two_models
    full = compare_models(minilm, mpnet, random_state=0, progress=False).set_index("metric")
    finite = full.drop(index="recall_before")
    assert ((finite["ci_low"] < finite["value"]) & (finite["value"] < finite["ci_high"])
            & (finite["ci_high"] - finite["ci_low"] < 0.1)).all()
    table = full["value"]
    assert 0.5 < table["linear_cka"] < 0.95
    assert 0.4 < table["debiased_cka"] < table["linear_cka"]
    assert 0.2 < table["knn_jaccard_mean"] < 0.6
    assert 0.1 < table["procrustes_error"] < 0.6
    assert np.isnan(table["recall_before"]) and 0.3 < table["recall_after"] < 0.8
    assert 0.5 < table["relative_agreement_mean"] < 0.95
    ranked = knn_overlap(minilm, mpnet)
    assert "text" in ranked and ranked["jaccard"].iloc[0] <= ranked["jaccard"].iloc[-1]
    shuffled = linear_cka(minilm.vectors, mpnet.vectors[np.random.default_rng(0).permutation(
        300)], debiased=True)
    assert abs(shuffled) < 0.05  # alignment matters
