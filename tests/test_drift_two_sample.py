"""Two-sample tests of embviz.drift: known answers against independent references (naive
O(n²) numpy MMD, scipy's energy distance, scipy's Mann-Whitney), blocked = unblocked,
numpy = torch backends, invariances, explanations, drift over time, figures and bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from embviz import EmbeddingSet
from embviz.drift import (
    TwoSampleResult,
    centroid_shift,
    classifier_confidence,
    classifier_test,
    depth_outliers,
    depth_test,
    dimension_drift,
    drift_over_time,
    drifted_dimensions,
    energy_test,
    mmd2_unbiased,
    mmd_test,
    mmd_witness,
    tte_depth,
    two_sample_table,
)
from embviz.drift._kernel_sums import KernelSpec, kernel_forms
from embviz.stats import permutation_p_value


def naive_mmd2(A, B, sigma):
    """Unbiased MMD² (Gretton et al. 2012, eq. 3) from full float64 kernel matrices."""
    def k(X, Y):
        return np.exp(-((X[:, None] - Y[None]) ** 2).sum(-1) / (2 * sigma**2))
    n, m = len(A), len(B)
    kaa, kbb = k(A, A), k(B, B)
    return ((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb))
            / (m * (m - 1)) - 2 * k(A, B).mean())


def test_unbiased_mmd2_matches_naive_reference(rng):
    """float64 input: relative error < 1e-5 (measured ~1e-14) for several bandwidths,
    unequal sizes, blocked and unblocked, numpy and torch backends."""
    A, B = rng.normal(size=(60, 7)), rng.normal(size=(45, 7)) + 0.4
    for sigma in (0.5, 2.0, 5.0):
        ref = naive_mmd2(A, B, sigma)
        for block in (None, 7, 1000):
            assert mmd2_unbiased(A, B, bandwidth=sigma, block=block) == pytest.approx(
                ref, rel=1e-5)
        assert mmd2_unbiased(A, B, bandwidth=sigma, device="cpu") == pytest.approx(ref, rel=1e-5)


def test_blocked_equals_unblocked_and_backends_agree(rng):
    """All quadratic forms of one pass: blocks of 1, 13 and all rows, numpy and torch,
    float64: equal to 1e-10 relative."""
    Z = rng.normal(size=(90, 5))
    V = rng.integers(0, 3, size=(90, 12)).astype(np.float64)
    spec = KernelSpec("rbf", 1.7, 0.3)
    pairs = np.array([[0, 1], [2, 5]])
    ref = kernel_forms(Z, V, spec, pairs, block=90, backend="numpy")
    for block, backend in ((1, "numpy"), (13, "numpy"), (13, "torch"), (90, "torch")):
        out = kernel_forms(Z, V, spec, pairs, block=block, backend=backend, device="cpu")
        for got, want in zip(out, ref):
            np.testing.assert_allclose(got, want, rtol=1e-10)
    K = np.exp(-((Z[:, None] - Z[None]) ** 2).sum(-1) / (2 * 1.7**2)) - 0.3
    np.testing.assert_allclose(ref[0], np.einsum("ic,ij,jc->c", V, K, V), rtol=1e-10)
    np.testing.assert_allclose(ref[2], [V[:, 0] @ K @ V[:, 1], V[:, 2] @ K @ V[:, 5]],
                               rtol=1e-10)


def test_float32_agrees_with_float64(rng):
    """The centred float32 pass vs float64: relative 1e-4 on a clear difference."""
    A, B = rng.normal(size=(300, 32)), rng.normal(size=(300, 32)) + 0.2
    r64 = mmd_test(A, B, n_permutations=100, random_state=0)
    r32 = mmd_test(A.astype(np.float32), B.astype(np.float32), n_permutations=100,
                   random_state=0, device="cpu")
    assert r32.statistic == pytest.approx(r64.statistic, rel=1e-4)
    assert r32.p_value == r64.p_value


def test_mmd_identical_near_zero_and_shift_large(rng):
    """Same distribution: |MMD²| < 0.01 and p > 0.05 here; shifted by 1 sd in every one of
    8 dims: MMD² > 0.1 (~0.3 measured), p at its floor 1/(1+P)."""
    same = mmd_test(rng.normal(size=(200, 8)), rng.normal(size=(200, 8)), random_state=1)
    shifted = mmd_test(rng.normal(size=(200, 8)), rng.normal(size=(200, 8)) + 1,
                       random_state=1)
    assert abs(same.statistic) < 0.01 and same.p_value > 0.05
    assert shifted.statistic > 0.1 and shifted.p_value == pytest.approx(1 / 1001)
    assert shifted.ci_low <= shifted.effect_size <= shifted.ci_high
    assert same.effect_size < shifted.ci_low


def test_energy_is_the_unbiased_form_of_scipys_energy_distance(rng):
    """In 1-D scipy's energy_distance² is the V-statistic 2B − W_a − W_b with means over all
    pairs (a row with itself included); the test's statistic is the U-statistic, within
    means over distinct pairs: V − mean‖a_i − a_j‖/n_a − mean‖b_i − b_j‖/n_b (i ≠ j)."""
    from scipy.spatial.distance import pdist

    a, b = rng.normal(size=(50, 1)), rng.normal(size=(37, 1)) * 1.5 + 0.3
    res = energy_test(a, b, n_permutations=50, random_state=0, progress=False)
    v_statistic = stats.energy_distance(a[:, 0], b[:, 0]) ** 2
    expected = v_statistic - pdist(a).mean() / 50 - pdist(b).mean() / 37
    assert res.statistic == pytest.approx(expected, rel=1e-10)
    assert res.effect_size == res.statistic


def test_energy_matches_direct_formula_in_many_dimensions(rng):
    A, B = rng.normal(size=(30, 6)), rng.normal(size=(25, 6)) + 0.5

    def mean_dist(X, Y, distinct=False):
        d = np.linalg.norm(X[:, None] - Y[None], axis=-1)
        return d.sum() / (len(X) * (len(X) - 1)) if distinct else d.mean()

    direct = 2 * mean_dist(A, B) - mean_dist(A, A, True) - mean_dist(B, B, True)
    assert energy_test(A, B, n_permutations=20, random_state=0,
                       progress=False).statistic == pytest.approx(direct, rel=1e-10)


def test_kernel_half_sample_replicates_are_the_statistic_on_halves(rng):
    """The interval's replicates, read back from the one kernel pass, equal the unbiased
    MMD² recomputed on ⌊n_a/2⌋ rows of a and ⌊n_b/2⌋ rows of b (no row twice)."""
    from embviz.drift.kernel_tests import _design, _kernel_pass

    A, B = rng.normal(size=(21, 3)), rng.normal(size=(16, 3)) + 0.5
    (wa, wb, between), _ = _kernel_pass(A, B, "rbf", 1.3, 7, 4, None, "cpu",
                                        np.random.default_rng(5), False)
    replicates = (wa + wb - 2 * between)[8:]
    rng5 = np.random.default_rng(5)
    rng5.integers(2**63)  # the bandwidth subsample's seed, drawn first in _kernel_pass
    V, _ = _design(21, 16, 7, 4, rng5, np.float64)
    for r in range(4):
        rows_a, rows_b = np.flatnonzero(V[:21, 9 + r]), np.flatnonzero(V[21:, 13 + r])
        assert (len(rows_a), len(rows_b)) == (10, 8)
        assert replicates[r] == pytest.approx(naive_mmd2(A[rows_a], B[rows_b], 1.3),
                                              rel=1e-10)


@pytest.mark.parametrize("test", ["mmd", "energy", "centroid"])
def test_interval_excludes_zero_exactly_when_the_permutation_test_rejects(test):
    """240 seeded cases per test: no difference and shifts of 0.3, 0.7 and 1.5 sd at 8, 25
    and 60 rows per side, at 95 % (α = 0.025) and 90 % (α = 0.05): ci_low > 0 ⇔ p < α
    every time, and the interval holds the effect. With 19 permutations p ≥ 0.05 always, and
    the interval never excludes 0."""
    def run(a, b, confidence, n_permutations, seed):
        if test == "centroid":  # cosine distance needs a direction: shift off a common mean
            return centroid_shift(a + 2, b + 2, n_permutations=n_permutations, n_resamples=40,
                                  confidence=confidence, random_state=seed)
        fn = mmd_test if test == "mmd" else energy_test
        return fn(a, b, n_permutations=n_permutations, n_resamples=40, confidence=confidence,
                  random_state=seed, progress=False)

    decisions = []
    for n in (8, 25, 60):
        for delta in (0.0, 0.3, 0.7, 1.5):
            for seed in range(10):
                gen = np.random.default_rng([n, int(10 * delta), seed])
                a, b = gen.normal(size=(n, 4)), gen.normal(size=(n, 4))
                b[:, 0] += delta
                for confidence in (0.95, 0.90):
                    res = run(a, b, confidence, 199, seed)
                    low, high = res.ci_low, res.ci_high
                    alpha = round((1 - confidence) / 2, 12)
                    assert (low > 0) == (res.p_value < alpha), (n, delta, seed, res)
                    assert low <= res.effect_size <= high, (n, delta, seed, res)
                    decisions.append(low > 0)
    assert 0.2 < np.mean(decisions) < 0.8  # both decisions occur often
    few = run(*np.split(np.random.default_rng(0).normal(size=(40, 4)), 2), 0.95, 19, 0)
    assert few.p_value >= 0.05 and few.ci_low <= 0


def test_permutation_p_value_is_never_zero():
    assert permutation_p_value(5.0, np.zeros(99)) == pytest.approx(0.01)
    assert permutation_p_value(0.0, np.ones(9)) == 1.0
    assert permutation_p_value(1.0, np.array([1.0, 0.0, 2.0])) == pytest.approx(0.75)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_mmd_invariant_to_rotating_both_samples(seed):
    """Rotation of both samples changes no distance: same statistic (1e-8 rel), same p."""
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(30, 6)), rng.normal(size=(25, 6)) + 0.3
    R = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    r1 = mmd_test(A, B, n_permutations=100, n_resamples=20, random_state=seed)
    r2 = mmd_test(A @ R, B @ R, n_permutations=100, n_resamples=20, random_state=seed)
    assert r2.statistic == pytest.approx(r1.statistic, rel=1e-8, abs=1e-12)
    assert r2.p_value == r1.p_value


def test_tte_depth_known_values_and_centre_deepest(rng):
    """Hand-computed depths; the point nearest the mean direction is the deepest, and
    leave-one-out reference depths equal the direct formula."""
    F = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(tte_depth(np.array([[1.0, 1.0], [1.0, -1.0]]), F),
                               [1 + np.sqrt(0.5) * (1 + 1 / np.sqrt(2)) * 2 / 3, 1.0])
    X = rng.normal(size=(300, 5)) + np.array([3, 0, 0, 0, 0])
    depths = tte_depth(X)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos = unit @ unit.T
    np.testing.assert_allclose(depths, 2 - (1 - cos).sum(1) / (len(X) - 1), rtol=1e-10)
    centre = unit.mean(0)
    assert depths.argmax() == np.argmax(unit @ centre)
    assert tte_depth(centre[None], X)[0] > depths.max()


def test_depth_test_is_the_one_sided_rank_sum():
    """Q and p equal a direct Mann-Whitney computation on the depths (scipy)."""
    rng = np.random.default_rng(5)
    A = rng.normal(size=(80, 10)) + 2
    B = rng.normal(size=(70, 10)) * 1.6 + 2  # more spread: less deep in A
    res = depth_test(A, B)
    da, db = tte_depth(A), tte_depth(B, A)
    expected = stats.mannwhitneyu(db, da, alternative="less", method="asymptotic")
    assert res.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert res.statistic == pytest.approx(np.mean(da[:, None] <= db[None, :]), abs=1e-12)
    assert res.statistic < 0.5 and res.p_value < 1e-3


def test_classifier_test_auc_and_permutation(rng):
    A, B = rng.normal(size=(60, 5)), rng.normal(size=(60, 5)) + 0.8
    res = classifier_test(A, B, n_permutations=30, random_state=0)
    assert res.statistic > 0.8 and res.p_value == pytest.approx(1 / 31)
    assert res.ci_low < res.effect_size < res.ci_high and res.effect_size > 0.7
    null = classifier_test(A, rng.normal(size=(60, 5)), n_permutations=0, random_state=0)
    assert 0.3 < null.statistic < 0.7 and null.p_value > 0.05
    assert null.parameters["p_value_method"].endswith("held-out half")
    row = null.to_dict()  # the table row reads the parameters as "key=value, ..."
    assert "p_value_method=one-sided Mann-Whitney on a held-out half" in row["parameters"]


def test_classifier_effect_is_the_held_out_auc():
    """effect_size, ci_low and ci_high are the held-out half's AUC and auc_interval, from the
    split, model and interval function that tests/test_two_sample_coverage.py measures;
    the n_permutations=0 p-value is the Mann–Whitney test of the same scores."""
    from embviz.drift.classifier import _auc, _fit, _holdout_split
    from embviz.drift.depth import auc_interval

    gen = np.random.default_rng(3)
    A, B = gen.normal(size=(40, 4)), gen.normal(size=(30, 4)) + 0.6
    res = classifier_test(A, B, n_permutations=0, confidence=0.9, random_state=7)
    Z, labels = np.concatenate([A, B]), np.r_[np.zeros(40, int), np.ones(30, int)]
    train, test = _holdout_split(labels, int(np.random.default_rng(7).integers(2**31)))
    scores = _fit(Z[train], labels[train], 1.0).predict_proba(Z[test])[:, 1]
    held = labels[test]
    assert res.effect_size == pytest.approx(_auc(scores, held), abs=1e-12)
    np.testing.assert_allclose((res.ci_low, res.ci_high),
                               auc_interval(res.effect_size, int(held.sum()),
                                            int((held == 0).sum()), 0.9))
    u = stats.mannwhitneyu(scores[held == 1], scores[held == 0], alternative="greater",
                           method="asymptotic")
    assert res.p_value == pytest.approx(u.pvalue, rel=1e-9)


def test_auc_score_interval_known_values():
    """The ends solve (AUC − θ)² = z² V(θ), V the Hanley–McNeil variance at θ; V(0.5) is
    the Mann–Whitney null variance (n₁ + n₂ + 1)/(12 n₁ n₂). The interval stays in [0, 1],
    is asymmetric near the bounds, and an AUC of exactly 1 still gets a lower end below 1."""
    from embviz.drift.depth import _hanley_mcneil_variance, auc_interval

    z = stats.norm.ppf(0.975)
    assert _hanley_mcneil_variance(0.5, 50, 50) == pytest.approx(101 / (12 * 2500))
    for auc, n_pos, n_neg in ((0.5, 50, 50), (0.8, 30, 45), (0.95, 20, 20)):
        low, high = auc_interval(auc, n_pos, n_neg)
        for end in (low, high):
            assert (auc - end) ** 2 == pytest.approx(
                z * z * _hanley_mcneil_variance(end, n_pos, n_neg), rel=1e-6)
    low, high = auc_interval(0.95, 20, 20)
    assert 0 <= low < 0.95 < high <= 1 and 0.95 - low > high - 0.95
    low, high = auc_interval(1.0, 20, 20)
    assert high == 1.0 and 0.8 < low < 1.0
    assert auc_interval(0.0, 20, 20)[1] == pytest.approx(1 - low)


def test_descriptors(rng):
    """Centroid shift: the statistic is the exact cosine distance of the means, the effect
    its bias-corrected value (smaller), inside the interval. Equal means: the plain distance
    is clearly positive (noise), the corrected effect near 0 and its interval holds 0.
    Dimensions: only the 3 shifted of 20 dimensions are flagged (BH at 0.05)."""
    A = rng.normal(size=(200, 20)) + 1
    B = rng.normal(size=(200, 20)) + 1
    B[:, :3] += 1.0
    res = centroid_shift(A, B, random_state=0)
    ma, mb = A.mean(0), B.mean(0)
    assert res.statistic == pytest.approx(1 - ma @ mb / np.linalg.norm(ma) / np.linalg.norm(mb))
    assert res.ci_low <= res.effect_size <= res.ci_high and res.p_value < 0.01
    assert 0 < res.effect_size < res.statistic and res.ci_low > 0
    same = centroid_shift(A, rng.normal(size=(200, 20)) + 1, random_state=0)
    assert same.p_value > 0.05 and same.ci_low <= 0 <= same.ci_high
    assert abs(same.effect_size) < 0.3 * same.statistic
    table = dimension_drift(A, B)
    assert set(table.loc[table["q_value"] < 0.05, "dimension"]) == {0, 1, 2}
    share = drifted_dimensions(A, B)
    assert share.statistic == pytest.approx(3 / 20) and share.p_value < 1e-6
    assert np.isnan([share.ci_low, share.ci_high]).all()
    assert share.parameters["ci_method"].startswith("none: ")  # the reason is recorded


def test_vectorised_ks_matches_scipy(rng):
    """Statistic equal to scipy's ks_2samp (ties included); p-value = Kolmogorov tail."""
    from embviz.drift.descriptors import _ks_columns

    A, B = rng.normal(size=(50, 12)), rng.normal(size=(37, 12)) + 0.3
    A[:5, 0] = B[:5, 0] = 1.0
    A[:, 1] = np.round(A[:, 1])  # heavy ties
    B[:, 1] = np.round(B[:, 1])
    ks, p = _ks_columns(A, B)
    ref = stats.ks_2samp(A, B, axis=0)
    np.testing.assert_allclose(ks, ref.statistic, atol=1e-12)
    np.testing.assert_allclose(p, stats.kstwobign.sf(np.sqrt(50 * 37 / 87) * ks), rtol=1e-12)


def test_result_contract_and_table(rng):
    A, B = rng.normal(size=(40, 4)), rng.normal(size=(40, 4)) + 1
    table = two_sample_table(A, B, n_permutations=200, random_state=0)
    assert table["metric"].tolist() == ["mmd", "energy", "depth", "classifier", "centroid",
                                        "dimensions"]
    assert list(table.columns) == ["metric", "value", "ci_low", "ci_high", "parameters",
                                   "statistic", "p_value", "q_value", "significant", "n_a",
                                   "n_b"]
    assert (table["p_value"] > 0).all() and (table["p_value"] < 0.05).all()
    assert table["significant"].all()
    assert table["parameters"].str.contains("ci_method=").all()
    again = two_sample_table(A, B, n_permutations=200, random_state=0)
    pd.testing.assert_frame_equal(table, again)  # reproducible from random_state
    res = mmd_test(A, B, n_permutations=50, random_state=0)
    assert isinstance(res, TwoSampleResult) and res.significant(0.05)
    with pytest.raises(AttributeError):
        res.p_value = 1.0  # frozen


def test_two_sample_table_is_a_long_table_with_q_values(rng):
    """The five result columns come first; BH q-values are never below their p-values and
    equal scipy's BH; ``significant`` is q < alpha."""
    A, B = rng.normal(size=(40, 4)), rng.normal(size=(40, 4)) + 0.3
    table = two_sample_table(A, B, tests=("mmd", "energy", "depth", "centroid"),
                             n_permutations=100, alpha=0.2, random_state=0, progress=False)
    assert list(table.columns[:5]) == ["metric", "value", "ci_low", "ci_high", "parameters"]
    assert (table["q_value"] >= table["p_value"]).all()
    assert (table["q_value"] <= 1).all()
    np.testing.assert_allclose(table["q_value"],
                               stats.false_discovery_control(table["p_value"]))
    assert (table["significant"] == (table["q_value"] < 0.2)).all()
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 1\)"):
        two_sample_table(A, B, tests=("depth",), alpha=1.0)


def _set(X, texts, **columns):
    meta = pd.DataFrame({"id": [str(i) for i in range(len(X))], "text": texts, **columns})
    return EmbeddingSet(X.astype(np.float32), meta)


def test_explanations_are_aligned_with_texts(rng):
    """Witness: points from the region only b covers have the most negative values; each
    frame has one row per pooled point, a's rows first, with their texts."""
    A = rng.normal(size=(60, 3))
    B = np.r_[rng.normal(size=(50, 3)), rng.normal(size=(10, 3)) * 0.2 + 4]
    a = _set(A, [f"a{i}" for i in range(60)])
    b = _set(B, [f"b{i}" for i in range(60)])
    w = mmd_witness(a, b, random_state=0)
    assert len(w) == 120 and w["text"].iloc[0] == "a0" and w["text"].iloc[60] == "b0"
    assert set(w.nsmallest(10, "witness")["row"]) == set(range(50, 60))
    assert set(w[(w["sample"] == "b") & (w["rank"] <= 10)]["row"]) == set(range(50, 60))
    offset = np.array([4.0, 0, 0])  # depth is cosine-based: give a a direction
    ref = rng.normal(size=(100, 3)) + offset
    other = np.r_[rng.normal(size=(50, 3)) + offset, rng.normal(size=(10, 3)) * 0.2
                  + np.array([0, 0, 4.0])]
    d = depth_outliers(ref, other)
    assert d.loc[d["sample"] == "b", "outlier"].iloc[50:].all()
    assert d.loc[d["sample"] == "a", "outlier"].mean() == pytest.approx(0.05, abs=0.011)
    c = classifier_confidence(A, B, random_state=0)
    assert list(c.columns) == ["sample", "row", "p_b", "confidence", "rank"]
    assert c["p_b"].between(0, 1).all() and (c.groupby("sample")["rank"].min() == 1).all()


