"""Task scores of embeddings: classification, clustering, retrieval and similarity.

Small, label-based stand-ins for MTEB-style task families, used to ask how much of a task
survives when embeddings are truncated, whitened or taken from another layer:

- classification: leave-one-out k-NN accuracy, 1 − :func:`knn_classification_error` of a
  cosine k-NN graph (score ``knn_accuracy`` of :func:`task_scores`);
- clustering: V-measure and adjusted Rand index of k-means against the labels
  (:func:`clustering_scores`);
- retrieval: every row queries all others, documents with its label are relevant: mean average
  precision and recall@k (:func:`retrieval_scores`);
- similarity: Spearman correlation of cosine similarities with human judgements
  (:func:`similarity_correlation`, e.g. against :func:`embviz.datasets.lee_similarity`).

:func:`task_scores` runs them together, :func:`truncation_scores` over first-``d`` truncations
and :func:`layer_dimension_grid` over layers × truncations; :func:`embviz.stats.mcnemar_test`
compares two classifiers' per-point correctness.

Public functions check their input once and then call the private kernels (``_task_scores``
and the ``_knn_accuracy``, ``_clustering``, ``_retrieval``, ``_similarity`` it runs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._validation import check_embeddings, check_positive_int
from ..neighbors import knn_graph
from .hubness import knn_classification_error

__all__ = [
    "TASKS",
    "clustering_scores",
    "layer_dimension_grid",
    "retrieval_scores",
    "similarity_correlation",
    "task_scores",
    "truncation_scores",
]

#: Task families of :func:`task_scores` (``similarity`` needs a gold matrix).
TASKS = ("classification", "clustering", "retrieval", "similarity")
_BLOCK_ROWS = 512


# --------------------------------------------------------------------------- checks
def _labels(labels, n: int) -> np.ndarray:
    """Integer codes (n,) of the labels, one per row."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must be 1-D with one entry per row ({n}), got shape "
                         f"{labels.shape}")
    codes, _ = pd.factorize(labels)
    if (codes < 0).any():
        raise ValueError("labels has missing values")
    return codes


def _gold(gold, n: int) -> np.ndarray:
    """Gold similarities as a float64 (n, n) matrix; similarity needs n >= 3 rows."""
    if n < 3:
        raise ValueError(f"X needs at least 3 row(s) for similarity, got {n}")
    gold = np.asarray(gold, dtype=np.float64)
    if gold.shape != (n, n):
        raise ValueError(f"gold must have shape ({n}, {n}), got {gold.shape}")
    if not np.isfinite(gold).all():
        raise ValueError(f"gold holds {int((~np.isfinite(gold)).sum())} NaN or infinite "
                         f"similarities; every pair needs a gold value")
    return gold


def _n_clusters(n_clusters, n: int) -> int | None:
    """``None`` (one cluster per label) or a number of clusters in ``[1, n]``."""
    if n_clusters is None:
        return None
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    if n_clusters > n:
        raise ValueError(f"n_clusters={n_clusters} exceeds the {n} rows of X")
    return n_clusters


def _task_inputs(tasks: Sequence[str], labels, gold, n: int):
    """Checked ``(tasks, label codes or None, gold or None)``; unused inputs become None."""
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"tasks must be among {list(TASKS)}, got {sorted(unknown)}")
    tasks = set(tasks)
    needs_labels = bool(tasks & {"classification", "clustering", "retrieval"})
    codes = _labels(labels, n) if labels is not None and needs_labels else None
    gold = _gold(gold, n) if gold is not None and "similarity" in tasks else None
    return tasks, codes, gold


def _dims(dims: Sequence[int], d: int) -> list[int]:
    """Truncation sizes as ints in [2, d]."""
    checked = [int(m) for m in dims]
    if not checked or any(not 2 <= m <= d for m in checked):
        raise ValueError(f"dims must be a non-empty list in [2, {d}], got {list(dims)}")
    return checked


# --------------------------------------------------------------------------- kernels
def _knn_accuracy(X: np.ndarray, codes: np.ndarray, k: int) -> float:
    """1 − leave-one-out k-NN classification error on a cosine graph (k capped at n − 1)."""
    k = min(k, len(X) - 1)
    graph = knn_graph(X, k=k, metric="cosine", progress=False)
    return 1.0 - knn_classification_error(graph, codes, k=k)


