"""Model-to-model comparison on the same texts (the two spaces may differ in dimension):
linear CKA, per-point k-NN overlap, orthogonal Procrustes, a least-squares map from the new
space to the old one with the retrieval recall it recovers, and relative representations.

:func:`compare_models` gives every measure a half-sampling interval (see its notes); the
standalone functions return the value alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._tables import result_table
from .._validation import (
    check_embeddings,
    check_number,
    check_positive_int,
    check_replicates,
    texts_of,
)
from ..metrics.resampling import HALF_SAMPLING, complementary_halves, complementary_interval
from ..neighbors import subgraph, subgraph_width

__all__ = ["LinearMap", "compare_models", "knn_overlap", "linear_cka", "linear_compensation",
           "procrustes_error", "relative_agreement", "relative_representation"]

#: How :func:`compare_models` makes its intervals, for the result's ``parameters``.
CI_METHOD = HALF_SAMPLING


def _paired(a, b, min_rows: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Two representations of the same rows, float64; dimensions may differ."""
    A = check_embeddings(a, "a", min_rows).astype(np.float64)
    B = check_embeddings(b, "b", min_rows).astype(np.float64)
    if len(A) != len(B):
        raise ValueError(f"a and b must hold the same texts in the same order (row i of both "
                         f"is text i); got {len(A)} and {len(B)} rows")
    _check_texts_aligned(a, b)
    return A, B


def _check_texts_aligned(a, b) -> None:
    tx, ty = texts_of(a), texts_of(b)
    if tx is None or ty is None:
        return
    if len(tx) != len(ty):
        raise ValueError(f"the two EmbeddingSets must embed the same texts in the same order; "
                         f"they hold {len(tx)} and {len(ty)} texts")
    bad = [i for i, (s, t) in enumerate(zip(tx, ty)) if s != t]
    if bad:
        raise ValueError(f"the two EmbeddingSets must embed the same texts in the same order; "
                         f"{len(bad)} row(s) differ, first at row {bad[0]}: "
                         f"{tx[bad[0]][:60]!r} vs {ty[bad[0]][:60]!r}")


def _centred(X: np.ndarray) -> np.ndarray:
    return X - X.mean(0)


def _product_norms(X: np.ndarray, Y: np.ndarray, XY: np.ndarray | None = None
                   ) -> tuple[float, float, float]:
    """‖XᵀY‖²_F, ‖XᵀX‖²_F, ‖YᵀY‖²_F: d×d products, no n×n matrix (``XY``: XᵀY if known)."""
    XY = X.T @ Y if XY is None else XY
    return (np.linalg.norm(XY) ** 2, np.linalg.norm(X.T @ X) ** 2,
            np.linalg.norm(Y.T @ Y) ** 2)


def _hsic_terms(X: np.ndarray, Y: np.ndarray, cross: float, debiased: bool) -> float:
    """HSIC of the linear kernels XXᵀ, YYᵀ without forming them (X, Y column-centred;
    ``cross`` = ‖XᵀY‖²_F)."""
    if not debiased:
        return cross
    n = len(X)
    kd, ld = (X * X).sum(1), (Y * Y).sum(1)
    k1, l1 = X @ X.sum(0) - kd, Y @ Y.sum(0) - ld  # K̃1, L̃1 (K̃: zero diagonal)
    trace = cross - kd @ ld
    return (trace + k1.sum() * l1.sum() / ((n - 1) * (n - 2))
            - 2 / (n - 2) * (k1 @ l1)) / (n * (n - 3))


