"""Confidence intervals as named fields: the :class:`Interval` and :class:`Estimate` results,
the Wilson score interval of a proportion and the percentile interval of bootstrap replicates.

An interval is never a bare tuple: its ends are ``ci_low`` and ``ci_high``, beside the level
and the method that made it, as in every long result table (``metric, value, ci_low,
ci_high, parameters``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._tables import measures_table
from .._validation import check_counts, check_number

__all__ = ["Estimate", "Interval", "percentile_interval", "wilson_interval"]

#: How :func:`wilson_interval` is made.
WILSON = "Wilson score interval"
#: How :func:`percentile_interval` is made.
PERCENTILE = "percentile bootstrap"


@dataclass(frozen=True, eq=False)
class Interval:
    """A two-sided confidence interval (or one per entry of an array).

    Attributes
    ----------
    ci_low, ci_high : float or ndarray
        The ends; arrays, shaped like the input, when the interval was computed per entry.
    confidence : float
        Two-sided level, e.g. 0.95.
    method : str
        How the interval was made (e.g. ``"Wilson score interval"``).

    Notes
    -----
    Compared by identity (``eq=False``): the ends may be arrays, whose ``==`` has no single
    truth value. Compare ``ci_low`` and ``ci_high`` with :func:`numpy.testing.assert_equal`.
    """

    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    confidence: float
    method: str

    def table(self) -> pd.DataFrame:
        """The interval as a long table (``metric, value, ci_low, ci_high, parameters``):
        one row ``interval`` (``value`` NaN: an interval alone has no estimate), or one per
        entry of an array interval, in C order, its ``parameters`` starting ``entry=<i>``."""
        low, high = np.asarray(self.ci_low, np.float64), np.asarray(self.ci_high, np.float64)
        shared = {"confidence": self.confidence, "method": self.method}
        if low.ndim == 0:
            return measures_table([{"metric": "interval", "value": np.nan, "ci_low": low,
                                    "ci_high": high}], shared)
        return measures_table({"metric": "interval", "value": np.nan, "ci_low": lo,
                               "ci_high": hi, "parameters": {"entry": i, **shared}}
                              for i, (lo, hi) in enumerate(zip(low.ravel(), high.ravel())))


@dataclass(frozen=True)
class Estimate:
    """A number with its two-sided confidence interval.

    Attributes
    ----------
    value : float
        The estimate on all the data.
    ci_low, ci_high : float
        The interval's ends.
    confidence : float
        Two-sided level, e.g. 0.95.
    method : str
        How the interval was made.
    """

    value: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str

    def table(self) -> pd.DataFrame:
        """The estimate as a long table (``metric, value, ci_low, ci_high, parameters``): one
        row ``estimate``, ``parameters`` naming the level and the method."""
        return measures_table([{"metric": "estimate", "value": self.value,
                                "ci_low": self.ci_low, "ci_high": self.ci_high}],
                              {"confidence": self.confidence, "method": self.method})


def wilson_interval(successes, trials, confidence: float = 0.95) -> Interval:
    """Wilson score interval of a binomial proportion.

    The set of p whose score test is not rejected: with z the (1 + c)/2 normal quantile and
    p̂ = x/n, the ends are (p̂ + z²/2n ∓ z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), clipped to
    [0, 1]. Unlike the Wald interval it stays inside [0, 1] and has a width at x = 0 and x = n.

    Parameters
    ----------
    successes : int or array of int
        Whole numbers, 0 <= successes <= trials.
    trials : int or array of int
        Whole numbers >= 1 (a proportion of no trials has no interval); broadcast with
        ``successes``.
    confidence : float in (0, 1), default 0.95

    Returns
    -------
    Interval
        ``ci_low``, ``ci_high``: ndarray of float64 shaped like the broadcast inputs (0-d for
        numbers).

    References
    ----------
    Wilson (1927), "Probable inference, the law of succession, and statistical inference",
    JASA 22(158), 209–212; Brown, Cai & DasGupta (2001), "Interval estimation for a binomial
    proportion", Statistical Science 16(2), 101–133.

    Examples
    --------
    >>> interval = wilson_interval(8, 20)
    >>> round(float(interval.ci_low), 3), round(float(interval.ci_high), 3)
    (0.219, 0.613)
    """
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    x = check_counts(successes, "successes")
    n = check_counts(trials, "trials", minimum=1)
    try:
        x_all, n_all = np.broadcast_arrays(x, n)
    except ValueError:
        raise ValueError(f"successes and trials must have the same shape (or broadcast), got "
                         f"{x.shape} and {n.shape}") from None
    over = np.flatnonzero(x_all > n_all)
    if over.size:
        raise ValueError(f"successes must not exceed trials, got {x_all.flat[over[0]]:g} "
                         f"successes in {n_all.flat[over[0]]:g} trials")
    low, high = _wilson(x, n, confidence)
    return Interval(low, high, confidence, WILSON)


def _wilson(x: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The ends of :func:`wilson_interval` of checked counts (the kernel behind the door)."""
    from scipy.stats import norm

    z = norm.ppf(0.5 + confidence / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def percentile_interval(replicates, confidence: float = 0.95) -> Interval:
    """Percentile interval per column of bootstrap replicates.

    The (1 − c)/2 and (1 + c)/2 quantiles of the replicates (linear interpolation; NaN
    replicates are ignored).

    Parameters
    ----------
    replicates : array of shape (n_resamples,) or (n_resamples, m)
    confidence : float in (0, 1), default 0.95

    Returns
    -------
    Interval
        ``ci_low``, ``ci_high``: float64 scalars (0-d) for 1-D replicates, arrays of shape
        (m,) for 2-D ones.

    References
    ----------
    Efron & Tibshirani (1993), "An Introduction to the Bootstrap", section 13.3.

    Examples
    --------
    >>> interval = percentile_interval(np.arange(101.0), confidence=0.9)
    >>> round(float(interval.ci_low), 6), round(float(interval.ci_high), 6)
    (5.0, 95.0)
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
    return Interval(low, high, confidence, PERCENTILE)
