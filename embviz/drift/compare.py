"""Model-to-model comparison on the same texts (the two spaces may differ in dimension):
linear CKA, per-point k-NN overlap, orthogonal Procrustes, a least-squares map from the new
space to the old one with the retrieval recall it recovers, and relative representations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._tables import result_table
from .._validation import check_embeddings, check_number, check_positive_int, unit_rows
from ._inputs import texts_of

__all__ = ["LinearMap", "compare_models", "knn_overlap", "linear_cka", "linear_compensation",
           "procrustes_error", "relative_agreement", "relative_representation"]


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


def _hsic_terms(X: np.ndarray, Y: np.ndarray, debiased: bool) -> float:
    """HSIC of the linear kernels XXᵀ, YYᵀ without forming them (X, Y column-centred)."""
    cross = np.linalg.norm(X.T @ Y) ** 2
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
    X64, Y64 = _paired(a, b)
    X64, Y64 = X64 - X64.mean(0), Y64 - Y64.mean(0)
    xy = _hsic_terms(X64, Y64, debiased)
    xx, yy = _hsic_terms(X64, X64, debiased), _hsic_terms(Y64, Y64, debiased)
    if xx <= 0 or yy <= 0:
        raise ValueError("CKA is undefined: one representation has no variance (constant "
                         "rows)")
    return float(xy / np.sqrt(xx * yy))


def knn_overlap(a, b, k: int = 10, metric: str = "cosine") -> pd.DataFrame:
    """Per-text Jaccard overlap of its k nearest neighbours in two spaces.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        Same texts, same order.
    k : int, default 10
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
    shared = np.array([np.intersect1d(x, y, assume_unique=True).size for x, y in zip(gx, gy)])
    frame = pd.DataFrame({"row": np.arange(len(gx)), "jaccard": shared / (2 * k - shared),
                          "shared": shared})
    texts = texts_of(a) or texts_of(b)
    if texts is not None:
        frame["text"] = texts
    return frame.sort_values(["jaccard", "row"], kind="stable").reset_index(drop=True)


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
    X64, Y64 = _paired(a, b, 2)
    X64, Y64 = X64 - X64.mean(0), Y64 - Y64.mean(0)
    nx, ny = np.linalg.norm(X64), np.linalg.norm(Y64)
    if nx == 0 or ny == 0:
        raise ValueError("Procrustes is undefined: one representation has no variance")
    nuclear = np.linalg.svd((X64 / nx).T @ (Y64 / ny), compute_uv=False).sum()
    return float(max(2 - 2 * nuclear, 0.0))


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
        A, B = _paired(a, b, 2)
        self.mean_a_, self.mean_b_ = A.mean(0), B.mean(0)
        Ac, Bc = A - self.mean_a_, B - self.mean_b_
        if self.ridge == 0:
            self.coef_ = np.linalg.lstsq(Bc, Ac, rcond=None)[0]
        else:
            gram = Bc.T @ Bc + self.ridge * np.eye(B.shape[1])
            self.coef_ = np.linalg.solve(gram, Bc.T @ Ac)
        return self

    def transform(self, b) -> np.ndarray:
        """Map rows of space ``b``, (m, d_b) → (m, d_a) float64."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("this LinearMap is not fitted yet; call fit(a, b) first")
        B = check_embeddings(b, "b").astype(np.float64)
        if B.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"b must have {self.coef_.shape[0]} columns, got {B.shape[1]}")
        return (B - self.mean_b_) @ self.coef_ + self.mean_a_


def _topk_cosine(queries: np.ndarray, index: np.ndarray, exclude: np.ndarray, k: int,
                 block: int = 1024) -> np.ndarray:
    """Top-k rows of ``index`` by cosine for each query, its own row ``exclude[i]`` left out."""
    Q, R = unit_rows(queries, name="queries"), unit_rows(index, name="index")
    out = np.empty((len(Q), k), np.int64)
    for start in range(0, len(Q), block):
        sims = Q[start:start + block] @ R.T
        sims[np.arange(len(sims)), exclude[start:start + block]] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[start:start + block] = top
    return out


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([np.intersect1d(f, t).size for f, t in zip(found, truth)])
                 / truth.shape[1])


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
    order = np.random.default_rng(random_state).permutation(len(old64))
    n_train = int(round(train_fraction * len(old64)))
    train, test = order[:n_train], order[n_train:]
    if len(train) < 2 or len(test) < 1 or k >= len(old64):
        raise ValueError(f"need >= 2 training texts, >= 1 query and k < n; got n_train="
                         f"{len(train)}, n_test={len(test)}, k={k}, n={len(old64)}")
    truth = _topk_cosine(old64[test], old64, test, k)
    mapped = LinearMap(ridge).fit(old64[train], new64[train]).transform(new64[test])
    after = _recall(_topk_cosine(mapped, old64, test, k), truth)
    same_dim = old64.shape[1] == new64.shape[1]
    before = _recall(_topk_cosine(new64[test], old64, test, k), truth) if same_dim else float("nan")
    note = "" if same_dim else (f"recall_before is NaN: new vectors (d={new64.shape[1]}) cannot "
                                f"be searched in an index of d={old64.shape[1]} without a map")
    return {"recall_before": before, "recall_after": after, "k": k, "n_train": len(train),
            "n_test": len(test), "ridge": ridge, "note": note}


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
    rx = relative_representation(X64, X64[rows])
    ry = relative_representation(Y64, Y64[rows])
    rx, ry = rx - rx.mean(1, keepdims=True), ry - ry.mean(1, keepdims=True)
    return (rx * ry).sum(1) / (np.linalg.norm(rx, axis=1) * np.linalg.norm(ry, axis=1))


def compare_models(a, b, k: int = 10, n_anchors: int = 100,
                   train_fraction: float = 0.5, ridge: float = 0.0,
                   random_state: int | None = 0) -> pd.DataFrame:
    """All model-comparison measures for two models that embedded the same texts.

    Parameters
    ----------
    a : EmbeddingSet
        The old / reference model.
    b : EmbeddingSet
        The new model: the same ``text`` column, in the same order (else ValueError).
    k : int, default 10
        Neighbours for the k-NN overlap and recall@k.
    n_anchors : int, default 100
        Random anchor texts of the relative representations (at most n // 2).
    train_fraction, ridge : float
        Of :func:`linear_compensation`.
    random_state : int or None, default 0

    Returns
    -------
    pandas.DataFrame
        The long result table (``metric, value, ci_low, ci_high, parameters``), one row each:
        linear_cka (Kornblith et al. 2019), debiased_cka (Nguyen et al. 2021),
        knn_jaccard_mean, procrustes_error (in [0, 2]), recall_before, recall_after,
        relative_agreement_mean.
    """
    from ..embedding_set import EmbeddingSet

    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, EmbeddingSet):
            raise TypeError(f"{name} must be an EmbeddingSet (the texts are checked to be the "
                            f"same), got {type(s).__name__}")
    _check_texts_aligned(a, b)
    rng = np.random.default_rng(random_state)
    n = len(a)
    anchors = rng.choice(n, max(3, min(n_anchors, n // 2)), replace=False)
    comp = linear_compensation(a, b, k, train_fraction, ridge, int(rng.integers(2**31)))
    overlap = knn_overlap(a, b, k)
    recall = {"k": k, "n_train": comp["n_train"], "n_test": comp["n_test"], "ridge": ridge}
    return result_table([
        {"metric": "linear_cka", "value": linear_cka(a, b)},
        {"metric": "debiased_cka", "value": linear_cka(a, b, debiased=True),
         "parameters": {"debiased": True}},
        {"metric": "knn_jaccard_mean", "value": overlap["jaccard"].mean(),
         "parameters": {"k": k, "metric": "cosine"}},
        {"metric": "procrustes_error", "value": procrustes_error(a, b)},
        {"metric": "recall_before", "value": comp["recall_before"],
         "parameters": comp["note"] or recall},
        {"metric": "recall_after", "value": comp["recall_after"], "parameters": recall},
        {"metric": "relative_agreement_mean", "value": relative_agreement(a, b, anchors).mean(),
         "parameters": {"n_anchors": len(anchors)}}])
