"""Inference for comparisons of embedding spaces: multiplicity correction, a permutation test of
rank correlation, and a document bootstrap of agreement with human similarity judgements.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_embeddings,
    check_number,
    check_p_values,
    check_replicates,
    unit_rows,
)
from .tasks import _gold

__all__ = ["bootstrap_p_value", "holm", "percentile_interval", "similarity_bootstrap",
           "spearman_permutation_test"]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    With the m p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted value of p₍ᵢ₎ is
    max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎); rejecting where it is below α controls the
    probability of any false rejection at α under any dependence between the tests.

    Parameters
    ----------
    p_values : array-like of shape (m,), values in [0, 1]
        NaN or values outside [0, 1] are refused (``ValueError``).

    Returns
    -------
    ndarray of shape (m,), float64, in the input order

    References
    ----------
    Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian
    Journal of Statistics 6(2), 65–70.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = check_p_values(p_values)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted


def spearman_permutation_test(a, b, n_permutations: int = 100_000,
                              random_state: int | None = 0) -> tuple[float, float]:
    """Spearman's ρ of two paired samples and its two-sided permutation p-value.

    The null distribution re-pairs ``b`` with ``a`` at random; it is enumerated exactly when
    n! ≤ ``n_permutations`` (n ≤ 8 at the default), else sampled (the p-value then counts
    the observed pairing, (1 + #{|ρ*| ≥ |ρ|}) / (1 + B), via scipy).

    Parameters
    ----------
    a, b : array-like of shape (n,), n >= 3
        Finite numbers, neither constant (ρ is undefined for a constant sample).
    n_permutations : int, default 100,000
    random_state : int or None, default 0

    Returns
    -------
    (rho, p_value) : tuple of float

    References
    ----------
    Pitman (1937), "Significance tests which may be applied to samples from any populations.
    II. The correlation coefficient test", JRSS Supplement 4(2).
    """
    from scipy import stats

    a, b = _paired_values(a, "a"), _paired_values(b, "b")
    if a.shape != b.shape or a.ndim != 1 or len(a) < 3:
        raise ValueError(f"a and b must be 1-D of the same length >= 3, got {a.shape}, {b.shape}")
    for name, values in (("a", a), ("b", b)):
        if values.min() == values.max():
            raise ValueError(f"{name} is constant (all {len(values)} values equal "
                             f"{values[0]:g}): Spearman's rho is undefined, and so is a test "
                             f"of it")
    n_permutations = check_replicates(n_permutations, "n_permutations", minimum=10)
    ra, rb = stats.rankdata(a), stats.rankdata(b)

    centred_a = ra - ra.mean()

    def rho(y, axis=-1):  # only b is re-paired: n! pairings (scipy permutes one sample)
        y = y - y.mean(axis, keepdims=True)
        return (centred_a * y).sum(axis) / np.sqrt((centred_a @ centred_a) * (y * y).sum(axis))

    result = stats.permutation_test((rb,), rho, permutation_type="pairings", vectorized=True,
                                    n_resamples=n_permutations, alternative="two-sided",
                                    random_state=np.random.default_rng(random_state))
    return float(result.statistic), float(min(1.0, result.pvalue))


def _paired_values(values, name: str) -> np.ndarray:
    """``values`` as a float64 array of finite numbers (shape checked by the caller)."""
    try:
        values = np.asarray(values, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers, got "
                        f"{type(values).__name__}") from None
    bad = np.flatnonzero(~np.isfinite(values.ravel()))
    if bad.size:
        raise ValueError(f"{name} holds {bad.size} NaN or infinite value(s), first at "
                         f"position {int(bad[0])}")
    return values


def similarity_bootstrap(spaces, gold, n_resamples: int = 1000,
                         random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Document bootstrap of the Spearman correlation of cosine similarities with gold ones.

    The unit of resampling is the document, not the pair: pairs share documents, so resampling
    pairs would understate the variance. Each replicate draws n documents with replacement and
    correlates the pairs of distinct draws whose documents differ (a document drawn twice is not
    paired with itself). Every space uses the same draws, so differences between spaces have
    paired replicates (their interval accounts for the correlation between settings).

    Parameters
    ----------
    spaces : sequence of m arrays of shape (n, d_i), the same n documents in each
    gold : array of shape (n, n), symmetric gold similarities
    n_resamples : int, default 1000
    random_state : int or None, default 0

    Returns
    -------
    estimates : ndarray of shape (m,), ρ on all n documents (as :func:`similarity_correlation`)
    replicates : ndarray of shape (n_resamples, m)

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 13 (percentile
    intervals: :func:`percentile_interval`); Davison & Hinkley (1997), section 3.8
    (resampling the units of a multi-sample/U-statistic design).
    """
    from scipy import stats

    if isinstance(spaces, np.ndarray) and spaces.ndim == 2:
        raise TypeError("spaces must be a sequence of arrays (n, d_i), one per space; got one "
                        "2-D array: wrap it in a list, [X]")
    spaces = list(spaces)
    if not spaces:
        raise ValueError("spaces is empty: give at least one array of shape (n, d)")
    cosines = [unit_rows(check_embeddings(X, name=f"spaces[{i}]", min_rows=3), np.float64,
                         name=f"spaces[{i}]") for i, X in enumerate(spaces)]
    n = len(cosines[0])
    if any(len(U) != n for U in cosines):
        raise ValueError(f"spaces must hold the same n documents each, got "
                         f"{[len(U) for U in cosines]} rows")
    cosines = [U @ U.T for U in cosines]
    gold = _gold(gold, n)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    upper = np.triu_indices(n, k=1)
    estimates = np.array([stats.spearmanr(S[upper], gold[upper]).statistic for S in cosines])
    rng = np.random.default_rng(random_state)
    replicates = np.empty((n_resamples, len(cosines)))
    for r in range(n_resamples):
        draw = rng.choice(n, n, replace=True)
        i, j = draw[upper[0]], draw[upper[1]]
        keep = i != j
        i, j = i[keep], j[keep]
        ranks = stats.rankdata(np.stack([S[i, j] for S in cosines]), axis=1)
        replicates[r] = _pearson_rows(ranks, stats.rankdata(gold[i, j]))
    return estimates, replicates


def _pearson_rows(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``A`` (m, p) with ``b`` (p,)."""
    A = A - A.mean(1, keepdims=True)
    b = b - b.mean()
    return (A @ b) / np.sqrt((A * A).sum(1) * (b @ b))


def percentile_interval(replicates, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of bootstrap replicates (Efron & Tibshirani 1993, 13.3).

    Parameters
    ----------
    replicates : array of shape (n_resamples,) or (n_resamples, m)
    confidence : float in (0, 1), default 0.95

    Returns
    -------
    low, high : float or ndarray of shape (m,)
    """
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    try:
        values = np.asarray(replicates, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"replicates must be an array of numbers, got "
                        f"{type(replicates).__name__}") from None
    if values.ndim not in (1, 2) or len(values) == 0:
        raise ValueError(f"replicates must have shape (n_resamples,) or (n_resamples, m) with "
                         f"at least one replicate, got shape {values.shape}")
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(values, [alpha, 1 - alpha], axis=0)
    return low, high


def bootstrap_p_value(differences) -> float:
    """Two-sided bootstrap p-value of H0: the difference is 0, from its replicates.

    Twice the smaller share of replicates on either side of 0 (the percentile-interval test:
    p < α exactly when the (1 − α) percentile interval excludes 0), with the replicate count
    added to numerator and denominator so that p is never 0.

    Parameters
    ----------
    differences : array of shape (n_resamples,)
        Bootstrap replicates of a paired difference (e.g. columns of
        :func:`similarity_bootstrap` replicates subtracted).

    Returns
    -------
    float in (0, 1]

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 16.
    """
    try:
        d = np.asarray(differences, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"differences must be a 1-D array of numbers, got "
                        f"{type(differences).__name__}") from None
    if d.ndim != 1:
        raise ValueError(f"differences must be 1-D (one replicate each), got shape {d.shape}")
    d = d[np.isfinite(d)]
    if not len(d):
        raise ValueError("differences has no finite replicate")
    below, above = (d <= 0).sum(), (d >= 0).sum()
    return float(min(1.0, 2 * (min(below, above) + 1) / (len(d) + 1)))