def _clustering(X: np.ndarray, codes: np.ndarray, n_clusters: int | None,
                random_state: int | None) -> dict[str, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    n_clusters = n_clusters or int(codes.max() + 1)
    found = KMeans(n_clusters, n_init=3, random_state=random_state).fit_predict(
        unit_rows(X, np.float64))
    return {"v_measure": float(v_measure_score(codes, found)),
            "adjusted_rand": float(adjusted_rand_score(codes, found))}


def _retrieval(X: np.ndarray, codes: np.ndarray, k: int) -> dict[str, float]:
    X = unit_rows(X, np.float32)
    k = min(k, len(X) - 1)
    aps, recalls = [], []
    for start in range(0, len(X), _BLOCK_ROWS):
        rows = np.arange(start, min(start + _BLOCK_ROWS, len(X)))
        sims = X[rows] @ X.T
        sims[np.arange(len(rows)), rows] = -np.inf  # a query never retrieves itself
        order = np.argsort(-sims, axis=1, kind="stable")[:, :-1]  # drop self (last)
        relevant = codes[order] == codes[rows][:, None]  # (block, n - 1)
        n_rel = relevant.sum(1)
        hits = np.cumsum(relevant, axis=1)
        precision = hits / np.arange(1, relevant.shape[1] + 1)
        keep = n_rel > 0
        aps.append((precision * relevant).sum(1)[keep] / n_rel[keep])
        recalls.append(hits[keep, k - 1] / np.minimum(k, n_rel[keep]))
    aps, recalls = np.concatenate(aps), np.concatenate(recalls)
    if not len(aps):
        raise ValueError("no label occurs twice: retrieval needs relevant documents")
    return {"map": float(aps.mean()), "recall_at_k": float(recalls.mean())}


def _similarity(X: np.ndarray, gold: np.ndarray) -> float:
    from scipy import stats

    X = unit_rows(X, np.float64)
    upper = np.triu_indices(len(X), k=1)
    return float(stats.spearmanr((X @ X.T)[upper], gold[upper]).statistic)


def _task_scores(X: np.ndarray, codes: np.ndarray | None, gold: np.ndarray | None,
                 tasks: set[str], k: int, random_state: int | None) -> dict[str, float]:
    scores: dict[str, float] = {}
    if codes is not None and "classification" in tasks:
        scores["knn_accuracy"] = _knn_accuracy(X, codes, k)
    if codes is not None and "clustering" in tasks:
        scores.update(_clustering(X, codes, None, random_state))
    if codes is not None and "retrieval" in tasks:
        scores.update(_retrieval(X, codes, k))
    if gold is not None and "similarity" in tasks:
        scores["spearman"] = _similarity(X, gold)
    return scores


# --------------------------------------------------------------------------- public
def clustering_scores(X, labels, n_clusters: int | None = None,
                      random_state: int | None = 0) -> dict[str, float]:
    """k-means on the unit-normalised rows, scored against the labels.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d)
    labels : array-like of shape (n,)
    n_clusters : int, optional
        Default: the number of distinct labels.
    random_state : int or None, default 0
        Seed of k-means (``n_init=3``).

    Returns
    -------
    dict
        ``v_measure`` and ``adjusted_rand`` (scikit-learn definitions), floats.

    References
    ----------
    Rosenberg & Hirschberg (2007), "V-Measure", EMNLP (the MTEB clustering score).
    """
    X = check_embeddings(X, min_rows=2)
    return _clustering(X, _labels(labels, len(X)), _n_clusters(n_clusters, len(X)),
                       random_state)


def retrieval_scores(X, labels, k: int = 10) -> dict[str, float]:
    """Label-based retrieval: each row queries all others by cosine similarity.

    Documents with the query's label are relevant. Average precision is taken over the full
    ranking; recall@k is the share of relevant documents in the top ``k``, divided by
    ``min(k, number relevant)`` so that a perfect ranking scores 1. Queries without any other
    document of their label are skipped. Memory O(block · n).

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d)
    labels : array-like of shape (n,)
    k : int, default 10
        Neighbourhood size of recall@k: a query's k nearest neighbours by cosine similarity
        are the documents it retrieves. Capped at n − 1.

    Returns
    -------
    dict
        ``map`` (mean average precision) and ``recall_at_k``, floats in [0, 1].
    """
    X = check_embeddings(X, min_rows=2)
    return _retrieval(X, _labels(labels, len(X)), check_positive_int(k, "k"))


def similarity_correlation(X, gold) -> float:
    """Spearman correlation of pairwise cosine similarities with gold similarities.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d), n >= 3
    gold : array of shape (n, n)
        Symmetric gold similarities (e.g. :func:`embviz.datasets.lee_similarity`); only the
        pairs above the diagonal are used.

    Returns
    -------
    float in [−1, 1]

    References
    ----------
    Lee, Pincombe & Welsh (2005), "An empirical evaluation of models of text document
    similarity", CogSci (the Lee judgements).
    """
    X = check_embeddings(X, min_rows=3)
    return _similarity(X, _gold(gold, len(X)))


def task_scores(X, labels=None, gold=None, tasks: Sequence[str] = TASKS, k: int = 10,
                random_state: int | None = 0) -> dict[str, float]:
    """The scores of several task families on one set of vectors.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, d)
    labels : array-like of shape (n,), optional
        Needed by classification, clustering and retrieval.
    gold : array of shape (n, n), optional
        Needed by similarity; tasks whose input is missing are skipped.
    tasks : sequence of {"classification", "clustering", "retrieval", "similarity"}
        Default: all of :data:`TASKS`.
    k : int, default 10
        Neighbours of the k-NN classifier and of recall@k (capped at n − 1).
    random_state : int or None, default 0
        Seed of k-means.

    Returns
    -------
    dict
        ``knn_accuracy`` (1 − :func:`knn_classification_error` of the cosine k-NN graph),
        ``v_measure``, ``adjusted_rand``, ``map``, ``recall_at_k``, ``spearman`` — those of
        the tasks run.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.repeat(np.eye(3), 10, axis=0) + rng.normal(scale=0.1, size=(30, 3))
    >>> task_scores(X, np.repeat(["a", "b", "c"], 10), tasks=["classification"])
    {'knn_accuracy': 1.0}
    """
    X = check_embeddings(X, min_rows=2)
    tasks, codes, gold = _task_inputs(tasks, labels, gold, len(X))
    return _task_scores(X, codes, gold, tasks, check_positive_int(k, "k"), random_state)


def truncation_scores(X, dims: Sequence[int], labels=None, gold=None,
                      tasks: Sequence[str] = TASKS, k: int = 10,
                      random_state: int | None = 0) -> pd.DataFrame:
    """:func:`task_scores` of the first-``d`` truncations ``X[:, :d]``.

    Parameters
    ----------
    X : EmbeddingSet, array or tensor of shape (n, D)
    dims : sequence of int in [2, D]
    labels, gold, tasks, k, random_state
        As in :func:`task_scores`.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``dims``, ``score`` (name), ``value``, and ``relative`` = value / value at the
        largest ``d`` given.

    References
    ----------
    Tsukagoshi & Sasano (2025), "Redundancy, Isotropy, and Intrinsic Dimensionality of
    Prompt-based Text Embeddings", Findings of ACL 2025, arXiv:2506.01435.
    """
    X = check_embeddings(X, min_rows=2)
    dims = _dims(dims, X.shape[1])
    tasks, codes, gold = _task_inputs(tasks, labels, gold, len(X))
    k = check_positive_int(k, "k")
    rows = [{"dims": m, "score": name, "value": value}
            for m in dims
            for name, value in _task_scores(X[:, :m], codes, gold, tasks, k,
                                            random_state).items()]
    table = pd.DataFrame(rows)
    full = table[table["dims"] == max(dims)].set_index("score")["value"]
    table["relative"] = table["value"] / table["score"].map(full)
    return table


def layer_dimension_grid(layers, labels, dims: Sequence[int], k: int = 10) -> pd.DataFrame:
    """k-NN accuracy of every (layer, first-``d`` truncation) pair.

    The evaluation grid of 2D Matryoshka embeddings: how good is a sub-network (the first
    ``layer`` layers) with a sub-vector (the first ``d`` dimensions)?

    Parameters
    ----------
    layers : array or tensor of shape (n_layers, n, D), or sequence of EmbeddingSets, arrays
        or tensors of shape (n, D)
    labels : array-like of shape (n,)
    dims : sequence of int in [2, D]
    k : int, default 10
        Neighbours of the k-NN classifier (capped at n − 1).

    Returns
    -------
    pandas.DataFrame
        ``layer`` (position in ``layers``, or the EmbeddingSet's recorded layer), ``dims``,
        ``knn_accuracy`` (1 − :func:`knn_classification_error` of the cosine k-NN graph).

    References
    ----------
    Li, Li, Zhang, Chen et al. (2024), "2D Matryoshka Sentence Embeddings" (ESE),
    arXiv:2402.14776.
    """
    k = check_positive_int(k, "k")
    rows = []
    for i, layer in enumerate(layers):
        X = check_embeddings(layer, name=f"layers[{i}]", min_rows=2)
        codes = _labels(labels, len(X))
        number = getattr(layer, "provenance", {}).get("layer", i)
        rows += [{"layer": number, "dims": m, "knn_accuracy": _knn_accuracy(X[:, :m], codes, k)}
                 for m in _dims(dims, X.shape[1])]
    return pd.DataFrame(rows)