def linear_cka(a, b, debiased: bool = False) -> float:
    """Linear centered kernel alignment between two representations of the same rows.

    CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with K = XXᵀ, L = YYᵀ after centring the
    columns of X = ``a``, Y = ``b``, computed from d×d products (no n×n matrix).
    ``debiased=True`` uses the unbiased HSIC estimator of Song et al. (2012), as in Nguyen,
    Raghu & Kornblith (2021), which removes the upward bias of CKA when d is large relative
    to n.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        The same n texts in the same order; d1 and d2 may differ. n >= 4.
    debiased : bool, default False

    Returns
    -------
    float
        1 for representations equal up to rotation and isotropic scale; near 0 for unrelated
        ones (the debiased form can be slightly negative).

    References
    ----------
    Kornblith, Norouzi, Lee & Hinton (2019), "Similarity of Neural Network Representations
    Revisited", ICML; Nguyen, Raghu & Kornblith (2021), "Do Wide and Deep Networks Learn the
    Same Things?", ICLR; Song et al. (2012), "Feature selection via dependence maximization".

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 8))
    >>> round(linear_cka(X, 3 * X @ np.linalg.qr(rng.normal(size=(8, 8)))[0]), 6)
    1.0
    """
    X64, Y64 = (_centred(M) for M in _paired(a, b))
    value = _cka(X64, Y64, _product_norms(X64, Y64), debiased)
    if np.isnan(value):
        raise ValueError("CKA is undefined: one representation has no variance (constant "
                         "rows)")
    return value


def _cka(X: np.ndarray, Y: np.ndarray, norms: tuple[float, float, float],
         debiased: bool) -> float:
    """Linear CKA of column-centred X, Y from :func:`_product_norms`; NaN when undefined."""
    xy = _hsic_terms(X, Y, norms[0], debiased)
    xx, yy = _hsic_terms(X, X, norms[1], debiased), _hsic_terms(Y, Y, norms[2], debiased)
    return float(xy / np.sqrt(xx * yy)) if xx > 0 and yy > 0 else float("nan")


def knn_overlap(a, b, k: int = 10, metric: str = "cosine") -> pd.DataFrame:
    """Per-text Jaccard overlap of its k nearest neighbours in two spaces.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        Same texts, same order.
    k : int, default 10
        Neighbours per text (itself excluded).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    pandas.DataFrame of n rows, most-changed first
        ``row``, ``jaccard`` = |N_a ∩ N_b| / |N_a ∪ N_b| in [0, 1], ``shared`` (count) and
        ``text`` when an EmbeddingSet is given. The mean jaccard is the global overlap.
    """
    from ..neighbors import knn_graph

    X64, Y64 = _paired(a, b, 2)
    k = check_positive_int(k, "k")
    gx = knn_graph(X64, k, metric=metric, progress=False).indices
    gy = knn_graph(Y64, k, metric=metric, progress=False).indices
    shared = _shared_counts(gx, gy)
    frame = pd.DataFrame({"row": np.arange(len(gx)), "jaccard": shared / (2 * k - shared),
                          "shared": shared})
    texts = texts_of(a) or texts_of(b)
    if texts is not None:
        frame["text"] = texts
    return frame.sort_values(["jaccard", "row"], kind="stable").reset_index(drop=True)


