"""Gride: the generalised-ratios intrinsic dimension estimator, at one scale or many.

For each point, μ = r_{n2} / r_{n1} is the ratio of its distances to its n2-th and n1-th
nearest neighbours. On a locally uniform d-dimensional manifold μ has the density

    f(μ) = d (μ^d − 1)^(n2 − n1 − 1) / (B(n2 − n1, n1) μ^((n2 − 1) d + 1)),  μ > 1

(Denti et al. 2022). The estimate is the root of the likelihood's score (it is concave in d)
and its standard error 1 / √(observed Fisher information). With n1 = 1, n2 = 2, μ is Pareto(d)
and the estimate is the unbiased TwoNN MLE (N − 1)/Σ log μ. Raising n1 reads the dimension at a
larger scale without decimating the data: the multiscale curve (n1 = 1, 2, 4, …, n2 = 2·n1)
shows where noise (small scales) and curvature (large scales) take over.

Conventions are DADApy's reference implementation (``compute_id_gride``): the likelihood uses
(N − 1) log d in place of N log d (unbiased at n1 = 1), and ratios above
q50 + 20 (q95 − q50) of μ are discarded as likely overlapping points. Points whose ratio is
undefined (r_{n1} = 0: duplicates) or 1 (tied distances) are left out with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validation import check_number, check_positive_int
from ..neighbors import KNNGraph, as_knn_graph
from .intrinsic_dim import _graph_distances

__all__ = ["gride"]


def gride(data, n1: int = 1, n2: int | None = None, metric: str = "cosine") -> float:
    """Gride intrinsic dimension from the ratio of the n2-th to the n1-th neighbour distance.

    Parameters
    ----------
    data : EmbeddingSet, array of shape (n, d), n > n2, or KNNGraph with at least n2 neighbours
        Rows to measure (numpy or torch), or their precomputed graph (built with ``metric``).
    n1 : int >= 1, default 1
        Rank of the nearer neighbour.
    n2 : int > n1, optional
        Rank of the farther neighbour; default ``2 * n1``.
    metric : {"cosine", "euclidean"}, default "cosine"
        Cosine distances are turned into chord distances √(2(1 − cos)) before ratios are taken.

    Returns
    -------
    float

    Warns
    -----
    UserWarning
        When points with a zero or tied pair of distances are left out.

    References
    ----------
    Denti, Doimo, Laio & Mira (2022), "The generalized ratios intrinsic dimension estimator",
    Scientific Reports 12, 20005. DADApy (Glielmo et al. 2022, Patterns 3, 100589),
    ``IdEstimation.compute_id_gride``, whose conventions are followed and whose outputs the
    tests reproduce (``skdim/tests/reference/fixtures.json``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(gride(rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 20)), n1=4,
    ...             metric="euclidean"))
    3
    """
    n1, n2 = _ranks(n1, n2)
    distances = _graph_distances(as_knn_graph(data, n2, "gride", metric, every_row=False))
    return gride_from_distances(distances, n1, n2)[0]


def _ranks(n1, n2) -> tuple[int, int]:
    n1 = check_positive_int(n1, "n1")
    n2 = 2 * n1 if n2 is None else check_positive_int(n2, "n2", minimum=n1 + 1)
    return n1, n2


def gride_from_distances(distances: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """Gride estimate and its standard error from Euclidean neighbour distances (kernel).

    Parameters
    ----------
    distances : ndarray of shape (n, >= n2), float64
        Each row's sorted distances to its nearest neighbours (column j is rank j + 1).
    n1, n2 : int, 1 <= n1 < n2

    Returns
    -------
    (dimension, standard_error) : tuple of float
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mu = np.log(distances[:, n2 - 1] / distances[:, n1 - 1])
    usable = np.isfinite(log_mu) & (log_mu > 0)
    if not usable.all():
        warnings.warn(f"gride (n1={n1}, n2={n2}): left out {int((~usable).sum())} of "
                      f"{len(log_mu)} points with a zero or tied pair of neighbour distances "
                      f"(duplicates)", UserWarning, stacklevel=3)
        log_mu = log_mu[usable]
    mu = np.exp(log_mu)
    if len(mu):
        q50, q95 = np.percentile(mu, [50, 95])
        log_mu = log_mu[mu < q50 + 20 * (q95 - q50)]  # DADApy's cut of overlapping points
    if len(log_mu) < 2:
        raise ValueError(f"gride (n1={n1}, n2={n2}): fewer than 2 points have a usable ratio")
    return _solve(log_mu, n1, n2)


def _solve(log_mu: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """Root of the score and 1/√(observed information) for ratios log μ > 0."""
    N, total, gap = len(log_mu), float(log_mu.sum()), n2 - n1 - 1

    def score(d):  # ∂ log L / ∂d; μ^d/(μ^d − 1) = 1/(1 − e^(−d log μ))
        return (N - 1) / d + gap * np.sum(log_mu / -np.expm1(-d * log_mu)) - (n2 - 1) * total

    high = 1.0
    while score(high) > 0:  # score → +∞ as d → 0 and → −n1 Σ log μ < 0 as d → ∞
        high *= 2
    d = optimize.brentq(score, 1e-8, high, xtol=1e-12, rtol=1e-12)
    # −∂² log L/∂d²; μ^d/(μ^d − 1)² = 1/(4 sinh²(d log μ / 2))
    information = N / d**2 + gap * np.sum((log_mu / (2 * np.sinh(d * log_mu / 2))) ** 2)
    return float(d), float(1 / np.sqrt(information))


def gride_scales(graph: KNNGraph, range_max: int = 64, confidence: float = 0.95
                 ) -> pd.DataFrame:
    """Gride at n1 = 1, 2, 4, … with n2 = 2·n1 ≤ ``range_max`` on one graph (DADApy's
    ``return_id_scaling_gride``), each with a Wald interval d ± z·SE from the observed Fisher
    information.

    Parameters
    ----------
    graph : KNNGraph with at least ``range_max`` neighbours (checked by the caller)
    range_max : int >= 2, default 64
    confidence : float in (0, 1), default 0.95

    Returns
    -------
    pandas.DataFrame
        ``n1``, ``n2``, ``scale`` (mean distance to the n2-th neighbour; chord distance for
        cosine), ``intrinsic_dimension``, ``standard_error``, ``ci_low``, ``ci_high``.
    """
    confidence = check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    distances = _graph_distances(graph.at_k(range_max))
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for n1 in 2 ** np.arange(int(np.log2(range_max))):
        d, se = gride_from_distances(distances, int(n1), int(2 * n1))
        rows.append((int(n1), int(2 * n1), float(distances[:, 2 * n1 - 1].mean()), d, se,
                     max(d - z * se, 0.0), d + z * se))
    return pd.DataFrame(rows, columns=["n1", "n2", "scale", "intrinsic_dimension",
                                       "standard_error", "ci_low", "ci_high"])
