"""The classical bootstrap: a percentile interval of a per-row measure over rows drawn with
replacement, and the two-sided p-value of a paired difference from its replicates.

Rows drawn twice break spectral and neighbour-based measures (a duplicate is its own nearest
neighbour at distance 0 and a repeated direction in every second moment): those use the
half-samples of :func:`embviz.stats.half_samples` and
:func:`embviz.metrics.subsampling_ci` instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._progress import progress_bar
from .._validation import check_embeddings, check_measure, check_number, check_replicates
from .intervals import Estimate

__all__ = ["bootstrap_ci", "bootstrap_p_value"]

#: How :func:`bootstrap_ci` is made.
BOOTSTRAP = "percentile bootstrap over rows drawn with replacement"


def bootstrap_ci(measure: Callable[[np.ndarray], float], X, n_resamples: int = 200,
                 confidence: float = 0.95, random_state: int | None = 0,
                 progress: bool = True) -> Estimate:
    """Percentile bootstrap interval of ``measure(X)`` over rows drawn with replacement.

    Valid for measures that are smooth functions of per-row values, where a repeated row is
    just a repeated value (e.g. the mean of a per-point score). Rows drawn twice break
    spectral and neighbour-based measures (a duplicate is its own neighbour at distance 0);
    use :func:`embviz.metrics.subsampling_ci` for those.

    Parameters
    ----------
    measure : callable (ndarray (n, d)) -> float
    X : EmbeddingSet or array of shape (n, d)
    n_resamples : int, default 200
        Bootstrap resamples (rows drawn with replacement), between 10 and 1,000,000.
    confidence : float in (0, 1), default 0.95
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the resamples (one call of ``measure`` each).

    Returns
    -------
    Estimate
        ``value`` (``measure(X)`` on all rows), ``ci_low``, ``ci_high`` (the percentile
        interval), ``confidence``, ``method``.

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 13.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> result = bootstrap_ci(lambda V: V[:, 0].mean(), X, n_resamples=100, progress=False)
    >>> bool(result.ci_low < result.value < result.ci_high)
    True
    """
    check_measure(measure)
    X = check_embeddings(X, min_rows=2)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    rng = np.random.default_rng(random_state)
    values = [measure(X[rng.choice(len(X), len(X), replace=True)])
              for _ in progress_bar(range(n_resamples), desc="bootstrap", unit="resample",
                                    disable=not progress)]
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return Estimate(float(measure(X)), float(low), float(high), confidence, BOOTSTRAP)


def bootstrap_p_value(differences) -> float:
    """Two-sided bootstrap p-value of H0: the difference is 0, from its replicates.

    Twice the smaller share of replicates on either side of 0 (the percentile-interval test:
    p < α exactly when the (1 − α) percentile interval excludes 0), with one added to
    numerator and denominator so that p is never 0: its floor is 2 / (B + 1) for B finite
    replicates.

    Parameters
    ----------
    differences : array of shape (n_resamples,)
        Bootstrap replicates of a paired difference (e.g. columns of
        :func:`embviz.metrics.similarity_bootstrap` replicates subtracted); non-finite
        replicates are left out.

    Returns
    -------
    float in (0, 1]

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 16.

    Examples
    --------
    >>> bootstrap_p_value(np.ones(999))
    0.002
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
