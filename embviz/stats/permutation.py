"""Permutation p-values and their floor.

A permutation test compares the observed statistic with B statistics of relabelled data. The
p-value counts the observed labelling as one of the B + 1 (Phipson & Smyth 2010):
``(1 + #{null >= observed}) / (1 + B)``. It is never 0: the smallest value B permutations
can give is ``1 / (1 + B)`` (:func:`p_value_floor`), and a p-value at that floor is reported
as "≤ 1/(B+1)" — more permutations could only make it smaller.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_number, check_replicates

__all__ = ["p_value_floor", "permutation_p_value"]


def permutation_p_value(observed: float, null) -> float:
    """``(1 + #{null >= observed}) / (1 + B)``: one-sided, never 0.

    Larger statistics are more extreme; for a two-sided test pass absolute values.

    Parameters
    ----------
    observed : float
        The observed statistic, finite.
    null : array-like of shape (B,), B >= 1
        Statistics of the B permuted labellings, finite (a NaN would silently count as
        smaller than ``observed``; an empty null would give p = 1 from no evidence).

    Returns
    -------
    float in [1 / (1 + B), 1]
        The floor 1 / (1 + B) (:func:`p_value_floor`) is reached when no permuted
        statistic is as large as the observed one; read it as "p ≤ 1/(B+1)".

    References
    ----------
    Phipson & Smyth (2010), "Permutation p-values should never be zero: calculating exact
    p-values when permutations are randomly drawn", Statistical Applications in Genetics and
    Molecular Biology 9(1).

    Examples
    --------
    >>> permutation_p_value(3.0, [0.5, 1.0, 3.0, 0.2])
    0.4
    >>> permutation_p_value(9.0, [0.5, 1.0, 3.0, 0.2]) == p_value_floor(4)
    True
    """
    observed = check_number(observed, "observed", -np.inf, np.inf, low_open=True,
                            high_open=True)
    try:
        null = np.asarray(null, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"null must be a 1-D array of numbers, got {type(null).__name__}") \
            from None
    if null.ndim != 1 or null.size == 0:
        raise ValueError(f"null must be a non-empty 1-D array (one statistic per permutation), "
                         f"got shape {null.shape}")
    bad = np.flatnonzero(~np.isfinite(null))
    if bad.size:
        raise ValueError(f"null holds {bad.size} NaN or infinite statistic(s), first at "
                         f"position {int(bad[0])}")
    return _permutation_p_value(observed, null)


def p_value_floor(n_permutations: int) -> float:
    """The smallest permutation p-value ``n_permutations`` permutations can give, 1 / (1 + B).

    Parameters
    ----------
    n_permutations : int, 1 <= B <= 1,000,000
        Permutations behind the p-value.

    Returns
    -------
    float

    Examples
    --------
    >>> p_value_floor(999)
    0.001
    """
    return 1 / (1 + check_replicates(n_permutations, "n_permutations"))


def _permutation_p_value(observed: float, null: np.ndarray) -> float:
    """:func:`permutation_p_value` of a statistic and null the caller computed (no checks)."""
    null = np.asarray(null)
    return float((1 + np.count_nonzero(null >= observed)) / (1 + null.size))


def _permutation_p_values(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """:func:`permutation_p_value` of m statistics at once: ``observed`` (m,), ``null``
    (m, B), row i the null of statistic i (no checks; a NaN in the null counts as smaller)."""
    null = np.asarray(null)
    exceed = (null >= np.asarray(observed)[:, None]).sum(axis=1)
    return (1 + exceed) / (1 + null.shape[1])