def test_witness_matches_direct_leave_one_out(rng):
    A, B = rng.normal(size=(20, 3)), rng.normal(size=(15, 3)) + 0.5
    w = mmd_witness(A, B, bandwidth=1.3)["witness"].to_numpy()
    Z = np.r_[A, B]
    K = np.exp(-((Z[:, None] - Z[None]) ** 2).sum(-1) / (2 * 1.3**2))
    np.fill_diagonal(K, np.nan)
    np.testing.assert_allclose(w, np.nanmean(K[:, :20], 1) - np.nanmean(K[:, 20:], 1),
                               rtol=1e-5)


def test_drift_over_time_windows(rng):
    """4 equal-frequency windows over years 2000-2019; only the last two are shifted."""
    years = np.repeat(np.arange(2000, 2020), 20)
    X = rng.normal(size=(400, 6))
    X[years >= 2010] += 0.8
    es = _set(X, [f"t{i}" for i in range(400)], time=years)
    out = drift_over_time(es, window=4, n_permutations=200, random_state=0)
    assert len(out) == 4 and out["is_reference"].tolist() == [True, False, False, False]
    assert out["n"].tolist() == [0, 100, 100, 100]
    assert out["p_value"].iloc[1] > 0.01 and (out["p_value"].iloc[2:] < 0.01).all()
    assert list(out.columns[out.columns.get_loc("p_value"):][:3]) == ["p_value", "q_value",
                                                                        "significant"]
    assert np.isnan(out["q_value"].iloc[0]) and not out["significant"].iloc[0]
    np.testing.assert_allclose(out["q_value"].iloc[1:],  # BH over the 3 tested windows
                               stats.false_discovery_control(out["p_value"].iloc[1:]))
    assert out["significant"].tolist() == [False, False, True, True]
    # the permutation test's decision at alpha = 0.05 is the (1 - 2 alpha) interval's
    assert ((tested := out.iloc[1:])["ci_low"] > 0).tolist() == (
        tested["p_value"] < 0.05).tolist()
    tested = out.iloc[1:]  # every tested window has its effect size inside its interval
    assert tested["effect_size"].notna().all() and np.isnan(out["effect_size"].iloc[0])
    assert ((tested["ci_low"] <= tested["effect_size"])
            & (tested["effect_size"] <= tested["ci_high"])).all()
    dated = _set(X, [f"t{i}" for i in range(400)],
                 time=pd.to_datetime([f"{y}-06-01" for y in years]))
    by_decade = drift_over_time(dated, window="10YS", reference=(pd.Timestamp("2000-01-01"),
                                                                pd.Timestamp("2004-12-31")),
                                test="energy", n_permutations=100, random_state=0)
    assert by_decade["n"].tolist() == [100, 200]  # 2005-09 outside the reference; 2010-19
    assert by_decade["p_value"].iloc[0] > 0.05 and by_decade["p_value"].iloc[1] < 0.02
    assert by_decade["q_value"].notna().all()  # no reference window among these two
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 1\)"):
        drift_over_time(es, window=4, alpha=0)


