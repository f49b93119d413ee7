"""Multiplicity corrections: Benjamini–Hochberg q-values (false-discovery rate) and Holm's
step-down adjusted p-values (family-wise error), the package's one implementation of each.

Both take the p-values of one family of tests and return adjusted values in the input order.
A NaN or a value outside [0, 1] is refused (``ValueError`` naming ``p_values``): a NaN would
make every adjusted value NaN, and a "p-value" of 2 is not one to clip. Where some entries of
a table were not tested (a baseline row, a reference window), ``nan_policy="omit"`` adjusts
over the tested entries only and leaves NaN where there was no test.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_p_values

__all__ = ["NAN_POLICIES", "benjamini_hochberg", "holm"]

#: What a multiplicity correction does with a NaN p-value: refuse it, or treat it as untested.
NAN_POLICIES = ("raise", "omit")


def benjamini_hochberg(p_values, nan_policy: str = "raise") -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values), capped at 1.

    With the m p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎, ``q₍ᵢ₎ = min_{j ≥ i} min(1, m p₍ⱼ₎ / j)``;
    rejecting where ``q < α`` controls the false-discovery rate at α for independent or
    positively dependent tests. Computed by :func:`scipy.stats.false_discovery_control`.

    Parameters
    ----------
    p_values : array-like of shape (m,), values in [0, 1]
        Values outside [0, 1] are refused (``ValueError``).
    nan_policy : {"raise", "omit"}, default "raise"
        ``"raise"`` refuses a NaN; ``"omit"`` treats NaN entries as untested: the family is
        the m' finite entries (m' replaces m above) and the NaN entries stay NaN.

    Returns
    -------
    ndarray of shape (m,), float64, in the input order

    References
    ----------
    Benjamini & Hochberg (1995), "Controlling the false discovery rate: a practical and
    powerful approach to multiple testing", JRSS B 57(1), 289–300.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> benjamini_hochberg([0.01, float("nan"), 0.04], nan_policy="omit").tolist()
    [0.02, nan, 0.04]
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    p = check_p_values(p_values, allow_nan=nan_policy == "omit")
    return _over_tested(_benjamini_hochberg, p)


def holm(p_values, nan_policy: str = "raise") -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    With the m p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted value of p₍ᵢ₎ is
    max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎); rejecting where it is below α controls the
    probability of any false rejection at α under any dependence between the tests.

    Parameters
    ----------
    p_values : array-like of shape (m,), values in [0, 1]
        Values outside [0, 1] are refused (``ValueError``).
    nan_policy : {"raise", "omit"}, default "raise"
        As in :func:`benjamini_hochberg`.

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
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    p = check_p_values(p_values, allow_nan=nan_policy == "omit")
    return _over_tested(_holm, p)


def _over_tested(correction, p: np.ndarray) -> np.ndarray:
    """``correction`` over the finite entries of checked ``p``; NaN where p is NaN."""
    tested = ~np.isnan(p)
    if tested.all():
        return correction(p)
    out = np.full(len(p), np.nan)
    out[tested] = correction(p[tested])
    return out


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """:func:`benjamini_hochberg` of checked, finite p-values (the kernel behind the door)."""
    from scipy.stats import false_discovery_control

    if p.size == 0:
        return np.empty(0)
    return false_discovery_control(p, method="bh")


def _holm(p: np.ndarray) -> np.ndarray:
    """:func:`holm` of checked, finite p-values (the kernel behind the door)."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted
