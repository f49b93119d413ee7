"""Bootstrap confidence intervals for any measure of an embedding cloud."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_embeddings, check_number, check_replicates

__all__ = ["bootstrap_ci"]


def bootstrap_ci(measure: Callable[[np.ndarray], float], X, n_resamples: int = 200,
                 confidence: float = 0.95, replace: bool = True, sample_fraction: float = 1.0,
                 random_state: int | None = 0) -> tuple[float, float, float]:
    """Percentile bootstrap interval of ``measure(X)`` over resampled rows.

    Parameters
    ----------
    measure : callable (ndarray (m, d)) -> float
        E.g. :func:`embviz.metrics.isoscore`.
    X : EmbeddingSet or array of shape (n, d)
    n_resamples : int, default 200
        Between 10 and 1,000,000.
    confidence : float, default 0.95
    replace : bool, default True
        Rows drawn with replacement (the classical bootstrap). Use ``False`` with
        ``sample_fraction < 1`` (m-out-of-n subsampling) for neighbour-based measures, which
        resampled duplicates would distort (zero distances).
    sample_fraction : float, default 1.0
        Rows per resample, as a share of n.
    random_state : int or None, default 0

    Returns
    -------
    (estimate, low, high) : tuple of float
        ``measure(X)`` on all rows and the percentile interval.

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", ch. 13 (percentile
    intervals); Politis & Romano (1994) for subsampling.
    """
    X = check_embeddings(X, min_rows=2)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    check_number(sample_fraction, "sample_fraction", 0, 1, low_open=True, high_open=not replace)
    rng = np.random.default_rng(random_state)
    m = max(2, int(round(sample_fraction * len(X))))
    values = [measure(X[rng.choice(len(X), m, replace=replace)]) for _ in range(n_resamples)]
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(measure(X)), float(low), float(high)
