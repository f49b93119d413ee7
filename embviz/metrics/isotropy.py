"""Isotropy of an embedding cloud: how evenly it uses the space it lives in.

All functions take a float array ``(n, d)`` (numpy or torch) and return a Python float.

IsoScore, effective rank, the top-PC variance share (and ``pca_dimension``) and the average
cosine do not change when ``X`` is multiplied by a positive number; they are computed on ``X``
divided by a power of two near ``max|X|`` (exact in floating point), so ``X * 1e200`` and
``X * 1e-300`` give the values of ``X`` rather than an overflow or "zero variance".
:func:`partition_isotropy` depends on the scale by definition (see there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .._blocks import power_of_two_scale, read_blocks, scaled_moments, unit_rows
from .._validation import check_embeddings, check_positive_int

__all__ = ["average_cosine", "effective_rank", "isoscore", "partition_isotropy",
           "pca_variances", "rogue_dimensions", "top_pc_variance_share"]


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

    Raises
    ------
    ValueError
        When the variances do not fit in float64 (entries beyond about 1e150 or, for a cloud
        that is not a single point, variances below about 1e-300); the scale-free measures of
        this module still work on such ``X``.
    """
    variances, exponent = scaled_pca_variances(check_embeddings(X, min_rows=2))
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(variances, 2 * exponent)
    if not np.isfinite(out).all() or ((out == 0) & (variances > 0)).any():
        raise ValueError(f"X's principal-component variances are outside the float64 range "
                         f"(entries up to 2**{exponent}); rescale X, e.g. X / np.abs(X).max(): "
                         f"isoscore, effective_rank and top_pc_variance_share do not depend on "
                         f"the scale")
    return out


def scaled_pca_variances(X: np.ndarray) -> tuple[np.ndarray, int]:
    """The PCA variances of ``X / 2**e`` and ``e``, for a checked ``X``.

    With ``2**e`` just above ``max|X|`` (:func:`~embviz._blocks.power_of_two_scale`), the
    spectrum neither overflows nor underflows; it is the spectrum of ``X`` times ``4**-e``,
    which is all that the scale-free measures (IsoScore, effective rank, variance shares) need.
    """
    exponent = power_of_two_scale(X)
    _, scatter = scaled_moments(X, exponent)  # block by block: memory-mapped X stays on disk
    return np.clip(np.linalg.eigvalsh(scatter / (len(X) - 1))[::-1], 0.0, None), exponent


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
    return isoscore_from_variances(scaled_pca_variances(check_embeddings(X, min_rows=2))[0])


def isoscore_from_variances(variances: np.ndarray) -> float:
    """IsoScore from the principal-component variances (:func:`pca_variances`, or any
    positive multiple of them: :func:`scaled_pca_variances`)."""
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


def partition_isotropy(X) -> float:
    """Partition-function isotropy I(W) = min_c Z(c) / max_c Z(c).

    Z(c) = Σᵢ exp(cᵀwᵢ), with c over the unit eigenvectors of WᵀW (the uncentred second-moment
    matrix). 1 when every direction has the same partition function (isotropic), near 0 when
    the cloud sits off the origin along some direction. Computed in log space
    (log-sum-exp), so large norms do not overflow.

    Unlike the other measures here it depends on the scale of ``X`` (Z sums exp of inner
    products): multiplying ``X`` by a large number drives I(W) towards 0 unless the cloud is
    perfectly balanced, by a tiny one towards 1 (every Z(c) tends to n). The eigenvectors are
    taken from ``X`` divided by a power of two near ``max|X|`` (the same directions, without
    overflow in WᵀW), so any finite ``X`` gives the value of the definition.

    Parameters
    ----------
    X : array of shape (n, d)

    Returns
    -------
    float in (0, 1]

    References
    ----------
    Mu & Viswanath (2018), "All-but-the-Top: Simple and Effective Postprocessing for Word
    Representations", ICLR, section 2.
    """
    W = check_embeddings(X, min_rows=2).astype(np.float64)
    scaled = np.ldexp(W, -power_of_two_scale(W))
    _, eigenvectors = np.linalg.eigh(scaled.T @ scaled)
    log_z = logsumexp(W @ eigenvectors, axis=0)
    return float(np.exp(log_z.min() - log_z.max()))


