"""Isotropy of an embedding cloud: how evenly it uses the space it lives in.

All functions take a float array ``(n, d)`` (numpy or torch) and return a Python float.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_embeddings, check_positive_int

__all__ = ["average_cosine", "effective_rank", "isoscore", "pca_variances",
           "top_pc_variance_share"]


def pca_variances(X) -> np.ndarray:
    """Variances along the principal components, largest first.

    Parameters
    ----------
    X : array of shape (n, d)

    Returns
    -------
    ndarray of shape (d,), float64
        Eigenvalues of the sample covariance (``ddof=1``), clipped at 0; when ``n <= d`` the
        trailing ones are 0.
    """
    X = check_embeddings(X, min_rows=2).astype(np.float64)
    centered = X - X.mean(axis=0)
    cov = centered.T @ centered / (len(X) - 1)
    return np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)


def isoscore(X) -> float:
    """IsoScore: how uniformly the variance spreads over all ``d`` dimensions.

    Rotate to principal components, take the variance vector Σ, normalise it to
    Σ̂ = √d·Σ/‖Σ‖, measure the defect δ = ‖Σ̂ − 1‖ / √(2(d − √d)) and map it to
    ((d − δ²(d − √d))² − d) / (d(d − 1)) ∈ [0, 1]: 1 for isotropic data, 0 when all
    variance lies on one line.

    Parameters
    ----------
    X : array of shape (n, d), n >= 2, d >= 2

    Returns
    -------
    float in [0, 1]

    References
    ----------
    Rudman, Gillman, Rayne & Eickhoff (2022), "IsoScore: Measuring the Uniformity of Embedding
    Space Utilization", Findings of ACL, Algorithm 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(isoscore(rng.normal(size=(20000, 5))), 2)
    1.0
    """
    variances = pca_variances(X)
    d = len(variances)
    if d < 2:
        raise ValueError("X must have at least 2 dimensions for IsoScore, got 1")
    norm = np.linalg.norm(variances)
    if norm == 0:
        raise ValueError("X has zero variance: all rows are identical")
    normalised = np.sqrt(d) * variances / norm
    defect = np.linalg.norm(normalised - 1) / np.sqrt(2 * (d - np.sqrt(d)))
    score = ((d - defect**2 * (d - np.sqrt(d))) ** 2 - d) / (d * (d - 1))
    return float(np.clip(score, 0.0, 1.0))


def average_cosine(X) -> float:
    """Mean cosine similarity over all pairs of distinct rows, in O(n·d).

    Uses Σ_{i≠j} uᵢ·uⱼ = ‖Σᵢ uᵢ‖² − n for unit vectors uᵢ, so no n×n matrix is formed.
    High values (e.g. > 0.5) mean anisotropy: vectors share a common direction
    (Ethayarajh 2019, "How Contextual are Contextualized Word Representations?").

    Parameters
    ----------
    X : array of shape (n, d), n >= 2, no zero rows

    Returns
    -------
    float in [-1, 1]
    """
    X = check_embeddings(X, min_rows=2).astype(np.float64)
    norms = np.linalg.norm(X, axis=1)
    if (norms == 0).any():
        raise ValueError(f"X has {(norms == 0).sum()} zero row(s): cosine is undefined "
                         f"(first at row {np.flatnonzero(norms == 0)[0]})")
    total = (X / norms[:, None]).sum(axis=0)
    n = len(X)
    return float((total @ total - n) / (n * (n - 1)))


def effective_rank(X, center: bool = True) -> float:
    """Effective rank: exp of the Shannon entropy of the normalised singular values.

    Parameters
    ----------
    X : array of shape (n, d)
    center : bool, default True
        Subtract the mean first (the rank of the spread, not of the offset).

    Returns
    -------
    float in [1, min(n, d)]

    References
    ----------
    Roy & Vetterli (2007), "The effective rank: a measure of effective dimensionality",
    EUSIPCO.
    """
    X = check_embeddings(X, min_rows=2).astype(np.float64)
    if center:
        X = X - X.mean(axis=0)
    singular = np.linalg.svd(X, compute_uv=False)
    if singular.sum() == 0:
        raise ValueError("X has zero variance: effective rank is undefined")
    p = singular / singular.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def top_pc_variance_share(X, k: int = 1) -> float:
    """Share of the total variance carried by the top ``k`` principal components.

    Parameters
    ----------
    X : array of shape (n, d)
    k : int, default 1

    Returns
    -------
    float in [0, 1]
    """
    variances = pca_variances(X)
    k = check_positive_int(k, "k")
    if k > len(variances):
        raise ValueError(f"k={k} exceeds the dimension d={len(variances)}")
    total = variances.sum()
    if total == 0:
        raise ValueError("X has zero variance: all rows are identical")
    return float(variances[:k].sum() / total)
