"""Tests of proportions: the pooled two-proportion z-test of two independent samples, and the
exact McNemar test of two classifiers on the same points (paired)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._tables import measures_table
from .._validation import check_counts, check_positive_int

__all__ = ["McNemarResult", "mcnemar_test", "two_proportion_test"]


def two_proportion_test(x_a, n_a: int, x_b, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test, two-sided.

    ``z = (x_a/n_a - x_b/n_b) / sqrt(p (1 - p) (1/n_a + 1/n_b))`` with ``p = (x_a + x_b) /
    (n_a + n_b)``; ``p_value = erfc(|z| / sqrt 2)``. Where ``p`` is 0 or 1, ``z = 0`` and
    ``p_value = 1``.

    Parameters
    ----------
    x_a, x_b : int or array of int
        Successes in each sample (whole numbers, 0 <= x <= n; broadcast together).
    n_a, n_b : int
        Trials of each sample, at least 1.

    Returns
    -------
    z, p_value : ndarray of float64, shaped like the broadcast ``x_a`` and ``x_b``

    References
    ----------
    Agresti (2013), "Categorical Data Analysis", 3rd ed., section 3.1.3 (the score test of
    a difference of proportions).

    Examples
    --------
    >>> z, p = two_proportion_test(30, 100, 10, 100)
    >>> round(float(z), 3), round(float(p), 5)
    (3.536, 0.00041)
    """
    n_a, n_b = (check_positive_int(n, name) for n, name in ((n_a, "n_a"), (n_b, "n_b")))
    x_a, x_b = check_counts(x_a, "x_a"), check_counts(x_b, "x_b")
    for x, n, name in ((x_a, n_a, "x_a"), (x_b, n_b, "x_b")):
        over = np.flatnonzero(np.ravel(x > n))
        if over.size:
            raise ValueError(f"{name} must not exceed n_{name[-1]}={n} (successes out of "
                             f"n_{name[-1]} trials), got {np.ravel(x)[over[0]]:g}")
    try:
        np.broadcast_shapes(x_a.shape, x_b.shape)
    except ValueError:
        raise ValueError(f"x_a and x_b must have the same shape (or broadcast), got "
                         f"{x_a.shape} and {x_b.shape}") from None
    return _two_proportion(x_a, n_a, x_b, n_b)


def _two_proportion(x_a, n_a: int, x_b, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`two_proportion_test` of counts already checked (the kernel behind the door)."""
    from scipy.special import erfc

    x_a, x_b = np.asarray(x_a, np.float64), np.asarray(x_b, np.float64)
    pooled = (x_a + x_b) / (n_a + n_b)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (x_a / n_a - x_b / n_b) / se, 0.0)
    return z, erfc(np.abs(z) / np.sqrt(2))


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test of two classifiers on the same points.

    Attributes
    ----------
    only_a : int
        Points that only classifier A gets right.
    only_b : int
        Points that only classifier B gets right.
    p_value : float
        Two-sided exact (binomial) p-value.
    """

    only_a: int
    only_b: int
    p_value: float

    def table(self) -> pd.DataFrame:
        """The test as a long table (``metric, value, ci_low, ci_high, parameters``):
        ``only_a``, ``only_b``, ``p_value``."""
        return measures_table([{"metric": "only_a", "value": self.only_a},
                               {"metric": "only_b", "value": self.only_b},
                               {"metric": "p_value", "value": self.p_value}],
                              {"test": "exact McNemar"})


def mcnemar_test(a, b) -> McNemarResult:
    """Exact two-sided McNemar test on paired per-point correctness.

    Under the null both classifiers err equally often on the discordant points, so
    ``only_b ~ Binomial(only_a + only_b, 1/2)``; the p-value is scipy's two-sided
    :func:`scipy.stats.binomtest`.

    Parameters
    ----------
    a, b : boolean arrays of shape (n,)
        Whether classifier A / B labels each point correctly (e.g.
        ``knn_predictions(graph, labels) == labels``).

    Returns
    -------
    McNemarResult
        p = 1 when there are no discordant points.

    References
    ----------
    McNemar (1947), "Note on the sampling error of the difference between correlated
    proportions or percentages", Psychometrika 12, 153–157; used by Nielsen & Hansen (2024)
    to compare k-NN classification before and after hubness reduction.

    Examples
    --------
    >>> result = mcnemar_test(np.array([True] * 10 + [False] * 2),
    ...                       np.array([False] * 10 + [True] * 2))
    >>> result.only_a, result.only_b, round(result.p_value, 4)
    (10, 2, 0.0386)
    """
    from scipy import stats

    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != bool or b.dtype != bool or a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be boolean 1-D arrays of the same length, got "
                         f"{a.dtype} {a.shape} and {b.dtype} {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return McNemarResult(0, 0, 1.0)
    return McNemarResult(only_a, only_b,
                         float(stats.binomtest(only_b, only_a + only_b, 0.5).pvalue))