def test_figures_build(rng):
    from embviz.viz import drift_over_time_figure, power_curve_figure

    years = np.repeat(np.arange(2000, 2010), 20)
    es = _set(rng.normal(size=(200, 4)), ["x"] * 200, time=years)
    fig = drift_over_time_figure(drift_over_time(es, window=3, n_permutations=50,
                                                 random_state=0))
    assert len(fig.data) == 2
    power = pd.DataFrame({"method": ["mmd", "mmd", "depth", "depth"], "n": [50, 100] * 2,
                          "power": [0.3, 0.6, 0.2, 0.4]})
    fig = power_curve_figure(power, alpha=0.05)
    assert [trace.name for trace in fig.data] == ["MMD two-sample test", "TTE depth test"]
    assert list(fig.layout.xaxis.ticktext) == ["50", "100"]  # the sizes, not "2 5" minor ticks
    with pytest.raises(ValueError, match="lacks the columns"):
        power_curve_figure(power.drop(columns="power"))


def test_drift_over_time_figure_flags_windows_by_bh_q_value_not_raw_p():
    """Raw p = 0.02, 0.04 are below 0.05, but over three windows BH gives q = 0.06, 0.06, 0.5:
    no window may be drawn as significant. The figure takes the q-values as given (from
    embviz.stats) and refuses a table without them instead of computing its own."""
    from embviz.stats import benjamini_hochberg
    from embviz.viz import drift_over_time_figure

    df = pd.DataFrame({"window": [0, 1, 2, 3], "effect_size": [np.nan, .1, .08, .01],
                       "ci_low": [np.nan, 0, 0, 0], "ci_high": [np.nan, .2, .2, .1],
                       "p_value": [np.nan, 0.02, 0.04, 0.5], "method": "mmd"})
    with pytest.raises(ValueError, match=r"lacks the columns \['q_value'\]"):
        drift_over_time_figure(df)
    df["q_value"] = benjamini_hochberg(df["p_value"], nan_policy="omit")
    np.testing.assert_allclose(df["q_value"][1:], [0.06, 0.06, 0.5])
    fig = drift_over_time_figure(df, alpha=0.05)
    assert list(fig.data[0].marker.symbol) == ["circle-open"] * 4
    np.testing.assert_allclose(fig.data[1].y[1:], -np.log10([0.06, 0.06, 0.5]))
    fig = drift_over_time_figure(df, alpha=0.1)  # at 0.1 the first two windows pass
    assert list(fig.data[0].marker.symbol) == ["circle-open", "circle", "circle",
                                               "circle-open"]


