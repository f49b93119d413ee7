"""Analyses on SAE embeddings: dataset diffing, concept co-occurrence, filtered clustering,
property retrieval ("Interpretable Embeddings with Sparse Autoencoders: A Data Analysis
Toolkit")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import check_positive_int
from ..stats.multiplicity import _benjamini_hochberg
from ..stats.proportions import _two_proportion

__all__ = ["concept_clusters", "concept_correlations", "dataset_diff", "presence_diff",
           "retrieve"]


def _presence(codes: Any, name: str) -> sp.csr_matrix:
    if not (sp.issparse(codes) or isinstance(codes, np.ndarray)) or np.ndim(codes) != 2:
        raise TypeError(f"{name} must be a 2-D sparse matrix or array of SAE codes (n, d_sae), "
                        f"got {type(codes).__name__}")
    return (sp.csr_matrix(codes) > 0).astype(np.float64)


def presence_diff(a: Any, b: Any) -> pd.DataFrame:
    """Features ranked by the difference of presence frequency between two corpora.

    Parameters
    ----------
    a : sparse matrix or array of shape (n_a, d_sae)
        SAE codes of corpus A (e.g. :func:`document_codes`).
    b : sparse matrix or array of shape (n_b, d_sae)
        SAE codes of corpus B.

    Returns
    -------
    pandas.DataFrame of d_sae rows, sorted by ``diff`` (descending: more frequent in A first)
        ``feature, count_a, count_b, freq_a, freq_b, diff, z, p_value, q_value`` with the
        two-proportion test and Benjamini–Hochberg q-values over all features.
    """
    A, B = _presence(a, "a"), _presence(b, "b")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"a has {A.shape[1]} features but b has {B.shape[1]}: "
                         f"encode both corpora with the same SAE")
    if A.shape[0] == 0 or B.shape[0] == 0:
        raise ValueError("both corpora need at least one document")
    x_a = np.asarray(A.sum(axis=0)).ravel()
    x_b = np.asarray(B.sum(axis=0)).ravel()
    z, p = _two_proportion(x_a, A.shape[0], x_b, B.shape[0])
    table = pd.DataFrame({"feature": np.arange(A.shape[1]), "count_a": x_a.astype(int),
                          "count_b": x_b.astype(int), "freq_a": x_a / A.shape[0],
                          "freq_b": x_b / B.shape[0]})
    table["diff"] = table["freq_a"] - table["freq_b"]
    table["z"], table["p_value"], table["q_value"] = z, p, _benjamini_hochberg(p)
    return table.sort_values(["diff", "feature"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def dataset_diff(sae, a, b, n_examples: int = 3, n_words: int = 5, method: str = "log_odds",
                 labeller: Callable[[list[str]], str] | None = None, alpha: float = 0.05,
                 progress: bool = True) -> pd.DataFrame:
    """Which concepts are more frequent in corpus A than in corpus B, with labels and examples.

    Both corpora are encoded with ``sae``; features are ranked by ``freq_a - freq_b``
    (:func:`presence_diff`); labels come from the top-activating texts of the pooled corpus;
    examples are each feature's top-activating texts within A and within B.

    Parameters
    ----------
    sae : ConceptSAE
    a, b : EmbeddingSet or TokenCorpus
    n_examples : int, default 3
    n_words : int, default 5
    method : {"log_odds", "ctfidf"}
    labeller : callable (list of str) -> str, optional
    alpha : float, default 0.05
        False-discovery rate for the ``significant`` column.

    Returns
    -------
    pandas.DataFrame
        :func:`presence_diff` columns plus ``label, top_words, significant, examples_a,
        examples_b``; features active in neither corpus are dropped.
    """
    from .encode import document_codes
    from .labels import distinctive_words

    codes_a = document_codes(sae, a, progress=progress)
    codes_b = document_codes(sae, b, progress=progress)
    table = presence_diff(codes_a, codes_b)
    table = table[(table["count_a"] + table["count_b"]) > 0].reset_index(drop=True)
    from .features import top_rows

    feats = table["feature"].to_numpy()
    texts_a, texts_b = a.meta["text"].tolist(), b.meta["text"].tolist()
    pooled = sp.vstack([codes_a, codes_b]).tocsr()
    tops = top_rows(pooled, 20, feats)
    words = distinctive_words(texts_a + texts_b, tops, n_words=n_words, method=method)
    table["label"] = [labeller([(texts_a + texts_b)[r] for r in rows]) if labeller
                      else " / ".join(w[:3]) for rows, w in zip(tops, words)]
    table["top_words"] = words
    table["significant"] = table["q_value"] < alpha
    table["examples_a"] = [[texts_a[r] for r in rows] for rows in
                           top_rows(codes_a, n_examples, feats)]
    table["examples_b"] = [[texts_b[r] for r in rows] for rows in
                           top_rows(codes_b, n_examples, feats)]
    return table


def npmi_matrix_entries(P: sp.csr_matrix, min_count: int):
    """Pairs ``a < b`` that co-occur at least ``min_count`` times, with counts and NPMI."""
    n = P.shape[0]
    C = sp.triu(sp.csr_matrix(P.T @ P), k=1).tocoo()
    keep = C.data >= min_count
    a, b, c_ab = C.row[keep], C.col[keep], C.data[keep]
    counts = np.asarray(P.sum(axis=0)).ravel()
    p_ab, p_a, p_b = c_ab / n, counts[a] / n, counts[b] / n
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.where(p_ab < 1, np.log(p_ab / (p_a * p_b)) / -np.log(p_ab), 1.0)
    return a, b, counts, c_ab, npmi


def concept_correlations(codes: Any, min_count: int = 5, n_top: int | None = 100,
                         labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Feature pairs that co-occur in documents more often than chance, by NPMI.

    ``NPMI(a, b) = log(p(a, b) / (p(a) p(b))) / -log p(a, b)`` (Bouma 2009): 1 for features
    that always occur together, 0 for independent ones, -1 for ones that never co-occur
    (such pairs are not listed: only pairs seen together ``min_count`` times are).

    Parameters
    ----------
    codes : sparse matrix or array of shape (n, d_sae)
    min_count : int, default 5
    n_top : int or None, default 100
        Number of top pairs (highest NPMI) returned; all when None.
    labels : sequence of str of length d_sae, optional
        Feature labels, added as ``label_a``/``label_b``.

    Returns
    -------
    pandas.DataFrame sorted by NPMI (descending)
        ``feature_a, feature_b, count_a, count_b, count_ab, npmi``.
    """
    P = _presence(codes, "codes")
    min_count = check_positive_int(min_count, "min_count")
    a, b, counts, c_ab, npmi = npmi_matrix_entries(P, min_count)
    table = pd.DataFrame({"feature_a": a.astype(int), "feature_b": b.astype(int),
                          "count_a": counts[a].astype(int), "count_b": counts[b].astype(int),
                          "count_ab": c_ab.astype(int), "npmi": npmi})
    table = table.sort_values(["npmi", "count_ab"], ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    if n_top is not None:
        table = table.head(check_positive_int(n_top, "n_top"))
    if labels is not None:
        labels = list(labels)
        table["label_a"] = [labels[i] for i in table["feature_a"]]
        table["label_b"] = [labels[i] for i in table["feature_b"]]
    return table


def _columns(codes: Any, features: Sequence[int], name: str = "features") -> np.ndarray:
    codes = sp.csr_matrix(codes)
    features = np.atleast_1d(np.asarray(features))
    if features.size == 0 or features.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a non-empty sequence of feature indices")
    if features.min() < 0 or features.max() >= codes.shape[1]:
        raise ValueError(f"{name} must lie in 0..{codes.shape[1] - 1}, got "
                         f"{features.min()}..{features.max()}")
    return codes[:, features].toarray().astype(np.float64)


def concept_clusters(codes: Any, features: Sequence[int], n_clusters: int = 8,
                     random_state: int = 0) -> np.ndarray:
    """Cluster documents on a chosen subset of concepts only (concept-filtered clustering).

    Each selected feature is scaled by its maximum activation (so each counts equally), then
    k-means (scikit-learn, ``n_init=4``) groups the documents.

    Parameters
    ----------
    codes : sparse matrix or array of shape (n, d_sae)
    features : sequence of int
    n_clusters : int, default 8
    random_state : int, default 0

    Returns
    -------
    ndarray of shape (n,), int64
        Cluster of each document.
    """
    from sklearn.cluster import KMeans

    X = _columns(codes, features)
    peak = X.max(axis=0)
    X = X / np.where(peak > 0, peak, 1.0)
    n_clusters = min(check_positive_int(n_clusters, "n_clusters"), len(X))
    km = KMeans(n_clusters=n_clusters, n_init=4, random_state=random_state).fit(X)
    return km.labels_.astype(np.int64)


def retrieve(codes: Any, features: Sequence[int], weights: Sequence[float] | None = None,
             n_top: int = 10) -> pd.DataFrame:
    """Documents ranked by one concept or a weighted combination of concepts.

    ``score = codes[:, features] @ weights`` (weights default to 1 each; a negative weight
    penalises a concept). Only documents with a positive score are returned.

    Parameters
    ----------
    codes : sparse matrix or array of shape (n, d_sae)
    features : int or sequence of int
    weights : sequence of float, optional
    n_top : int, default 10
        Number of top-ranked documents returned (fewer when fewer score above 0).

    Returns
    -------
    pandas.DataFrame
        ``row, score``, best first.
    """
    X = _columns(codes, features)
    w = np.ones(X.shape[1]) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (X.shape[1],):
        raise ValueError(f"weights must have one value per feature ({X.shape[1]}), "
                         f"got shape {w.shape}")
    score = X @ w
    rows = np.flatnonzero(score > 0)
    order = rows[np.lexsort((rows, -score[rows]))][:check_positive_int(n_top, "n_top")]
    return pd.DataFrame({"row": order.astype(np.int64), "score": score[order]})