def _shared_counts(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Per row, how many members two neighbour lists (n, k) share (no repeats within a list)."""
    both = np.sort(np.concatenate([gx, gy], axis=1), axis=1)
    return (both[:, 1:] == both[:, :-1]).sum(axis=1)


def procrustes_error(a, b) -> float:
    """Orthogonal Procrustes distance between two representations of the same rows.

    Both (X = ``a``, Y = ``b``) are column-centred and scaled to unit Frobenius norm; the error is
    min_R ‖X R − Y‖²_F over orthogonal R = 2 − 2‖XᵀY‖_* (nuclear norm). When d1 ≠ d2 the
    smaller space is padded with zero columns, which leaves ‖XᵀY‖_* unchanged, so nothing
    is projected away.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)

    Returns
    -------
    float in [0, 2]
        0 when Y is a rotated, translated and isotropically scaled copy of X. (scipy's
        ``procrustes`` disparity, which also fits a scale, is 1 − (1 − error/2)².)

    References
    ----------
    Schönemann (1966), "A generalized solution of the orthogonal Procrustes problem";
    Ding, Denain & Steinhardt (2021), "Grounding Representation Similarity with Statistical
    Testing", NeurIPS.
    """
    X64, Y64 = (_centred(M) for M in _paired(a, b, 2))
    value = _procrustes(X64, Y64, X64.T @ Y64)
    if np.isnan(value):
        raise ValueError("Procrustes is undefined: one representation has no variance")
    return value


def _procrustes(X: np.ndarray, Y: np.ndarray, XY: np.ndarray) -> float:
    """Procrustes error of column-centred X, Y given XᵀY; NaN when one has no variance."""
    nx, ny = np.linalg.norm(X), np.linalg.norm(Y)
    if nx == 0 or ny == 0:
        return float("nan")
    nuclear = np.linalg.svd(XY, compute_uv=False).sum() / (nx * ny)
    return float(max(2 - 2 * nuclear, 0.0))


def _row_space(X: np.ndarray) -> np.ndarray:
    """X (m, d) as m × min(m, d) coordinates with the same Gram matrix XXᵀ (Xᵀ = QR, X Q = Rᵀ).

    Linear CKA (both forms) and the Procrustes error depend on XXᵀ alone, so a half-sample
    of wide embeddings (d > m) costs O(m²d) instead of O(m d²) and an SVD of d1×d2.
    """
    return X if X.shape[1] <= X.shape[0] else np.linalg.qr(X.T, mode="r").T


def _linear_measures(X: np.ndarray, Y: np.ndarray) -> tuple[float, float, float]:
    """Linear CKA, debiased CKA and Procrustes error of paired rows (NaN where undefined),
    sharing one set of products."""
    X, Y = _row_space(_centred(X)), _row_space(_centred(Y))
    XY = X.T @ Y
    norms = _product_norms(X, Y, XY)
    return _cka(X, Y, norms, False), _cka(X, Y, norms, True), _procrustes(X, Y, XY)


class LinearMap:
    """Least-squares affine map from space ``b`` (a new model) into space ``a`` (the old one).

    Fits ``a ≈ (b − mean_b) W + mean_a`` by ridge regression (``ridge=0``: minimum-norm
    least squares), the idea of query drift compensation: queries embedded by a new model can
    be searched in an index built by the old one without re-embedding the corpus.

    Parameters
    ----------
    ridge : float, default 0.0
        L2 penalty λ on W (solves (BᵀB + λI) W = BᵀA).

    Attributes
    ----------
    coef_ : ndarray (d_b, d_a)
    mean_a_, mean_b_ : ndarray
    """

    def __init__(self, ridge: float = 0.0):
        self.ridge = ridge

    def fit(self, a, b) -> LinearMap:
        """Fit on paired rows: ``a`` (n, d_a), the target space; ``b`` (n, d_b), the source."""
        check_number(self.ridge, "ridge", 0)
        self.mean_a_, self.mean_b_, self.coef_ = _least_squares(*_paired(a, b, 2), self.ridge)
        return self

    def transform(self, b) -> np.ndarray:
        """Map rows of space ``b``, (m, d_b) → (m, d_a) float64."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("this LinearMap is not fitted yet; call fit(a, b) first")
        B = check_embeddings(b, "b").astype(np.float64)
        if B.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"b must have {self.coef_.shape[0]} columns, got {B.shape[1]}")
        return (B - self.mean_b_) @ self.coef_ + self.mean_a_


