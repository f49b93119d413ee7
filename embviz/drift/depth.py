"""Transformer-based text embedding (TTE) depth and the depth rank test of Seegmiller & Preum.

With cosine distance δ(x, h) = 1 − cos(x, h), the TTE depth of x with respect to a sample F is
D(x, F) = 2 − mean_h δ(x, h) = 1 + x̂ᵀ mean_h ĥ (unit vectors x̂, ĥ), so every depth costs
O(d) after one pass over F: no pairwise matrix.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .._validation import check_embeddings, check_number, unit_rows
from ._inputs import MIN_SAMPLE, check_samples
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


def auc_interval(auc: float, n_pos: int, n_neg: int, confidence: float = 0.95):
    """Hanley–McNeil (1982) normal interval of an AUC / Mann–Whitney probability.

    Parameters
    ----------
    auc : float
        P(score of a positive > score of a negative) (+ ties / 2).
    n_pos, n_neg : int
    confidence : float

    Returns
    -------
    (low, high) : tuple of float, clipped to [0, 1]
    """
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2)
           + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    half = stats.norm.ppf((1 + confidence) / 2) * np.sqrt(max(var, 0.0))
    return (float(max(auc - half, 0.0)), float(min(auc + half, 1.0)))


def depth_test(a, b, confidence: float = 0.95) -> TwoSampleResult:
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
    confidence : float, default 0.95

    Depth definitions and test direction follow the authors' ``tte_depth`` package
    (``StatDepth.depth_rank_test``). Q is estimated here by the Mann–Whitney proportion over
    all (a, b) pairs, an unbiased estimate of P(D(X;F) ≤ D(Y;F)); the package instead averages
    pooled-rank fractions, which shrinks Q towards 0.5.

    Returns
    -------
    TwoSampleResult
        statistic = Q; effect_size = Q with a Hanley–McNeil interval. The test is one-sided:
        a ``b`` that is MORE central than ``a`` (e.g. a narrower sample around the same centre)
        is not flagged; use :func:`mmd_test` for any difference.

    References
    ----------
    Seegmiller & Preum (2023), "Statistical Depth for Ranking and Characterizing
    Transformer-Based Text Embeddings", EMNLP (TTE depth, Q and the Wilcoxon rank-sum test).
    """
    A, B = check_samples(a, b, MIN_SAMPLE)
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    F = unit_rows(A, name="a")
    depth_a = _reference_depths(F)
    depth_b = 1 + unit_rows(B, name="b") @ F.mean(0)
    u_b, p = stats.mannwhitneyu(depth_b, depth_a, alternative="less", method="asymptotic")
    q = float(u_b / (len(A) * len(B)))  # P(D_b > D_a) + ties/2 = P(D_a <= D_b) up to ties
    return TwoSampleResult(q, float(p), q, auc_interval(q, len(B), len(A), confidence),
                           len(A), len(B), "depth",
                           {"depth": "TTE, cosine, reference = a (leave-one-out)",
                            "alternative": "b less deep than a", "confidence": confidence,
                            "ci_method": "Hanley-McNeil normal interval",
                            "effect": "Q = P(D(X;F) <= D(Y;F)); 0.5 = no difference"})
