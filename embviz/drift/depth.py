"""Transformer-based text embedding (TTE) depth and the depth rank test of Seegmiller & Preum.

With cosine distance δ(x, h) = 1 − cos(x, h), the TTE depth of x with respect to a sample F is
D(x, F) = 2 − mean_h δ(x, h) = 1 + x̂ᵀ mean_h ĥ (unit vectors x̂, ĥ), so every depth costs
O(d) after one pass over F: no pairwise matrix.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .._blocks import unit_rows
from .._validation import check_embeddings, check_number, check_replicates
from ._inputs import MIN_SAMPLE, check_samples
from ._intervals import HALF_SAMPLING_TWO, half_sampling_interval, two_sample_half_samples
from ._result import TwoSampleResult

__all__ = ["auc_interval", "depth_test", "tte_depth"]


def _reference_depths(F_unit: np.ndarray) -> np.ndarray:
    """Leave-one-out depths of the reference rows (a row is not compared with itself)."""
    total = F_unit.sum(0)
    n = len(F_unit)
    return 1 + ((F_unit @ total) - 1.0) / (n - 1)


def tte_depth(X, reference=None) -> np.ndarray:
    """TTE depth of each row of ``X`` with respect to the sample ``reference``.

    Parameters
    ----------
    X : array (n, d) or EmbeddingSet
    reference : array (m, d) or EmbeddingSet, optional
        The sample F (m >= 2). Omitted: ``X`` is its own reference and each row is left out
        of its own depth (so these depths are comparable with depths of new points).

    Returns
    -------
    ndarray of shape (n,), values in [0, 2]
        D(x, F) = 2 − mean cosine distance from x to the rows of F; larger = more central.

    References
    ----------
    Seegmiller & Preum (2023), "Statistical Depth for Ranking and Characterizing
    Transformer-Based Text Embeddings", EMNLP, definition of TTE depth.

    Examples
    --------
    >>> F = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> tte_depth(np.array([[1.0, 1.0], [1.0, -1.0]]), F).round(3)
    array([1.805, 1.   ])
    """
    if reference is None:
        return _reference_depths(unit_rows(check_embeddings(X, "X", 2), name="X"))
    F = unit_rows(check_embeddings(reference, "reference", 2), name="reference")
    Xu = unit_rows(check_embeddings(X, "X"), name="X")
    if Xu.shape[1] != F.shape[1]:
        raise ValueError(f"X and reference must have the same dimension; got "
                         f"{Xu.shape[1]} and {F.shape[1]}")
    return 1 + Xu @ F.mean(0)


def _hanley_mcneil_variance(auc: float, n_pos: int, n_neg: int) -> float:
    """Var(AUC) of Hanley & McNeil (1982), eq. 2, at the AUC value ``auc``."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2)
            + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)


def auc_interval(auc: float, n_pos: int, n_neg: int, confidence: float = 0.95):
    """Score interval of an AUC / Mann–Whitney probability of independent scores.

    The AUC values θ not rejected by |AUC − θ| ≤ z · √V(θ), V the Hanley–McNeil variance
    evaluated at θ rather than at the estimate (the score form of Newcombe 2006): at θ = 0.5
    V is the exact Mann–Whitney null variance, and the interval stays inside [0, 1].
    Measured on 10,000 draws of independent normal scores, 50 per class: 95.2 % coverage at
    θ = 0.5, 95.2 % at 0.64, 96.2 % at 0.86, 97.6 % at 0.96 (the Hanley–McNeil Wald
    interval with V at the estimate: 94.1–94.5 %).

    Parameters
    ----------
    auc : float
        P(score of a positive > score of a negative) (+ ties / 2).
    n_pos, n_neg : int
    confidence : float

    Returns
    -------
    (low, high) : tuple of float, within [0, 1]

    References
    ----------
    Hanley & McNeil (1982), Radiology 143; Newcombe (2006), "Confidence intervals for an
    effect size measure based on the Mann–Whitney statistic. Part 2: asymptotic methods and
    evaluation", Statistics in Medicine 25.
    """
    from scipy import optimize

    z2 = stats.norm.ppf((1 + confidence) / 2) ** 2

    def excess(theta: float) -> float:
        return (auc - theta) ** 2 - z2 * _hanley_mcneil_variance(theta, n_pos, n_neg)

    # V vanishes at 0 and 1: an estimate on a bound is itself a (trivial) root, so the
    # search for the other end starts just inside the bound
    inner = min(auc, 1 - 1e-12), max(auc, 1e-12)
    low = 0.0 if excess(0.0) <= 0 else optimize.brentq(excess, 0.0, inner[0])
    high = 1.0 if excess(1.0) <= 0 else optimize.brentq(excess, inner[1], 1.0)
    return (float(low), float(high))


def _depth_q(depth_a: np.ndarray, depth_b: np.ndarray) -> np.ndarray:
    """Mann–Whitney proportion P(D_a < D_b) + ties / 2 of each row pair (R, n_a), (R, n_b).

    Returns
    -------
    ndarray of shape (R,)
    """
    n_a, n_b = depth_a.shape[1], depth_b.shape[1]
    ranks = stats.rankdata(np.concatenate([depth_a, depth_b], axis=1), axis=1)
    return (ranks[:, n_a:].sum(1) - n_b * (n_b + 1) / 2) / (n_a * n_b)


