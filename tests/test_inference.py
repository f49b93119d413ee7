"""Holm's correction, the Spearman permutation test and the document bootstrap of agreement
with gold similarities: hand-computed answers and exact cases."""

import itertools

import numpy as np
import pytest
from scipy import stats

from embviz.metrics import (
    similarity_bootstrap,
    similarity_correlation,
    spearman_permutation_test,
)
from embviz.stats import holm, percentile_interval


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3·0.01, 2·0.03, max(0.06, 1·0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([0.2]) == pytest.approx([0.2])


def test_holm_is_bonferroni_at_the_smallest_and_monotone(rng):
    p = rng.uniform(size=20)
    adjusted = holm(p)
    assert adjusted[np.argmin(p)] == pytest.approx(min(1, 20 * p.min()))
    assert np.all(np.diff(adjusted[np.argsort(p)]) >= 0)
    assert np.all(adjusted >= p)


def test_holm_refuses_bad_input():
    with pytest.raises(ValueError):
        holm([0.1, 1.5])


def test_spearman_permutation_test_is_exact_for_small_n():
    # n = 5: of the 120 pairings, |ρ| >= 0.9 for the identity, its 4 adjacent swaps and their
    # 5 mirror images: p = 10/120
    rho, p_value = spearman_permutation_test([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])
    assert rho == pytest.approx(0.9)
    assert p_value == pytest.approx(10 / 120)


def test_spearman_permutation_test_matches_enumeration(rng):
    a, b = rng.normal(size=6), rng.normal(size=6)
    rho = stats.spearmanr(a, b).statistic
    null = [stats.spearmanr(a, np.array(perm)).statistic for perm in itertools.permutations(b)]
    expected = np.mean(np.abs(null) >= abs(rho) - 1e-12)
    got_rho, got_p = spearman_permutation_test(a, b)
    assert got_rho == pytest.approx(rho)
    assert got_p == pytest.approx(expected)


def test_similarity_bootstrap_estimate_and_perfect_agreement(rng):
    X = rng.normal(size=(25, 4))
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    gold = U @ U.T  # gold = the cosines of X: ρ = 1 on every draw of documents
    noisy = X + rng.normal(size=X.shape)
    estimates, replicates = similarity_bootstrap([X, noisy], gold, n_resamples=50)
    assert estimates == pytest.approx([1.0, similarity_correlation(noisy, gold)])
    assert replicates.shape == (50, 2)
    assert replicates[:, 0] == pytest.approx(np.ones(50))
    interval = percentile_interval(replicates[:, 1])
    assert interval.ci_low < estimates[1] < interval.ci_high


def test_similarity_bootstrap_covers_the_population_value(rng):
    # documents drawn from a population; the interval of a small sample should cover the
    # large-sample value in most repetitions (a coarse coverage check, 20 repetitions)
    def sample(n):
        Z = rng.normal(size=(n, 3))
        U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        noisy = Z + 0.8 * rng.normal(size=Z.shape)
        return noisy, U @ U.T

    truth = similarity_correlation(*sample(600))
    covered = 0
    for seed in range(20):
        X, gold = sample(40)
        _, replicates = similarity_bootstrap([X], gold, n_resamples=200, random_state=seed)
        interval = percentile_interval(replicates[:, 0])
        covered += interval.ci_low[()] <= truth <= interval.ci_high[()]
    assert covered >= 16
