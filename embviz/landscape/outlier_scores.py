"""Outlier scores of every point, from the shared kNN graph (and the vectors' mean direction).

Three scores that see different things:

* **kNN distance** — the distance to the k-th nearest neighbour: far from everything.
* **Local outlier factor** (Breunig et al. 2000) — the mean local reachability density of a
  point's neighbours over its own: sparse *relative to its neighbourhood*, so a point at the
  edge of a dense cluster scores high even when a sparse cluster elsewhere is as far apart.
* **TTE depth** (Seegmiller & Preum 2023) — 2 − the mean cosine distance to every other
  point: far from the corpus's centre of mass, whatever the neighbourhood (low = atypical).

kNN distance and LOF are read from the graph (O(n·k)); depth costs O(n·d) time and, computed
block by block, O(block·d) memory beyond the vectors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._validation import check_number, check_positive_int, texts_of
from ..neighbors import check_knn_graph
from ._inputs import vectors_and_graph

__all__ = ["local_outlier_factor", "outliers"]

_LRD_EPSILON = 1e-10  # as scikit-learn: duplicates (reachability 0) get a finite density
_DEPTH_BLOCK = 65_536  # rows normalised at a time for the depths


def local_outlier_factor(graph, k: int) -> np.ndarray:
    """LOF_k of every row of a kNN graph (Breunig et al. 2000).

    reach-dist_k(p, o) = max(k-distance(o), d(p, o)); lrd(p) = 1 / mean over the k
    neighbours o of p of reach-dist_k(p, o); LOF(p) = mean lrd(o) / lrd(p). About 1 inside
    a cluster, well above 1 for an outlier. ``1e-10`` is added to the mean reachability
    distance, as scikit-learn's ``LocalOutlierFactor`` does, so exact duplicates get a
    finite density.

    Parameters
    ----------
    graph : KNNGraph with at least k neighbours per row
        Over every row (any metric); checked by
        :func:`~embviz.neighbors.check_knn_graph`.
    k : int
        Neighbourhood size: each row's k nearest neighbours give its k-distance and density.
        At most ``graph.k`` (a larger k is refused, never silently cut to the graph's).

    Returns
    -------
    ndarray of shape (n,), float64
    """
    k = check_positive_int(k, "k")
    return _lof(check_knn_graph(graph, k, None, "local_outlier_factor"), k)


def _lof(graph, k: int) -> np.ndarray:
    """:func:`local_outlier_factor` of a checked graph (the kernel behind the door)."""
    indices = graph.indices[:, :k]
    distances = graph.distances[:, :k].astype(np.float64)
    k_distance = distances[:, -1]
    reach = np.maximum(k_distance[indices], distances)
    lrd = 1.0 / (reach.mean(axis=1) + _LRD_EPSILON)
    return lrd[indices].mean(axis=1) / lrd


def outliers(data, k: int = 10, share: float = 0.01, graph=None, texts=None,
             metric: str = "cosine", progress: bool = True) -> pd.DataFrame:
    """Outlier scores of every point: kNN distance, local outlier factor and TTE depth.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood of the kNN distance and of LOF.
    share : float in (0, 1), default 0.01
        Each score flags this share of the points: the largest kNN distances, the largest
        LOF, the smallest depths.
    graph : KNNGraph, optional
        The shared graph of ``data`` with at least ``k`` neighbours and ``metric``.
    texts : sequence of str, optional
        Texts of an array ``data``.
    metric : {"cosine", "euclidean"}, default "cosine"
        Of the graph (kNN distance and LOF); depth is always cosine, as published.
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame, n rows in row order
        ``row``, ``knn_distance``, ``lof``, ``tte_depth``, one flag per score
        (``knn_distance_outlier``, ``lof_outlier``, ``depth_outlier``), ``n_flags`` (0–3)
        and ``text`` when known.

    References
    ----------
    Breunig, Kriegel, Ng & Sander (2000), "LOF: identifying density-based local outliers",
    SIGMOD, 93–104. Ramaswamy, Rastogi & Shim (2000), "Efficient algorithms for mining
    outliers from large data sets", SIGMOD (kNN distance). Seegmiller & Preum (2023),
    "Statistical Depth for Ranking and Characterizing Transformer-Based Text Embeddings",
    EMNLP.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(size=(99, 5)), [[9.0, 9, 9, 9, 9]]]
    >>> scores = outliers(X, metric="euclidean", progress=False)
    >>> int(scores["n_flags"].idxmax())
    99
    """
    share = check_number(share, "share", 0, 1, low_open=True, high_open=True)
    X, graph = vectors_and_graph(data, graph, k, metric, "outliers", progress)
    frame = pd.DataFrame({"row": np.arange(len(X)),
                          "knn_distance": graph.distances[:, k - 1].astype(np.float64),
                          "lof": _lof(graph, k), "tte_depth": depths_within(X)})
    frame["knn_distance_outlier"] = _top(frame["knn_distance"].to_numpy(), share)
    frame["lof_outlier"] = _top(frame["lof"].to_numpy(), share)
    frame["depth_outlier"] = _top(-frame["tte_depth"].to_numpy(), share)
    frame["n_flags"] = frame[["knn_distance_outlier", "lof_outlier", "depth_outlier"]].sum(
        axis=1).astype(np.int64)
    texts = texts_of(data, len(X), texts)
    if texts is not None:
        frame["text"] = texts
    return frame


def depths_within(X: np.ndarray) -> np.ndarray:
    """:func:`embviz.drift.tte_depth` of every row within ``X`` (each row left out of its own
    depth), with unit rows made block by block instead of a float64 copy of ``X``."""
    blocks = range(0, len(X), _DEPTH_BLOCK)
    total = sum(unit_rows(X[i:i + _DEPTH_BLOCK]).sum(axis=0) for i in blocks)
    return np.concatenate([1 + (unit_rows(X[i:i + _DEPTH_BLOCK]) @ total - 1) / (len(X) - 1)
                           for i in blocks])


def _top(score: np.ndarray, share: float) -> np.ndarray:
    """The ⌈share · n⌉ largest scores (ties by row number)."""
    flagged = np.zeros(len(score), bool)
    flagged[np.argsort(-score, kind="stable")[:int(np.ceil(share * len(score)))]] = True
    return flagged