def _least_squares(A: np.ndarray, B: np.ndarray, ridge: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means of A and B and the (ridge) least-squares W of (A − mean_a) ≈ (B − mean_b) W."""
    mean_a, mean_b = A.mean(0), B.mean(0)
    Ac, Bc = A - mean_a, B - mean_b
    wide = len(Bc) < Bc.shape[1]  # fewer rows than columns: solve in Bc's row space
    if ridge == 0 and wide:  # W = Q z, z the minimum-norm solution of Rᵀ z = Ac (Bcᵀ = QR)
        Q, R = np.linalg.qr(Bc.T)
        rcond = np.finfo(np.float64).eps * max(Bc.shape)  # numpy's default cut-off for Bc
        return mean_a, mean_b, Q @ np.linalg.lstsq(R.T, Ac, rcond=rcond)[0]
    if ridge == 0:  # complete orthogonal factorisation: minimum norm, 2x faster than SVD
        from scipy.linalg import lstsq

        return mean_a, mean_b, lstsq(Bc, Ac, cond=np.finfo(np.float64).eps * max(Bc.shape),
                                     lapack_driver="gelsy")[0]
    if wide:  # (BᵀB + λI)⁻¹Bᵀ = Bᵀ(BBᵀ + λI)⁻¹
        return mean_a, mean_b, Bc.T @ np.linalg.solve(Bc @ Bc.T + ridge * np.eye(len(Bc)), Ac)
    gram = Bc.T @ Bc + ridge * np.eye(B.shape[1])
    return mean_a, mean_b, np.linalg.solve(gram, Bc.T @ Ac)


def _topk_cosine(queries: np.ndarray, index: np.ndarray, exclude: np.ndarray, k: int,
                 block: int = 1024) -> np.ndarray:
    """Top-k rows of ``index`` by cosine for each query, its own row ``exclude[i]`` left out
    (both given as unit rows)."""
    out = np.empty((len(queries), k), np.int64)
    for start in range(0, len(queries), block):
        sims = queries[start:start + block] @ index.T
        sims[np.arange(len(sims)), exclude[start:start + block]] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[start:start + block] = top
    return out


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(_shared_counts(found, truth).mean() / truth.shape[1])


def linear_compensation(a, b, k: int = 10, train_fraction: float = 0.5,
                        ridge: float = 0.0, random_state: int | None = 0) -> dict:
    """Retrieval recall@k recovered by mapping new-model (``b``) queries into an old-model
    (``a``) index.

    The texts are split at random: a ``train_fraction`` share fits a :class:`LinearMap` from
    the new space to the old one; every held-out text is then a query. The index holds the
    OLD embeddings of all texts; a query's ground truth is the old model's own k nearest
    neighbours of that text (the text itself excluded, here and in the search). Recall is
    measured before the map (new vectors searched directly: only possible when the dimensions
    match, else NaN) and after it.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d_a)
        The old model, which built the index.
    b : EmbeddingSet, array or tensor of shape (n, d_b)
        The new model, same texts in the same order.
    k : int, default 10
        Neighbours per query: the old model's k nearest neighbours are the ground truth.
    train_fraction : float, default 0.5
        Share of texts used to fit the map (the rest are the held-out queries).
    ridge : float, default 0.0
        Ridge penalty of the map (0: minimum-norm least squares).
    random_state : int or None, default 0
        Seeds the split.

    Returns
    -------
    dict
        ``recall_before``, ``recall_after`` (float; NaN before when d_b ≠ d_a),
        ``k``, ``n_train``, ``n_test``, ``ridge``, ``note``.

    References
    ----------
    The idea of query drift compensation: align a new encoder's query embeddings to an
    old index with a learned linear map instead of re-embedding the corpus.
    """
    old64, new64 = _paired(a, b, 4)
    k = check_positive_int(k, "k")
    train_fraction = check_number(train_fraction, "train_fraction", 0, 1, low_open=True,
                                  high_open=True)
    _check_split(len(old64), k, train_fraction)
    check_number(ridge, "ridge", 0)
    units = unit_rows(old64, name="a"), unit_rows(new64, name="b")
    before, after, n_train = _compensation(old64, new64, units, k, train_fraction, ridge,
                                           np.random.default_rng(random_state))
    return {"recall_before": before, "recall_after": after, "k": k, "n_train": n_train,
            "n_test": len(old64) - n_train, "ridge": ridge,
            "note": _compensation_note(old64.shape[1], new64.shape[1])}


def _check_split(n: int, k: int, train_fraction: float, what: str = "") -> None:
    n_train = int(round(train_fraction * n))
    if n_train < 2 or n - n_train < 1 or k >= n:
        raise ValueError(f"need >= 2 training texts, >= 1 query and k < n{what}; got n_train="
                         f"{n_train}, n_test={n - n_train}, k={k}, n={n}")


def _compensation_note(d_old: int, d_new: int) -> str:
    return "" if d_old == d_new else (f"recall_before is NaN: new vectors (d={d_new}) cannot "
                                      f"be searched in an index of d={d_old} without a map")


def _compensation(old: np.ndarray, new: np.ndarray, units: tuple[np.ndarray, np.ndarray],
                  k: int, train_fraction: float, ridge: float,
                  rng: np.random.Generator) -> tuple[float, float, int]:
    """Recall@k before and after the map on one random split: (before, after, n_train).
    ``units`` are the unit rows of ``old`` and ``new``."""
    order = rng.permutation(len(old))
    n_train = int(round(train_fraction * len(old)))
    train, test = order[:n_train], order[n_train:]
    index = units[0]
    truth = _topk_cosine(index[test], index, test, k)
    mean_old, mean_new, coef = _least_squares(old[train], new[train], ridge)
    mapped = unit_rows((new[test] - mean_new) @ coef + mean_old, name="mapped queries")
    after = _recall(_topk_cosine(mapped, index, test, k), truth)
    if old.shape[1] != new.shape[1]:
        return float("nan"), after, n_train
    before = _recall(_topk_cosine(units[1][test], index, test, k), truth)
    return before, after, n_train


def relative_representation(X, anchors) -> np.ndarray:
    """Cosine similarity of every row to each anchor (Moschella et al. 2023).

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d)
    anchors : EmbeddingSet, array or tensor of shape (m, d)
        The anchors embedded in the same space.

    Returns
    -------
    ndarray of shape (n, m), float64
        Comparable across models that embedded the same anchor texts, whatever their d.

    References
    ----------
    Moschella et al. (2023), "Relative representations enable zero-shot latent space
    communication", ICLR.
    """
    Xu = unit_rows(check_embeddings(X, "X"), name="X")
    Au = unit_rows(check_embeddings(anchors, "anchors"), name="anchors")
    if Xu.shape[1] != Au.shape[1]:
        raise ValueError(f"anchors must be in the space of X (d={Xu.shape[1]}), got "
                         f"d={Au.shape[1]}")
    return Xu @ Au.T


def relative_agreement(a, b, anchor_rows) -> np.ndarray:
    """Per-text agreement of relative representations computed in two models.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        Same texts, same order.
    anchor_rows : array of int, shape (m,)
        Rows used as shared anchors (m >= 3).

    Returns
    -------
    ndarray of shape (n,)
        Pearson correlation between a text's cosine profile to the anchors in a and in b
        (centred, so the common offset of anisotropic spaces does not count as agreement).
    """
    X64, Y64 = _paired(a, b, 2)
    rows = np.asarray(anchor_rows)
    if rows.dtype.kind not in "iu" or rows.ndim != 1 or rows.size < 3:
        raise ValueError("anchor_rows must be a 1-D array of at least 3 row numbers")
    if rows.min() < 0 or rows.max() >= len(X64):
        raise ValueError(f"anchor_rows must be in [0, {len(X64)})")
    return _agreement(unit_rows(X64, name="a"), unit_rows(Y64, name="b"), rows)


def _agreement(Xu: np.ndarray, Yu: np.ndarray, anchor_rows: np.ndarray) -> np.ndarray:
    """Per-row agreement of relative representations, from unit rows of both spaces."""
    rx, ry = Xu @ Xu[anchor_rows].T, Yu @ Yu[anchor_rows].T
    rx, ry = rx - rx.mean(1, keepdims=True), ry - ry.mean(1, keepdims=True)
    return (rx * ry).sum(1) / (np.linalg.norm(rx, axis=1) * np.linalg.norm(ry, axis=1))


def compare_models(a, b, k: int = 10, n_anchors: int = 100,
                   train_fraction: float = 0.5, ridge: float = 0.0, n_resamples: int = 100,
                   confidence: float = 0.95, random_state: int | None = 0,
                   progress: bool = True) -> pd.DataFrame:
    """All model-comparison measures for two models that embedded the same texts, each with a
    confidence interval from complementary half-samples of the texts.

    Parameters
    ----------
    a : EmbeddingSet
        The old / reference model, n texts (n >= 2k + 2 and n >= 8, so that a half-sample
        still has k neighbours per text).
    b : EmbeddingSet
        The new model: the same ``text`` column, in the same order (else ValueError).
    k : int, default 10
        Neighbours for the k-NN overlap and recall@k.
    n_anchors : int, default 100
        Random anchor texts of the relative representations (at most n // 2, at least 3).
    train_fraction, ridge : float
        Of :func:`linear_compensation`.
    n_resamples : int, default 100
        Half-samples behind the intervals (n_resamples // 2 complementary pairs), between 10
        and 1,000,000. Each recomputes every measure on n // 2 texts; its recall search
        costs a quarter of the estimate's, so 100 cost about 25 estimates' (n = 5,000 with
        384 and 768 dimensions: 2 minutes on 2 busy CPU cores).
    confidence : float in (0, 1), default 0.95
    random_state : int or None, default 0
        Seeds the anchors, the train/test split and the half-samples.
    progress : bool, default True
        Progress bar over the half-samples.

    Returns
    -------
    pandas.DataFrame
        The long result table (``metric, value, ci_low, ci_high, parameters``), one row each:
        linear_cka (Kornblith et al. 2019), debiased_cka (Nguyen et al. 2021),
        knn_jaccard_mean, procrustes_error (in [0, 2]), recall_before, recall_after,
        relative_agreement_mean. ``parameters`` ends with the interval's
        ``ci_method=complementary half-samples``, ``n_resamples`` and ``confidence``.
        ``recall_before`` is NaN, with a NaN interval, when the two dimensions differ.

    Notes
    -----
    **What the intervals are for.** Each is for θₙ = E[Tₙ], the mean of the measure over
    samples of n texts from the population the texts came from (and over the measure's own
    randomness: anchors, train/test split). Most of these measures move with n: biased CKA
    and the Procrustes error carry a finite-sample bias of order d/n, the k-NN overlap is
    taken at a neighbourhood scale that shrinks as n grows, recall@k searches an index of n
    texts with a map fit on a share of them. θₙ is what a sample of n texts can be asked
    about; it is the population value only where the estimator is unbiased (nearly so for
    debiased CKA).

    **How they are made.** ``n_resamples // 2`` random halves of the *paired* texts (the same
    texts in a and b, none twice: drawn with replacement, a duplicated text would be its own
    nearest neighbour at distance 0 and repeat a direction in every second moment), each
    with its complement (one text sits out when n is odd). Every measure is recomputed on
    both halves exactly as on the whole sample. A half and its complement are two
    independent samples of m = n // 2 texts, so (T(half) − T(complement))² / 2 estimates
    Var(Tₘ) without bias, for any measure; SE² = (m/n) · its mean rescales to n texts, and
    the interval is T ± t_(P−1) · SE over P pairs (it contains T). The delete-d jackknife of
    :func:`embviz.metrics.resampling.subsampling_interval` computes the same SE for smooth
    measures, but counts twice the variation a half-sample adds on its own (its new
    neighbours, its new split; Efron & Stein 1981): measured at n = 200 its SE was 1.2–1.35
    times the true standard deviation for the k-NN overlap and recall (coverage 98–100%),
    the complementary pairs' 0.9–1.1. Per measure:

    - CKA, debiased CKA, Procrustes: recomputed on the half's rows.
    - k-NN overlap: the half's own k-NN graphs in both spaces (not the full graphs
      restricted, which would lose the neighbours that fell out), read from graphs of all
      texts with min(n − 1, 4k + 24) neighbours by keeping each text's first k neighbours
      that are in the half; an exact search for any text whose list holds fewer.
    - recall_before / recall_after: a new random train/test split inside each half (same
      ``train_fraction`` and k; the index is the half's old vectors), so the interval covers
      the split's randomness as well as the choice of texts.
    - relative agreement: the anchors stay the texts drawn for the estimate; each half uses
      the anchors among its texts (about half of them; fewer than 3 leave that half out).
      Anchors are a random share of the texts, and a half-sample then holds a half-sample
      of them, so the spread reflects the choice of anchors as well as of texts. Drawing
      n_anchors new anchors inside each half (tried) varies them only as much as drawing
      n_anchors of these n texts, (1 − n_anchors/n) of the population's variation: an SE
      of 0.8 times the true standard deviation at n = 200, n_anchors = 100.

    Measured coverage of nominal 95% intervals (``tests/test_comparison_coverage.py``,
    n = 200, 250 draws): 93–94% for CKA, debiased CKA, Procrustes, relative agreement and
    recall before the map, 96% for the k-NN overlap and recall after it. Where a measure
    changes steeply with n (a k-NN overlap near its chance level, e.g. 0.05), the spread at
    n // 2 overstates the spread at n and the interval is conservative (99% measured).

    References
    ----------
    McCarthy (1969), "Pseudo-replication: half samples", Review of the International
    Statistical Institute 37(3); Wolter (2007), "Introduction to Variance Estimation",
    Springer, ch. 2 (random groups) and 3; Efron & Stein (1981), "The jackknife estimate of
    variance", Annals of Statistics 9(3); Shao & Wu (1989), Annals of Statistics 17(3).

    Examples
    --------
    >>> import pandas as pd
    >>> from embviz import EmbeddingSet
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 8))
    >>> meta = pd.DataFrame({"id": range(200), "text": [f"text {i}" for i in range(200)]})
    >>> table = compare_models(EmbeddingSet(X, meta), EmbeddingSet(X + rng.normal(size=X.shape),
    ...                        meta), n_resamples=20, progress=False)
    >>> bool((table["ci_low"] <= table["value"]).all())
    True
    """
    A, B = _checked_models(a, b)
    k, n_anchors = check_positive_int(k, "k"), check_positive_int(n_anchors, "n_anchors")
    train_fraction = check_number(train_fraction, "train_fraction", 0, 1, low_open=True,
                                  high_open=True)
    check_number(ridge, "ridge", 0)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    confidence = check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    n = len(A)
    _check_half_sample_size(n, k, train_fraction)
    rng = np.random.default_rng(random_state)
    spaces = _Spaces.of(A, B, k, max(3, min(n_anchors, n // 2)), train_fraction, ridge)
    anchors = rng.choice(n, spaces.n_anchors, replace=False)
    split = np.random.default_rng(int(rng.integers(2**31)))
    estimates = _measures(spaces, np.arange(n), anchors, split)
    pairs = _complementary_measures(spaces, anchors, n_resamples // 2, rng, progress)
    return result_table(_rows(spaces, estimates, pairs, n, confidence,
                              note=_compensation_note(A.shape[1], B.shape[1])))


def _checked_models(a, b) -> tuple[np.ndarray, np.ndarray]:
    from ..embedding_set import EmbeddingSet

    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, EmbeddingSet):
            raise TypeError(f"{name} must be an EmbeddingSet (the texts are checked to be the "
                            f"same), got {type(s).__name__}")
    return _paired(a, b)


def _check_half_sample_size(n: int, k: int, train_fraction: float) -> None:
    if n // 2 <= k or n < 8:
        raise ValueError(f"compare_models needs n >= 2k + 2 and n >= 8 texts, so that each "
                         f"half-sample of its intervals (n // 2 texts) still has k={k} "
                         f"neighbours per text; got n={n}")
    _check_split(n // 2, k, train_fraction, what=" in a half-sample of n // 2 texts")


@dataclass(frozen=True)
class _Spaces:
    """The paired rows and what every (half-)sample reuses: unit rows, deep k-NN graphs."""

    A: np.ndarray
    B: np.ndarray
    unit_a: np.ndarray
    unit_b: np.ndarray
    graph_a: Any
    graph_b: Any
    k: int
    n_anchors: int
    train_fraction: float
    ridge: float

    @classmethod
    def of(cls, A, B, k, n_anchors, train_fraction, ridge) -> _Spaces:
        from ..neighbors import knn_graph

        depth = subgraph_width(k, len(A))
        graphs = [knn_graph(M, depth, metric="cosine", progress=False) for M in (A, B)]
        return cls(A, B, unit_rows(A, name="a"), unit_rows(B, name="b"), *graphs, k,
                   n_anchors, train_fraction, ridge)


def _measures(spaces: _Spaces, rows: np.ndarray, anchors: np.ndarray,
              rng: np.random.Generator) -> dict[str, float]:
    """Every measure on the texts ``rows`` (increasing); ``anchors`` are positions in rows."""
    s, k = spaces, spaces.k
    A, B = s.A[rows], s.B[rows]
    cka, debiased, procrustes = _linear_measures(A, B)
    shared = _shared_counts(subgraph(s.graph_a, rows, k, s.A).indices,
                            subgraph(s.graph_b, rows, k, s.B).indices)
    before, after, _ = _compensation(A, B, (s.unit_a[rows], s.unit_b[rows]), k,
                                     s.train_fraction, s.ridge, rng)
    agreement = (_agreement(s.unit_a[rows], s.unit_b[rows], anchors) if len(anchors) >= 3
                 else np.nan)
    return {"linear_cka": cka, "debiased_cka": debiased,
            "knn_jaccard_mean": float(np.mean(shared / (2 * k - shared))),
            "procrustes_error": procrustes, "recall_before": before, "recall_after": after,
            "relative_agreement_mean": float(agreement.mean())}


def _complementary_measures(spaces: _Spaces, anchors: np.ndarray, n_pairs: int,
                           rng: np.random.Generator, progress: bool
                           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every measure on ``n_pairs`` pairs of disjoint half-samples (a random half and its
    complement, both of n // 2 texts), each with the ``anchors`` (row numbers) it contains:
    two dicts name -> (n_pairs,), the halves and their complements."""
    from .._progress import progress_bar

    n = len(spaces.A)
    is_anchor = np.zeros(n, bool)
    is_anchor[anchors] = True
    first, second = [], []
    with _one_blas_thread():
        for rows, rest in progress_bar(complementary_halves(n, n_pairs, rng),
                                       desc="compare_models (half-samples)",
                                       disable=not progress, leave=False):
            for half, values in ((rows, first), (rest, second)):
                values.append(_measures(spaces, half, np.flatnonzero(is_anchor[half]), rng))
    return ({name: np.array([v[name] for v in first]) for name in first[0]},
            {name: np.array([v[name] for v in second]) for name in second[0]})