def _half_sample_q(F: np.ndarray, G: np.ndarray, n_resamples: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Q recomputed on half-samples of the unit rows F (reference) and G, shape (R,).

    Each replicate's reference is its own half of ``a`` (leave-one-out depths within it).
    Memory O((n_a + n_b) · R + R · d): no (R, m, d) gather.
    """
    rows_a, rows_b = two_sample_half_samples(len(F), len(G), n_resamples, rng)
    m = rows_a.shape[1]
    chosen = np.zeros((n_resamples, len(F)))
    np.put_along_axis(chosen, rows_a, 1.0, axis=1)
    totals = chosen @ F  # (R, d): the sum of each half of a
    own = np.take_along_axis((F @ totals.T).T, rows_a, axis=1)
    depth_a = 1 + (own - 1.0) / (m - 1)
    depth_b = 1 + np.take_along_axis((G @ totals.T).T / m, rows_b, axis=1)
    return _depth_q(depth_a, depth_b)


def depth_test(a, b, n_resamples: int = 200, confidence: float = 0.95,
               random_state: int | None = 0) -> TwoSampleResult:
    """Depth rank test: are ``b``'s texts less central in ``a`` than ``a``'s own texts?

    Depths are taken with respect to the reference ``a`` (its own rows leave-one-out).
    Q = P(D(X; F) ≤ D(Y; F)), X from ``a`` = F, Y from ``b``: Q = 0.5 when ``b`` is distributed
    like ``a``, Q < 0.5 when ``b`` lies in the outskirts of ``a``. The p-value is the one-sided
    Wilcoxon rank-sum (Mann–Whitney U) test with alternative "depths of b are stochastically
    smaller" (asymptotic, tie-corrected).

    Parameters
    ----------
    a : array (n_a, d) or EmbeddingSet
        Reference sample F, at least 5 rows.
    b : array (n_b, d) or EmbeddingSet
        Comparison sample G, same d, at least 5 rows.
    n_resamples : int, default 200
        Half-sample pairs of the interval (0: no interval, NaN); at most 1,000,000.
    confidence : float, default 0.95
    random_state : int or None, default 0
        Seeds the half-samples.

    Depth definitions and test direction follow the authors' ``tte_depth`` package
    (``StatDepth.depth_rank_test``). Q is estimated here by the Mann–Whitney proportion over
    all (a, b) pairs, an unbiased estimate of P(D(X;F) ≤ D(Y;F)) for a known centre of F; the
    package instead averages pooled-rank fractions, which shrinks Q towards 0.5.

    Returns
    -------
    TwoSampleResult
        statistic = effect_size = Q. The interval is for θₙ = E[Qₙ], the mean of Q over
        samples of these sizes, which differs from the population Q (depths from the true
        centre) by O(1/n) (measured: 0.002 at n = 100 per side, a twentieth of Q's standard
        error). The depths share the estimated centre of ``a``, so their ranks are not
        independent: the interval is made by half-sampling within each sample (⌊n_a/2⌋ rows
        of ``a`` as the reference with ⌊n_b/2⌋ rows of ``b``), estimate ± t · SE, clipped to
        [0, 1] (:mod:`embviz.drift._intervals`; coverage in
        ``tests/test_two_sample_coverage.py``). The Hanley–McNeil interval used before
        treated the depths as independent scores and covered 91 % for a nominal 95 % in a
        development run (n = 100 per side, Q ≈ 0.45). The test is one-sided: a ``b`` that is
        MORE central than ``a`` (e.g. a narrower sample around the same centre) is not
        flagged; use :func:`mmd_test` for any difference.

    References
    ----------
    Seegmiller & Preum (2023), "Statistical Depth for Ranking and Characterizing
    Transformer-Based Text Embeddings", EMNLP (TTE depth, Q and the Wilcoxon rank-sum test).
    Shao & Wu (1989), Annals of Statistics 17(3) (delete-d jackknife variance).
    """
    A, B = check_samples(a, b, MIN_SAMPLE)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=0)
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    F, G = unit_rows(A, name="a"), unit_rows(B, name="b")
    depth_a = _reference_depths(F)
    depth_b = 1 + G @ F.mean(0)
    p = stats.mannwhitneyu(depth_b, depth_a, alternative="less", method="asymptotic").pvalue
    q = float(_depth_q(depth_a[None], depth_b[None])[0])  # P(D_a < D_b) + ties/2
    replicates = _half_sample_q(F, G, n_resamples, np.random.default_rng(random_state))
    low, high = half_sampling_interval(q, replicates, len(A), len(B), confidence)
    return TwoSampleResult(q, float(p), q, max(low, 0.0), min(high, 1.0),  # NaN stays NaN
                           len(A), len(B), "depth",
                           {"depth": "TTE, cosine, reference = a (leave-one-out)",
                            "alternative": "b less deep than a", "n_resamples": n_resamples,
                            "confidence": confidence, "ci_method": HALF_SAMPLING_TWO,
                            "ci_target": "E[Q] at these sample sizes",
                            "random_state": random_state,
                            "effect": "Q = P(D(X;F) <= D(Y;F)); 0.5 = no difference"})