def rogue_dimensions(X) -> pd.DataFrame:
    """Each dimension's contribution to the average cosine similarity.

    For unit rows u, the average cosine over pairs of distinct rows splits exactly over the
    dimensions: CC(i) = mean over pairs of u_a[i]·u_b[i], and Σᵢ CC(i) = average_cosine(X).
    A few "rogue" dimensions carrying most of it dominate cosine similarity (Timkey & van
    Schijndel 2021). Computed over all pairs in O(n·d).

    Parameters
    ----------
    X : array of shape (n, d), no zero rows

    Returns
    -------
    pandas.DataFrame
        One row per dimension, largest contribution first: ``dimension``, ``contribution``
        (CC(i)), ``share`` (CC(i) / average cosine), ``variance`` (of the raw dimension).

    References
    ----------
    Timkey & van Schijndel (2021), "All Bark and No Bite: Rogue Dimensions in Transformer
    Language Models Obscure Representational Quality", EMNLP, eq. 2.
    """
    X = check_embeddings(X, min_rows=2).astype(np.float64)
    U = unit_rows(X)
    n = len(U)
    contribution = (U.sum(axis=0) ** 2 - (U**2).sum(axis=0)) / (n * (n - 1))
    table = pd.DataFrame({"dimension": np.arange(X.shape[1]), "contribution": contribution,
                          "share": contribution / contribution.sum(),
                          "variance": X.var(axis=0, ddof=1)})
    return table.sort_values("contribution", ascending=False, ignore_index=True)


def average_cosine(X) -> float:
    """Mean cosine similarity over all pairs of distinct rows, in O(n·d).

    Uses Σ_{i≠j} uᵢ·uⱼ = ‖Σᵢ uᵢ‖² − n for unit vectors uᵢ, so no n×n matrix is formed.
    High values (e.g. > 0.5) mean anisotropy: vectors share a common direction
    (Ethayarajh 2019, "How Contextual are Contextualized Word Representations?").
    Independent of the rows' scale, however extreme (see :func:`~embviz._blocks.unit_rows`).

    Parameters
    ----------
    X : array of shape (n, d), n >= 2, no zero rows

    Returns
    -------
    float in [-1, 1]
    """
    return _average_cosine(check_embeddings(X, min_rows=2))


def _average_cosine(X: np.ndarray) -> float:
    """:func:`average_cosine` of checked rows ``X`` (the kernel)."""
    total = sum(unit_rows(values).sum(axis=0) for _, values in read_blocks(X))
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
    X = check_embeddings(X, min_rows=2)
    # singular values from the d x d Gram matrix of X / 2**e (exact; the value does not
    # depend on the scale), accumulated block by block instead of an SVD of (n, d)
    _, gram = scaled_moments(X, power_of_two_scale(X), center=center)
    return effective_rank_from_gram_eigenvalues(np.linalg.eigvalsh(gram))


def effective_rank_from_gram_eigenvalues(eigenvalues: np.ndarray) -> float:
    """Effective rank from the eigenvalues of XᵀX (any positive multiple, e.g. the PCA
    variances of :func:`pca_variances`, gives the same value)."""
    eigenvalues = np.array(eigenvalues, dtype=np.float64)
    eigenvalues[eigenvalues < eigenvalues.max() * len(eigenvalues) * np.finfo(float).eps] = 0.0
    singular = np.sqrt(eigenvalues)  # rounding noise of zero eigenvalues cut above
    if singular.sum() == 0:
        raise ValueError("X has zero variance: effective rank is undefined")
    p = singular / singular.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def top_pc_variance_share(X, n_components: int = 1) -> float:
    """Share of the total variance carried by the top ``n_components`` principal components.

    Parameters
    ----------
    X : array of shape (n, d)
    n_components : int, default 1
        How many principal components, the largest first; at most d.

    Returns
    -------
    float in [0, 1]
    """
    variances, _ = scaled_pca_variances(check_embeddings(X, min_rows=2))
    n_components = check_positive_int(n_components, "n_components")
    if n_components > len(variances):
        raise ValueError(f"n_components={n_components} exceeds the dimension "
                         f"d={len(variances)}")
    total = variances.sum()
    if total == 0:
        raise ValueError("X has zero variance: all rows are identical")
    return float(variances[:n_components].sum() / total)