# ----------------------------------------------------------------------------- bad input
def test_bad_input_errors(rng):
    A = rng.normal(size=(20, 4))
    with pytest.raises(ValueError, match="same dimension d"):
        mmd_test(A, rng.normal(size=(20, 5)))
    with pytest.raises(ValueError, match="b needs at least 5 row"):
        energy_test(A, A[:3])
    bad = A.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="a contains NaN"):
        depth_test(bad, A)
    with pytest.raises(TypeError, match="numeric array"):
        mmd_test(A, np.array([["x"] * 4] * 20))
    with pytest.raises(ValueError, match="n_permutations must be an integer >= 1"):
        mmd_test(A, A + 1, n_permutations=0)
    with pytest.raises(ValueError, match="tests must be one of"):
        two_sample_table(A, A + 1, tests=("mmd", "ks"))
    with pytest.raises(ValueError, match="b needs at least 5 row"):
        classifier_test(A, A[:4])
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        mmd_test(A, A + 1, bandwidth=-1.0)
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\), got 1.5"):
        centroid_shift(A, A + 1, confidence=1.5)
    es = _set(A, ["x"] * 20, time=np.arange(20))
    with pytest.raises(ValueError, match="time_column='year' is not a column"):
        drift_over_time(es, time_column="year")
    with pytest.raises(TypeError, match="must be an EmbeddingSet"):
        drift_over_time(A)


def test_replicate_counts_are_bounded_and_memory_is_checked_first(rng, monkeypatch):
    """n_permutations=10**12 used to ask numpy for 218 TiB. Counts are capped at a million
    (with the reason), and a call whose weight columns would not fit in the available memory
    is refused before anything is allocated, with the estimate in the message."""
    from embviz.drift import power_curve
    from embviz.metrics import isoscore
    from embviz.stats import bootstrap_ci

    A = rng.normal(size=(20, 4))
    es = _set(A, ["x"] * 20, time=np.arange(20))
    calls = [lambda n: mmd_test(A, A + 1, n_permutations=n),
             lambda n: energy_test(A, A + 1, n_resamples=n),
             lambda n: centroid_shift(A, A + 1, n_permutations=n),
             lambda n: classifier_test(A, A + 1, n_permutations=n),
             lambda n: two_sample_table(A, A + 1, tests=("depth",), n_permutations=n),
             lambda n: drift_over_time(es, window=2, n_permutations=n),
             lambda n: power_curve(A, A, sizes=[5], n_resamples=n),
             lambda n: power_curve(A, A, sizes=[5], n_permutations=n),
             lambda n: bootstrap_ci(isoscore, A, n_resamples=n)]
    for call in calls:
        with pytest.raises(ValueError, match=r"must be an integer in \[\d+, 1,000,000\], got "
                                             r"1,000,000,000,000: a million replicates"):
            call(10**12)
    monkeypatch.setattr("embviz._validation.available_memory", lambda: 50 * 2**20)  # 50 MiB
    for test, name in ((mmd_test, "mmd_test"), (energy_test, "energy_test"),
                       (centroid_shift, "centroid_shift")):
        with pytest.raises(ValueError, match=rf"{name} with n_permutations=1,000,000 and "
                                             rf"n_resamples=200 on 40 pooled rows needs about "
                                             rf"[\d.]+ MiB of memory, more than the 50.0 MiB "
                                             rf"available; .*lower n_permutations"):
            test(A, A + 1, n_permutations=10**6)
    assert mmd_test(A, A + 1, n_permutations=100, progress=False).p_value < 0.05  # fits


def test_drift_over_time_with_two_distinct_times(rng):
    """The Bible's case: times 1769 and 2020 only. Five windows asked for: the two periods
    that exist are compared (1769 the reference), and a single period is a clear error."""
    years = np.repeat([1769, 2020], 60)
    X = rng.normal(size=(120, 5))
    X[years == 2020] += 1.0
    es = _set(X, [f"t{i}" for i in range(120)], time=years)
    out = drift_over_time(es, window=5, n_permutations=100, random_state=0)
    assert out["window"].tolist() == [1769, 2020]
    assert out["is_reference"].tolist() == [True, False] and out["n"].tolist() == [0, 60]
    assert out["p_value"].iloc[1] < 0.05
    single = _set(X[:60], [f"t{i}" for i in range(60)], time=years[:60])
    with pytest.raises(ValueError, match=r"single window \(1 distinct value: 1769\)"):
        drift_over_time(single, window=5)
