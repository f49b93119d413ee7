"""embviz.stats, the one home of the package's statistics: known answers from the papers and
independent references (statsmodels, scipy), the permutation floor, intervals as named
fields, bad input refused naming the argument, and no second implementation elsewhere."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest
from scipy import stats as sps

from embviz import stats

#: Benjamini & Hochberg (1995), section 4.1: the 15 p-values of a study of myocardial
#: infarction treatments (Neuhaus et al. 1992).
BH_1995 = np.array([0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
                    0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000])


# ------------------------------------------------------------------------- multiplicity
def test_benjamini_hochberg_on_the_papers_example():
    """By hand: q₍ᵢ₎ = min_{j ≥ i} 15 p₍ⱼ₎ / j, e.g. q₍₄₎ = 15 · 0.0095 / 4 = 0.035625 and
    q₍₆₎ = min(15 · 0.0278 / 6, 15 · 0.0298 / 7) = 0.0638571. At 0.05 the paper rejects the
    four smallest. Tolerance 1e-6 (the hand values are rounded to 7 digits)."""
    q = stats.benjamini_hochberg(BH_1995)
    expected = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571, 0.0638571, 0.0645,
                0.0765, 0.486, 0.5811818, 0.714875, 0.7532308, 0.8132143, 1.0]
    np.testing.assert_allclose(q, expected, atol=1e-6)
    assert (q < 0.05).sum() == 4
    shuffled = np.random.default_rng(0).permutation(15)  # input order is kept
    np.testing.assert_array_equal(stats.benjamini_hochberg(BH_1995[shuffled]), q[shuffled])


def test_holm_on_the_papers_example_and_by_hand():
    """Sorted 0.01, 0.03, 0.04 times 3, 2, 1, made monotone; on the 15 p-values, Holm
    rejects the three smallest at 0.05 (15 · 0.0001, 14 · 0.0004, 13 · 0.0019 = 0.0247,
    then 12 · 0.0095 = 0.114)."""
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    adjusted = stats.holm(BH_1995)
    np.testing.assert_allclose(adjusted[:4], [0.0015, 0.0056, 0.0247, 0.114], atol=1e-12)
    assert (adjusted < 0.05).sum() == 3


def test_corrections_match_statsmodels(rng):
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    for m in (1, 2, 7, 50, 400):
        p = rng.uniform(size=m) ** 3
        np.testing.assert_allclose(stats.benjamini_hochberg(p),
                                   multipletests(p, method="fdr_bh")[1], rtol=1e-12)
        np.testing.assert_allclose(stats.holm(p), multipletests(p, method="holm")[1],
                                   rtol=1e-12)


def test_benjamini_hochberg_is_scipys():
    np.testing.assert_array_equal(stats.benjamini_hochberg(BH_1995),
                                  sps.false_discovery_control(BH_1995, method="bh"))


@pytest.mark.parametrize("correction", [stats.benjamini_hochberg, stats.holm])
def test_omit_adjusts_over_the_tested_entries_only(correction):
    p = np.array([np.nan, 0.01, 0.04, np.nan, 0.03])
    out = correction(p, nan_policy="omit")
    assert np.isnan(out[[0, 3]]).all()
    np.testing.assert_array_equal(out[[1, 2, 4]], correction(p[[1, 2, 4]]))
    assert np.isnan(correction([np.nan, np.nan], nan_policy="omit")).all()
    assert correction([]).size == 0


@pytest.mark.parametrize("correction", [stats.benjamini_hochberg, stats.holm])
@pytest.mark.parametrize("bad, error, match", [
    ([0.1, np.nan], ValueError, r"p_values must be .*first nan at position 1"),
    ([0.1, 1.5], ValueError, "p_values must be a 1-D array of values in \\[0, 1\\]"),
    ([-0.1], ValueError, "p_values"),
    ([[0.1, 0.2]], ValueError, "p_values must be a 1-D"),
    (["low"], TypeError, "p_values"),
])
def test_corrections_refuse_what_is_not_a_p_value(correction, bad, error, match):
    with pytest.raises(error, match=match):
        correction(bad)


def test_omit_still_refuses_values_outside_the_unit_interval():
    with pytest.raises(ValueError, match="p_values"):
        stats.benjamini_hochberg([np.nan, 1.5], nan_policy="omit")
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        stats.holm([0.1], nan_policy="propagate")


# ---------------------------------------------------------------------------- intervals
def test_wilson_matches_statsmodels_and_is_an_interval(rng):
    proportion_confint = pytest.importorskip("statsmodels.stats.proportion").proportion_confint
    trials = rng.integers(1, 200, size=50)
    successes = (rng.uniform(size=50) * (trials + 1)).astype(int).clip(0, trials)
    for confidence in (0.8, 0.95, 0.99):
        interval = stats.wilson_interval(successes, trials, confidence)
        assert isinstance(interval, stats.Interval)
        assert interval.confidence == confidence and "Wilson" in interval.method
        low, high = proportion_confint(successes, trials, alpha=1 - confidence,
                                       method="wilson")
        np.testing.assert_allclose(interval.ci_low, low, atol=1e-12)
        np.testing.assert_allclose(interval.ci_high, high, atol=1e-12)
    assert stats.wilson_interval(0, 10).ci_low == 0.0
    assert stats.wilson_interval(10, 10).ci_high == pytest.approx(1.0)


def test_an_interval_is_never_a_tuple():
    for interval in (stats.wilson_interval(3, 10), stats.percentile_interval(np.arange(50.0))):
        assert not isinstance(interval, tuple)
        with pytest.raises(TypeError):
            low, high = interval
    X = np.random.default_rng(0).normal(size=(60, 2))
    estimate = stats.bootstrap_ci(lambda V: V[:, 0].mean(), X, n_resamples=50)
    assert isinstance(estimate, stats.Estimate) and not isinstance(estimate, tuple)
    assert estimate.ci_low < estimate.value < estimate.ci_high


def test_percentile_interval_by_hand():
    """Quantiles 0.05 and 0.95 of 0, 1, ..., 100 (linear interpolation) are 5 and 95."""
    interval = stats.percentile_interval(np.arange(101.0), confidence=0.9)
    assert (interval.ci_low, interval.ci_high) == pytest.approx((5.0, 95.0), abs=1e-12)
    columns = stats.percentile_interval(np.c_[np.arange(101.0), 2 * np.arange(101.0)], 0.9)
    np.testing.assert_allclose(columns.ci_low, [5, 10])


def test_half_samples_take_a_seed_or_the_callers_generator():
    rows = stats.half_samples(11, 4, random_state=3)
    assert rows.shape == (4, 5) and (np.diff(rows, axis=1) > 0).all()
    np.testing.assert_array_equal(rows, stats.half_samples(11, 4, np.random.default_rng(3)))
    rng = np.random.default_rng(3)
    first, second = stats.half_samples(11, 4, rng), stats.half_samples(11, 4, rng)
    assert not np.array_equal(first, second)  # one stream, advanced


def test_bootstrap_p_value_floor_and_symmetry():
    assert stats.bootstrap_p_value(np.ones(999)) == pytest.approx(2 / 1000)
    assert stats.bootstrap_p_value(np.r_[-np.ones(500), np.ones(500)]) == 1.0


# ------------------------------------------------------------------ permutation p-values
def test_permutation_p_value_counts_the_observed_labelling_and_has_a_floor():
    assert stats.permutation_p_value(3.0, [0.5, 1.0, 3.0, 0.2]) == pytest.approx(2 / 5)
    for B in (1, 9, 99, 999):
        p = stats.permutation_p_value(1.0, np.zeros(B))
        assert p == stats.p_value_floor(B) == pytest.approx(1 / (B + 1)) and p > 0
    assert stats.permutation_p_value(0.0, np.ones(9)) == 1.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: stats.permutation_p_value(1.0, []), ValueError, "null must be a non-empty"),
    (lambda: stats.permutation_p_value(np.nan, [1.0]), ValueError, "observed"),
    (lambda: stats.permutation_p_value(1.0, [0.5, np.inf]), ValueError, "null holds"),
    (lambda: stats.p_value_floor(0), ValueError, "n_permutations"),
])
def test_permutation_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- tests of proportions
def test_mcnemar_is_the_exact_binomial_test(rng):
    for _ in range(20):
        a, b = rng.uniform(size=80) < 0.7, rng.uniform(size=80) < rng.uniform(0.3, 0.9)
        result = stats.mcnemar_test(a, b)
        only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
        assert (result.only_a, result.only_b) == (only_a, only_b)
        assert result.p_value == sps.binomtest(only_b, only_a + only_b, 0.5).pvalue
    assert stats.mcnemar_test(a, a).p_value == 1.0


def test_mcnemar_matches_statsmodels():
    mcnemar = pytest.importorskip("statsmodels.stats.contingency_tables").mcnemar
    a = np.array([True] * 10 + [False] * 2 + [True] * 5)
    b = np.array([False] * 10 + [True] * 2 + [True] * 5)
    table = [[5, 10], [2, 0]]  # rows a right / wrong, columns b right / wrong
    assert stats.mcnemar_test(a, b).p_value == pytest.approx(
        mcnemar(table, exact=True).pvalue, rel=1e-12)


def test_two_proportion_test_matches_statsmodels():
    proportions_ztest = pytest.importorskip("statsmodels.stats.proportion").proportions_ztest
    z, p = stats.two_proportion_test([30, 12], 100, [10, 15], 120)
    for i, (x_a, x_b) in enumerate([(30, 10), (12, 15)]):
        z_ref, p_ref = proportions_ztest([x_a, x_b], [100, 120])
        assert z[i] == pytest.approx(z_ref, rel=1e-12) and p[i] == pytest.approx(p_ref,
                                                                                   rel=1e-10)


def test_two_proportion_and_mcnemar_bad_input():
    with pytest.raises(ValueError, match="x_a must not exceed n_a"):
        stats.two_proportion_test(5, 3, 1, 3)
    with pytest.raises(TypeError, match="n_b"):
        stats.two_proportion_test(1, 3, 1, 3.5)
    with pytest.raises(ValueError, match="a and b must be boolean"):
        stats.mcnemar_test(np.ones(3), np.ones(3))


# ------------------------------------------------------------------------ one home only
def test_no_second_implementation_outside_embviz_stats():
    """BH, Holm, the exact binomial test and the Wilson formula appear in embviz.stats only:
    a q-value computed elsewhere (e.g. inside a figure builder) is a second source of
    truth."""
    package = pathlib.Path(stats.__file__).parents[1]
    pattern = re.compile(r"false_discovery_control|binomtest|np\.minimum\.accumulate|"
                         r"np\.maximum\.accumulate\(\(m|def (benjamini_hochberg|holm|"
                         r"permutation_p_value|mcnemar_test|two_proportion_test)\b")
    found = [f"{path.relative_to(package)}:{i}"
             for path in package.rglob("*.py") if "stats" not in path.relative_to(package).parts
             for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, f"statistics computed outside embviz.stats: {found}"
