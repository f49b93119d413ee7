"""Task scores of low-dimensional subspaces, with the controls truncation studies need.

Keeping the *first* ``d`` coordinates of an embedding is meaningful only for a model trained to
put its information there (Matryoshka training, Kusupati et al. 2022). For any other model the
first ``d`` coordinates are an arbitrary subset, so a truncation curve must be read against

- ``random``: ``d`` coordinates drawn at random (several draws), the null of "nothing special
  about the first ones";
- ``pca``: the projection onto the top-``d`` principal axes, fitted on *held-out* rows (not the
  evaluated ones), the best linear ``d``-subspace in variance.

All three are subspaces of the same space and none is re-centred, so they differ only in
*which* ``d``-dimensional subspace is kept. :func:`subspace_scores` scores them on the label
tasks of :mod:`embviz.metrics.tasks` (k-NN accuracy, chance-corrected clustering scores over
several k-means seeds, retrieval MAP) and on human similarity judgements;
:func:`embviz.metrics.similarity_bootstrap` gives document-bootstrap replicates of Spearman's ρ
for intervals and paired differences.

References
----------
Tsukagoshi & Sasano (2025), "Redundancy, Isotropy, and Intrinsic Dimensionality of
Prompt-based Text Embeddings", Findings of ACL 2025, arXiv:2506.01435; Li et al. (2024),
"2D Matryoshka Sentence Embeddings", arXiv:2402.14776; Vinh, Epps & Bailey (2010),
"Information Theoretic Measures for Clusterings Comparison", JMLR 11 (AMI); Hubert & Arabie
(1985), "Comparing partitions", J. Classification 2 (ARI); Efron & Tibshirani (1993),
"An Introduction to the Bootstrap", ch. 13 (percentile intervals).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._validation import check_choice, check_embeddings, check_positive_int
from .tasks import _gold, _knn_accuracy, _labels, _n_clusters, _retrieval

__all__ = ["SUBSPACES", "chance_corrected_clustering", "subspace_projection", "subspace_scores"]

#: Ways of choosing a d-dimensional subspace.
SUBSPACES = ("first", "random", "pca")
_SUBSPACE_TASKS = ("classification", "clustering", "retrieval", "similarity")


def _pca_axes(fit: np.ndarray) -> np.ndarray:
    """Principal axes (D, r) of the centred fitting rows, by decreasing variance; r = rank."""
    centred = fit - fit.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    rank = int((s > s[0] * max(fit.shape) * np.finfo(np.float64).eps).sum()) if len(s) else 0
    return vt[:rank].T


def subspace_projection(X, d: int, method: str = "first", fit=None,
                        random_state: int | None = 0) -> np.ndarray:
    """The coordinates of the rows of X in a d-dimensional subspace.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, D)
    d : int in [1, D]
    method : {"first", "random", "pca"}
        ``first``: ``X[:, :d]``; ``random``: ``d`` columns drawn without replacement (sorted);
        ``pca``: ``X @ V_d`` with ``V_d`` (D, d) the top-d principal axes of ``fit`` (centred
        for the fit only; X is projected as it is, like the coordinate subsets).
    fit : array of shape (m, D), optional
        Held-out rows for ``pca`` (required there). Their rank must be at least d.
    random_state : int or None, default 0
        Seed of the ``random`` draw.

    Returns
    -------
    ndarray of shape (n, d), float64
    """
    X = check_embeddings(X).astype(np.float64)
    d = check_positive_int(d, "d")
    if d > X.shape[1]:
        raise ValueError(f"d must be at most the dimension {X.shape[1]}, got {d}")
    check_choice(method, "method", SUBSPACES)
    if method == "first":
        return X[:, :d]
    if method == "random":
        columns = np.sort(np.random.default_rng(random_state).choice(X.shape[1], d,
                                                                     replace=False))
        return X[:, columns]
    if fit is None:
        raise ValueError("method='pca' needs fit= (held-out rows to fit the axes on)")
    fit = check_embeddings(fit, name="fit", min_rows=2).astype(np.float64)
    if fit.shape[1] != X.shape[1]:
        raise ValueError(f"fit has {fit.shape[1]} columns, X has {X.shape[1]}")
    axes = _pca_axes(fit)
    if d > axes.shape[1]:
        raise ValueError(f"fit has rank {axes.shape[1]} < d = {d}: use more held-out rows")
    return X @ axes[:, :d]


def chance_corrected_clustering(X, labels, n_seeds: int = 5, n_clusters: int | None = None,
                                random_state: int = 0) -> pd.DataFrame:
    """k-means on the unit rows, scored by AMI and ARI, once per seed.

    V-measure has a floor above 0 that grows with the number of clusters (random partitions
    score well above 0 on 45 classes), so truncation curves of V-measure flatten towards that
    floor; the adjusted mutual information and adjusted Rand index are 0 in expectation for a
    random partition and 1 for a perfect one.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d)
    labels : array-like of shape (n,)
    n_seeds : int, default 5
        k-means runs (``n_init=1`` each) with seeds ``random_state, random_state + 1, ...``.
    n_clusters : int, optional
        Default: the number of distinct labels.
    random_state : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``seed``, ``ami``, ``ari`` — one row per seed.

    References
    ----------
    Vinh, Epps & Bailey (2010), JMLR 11; Hubert & Arabie (1985), J. Classification 2.
    """
    X = check_embeddings(X, min_rows=2)
    return _clustering_seeds(unit_rows(X, np.float64), _labels(labels, len(X)),
                             check_positive_int(n_seeds, "n_seeds"),
                             _n_clusters(n_clusters, len(X)), int(random_state))


def _clustering_seeds(X: np.ndarray, codes: np.ndarray, n_seeds: int, n_clusters: int | None,
                      random_state: int) -> pd.DataFrame:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    n_clusters = n_clusters or int(codes.max() + 1)
    rows = []
    for seed in range(random_state, random_state + n_seeds):
        found = KMeans(n_clusters, n_init=1, random_state=seed).fit_predict(X)
        rows.append({"seed": seed, "ami": float(adjusted_mutual_info_score(codes, found)),
                     "ari": float(adjusted_rand_score(codes, found))})
    return pd.DataFrame(rows)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy import stats

    return float(stats.spearmanr(x, y).statistic)


def subspace_scores(X, dims: Sequence[int], labels=None, gold=None,
                    tasks: Sequence[str] = _SUBSPACE_TASKS,
                    methods: Sequence[str] = SUBSPACES, fit=None, n_draws: int = 5,
                    n_seeds: int = 5, k: int = 10, random_state: int = 0) -> pd.DataFrame:
    """Task scores of first-d, random-d and PCA-d subspaces of X.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, D)
    dims : sequence of int in [2, D]
        For ``pca``, sizes above the rank of ``fit`` are skipped.
    labels : array-like of shape (n,), optional
        For classification (leave-one-out cosine k-NN accuracy), clustering (AMI and ARI of
        k-means, ``n_seeds`` seeds) and retrieval (same-label MAP).
    gold : array of shape (n, n), optional
        Human similarities for ``similarity`` (Spearman ρ of the cosine similarities).
    tasks : sequence of {"classification", "clustering", "retrieval", "similarity"}
    methods : sequence of {"first", "random", "pca"}
    fit : array of shape (m, D), optional
        Held-out rows on which the PCA axes are fitted (needed for ``pca``).
    n_draws : int, default 5
        Random subsets per size (draw seeds ``random_state + i``).
    n_seeds : int, default 5
        k-means seeds per subspace.
    k : int, default 10
        Neighbourhood size of the classification task: the k nearest neighbours (cosine)
        that vote.
    random_state : int, default 0

    Returns
    -------
    pandas.DataFrame
        Tidy: ``dims``, ``method``, ``draw`` (0 except for ``random``), ``seed`` (k-means seed;
        -1 for scores without one), ``score`` (``knn_accuracy``, ``ami``, ``ari``, ``map``,
        ``spearman``), ``value``.
    """
    X = check_embeddings(X, min_rows=3)
    D = X.shape[1]
    dims = [int(m) for m in dims]
    if not dims or any(not 2 <= m <= D for m in dims):
        raise ValueError(f"dims must be a non-empty list in [2, {D}], got {dims}")
    tasks = set(tasks)
    unknown = tasks - set(_SUBSPACE_TASKS)
    if unknown:
        raise ValueError(f"tasks must be among {list(_SUBSPACE_TASKS)}, got {sorted(unknown)}")
    for method in methods:
        check_choice(method, "method", SUBSPACES)
    codes = _labels(labels, len(X)) if tasks - {"similarity"} else None
    if codes is None and tasks - {"similarity"}:
        raise ValueError("classification, clustering and retrieval need labels=")
    gold = _gold(gold, len(X)) if "similarity" in tasks else None
    n_draws, n_seeds = check_positive_int(n_draws, "n_draws"), check_positive_int(n_seeds,
                                                                                  "n_seeds")
    k = check_positive_int(k, "k")
    rank = _pca_axes(check_embeddings(fit, name="fit", min_rows=2).astype(np.float64)).shape[1] \
        if "pca" in methods and fit is not None else 0
    if "pca" in methods and fit is None:
        raise ValueError("method 'pca' needs fit= (held-out rows)")
    rows = []
    for m in dims:
        for method in methods:
            if method == "pca" and m > rank:
                continue
            for draw in range(n_draws if method == "random" else 1):
                Z = subspace_projection(X, m, method, fit=fit, random_state=random_state + draw)
                key = {"dims": m, "method": method, "draw": draw}
                if "classification" in tasks:
                    rows.append({**key, "seed": -1, "score": "knn_accuracy",
                                 "value": _knn_accuracy(Z, codes, k)})
                if "clustering" in tasks:
                    found = _clustering_seeds(unit_rows(Z, np.float64), codes, n_seeds, None,
                                              random_state)
                    rows += [{**key, "seed": int(r.seed), "score": s, "value": getattr(r, s)}
                             for r in found.itertuples() for s in ("ami", "ari")]
                if "retrieval" in tasks:
                    rows.append({**key, "seed": -1, "score": "map",
                                 "value": _retrieval(Z, codes, k)["map"]})
                if "similarity" in tasks:
                    Zu = unit_rows(Z, np.float64)
                    upper = np.triu_indices(len(Z), k=1)
                    rows.append({**key, "seed": -1, "score": "spearman",
                                 "value": _spearman((Zu @ Zu.T)[upper], gold[upper])})
    return pd.DataFrame(rows, columns=["dims", "method", "draw", "seed", "score", "value"])
