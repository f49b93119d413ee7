"""Inference for comparisons of embedding spaces: a permutation test of rank correlation and a
document bootstrap of agreement with human similarity judgements (their multiplicity
corrections, percentile intervals and bootstrap p-values live in :mod:`embviz.stats`).
"""

from __future__ import annotations

import numpy as np

from .._blocks import unit_rows
from .._validation import check_embeddings, check_replicates
from .tasks import _gold

__all__ = ["similarity_bootstrap", "spearman_permutation_test"]


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
        Random re-pairings (permutations) of ``b`` that sample the null distribution, between
        10 and 1,000,000; all n! are enumerated when n! ≤ ``n_permutations``.
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


def similarity_bootstrap(spaces, gold, n_resamples: int = 1000, random_state: int | None = 0,
                         progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
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
        Bootstrap resamples of the documents (between 10 and 1,000,000).
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the resamples.

    Returns
    -------
    estimates : ndarray of shape (m,), ρ on all n documents (as :func:`similarity_correlation`)
    replicates : ndarray of shape (n_resamples, m)

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 13 (percentile
    intervals: :func:`embviz.stats.percentile_interval`); Davison & Hinkley (1997), section 3.8
    (resampling the units of a multi-sample/U-statistic design).
    """
    from scipy import stats

    from .._progress import progress_bar

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
    for r in progress_bar(range(n_resamples), desc="document bootstrap", unit="resample",
                          disable=not progress):
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