def _one_blas_thread():
    """The half-samples run on one BLAS thread, as :func:`~embviz.drift.power_curve` does:
    each is a few moderate products, a QR or SVD and a least-squares fit, which threads
    barely speed up and, on a busy machine, slow down many times (measured on 2 shared
    cores: least squares of 1250×768 8.9 s on 2 threads, 0.55 s on one; SVD of 384×768
    1.7 s vs 0.04 s)."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - it comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _rows(spaces: _Spaces, estimates: dict, pairs: tuple[dict, dict], n: int,
          confidence: float, note: str) -> list[dict]:
    """The result rows: value, interval and what each depends on."""
    ci = {"ci_method": CI_METHOD, "n_resamples": 2 * len(pairs[0]["linear_cka"]),
          "confidence": confidence}
    n_train = int(round(spaces.train_fraction * n))
    recall = {"k": spaces.k, "n_train": n_train, "n_test": n - n_train, "ridge": spaces.ridge}
    parameters = {"linear_cka": {}, "debiased_cka": {"debiased": True},
                  "knn_jaccard_mean": {"k": spaces.k, "metric": "cosine"},
                  "procrustes_error": {}, "recall_before": recall, "recall_after": recall,
                  "relative_agreement_mean": {"n_anchors": spaces.n_anchors}}
    rows = []
    for name, value in estimates.items():
        low, high = complementary_interval(value, pairs[0][name], pairs[1][name], n,
                                            confidence)
        described = note if name == "recall_before" and note else {**parameters[name], **ci}
        rows.append({"metric": name, "value": value, "ci_low": low, "ci_high": high,
                     "parameters": described})
    return rows
